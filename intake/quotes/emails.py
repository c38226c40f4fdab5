"""The emails of a quote: the reply to the client (the quote, or the no-charge
acknowledgement), the staff notice of a new request, and a quote as later emails show it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from intake.classification.rules import Classification
from intake.clients.models import Client, Contact
from intake.mail.models import InboundMessage
from intake.outbox.models import OutboundMessage
from intake.outbox.service import (
    Thread,
    automatic_replies_last_hour,
    plus_address,
    queue_email,
    staff_recipients,
)
from intake.outbox.templates import day, when
from intake.plans import Plan
from intake.quotes.models import Quote
from intake.quotes.pricing import Price
from intake.requests.models import Request
from intake.settings import Settings

NO_CHARGE = {
    "bug": "Bug fixes are included in your {plan} plan",
    "security": "Security work is included in your {plan} plan",
    "question": "Questions are included in your {plan} plan",
    "feature": "This fits in the hours included in your {plan} plan this month",
}


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
            thread=thread,
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
