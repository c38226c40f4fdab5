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
from intake.approvals.replies import Meaning, load_reply_phrases, read_reply
from intake.clients.models import Contact
from intake.db import utcnow
from intake.mail.models import InboundMessage
from intake.mail.parsing import InboundMail
from intake.outbox.models import OutboundMessage
from intake.outbox.notices import staff_client_reply
from intake.outbox.service import Thread, plus_address, queue_email
from intake.outbox.templates import day
from intake.quotes.emails import quote_offer
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


@dataclass(frozen=True)
class _Reply:
    """One client reply being handled: where it goes and what it answers."""

    session: Session
    settings: Settings
    request: Request
    quote: Quote
    inbound: InboundMessage
    mail: InboundMail
    contact: Contact

    def record(self, kind: str, detail: str) -> None:
        requests.record(self.session, self.request, kind, self.contact.email, self.inbound, detail)

    def move(self, target: Status, detail: str) -> None:
        requests.move(
            self.session,
            self.request,
            target,
            actor=self.contact.email,
            inbound=self.inbound,
            detail=detail,
        )

    def to_client(
        self, kind: str, context: dict[str, object], reply_to: str | None = None
    ) -> OutboundMessage:
        contact = self.contact
        return queue_email(
            self.session,
            self.settings,
            kind,
            [contact.email],
            {
                "contact_name": contact.name or contact.email.split("@")[0],
                "subject": self.request.subject,
                **context,
            },
            request=self.request,
            inbound=self.inbound,
            thread=Thread.answering(self.mail),
            to_client=True,
            reply_to=reply_to,
        )

    def tell_staff(
        self, headline: str, outcome: str, reason: str | None
    ) -> tuple[OutboundMessage, ...]:
        return staff_client_reply(
            self.session,
            self.settings,
            self.request,
            self.inbound,
            self.mail,
            headline,
            outcome,
            reason,
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
    r = _Reply(session, settings, request, quote, inbound, mail, contact)
    superseded = replied_to is not None and replied_to.id != quote.id
    # A reply that names no quote, while the waiting one was never sent to the client (staff
    # re-quoted in an internal reply): they cannot be saying yes to a price they never saw.
    unseen = replied_to is None and not _sent_to_client(session, request, quote)
    if superseded or unseen:
        # An answer to a quote staff have since replaced: send the current one back.
        answered = f"quote v{replied_to.version}" if replied_to else "no quote they were sent"
        r.record("superseded_reply", f"reply to {answered}; v{quote.version} sent again")
        again = r.to_client(
            "staff_relay",
            {
                "text": SUPERSEDED,
                "staff_name": settings.agency_name,
                "quote": quote_offer(quote, request),
            },
            reply_to=plus_address(settings, quote.token),
        )
        return ReplyOutcome(None, (again,))
    reading = read_reply(
        mail.new_text,
        catalogue.read(settings.rules_file, load_reply_phrases),
        sender_names=(mail.from_name, contact.name, contact.email),
        ref=request.ref,
    )
    if reading.meaning is Meaning.UNCLEAR:
        r.record("comment", reading.reason)
        told = r.tell_staff(
            "Reply needs you", "nothing: it is not a clear approval or decline", reading.reason
        )
        return ReplyOutcome(None, told)
    refusal = _refusal(settings, contact, mail)
    if refusal is not None:
        r.record("held", refusal)
        told = r.tell_staff(
            "Reply held", f"held it: the {reading.meaning.value} did not take effect", refusal
        )
        return ReplyOutcome(refusal, told)
    if reading.meaning is Meaning.DECLINE:
        return _decline(r)
    client = request.client
    assert client is not None
    if client.requires_po and not reading.po:
        r.record("po_needed", "approval without the purchase-order number the client requires")
        asked = r.to_client("po_needed", {"amount": quote.amount, "client_name": client.name})
        return ReplyOutcome(None, (asked,))
    return _approve(r, reading.po)


def _sent_to_client(session: Session, request: Request, quote: Quote) -> bool:
    """Whether an email of this request carried ``quote`` (its plus-address token)."""
    mark = f"+{quote.token}@".encode()
    raws = session.scalars(
        sa.select(OutboundMessage.raw).where(OutboundMessage.request_id == request.id)
    )
    return any(mark in raw for raw in raws)


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


def _approve(r: _Reply, po: str | None) -> ReplyOutcome:
    quote, contact = r.quote, r.contact
    quote.status, quote.approved_by, quote.approved_at, quote.po = (
        "approved",
        contact.email,
        utcnow(),
        po,
    )
    r.move(
        Status.APPROVED,
        f"quote v{quote.version} approved ({quote.amount}{', PO ' + po if po else ''})",
    )
    confirmed = r.to_client(
        "approved",
        {
            "approver": contact.name or contact.email,
            "amount": quote.amount,
            "hours": quote.hours,
            "po": po or "",
            "complete_by": day(quote.complete_by) if quote.complete_by else "to be agreed",
        },
    )
    told = r.tell_staff(
        "Approved", f"approved quote v{quote.version}, {quote.amount}", po and f"PO {po}"
    )
    return ReplyOutcome(None, (confirmed, *told))


def _decline(r: _Reply) -> ReplyOutcome:
    r.quote.status = "declined"
    r.move(Status.DECLINED, f"quote v{r.quote.version} declined")
    confirmed = r.to_client("declined", {"decliner": r.contact.name or r.contact.email})
    told = r.tell_staff("Declined", f"declined quote v{r.quote.version}", None)
    return ReplyOutcome(None, (confirmed, *told))
