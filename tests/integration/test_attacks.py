"""Attacks on the paths from an email to money, through a real Dovecot and an aiosmtpd sink:
a yes that is not bound to the quote it would approve, a replayed approval, a message with
two authors, a forged authentication result, a staff reply that says more than its
commands. Each is refused or held for staff with the reason; nothing is approved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from intake.db import transaction
from intake.mail.models import Filing, InboundMessage
from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.states import Status
from tests.integration.test_conversations import (
    DANA,
    NAMES,
    OUR_SERVER,
    ZOE,
    Conversation,
    dmarc,
    reply_to,
    talk,
    text,
)
from tests.integration.test_poller import factory as factory
from tests.integration.test_replies import settings_for as settings_for
from tests.mailbuilder import message

__all__ = ["factory", "settings_for", "talk"]  # fixtures, used by name

SUPPORT = "support@agency.example"


def out_of_thread(sender: str, subject: str, body: str, **extra) -> bytes:
    """A new message (no In-Reply-To, no References) to the plain support address, with our
    server's DMARC pass for the sender, written now."""
    extra.setdefault("headers", {"Authentication-Results": dmarc("pass", sender)})
    extra.setdefault("date", datetime.now(UTC))
    return message(
        sender=sender, name=NAMES[sender], to=SUPPORT, subject=subject, body=body, **extra
    )


def quote_sent_at(talk: Conversation) -> datetime:
    with transaction(talk.factory) as session:
        created = session.scalar(sa.select(Quote.created_at).order_by(Quote.version.desc()))
        assert created is not None
        return created


# ---- approvals are bound to the quote they answer ------------------------------------------


@pytest.mark.parametrize("required", [True, False])
def test_a_yes_naming_the_request_only_in_its_subject_approves_nothing(
    dovecot, smtp_sink, settings_for, factory, required
):
    talk = Conversation(
        dovecot, smtp_sink, settings_for(authentication={"required": required}), factory
    )
    # Given Zoe has a quote waiting
    quote = talk.ask()
    subject = "Re: " + str(quote["Subject"])
    # When a message from Zoe names REQ-1001 in its subject but answers no email of ours
    # and was sent to no quote's address
    talk.send(out_of_thread(ZOE, subject, "Approved, PO 7781\n\nZoe"))
    # Then nothing is approved: staff see it as a comment, and Zoe gets the current quote
    # back, asking her to answer that email
    seen = talk.state()
    assert (seen.status, seen.quote.status, seen.quote.approved_by) == (
        Status.QUOTED,
        "pending",
        None,
    )
    again = talk.one(ZOE)
    assert again["Reply-To"] == quote["Reply-To"]
    assert "reply to this email" in text(again)
    assert "comment" in seen.kinds
    assert talk.one(DANA)["Subject"].startswith("[REQ-1001]")
    # When she writes the same way again
    talk.send(out_of_thread(ZOE, subject, "Yes, approved. PO 7781\n\nZoe"))
    # Then staff see it, the quote is not sent to her a second time, and still nothing is approved
    assert talk.to(ZOE) == []
    assert talk.one(DANA)["Subject"].startswith("[REQ-1001]")
    assert (talk.state().status, talk.state().quote.status) == (Status.QUOTED, "pending")


def test_an_approval_dated_before_its_quote_was_sent_approves_nothing(talk):
    # Given Zoe's quote, sent now
    quote = talk.ask()
    sent = quote_sent_at(talk)
    # When an "Approved" in the quote's thread, dated a day before the quote existed, arrives
    # (an old approval replayed against the quote that replaced the one it answered)
    talk.send(reply_to(quote, ZOE, "Approved, PO 7781\n\nZoe", date=sent - timedelta(days=1)))
    # Then nothing is approved and staff are told why
    seen = talk.state()
    assert (seen.status, seen.quote.status) == (Status.QUOTED, "pending")
    assert seen.kinds[-1] == "held"
    notice = talk.one(DANA)
    assert notice["Subject"].startswith("[REQ-1001] Reply held")
    assert "dated before the quote" in text(notice)
    assert talk.to(ZOE) == []


