"""Account management end to end: after November's statements the scheduler's actor writes
the plan advice to staff and to the clients it would save money, and the introduction to
the plans to a client with none; the emails leave through SMTP (an aiosmtpd sink) once,
however often the actor runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dramatiq.broker
import pytest
import sqlalchemy as sa

from intake.accounts.models import Checkin
from intake.billing import service as billing
from intake.billing.models import BillingRun
from intake.billing.statement import Period
from intake.clients.models import Client
from intake.db import transaction
from tests.factories import work
from tests.integration.test_conversations import DANA, reply_to
from tests.integration.test_poller import factory as factory
from tests.integration.test_replies import by_recipient, parsed
from tests.integration.test_replies import settings_for as settings_for
from workers import accounts, runner, runtime

pytestmark = pytest.mark.integration

SEP, OCT, NOV = Period(2026, 9), Period(2026, 10), Period(2026, 11)
DECEMBER_FIRST = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_runtime(monkeypatch):
    """Each test sets up its own runtime and broker, as `intake run` does."""
    monkeypatch.setattr(runtime, "_current", None)
    monkeypatch.setattr(dramatiq.broker, "global_broker", None)


@pytest.fixture
def quarter(factory, settings_for):
    """Zed (no plan) with 4 h of fixes a month and Acme (Professional) with none, billed
    from September to November by the scheduler; the agency sends advice and introductions."""
    settings = settings_for(advice={"send_to_client": True, "introduce_plans": True})
    with transaction(factory) as session:
        logged = tuple(("4", m.first_day + timedelta(days=9)) for m in (SEP, OCT, NOV))
        work(session, "zed", "Login fails", "bug", quoted="12", chargeable="12", logged=logged)
        for period in (SEP, OCT, NOV):
            billing.bill(session, settings, period)
        session.add(BillingRun(period=NOV.label))
    return settings


def look_after_accounts(settings, now):
    """The actor as the scheduler runs it, and every email it queues sent."""
    rt = runner.setup(settings)
    try:
        accounts.look_after_accounts(now=now)
        with runner.workers_running(rt):
            runner.wait_until_settled(rt, 60)
    finally:
        rt.broker.close()


def text(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def test_after_the_statements_staff_and_clients_get_the_plan_advice_once(quarter, smtp_sink):
    smtp_sink.clear()
    look_after_accounts(quarter, DECEMBER_FIRST)
    [report] = [m for m in by_recipient(smtp_sink, DANA) if m["Subject"].startswith("Plan advice")]
    assert report["Subject"] == "Plan advice for Sep–Nov 2026: 2 clients worth a word"
    assert "Zed GmbH: $1,800.00 hourly over Sep–Nov 2026" in text(report)
    assert "advise Basic, $300.00 less" in text(report)
    # Zoe gets the advice and (Zed has no plan) the introduction to the plans
    to_zoe = sorted(str(m["Subject"]) for m in by_recipient(smtp_sink, "zoe@zed.example"))
    assert to_zoe == [
        "Support plans at Example Agency",
        "Your support over Sep–Nov 2026: the Basic plan would have cost you less",
    ]
    [to_alice] = by_recipient(smtp_sink, "alice@acme.example")
    assert "$3,000.00 for 0 h of our work on the Professional plan" in text(to_alice)
    # When the scheduler runs the actor again that day and the next, nothing more is sent
    smtp_sink.clear()
    look_after_accounts(quarter, DECEMBER_FIRST + timedelta(minutes=5))
    look_after_accounts(quarter, DECEMBER_FIRST + timedelta(days=1))
    assert parsed(smtp_sink) == []


def test_nothing_is_advised_before_the_month_is_billed(factory, settings_for, smtp_sink):
    settings = settings_for(advice={"send_to_client": True})
    with transaction(factory) as session:
        work(
            session,
            "zed",
            "Login fails",
            "bug",
            quoted="4",
            chargeable="4",
            logged=(("4", NOV.first_day),),
        )
    look_after_accounts(settings, DECEMBER_FIRST)
    # Only the reminder of Acme's check-in, which is due whatever was billed
    assert [m["Subject"] for m in parsed(smtp_sink)] == [
        "Check-in with Acme Ltd overdue since Wed 1 Apr 2026"
    ]


def test_staff_record_a_check_in_by_answering_its_reminder(
    factory, settings_for, dovecot, smtp_sink
):
    settings = settings_for()
    # Given Acme's quarterly check-in is overdue (none held since it became a client)
    look_after_accounts(settings, datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    [reminder] = by_recipient(smtp_sink, DANA)
    assert reminder["Subject"] == "Check-in with Acme Ltd overdue since Wed 1 Apr 2026"

    def answer(body: str, auth: bool = True) -> list:
        smtp_sink.clear()
        dovecot.append(reply_to(reminder, DANA, body, auth=auth))
        runner.run_once(settings, timeout=60)
        return by_recipient(smtp_sink, DANA)

    # When a forger answers it as Dana, with no authentication: nothing is recorded
    answer("#checkin done 2026-12-03", auth=False)
    assert held(factory) == []
    # When Dana answers with something else: nothing is recorded, and she is told why
    [refused] = answer("#checkin soon")
    assert refused["Subject"] == "Nothing recorded: check-in with Acme Ltd"
    assert "#checkin takes 'done'" in text(refused)
    # When she answers "#checkin done 2026-12-03": recorded, and the next is three months on
    [receipt] = answer("#checkin done 2026-12-03\n\nGood call; they want a second shop.")
    assert receipt["Subject"] == "Recorded: check-in with Acme Ltd on Thu 3 Dec 2026"
    assert "The next is due Wed 3 Mar 2027" in text(receipt)
    assert held(factory) == [("acme", date(2026, 12, 3), DANA)]
    # And no client heard of any of it
    assert {a for m in parsed(smtp_sink) for a in m["To"].split(",")} == {DANA}


def held(factory) -> list[tuple[str, date, str]]:
    with transaction(factory) as session:
        rows = session.execute(
            sa.select(Client.slug, Checkin.held_on, Checkin.recorded_by).join(
                Client, Client.id == Checkin.client_id
            )
        )
        return [tuple(row) for row in rows]
