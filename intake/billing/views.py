"""A stored statement as the client reads it: one row per request (and per late month),
included hours used and left, the month's SLA record and approved work still open; in
English, or in the client's language as its email and PDF show it (the CSV stays English)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from intake.billing.models import Statement
from intake.billing.statement import Period
from intake.clients.models import Client
from intake.outbox.language import N_, SOURCE, translations
from intake.outbox.templates import day, hours, month, short_day
from intake.plans import price_sheet
from intake.quotes.models import Quote
from intake.quotes.pricing import ZERO
from intake.requests.models import Request, TimeEntry
from intake.requests.states import OPEN, Status
from intake.settings import Settings
from intake.sla.service import standing

WORKING = (Status.APPROVED, Status.IN_PROGRESS, Status.WAITING_ON_CLIENT)


def period_name(period: Period, language: str = SOURCE) -> str:
    """2026-10 -> "October 2026" (in German "Oktober 2026")."""
    return month(period.first_day, language)


def statement_context(
    session: Session,
    settings: Settings,
    client: Client,
    statement: Statement,
    entry_ids: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Everything the statement email, its CSV and its PDF show; plain values only.
    ``entry_ids``: the time entries of a statement not stored (a preview); a stored one
    reads those it accounts for."""
    period = Period.parse(statement.period)
    plan = price_sheet(settings).plan(client.plan)
    fee = next((line.amount for line in statement.lines if line.kind == "fee"), None)
    used = sum(
        (line.pool_hours for line in statement.lines if line.work_month == period.label), ZERO
    )
    refs = _refs(session, {line.request_id for line in statement.lines if line.request_id})
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for line in statement.lines:
        if line.request_id is None or line.hours is None:
            continue
        month = line.work_month or period.label
        key = (month, line.request_id)
        if key not in rows:
            ref, subject, kind = refs[line.request_id]
            rows[key] = {
                "ref": ref,
                "subject": subject,
                "type": kind,
                "month": month,
                "hours": ZERO,
                "covered": ZERO,
                "included": ZERO,
                "charged": ZERO,
                "not_charged": ZERO,
                "amount": ZERO,
            }
        row = rows[key]
        row["hours"] += line.hours
        # Included hours that took none of the month's included hours are what the plan
        # covers (bug fixes, security work, questions), not hours "used" from the pool.
        covered = line.kind == "included" and not line.pool_hours
        row["covered" if covered else line.kind] += line.hours
        row["amount"] += line.amount
    ordered = [rows[k] for k in sorted(rows, key=lambda k: (k[0] != period.label, k))]
    logged = _entries(session, statement, entry_ids)
    for (month, request_id), row in rows.items():
        row["why"] = breakdown(row)
        row["entries"] = logged.get((month, request_id), [])
    return {
        "agency_name": settings.agency_name,
        "client_name": client.name,
        "period": period.label,
        "period_name": period_name(period),
        "plan_name": plan.name,
        "fee": fee,
        "included_hours": plan.included_hours,
        "included_used": used,
        "included_left": max(ZERO, plan.included_hours - used),
        "rows": [r for r in ordered if r["month"] == period.label],
        "adjustments": [r for r in ordered if r["month"] != period.label],
        "lines": [
            {
                "kind": line.kind,
                "month": line.work_month or period.label,
                "description": line.description,
                "hours": line.hours,
                "amount": line.amount,
            }
            for line in statement.lines
        ],
        "total": statement.total,
        "preview": False,  # True: the running month so far, not sent (bill --preview)
        "language": SOURCE,  # what the words and dates here are written in: in_language
        "currency": statement.currency or settings.billing.currency,
        "invoice": invoice_context(settings, client, statement),
        "sla": sla_record(session, settings, client, period),
        "open_work": open_work(session, client),
    }


REVERSE_CHARGE = N_(
    "Reverse charge: no VAT is charged on this invoice; the recipient accounts for it "
    "(Article 196, Council Directive 2006/112/EC)."
)


