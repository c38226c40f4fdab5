"""The filing actor run as dramatiq runs it, retries included: one message that keeps
failing is given up on alone; the messages queued behind it are all filed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from intake.clients.models import Contact
from intake.db import transaction
from intake.filing import service as filing_service
from intake.mail.models import Filing, InboundMessage
from intake.mail.store import Fetched, store_raw
from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.models import Event
from tests.factories import add_example_clients
from tests.mailbuilder import STAFF_AUTH, message
from workers import broker as brokers
from workers import filing

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def start_runtime(make_settings, db_url, engine, factory):
    """The example clients imported; start(**settings) sets the workers' runtime up."""
    with transaction(factory) as session:
        add_example_clients(session)
    started = []

    def start(**overrides):
        started.append(
            brokers.setup(make_settings(database_url=db_url, **overrides), engine=engine)
        )
        return started[-1]

    yield start
    for rt in started:
        rt.broker.close()


@pytest.fixture
def runtime(start_runtime):
    return start_runtime()


def stored(factory, raws: list[bytes]) -> list[int]:
    """Store these messages as the poller does; their ids, in order."""
    with transaction(factory) as session:
        return store_raw(session, "box", 1, [Fetched(n, raw) for n, raw in enumerate(raws, 1)])


def test_a_message_that_keeps_failing_is_parked_alone(runtime, factory, monkeypatch):
    # Given a job of four messages, the second of which fails its transaction every time
    ids = stored(factory, [message(subject=f"Request {n}") for n in range(1, 5)])
    poison = ids[1]
    real = filing_service.parse

    def parse(raw, **options):
        if b"Subject: Request 2" in raw:
            raise OperationalError("UPDATE ...", {}, Exception("server closed the connection"))
        return real(raw, **options)

    monkeypatch.setattr(filing_service, "parse", parse)
    # When dramatiq runs the job and retries it while it fails, well past the limit
    limit = runtime.settings.sweeper.max_attempts
    for _ in range(limit + 3):
        try:
            filing.file_inbound(ids)
        except OperationalError:
            continue
    # Then the poison message is parked, saying so, and every other one became a request
    with transaction(factory) as session:
        rows = {m.id: m for m in session.scalars(sa.select(InboundMessage))}
    assert rows[poison].filing is Filing.FAILED
    assert "gave up after" in (rows[poison].reason or "")
    assert [rows[i].filing for i in ids if i != poison] == [Filing.REQUEST] * 3
    assert all(rows[i].attempts <= 1 for i in ids if i != poison)


def test_a_bad_message_in_a_job_is_parked_and_the_rest_filed_once(runtime, factory, monkeypatch):
    # Given a job of four messages, the third of which breaks the filing code
    ids = stored(factory, [message(subject=f"Request {n}") for n in range(1, 5)])
    real = filing_service.parse

    def parse(raw, **options):
        if b"Subject: Request 3" in raw:
            raise ValueError("a bug met this message")
        return real(raw, **options)

    monkeypatch.setattr(filing_service, "parse", parse)
    sent: list[list[int]] = []
    monkeypatch.setattr(filing, "enqueue_sending", sent.append)
    # When the job runs (filing the four together fails, so they are filed one by one)
    filing.file_inbound(ids)
    # Then the bad one is parked with its error, the others are requests, and each of
    # their emails exists once: nothing of the failed attempt was kept
    with transaction(factory) as session:
        rows = {m.id: m for m in session.scalars(sa.select(InboundMessage))}
        outbox = session.scalars(sa.select(OutboundMessage)).all()
    assert [rows[i].filing for i in ids] == [
        Filing.REQUEST,
        Filing.REQUEST,
        Filing.FAILED,
        Filing.REQUEST,
    ]
    assert "a bug met this message" in (rows[ids[2]].reason or "")
    assert sorted(m.inbound_id for m in outbox) == sorted([ids[0], ids[1], ids[3]] * 2)
    assert sorted(i for batch in sent for i in batch) == sorted(m.id for m in outbox)


