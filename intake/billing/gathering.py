"""What a month's statements are computed from, in a few set-based queries for all clients at
once: each request's approved terms and what was charged of them before, the unbilled time
entries up to the month's end, and the included hours left in earlier months."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.billing.models import Statement, StatementLine
from intake.billing.statement import NOTHING as ZERO_CENTS
from intake.billing.statement import Entry, Period, RequestTerms
from intake.clients.models import Client
from intake.plans import PriceSheet
from intake.quotes.models import Quote
from intake.quotes.pricing import CENT, ZERO, has_paid_plan, to_cents
from intake.requests.models import Request, TimeEntry

Inputs = tuple[dict[int, RequestTerms], list[Entry], dict[Period, Decimal]]


def gather(
    session: Session, sheet: PriceSheet, period: Period, clients: Iterable[Client]
) -> dict[int, Inputs]:
    """Per client id: its requests' terms, its unbilled entries up to ``period``'s end, and
    the included hours left in each earlier month that has late entries."""
    by_id = {c.id: c for c in clients}
    inputs: dict[int, Inputs] = {cid: ({}, [], {}) for cid in by_id}
    if not by_id:
        return inputs
    rows = session.execute(
        sa.select(
            TimeEntry.id,
            TimeEntry.request_id,
            TimeEntry.hours,
            TimeEntry.work_date,
            Request.client_id,
        )
        .join(Request, Request.id == TimeEntry.request_id)
        .where(
            TimeEntry.statement_id.is_(None),
            TimeEntry.work_date <= period.last_day,
            Request.client_id.in_(by_id),
        )
    ).all()
    request_ids = {row.request_id for row in rows}
    approved = _approved(session, request_ids)
    charged = _charged_before(session, request_ids)
    for request in _requests(session, request_ids):
        assert request.client_id is not None  # selected through the client
        client = by_id[request.client_id]
        quote = approved.get(request.id)
        rate = quote.rate if quote is not None else _rate(sheet, client)
        charged_hours, charged_amount = charged.get(request.id, (ZERO, ZERO_CENTS))
        inputs[client.id][0][request.id] = RequestTerms(
            request_id=request.id,
            reference=request.ref,
            number=request.number,
            subject=request.subject,
            type=request.type.value if request.type else "question",
            rate=rate,
            approved_chargeable_hours=quote.chargeable_hours if quote is not None else ZERO,
            approved_amount=quote.amount if quote is not None else ZERO_CENTS,
            already_charged_hours=charged_hours,
            already_charged_amount=charged_amount,
        )
    for row in rows:
        inputs[row.client_id][1].append(Entry(row.id, row.request_id, row.hours, row.work_date))
    late_months = {
        (row.client_id, Period.of(row.work_date))
        for row in rows
        if row.work_date < period.first_day
    }
    if late_months:
        used = _pool_used(session, {cid for cid, _ in late_months})
        for cid, month in late_months:
            client = by_id[cid]
            # The plan the client had then; compute_statement drops months before the contract
            plan = sheet.plans.get(client.plan_on(month.first_day))
            if plan is not None and has_paid_plan(plan):
                left = plan.included_hours - used.get((cid, month.label), ZERO)
                inputs[cid][2][month] = max(ZERO, left)
    return inputs


def _rate(sheet: PriceSheet, client: Client) -> Decimal:
    return client.hourly_rate if client.hourly_rate is not None else sheet.hourly_rate


def _requests(session: Session, ids: set[int]) -> list[Request]:
    found: list[Request] = []
    ordered = sorted(ids)
    for start in range(0, len(ordered), 1000):
        chunk = ordered[start : start + 1000]
        found += session.scalars(sa.select(Request).where(Request.id.in_(chunk)))
    return found


def _approved(session: Session, ids: set[int]) -> dict[int, Quote]:
    """Each request's latest approved quote: the chargeable hours the client agreed to."""
    latest: dict[int, Quote] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 1000):
        chunk = ordered[start : start + 1000]
        for quote in session.scalars(
            sa.select(Quote)
            .where(Quote.request_id.in_(chunk), Quote.status == "approved")
            .order_by(Quote.request_id, Quote.version)
        ):
            latest[quote.request_id] = quote
    return latest


def _charged_before(session: Session, ids: set[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """The hours and the money already charged per request on earlier statements: an
    approval spans months, in hours and in money."""
    totals: dict[int, tuple[Decimal, Decimal]] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 1000):
        chunk = ordered[start : start + 1000]
        for request_id, hours, amount in session.execute(
            sa.select(
                StatementLine.request_id,
                sa.func.sum(StatementLine.hours),
                sa.func.sum(StatementLine.amount),
            )
            .where(StatementLine.request_id.in_(chunk), StatementLine.kind == "charged")
            .group_by(StatementLine.request_id)
        ):
            if request_id is not None:
                # Both to the stored precision: a sum can come back as a float (SQLite).
                spent = Decimal(str(hours or 0)).quantize(CENT)
                totals[request_id] = (spent, to_cents(Decimal(str(amount or 0))))
    return totals


def _pool_used(session: Session, client_ids: set[int]) -> dict[tuple[int, str], Decimal]:
    """Included hours already used per client and month worked, on any statement."""
    rows = session.execute(
        sa.select(
            Statement.client_id, StatementLine.work_month, sa.func.sum(StatementLine.pool_hours)
        )
        .join(Statement, Statement.id == StatementLine.statement_id)
        .where(Statement.client_id.in_(client_ids), StatementLine.pool_hours > 0)
        .group_by(Statement.client_id, StatementLine.work_month)
    ).all()
    return {(cid, month or ""): Decimal(hours or 0) for cid, month, hours in rows}
