"""History: mail that was in the mailbox before intake first read it is filed, threaded and
listed, and nobody is written to about it; nothing in it is approved or commanded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from intake.filing.service import file_batch
from intake.mail.models import Filing
from intake.mail.store import Fetched, store_raw
from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.models import Request, TimeEntry
from intake.requests.states import OPEN, Status
from tests.factories import add_example_clients
from tests.mailbuilder import STAFF_AUTH, message
from tests.pipeline import deliver

ARRIVED = datetime(2026, 9, 14, 8, 30, tzinfo=UTC)


@pytest.fixture
def clients(session):
    add_example_clients(session)


def as_history(session, settings, *raws: bytes, uid: int = 100):
    items = [
        Fetched(uid + n, raw, received_at=ARRIVED + timedelta(minutes=n), seen=True, history=True)
        for n, raw in enumerate(raws)
    ]
    return file_batch(session, settings, store_raw(session, "box", 1, items))


def test_old_mail_is_filed_and_threaded_and_nobody_is_written_to(session, settings, clients):
    # Given an old request, the staff answer with commands in it and a client's "approved"
    first = message(subject="Checkout broken", message_id="h1@acme.example")
    staff = message(
        sender="dana@agency.example",
        name="Dana",
        subject="Re: Checkout broken",
        body="#hours 3 fixed the template\n#status done\n",
        in_reply_to="h1@acme.example",
        headers=STAFF_AUTH,
    )
    approval = message(
        subject="Re: Checkout broken", body="Approved, go ahead.\n", in_reply_to="h1@acme.example"
    )
    away = message(subject="Out of office", headers={"Auto-Submitted": "auto-replied"})
    # When they are filed as history
    outcomes = as_history(session, settings, first, staff, approval, away)
    # Then one finished request holds the thread, opened when its mail arrived
    assert [o.filing for o in outcomes] == [
        Filing.REQUEST,
        Filing.FOLLOW_UP,
        Filing.FOLLOW_UP,
        Filing.MACHINE,
    ]
    [request] = session.scalars(sa.select(Request)).all()
    assert request.status is Status.DONE and request.status not in OPEN
    assert request.opened_at == ARRIVED and request.closed_at is None
    assert request.client.slug == "acme"
    # and nothing was sent, quoted, logged or approved: no email, no quote, no hours
    assert all(o.outbound == () for o in outcomes)
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Quote)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(TimeEntry)) == 0
    assert all("history" in (o.reason or "") for o in outcomes)


def test_a_client_who_writes_again_in_an_old_thread_is_answered(session, settings, clients):
    # Given an old request filed as history
    as_history(session, settings, message(message_id="h2@acme.example"))
    # When the client writes in its thread today
    outcome = deliver(
        session,
        settings,
        message(subject="Re: Checkout page is broken", in_reply_to="h2@acme.example"),
    )
    # Then it is a follow-up that reopens the request, and staff are told
    assert outcome.filing is Filing.FOLLOW_UP and outcome.request_ref == "REQ-1001"
    [request] = session.scalars(sa.select(Request)).all()
    assert request.status is Status.IN_PROGRESS
    assert len(outcome.outbound) == 1


def test_old_mail_from_a_stranger_is_listed_not_held(session, settings, clients):
    [outcome] = as_history(session, settings, message(sender="x@unknown.example"))
    request = session.scalars(sa.select(Request)).one()
    assert outcome.filing is Filing.REQUEST
    assert request.status is Status.DONE and request.client is None