def test_mail_from_a_new_contact_adds_them_once_with_its_event(runtime, factory):
    # Given a job of three messages, two of them from an address new at a client's domain
    senders = ["alice@acme.example", "new.person@acme.example", "new.person@acme.example"]
    ids = stored(factory, [message(sender=s, subject=f"Request {s}") for s in senders])
    # When the job runs
    filing.file_inbound(ids)
    # Then all three are requests, the contact was added once, and staff see that once
    with transaction(factory) as session:
        filings = session.scalars(sa.select(InboundMessage.filing)).all()
        contacts = session.scalars(
            sa.select(Contact).where(Contact.email == "new.person@acme.example")
        ).all()
        events = session.scalars(sa.select(Event).where(Event.kind == "new_contact")).all()
    assert filings == [Filing.REQUEST] * 3
    assert [c.can_approve for c in contacts] == [False]
    assert len(events) == 1 and "new.person@acme.example" in events[0].detail


def test_features_filed_in_one_job_share_the_included_hours(runtime, factory):
    # Given two feature requests from a client on a plan with 5 included hours a month
    asks = [
        message(
            subject=f"Could you add a CSV export of {it}?",
            body=f"Hello,\n\nCould you add a CSV export of all {it} to the admin?\n\nThanks\n",
        )
        for it in ("orders", "users")
    ]
    ids = stored(factory, asks)
    # When one job files both
    filing.file_inbound(ids)
    # Then the second is quoted for what the first left: the month's hours are promised once
    with transaction(factory) as session:
        quotes = session.scalars(
            sa.select(Quote)
            .join(InboundMessage, InboundMessage.request_id == Quote.request_id)
            .where(InboundMessage.id.in_(ids))
            .order_by(Quote.id)
        ).all()
        kinds = [q.request.type.value for q in quotes]
    included = [q.hours - q.chargeable_hours for q in quotes]
    assert kinds == ["feature", "feature"]
    assert sum(included) <= 5
    assert quotes[0].chargeable_hours == 0 and quotes[1].chargeable_hours > 0


def test_a_message_and_its_reply_in_one_job_make_one_request(runtime, factory):
    # Given a request and the client's reply to it, stored in one batch
    first = message(message_id="orig@acme.example")
    reply = message(subject="Re: more detail", in_reply_to="orig@acme.example")
    ids = stored(factory, [first, reply])
    # When one job files both together
    filing.file_inbound(ids)
    # Then the reply is a follow-up of the request the first one opened
    with transaction(factory) as session:
        rows = session.scalars(sa.select(InboundMessage).where(InboundMessage.id.in_(ids))).all()
        filed = sorted((m.id, m.filing, m.request_id) for m in rows)
    assert [f for _, f, _ in filed] == [Filing.REQUEST, Filing.FOLLOW_UP]
    assert filed[0][2] is not None and filed[0][2] == filed[1][2]


def test_the_reply_limit_counts_the_replies_its_own_job_wrote(start_runtime, factory):
    # Given a limit of two automatic replies an hour to one address
    start_runtime(replies={"max_automatic_per_hour": 2})
    # When one job files four requests from Alice
    ids = stored(factory, [message(subject=f"Request {n}") for n in range(1, 5)])
    filing.file_inbound(ids)
    # Then she gets two replies, and staff are told once that her replies are held back
    with transaction(factory) as session:
        kinds = session.scalars(sa.select(OutboundMessage.kind).order_by(OutboundMessage.id))
        kinds = [k for k in kinds if k != "staff_new_request"]
    assert kinds.count("staff_rate_limited") == 1
    assert kinds.count("no_charge") == 2 and len(kinds) == 3


def test_a_sender_filed_under_a_client_by_staff_counts_as_its_contact_later_in_the_job(
    runtime, factory
):
    # Given a stranger's request, held for staff
    stranger = "bob@gmail.example"
    filing.file_inbound(stored(factory, [message(sender=stranger, subject="Checkout broken")]))
    # When one job holds another message of theirs, Dana filing the first under Acme, and
    # a third message of theirs
    staff = message(
        sender="dana@agency.example",
        subject="Re: [REQ-1001] Checkout broken",
        body="#client acme\n",
        headers=STAFF_AUTH,
    )
    later = [
        message(sender=stranger, subject="Also the cart"),
        staff,
        message(sender=stranger, subject="And the search"),
    ]
    filing.file_inbound(stored(factory, later))
    # Then the message before the command is held, the one after it is Acme's request
    with transaction(factory) as session:
        rows = session.scalars(
            sa.select(InboundMessage).where(InboundMessage.from_address == stranger)
        ).all()
        filed = {m.subject: (m.filing, m.request.client and m.request.client.slug) for m in rows}
    assert filed["Checkout broken"] == (Filing.REQUEST, "acme")
    assert filed["Also the cart"] == (Filing.HELD, None)
    assert filed["And the search"] == (Filing.REQUEST, "acme")


