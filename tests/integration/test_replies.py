"""Quotes and replies end to end: mail into Dovecot, `run --once`, replies at an aiosmtpd
sink on real sockets, stored in the outbox with the change that caused them."""

from __future__ import annotations

import email
import threading
import time
from datetime import UTC, datetime
from email.policy import default

import pytest
import sqlalchemy as sa

from intake.db import transaction
from intake.mail.models import Filing, InboundMessage
from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.models import Request
from intake.requests.states import Status
from intake.views.status import status_report
from tests.integration.test_poller import factory as factory
from tests.integration.test_poller import imap_of, smtp_of
from tests.mailbuilder import bounce, message
from workers import runner


@pytest.fixture
def settings_for(make_settings, db_url, dovecot, smtp_sink):
    def make(**overrides):
        return make_settings(
            database_url=db_url, imap=imap_of(dovecot), smtp=smtp_of(smtp_sink), **overrides
        )

    return make


def parsed(sink) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(m.raw, policy=default) for m in sink.messages]


def by_recipient(sink, address):
    return [m for m in parsed(sink) if address in m["To"]]


def outbox(factory) -> list[OutboundMessage]:
    with transaction(factory) as session:
        return list(session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)))


def test_a_feature_without_a_plan_gets_a_quote_that_asks_for_approval(
    dovecot, smtp_sink, settings_for, factory
):
    # Given Zed (no plan, $150/h, purchase orders required) asks for new work
    dovecot.append(
        message(
            sender="zoe@zed.example",
            name="Zoe Weber",
            message_id="zoe-1@zed.example",
            subject="Could you add CSV export of orders?",
            body="Hi,\n\ncould you add a CSV export of all orders to the admin?\n\nZoe\n",
        )
    )
    # When intake runs once
    runner.run_once(settings_for(), timeout=60)
    # Then the request waits for approval with a priced quote
    with transaction(factory) as session:
        request = session.scalar(sa.select(Request))
        quote = session.scalar(sa.select(Quote))
        assert (request.type.value, request.status) == ("feature", Status.QUOTED)
        assert quote.status == "pending" and quote.amount == quote.hours * 150
        assert quote.amount > 0 and quote.start_by is not None and quote.complete_by is not None
        token = quote.token
    # And Zoe's reply threads in her mail program, from the support address
    [reply] = by_recipient(smtp_sink, "zoe@zed.example")
    assert reply["Subject"].startswith("[REQ-1001] Could you add CSV export of orders?")
    assert reply["In-Reply-To"] == "<zoe-1@zed.example>"
    assert "<zoe-1@zed.example>" in reply["References"]
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["Reply-To"] == f"support+{token}@agency.example"
    assert "support@agency.example" in reply["From"]
    [ours] = [m for m in outbox(factory) if m.kind == "quote"]
    assert reply["Message-ID"] == f"<{ours.message_id}>" and ours.state == "sent"
    # As a text and HTML pair that says the price and how to approve, with the PO
    text = reply.get_body(("plain",)).get_content()
    html = reply.get_body(("html",)).get_content()
    assert f"${quote.amount:,.2f}" in text and f"${quote.amount:,.2f}" in html
    assert 'reply to this email with "approved"' in text and "purchase-order number" in text
    # And staff hear of it at the same moment, with the classification and its reasons
    [notice] = by_recipient(smtp_sink, "dana@agency.example")
    body = notice.get_body(("plain",)).get_content()
    assert "[REQ-1001]" in notice["Subject"] and "feature" in body and "% sure:" in body
    assert "could you add a CSV export" in body


def test_a_bug_under_a_plan_costs_nothing_and_starts_at_once(
    dovecot, smtp_sink, settings_for, factory
):
    dovecot.append(message(subject="Checkout returns error 500 for all users"))
    runner.run_once(settings_for(), timeout=60)
    with transaction(factory) as session:
        assert session.scalar(sa.select(Request.status)) is Status.APPROVED
    [reply] = by_recipient(smtp_sink, "alice@acme.example")
    assert "no charge" in reply["Subject"]
    assert "$0.00" in reply.get_body(("plain",)).get_content()


def test_strangers_and_machines_get_nothing_staff_are_told(
    dovecot, smtp_sink, settings_for, factory
):
    dovecot.append(message(sender="someone@gmail.com", subject="Partnership"))
    dovecot.append(message(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}))
    dovecot.append(message(subject="News", headers={"List-Id": "<news.example.org>"}))
    runner.run_once(settings_for(), timeout=60)
    recipients = [m["To"] for m in parsed(smtp_sink)]
    assert recipients == ["dana@agency.example"]
    [notice] = parsed(smtp_sink)
    assert "Held for triage" in notice["Subject"]
    assert "unknown sender someone@gmail.com" in notice.get_body(("plain",)).get_content()


def test_our_own_reply_coming_back_is_not_answered(dovecot, smtp_sink, settings_for, factory):
    dovecot.append(message(subject="Checkout broken"))
    settings = settings_for()
    runner.run_once(settings, timeout=60)
    sent = len(smtp_sink.messages)
    # A forwarding rule drops our reply back into the support mailbox
    for copy in smtp_sink.messages:
        dovecot.append(copy.raw)
    runner.run_once(settings, timeout=60)
    assert len(smtp_sink.messages) == sent
    with transaction(factory) as session:
        filings = session.scalars(sa.select(InboundMessage.filing).order_by(InboundMessage.id))
        assert list(filings)[1:] == [Filing.MACHINE] * sent


