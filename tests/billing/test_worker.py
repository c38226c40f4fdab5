"""The periodic actor workers/billing.py::bill_last_month, driven by explicit times: it bills
the previous month once, on the 1st from ``billing.at`` on the agency's clock."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import dramatiq
import dramatiq.broker
import pytest
import sqlalchemy as sa

from intake.billing.models import BillingRun, Statement
from intake.db import transaction
from intake.outbox.models import OutboundMessage
from intake.requests.models import TimeEntry
from tests.factories import add_example_clients, october_work
from workers import billing as actors
from workers import broker, runtime

# Auckland is 13 hours ahead of UTC in November (summer time): 1 November there begins at
# 11:00 UTC on 31 October, and 1 November in UTC is already the 2nd there from 11:00.
AUCKLAND = "Pacific/Auckland"


@pytest.fixture
def worker(make_settings, db_url, engine, factory, monkeypatch):
    """This process's runtime on an in-process broker, as `intake run` sets it up, with
    October's work stored: billing at 06:00 in Auckland."""
    monkeypatch.setattr(runtime, "_current", None)  # put back after the test
    monkeypatch.setattr(dramatiq.broker, "global_broker", None)
    settings = make_settings(database_url=db_url, timezone=AUCKLAND, billing={"at": "06:00"})
    rt = broker.setup(settings, engine=engine)
    with transaction(factory) as session:
        add_example_clients(session)
        october_work(session)
    yield rt
    rt.broker.close()


def queued_for_sending(rt) -> list[int]:
    """The outbox ids handed to the send_outbound actor so far."""
    ids = []
    for raw in rt.broker.queues["outbox"].queue:
        message = dramatiq.Message.decode(raw)
        assert message.actor_name == "send_outbound"
        ids += message.args[0]
    return sorted(ids)


def state(factory) -> dict[str, object]:
    with transaction(factory) as session:
        return {
            "runs": list(session.scalars(sa.select(BillingRun.period))),
            "statements": sorted(
                session.execute(sa.select(Statement.period, Statement.total)).all()
            ),
            "outbox": sorted(
                session.execute(sa.select(OutboundMessage.id, OutboundMessage.kind)).all()
            ),
            "unbilled": session.scalar(
                sa.select(sa.func.count()).where(TimeEntry.statement_id.is_(None))
            ),
        }


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_on_the_first_it_bills_the_previous_month_once_from_the_set_time(worker, factory):
    # Given 05:59 on 1 November in Auckland (16:59 UTC on 31 October)
    # When the actor runs, then it does nothing: billing is at 06:00
    actors.bill_last_month(now=utc(2026, 10, 31, 16, 59))
    nothing = {"runs": [], "statements": [], "outbox": [], "unbilled": 4}
    assert state(factory) == nothing and queued_for_sending(worker) == []

    # When it runs at 06:00 in Auckland (17:00 UTC on 31 October, a day that is no 1st in UTC)
    actors.bill_last_month(now=utc(2026, 10, 31, 17, 0))
    # Then October is billed: one statement per client, every hour on one
    billed = state(factory)
    assert billed["runs"] == ["2026-10"]
    assert billed["statements"] == [("2026-10", Decimal("225.00")), ("2026-10", Decimal("1150.00"))]
    assert billed["unbilled"] == 0
    # And the two statements and the staff summary are queued for sending
    kinds = sorted(kind for _, kind in billed["outbox"])
    assert kinds == ["staff_billing_summary", "statement", "statement"]
    assert queued_for_sending(worker) == [i for i, _ in billed["outbox"]]

    # When it runs again the same day in Auckland (at 11:00 and 23:00 there)
    actors.bill_last_month(now=utc(2026, 10, 31, 22, 0))
    actors.bill_last_month(now=utc(2026, 11, 1, 10, 0))
    # Then nothing more is billed, stored or queued
    assert state(factory) == billed
    assert queued_for_sending(worker) == [i for i, _ in billed["outbox"]]


@pytest.mark.parametrize(
    "now",
    [
        # 1 November 06:00-23:59 in UTC, but already the 2nd in Auckland
        utc(2026, 11, 1, 11, 0),
        utc(2026, 11, 1, 23, 0),
        # any other day
        utc(2026, 11, 2, 18, 0),
        utc(2026, 10, 15, 17, 0),
    ],
)
def test_it_goes_by_the_agencys_clock_not_utc(worker, factory, now):
    # When the actor runs at a time that is not the 1st after 06:00 in Auckland
    actors.bill_last_month(now=now)
    # Then it does nothing
    assert state(factory) == {"runs": [], "statements": [], "outbox": [], "unbilled": 4}
    assert queued_for_sending(worker) == []