def test_included_hours_approved_earlier_in_a_job_are_not_offered_again(
    start_runtime, factory, tmp_path
):
    # Given Acme's feature quoted at 6 h (an agency whose minor features are 6 h): 5
    # included hours of the month and 1 to approve
    rules = (ROOT / "config" / "rules.toml").read_text()
    assert '[estimate.feature]\ncritical = "8"\nmajor = "6"\nminor = "4"' in rules
    six = rules.replace('major = "6"\nminor = "4"', 'major = "6"\nminor = "6"')
    (tmp_path / "rules.toml").write_text(six)
    start_runtime(rules_file=tmp_path / "rules.toml")

    def feature(it: str) -> bytes:
        return message(
            subject=f"Could you add a CSV export of {it}?",
            body=f"Could you add a CSV export of {it}? Some customers do it by hand.\n",
        )

    filing.file_inbound(stored(factory, [feature("orders")]))
    with transaction(factory) as session:
        first = session.scalars(sa.select(Quote)).one()
        token, ref = first.token, first.request.ref
    assert (first.hours, first.chargeable_hours, first.status) == (6, 1, "pending")
    # When one job holds Alice's approval of it, then another such feature
    approval = message(
        to=f"support+{token}@agency.example",
        subject=f"Re: [{ref}] Could you add a CSV export of orders?",
        body="Approved.\n",
        headers={
            "Authentication-Results": "mx.agency.example; dkim=pass header.d=acme.example; "
            "dmarc=pass header.from=acme.example"
        },
        date=datetime.now(UTC),  # after the quote it approves
    )
    filing.file_inbound(stored(factory, [approval, feature("users")]))
    # Then the approved quote holds the month's 5 included hours, and the new one gets none
    with transaction(factory) as session:
        quotes = session.scalars(sa.select(Quote).order_by(Quote.id)).all()
        seen = [(q.status, q.hours - q.chargeable_hours) for q in quotes]
    assert seen == [("approved", 5), ("pending", 0)]


def test_after_a_new_contact_the_rest_of_the_job_is_filed_together(runtime, factory, caplog):
    # Given a job whose second message comes from an address new at Acme's domain
    senders = ["alice@acme.example", "new.person@acme.example", *["alice@acme.example"] * 3]
    ids = stored(
        factory, [message(sender=s, subject=f"Request {n}") for n, s in enumerate(senders)]
    )
    # When the job runs
    with caplog.at_level(logging.INFO, logger="workers.filing"):
        filing.file_inbound(ids)
    # Then the first two are filed one by one (the second adds the contact), the other
    # three together, and all five are requests
    notes = [r.getMessage() for r in caplog.records]
    assert (
        f"inbound {ids[1]} is from a new contact (new.person@acme.example); 2 filed one by one"
        in notes
    )
    assert not any("one by one now" in note for note in notes)
    with transaction(factory) as session:
        filings = session.scalars(sa.select(InboundMessage.filing)).all()
        contacts = session.scalars(sa.select(Contact.email)).all()
    assert filings == [Filing.REQUEST] * 5
    assert contacts.count("new.person@acme.example") == 1


def test_a_reply_by_the_subject_reference_of_a_request_opened_in_the_same_job(runtime, factory):
    # Given a request, and a second message naming it in the subject only ([REQ-1001]),
    # with a References header to mail intake never saw, stored in one batch
    first = message(subject="Checkout broken")
    second = message(
        subject="Re: [REQ-1001] Checkout broken",
        body="It also fails on mobile.\n",
        references=["elsewhere-1@acme.example"],
    )
    ids = stored(factory, [first, second])
    # When one job files both together
    filing.file_inbound(ids)
    # Then the second is a follow-up of REQ-1001, and nothing else was opened
    with transaction(factory) as session:
        rows = session.scalars(sa.select(InboundMessage).order_by(InboundMessage.id)).all()
        filed = [(m.filing, m.request.ref) for m in rows]
    assert filed == [(Filing.REQUEST, "REQ-1001"), (Filing.FOLLOW_UP, "REQ-1001")]
