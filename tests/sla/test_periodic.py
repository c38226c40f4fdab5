"""The SLA stage as the scheduler drives it: the `check_sla` actor, run at explicit moments,
sends the staff digest once a day at ``sla.digest_at`` in the agency's time zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import dramatiq
import dramatiq.broker
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from intake.db import transaction
from intake.outbox.models import OutboundMessage
from intake.requests.models import Request
from intake.settings import Settings
from tests.factories import add_example_clients
from tests.mailbuilder import message
from tests.pipeline import deliver
from workers import broker as brokers
from workers import runtime
from workers import sla as sla_actors
from workers.scheduler import schedule

TEAM = [
    {"email": "dana@agency.example", "name": "Dana"},
    {"email": "lee@agency.example", "name": "Lee", "lead": True},
]


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    """November 2026 in UTC. New York, the agency's clock here, is five hours behind."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def agency(make_settings, db_url) -> Settings:
    """An agency in New York whose digest goes out at 08:00 there (13:00 UTC)."""
    return make_settings(
        database_url=db_url,
        staff=TEAM,
        timezone="America/New_York",
        redis_url="",
        sla={"digest_at": "08:00"},
    )


@pytest.fixture
def workers(agency, engine, monkeypatch) -> Iterator[runtime.Runtime]:
    """This process's actors on the in-process broker, as `intake run` declares them."""
    monkeypatch.setattr(runtime, "_current", None)
    monkeypatch.setattr(dramatiq.broker, "global_broker", dramatiq.broker.global_broker)
    rt = brokers.setup(agency, engine=engine)
    yield rt
    rt.broker.close()


@pytest.fixture
def open_request(agency, factory: sessionmaker[Session]) -> str:
    """Acme's critical bug, opened the Friday before, still open."""
    with transaction(factory) as session:
        add_example_clients(session)
        deliver(session, agency, message(subject="Site down", body="The site is down!\n"))
        request = session.scalars(sa.select(Request)).one()
        request.opened_at = utc(20, 14)
        for event in request.events:
            event.at = utc(20, 14)
        return request.ref


def run_check_at(rt: runtime.Runtime, monkeypatch, moment: datetime) -> None:
    """One tick of the scheduler's `check_sla` at ``moment``."""
    monkeypatch.setattr(sla_actors, "utcnow", lambda: moment)
    rt.actors["check_sla"]()


def digests(factory: sessionmaker[Session]) -> list[tuple[str, list[str], int]]:
    with transaction(factory) as session:
        rows = session.scalars(
            sa.select(OutboundMessage)
            .where(OutboundMessage.kind == "staff_digest")
            .order_by(OutboundMessage.id)
        )
        return [(m.subject, m.recipients, m.id) for m in rows]


def queued_for_sending(rt: runtime.Runtime) -> set[int]:
    """The outbound ids the actor handed to `send_outbound`."""
    messages = [dramatiq.Message.decode(raw) for raw in rt.broker.queues["outbox"].queue]
    return {i for m in messages if m.actor_name == "send_outbound" for i in m.args[0]}


def test_the_scheduler_runs_the_sla_check_every_check_interval(workers, agency):
    assert ("check_sla", agency.sla.check_interval) in schedule(workers)


def test_the_digest_goes_at_eight_new_york_time_once_a_day(
    workers, agency, factory, open_request, monkeypatch
):
    # Given an open request, and an agency whose clock is New York's
    # When the check runs at 07:59 there (12:59 UTC, long past 08:00 in UTC)
    run_check_at(workers, monkeypatch, utc(23, 12, 59))
    # Then no digest yet
    assert digests(factory) == []
    # When it runs at 08:00 New York time
    run_check_at(workers, monkeypatch, utc(23, 13))
    # Then each member of staff gets the digest of open requests, handed over for sending
    sent = digests(factory)
    assert [(subject, to) for subject, to, _ in sent] == [
        ("Open requests, Mon 23 Nov 2026: 1", ["dana@agency.example"]),
        ("Open requests, Mon 23 Nov 2026: 1", ["lee@agency.example"]),
    ]
    assert {first for _, _, first in sent} <= queued_for_sending(workers)
    # When the check runs again that day, even after midnight UTC (20:00 in New York)
    run_check_at(workers, monkeypatch, utc(23, 17))
    run_check_at(workers, monkeypatch, utc(24, 1))
    # Then no second digest
    assert len(digests(factory)) == 2
    # When the next day comes, before and then at 08:00 New York time
    run_check_at(workers, monkeypatch, utc(24, 12, 30))
    assert len(digests(factory)) == 2
    run_check_at(workers, monkeypatch, utc(24, 13, 5))
    run_check_at(workers, monkeypatch, utc(24, 13, 10))
    # Then exactly one more, for that day
    assert [subject for subject, _, _ in digests(factory)] == [
        "Open requests, Mon 23 Nov 2026: 1",
        "Open requests, Mon 23 Nov 2026: 1",
        "Open requests, Tue 24 Nov 2026: 1",
        "Open requests, Tue 24 Nov 2026: 1",
    ]
