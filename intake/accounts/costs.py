"""What each plan would have cost a client for the work it had done: the statement's own
rules, run again for every plan over the same logged hours.

Pure: the logged work in, one :class:`Costing` per plan out. Every month of the window is
billed as a statement would bill it under that plan (``compute_statement``), with every
hour approved: the advice compares plans for work the client wanted, not approvals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from intake.billing.statement import INCLUDED, Entry, Period, RequestTerms, compute_statement
from intake.plans import Plan
from intake.quotes.pricing import ZERO, to_cents

NOTHING = to_cents(ZERO)


@dataclass(frozen=True)
class Work:
    """Hours logged on one request on one day."""

    request_id: int
    type: str  # bug | feature | security | question
    hours: Decimal
    work_date: date


@dataclass(frozen=True)
class Costing:
    """One plan over the window: what it would have cost, its fees among it, and how many
    of the hours logged it would have covered at no extra charge; ``monthly``: the cost of
    each month, earliest first."""

    plan: Plan
    cost: Decimal
    fees: Decimal
    hours: Decimal
    hours_covered: Decimal
    monthly: tuple[Decimal, ...] = ()

    @property
    def hourly(self) -> Decimal:
        return self.cost - self.fees


def window(last: Period, months: int = 3) -> tuple[Period, ...]:
    """The ``months`` months that end with ``last``, earliest first."""
    periods = [last]
    while len(periods) < months:
        periods.append(periods[-1].previous())
    return tuple(reversed(periods))


def cost_under(
    plan: Plan, rate: Decimal, periods: Sequence[Period], work: Sequence[Work]
) -> Costing:
    """``work`` (dated within ``periods``) billed month by month as under ``plan`` for the
    whole window, at ``rate`` an hour beyond what the plan covers."""
    inside = {p: [w for w in work if Period.of(w.work_date) == p] for p in periods}
    if sum(len(done) for done in inside.values()) != len(work):
        raise ValueError("work is dated outside the months compared")
    covered = ZERO
    monthly = []
    for period, done in inside.items():
        draft = compute_statement(period, plan, None, _terms(done, rate), _entries(done))
        monthly.append(draft.total)
        covered += sum((line.hours or ZERO for line in draft.lines if line.kind == INCLUDED), ZERO)
    fees = to_cents(plan.fee) * len(inside)
    hours = sum((w.hours for w in work), ZERO)
    return Costing(plan, sum(monthly, ZERO), fees, hours, covered, tuple(monthly))


def costs(
    plans: Mapping[str, Plan], rate: Decimal, periods: Sequence[Period], work: Sequence[Work]
) -> dict[str, Costing]:
    """Every plan's :func:`cost_under`, by plan key."""
    return {key: cost_under(plan, rate, periods, work) for key, plan in plans.items()}


def _terms(work: Sequence[Work], rate: Decimal) -> dict[int, RequestTerms]:
    """Each request with all its hours approved at ``rate``."""
    hours: dict[int, Decimal] = {}
    kinds: dict[int, str] = {}
    for w in work:
        hours[w.request_id] = hours.get(w.request_id, ZERO) + w.hours
        kinds[w.request_id] = w.type
    return {
        r: RequestTerms(
            request_id=r,
            reference=f"REQ-{r}",
            number=r,
            subject="",
            type=kinds[r],
            rate=rate,
            approved_chargeable_hours=hours[r],
            approved_amount=to_cents(hours[r] * rate),
        )
        for r in hours
    }


def _entries(work: Sequence[Work]) -> list[Entry]:
    return [Entry(i, w.request_id, w.hours, w.work_date) for i, w in enumerate(work, 1)]