def invoice_context(settings: Settings, client: Client, statement: Statement) -> dict[str, Any]:
    """Who bills whom, the number, the dates and the tax; ``number`` is None on a statement
    made before invoices were numbered (then the rest is shown as far as it is known)."""
    billing = settings.billing
    return {
        "number": statement.number,
        "issued_on": day(statement.issued_on) if statement.issued_on else None,
        "due_on": day(statement.due_on) if statement.due_on else None,
        "issued": statement.issued_on,  # the dates themselves, for in_language
        "due": statement.due_on,
        "terms_days": billing.payment_terms_days,
        "seller": {
            "name": billing.legal_name or settings.agency_name,
            "address": _lines(billing.address),
            "tax_id": billing.tax_id or None,
        },
        "buyer": {
            "name": client.name,
            # An address that starts with the client's name does not say it twice.
            "address": [
                line
                for n, line in enumerate(_lines(client.billing_address or ""))
                if n or line.casefold() != client.name.casefold()
            ],
            "tax_id": client.tax_id,
        },
        "net": statement.total,
        "tax_rate": (
            None if statement.tax_rate is None else format(statement.tax_rate.normalize(), "f")
        ),
        "tax": statement.tax,
        "gross": statement.gross,
        "reverse_charge": REVERSE_CHARGE if statement.reverse_charge else None,
    }


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _entries(
    session: Session, statement: Statement, entry_ids: Sequence[int] | None
) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """The time entries behind each row, by (month worked, request): day, hours, note."""
    if entry_ids is None:
        if statement.id is None:
            return {}
        where = TimeEntry.statement_id == statement.id
    else:
        where = TimeEntry.id.in_(list(entry_ids))
    found: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for entry in session.scalars(
        sa.select(TimeEntry).where(where).order_by(TimeEntry.work_date, TimeEntry.id)
    ):
        month = f"{entry.work_date:%Y-%m}"
        found[(month, entry.request_id)].append(
            {
                "day": short_day(entry.work_date),
                "date": entry.work_date,
                "hours": entry.hours,
                "note": entry.note,
            }
        )
    return found


COVERED = {"bug": N_("bug fix"), "security": N_("security work"), "question": N_("question")}
OTHER_WORK = N_("work")
WHY = {
    "covered": N_("%(work)s, covered by your plan"),
    "included": N_("from your included hours"),
    "charged": N_("charged as approved"),
    "not_charged": N_("beyond the approved estimate: not charged"),
}


def breakdown(row: dict[str, Any], language: str = SOURCE) -> str:
    """A row's hours in words: what the plan covers, what came from the included hours,
    what was charged and what was not, and why."""
    words = translations(language)
    work = words.gettext(COVERED.get(row["type"], OTHER_WORK))
    parts = [
        (row[part], words.gettext(said) % {"work": work}) for part, said in WHY.items() if row[part]
    ]
    if len(parts) == 1:  # all of the row's hours: "1.75 h: bug fix, covered by your plan"
        return parts[0][1]
    return "; ".join(f"{hours(amount, language)} {said}" for amount, said in parts)


# A request's status as a client reads it.
STATUSES = {
    Status.NEW: N_("new"),
    Status.HELD: N_("held"),
    Status.REVIEW: N_("review"),
    Status.QUOTED: N_("quoted"),
    Status.APPROVED: N_("approved"),
    Status.IN_PROGRESS: N_("in progress"),
    Status.WAITING_ON_CLIENT: N_("waiting on client"),
    Status.DONE: N_("done"),
    Status.DECLINED: N_("declined"),
}


def status_word(status: Status, language: str = SOURCE) -> str:
    """Status.IN_PROGRESS -> "in progress" (in German "in Arbeit")."""
    return translations(language).gettext(STATUSES[status])


def in_language(context: dict[str, Any], language: str) -> dict[str, Any]:
    """The statement context of :func:`statement_context` as the client reads it in
    ``language``: the same figures, its words and dates in that language, and ``language``
    saying so (the PDF writes its own words, money and hours in it)."""
    if language == SOURCE:
        return context
    words = translations(language)

    def reworded(row: dict[str, Any]) -> dict[str, Any]:
        entries = [{**e, "day": short_day(e["date"], language)} for e in row["entries"]]
        return {**row, "why": breakdown(row, language), "entries": entries}

    invoice = context["invoice"]
    return {
        **context,
        "language": language,
        "period_name": period_name(Period.parse(context["period"]), language),
        "rows": [reworded(row) for row in context["rows"]],
        "adjustments": [reworded(row) for row in context["adjustments"]],
        "invoice": {
            **invoice,
            "issued_on": day(invoice["issued"], language) if invoice["issued"] else None,
            "due_on": day(invoice["due"], language) if invoice["due"] else None,
            "reverse_charge": (
                words.gettext(REVERSE_CHARGE) if invoice["reverse_charge"] else None
            ),
        },
        "open_work": [
            {**work, "status": status_word(work["state"], language)}
            for work in context["open_work"]
        ],
    }


