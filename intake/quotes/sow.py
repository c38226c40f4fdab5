"""Statements of work: for a client who wants it formal (``statement_of_work = true``),
each quote also goes as a numbered PDF of the scope (the request in the client's words,
and staff's words when they quoted it), the estimate, the price, the start and complete
dates, the purchase-order line and the terms. Approving the quote accepts it; the
approval email names its number.

The number comes from one gap-free sequence (``quotes.sow_prefix`` then 00001, ...),
taken in the transaction that queues the quote's email, so a filing rolled back gives it
back; a quote keeps its number however often it is sent.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.db import utcnow
from intake.mail.models import InboundMessage
from intake.outbox.compose import Attachment
from intake.outbox.templates import day, render_text, when
from intake.plans import price_sheet
from intake.quotes.documents import sow_pdf
from intake.quotes.models import Quote
from intake.requests.models import Counter, Request
from intake.settings import Settings

# The client's words in the scope: a long mail is cut (with a note saying so).
SCOPE_LIMIT = 4000


def sow_attachments(
    session: Session,
    settings: Settings,
    request: Request,
    quote: Quote,
    notes: str = "",
    asked: str | None = None,
) -> list[Attachment]:
    """The quote's statement of work as a PDF, numbered now if it has no number yet; none
    for a client who does not want one. ``notes``: what staff wrote to the client with it;
    ``asked``: the client's words, when they are being filed now (else as stored)."""
    client = request.client
    if client is None or not client.statement_of_work:
        return []
    if quote.sow_number is None:
        quote.sow_number = next_sow_number(session, settings)
    document = sow_pdf(sow_context(session, settings, request, quote, notes, asked))
    return [Attachment(f"{quote.sow_number}.pdf", "application/pdf", document)]


def next_sow_number(session: Session, settings: Settings) -> str:
    """The next number of the one sequence: the counter's row stays locked until the
    transaction ends, so no two quotes get the same number and none is skipped."""
    last = session.execute(
        sa.update(Counter)
        .where(Counter.name == "sow")
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    ).scalar_one_or_none()
    if last is None:  # a database made before statements of work: start the sequence
        session.add(Counter(name="sow", value=1))
        session.flush()
        last = 1
    return f"{settings.quotes.sow_prefix}{last:05d}"


def sow_context(
    session: Session,
    settings: Settings,
    request: Request,
    quote: Quote,
    notes: str = "",
    words: str | None = None,
) -> dict[str, Any]:
    client = request.client
    assert client is not None
    if words is None:  # the request's first message, as filed
        words = session.scalar(
            sa.select(InboundMessage.new_text)
            .where(InboundMessage.request_id == request.id)
            .order_by(InboundMessage.id)
            .limit(1)
        )
    asked = (words or "").strip()
    cut = len(asked) > SCOPE_LIMIT
    plan = price_sheet(settings).plans.get(client.plan_on(date.today()))
    context: dict[str, Any] = {
        "number": quote.sow_number,
        "issued": day(utcnow().astimezone(settings.zone).date()),
        "agency": settings.billing.legal_name or settings.agency_name,
        "agency_address": settings.billing.address,
        "agency_tax_id": settings.billing.tax_id,
        "support_address": settings.support_address,
        "client_name": client.name,
        "client_address": client.billing_address or "",
        "ref": request.ref,
        "subject": request.subject,
        "version": quote.version,
        "asked": asked[:SCOPE_LIMIT] + ("\n[…]" if cut else ""),
        "asked_cut": cut,
        "notes": notes.strip(),
        "type": request.type.value if request.type else "question",
        "severity": request.severity.value if request.severity else "minor",
        "hours": quote.hours,
        "included_hours": quote.hours - quote.chargeable_hours,
        "chargeable_hours": quote.chargeable_hours,
        "rate": quote.rate,
        "amount": quote.amount,
        "currency": settings.billing.currency,
        "plan_name": plan.name if plan is not None else "",
        "start_by": when(quote.start_by, client.timezone) if quote.start_by else "on approval",
        "complete_by": day(quote.complete_by) if quote.complete_by else "to be agreed",
        "requires_po": client.requires_po,
        "po": quote.po,
        "payment_terms_days": settings.billing.payment_terms_days,
    }
    context["terms"] = render_text("documents/sow_terms.txt", context, settings.templates_dir)
    return context
