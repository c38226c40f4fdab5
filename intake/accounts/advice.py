"""Plan advice from usage: for each client, what it was billed over the last months beside
what every plan would have cost for the same logged work (``costs``), and whether another
plan would have served it better. Staff get the report after each month's statements;
clients get the advice (once a quarter) only when the agency turns it on."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from babel.dates import format_interval
from babel.numbers import format_decimal
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.accounts.costs import Costing, Work, costs, window
from intake.accounts.models import AdviceRun, AdviceSent
from intake.billing.models import Statement, StatementLine
from intake.billing.statement import FEE, Period
from intake.clients.models import Client, Contact
from intake.outbox.language import SOURCE, translations
from intake.outbox.models import OutboundMessage
from intake.outbox.service import queue_email, staff_recipients
from intake.outbox.templates import hours as show_hours
from intake.outbox.templates import money
from intake.plans import Plan, PriceSheet, Target, price_sheet
from intake.quotes.pricing import ZERO, has_paid_plan, to_cents
from intake.requests.models import Request, TimeEntry
from intake.settings import Settings

NOTHING = to_cents(ZERO)


@dataclass(frozen=True)
class Advice:
    """One client over the window. ``billed`` and ``hourly`` are per month: what its
    statements came to, and the part of it beyond plan fees (a month not billed yet
    counts as the statement rules would bill it under its plan). ``better`` is the
    cheapest other plan that would have cost less than it was billed; ``compared`` is
    the plan the report names: ``better``, or else the cheapest other paid plan."""

    client: Client
    plan: Plan
    periods: tuple[Period, ...]
    billed: tuple[Decimal, ...]
    hourly: tuple[Decimal, ...]
    costings: dict[str, Costing]
    better: Costing | None
    compared: Costing
    over_the_fee: bool  # no plan, and more than the cheapest plan's fee two months running

    @property
    def paid(self) -> Decimal:
        return sum(self.billed, NOTHING)

    @property
    def hours(self) -> Decimal:
        return self.compared.hours

    @property
    def saving(self) -> Decimal:
        return self.paid - self.better.cost if self.better is not None else NOTHING

    @property
    def flagged(self) -> bool:
        """Whether staff should hear of it."""
        return self.better is not None or self.over_the_fee

    def line(self, currency: str) -> str:
        """ "Harbor: $1,350.00 hourly over Sep–Nov 2026 (9 h); Basic would have cost …" """
        cash = lambda value: money(value, currency)  # noqa: E731
        if has_paid_plan(self.plan):
            spent = f"{cash(self.paid)} on {self.plan.name} ({cash(sum(self.hourly))} of it hourly)"
        else:
            spent = f"{cash(self.paid)} hourly"
        other = self.compared
        verdict = (
            f"advise {other.plan.name}, {cash(self.saving)} less"
            if self.better is not None
            else "no change advised"
        )
        return (
            f"{self.client.name}: {spent} over {span(self.periods)} for {show_hours(self.hours)}"
            f" of work; {other.plan.name} would have cost {cash(other.cost)}"
            f" ({cash(other.plan.fee)} and {show_hours(other.plan.included_hours)} included a"
            f" month), covering"
            f" {show_hours(other.hours_covered)} of the work: {verdict}"
        )

    def as_json(self, currency: str) -> dict[str, Any]:
        return {
            "client": self.client.slug,
            "plan": self.plan.key,
            "months": [p.label for p in self.periods],
            "billed": [str(b) for b in self.billed],
            "hourly": [str(h) for h in self.hourly],
            "paid": str(self.paid),
            "hours": str(self.hours),
            "plans": {
                key: {"cost": str(c.cost), "hours_covered": str(c.hours_covered)}
                for key, c in self.costings.items()
            },
            "advised": self.better.plan.key if self.better is not None else None,
            "saving": str(self.saving),
            "flagged": self.flagged,
            "line": self.line(currency),
        }


def span(periods: Sequence[Period], language: str = SOURCE) -> str:
    """Sep–Nov 2026; Dec 2026–Feb 2027; Nov 2026 (in German "Sept.–Nov. 2026", as CLDR
    writes a range of months)."""
    first, last = periods[0].first_day, periods[-1].first_day
    if language != SOURCE:
        return format_interval(first, last, "yMMM", locale=language)
    if first == last:
        return f"{last:%b %Y}"
    if first.year == last.year:
        return f"{first:%b}–{last:%b %Y}"
    return f"{first:%b %Y}–{last:%b %Y}"


def advise(
    session: Session, settings: Settings, last: Period, clients: Iterable[Client] | None = None
) -> list[Advice]:
    """Every client with work or a statement in the months up to ``last``, by slug. A
    client is compared over the months since it became one (its contract start, else its
    first request): a client of one month is not told what three would have cost."""
    sheet = price_sheet(settings)
    periods = window(last, settings.advice.months)
    chosen = list(clients) if clients is not None else list(session.scalars(sa.select(Client)))
    by_id = {c.id: c for c in chosen}
    work = _work(session, by_id, periods)
    billed = _billed(session, by_id, periods)
    first = _first_requests(session)
    found = []
    for client in sorted(chosen, key=lambda c: c.slug):
        start = client.since or first.get(client.id)
        months = tuple(p for p in periods if start is None or p.last_day >= start)
        done = [w for w in work.get(client.id, []) if Period.of(w.work_date) in months]
        statements = {p: b for p, b in billed.get(client.id, {}).items() if p in months}
        if months and (done or statements):
            found.append(one(sheet, client, months, done, statements))
    return found


def _first_requests(session: Session) -> dict[int, date]:
    """The day of each client's first request."""
    rows = session.execute(
        sa.select(Request.client_id, sa.func.min(Request.opened_at))
        .where(Request.client_id.is_not(None))
        .group_by(Request.client_id)
    )
    return {client_id: opened.date() for client_id, opened in rows if client_id is not None}