@pytest.mark.parametrize("twice", ["From", "Message-ID"])
def test_a_message_with_two_authors_or_two_ids_is_held(talk, twice):
    # Given Zoe's quote
    quote = talk.ask()
    # When an approval in its thread carries a second From (or Message-ID) header
    raw = reply_to(quote, ZOE, "Approved, PO 7781\n\nZoe")
    extra = {
        "From": "Mallory <mallory@elsewhere.example>",
        "Message-ID": "<second@elsewhere.example>",
    }[twice]
    raw = f"{twice}: {extra}\r\n".encode() + raw
    talk.send(raw)
    # Then nothing is approved, and staff are told why
    seen = talk.state()
    assert (seen.status, seen.quote.status) == (Status.QUOTED, "pending")
    notice = talk.one(DANA)
    assert f"two {twice} headers" in text(notice)
    assert talk.to(ZOE) == []


@pytest.mark.parametrize(
    ("results", "why"),
    [
        # DMARC passed, but for a From domain other than the one intake reads
        (f"{OUR_SERVER}; dmarc=pass header.from=elsewhere.example", "header.from"),
        # DMARC passed with no word of which From it checked
        (f"{OUR_SERVER}; dmarc=pass", "header.from"),
        # Two DMARC results in our server's header: the failing one wins
        (
            f"{OUR_SERVER}; dmarc=pass header.from=zed.example; dmarc=fail header.from=zed.example",
            "dmarc=fail",
        ),
    ],
)
def test_an_authentication_result_that_does_not_vouch_for_this_from_approves_nothing(
    talk, results, why
):
    quote = talk.ask()
    talk.send(reply_to(quote, ZOE, "Approved, PO 7781\n\nZoe", auth=results))
    seen = talk.state()
    assert (seen.status, seen.quote.status) == (Status.QUOTED, "pending")
    notice = talk.one(DANA)
    assert notice["Subject"].startswith("[REQ-1001] Reply held")
    assert why in text(notice)


def test_a_display_name_that_looks_like_an_address_is_a_display_name(talk):
    # Given Zoe's quote
    quote = talk.ask()
    # When Mallory answers it under a display name, encoded, that reads "zoe@zed.example",
    # with our server's DMARC pass for her own domain
    raw = reply_to(quote, ZOE, "Approved, PO 7781\n\nZoe", auth=False)
    forged = raw.replace(
        b"From: Zoe Weber <zoe@zed.example>",
        b"From: =?utf-8?q?zoe=40zed=2Eexample?= <mallory@elsewhere.example>",
    )
    assert forged != raw
    header = dmarc("pass", "mallory@elsewhere.example")
    talk.send(f"Authentication-Results: {header}\r\n".encode() + forged)
    # Then nothing is approved: the sender is Mallory, a stranger in the thread
    seen = talk.state()
    assert (seen.status, seen.quote.status) == (Status.QUOTED, "pending")
    assert talk.to(ZOE) == [] and talk.to("mallory@elsewhere.example") == []


# ---- staff replies say only what their commands say -----------------------------------------


def test_a_hash_line_that_is_no_command_applies_nothing_and_relays_nothing(talk):
    # Given Zoe's request is quoted
    talk.ask()
    notice = talk.one(DANA)
    # When Dana answers with a line that looks like a command but is none, beside a real one
    receipt = talk.staff(notice, "#todo dana", "#quote 8h", "We will look at this today.")
    # Then nothing is applied, nothing reaches Zoe, and the receipt names the line
    assert receipt["Subject"].startswith("[REQ-1001] Nothing applied")
    assert "#todo dana" in text(receipt)
    assert talk.to(ZOE) == []
    seen = talk.state()
    assert [q.version for q in seen.quotes] == [1]


# ---- loops and floods are bounded -------------------------------------------------------------


