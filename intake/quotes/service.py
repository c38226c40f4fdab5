"""Quoting a new request: classify it, estimate it, price it under the client's plan, set
its SLA times, move it to approved (no charge) or quoted, and put the client's reply and
the staff notice in the outbox, all in the transaction that filed it."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.classification.rules import Classification
from intake.classification.service import decide
from intake.clients.models import Client, Contact
from intake.db import utcnow
from intake.mail.authentication import not_vouched_for
from intake.outbox.models import OutboundMessage
from intake.outbox.notices import staff_held
from intake.plans import Plan, price_sheet
from intake.quotes import emails
from intake.quotes.estimates import estimate_hours
from intake.quotes.models import Quote
from intake.quotes.pricing import Price, included_hours_left, price, takes_included_hours
from intake.requests.incoming import Incoming
from intake.requests.models import Request
from intake.requests.states import RequestType, Severity, Status
from intake.settings import Settings
from intake.sla.business_hours import (
    add_business_time,
    complete_by,
    due,
    next_business_moment,
)
from intake.sla.service import client_hours

SYSTEM = "intake"
# The start of a request's text kept with its classification (as much as the rules read).
READ_LIMIT = 8000


def quote_new_request(
    msg: Incoming, quoted_at: datetime | None = None, *, vouched: bool = False
) -> list[OutboundMessage]:
    """Quote the request ``msg`` opened and queue the client's reply and the staff notice.
    ``quoted_at``: when the client is told (now, unless a test replays the past).
    ``vouched``: staff put the request there (``#client``), so its work may start on the
    client's included hours whoever sent it."""
    session, settings, request, inbound = msg.session, msg.settings, msg.request, msg.inbound
    client = request.client
    assert client is not None
    sheet = price_sheet(settings)
    if client.plan not in sheet.plans:
        reason = f"client {client.slug} has plan {client.plan!r}, which the plans file lacks"
        msg.move(Status.HELD, reason, actor=SYSTEM)
        request.hold_reason = reason
        held = staff_held(session, settings, request, inbound, reason)
        return [held] if held is not None else []
    opened = request.opened_at.astimezone(settings.zone).date()
    plan = sheet.plan_in_force(client.plan, client.since, opened)
    new_text = msg.mail.new_text
    decided = decide(session, settings, request.subject, new_text)
    # Every lookup first, then every write, so the writes go to the database together.
    # None of these lookups depends on what this filing has written so far.
    with session.no_autoflush:
        estimate = estimate_hours(
            session,
            settings.rules_file,
            client.id,
            decided.type.value,
            decided.severity.value,
            settings.replies.estimate_min_samples,
        )
        promised = (
            promised_included_hours(session, settings, client)
            if takes_included_hours(decided.type.value, plan)
            else Decimal(0)
        )
        contact = msg.sender.contact
        if contact is None or contact.email != request.contact_email:
            contact = session.scalar(
                sa.select(Contact).where(Contact.email == request.contact_email)
            )
    _record_classification(msg, decided, new_text)
    rate = client.hourly_rate if client.hourly_rate is not None else sheet.hourly_rate
    quoted = price(
        decided.type.value, estimate.hours, plan, rate, included_hours_left(plan, promised)
    )
    start_by, done_by, notes = timeline(
        settings, client, plan, request, quoted, quoted_at or utcnow()
    )
    # Work that would start at once on the client's included hours needs someone who
    # may commit them: mail our server vouched for, from a contact who may approve.
    wait = None if quoted.needs_approval or vouched else _unvouched(msg, contact, quoted)
    # Staff who filed the request themselves (#client, #open) have seen it already.
    review = None if wait is not None or vouched else reviewing(settings, decided)
    if review is not None:
        status = "suggested"
    else:
        status = "pending" if quoted.needs_approval or wait else "included"
    quote = Quote(
        request=request,
        inbound_id=inbound.id if inbound is not None else None,
        version=1,
        hours=quoted.hours,
        chargeable_hours=quoted.chargeable_hours,
        rate=quoted.rate,
        amount=quoted.amount,
        start_by=start_by,
        complete_by=done_by,
        status=status,
        token=secrets.token_hex(6),
    )
    session.add(quote)
    if wait is not None:
        msg.move(Status.HELD, wait, actor=SYSTEM)
        request.hold_reason = wait
        held = staff_held(session, settings, request, inbound, f"{wait}; #approve to start it")
        return [held] if held is not None else []
    first = emails.FirstQuote(msg, quote, quoted, plan, contact, decided, notes, review)
    if review is not None:
        msg.move(
            Status.REVIEW,
            f"suggested quote {quoted.hours} h, {quoted.amount} ({estimate.basis}); {review}",
            actor=SYSTEM,
        )
        sent = emails.client_received(first)
    else:
        target = Status.QUOTED if quoted.needs_approval else Status.APPROVED
        msg.move(
            target, f"quote {quoted.hours} h, {quoted.amount} ({estimate.basis})", actor=SYSTEM
        )
        sent = emails.client_quote(first)
    notice = emails.staff_new_request(first)
    return [*sent, notice] if notice is not None else sent


def reviewing(settings: Settings, decided: Classification) -> str | None:
    """Why staff should see this request's quote before the client does, or None. With no
    staff to tell, nobody could send it: the quote goes out as it is."""
    if not settings.staff:
        return None
    if settings.quotes.review == "always":
        return "every new request is reviewed (quotes.review = always)"
    if settings.quotes.review == "never" or not decided.low_confidence:
        return None
    return (
        f"the classifier is unsure: {decided.type.value} {decided.type.confidence:.2f},"
        f" {decided.severity.value} {decided.severity.confidence:.2f}"
        f" (quotes.review_below = {settings.quotes.review_below})"
    )


def _unvouched(msg: Incoming, contact: Contact | None, quoted: Price) -> str | None:
    """Why work on included hours may not start from this message alone, or None."""
    settings, mail = msg.settings, msg.mail
    included = quoted.hours - quoted.chargeable_hours
    if included <= 0:
        return None
    why = not_vouched_for(mail, settings.authentication)
    if why is not None:
        return (
            f"the sender could not be authenticated ({why}); the work would"
            f" use {included} h of included hours"
        )
    free = settings.quotes.new_contact_free_hours
    if (contact is None or not contact.can_approve) and included > free:
        return (
            f"{msg.request.contact_email} may not approve, and the work would use {included} h"
            f" of included hours (more than quotes.new_contact_free_hours = {free})"
        )
    return None


def _record_classification(msg: Incoming, decided: Classification, new_text: str) -> None:
    request = msg.request
    request.type = RequestType(decided.type.value)
    request.severity = Severity(decided.severity.value)
    request.classification = {
        "type": {
            "value": decided.type.value,
            "confidence": round(decided.type.confidence, 3),
            "rules": list(decided.type.rules),
        },
        "severity": {
            "value": decided.severity.value,
            "confidence": round(decided.severity.confidence, 3),
            "rules": list(decided.severity.rules),
        },
        "low_confidence": decided.low_confidence,
        # What was read, so a staff correction keeps the words the classifier saw.
        "read": new_text[:READ_LIMIT],
    }
    msg.record(
        "classified",
        f"{decided.severity.value} {decided.type.value}"
        + (" (low confidence)" if decided.low_confidence else ""),
        actor=SYSTEM,
    )


def timeline(
    settings: Settings,
    client: Client,
    plan: Plan,
    request: Request,
    quoted: Price,
    quoted_at: datetime,
) -> tuple[datetime, date, list[str]]:
    """When the work will start (the SLA's first response, counted from the request's
    opening) and be done (counted from ``quoted_at``), and notes for staff. Never a start
    before ``quoted_at``: a request quoted late (intake was down, a re-quote days on) is
    promised a start at the next moment of its support hours, while its SLA clocks still
    count from the opening."""
    severity = request.severity.value if request.severity else "minor"
    opened = request.opened_at
    hours, notes = client_hours(
        settings, client, plan, severity, range(opened.year, opened.year + 2)
    )
    # Work starts while support runs: a target that falls at closing time (or later, for
    # a request quoted late) is a start at the next opening, not at 17:00.
    start_by = next_business_moment(
        max(due(opened, plan.first_response[severity], hours), quoted_at), hours
    )
    # The work is done counting from the quote: a re-quote days on is not due at once.
    done_by = complete_by(quoted_at, quoted.hours, settings.replies.daily_capacity_hours, hours)
    # Never promised done before it can be: started, then the estimate in support hours.
    earliest = add_business_time(start_by, timedelta(hours=float(quoted.hours)), hours)
    done_by = max(done_by, earliest.astimezone(hours.zone).date())
    return start_by, done_by, notes


def promised_included_hours(
    session: Session, settings: Settings, client: Client, besides: Request | None = None
) -> Decimal:
    """Included hours this month already promised to approved feature work of the client;
    ``besides``: leave out that request's own quotes (a new version replaces them)."""
    now = datetime.now(settings.zone)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    included = sa.func.coalesce(sa.func.sum(Quote.hours - Quote.chargeable_hours), 0)
    promised = ("approved", "included")
    newer = sa.orm.aliased(Quote)
    query = (
        sa.select(included)
        .join(Request, Request.id == Quote.request_id)
        .where(
            Request.client_id == client.id,
            Request.type == RequestType.FEATURE,
            Quote.status.in_(promised),
            Quote.created_at >= month_start,
            # A request's latest promise only: a new version replaces what it promised.
            ~sa.exists().where(
                newer.request_id == Quote.request_id,
                newer.status.in_(promised),
                newer.version > Quote.version,
            ),
        )
    )
    if besides is not None:
        query = query.where(Request.id != besides.id)
    with session.no_autoflush:
        total = session.scalar(query)
    # Quotes of this transaction not written yet (filing a batch together) count too.
    queued = sum(
        (
            q.hours - q.chargeable_hours
            for q in session.new
            if isinstance(q, Quote)
            and q.request is not None
            and q.request.client is client
            and q.request is not besides
            and q.request.type is RequestType.FEATURE
            and q.status in ("approved", "included")
        ),
        Decimal(0),
    )
    return Decimal(str(total or 0)) + queued
