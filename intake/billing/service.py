"""Billing a month: each client's terms and unbilled hours are gathered in a few set-based
queries (``gathering``), the statement is computed (pure), stored once per (client, period)
with every time entry it accounts for marked, and queued to the client's billing addresses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from intake.billing.documents import statement_attachments
from intake.billing.gathering import gather
from intake.billing.models import BillingRun, InvoiceNumber, Statement, StatementLine
from intake.billing.statement import NOTHING as ZERO_CENTS
from intake.billing.statement import Draft, Period, RequestTerms, compute_statement
from intake.billing.views import in_language, statement_context
from intake.clients.models import Client
from intake.db import utcnow
from intake.errors import InvalidInput, NotFound
from intake.outbox.models import OutboundMessage
from intake.outbox.service import queue_email, staff_recipients
from intake.plans import price_sheet
from intake.quotes.pricing import FREE_UNDER_A_PLAN, ZERO, to_cents
from intake.requests.models import TimeEntry
from intake.settings import Settings

CREATED, BILLED, DRY_RUN, PREVIEW, RESENT, NOTHING, NOT_STORED = (
    "created",
    "already billed",
    "dry run",
    "preview, month not over",
    "resent",
    "nothing to bill",
    "nothing stored to resend",
)


@dataclass
class Billed:
    """What a run did for one client."""

    client: str
    period: str
    # created | already billed | dry run | preview, month not over | resent | nothing to bill
    # | nothing stored to resend
    outcome: str
    total: Decimal = ZERO_CENTS
    lines: list[dict[str, str | None]] = field(default_factory=list)
    sent_to: list[str] = field(default_factory=list)
    outbound_ids: list[int] = field(default_factory=list)
    # The stored statement as an invoice (number, dates, tax); None when nothing is stored.
    invoice: dict[str, str | None] | None = None


class BillingError(NotFound):
    """A client to bill does not exist, or its plan is not in the plans file."""


class MonthNotOver(InvalidInput):
    """A statement was to be stored or sent for a month that has not ended yet in the
    agency's time zone (a dry run may still preview it)."""


class NothingToResend(NotFound):
    """``resend`` found no stored statement for the month (for that client): a resend
    never bills a month that was not billed."""


def bill(
    session: Session,
    settings: Settings,
    period: Period,
    *,
    client: str | None = None,
    dry_run: bool = False,
    resend: bool = False,
    now: datetime | None = None,
) -> list[Billed]:
    """Bill ``period`` for every client (or one). A month already billed is left as it is;
    ``resend`` queues its stored statement again and bills nothing; ``dry_run`` stores and
    sends nothing. Only a month that is over at ``now`` (default: the clock) is billed; a
    dry run of one that is not is a preview."""
    ended = month_is_over(settings, period, now)
    if not ended and not dry_run:
        raise MonthNotOver(
            f"{period.label} has not ended yet ({settings.timezone}): its statements are "
            "made once it is over; --dry-run shows a preview"
        )
    resending = resend and not dry_run
    sheet = price_sheet(settings)
    query = sa.select(Client).options(selectinload(Client.plans)).order_by(Client.slug)
    if client is not None:
        query = query.where(Client.slug == client)
    clients = list(session.scalars(query))
    if client is not None and not clients:
        raise BillingError(f"there is no client {client!r} (intake clients list)")
    plans = {each.id: each.plan_on(period.first_day) for each in clients}
    for each in clients:
        if plans[each.id] not in sheet.plans:
            raise BillingError(
                f"client {each.slug} had plan {plans[each.id]!r} in {period.label}, "
                "not in plans_file"
            )
    existing = {
        s.client_id: s
        for s in session.scalars(sa.select(Statement).where(Statement.period == period.label))
    }
    fresh = [] if resending else [c for c in clients if c.id not in existing]
    inputs = gather(session, sheet, period, fresh)
    results = []
    for each in clients:
        stored = existing.get(each.id)
        if stored is not None:
            results.append(_again(session, settings, each, stored, resending))
        elif resending:
            results.append(Billed(each.slug, period.label, NOT_STORED))
        else:
            plan = sheet.plan(plans[each.id])
            terms, entries, unused = inputs[each.id]
            draft = compute_statement(period, plan, each.since, terms, entries, unused)
            made = _new(session, settings, each, draft, terms, plan.key, dry_run, ended)
            results.append(made)
    if resending and not any(r.outcome == RESENT for r in results):
        whom = f" for {client}" if client is not None else ""
        raise NothingToResend(
            f"nothing stored to resend: {period.label} was never billed{whom} "
            "(a resend bills nothing; bill the month without --resend)"
        )
    return results