def test_a_flooding_address_is_reported_to_staff_once_an_hour(talk):
    # Given Zoe's address is allowed five automatic replies an hour
    limit = talk.settings.replies.max_automatic_per_hour
    # When eight new requests come from her in one run
    for n in range(limit + 3):
        talk.dovecot.append(
            out_of_thread(ZOE, f"Question {n} about the export", f"How do I export view {n}?")
        )
    talk.send(out_of_thread(ZOE, "Question about the export", "How do I export the list?"))
    # Then she gets at most the cap, and staff are told of the flood once, not once a message
    assert len(talk.to(ZOE)) == limit
    held_back = [m for m in talk.to(DANA) if "held back" in str(m["Subject"])]
    assert len(held_back) == 1
    # When more come within the hour
    talk.send(out_of_thread(ZOE, "One more question", "And the PDF?"))
    # Then she gets nothing more and staff are not told again
    assert talk.to(ZOE) == []
    assert not [m for m in talk.to(DANA) if "held back" in str(m["Subject"])]


def test_a_subject_too_long_for_a_header_line_still_reaches_staff(talk):
    # When a stranger writes with a 1,200-letter subject and a Message-ID as long
    subject = "x" * 1200
    talk.send(
        message(
            sender="mallory@elsewhere.example",
            name="Mallory",
            subject=subject,
            message_id=f"{'y' * 1200}@elsewhere.example",
        )
    )
    # Then the message is held and staff hear of it, with the subject whole
    [notice] = talk.to(DANA)
    assert subject in str(notice["Subject"])
    assert talk.to("mallory@elsewhere.example") == []


def emails_to(talk: Conversation, address: str) -> int:
    """Every email intake has queued for ``address`` (all within this test's hour)."""
    with transaction(talk.factory) as session:
        rows = session.scalars(sa.select(OutboundMessage.recipients)).all()
    return sum(1 for recipients in rows if address in recipients)


def test_answers_to_a_replaced_quote_get_the_current_one_back_at_most_up_to_the_cap(talk):
    # Given Zoe's quote v1, replaced by Dana's v2
    first = talk.ask()
    talk.staff(talk.one(DANA), "#quote 8h")
    limit = talk.settings.replies.max_automatic_per_hour
    # When a mail program answers the old quote email again and again
    for n in range(limit + 5):
        talk.dovecot.append(reply_to(first, ZOE, f"Approved, PO 7781 ({n})"))
    talk.send(reply_to(first, ZOE, "Approved, PO 7781"))
    # Then Zoe gets at most the cap from intake this hour, and nothing is approved
    assert emails_to(talk, ZOE) == limit
    assert (talk.state().status, talk.state().quote.status) == (Status.QUOTED, "pending")


def test_a_staff_out_of_office_answering_a_receipt_is_not_a_staff_reply(talk):
    # Given Dana got a receipt for her note on Zoe's request
    talk.ask()
    receipt = talk.staff(talk.one(DANA), "#note looking at it", "We are on it.")
    assert talk.one(ZOE)  # her words went to Zoe
    # When her out-of-office (no Auto-Submitted header) answers the receipt
    auto = reply_to(receipt, DANA, "I am out of the office until Monday.")
    auto = auto.replace(b"Subject: Re: ", b"Subject: Automatic reply: ", 1)
    talk.send(auto)
    # Then nothing reaches Zoe and no receipt goes back to Dana: it is machine mail
    assert talk.to(ZOE) == [] and talk.to(DANA) == []
    with transaction(talk.factory) as session:
        last = session.scalars(sa.select(InboundMessage).order_by(InboundMessage.id.desc())).first()
        assert last is not None and last.filing is Filing.MACHINE


def test_the_same_staff_words_reach_the_client_once_a_day(talk):
    # Given Dana's words went to Zoe
    talk.ask()
    notice = talk.one(DANA)
    talk.staff(notice, "We are on it and will write again tomorrow.")
    assert talk.one(ZOE)
    # When the same words come again from Dana (a resend, an autoresponder that copies them)
    receipt = talk.staff(notice, "We are on it and will write again tomorrow.")
    # Then Zoe does not get them twice, and Dana's receipt says so
    assert talk.to(ZOE) == []
    assert "not sent again" in text(receipt)


