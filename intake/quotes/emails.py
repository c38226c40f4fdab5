"""The emails of a quote: the reply to the client (the quote, or the no-charge
acknowledgement), the staff notice of a new request, and a quote as later emails show it."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import object_session

from intake.classification.rules import Classification
from intake.clients.models import Contact
from intake.outbox.language import N_, SOURCE, translations
from intake.outbox.models import OutboundMessage
from intake.outbox.service import (
    Thread,
    over_the_cap,
    plus_address,
    queue_email,
    queued_lately,
    staff_recipients,
)
from intake.outbox.templates import day, when
from intake.plans import Plan
from intake.quotes.models import Quote
from intake.quotes.pricing import Price
from intake.quotes.sow import sow_attachments
from intake.requests.incoming import Incoming
from intake.requests.models import Request

NO_CHARGE = {
    "bug": N_("Bug fixes are included in your %(plan)s plan"),
    "security": N_("Security work is included in your %(plan)s plan"),
    "question": N_("Questions are included in your %(plan)s plan"),
    "feature": N_("This fits in the hours included in your %(plan)s plan this month"),
}
# A request's type and severity as the client reads them: "We read it as a minor bug".
TYPES = {
    # Translators: a request's type, as in "We read it as a minor bug".
    "bug": N_("bug"),
    "feature": N_("feature"),
    "security": N_("security"),
    "question": N_("question"),
}
SEVERITIES = {
    # Translators: a request's severity, as in "We read it as a minor bug".
    "critical": N_("critical"),
    "major": N_("major"),
    "minor": N_("minor"),
}


@dataclass(frozen=True)
class FirstQuote:
    """A new request's first quote, as its two emails show it."""

    msg: Incoming  # the client's message that opened the request
    quote: Quote
    price: Price
    plan: Plan
    contact: Contact | None  # the sender, if a known contact
    decided: Classification
    notes: list[str]  # for staff
    review: str | None = None  # why staff look before the client is quoted


def client_quote(first: FirstQuote) -> list[OutboundMessage]:
    """The reply with the quote (or the no-charge acknowledgement), unless this address has
    had its fill of automatic replies this hour: then staff are told instead."""
    msg, quote, quoted, plan = first.msg, first.quote, first.price, first.plan
    session, settings, request = msg.session, msg.settings, msg.request
    client = request.client
    assert client is not None
    address = request.contact_email
    capped = _capped(first)
    if capped is not None:
        return capped
    assert quote.start_by is not None and quote.complete_by is not None
    language = client.language
    words = translations(language)
    severity = request.severity.value if request.severity else "minor"
    context: dict[str, object] = {
        "contact_name": _contact_name(first),
        "subject": request.subject,
        "type": words.gettext(TYPES[quote_type(request)]),
        "severity": words.gettext(SEVERITIES[severity]),
        "hours": quoted.hours,
        "included_hours": quoted.included_hours,
        "chargeable_hours": quoted.chargeable_hours,
        "rate": quoted.rate,
        "amount": quoted.amount,
        "plan_name": plan.name,
        "requires_po": client.requires_po,
        "start_by": when(quote.start_by, client.timezone, language),
        "complete_by": day(quote.complete_by, language),
        "no_charge_reason": words.gettext(NO_CHARGE[quote_type(request)]) % {"plan": plan.name},
    }
    asked = msg.mail.new_text or msg.mail.text
    attached = sow_attachments(session, settings, request, quote, asked=asked)
    context["sow_number"] = quote.sow_number if attached else None
    kind = "quote" if quoted.needs_approval else "no_charge"
    return [
        queue_email(
            session,
            settings,
            kind,
            [address],
            context,
            request=request,
            inbound=msg.inbound,
            thread=Thread.answering(msg.mail),
            reply_to=plus_address(settings, quote.token),
            counted=True,
            attachments=attached,
            language=language,
        )
    ]