def one(
    sheet: PriceSheet,
    client: Client,
    periods: tuple[Period, ...],
    work: Sequence[Work],
    billed: dict[Period, tuple[Decimal, Decimal]],
) -> Advice:
    """The advice for one client: ``billed`` holds its stored statements' (total, fees)."""
    plan = sheet.plans.get(client.plan_on(periods[-1].last_day)) or sheet.plan("none")
    rate = client.hourly_rate if client.hourly_rate is not None else sheet.hourly_rate
    costings = costs(sheet.plans, rate, periods, work)
    # A month with no statement yet (the running one, say): as the rules bill it today.
    own, fee = costings[plan.key].monthly, to_cents(plan.fee)
    totals = tuple(
        billed[p][0] if p in billed else cost for p, cost in zip(periods, own, strict=True)
    )
    hourly = tuple(
        billed[p][0] - billed[p][1] if p in billed else cost - fee
        for p, cost in zip(periods, own, strict=True)
    )
    paid = sum(totals, NOTHING)
    # A client on a plan is never advised to drop it: a plan buys response times too.
    others = sorted(
        (
            c
            for key, c in costings.items()
            if key != plan.key and (has_paid_plan(c.plan) or not has_paid_plan(plan))
        ),
        key=lambda c: (c.cost, c.plan.fee),
    )
    cheaper = [c for c in others if c.cost < paid]
    paid_plans = [c for c in others if has_paid_plan(c.plan)] or others
    cheapest_fee = min((p.fee for p in sheet.plans.values() if has_paid_plan(p)), default=None)
    over = (
        not has_paid_plan(plan)
        and cheapest_fee is not None
        and any(a > cheapest_fee and b > cheapest_fee for a, b in itertools.pairwise(hourly))
    )
    better = cheaper[0] if cheaper else None
    return Advice(
        client=client,
        plan=plan,
        periods=periods,
        billed=totals,
        hourly=hourly,
        costings=costings,
        better=better,
        # A price sheet of one plan: nothing to compare with but itself.
        compared=better or (paid_plans[0] if paid_plans else costings[plan.key]),
        over_the_fee=over,
    )


def _work(
    session: Session, clients: dict[int, Client], periods: Sequence[Period]
) -> dict[int, list[Work]]:
    found: dict[int, list[Work]] = {}
    if not clients:
        return found
    rows = session.execute(
        sa.select(
            Request.client_id,
            TimeEntry.request_id,
            Request.type,
            TimeEntry.hours,
            TimeEntry.work_date,
        )
        .join(Request, Request.id == TimeEntry.request_id)
        .where(
            Request.client_id.in_(clients),
            TimeEntry.work_date >= periods[0].first_day,
            TimeEntry.work_date <= periods[-1].last_day,
        )
    )
    for client_id, request_id, kind, hours, work_date in rows:
        if hours > ZERO and client_id is not None:
            named = kind.value if kind is not None else "question"
            found.setdefault(client_id, []).append(Work(request_id, named, hours, work_date))
    return found


def _billed(
    session: Session, clients: dict[int, Client], periods: Sequence[Period]
) -> dict[int, dict[Period, tuple[Decimal, Decimal]]]:
    """Per client and month: its statement's total and the plan fee on it."""
    found: dict[int, dict[Period, tuple[Decimal, Decimal]]] = {}
    if not clients:
        return found
    fees = (
        sa.select(sa.func.coalesce(sa.func.sum(StatementLine.amount), 0))
        .where(StatementLine.statement_id == Statement.id, StatementLine.kind == FEE)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(Statement.client_id, Statement.period, Statement.total, fees).where(
            Statement.client_id.in_(clients), Statement.period.in_([p.label for p in periods])
        )
    )
    for client_id, period, total, fee in rows:
        fee = to_cents(Decimal(str(fee)))
        found.setdefault(client_id, {})[Period.parse(period)] = (total, fee)
    return found


def quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


# -- telling staff and clients ------------------------------------------------------------


