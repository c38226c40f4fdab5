"""Filing a staff member's reply in a request's thread: their commands applied, their
words relayed, a receipt to them; held when their mail is not authenticated, or, where
authentication is not required, when it answers no email intake sent them."""

from __future__ import annotations

import dataclasses
import re

import sqlalchemy as sa

from intake import memo
from intake.clients.models import Client, Contact
from intake.clients.senders import Author, Sender
from intake.commands import grammar as g
from intake.commands.service import (
    CommandRefused,
    apply_staff_reply,
    client_named,
    main_contact,
)
from intake.filing.context import FilingContext
from intake.filing.new_requests import hold_new
from intake.filing.outcome import Outcome
from intake.filing.replies import hold_in_thread
from intake.mail.authentication import not_vouched_for
from intake.mail.models import Filing
from intake.mail.newtext import own_words
from intake.outbox.models import OutboundMessage
from intake.quotes.service import quote_new_request
from intake.requests import service as requests
from intake.requests.incoming import Incoming


def _answers_our_email_to(ctx: FilingContext, address: str) -> bool:
    """Whether the message is in the thread of an email intake sent to ``address``."""
    ids = [i for i in (*ctx.mail.in_reply_to, *ctx.mail.references) if i]
    if not ids:
        return False
    sent = ctx.session.scalars(
        sa.select(OutboundMessage.recipients).where(OutboundMessage.message_id.in_(ids))
    )
    return any(address in (r.lower() for r in recipients) for recipients in sent)


def staff_reply(ctx: FilingContext) -> Outcome | None:
    if ctx.sender.author is not Author.STAFF or ctx.request is None:
        return None
    msg = ctx.incoming()
    auth = ctx.settings.authentication
    why = not_vouched_for(ctx.mail, auth)
    if why is not None:
        return hold_in_thread(
            ctx,
            "held",
            f"staff message not authenticated, nothing applied: {why}",
            ("Staff message not authenticated", "no command applied, nothing sent to the client"),
        )
    if not auth.required and not _answers_our_email_to(ctx, ctx.sender.address):
        # Without authentication a From is only a claim: what vouches for staff is that
        # they answer an email intake sent them, which a forger never received.
        return hold_in_thread(
            ctx,
            "held",
            f"staff message answers no email intake sent to {ctx.sender.address}; with"
            " [authentication] required = false only such a reply is read for commands",
            ("Staff message not bound", "no command applied, nothing sent to the client"),
        )
    msg.record("staff_reply")
    sent = apply_staff_reply(msg)
    memo.forget(ctx.session)  # a command may add a contact or close work with hours logged
    return ctx.settle(Filing.FOLLOW_UP, msg.request, outbound=sent)


# The mailbox name of what `intake requests open` stores: no IMAP mailbox is named so (theirs
# are user@host:port/folder), and only the command line writes it.
COMMAND_LINE = "command line"


def staff_opens(ctx: FilingContext) -> Outcome | None:
    """A staff email in no thread that says ``#open <client> [subject]``: a request of that
    client, with the email's other text as what was asked (a phone call, a forward), quoted
    and answered to the client's main contact as if they had written it. Held for triage,
    with the reason, when it cannot be: no such client, a bad command, or mail the agency's
    server does not vouch for."""
    if ctx.sender.author is not Author.STAFF or ctx.request is not None:
        return None
    message = g.parse_staff_message(own_words(ctx.mail.text))
    opens = [c for c in message.commands if isinstance(c, g.Open)]
    if not opens:
        return None
    session, command = ctx.session, opens[0]
    try:
        client, contact = _opened_for(ctx, message, command)
    except CommandRefused as exc:
        return hold_new(ctx, f"staff #open not applied: {exc}")
    request = requests.open_request(
        session,
        client=client,
        contact_email=contact.email,
        subject=command.subject or _unforwarded(ctx.mail.subject),
        inbound=ctx.inbound,
        from_arrival_within=ctx.settings.sla.from_arrival_within,
    )
    asked = Incoming(
        session,
        ctx.settings,
        ctx.inbound,
        dataclasses.replace(ctx.mail, new_text=message.relay_text),
        Sender(Author.CONTACT, contact.email, client, contact),
        request,
    )
    asked.record("note", f"opened for {client.slug} by {ctx.sender.address}", ctx.sender.address)
    return ctx.settle(Filing.REQUEST, request, outbound=quote_new_request(asked, vouched=True))


def _opened_for(
    ctx: FilingContext, message: g.StaffMessage, command: g.Open
) -> tuple[Client, Contact]:
    """The client ``command`` names and the contact its request is answered to. Refused
    unless the agency's server vouches for the email (the command line vouches for itself),
    ``#open`` stands alone in it, and the client has a contact."""
    if ctx.inbound.mailbox != COMMAND_LINE:
        auth = ctx.settings.authentication
        why = not_vouched_for(ctx.mail, auth)
        if why is not None:
            raise CommandRefused(why)
        if not auth.required:
            raise CommandRefused(
                "with [authentication] required = false a new staff email opens nothing"
            )
    if message.errors or len(message.commands) > 1:
        raise CommandRefused(
            "#open stands alone in a new email: "
            + (
                "; ".join(f"line {e.line}: {e.reason}" for e in message.errors)
                or "other commands go in a reply to the request"
            )
        )
    try:
        client = client_named(ctx.session, command.client)
        return client, main_contact(ctx.session, client)
    except CommandRefused as exc:
        raise CommandRefused(f"#open: {exc}") from None


def _unforwarded(subject: str) -> str:
    """A subject without the "Fwd:" a forward gave it."""
    return re.sub(r"^\s*(?:(?:fwd?|wg|tr|rv)\s*:\s*)+", "", subject, flags=re.IGNORECASE) or subject