def test_a_bounce_of_our_reply_tells_staff(dovecot, smtp_sink, settings_for, factory):
    dovecot.append(message(subject="Checkout broken"))
    settings = settings_for()
    runner.run_once(settings, timeout=60)
    [quote] = [m for m in outbox(factory) if m.kind == "no_charge"]
    smtp_sink.clear()
    dovecot.append(bounce(quote.message_id))
    runner.run_once(settings, timeout=60)
    [notice] = parsed(smtp_sink)
    assert notice["To"] == "dana@agency.example" and "bounced" in notice["Subject"]
    assert "5.1.1" in notice.get_body(("plain",)).get_content()


def test_automatic_replies_to_one_address_are_rate_limited(
    dovecot, smtp_sink, settings_for, factory
):
    dovecot.append_many([message(subject=f"Broken thing {n}") for n in range(4)])
    runner.run_once(settings_for(replies={"max_automatic_per_hour": 2}), timeout=60)
    assert len(by_recipient(smtp_sink, "alice@acme.example")) == 2
    # Staff hear of the address once an hour, not once for each reply held back
    held_back = [m for m in parsed(smtp_sink) if "held back" in m["Subject"]]
    assert len(held_back) == 1 and held_back[0]["To"] == "dana@agency.example"


def test_an_smtp_outage_delays_replies_and_loses_none(dovecot, smtp_sink, settings_for, factory):
    # Given the SMTP server answers "try again later" to everything
    smtp_sink.refusing = True
    settings = settings_for(sweeper={"interval": 0.5, "stale_after": 0.5})
    stop = threading.Event()
    service = threading.Thread(target=runner.run, args=(settings, stop))
    service.start()
    try:
        dovecot.append_many([message(subject=f"Outage {n}") for n in range(3)])
        # The replies are stored, and tries to send them are deferred, not lost
        _wait(
            lambda: len(outbox(factory)) == 6 and any(m.last_error for m in outbox(factory)),
            timeout=60,
            state=lambda: _state(factory),
        )
        time.sleep(1.0)
        assert smtp_sink.messages == [] and {m.state for m in outbox(factory)} == {"pending"}
        assert all("451" in m.last_error for m in outbox(factory) if m.last_error)
        # and `intake status` reports the outage while the service goes on
        with transaction(factory) as session:
            report = status_report(session)["outbox"]
        assert "451" in report["sending_error"] and report["failing_since"] is not None
        # When it recovers
        smtp_sink.refusing = False
        # Then every reply goes out, once
        # (the backoff after a few deferrals is up to 30 s)
        _wait(
            lambda: {m.state for m in outbox(factory)} == {"sent"},
            timeout=90,
            state=lambda: _state(factory),
        )
    finally:
        stop.set()
        service.join(timeout=30)
    ids = [m["Message-ID"] for m in parsed(smtp_sink)]
    assert len(ids) == 6 and len(set(ids)) == 6


def _wait(condition, timeout: float = 20, state=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out; {state()}"
        time.sleep(0.1)


def _state(factory) -> str:
    """What the database holds, for a test that timed out."""
    with transaction(factory) as session:
        inbound = session.execute(
            sa.select(InboundMessage.id, InboundMessage.filing, InboundMessage.attempts)
        ).all()
    mail = [(m.id, m.kind, m.state, m.attempts, m.next_attempt_at) for m in outbox(factory)]
    return f"inbound {inbound}; outbox {mail}"


DMARC_PASS = "mx.agency.example; dmarc=pass (p=none) header.from=zed.example"


def test_a_client_approves_by_replying_to_the_quote(dovecot, smtp_sink, settings_for, factory):
    # Given Zoe's quote has arrived in her mailbox
    dovecot.append(
        message(
            sender="zoe@zed.example",
            name="Zoe Weber",
            message_id="z@zed.example",
            subject="Could you add CSV export of orders?",
            body="Could you add a CSV export of all orders?\n",
        )
    )
    settings = settings_for()
    runner.run_once(settings, timeout=60)
    [quote] = by_recipient(smtp_sink, "zoe@zed.example")
    quote_text = quote.get_body(("plain",)).get_content()
    smtp_sink.clear()
    # When she replies to it from her mail program, authenticated by our mail server
    answer = message(
        sender="zoe@zed.example",
        name="Zoe Weber",
        to=quote["Reply-To"],
        subject="Re: " + quote["Subject"],
        in_reply_to=quote["Message-ID"].strip("<>"),
        body="Approved, PO 7781\n\nZoe\n\n"
        + "".join(f"> {line}\n" for line in quote_text.splitlines()),
        headers={"Authentication-Results": DMARC_PASS},
        date=datetime.now(UTC),  # after the quote it answers
    )
    dovecot.append(answer)
    runner.run_once(settings, timeout=60)
    # Then the work is approved and she is told so in the same thread
    with transaction(factory) as session:
        assert session.scalar(sa.select(Request.status)) is Status.APPROVED
        assert session.scalar(sa.select(Quote.po)) == "7781"
    [confirmed] = by_recipient(smtp_sink, "zoe@zed.example")
    assert confirmed["Subject"].startswith("[REQ-1001] Approved")
    assert "7781" in confirmed.get_body(("plain",)).get_content()
    [notice] = by_recipient(smtp_sink, "dana@agency.example")
    assert "Approved" in notice["Subject"]
