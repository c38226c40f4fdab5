"""Filing: every stored message becomes exactly one request, follow-up, machine record,
held message or parked failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from intake.clients.models import Contact
from intake.filing.service import file_batch
from intake.mail.models import AddressFlag, Filing, InboundMessage
from intake.mail.store import Fetched, store_raw
from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.models import Event, Request
from intake.requests.states import Status
from tests.conftest import mail_fixture
from tests.factories import add_example_clients
from tests.mailbuilder import STAFF_AUTH, bounce, message
from tests.pipeline import deliver


@pytest.fixture
def clients(session):
    add_example_clients(session)


def requests_of(session) -> list[Request]:
    return list(session.scalars(sa.select(Request).order_by(Request.number)))


def test_a_contact_opens_a_request_with_the_next_reference(session, settings, clients):
    first = deliver(session, settings, message(message_id="a1@acme.example"))
    second = deliver(session, settings, message(subject="Another thing"))
    assert (first.filing, first.request_ref) == (Filing.REQUEST, "REQ-1001")
    assert second.request_ref == "REQ-1002"
    request = requests_of(session)[0]
    assert request.client.slug == "acme" and request.contact_email == "alice@acme.example"
    # A broken checkout is a bug: free under Acme's plan, so it is approved at once.
    assert request.status is Status.APPROVED
    assert [e.kind for e in request.events] == ["opened", "classified", "status"]
    # The client's reply and the staff notice wait in the outbox, stored with the change.
    assert len(first.outbound_ids) == 2


def test_mail_filed_late_opens_at_its_arrival_and_says_so(session, settings, clients):
    # Given mail that reached the mailbox 2 h 5 min ago, while intake was down
    arrived = datetime.now(UTC) - timedelta(hours=2, minutes=5)
    ids = store_raw(session, "box", 1, [Fetched(900, message(), received_at=arrived)])
    # When it is filed
    file_batch(session, settings, ids)
    # Then the request opened when the mail arrived, and its history says why
    request = requests_of(session)[0]
    assert request.opened_at == arrived
    assert request.events[0].detail == (
        "opened by alice@acme.example; arrived 2 h 5 min before it was filed"
    )


def test_filing_twice_changes_nothing(session, settings, clients):
    ids = store_raw(session, "box", 1, [Fetched(1, message())])
    assert len(file_batch(session, settings, ids)) == 1
    assert file_batch(session, settings, ids) == []
    assert len(requests_of(session)) == 1


def test_a_reply_threads_by_in_reply_to_then_by_subject_then_by_token(session, settings, clients):
    deliver(session, settings, message(message_id="first@acme.example"))
    [request] = requests_of(session)
    by_header = deliver(
        session,
        settings,
        message(subject="Re: something else", in_reply_to="first@acme.example"),
    )
    by_subject = deliver(session, settings, message(subject="Re: [REQ-1001] any news?"))
    token = session.scalar(sa.select(Quote.token).where(Quote.request_id == request.id))
    by_token = deliver(
        session, settings, message(subject="ok", to=f"support+{token}@agency.example")
    )
    for outcome in (by_header, by_subject, by_token):
        assert (outcome.filing, outcome.request_ref) == (Filing.FOLLOW_UP, "REQ-1001")
    assert len(requests_of(session)) == 1


def test_a_reply_to_our_own_message_id_threads(session, settings, clients):
    deliver(session, settings, message())
    [request] = requests_of(session)
    session.add(
        OutboundMessage(
            message_id="q1@agency.example",
            request_id=request.id,
            kind="quote",
            recipients=["alice@acme.example"],
            subject="[REQ-1001]",
            raw=b"",
        )
    )
    session.flush()
    outcome = deliver(
        session, settings, message(subject="Re: quote", in_reply_to="q1@agency.example")
    )
    assert outcome.request_ref == "REQ-1001" and outcome.filing is Filing.FOLLOW_UP


def test_a_reply_to_a_message_id_shared_by_two_requests_follows_its_subject(
    session, settings, clients
):
    # Given a client's mailer that gives every message the same Message-ID,
    # and two of its messages filed as two requests
    first = deliver(session, settings, mail_fixture("shared_message_id_1.eml"))
    second = deliver(session, settings, mail_fixture("shared_message_id_2.eml"))
    assert (first.request_ref, second.request_ref) == ("REQ-1001", "REQ-1002")
    # When a reply to that Message-ID names the first request in its subject
    shared = "d41d8cd98f00b204e9800998ecf8427e@zed.example"
    reply = deliver(
        session,
        settings,
        message(
            sender="zoe@zed.example",
            subject="Re: [REQ-1001] Newsletter signup form broken",
            body="Still broken, any news?\n",
            message_id=shared,
            in_reply_to=shared,
        ),
    )
    # Then it is filed to the request its subject names
    assert (reply.filing, reply.request_ref) == (Filing.FOLLOW_UP, "REQ-1001")


def test_a_message_id_seen_again_on_other_content_is_filed_and_flagged_to_staff(
    session, settings, clients
):
    # Given a request, then a message from someone else that borrows its Message-ID
    first = deliver(session, settings, message(message_id="m1@acme.example"))
    assert first.reason is None
    borrowed = deliver(
        session,
        settings,
        message(
            sender="bob@acme.example",
            subject="Please approve the new quote",
            message_id="m1@acme.example",
        ),
    )
    # Then it is filed as a request of its own, not held, not dropped as a copy
    assert (borrowed.filing, borrowed.request_ref) == (Filing.REQUEST, "REQ-1002")
    # and staff are told which message had the id first, on the request and by email
    assert "Message-ID <m1@acme.example> was already on message 1 from alice@acme.example" in (
        borrowed.reason
    )
    request = requests_of(session)[1]
    assert any("possible forgery" in e.detail for e in request.events if e.kind == "note")
    notices = [m for m in borrowed.outbound if m.kind == "staff_client_reply"]
    assert len(notices) == 1 and notices[0].recipients == ["dana@agency.example"]


def test_a_subject_reference_from_another_client_opens_a_new_request(session, settings, clients):
    deliver(session, settings, message())
    outcome = deliver(
        session, settings, message(sender="zoe@zed.example", subject="Re: [REQ-1001] hello")
    )
    assert (outcome.filing, outcome.request_ref) == (Filing.REQUEST, "REQ-1002")


def test_a_subject_reference_beyond_any_request_number_opens_a_new_request(
    session, settings, clients
):
    # Given a contact whose subject names a request number no database column can hold
    raw = message(subject="Re: [REQ-99999999999] order fails")
    # When it is filed
    outcome = deliver(session, settings, raw)
    # Then it matches no request and opens a new one, instead of being parked
    assert (outcome.filing, outcome.request_ref) == (Filing.REQUEST, "REQ-1001")


def test_the_clients_reply_reopens_finished_work(session, settings, clients):
    deliver(session, settings, message(message_id="done@acme.example"))
    [request] = requests_of(session)
    request.status = Status.DONE
    session.flush()
    deliver(session, settings, message(subject="Re: still broken", in_reply_to="done@acme.example"))
    assert request.status is Status.IN_PROGRESS
    moves = [(e.from_status, e.to_status) for e in request.events if e.kind == "status"]
    assert moves[-1] == (Status.DONE, Status.IN_PROGRESS)


def test_an_unknown_sender_is_held_for_staff_with_no_client(session, settings, clients):
    outcome = deliver(session, settings, message(sender="someone@gmail.com", subject="Buy now"))
    assert outcome.filing is Filing.HELD and "unknown sender someone@gmail.com" in outcome.reason
    [request] = requests_of(session)
    assert request.status is Status.HELD and request.client is None


def test_a_new_address_at_a_client_domain_becomes_a_contact(session, settings, clients):
    outcome = deliver(session, settings, message(sender="Carol@ACME.example", name="Carol"))
    assert outcome.filing is Filing.REQUEST
    [request] = requests_of(session)
    assert request.client.slug == "acme" and request.contact_email == "carol@acme.example"
    assert any("may not approve" in e.detail for e in request.events if e.kind == "new_contact")


def test_a_new_contact_with_a_very_long_name_is_added_with_it_shortened(session, settings, clients):
    # Given a new address at Acme's domain whose mail program sends a 250-character name
    raw = message(sender="carol@acme.example", name="C" * 250)
    # When it is filed
    outcome = deliver(session, settings, raw)
    # Then Carol opens a request as a new contact, her name cut to what is kept
    assert outcome.filing is Filing.REQUEST
    contact = session.scalar(sa.select(Contact).where(Contact.email == "carol@acme.example"))
    assert contact.name == "C" * 200


@pytest.mark.parametrize("domain", ["acme.example", "gmail.com"])
def test_an_address_too_long_to_receive_mail_is_no_sender(session, settings, clients, domain):
    # Given a From address longer than any mail system delivers to
    raw = message(sender=f"{'x' * 400}@{domain}")
    # When it is filed
    outcome = deliver(session, settings, raw)
    # Then it is held for staff as mail with no sender, not parked
    assert outcome.filing is Filing.HELD and outcome.reason == "unknown sender (no address)"


def test_a_from_header_of_hundreds_of_nested_comments_is_held_as_from_no_sender(
    session, settings, clients
):
    # Given mail whose From header opens 500 comments before Alice's address
    raw = b"From: " + b"(" * 500 + b" alice@acme.example\r\nSubject: s\r\n\r\nb\r\n"
    # When it is filed
    outcome = deliver(session, settings, raw)
    # Then it is held for staff as mail from no sender, not parked
    assert outcome.filing is Filing.HELD and outcome.reason == "unknown sender (no address)"


def test_a_stranger_writing_in_a_clients_thread_is_held(session, settings, clients):
    deliver(session, settings, message(message_id="t@acme.example"))
    outcome = deliver(
        session,
        settings,
        message(sender="mallory@evil.example", subject="Re: x", in_reply_to="t@acme.example"),
    )
    assert outcome.filing is Filing.HELD and outcome.request_ref == "REQ-1001"
    assert requests_of(session)[0].status is Status.APPROVED  # unchanged
    # Nothing goes to the stranger; staff are told.
    told = session.scalars(
        sa.select(OutboundMessage.recipients).where(OutboundMessage.id.in_(outcome.outbound_ids))
    ).all()
    assert told == [["dana@agency.example"]]


def test_staff_replying_in_a_thread_is_a_follow_up(session, settings, clients):
    deliver(session, settings, message(message_id="s@acme.example"))
    outcome = deliver(
        session,
        settings,
        message(
            sender="dana@agency.example",
            subject="Re: x",
            in_reply_to="s@acme.example",
            headers=STAFF_AUTH,
        ),
    )
    assert outcome.filing is Filing.FOLLOW_UP


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"List-Id": "<news.example.com>"},
        {"X-Autoreply": "yes"},
    ],
)
def test_machine_mail_is_recorded_and_opens_nothing(session, settings, clients, headers):
    outcome = deliver(session, settings, message(subject="Out of office", headers=headers))
    assert outcome.filing is Filing.MACHINE
    assert requests_of(session) == []


def test_auto_submitted_no_is_a_person(session, settings, clients):
    outcome = deliver(session, settings, message(headers={"Auto-Submitted": "no"}))
    assert outcome.filing is Filing.REQUEST


def test_mail_from_our_own_address_is_never_filed_as_a_request(session, settings, clients):
    outcome = deliver(session, settings, message(sender="support@agency.example"))
    assert outcome.filing is Filing.MACHINE and requests_of(session) == []


def test_unreadable_bytes_are_parked_with_the_reason_and_kept(session, settings):
    raw = bytes(range(256)) * 4
    outcome = deliver(session, settings, raw)
    assert outcome.filing is Filing.FAILED
    row = session.scalar(sa.select(InboundMessage))
    assert row.raw == raw and row.reason


def test_a_huge_attachment_is_noted_on_the_request_not_kept(
    session, make_settings, db_url, clients
):
    settings = make_settings(database_url=db_url, max_attachment_bytes=1000)
    raw = message(
        attachments=[
            ("dump.bin", "application/octet-stream", b"x" * 5000),
            ("small.txt", "text/plain", b"hello"),
        ]
    )
    outcome = deliver(session, settings, raw)
    assert outcome.filing is Filing.REQUEST
    row = session.scalar(sa.select(InboundMessage))
    kept = {a.filename: a.content for a in row.attachments}
    assert kept["dump.bin"] is None and kept["small.txt"] is not None
    notes = session.scalars(sa.select(Event.detail).where(Event.kind == "note")).all()
    assert any("dump.bin" in note and "not kept" in note for note in notes)


def test_a_reply_filed_before_the_message_it_answers_still_threads(session, settings, clients):
    # Given a first message and its follow-up stored in one batch
    first = message(message_id="orig@acme.example")
    reply = message(subject="Re: more detail", in_reply_to="orig@acme.example")
    ids = store_raw(session, "box", 1, [Fetched(1, first), Fetched(2, reply)])
    # When the reply's job runs first
    outcomes = file_batch(session, settings, [ids[1]])
    assert file_batch(session, settings, [ids[0]]) == []
    # Then it is still a follow-up of the one request
    filings = session.scalars(sa.select(InboundMessage.filing).order_by(InboundMessage.id)).all()
    assert filings == [Filing.REQUEST, Filing.FOLLOW_UP]
    assert len(requests_of(session)) == 1
    # And the reply's job reports both, so the first one's quote is sent with it at once
    # rather than when the sweeper finds it unsent
    assert [o.inbound_id for o in outcomes] == ids
    queued = session.scalars(sa.select(OutboundMessage.id)).all()
    assert sorted(i for o in outcomes for i in o.outbound_ids) == sorted(queued)
    assert queued


def test_a_bounce_of_our_message_is_attached_and_flags_the_address(session, settings, clients):
    deliver(session, settings, message())
    [request] = requests_of(session)
    session.add(
        OutboundMessage(
            message_id="20261101101500.abc123@agency.example",
            request_id=request.id,
            kind="quote",
            recipients=["alice@acme.example"],
            subject="x",
            raw=b"",
        )
    )
    session.flush()
    outcome = deliver(session, settings, bounce("20261101101500.abc123@agency.example"))
    assert outcome.filing is Filing.MACHINE and outcome.request_ref == "REQ-1001"
    assert session.scalar(sa.select(sa.func.count()).select_from(AddressFlag)) >= 1
    assert [e.kind for e in request.events][-1] == "bounce"


def test_a_bounce_naming_an_address_too_long_to_exist_flags_nothing(session, settings, clients):
    # When a bounce reports a failed recipient longer than any real address
    outcome = deliver(session, settings, bounce("x@agency.example", recipient=f"{'r' * 400}@a.b"))
    # Then it is recorded as machine mail, and no address is flagged
    assert outcome.filing is Filing.MACHINE
    assert session.scalar(sa.select(sa.func.count()).select_from(AddressFlag)) == 0


def test_a_bounce_of_a_notice_to_a_staff_mailbox_that_is_gone_sends_no_new_notice(
    session, settings, clients
):
    # Given a new request, whose notice went to Dana, whose mailbox no longer exists
    first = deliver(session, settings, message())
    [notice] = [
        m
        for m in session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.id.in_(first.outbound_ids))
        )
        if m.recipients == ["dana@agency.example"]
    ]
    bounced_id = notice.message_id
    for n in range(3):
        # When the notice bounces (and, were intake to answer, each answer would too)
        raw = bounce(bounced_id, "dana@agency.example").replace(
            b"bounce-1@", f"bounce-{n}@".encode()
        )
        outcome = deliver(session, settings, raw)
        # Then the bounce is kept on the request, and nothing is sent: no mail loop
        assert outcome.filing is Filing.MACHINE and outcome.request_ref == "REQ-1001"
        assert outcome.outbound_ids == ()
    [request] = requests_of(session)
    assert [e.kind for e in request.events].count("bounce") == 3


def test_no_machine_mail_of_the_fixtures_is_answered(session, settings, clients):
    # Given every fixture the manifest calls machine mail (bounces, auto-replies, abuse
    # reports, bulk services' notices, list servers' errors), When each is filed
    from tests.mail.test_fixtures import ENTRIES

    machines = [e["file"] for e in ENTRIES if e.get("machine")]
    assert len(machines) >= 35
    for name in machines:
        outcome = deliver(session, settings, mail_fixture(name))
        # Then it is machine mail, and nothing is sent to anyone but staff
        assert outcome.filing is Filing.MACHINE, (name, outcome.reason)
        for sent in outcome.outbound:
            assert set(sent.recipients) <= {"dana@agency.example"}, name


def test_a_message_id_with_a_hash_in_it_is_not_taken_for_a_reused_one(session, settings, clients):
    outcome = deliver(session, settings, message(message_id="ticket#42@acme.example"))
    assert outcome.filing is Filing.REQUEST and outcome.reason is None


def test_each_mailbox_holds_unread_what_is_over_its_own_size_limit(make_settings, db_url, session):
    # Given two mailboxes, the second taking messages of at most 2,000 bytes
    def box(address: str, user: str, limit: int) -> dict[str, object]:
        imap = {"host": "imap.example", "username": user, "max_message_bytes": limit}
        return {"address": address, "imap": imap, "smtp": {"host": "smtp.example"}}

    settings = make_settings(
        database_url=db_url,
        mailbox=[
            box("support@agency.example", "support", 1_000_000),
            box("help@brand.example", "help", 2_000),
        ],
    )
    add_example_clients(session)
    roomy, strict = settings.mailboxes
    body = "The export fails.\n" + "Log line.\n" * 300
    raws = [message(body=body, message_id=f"{n}@acme.example") for n in ("a", "b")]
    assert all(2_000 < len(raw) < 1_000_000 for raw in raws)
    # When a message of 3 kB comes in on each
    first = store_raw(session, roomy.imap.mailbox_name, 1, [Fetched(1, raws[0])])
    second = store_raw(session, strict.imap.mailbox_name, 1, [Fetched(1, raws[1])])
    [filed] = file_batch(session, settings, first)
    [held] = file_batch(session, settings, second)
    # Then the first mailbox files it as a request; the second holds it unread, saying why
    assert filed.filing is Filing.REQUEST
    assert held.filing is Filing.HELD
    stored = session.get(InboundMessage, second[0])
    assert "over imap.max_message_bytes" in (stored.reason or "")
