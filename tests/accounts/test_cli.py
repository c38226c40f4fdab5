"""`intake advice`: the same report staff get by email, printed; nothing stored or sent."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from intake.billing import service as billing
from intake.billing.statement import Period
from intake.outbox.models import OutboundMessage
from intake.settings import load_settings
from tests.billing.test_cli import config as config
from tests.billing.test_cli import intake, with_session
from tests.factories import work

MONTHS = (Period(2026, 9), Period(2026, 10), Period(2026, 11))


def quarter_of_fixes(config, db_url):
    def store(session):
        logged = tuple(("4", m.first_day + timedelta(days=9)) for m in MONTHS)
        work(session, "zed", "Login fails", "bug", quoted="12", chargeable="12", logged=logged)
        for period in MONTHS:
            billing.bill(session, load_settings(config), period)

    with_session(db_url, store)


def test_advice_prints_the_clients_worth_a_word_and_sends_nothing(config, db_url):
    quarter_of_fixes(config, db_url)
    outbox_before = []
    with_session(
        db_url,
        lambda s: outbox_before.append(s.scalar(sa.select(sa.func.count(OutboundMessage.id)))),
    )
    shown = intake(config, "advice", "--month", "2026-11")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert len(lines) == 2  # Acme pays Professional's fee for no work; Zed pays by the hour
    assert lines[0].startswith("Acme Ltd: $3,000.00 on Professional")
    assert lines[1].endswith("advise Basic, $300.00 less")
    answer = json.loads(intake(config, "advice", "--month", "2026-11", "--json").output)
    zed = next(a for a in answer if a["client"] == "zed")
    assert zed["billed"] == ["600.00", "600.00", "600.00"] and zed["advised"] == "basic"
    assert zed["plans"]["premium"] == {"cost": "6000.00", "hours_covered": "12"}
    outbox_after = []
    with_session(
        db_url,
        lambda s: outbox_after.append(s.scalar(sa.select(sa.func.count(OutboundMessage.id)))),
    )
    assert outbox_after == outbox_before


def test_advice_says_so_when_there_is_nothing_to_advise(config, db_url):
    shown = intake(config, "advice", "--month", "2026-11")
    assert shown.exit_code == 0
    assert shown.output == "Sep–Nov 2026: no client had work or a statement\n"
    bad = intake(config, "advice", "--month", "November")
    assert bad.exit_code == 2 and "--month: period must be a month written YYYY-MM" in bad.output
