"""Delivering the outbox to a real aiosmtpd server: each email on its own, so one that can
never go does not hold back the others."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from intake.db import transaction
from intake.outbox import delivery
from intake.outbox.models import OutboundMessage
from intake.requests.models import Request
from tests.factories import add_example_clients, work
from tests.mailbuilder import message
from tests.servers.smtp import SmtpSink

JOSE = "josé@acme.example"


def queue(factory, *recipients: str, senders: tuple[str, ...] = ()) -> list[int]:
    """One email to each recipient, From the sender at the same place in ``senders`` (else
    Alice, as the tests of one mailbox do not look)."""
    with transaction(factory) as session:
        rows = [
            OutboundMessage(
                message_id=f"m{n}@agency.example",
                kind="staff_held",
                recipients=[to],
                subject=f"M{n}",
                raw=message(
                    subject=f"M{n}",
                    message_id=f"m{n}@agency.example",
                    **({"sender": senders[n]} if senders else {}),
                ),
            )
            for n, to in enumerate(recipients)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def states(factory) -> list[tuple[str, str | None]]:
    with transaction(factory) as session:
        rows = session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id))
        return [(row.state, row.last_error) for row in rows]


@pytest.fixture
def sink_for(request):
    sinks: list[SmtpSink] = []

    def start(**options) -> SmtpSink:
        sinks.append(SmtpSink(**options).start())
        return sinks[-1]

    yield start
    for sink in sinks:
        sink.stop()


def test_a_non_ascii_address_goes_with_smtputf8(factory, make_settings, sink_for):
    # Given a server that offers SMTPUTF8, as today's servers do
    sink = sink_for()
    settings = make_settings(smtp={"host": sink.host, "port": sink.port, "security": "none"})
    ids = queue(factory, "alice@acme.example", JOSE)
    # When the outbox is delivered
    result = delivery.deliver(factory, settings, ids)
    # Then both went, José's address as he wrote it
    assert result.sent == ids and states(factory) == [("sent", None), ("sent", None)]
    assert [m.rcpt_tos for m in sink.messages] == [["alice@acme.example"], [JOSE]]


def test_an_email_that_can_never_go_fails_alone_and_the_rest_are_sent(
    factory, make_settings, sink_for
):
    # Given a server that takes ASCII addresses only, and José's email between two others
    sink = sink_for(smtputf8=False)
    settings = make_settings(smtp={"host": sink.host, "port": sink.port, "security": "none"})
    ids = queue(factory, "alice@acme.example", JOSE, "bob@acme.example")
    # When the outbox is delivered
    result = delivery.deliver(factory, settings, ids)
    # Then José's fails for good, saying why, and the others are sent
    assert result.failed == [ids[1]] and result.sent == [ids[0], ids[2]]
    [first, jose, last] = states(factory)
    assert first == ("sent", None) and last == ("sent", None)
    assert jose[0] == "failed" and "SMTPUTF8" in (jose[1] or "")
    assert [m.rcpt_tos for m in sink.messages] == [["alice@acme.example"], ["bob@acme.example"]]


FULL = "452 4.2.2 Mailbox full"


def pending(factory) -> list[tuple[int, str | None, bool]]:
    """Each pending email's attempts, last error and whether it is held back for later."""
    with transaction(factory) as session:
        rows = session.scalars(
            sa.select(OutboundMessage)
            .where(OutboundMessage.state == "pending")
            .order_by(OutboundMessage.id)
        )
        return [(row.attempts, row.last_error, row.next_attempt_at is not None) for row in rows]


def test_a_full_mailbox_holds_back_only_the_email_to_it(factory, make_settings, sink_for):
    # Given Bob's mailbox is full, and his email is queued before Alice's and Carol's
    sink = sink_for()
    sink.refused_recipients = {"bob@zed.example": FULL}
    settings = make_settings(smtp={"host": sink.host, "port": sink.port, "security": "none"})
    ids = queue(factory, "bob@zed.example", "alice@acme.example", "carol@acme.example")
    # When the outbox is delivered
    result = delivery.deliver(factory, settings, ids)
    # Then Alice and Carol get theirs now, and the batch was not cut short
    assert result.sent == ids[1:] and result.deferred is None and result.failed == []
    assert [m.rcpt_tos for m in sink.messages] == [["alice@acme.example"], ["carol@acme.example"]]
    # And Bob's alone waits to be tried again, saying why
    assert result.waiting == [ids[0]]
    [(attempts, error, held_back)] = pending(factory)
    assert attempts == 1 and held_back and error == f"bob@zed.example: {FULL}"