def test_commands_in_a_forwarded_message_are_not_dana_s(talk):
    # Given Zoe's request is quoted
    talk.ask()
    notice = talk.one(DANA)
    # When Dana forwards Zoe's own email, which has a line "#approve PO-1", with a note
    forwarded = (
        "See below, I will look at it.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Zoe Weber <zoe@zed.example>\n"
        "Date: Mon, 2 Nov 2026 at 10:15\n"
        "Subject: Could you add CSV export of orders?\n\n"
        "#approve PO-1\n"
    )
    receipt = talk.staff(notice, forwarded)
    # Then the forwarded line is not a command of Dana's
    assert (talk.state().status, talk.state().quote.status) == (Status.QUOTED, "pending")
    assert "approve" not in text(receipt).split("Applied to")[-1].split("Status now")[0]


@pytest.mark.parametrize(
    "hidden",
    [
        '<div style="display:none">#approve PO-1</div>',
        '<p style="color:#ffffff">#approve PO-1</p>',
        '<span style="font-size:0">#approve PO-1</span>',
        "<p hidden>#approve PO-1</p>",
        "<template><p>#approve PO-1</p></template>",
    ],
)
def test_a_command_hidden_in_html_is_not_read(talk, hidden):
    # Given Zoe's request is quoted
    talk.ask()
    notice = talk.one(DANA)
    # When an HTML-only reply from Dana carries "#approve" where no reader sees it
    raw = reply_to(notice, DANA, "placeholder")
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].split(b"\n")
    kept = [
        line
        for line in head
        if not line.lower().startswith((b"content-type", b"content-transfer-encoding", b"mime"))
    ]
    html = f"<html><body><p>Looking at it now.</p>{hidden}</body></html>"
    talk.send(
        b"\r\n".join(kept)
        + b"\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + html.encode()
    )
    # Then nothing is approved, and only the words Dana could see reach Zoe
    assert (talk.state().status, talk.state().quote.status) == (Status.QUOTED, "pending")
    relayed = text(talk.one(ZOE))
    assert "Looking at it now." in relayed and "#approve" not in relayed


def test_without_authentication_a_staff_command_must_answer_an_email_sent_to_staff(
    dovecot, smtp_sink, settings_for, factory
):
    talk = Conversation(
        dovecot, smtp_sink, settings_for(authentication={"required": False}), factory
    )
    # Given Zoe's request is quoted, and Dana has its notice
    talk.ask()
    notice = talk.one(DANA)
    # When a message claiming Dana's From, in no thread of hers, approves it by the subject
    talk.send(out_of_thread(DANA, "Re: [REQ-1001] Could you add CSV export?", "#approve PO-1"))
    # Then nothing is applied, and staff are told why
    assert (talk.state().status, talk.state().quote.status) == (Status.QUOTED, "pending")
    assert "answers no email intake sent" in text(talk.one(DANA))
    assert talk.to(ZOE) == []
    # When Dana answers the notice she was sent
    receipt = talk.staff(notice, "#approve PO-1")
    # Then it is applied
    assert receipt["Subject"].startswith("[REQ-1001] Done")
    assert talk.state().quote.status == "approved"


# ---- included hours need someone who may commit them ----------------------------------------

ALICE = "alice@acme.example"  # Acme, Professional plan (included hours), may approve
CHECKOUT = ("Checkout is broken", "The checkout returns error 500 since this morning.\n")


def test_unauthenticated_mail_never_starts_work_on_included_hours(talk):
    # When mail "from Alice" that our server did not authenticate asks Acme for a bug fix
    talk.send(
        message(sender=ALICE, name="Alice Smith", subject=CHECKOUT[0], body=CHECKOUT[1], headers={})
    )
    # Then no work starts: the request is held for staff with the reason, Alice gets nothing
    seen = talk.state()
    assert seen.status is Status.HELD and seen.quote.status == "pending"
    assert talk.to(ALICE) == []
    notice = talk.one(DANA)
    assert "could not be authenticated" in text(notice)
    # When Dana approves it
    receipt = talk.staff(notice, "#approve")
    # Then the work starts on Acme's included hours
    assert receipt["Subject"].startswith("[REQ-1001] Done")
    assert (talk.state().status, talk.state().quote.status) == (Status.APPROVED, "approved")