def _refs(session: Session, ids: set[int]) -> dict[int, tuple[str, str, str]]:
    found = session.execute(
        sa.select(Request.id, Request.number, Request.subject, Request.type).where(
            Request.id.in_(ids)
        )
    )
    return {
        rid: (f"REQ-{number}", subject, kind.value if kind else "question")
        for rid, number, subject, kind in found
    }


def sla_record(
    session: Session, settings: Settings, client: Client, period: Period
) -> dict[str, int]:
    """First responses and resolutions of the month, and how many were on time. The month
    runs from midnight to midnight in the agency's time zone, as the rest of the statement."""
    return sla_record_between(session, settings, client, period.first_day, period.next().first_day)


def sla_record_between(
    session: Session, settings: Settings, client: Client, first: date, until: date
) -> dict[str, int]:
    """The same from midnight of ``first`` to midnight of ``until`` (not included)."""
    start = _midnight(first, settings)
    end = _midnight(until, settings)
    found = session.scalars(
        sa.select(Request)
        .where(
            Request.client_id == client.id,
            sa.or_(
                Request.first_response_at.between(start, end),
                sa.and_(Request.status == Status.DONE, Request.closed_at.between(start, end)),
            ),
        )
        .options(selectinload(Request.events), selectinload(Request.client))
    )
    record = {"responses": 0, "responses_on_time": 0, "resolutions": 0, "resolutions_on_time": 0}
    for request in found:
        answered = request.first_response_at
        if answered is not None and start <= answered < end:
            reading = standing(settings, request, answered)
            if reading is not None:
                record["responses"] += 1
                record["responses_on_time"] += not reading.first_response.breached
        closed = request.closed_at
        if request.status is Status.DONE and closed is not None and start <= closed < end:
            reading = standing(settings, request, closed)
            if reading is not None:
                record["resolutions"] += 1
                record["resolutions_on_time"] += not reading.resolution.breached
    return record


def _midnight(day: date, settings: Settings) -> datetime:
    """The start of ``day`` on the agency's clock, in UTC as times are stored."""
    return datetime.combine(day, time(0), tzinfo=settings.zone).astimezone(UTC)


def open_work(session: Session, client: Client) -> list[dict[str, Any]]:
    """Approved work not yet done, with what was approved for it."""
    rows = session.execute(
        sa.select(Request, Quote)
        .join(Quote, Quote.request_id == Request.id)
        .where(
            Request.client_id == client.id,
            Request.status.in_(WORKING),
            Quote.status.in_(("approved", "included")),
        )
        .order_by(Request.number, Quote.version)
    ).all()
    latest: dict[int, dict[str, Any]] = defaultdict(dict)
    for request, quote in rows:
        latest[request.id] = {
            "ref": request.ref,
            "subject": request.subject,
            "status": status_word(request.status),
            "state": request.status,
            "hours": quote.hours,
            "amount": quote.amount if quote.amount > 0 else Decimal("0.00"),
        }
    return list(latest.values())


def open_requests(session: Session, client: Client) -> list[dict[str, Any]]:
    """The client's open requests (held mail aside) with the complete-by date promised."""
    found = session.scalars(
        sa.select(Request)
        .where(Request.client_id == client.id, Request.status.in_(OPEN - {Status.HELD}))
        .order_by(Request.number)
    ).all()
    promised = dict(
        session.execute(
            sa.select(Quote.request_id, Quote.complete_by)
            .where(
                Quote.request_id.in_([r.id for r in found]),
                Quote.status.in_(("pending", "approved", "included")),
            )
            .order_by(Quote.version)
        ).all()
    )
    return [
        {
            "ref": r.ref,
            "subject": r.subject,
            "status": r.status.value.replace("_", " "),
            "state": r.status,
            "promised": promised.get(r.id),
        }
        for r in found
    ]