def month_is_over(settings: Settings, period: Period, now: datetime | None = None) -> bool:
    """Whether ``period`` is over in the agency's time zone at ``now`` (default: the clock)."""
    return period.has_ended((now or utcnow()).astimezone(settings.zone).date())


def _new(
    session: Session,
    settings: Settings,
    client: Client,
    draft: Draft,
    terms: dict[int, RequestTerms],
    plan_key: str,
    dry_run: bool,
    ended: bool,
) -> Billed:
    """A statement not made before: nothing to bill, shown only (a dry run), or made."""
    if not draft.lines:
        return Billed(client.slug, draft.period.label, NOTHING)
    if dry_run:
        outcome = DRY_RUN if ended else PREVIEW
        return _result(client, draft.period, outcome, draft.total, _draft_lines(draft))
    return _store_and_send(session, settings, client, draft, terms, plan_key)


def due_period(local_now: datetime, at: time) -> Period | None:
    """The month the scheduler bills now: the previous one, on the 1st from ``at`` (local
    time) until midnight; None at any other time. A missed 1st is billed by hand."""
    if local_now.day != 1 or local_now.time() < at:
        return None
    return Period.of(local_now.date()).previous()


def record_run(session: Session, period: Period) -> bool:
    """Mark ``period`` as billed by the scheduler; False if it already was."""
    try:
        with session.begin_nested():
            session.add(BillingRun(period=period.label))
    except IntegrityError:
        return False
    return True


def staff_summary(
    session: Session, settings: Settings, period: Period, results: list[Billed]
) -> OutboundMessage | None:
    """The run at a glance for staff: each client's total, the sum, and who got nothing."""
    made = [r for r in results if r.outcome in (CREATED, RESENT)]
    if not made or not settings.staff:
        return None
    rows = [
        {
            "client": r.client,
            "total": str(r.total),
            "sent_to": ", ".join(r.sent_to) or "NOT SENT: the client has no billing_emails",
        }
        for r in made
    ]
    unsent = [r.client for r in made if not r.sent_to]
    summary = queue_email(
        session,
        settings,
        "staff_billing_summary",
        staff_recipients(settings),
        {
            "period": period.label,
            "rows": rows,
            "sum": str(sum((r.total for r in made), ZERO_CENTS)),
            "unsent": unsent,
        },
        request=None,
    )
    session.flush()  # the caller sends it by its id
    return summary


# -- storing and sending ---------------------------------------------------------------


def _store_and_send(
    session: Session,
    settings: Settings,
    client: Client,
    draft: Draft,
    terms: dict[int, RequestTerms],
    plan_key: str,
) -> Billed:
    try:
        with session.begin_nested():
            # In this savepoint: a concurrent run that billed the client first, or a
            # failure later in the run, gives the number back.
            statement = _statement(
                settings, client, draft, terms, plan_key, next_invoice_number(session, settings)
            )
            session.add(statement)
            session.flush()
    except IntegrityError:  # a concurrent run billed this client first
        stored = session.scalar(
            sa.select(Statement).where(
                Statement.client_id == client.id, Statement.period == draft.period.label
            )
        )
        assert stored is not None
        return _again(session, settings, client, stored, resend=False)
    for start in range(0, len(draft.entry_ids), 1000):
        session.execute(
            sa.update(TimeEntry)
            .where(TimeEntry.id.in_(draft.entry_ids[start : start + 1000]))
            .values(statement_id=statement.id)
        )
    sent = _send(session, settings, client, statement)
    made = _result(client, draft.period, CREATED, draft.total, _stored_lines(statement), sent)
    made.invoice = invoice_of(statement)
    return made