def client_received(first: FirstQuote) -> list[OutboundMessage]:
    """The reply to a request in review: it arrived, its reference, when we respond by,
    and that the cost and timeline follow (unless the address is over its hourly cap)."""
    msg, quote = first.msg, first.quote
    session, settings, request = msg.session, msg.settings, msg.request
    client = request.client
    assert client is not None and quote.start_by is not None
    capped = _capped(first)
    if capped is not None:
        return capped
    context = {
        "contact_name": _contact_name(first),
        "subject": request.subject,
        "respond_by": when(quote.start_by, client.timezone, client.language),
    }
    return [
        queue_email(
            session,
            settings,
            "received",
            [request.contact_email],
            context,
            request=request,
            inbound=msg.inbound,
            thread=Thread.answering(msg.mail),
            counted=True,
            language=client.language,
        )
    ]


def _contact_name(first: FirstQuote) -> str:
    if first.contact is not None and first.contact.name:
        return first.contact.name
    return first.msg.request.contact_email.split("@")[0]


def _capped(first: FirstQuote) -> list[OutboundMessage] | None:
    """None while the address may have another automatic reply this hour; else what goes
    instead: staff told once an hour that the address is flooding, or nothing."""
    msg = first.msg
    session, settings, request = msg.session, msg.settings, msg.request
    address = request.contact_email
    if not over_the_cap(session, settings, address):
        return None
    if not settings.staff or queued_lately(session, "staff_rate_limited", f" {address} "):
        return []
    return [
        queue_email(
            session,
            settings,
            "staff_rate_limited",
            staff_recipients(settings),
            {
                "address": address,
                "limit": settings.replies.max_automatic_per_hour,
                "subject": request.subject,
            },
            request=request,
            inbound=msg.inbound,
        )
    ]


def quote_offer(quote: Quote, request: Request) -> dict[str, object]:
    """A quote as the relay and reply emails show it, in the client's language; ``revised``
    when the client was shown an earlier one (not when the earlier one was only suggested
    to staff)."""
    session = object_session(quote)
    earlier = (
        session.scalar(
            sa.select(Quote.id)
            .where(
                Quote.request_id == quote.request_id,
                Quote.version < quote.version,
                Quote.status.not_in(("suggested", "unsent")),
            )
            .limit(1)
        )
        if session is not None and quote.version > 1
        else None
    )
    return {
        "version": quote.version,
        "revised": earlier is not None,
        "hours": quote.hours,
        "amount": quote.amount,
        "needs_approval": quote.status == "pending",
        "complete_by": complete_by(quote, client_language(request)),
        "requires_po": bool(request.client and request.client.requires_po),
        "sow_number": quote.sow_number,
    }


def complete_by(quote: Quote, language: str) -> str:
    """The day a quote promises, or that it is to be agreed."""
    if quote.complete_by is None:
        return translations(language).gettext("to be agreed")
    return day(quote.complete_by, language)


def client_language(request: Request) -> str:
    """The language the request's client reads (English for mail of no client yet)."""
    return request.client.language if request.client is not None else SOURCE


def quote_type(request: Request) -> str:
    return request.type.value if request.type else "question"


def staff_new_request(first: FirstQuote) -> OutboundMessage | None:
    """The staff notice of a new request: the quote and why it was classified as it was."""
    msg, quote, quoted, plan = first.msg, first.quote, first.price, first.plan
    decided = first.decided
    session, settings, request = msg.session, msg.settings, msg.request
    client = request.client
    assert client is not None
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
        "review": first.review,
        "hours": quoted.hours,
        "amount": quoted.amount,
        "needs_approval": quoted.needs_approval,
        "start_by": when(quote.start_by, settings.timezone),
        "complete_by": day(quote.complete_by),
        "notes": first.notes + [a.note for a in msg.inbound.attachments if a.note],
        "text": msg.mail.new_text[:20_000],
    }
    return queue_email(
        session,
        settings,
        "staff_new_request",
        staff_recipients(settings),
        context,
        request=request,
        inbound=msg.inbound,
    )
