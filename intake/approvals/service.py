"""A client's reply to a quote: approve, decline, or hand it to staff. Only a contact who
may approve, whose mail the agency's own server authenticated, approves; an unclear
reply is never taken as approval. Every outcome is an event and the emails it causes
go to the outbox in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake import catalogue
from intake.approvals.replies import Meaning, load_reply_phrases, read_reply
from intake.clients.models import Contact
from intake.db import utcnow
from intake.mail.authentication import not_vouched_for
from intake.mail.matching import plus_tokens
from intake.mail.parsing import InboundMail
from intake.outbox.compose import Attachment
from intake.outbox.language import N_, translations
from intake.outbox.models import OutboundMessage
from intake.outbox.notices import staff_client_reply
from intake.outbox.service import Thread, over_the_cap, plus_address, queue_email
from intake.quotes.emails import complete_by, quote_offer
from intake.quotes.models import Quote
from intake.quotes.sow import sow_attachments
from intake.requests.incoming import Incoming
from intake.requests.models import Request
from intake.requests.states import Status
from intake.settings import Settings

# Reads only the header block of one of our stored emails (its Reply-To).
HEADERS = BytesHeaderParser(policy=compat32)


@dataclass(frozen=True)
class ReplyOutcome:
    held: str | None  # why the reply is held for staff, if it is
    outbound: tuple[OutboundMessage, ...]


def pending_quote(session: Session, request: Request) -> Quote | None:
    return session.scalar(
        sa.select(Quote)
        .where(Quote.request_id == request.id, Quote.status == "pending")
        .order_by(Quote.version.desc())
    )


def quote_answered(msg: Incoming) -> Quote | None:
    """The quote of the request a reply answers: the token of the address it was sent to
    (support+<token>@...), else the token of the Reply-To of the nearest email of ours in
    its thread (In-Reply-To, then References from the last) that had one."""
    session, support, mail = msg.session, msg.settings.own_addresses, msg.mail
    tokens = list(plus_tokens((*mail.to, *mail.cc), support))
    ids = [i for i in (*mail.in_reply_to, *reversed(mail.references)) if i]
    if not tokens and ids:
        ours = dict(
            session.execute(
                sa.select(OutboundMessage.message_id, OutboundMessage.raw).where(
                    OutboundMessage.message_id.in_(ids),
                    OutboundMessage.request_id == msg.request.id,
                )
            ).all()
        )
        # The most direct email of ours in the thread that carried a quote: a reply to the
        # PO reminder still answers the quote email above it in References.
        for message_id in ids:
            if message_id in ours:
                reply_to = HEADERS.parsebytes(ours[message_id])["Reply-To"] or ""
                tokens = list(plus_tokens([reply_to], support))
                if tokens:
                    break
    for token in tokens:
        quote = session.scalar(
            sa.select(Quote).where(Quote.token == token, Quote.request_id == msg.request.id)
        )
        if quote is not None:
            return quote
    return None


def _to_client(
    msg: Incoming,
    contact: Contact,
    kind: str,
    context: dict[str, object],
    reply_to: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> OutboundMessage:
    return queue_email(
        msg.session,
        msg.settings,
        kind,
        [contact.email],
        {
            "contact_name": contact.name or contact.email.split("@")[0],
            "subject": msg.request.subject,
            **context,
        },
        request=msg.request,
        inbound=msg.inbound,
        thread=Thread.answering(msg.mail),
        counted=True,
        reply_to=reply_to,
        attachments=attachments,
        language=contact.client.language,
    )


def handle_reply_to_quote(msg: Incoming, quote: Quote) -> ReplyOutcome:
    """``msg``: a reply from a contact of the request's client while ``quote`` waits."""
    session, settings, request, mail = msg.session, msg.settings, msg.request, msg.mail
    contact = msg.sender.contact
    assert contact is not None  # filing hands over only replies from a known contact
    replied_to = quote_answered(msg)
    if replied_to is None:
        # Bound to no quote (the subject's [REQ-n], or an email of ours without one): a yes
        # here would be a yes to no price in particular.
        return _unbound(msg, contact, quote)
    if replied_to.id != quote.id:
        # An answer to a quote staff have since replaced: send the current one back.
        answered = f"quote v{replied_to.version}"
        if over_the_cap(session, settings, contact.email):
            msg.record("superseded_reply", f"reply to {answered}; {_CAPPED}")
            return ReplyOutcome(None, ())
        msg.record("superseded_reply", f"reply to {answered}; v{quote.version} sent again")
        return ReplyOutcome(None, (_quote_again(msg, contact, quote, SUPERSEDED),))
    reading = read_reply(
        mail.new_text,
        catalogue.read(settings.rules_file, load_reply_phrases),
        sender_names=(mail.from_name, contact.name, contact.email),
        ref=request.ref,
    )
    if reading.meaning is Meaning.UNCLEAR:
        msg.record("comment", reading.reason)
        told = staff_client_reply(
            msg, "Reply needs you", "nothing: it is not a clear approval or decline", reading.reason
        )
        return ReplyOutcome(None, told)
    refusal = _refusal(settings, contact, mail, quote)
    if refusal is not None:
        msg.record("held", refusal)
        told = staff_client_reply(
            msg, "Reply held", f"held it: the {reading.meaning.value} did not take effect", refusal
        )
        return ReplyOutcome(refusal, told)
    if reading.meaning is Meaning.DECLINE:
        return _decline(msg, contact, quote)
    client = request.client
    assert client is not None
    if client.requires_po and not reading.po:
        if over_the_cap(session, settings, contact.email):
            msg.record("po_needed", f"approval without the PO number; {_CAPPED}")
            return ReplyOutcome(None, ())
        msg.record("po_needed", "approval without the purchase-order number the client requires")
        asked = _to_client(
            msg,
            contact,
            "po_needed",
            {"amount": quote.amount, "client_name": client.name},
            reply_to=plus_address(settings, quote.token),
        )
        return ReplyOutcome(None, (asked,))
    return _approve(msg, contact, quote, reading.po)


