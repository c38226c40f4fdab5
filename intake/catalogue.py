"""The agency's own files behind the settings (plans, rules), read once and re-read only
when they change on disk."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from intake.approvals.replies import ReplyPhrases, load_reply_phrases
from intake.classification.rules import Rules, load_rules
from intake.quotes.estimates import default_estimates
from intake.quotes.plans import PriceSheet, load_plans
from intake.settings import Settings
from intake.tomlfile import modified_at


@lru_cache(maxsize=4)
def _plans(path: Path, mtime: float) -> PriceSheet:
    return load_plans(path)


@lru_cache(maxsize=4)
def _rules(path: Path, mtime: float) -> Rules:
    return load_rules(path)


def plans(path: Path) -> PriceSheet:
    return _plans(path, modified_at(path))


def rules(path: Path) -> Rules:
    return _rules(path, modified_at(path))


@lru_cache(maxsize=4)
def _phrases(path: Path, mtime: float) -> ReplyPhrases:
    return load_reply_phrases(path)


def reply_phrases(path: Path) -> ReplyPhrases:
    return _phrases(path, modified_at(path))


def check(settings: Settings) -> PriceSheet:
    """Read every table of ``plans_file`` and ``rules_file`` now, so a missing or broken file
    stops a process at start-up with its one ConfigError line instead of parking each
    message later; the price sheet is returned for callers that need it."""
    sheet = plans(settings.plans_file)
    rules(settings.rules_file)
    reply_phrases(settings.rules_file)
    default_estimates(settings.rules_file, modified_at(settings.rules_file))
    return sheet