def _statement(
    settings: Settings,
    client: Client,
    draft: Draft,
    terms: dict[int, RequestTerms],
    plan_key: str,
    number: str | None,
) -> Statement:
    """The statement of ``draft`` as the database keeps it, not added to any session."""
    paid = plan_key != "none"
    issued = utcnow().astimezone(settings.zone).date()
    statement = Statement(
        client_id=client.id,
        period=draft.period.label,
        total=draft.total,
        number=number,
        issued_on=issued,
        due_on=issued + timedelta(days=settings.billing.payment_terms_days),
        currency=settings.billing.currency,
        **invoice_tax(client, draft.total),
    )
    statement.lines = [
        StatementLine(
            position=n,
            kind=line.kind,
            description=line.description,
            request_id=line.request_id,
            hours=line.hours,
            amount=line.amount,
            work_month=(line.adjustment_for or draft.period).label,
            pool_hours=_pool_hours(line.kind, line.hours, line.request_id, terms, paid),
        )
        for n, line in enumerate(draft.lines, 1)
    ]
    return statement


@dataclass(frozen=True)
class Preview:
    """A client's statement of the running month so far, as they would read it: ``context``
    in English, ``in_language(context, language)`` for the email and the PDF."""

    client: str
    total: Decimal
    context: dict[str, Any]
    language: str = "en"


def preview(
    session: Session, settings: Settings, *, client: str | None = None, now: datetime | None = None
) -> list[Preview]:
    """The month so far (the agency's), each client's statement as it would be sent if
    the month ended now: nothing stored, numbered or sent (the caller rolls back)."""
    period = Period.of((now or utcnow()).astimezone(settings.zone).date())
    sheet = price_sheet(settings)
    query = sa.select(Client).options(selectinload(Client.plans)).order_by(Client.slug)
    if client is not None:
        query = query.where(Client.slug == client)
    clients = [c for c in session.scalars(query) if c.plan_on(period.first_day) in sheet.plans]
    if client is not None and not clients:
        raise BillingError(f"there is no client {client!r} with a plan in plans_file")
    inputs = gather(session, sheet, period, clients)
    shown = []
    for each in clients:
        plan_key = each.plan_on(period.first_day)
        terms, entries, unused = inputs[each.id]
        draft = compute_statement(period, sheet.plan(plan_key), each.since, terms, entries, unused)
        if not draft.lines:
            continue
        statement = _statement(settings, each, draft, terms, plan_key, None)
        context = statement_context(session, settings, each, statement, draft.entry_ids)
        base = {"support_address": settings.support_address, "ref": ""}
        shown.append(
            Preview(each.slug, draft.total, {**base, **context, "preview": True}, each.language)
        )
    return shown


def next_invoice_number(session: Session, settings: Settings) -> str:
    """The next number of the agency's one gap-free sequence, with the settings' prefix.
    The row is locked until the transaction ends, so two runs never give the same number,
    and a run rolled back gives its numbers back."""
    last = session.execute(
        sa.update(InvoiceNumber)
        .where(InvoiceNumber.id == 1)
        .values(last=InvoiceNumber.last + 1)
        .returning(InvoiceNumber.last)
    ).scalar_one_or_none()
    if last is None:  # a database made before the sequence: start it
        session.add(InvoiceNumber(id=1, last=1))
        session.flush()
        last = 1
    return f"{settings.billing.invoice_prefix}{last:05d}"


def invoice_of(statement: Statement) -> dict[str, str | None]:
    """The statement's invoice fields as strings (money to the cent, dates ISO 8601)."""
    return {
        "number": statement.number,
        "issued_on": statement.issued_on.isoformat() if statement.issued_on else None,
        "due_on": statement.due_on.isoformat() if statement.due_on else None,
        "currency": statement.currency,
        "net": str(statement.total),
        "tax_rate": (
            None if statement.tax_rate is None else format(statement.tax_rate.normalize(), "f")
        ),
        "tax": str(statement.tax),
        "gross": str(statement.gross),
        "reverse_charge": "true" if statement.reverse_charge else "false",
    }


