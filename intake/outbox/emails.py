"""Each email intake writes: a small function that builds its context and queues it."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from intake.classification.rules import Classification
from intake.clients.models import Client, Contact
from intake.mail.models import InboundMessage
from intake.mail.parsing import InboundMail
from intake.outbox.models import OutboundMessage
from intake.outbox.service import (
    automatic_replies_last_hour,
    plus_address,
    queue_email,
    staff_recipients,
)
from intake.plans import Plan
from intake.quotes.models import Quote
from intake.quotes.pricing import Price
from intake.requests.models import Request
from intake.settings import Settings

if TYPE_CHECKING:
    from intake.quotes.service import Thread

NO_CHARGE = {
    "bug": "Bug fixes are included in your {plan} plan",
    "security": "Security work is included in your {plan} plan",
    "question": "Questions are included in your {plan} plan",
    "feature": "This fits in the hours included in your {plan} plan this month",
}


def when(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %-d %b %Y, %H:%M} ({zone})"


def day(value: date) -> str:
    return f"{value:%a %-d %b %Y}"


def client_quote(
    session: Session,
    settings: Settings,
    request: Request,
    inbound: InboundMessage,
    thread: Thread,
    quote: Quote,
    quoted: Price,
    plan: Plan,
    client: Client,
    contact: Contact | None,
) -> list[OutboundMessage]:
    """The reply with the quote (or the no-charge acknowledgement), unless this address has
    had its fill of automatic replies this hour: then staff are told instead."""
    address = request.contact_email
    limit = settings.replies.max_automatic_per_hour
    if automatic_replies_last_hour(session, address, limit) >= limit:
        if not settings.staff:
            return []
        return [
            queue_email(
                session,
                settings,
                "staff_rate_limited",
                staff_recipients(settings),
                {"address": address, "limit": limit, "subject": request.subject},
                request=request,
                inbound=inbound,
            )
        ]
    assert quote.start_by is not None and quote.complete_by is not None
    context = {
        "contact_name": (contact.name if contact and contact.name else address.split("@")[0]),
        "subject": request.subject,
        "type": quote_type(request),
        "severity": request.severity.value if request.severity else "minor",
        "hours": quoted.hours,
        "included_hours": quoted.included_hours,
        "chargeable_hours": quoted.chargeable_hours,
        "rate": quoted.rate,
        "amount": quoted.amount,
        "plan_name": plan.name,
        "requires_po": client.requires_po,
        "start_by": when(quote.start_by, client.timezone),
        "complete_by": day(quote.complete_by),
        "no_charge_reason": NO_CHARGE[quote_type(request)].format(plan=plan.name),
    }
    kind = "quote" if quoted.needs_approval else "no_charge"
    return [
        queue_email(
            session,
            settings,
            kind,
            [address],
            context,
            request=request,
            inbound=inbound,
            in_reply_to=thread.message_id,
            references=thread.references,
            reply_to=plus_address(settings, quote.token),
            to_client=True,
        )
    ]


def quote_offer(quote: Quote, request: Request) -> dict[str, object]:
    """A quote as the relay and reply emails show it."""
    return {
        "version": quote.version,
        "hours": quote.hours,
        "amount": quote.amount,
        "needs_approval": quote.status == "pending",
        "complete_by": day(quote.complete_by) if quote.complete_by else "to be agreed",
        "requires_po": bool(request.client and request.client.requires_po),
    }


def quote_type(request: Request) -> str:
    return request.type.value if request.type else "question"


def staff_new_request(
    session: Session,
    settings: Settings,
    request: Request,
    inbound: InboundMessage,
    quote: Quote,
    quoted: Price,
    plan: Plan,
    client: Client,
    decided: Classification,
    text: str,
    notes: list[str],
) -> OutboundMessage | None:
    if not settings.staff:
        return None
    assert quote.start_by is not None and quote.complete_by is not None
    context = {
        "subject": request.subject,
        "contact": request.contact_email,
        "client_name": client.name,
        "client_slug": client.slug,
        "plan_name": plan.name,
        "type": decided.type.value,
        "severity": decided.severity.value,
        "type_confidence": round(decided.type.confidence * 100),
        "severity_confidence": round(decided.severity.confidence * 100),
        "type_rules": ", ".join(decided.type.rules) or "no signal, the default",
        "severity_rules": ", ".join(decided.severity.rules) or "no signal, the default",
        "low_confidence": decided.low_confidence,
        "hours": quoted.hours,
        "amount": quoted.amount,
        "needs_approval": quoted.needs_approval,
        "start_by": when(quote.start_by, settings.timezone),
        "complete_by": day(quote.complete_by),
        "notes": notes + [a.note for a in inbound.attachments if a.note],
        "text": text[:20_000],
    }
    return queue_email(
        session,
        settings,
        "staff_new_request",
        staff_recipients(settings),
        context,
        request=request,
        inbound=inbound,
    )


def staff_held(
    session: Session, settings: Settings, request: Request, inbound: InboundMessage, reason: str
) -> OutboundMessage | None:
    if not settings.staff:
        return None
    context = {
        "reason": reason,
        "sender": inbound.from_address or "(no sender)",
        "subject": inbound.subject or "(no subject)",
        "text": (inbound.new_text or inbound.text or "")[:20_000],
    }
    return queue_email(
        session,
        settings,
        "staff_held",
        staff_recipients(settings),
        context,
        request=request,
        inbound=inbound,
    )


def staff_bounce(
    session: Session,
    settings: Settings,
    request: Request,
    inbound: InboundMessage,
    recipients: tuple[str, ...],
    status: str,
    diagnostic: str,
) -> OutboundMessage | None:
    if not settings.staff:
        return None
    context = {
        "subject": request.subject,
        "recipients": ", ".join(recipients) or "(not stated)",
        "status": status or "(not stated)",
        "diagnostic": diagnostic or "(not stated)",
    }
    return queue_email(
        session,
        settings,
        "staff_bounce",
        staff_recipients(settings),
        context,
        request=request,
        inbound=inbound,
    )


def staff_client_reply(
    session: Session,
    settings: Settings,
    request: Request,
    inbound: InboundMessage,
    mail: InboundMail,
    headline: str,
    outcome: str,
    reason: str | None,
) -> tuple[OutboundMessage, ...]:
    if not settings.staff:
        return ()
    notice = queue_email(
        session,
        settings,
        "staff_client_reply",
        staff_recipients(settings),
        {
            "headline": headline,
            "subject": request.subject,
            "sender": mail.from_address,
            "outcome": outcome,
            "reason": reason or "",
            "text": mail.new_text[:20_000],
        },
        request=request,
        inbound=inbound,
    )
    return (notice,)