def test_a_new_contact_s_request_waits_before_it_uses_included_hours(talk):
    # When someone new at Acme's domain, authenticated, asks for a bug fix
    newcomer = "newcomer@acme.example"
    talk.send(message(sender=newcomer, name="New Comer", subject=CHECKOUT[0], body=CHECKOUT[1]))
    # Then the work waits for staff (or an approving contact): held with the reason
    seen = talk.state()
    assert seen.status is Status.HELD and seen.quote.status == "pending"
    assert "may not approve" in text(talk.one(DANA))
    assert talk.to(newcomer) == []


def test_an_authenticated_contact_who_may_approve_starts_work_at_once(talk):
    talk.send(message(sender=ALICE, name="Alice Smith", subject=CHECKOUT[0], body=CHECKOUT[1]))
    seen = talk.state()
    assert seen.status is Status.APPROVED and seen.quote.status == "included"
    assert talk.one(ALICE)["Subject"].startswith("[REQ-1001]")


# ---- size ------------------------------------------------------------------------------------


def test_a_message_over_the_size_limit_is_stored_as_it_came_and_held_unread(
    dovecot, smtp_sink, settings_for, factory
):
    limit = 200_000
    settings = settings_for()
    settings = settings.model_copy(
        update={"imap": settings.imap.model_copy(update={"max_message_bytes": limit})}
    )
    talk = Conversation(dovecot, smtp_sink, settings, factory)
    # When Alice sends a request with an attachment that takes it over imap.max_message_bytes
    raw = message(
        sender=ALICE,
        name="Alice Smith",
        subject="Logs attached",
        body="#approve\nThe logs are attached.\n",
        attachments=[("logs.txt", "text/plain", b"log line\n" * 40_000)],
    )
    assert len(raw) > limit
    talk.send(raw)
    # Then it is stored byte for byte, held unread with the reason, and staff are told
    with transaction(talk.factory) as session:
        [stored] = session.scalars(sa.select(InboundMessage)).all()
        assert stored.raw == raw and stored.filing is Filing.HELD
        assert "imap.max_message_bytes" in (stored.reason or "") and stored.text == ""
        assert stored.subject == "Logs attached" and stored.from_address == ALICE
    assert talk.state().status is Status.HELD
    assert "max_message_bytes" in text(talk.one(DANA)) and talk.to(ALICE) == []


# ---- work opened for a client by staff is vouched for ----------------------------------------


@pytest.mark.parametrize(
    "forged",
    [
        {},  # no result at all
        {"Authentication-Results": dmarc("fail", DANA)},  # our server says it failed
        {"Authentication-Results": dmarc("pass", DANA, authserv="mx.attacker.example")},
    ],
)
def test_a_forged_staff_open_opens_nothing_and_writes_to_no_client(talk, forged):
    # Given a message that claims to be Dana's, opening work for Zed on its included hours
    raw = out_of_thread(
        DANA, "Urgent", "#open zed Rebuild the shop\nZoe asked by phone.", headers=forged
    )
    # When it arrives
    talk.send(raw)
    # Then it is held for staff with the reason, and Zoe hears nothing
    assert talk.to(ZOE) == []
    with transaction(talk.factory) as session:
        stored = session.scalars(sa.select(InboundMessage)).one()
    assert stored.filing is Filing.HELD and "staff #open not applied" in stored.reason
    assert talk.state().status is Status.HELD


def test_a_staff_open_our_server_vouches_for_answers_the_client(talk):
    talk.send(out_of_thread(DANA, "Call", "#open zed Rebuild the shop\nZoe asked by phone."))
    assert talk.state().client == "zed" and talk.state().status is not Status.HELD
    assert len(talk.to(ZOE)) == 1