SUPERSEDED = N_(
    "The quote you answered has been replaced by the one below, so nothing was approved "
    "or declined yet. Please reply to this email to answer the current quote."
)
# Why an answer was not sent: the address had its fill of emails from intake this hour.
_CAPPED = "not answered: replies.max_automatic_per_hour reached for the address"
UNBOUND = N_(
    "Your message did not answer the email with our quote, so nothing was approved or "
    "declined. To answer the quote below, please reply to this email."
)


def _unbound(msg: Incoming, contact: Contact, quote: Quote) -> ReplyOutcome:
    """A contact's reply in the request's thread that answers no quote email: staff read it
    as a comment, and the contact is sent the current quote, once a quote, to answer."""
    session, settings = msg.session, msg.settings
    reason = f"it answers no email with a quote, so it cannot answer quote v{quote.version}"
    msg.record("comment", reason)
    told = staff_client_reply(msg, "Reply needs you", "nothing: it answers no quote", reason)
    sent_before = msg.recorded("quote_sent_again", f"v{quote.version}")
    if sent_before or over_the_cap(session, settings, contact.email):
        return ReplyOutcome(None, tuple(told))
    msg.record("quote_sent_again", f"v{quote.version}")
    return ReplyOutcome(None, (_quote_again(msg, contact, quote, UNBOUND), *told))


def _quote_again(msg: Incoming, contact: Contact, quote: Quote, why: str) -> OutboundMessage:
    """The waiting quote sent to the contact again, under ``why``, to be answered (with its
    statement of work, for a client who has them)."""
    settings = msg.settings
    attached = sow_attachments(msg.session, settings, msg.request, quote)
    return _to_client(
        msg,
        contact,
        "staff_relay",
        {
            "text": translations(contact.client.language).gettext(why),
            "staff_name": settings.agency_name,
            "signed": True,  # by the agency: "Example Agency support" once
            "quote": quote_offer(quote, msg.request),
        },
        reply_to=plus_address(settings, quote.token),
        attachments=attached,
    )


def _refusal(settings: Settings, contact: Contact, mail: InboundMail, quote: Quote) -> str | None:
    if not contact.can_approve:
        return f"{contact.email} may not approve work for {contact.client.slug}"
    quoted = quote.created_at.replace(microsecond=0)
    if mail.date is not None and mail.date < quoted:
        # An old answer replayed: it cannot be about a price that did not exist yet.
        return (
            f"it is dated before the quote it answers was sent (dated {mail.date:%Y-%m-%d %H:%M}"
            f" UTC, quote v{quote.version} sent {quoted:%Y-%m-%d %H:%M} UTC)"
        )
    why = not_vouched_for(mail, settings.authentication)
    return None if why is None else f"the sender could not be authenticated: {why}"


def _approve(msg: Incoming, contact: Contact, quote: Quote, po: str | None) -> ReplyOutcome:
    quote.status, quote.approved_by, quote.approved_at, quote.po = (
        "approved",
        contact.email,
        utcnow(),
        po,
    )
    msg.move(
        Status.APPROVED,
        f"quote v{quote.version} approved ({quote.amount}{', PO ' + po if po else ''})",
    )
    confirmed = _to_client(
        msg,
        contact,
        "approved",
        {
            "approver": contact.name or contact.email,
            "amount": quote.amount,
            "hours": quote.hours,
            "po": po or "",
            "complete_by": complete_by(quote, contact.client.language),
            "sow_number": quote.sow_number,
        },
    )
    told = staff_client_reply(
        msg, "Approved", f"approved quote v{quote.version}, {quote.amount}", po and f"PO {po}"
    )
    return ReplyOutcome(None, (confirmed, *told))


def _decline(msg: Incoming, contact: Contact, quote: Quote) -> ReplyOutcome:
    quote.status = "declined"
    msg.move(Status.DECLINED, f"quote v{quote.version} declined")
    confirmed = _to_client(msg, contact, "declined", {"decliner": contact.name or contact.email})
    told = staff_client_reply(msg, "Declined", f"declined quote v{quote.version}", None)
    return ReplyOutcome(None, (confirmed, *told))