def test_a_server_closing_the_connection_still_holds_back_the_batch(
    factory, make_settings, sink_for
):
    # Given a server that answers the first recipient 421 (it is shutting down)
    sink = sink_for()
    sink.refused_recipients = {"bob@zed.example": "421 4.3.2 Service shutting down"}
    settings = make_settings(smtp={"host": sink.host, "port": sink.port, "security": "none"})
    ids = queue(factory, "bob@zed.example", "alice@acme.example")
    # When the outbox is delivered
    result = delivery.deliver(factory, settings, ids)
    # Then nothing is sent and every email waits, each counted once, for the server
    assert result.sent == [] and result.deferred is not None and "421" in result.deferred
    assert sink.messages == []
    assert [(attempts, held) for attempts, _, held in pending(factory)] == [(1, True), (1, True)]


def test_a_mailbox_whose_server_is_down_holds_back_only_its_own_emails(
    factory, make_settings, sink_for
):
    # Given two mailboxes, the first's SMTP server refusing every message today
    down, up = sink_for(), sink_for()
    down.refusing = True

    def box(address: str, sink: SmtpSink) -> dict[str, object]:
        smtp = {"host": sink.host, "port": sink.port, "security": "none"}
        imap = {"host": "imap.example", "username": address.partition("@")[0]}
        return {"address": address, "imap": imap, "smtp": smtp}

    settings = make_settings(
        mailbox=[box("support@agency.example", down), box("help@brand.example", up)]
    )
    # And emails from each, the first mailbox's first
    senders = ("support@agency.example", "help@brand.example") * 2
    ids = queue(
        factory,
        "a@acme.example",
        "b@acme.example",
        "c@acme.example",
        "d@acme.example",
        senders=senders,
    )
    # When the outbox is delivered
    result = delivery.deliver(factory, settings, ids)
    # Then the second mailbox's go now, through its own server
    assert result.sent == [ids[1], ids[3]]
    assert [m.rcpt_tos for m in up.messages] == [["b@acme.example"], ["d@acme.example"]]
    # And the first's wait for the sweeper, each tried once, saying why
    assert down.messages == [] and result.deferred is not None and "451" in result.deferred
    waiting = pending(factory)
    assert [(attempts, held) for attempts, _, held in waiting] == [(1, True), (1, True)]


def test_an_email_held_back_alone_is_counted_once_when_the_server_then_fails(
    factory, make_settings, sink_for
):
    # Given Bob's mailbox is full, and the server takes no message at all today
    sink = sink_for()
    sink.refused_recipients = {"bob@zed.example": FULL}
    sink.refusing = True
    settings = make_settings(smtp={"host": sink.host, "port": sink.port, "security": "none"})
    ids = queue(factory, "bob@zed.example", "alice@acme.example")
    # When the outbox is delivered
    result = delivery.deliver(factory, settings, ids)
    # Then Bob's waits for his mailbox, Alice's for the server, each tried once
    assert result.waiting == [ids[0]] and result.deferred is not None
    [bob, alice] = pending(factory)
    assert bob == (1, f"bob@zed.example: {FULL}", True)
    assert alice[0] == 1 and "451" in (alice[1] or "") and alice[2]


def test_a_recipient_refused_among_several_is_recorded_and_told_on_the_request(
    factory, make_settings, sink_for
):
    # Given a reply on Acme's request to Bob and Alice, and Bob's mailbox is full
    sink = sink_for()
    sink.refused_recipients = {"bob@acme.example": FULL}
    settings = make_settings(smtp={"host": sink.host, "port": sink.port, "security": "none"})
    with transaction(factory) as session:
        add_example_clients(session)
        request = work(session, "acme", "CSV export", "feature")
        email = OutboundMessage(
            message_id="reply@agency.example",
            kind="reply",
            recipients=["bob@acme.example", "alice@acme.example"],
            subject="Re: CSV export",
            raw=message(subject="Re: CSV export", message_id="reply@agency.example"),
            request_id=request.id,
        )
        session.add(email)
        session.flush()
        ids, request_id = [email.id], request.id
    # When the outbox is delivered
    result = delivery.deliver(factory, settings, ids)
    # Then Alice gets it, and it counts as sent: she never gets it twice
    assert result.sent == ids and result.refused_in_part == ids
    assert [m.rcpt_tos for m in sink.messages] == [["alice@acme.example"]]
    assert delivery.deliver(factory, settings, ids).sent == [] and len(sink.messages) == 1
    # But the email says Bob did not get it, and why
    refusal = f"not delivered to bob@acme.example: {FULL}"
    assert states(factory) == [("sent", refusal)]
    # And the request shows it, as it shows an email refused for everyone
    with transaction(factory) as session:
        events = session.get_one(Request, request_id).events
        [event] = [e for e in events if e.kind == "undeliverable"]
        assert event.detail == f"reply sent to alice@acme.example, but {refusal}"