def invoice_tax(client: Client, net: Decimal) -> dict[str, Any]:
    """The tax on a statement of ``net``: the client's rate (percent) on the lines, rounded
    half-up to the cent, or none under the reverse charge (the invoice says so)."""
    if client.reverse_charge or client.tax_rate is None:
        return {"tax_rate": None, "tax": ZERO_CENTS, "reverse_charge": client.reverse_charge}
    rate = Decimal(client.tax_rate)
    return {"tax_rate": rate, "tax": to_cents(net * rate / 100), "reverse_charge": False}


def _again(
    session: Session, settings: Settings, client: Client, statement: Statement, resend: bool
) -> Billed:
    sent = _send(session, settings, client, statement) if resend else None
    period = Period.parse(statement.period)
    outcome = RESENT if resend else BILLED
    result = _result(client, period, outcome, statement.total, _stored_lines(statement), sent)
    result.invoice = invoice_of(statement)
    if not resend:
        result.sent_to = delivered_to(session, statement)
    return result


def delivered_to(session: Session, statement: Statement) -> list[str]:
    """Where the email that last carried ``statement`` went, once the mail server took it;
    empty while it waits in the outbox, or if it was refused."""
    if statement.message_id is None:
        return []
    recipients = session.scalar(
        sa.select(OutboundMessage.recipients).where(
            OutboundMessage.message_id == statement.message_id,
            OutboundMessage.state == "sent",
        )
    )
    return list(recipients or [])


def _send(
    session: Session, settings: Settings, client: Client, statement: Statement
) -> OutboundMessage | None:
    if not client.billing_emails:
        return None
    context = as_the_client_reads_it(session, settings, client, statement)
    message = queue_email(
        session,
        settings,
        "statement",
        list(client.billing_emails),
        context,
        request=None,
        automatic=False,
        attachments=statement_attachments(context),
        language=client.language,
    )
    statement.sent_at, statement.message_id = message.created_at, message.message_id
    session.flush()  # the caller reports the email's id
    return message


def as_the_client_reads_it(
    session: Session, settings: Settings, client: Client, statement: Statement
) -> dict[str, Any]:
    """A stored statement's context in the client's language: what its email and its PDF
    show (its CSV is English whatever the language)."""
    return in_language(statement_context(session, settings, client, statement), client.language)


def statements_as_read(
    session: Session, settings: Settings, period: Period
) -> dict[str, dict[str, Any]]:
    """Each client's stored statement of ``period`` as the client reads it, by the client's
    slug: the contexts its emails and PDFs are made from."""
    found = session.execute(
        sa.select(Client, Statement)
        .join(Statement, Statement.client_id == Client.id)
        .where(Statement.period == period.label)
        .order_by(Client.slug)
    )
    return {
        client.slug: as_the_client_reads_it(session, settings, client, statement)
        for client, statement in found
    }


def _result(
    client: Client,
    period: Period,
    outcome: str,
    total: Decimal,
    lines: list[dict[str, str | None]],
    sent: OutboundMessage | None = None,
) -> Billed:
    return Billed(
        client.slug,
        period.label,
        outcome,
        total,
        lines,
        list(sent.recipients) if sent is not None else [],
        [sent.id] if sent is not None else [],
    )


def _pool_hours(
    kind: str,
    hours: Decimal | None,
    request_id: int | None,
    terms: dict[int, RequestTerms],
    paid: bool,
) -> Decimal:
    if kind != "included" or hours is None or request_id is None or not paid:
        return ZERO
    return ZERO if terms[request_id].type in FREE_UNDER_A_PLAN else hours


def _draft_lines(draft: Draft) -> list[dict[str, str | None]]:
    return [_line(line.kind, line.description, line.hours, line.amount) for line in draft.lines]


def _stored_lines(statement: Statement) -> list[dict[str, str | None]]:
    return [_line(line.kind, line.description, line.hours, line.amount) for line in statement.lines]


def _line(
    kind: str, description: str, hours: Decimal | None, amount: Decimal
) -> dict[str, str | None]:
    shown = None if hours is None else format(hours.normalize(), "f")
    return {"kind": kind, "description": description, "hours": shown, "amount": str(amount)}
