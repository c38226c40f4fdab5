"""The agency's files that filing reads (plans, classification rules, reply phrases,
default estimates), read all at once when a process starts."""

from __future__ import annotations

from intake import catalogue
from intake.approvals.replies import load_reply_phrases
from intake.classification.rules import load_rules
from intake.plans import PriceSheet, price_sheet
from intake.quotes.estimates import load_default_estimates
from intake.settings import Settings


def check_files(settings: Settings) -> PriceSheet:
    """Read every table of ``plans_file`` and ``rules_file`` now, so a missing or broken file
    stops a process at start-up with its one ConfigError line instead of parking each
    message later; the price sheet is returned for callers that need it."""
    sheet = price_sheet(settings)
    catalogue.read(settings.rules_file, load_rules)
    catalogue.read(settings.rules_file, load_reply_phrases)
    catalogue.read(settings.rules_file, load_default_estimates)
    return sheet
