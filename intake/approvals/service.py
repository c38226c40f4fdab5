"""A client's reply to a quote: approve, decline, or hand it to staff. Only a contact who
may approve, whose mail the agency's own server authenticated, approves; an unclear
reply is never taken as approval. Every outcome is an event and the emails it causes
go to the outbox in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake import catalogue
from intake.approvals.authentication import check_sender
from intake.approvals.replies import Meaning, read_reply
from intake.clients.models import Contact
from intake.db import utcnow
from intake.mail.models import InboundMessage, OutboundMessage
from intake.mail.parsing import InboundMail
from intake.outbox.emails import day, staff_client_reply
from intake.outbox.service import plus_address, queue_email
from intake.quotes.models import Quote
from intake.requests import service as requests
from intake.requests.models import Request
from intake.requests.states import Status
from intake.settings import Settings


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


def handle_reply_to_quote(
    session: Session,
    settings: Settings,
    request: Request,
    quote: Quote,
    inbound: InboundMessage,
    mail: InboundMail,
    contact: Contact,
    replied_to: Quote | None = None,
) -> ReplyOutcome:
    if replied_to is not None and replied_to.id != quote.id:
        # An answer to a quote staff have since replaced: send the current one back.
        requests.record(
            session,
            request,
            "superseded_reply",
            contact.email,
            inbound,
            f"reply to quote v{replied_to.version}; v{quote.version} sent again",
        )
        again = _to_client(
            session,
            settings,
            request,
            inbound,
            mail,
            contact,
            "staff_relay",
            {
                "text": SUPERSEDED,
                "staff_name": settings.agency_name,
                "quote": {
                    "version": quote.version,
                    "hours": quote.hours,
                    "amount": quote.amount,
                    "needs_approval": True,
                    "complete_by": day(quote.complete_by) if quote.complete_by else "to be agreed",
                    "requires_po": bool(request.client and request.client.requires_po),
                },
            },
            reply_to=plus_address(settings, quote.token),
        )
        return ReplyOutcome(None, (again,))
    reading = read_reply(mail.new_text, catalogue.reply_phrases(settings.rules_file))
    sender = contact.email
    if reading.meaning is Meaning.UNCLEAR:
        requests.record(session, request, "comment", sender, inbound, reading.reason)
        return _staff_only(
            session,
            settings,
            request,
            inbound,
            mail,
            "Reply needs you",
            "nothing: it is not a clear approval or decline",
            reading.reason,
        )
    refusal = _refusal(settings, contact, mail)
    if refusal is not None:
        requests.record(session, request, "held", sender, inbound, refusal)
        notice = staff_client_reply(
            session,
            settings,
            request,
            inbound,
            mail,
            "Reply held",
            f"held it: the {reading.meaning.value} did not take effect",
            refusal,
        )
        return ReplyOutcome(refusal, notice)
    if reading.meaning is Meaning.DECLINE:
        return _decline(session, settings, request, quote, inbound, mail, contact)
    client = request.client
    assert client is not None
    if client.requires_po and not reading.po:
        requests.record(
            session,
            request,
            "po_needed",
            sender,
            inbound,
            "approval without the purchase-order number the client requires",
        )
        asked = _to_client(
            session,
            settings,
            request,
            inbound,
            mail,
            contact,
            "po_needed",
            {"amount": quote.amount, "client_name": client.name},
        )
        return ReplyOutcome(None, (asked,))
    return _approve(session, settings, request, quote, inbound, mail, contact, reading.po)


SUPERSEDED = (
    "The quote you answered has been replaced by the one below, so nothing was approved "
    "or declined yet. Please reply to this email to answer the current quote."
)


def _refusal(settings: Settings, contact: Contact, mail: InboundMail) -> str | None:
    if not contact.can_approve:
        return f"{contact.email} may not approve work for {contact.client.slug}"
    if settings.authentication.required:
        verdict = check_sender(mail.headers, mail.from_address, settings.authentication.authserv_id)
        if not verdict.passed:
            return f"the sender could not be authenticated: {verdict.reason}"
    return None


def _approve(
    session: Session,
    settings: Settings,
    request: Request,
    quote: Quote,
    inbound: InboundMessage,
    mail: InboundMail,
    contact: Contact,
    po: str | None,
) -> ReplyOutcome:
    quote.status, quote.approved_by, quote.approved_at, quote.po = (
        "approved",
        contact.email,
        utcnow(),
        po,
    )
    requests.move(
        session,
        request,
        Status.APPROVED,
        actor=contact.email,
        inbound=inbound,
        detail=f"quote v{quote.version} approved ({quote.amount}{', PO ' + po if po else ''})",
    )
    confirmed = _to_client(
        session,
        settings,
        request,
        inbound,
        mail,
        contact,
        "approved",
        {
            "approver": contact.name or contact.email,
            "amount": quote.amount,
            "hours": quote.hours,
            "po": po or "",
            "complete_by": day(quote.complete_by) if quote.complete_by else "to be agreed",
        },
    )
    told = staff_client_reply(
        session,
        settings,
        request,
        inbound,
        mail,
        "Approved",
        f"approved quote v{quote.version}, {quote.amount}",
        po and f"PO {po}",
    )
    return ReplyOutcome(None, (confirmed, *told))


def _decline(
    session: Session,
    settings: Settings,
    request: Request,
    quote: Quote,
    inbound: InboundMessage,
    mail: InboundMail,
    contact: Contact,
) -> ReplyOutcome:
    quote.status = "declined"
    requests.move(
        session,
        request,
        Status.DECLINED,
        actor=contact.email,
        inbound=inbound,
        detail=f"quote v{quote.version} declined",
    )
    confirmed = _to_client(
        session,
        settings,
        request,
        inbound,
        mail,
        contact,
        "declined",
        {"decliner": contact.name or contact.email},
    )
    told = staff_client_reply(
        session,
        settings,
        request,
        inbound,
        mail,
        "Declined",
        f"declined quote v{quote.version}",
        None,
    )
    return ReplyOutcome(None, (confirmed, *told))


def _to_client(
    session: Session,
    settings: Settings,
    request: Request,
    inbound: InboundMessage,
    mail: InboundMail,
    contact: Contact,
    kind: str,
    context: dict[str, object],
    reply_to: str | None = None,
) -> OutboundMessage:
    return queue_email(
        session,
        settings,
        kind,
        [contact.email],
        {
            "contact_name": contact.name or contact.email.split("@")[0],
            "subject": request.subject,
            **context,
        },
        request=request,
        inbound=inbound,
        in_reply_to=mail.message_id,
        references=mail.references,
        to_client=True,
        reply_to=reply_to,
    )


def _staff_only(
    session: Session,
    settings: Settings,
    request: Request,
    inbound: InboundMessage,
    mail: InboundMail,
    headline: str,
    outcome: str,
    reason: str | None,
) -> ReplyOutcome:
    return ReplyOutcome(
        None,
        staff_client_reply(session, settings, request, inbound, mail, headline, outcome, reason),
    )