def give_advice(
    session: Session, settings: Settings, period: Period, today: date
) -> list[OutboundMessage]:
    """After ``period``'s statements, once: the report to staff of the clients worth a word,
    and with ``advice.send_to_client`` the advice to each client another plan would have
    saved money, at most once a quarter (``today``'s, on the agency's clock)."""
    try:
        with session.begin_nested():
            session.add(AdviceRun(period=period.label))
    except IntegrityError:  # given already, by another run
        return []
    flagged = [a for a in advise(session, settings, period) if a.flagged]
    currency = settings.billing.currency
    queued = []
    if flagged and settings.staff:
        context = {
            "span": span(flagged[0].periods),
            "lines": [a.line(currency) for a in flagged],
            "currency": currency,
            "send_to_client": settings.advice.send_to_client,
        }
        queued.append(
            queue_email(
                session, settings, "staff_advice", staff_recipients(settings), context, request=None
            )
        )
    if settings.advice.send_to_client:
        for advice in flagged:
            if advice.better is not None:
                email = _once(
                    session,
                    settings,
                    advice.client,
                    "advice",
                    quarter(today),
                    advice_context(settings, advice, advice.client.language),
                )
                queued += [email] if email is not None else []
    session.flush()
    return queued


def introduce(session: Session, settings: Settings, today: date) -> list[OutboundMessage]:
    """The introduction to the plans, once, to each client with no plan whose contract
    started (or first request came) ``advice.introduce_after_days`` or more days ago."""
    if not settings.advice.introduce_plans:
        return []
    sheet = price_sheet(settings)
    first = _first_requests(session)
    done = set(
        session.scalars(sa.select(AdviceSent.client_id).where(AdviceSent.kind == "introduction"))
    )
    queued = []
    for client in session.scalars(sa.select(Client).order_by(Client.slug)):
        if client.id in done or has_paid_plan(
            sheet.plans.get(client.plan_on(today)) or sheet.plan("none")
        ):
            continue
        started = client.since or first.get(client.id)
        if started is None or (today - started).days < settings.advice.introduce_after_days:
            continue
        context = {"client_name": client.name, "tiers": tiers(sheet, client.language)}
        email = _once(session, settings, client, "introduction", "", context)
        queued += [email] if email is not None else []
    session.flush()
    return queued


def decision_makers(client: Client) -> list[Contact]:
    """Who hears of plans: the contacts who may approve work, else everyone on file."""
    return [c for c in client.contacts if c.can_approve] or list(client.contacts)


def _once(
    session: Session,
    settings: Settings,
    client: Client,
    kind: str,
    key: str,
    context: dict[str, Any],
) -> OutboundMessage | None:
    """The ``kind`` email to the client, unless it had it under ``key`` already."""
    people = decision_makers(client)
    if not people:
        return None  # no one to write to yet: it goes once there is
    try:
        with session.begin_nested():
            sent = AdviceSent(client_id=client.id, kind=kind, key=key)
            session.add(sent)
            session.flush()
    except IntegrityError:
        return None
    email = queue_email(
        session,
        settings,
        kind,
        [c.email for c in people],
        {"contact_name": people[0].name or "", "currency": settings.billing.currency, **context},
        request=None,
        language=client.language,
    )
    session.flush()
    sent.outbound_id = email.id
    return email


def advice_context(settings: Settings, advice: Advice, language: str = SOURCE) -> dict[str, Any]:
    better = advice.better
    assert better is not None
    return {
        "client_name": advice.client.name,
        "span": span(advice.periods, language),
        "months": len(advice.periods),
        "paid": str(advice.paid),
        "hours": str(advice.hours),
        "plan_name": advice.plan.name,
        "has_plan": has_paid_plan(advice.plan),
        "better": {
            "name": better.plan.name,
            "cost": str(better.cost),
            "fee": str(to_cents(better.plan.fee)),
            "covered": str(better.hours_covered),
        },
        "saving": str(advice.saving),
        "tiers": tiers(price_sheet(settings), language),
    }


def tiers(sheet: PriceSheet, language: str = SOURCE) -> list[dict[str, str]]:
    """The paid plans, cheapest first, as the emails list them."""
    return [
        {
            "name": p.name,
            "fee": str(to_cents(p.fee)),
            "included": str(p.included_hours),
            "critical": readable(p.first_response["critical"], language),
            "support": p.support,
        }
        for p in sorted(sheet.plans.values(), key=lambda p: p.fee)
        if has_paid_plan(p)
    ]


def readable(target: Target, language: str = SOURCE) -> str:
    """4h -> "4 hours", 1d -> "1 business day" (in German "4 Stunden", "1 Werktag")."""
    amount = target.amount.normalize()
    count = int(amount) if amount == amount.to_integral_value() else 2
    words = translations(language)
    if target.unit == "h":
        said = words.ngettext("%(count)s hour", "%(count)s hours", count)
    else:
        said = words.ngettext("%(count)s business day", "%(count)s business days", count)
    return said % {"count": format_decimal(amount, locale=language)}
