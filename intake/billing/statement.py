"""A client's monthly statement, computed from the plan, the approvals and the logged hours.

Pure: dataclasses in, a draft statement out. The service stores the draft and marks every
accounted time entry with the statement's id, so a month is billed once.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import TypeVar

from intake.plans import Plan, contract_started
from intake.quotes.pricing import CENT, FREE_UNDER_A_PLAN, ZERO, has_paid_plan, to_cents

FEE, INCLUDED, CHARGED, NOT_CHARGED = "fee", "included", "charged", "not_charged"
# The order of a request's lines on the statement.
KINDS = (INCLUDED, CHARGED, NOT_CHARGED)
PERIOD = re.compile(r"(\d{4})-(\d{2})")
NOTHING = ZERO.quantize(CENT)
K = TypeVar("K")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month that is billed as a whole."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.year <= 9999 and 1 <= self.month <= 12):
            raise ValueError(f"no such month: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Period:
        match = PERIOD.fullmatch(text.strip())
        if match is None or not 1 <= int(match[2]) <= 12:
            raise ValueError(f"period must be a month written YYYY-MM, such as 2026-10: {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def has_ended(self, today: date) -> bool:
        """Whether the month is over on ``today`` (a date on the agency's own clock)."""
        return today > self.last_day

    def previous(self) -> Period:
        return Period(self.year, self.month - 1) if self.month > 1 else Period(self.year - 1, 12)

    def next(self) -> Period:
        return Period(self.year, self.month + 1) if self.month < 12 else Period(self.year + 1, 1)

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class RequestTerms:
    """What a request may cost: its type and rate, and what was approved for it.

    The approval caps both the hours charged (``approved_chargeable_hours``) and the money
    (``approved_amount``, the approved quote's amount; 0.00 when nothing was approved).
    ``already_charged_hours`` and ``already_charged_amount`` are what earlier statements
    charged for it, so an approval holds across months rather than once per month, and
    lines rounded to the cent on their own never add up past the approved amount.
    """

    request_id: int
    reference: str  # "REQ-1042"
    number: int  # 1042: the order of requests on a statement
    subject: str
    type: str  # bug | feature | security | question
    rate: Decimal
    approved_chargeable_hours: Decimal  # 0 when nothing was approved
    approved_amount: Decimal  # the approved quote's amount: 0.00 when nothing was approved
    already_charged_hours: Decimal = ZERO
    already_charged_amount: Decimal = ZERO


@dataclass(frozen=True)
class Entry:
    """Hours logged on a request and not yet on any statement."""

    id: int
    request_id: int
    hours: Decimal
    work_date: date


@dataclass(frozen=True)
class Line:
    """One statement line. ``adjustment_for`` names the earlier month of late hours."""

    kind: str  # fee | included | charged | not_charged
    description: str
    request_id: int | None
    hours: Decimal | None
    amount: Decimal
    adjustment_for: Period | None = None
    entry_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Draft:
    """A statement ready to store and send.

    ``entry_ids`` are all the entries it accounts for, lines or not (a 0 h entry has none).
    ``included_used`` and ``included_left`` are the period's own included hours;
    ``included_used_late`` what adjustments drew from earlier months' leftover hours.
    ``charged_hours`` and ``charged_amount`` are, per request with entries, the hours and
    the money charged on this statement.
    """

    period: Period
    lines: tuple[Line, ...]
    total: Decimal
    included_used: Decimal
    included_left: Decimal
    included_used_late: Mapping[Period, Decimal]
    charged_hours: Mapping[int, Decimal]
    charged_amount: Mapping[int, Decimal]
    entry_ids: tuple[int, ...]


def compute_statement(
    period: Period,
    plan: Plan,
    since: date | None,
    requests: Mapping[int, RequestTerms],
    entries: Sequence[Entry],
    unused_included: Mapping[Period, Decimal] | None = None,
) -> Draft:
    """The statement of ``period`` for one client.

    ``entries`` are the client's unbilled entries dated up to the period's last day; those
    dated before the period are late hours and become adjustment lines for their own month.
    ``unused_included`` gives the included hours still unused in such earlier months.

    A paid plan covers the months from that of ``since`` (the contract start) on. A month
    before it has no plan for the client: no fee and no included hours (any given for it
    are ignored), and its hours, late ones too, are billed as with no plan.

    Month by month (earliest first), each month's hours go:

    1. in a month the paid plan covers, bug, security and question hours: kind ``included``
       at 0.00. They are part of what the fee buys and use none of the included hours;
    2. other hours (features, and everything with no plan): the month's included hours
       (none with no plan), kind ``included`` at 0.00, first to the hours of each request
       that its approval does not cover, then to the rest, request by request in the
       order of their first work that month (ties by entry id). So included hours are
       all used, and never spent on hours the client approved paying for while other
       work goes unbilled;
    3. then the request's approved chargeable hours not yet charged: kind ``charged`` at
       its rate;
    4. the rest: kind ``not_charged`` at 0.00, shown until a revised quote is approved.

    Within a request and month the entries are split in work-date order (ties by id):
    the first hours are its included ones, then the charged ones, then the rest.

    A ``charged`` line is its hours at the rate, rounded half-up to the cent, but never more
    than what is left of the request's approved amount: the lines are capped in month
    order, so the money charged for a request across all its statements stays within its
    approved quote's amount.
    """
    _check(period, requests, entries, unused_included or {})
    paid = has_paid_plan(plan)

    def covered(month: Period) -> bool:
        return paid and contract_started(since, month.first_day)

    pools = {m: h for m, h in (unused_included or {}).items() if covered(m)}
    pools[period] = plan.included_hours if covered(period) else ZERO
    opening = dict(pools)
    approval_left = {
        t.request_id: max(ZERO, t.approved_chargeable_hours - t.already_charged_hours)
        for t in requests.values()
    }
    shares: dict[tuple[Period, int, str], tuple[Decimal, tuple[int, ...]]] = {}

    def add(month: Period, entry: Entry, kind: str, hours: Decimal) -> None:
        if hours > ZERO:
            before, ids = shares.get((month, entry.request_id, kind), (ZERO, ()))
            shares[(month, entry.request_id, kind)] = (before + hours, (*ids, entry.id))

    billable: dict[Period, dict[int, list[Entry]]] = {}  # by month, then request
    for entry in sorted(entries, key=lambda e: (e.work_date, e.id)):
        month = Period.of(entry.work_date)
        if covered(month) and requests[entry.request_id].type in FREE_UNDER_A_PLAN:
            add(month, entry, INCLUDED, entry.hours)  # what the fee buys
        else:
            billable.setdefault(month, {}).setdefault(entry.request_id, []).append(entry)
    for month in sorted(billable):
        for entry, kind, hours in _share_work(billable[month], pools, month, approval_left):
            add(month, entry, kind, hours)

    def order(key: tuple[Period, int, str]) -> tuple[bool, Period, int, int, int]:
        month, request_id, kind = key
        terms = requests[request_id]
        return (month != period, month, terms.number, request_id, KINDS.index(kind))

    money_left = {  # to the cent, rounded down: never a fraction of a cent above
        t.request_id: max(ZERO, t.approved_amount - t.already_charged_amount).quantize(
            CENT, rounding=ROUND_DOWN
        )
        for t in requests.values()
    }
    amounts: dict[tuple[Period, int, str], Decimal] = {}
    for key in sorted(shares):  # month order: the earliest work takes the approval first
        month, request_id, kind = key
        if kind == CHARGED:
            due = to_cents(shares[key][0] * requests[request_id].rate)
            amounts[key] = min(due, money_left[request_id])
            money_left[request_id] -= amounts[key]

    fee = Line(FEE, f"{plan.name} plan, {period.label}", None, None, to_cents(plan.fee))
    lines = [fee] if covered(period) else []
    for key in sorted(shares, key=order):
        month, request_id, kind = key
        hours, ids = shares[key]
        terms, amount = requests[request_id], amounts.get(key, NOTHING)
        lines.append(_work_line(terms, kind, hours, amount, ids, month, period, covered(month)))
    charged = {e.request_id: ZERO for e in entries}
    charged_amount = {e.request_id: NOTHING for e in entries}
    for (_, request_id, kind), (hours, _) in shares.items():
        if kind == CHARGED:
            charged[request_id] += hours
    for (_, request_id, _), amount in amounts.items():
        charged_amount[request_id] += amount
    used = {month: opening[month] - pools[month] for month in pools}
    return Draft(
        period=period,
        lines=tuple(lines),
        total=sum((line.amount for line in lines), NOTHING),
        included_used=used.pop(period),
        included_left=pools[period],
        included_used_late={month: hours for month, hours in used.items() if hours > ZERO},
        charged_hours=charged,
        charged_amount=charged_amount,
        entry_ids=tuple(sorted(e.id for e in entries)),
    )


def _share_work(
    work: Mapping[int, list[Entry]],
    pools: dict[Period, Decimal],
    month: Period,
    approval_left: dict[int, Decimal],
) -> Iterator[tuple[Entry, str, Decimal]]:
    """One month's billable entries by request (in the order of their first work) split
    into included, charged and not charged hours, taking from ``pools[month]`` and
    ``approval_left``: the included hours go first to what no approval covers."""
    worked = {r: sum((e.hours for e in logged), ZERO) for r, logged in work.items()}
    pooled = dict.fromkeys(work, ZERO)
    uncovered = {r: max(ZERO, worked[r] - approval_left[r]) for r in work}
    for wanted in (uncovered, worked):
        for r in work:
            pooled[r] += _take(pools, month, min(wanted[r], worked[r] - pooled[r]))
    for request_id, logged in work.items():
        approved = _take(approval_left, request_id, worked[request_id] - pooled[request_id])
        budget = {INCLUDED: pooled[request_id], CHARGED: approved}
        for entry in logged:
            left = entry.hours
            for kind in (INCLUDED, CHARGED):
                part = min(left, budget[kind])
                budget[kind] -= part
                left -= part
                yield entry, kind, part
            yield entry, NOT_CHARGED, left


def _take(budget: dict[K, Decimal], key: K, wanted: Decimal) -> Decimal:
    """Take up to ``wanted`` hours from ``budget[key]``; return the hours taken."""
    taken = min(wanted, budget.get(key, ZERO))
    if taken > ZERO:
        budget[key] -= taken
    return taken


def _work_line(
    terms: RequestTerms,
    kind: str,
    hours: Decimal,
    amount: Decimal,
    entry_ids: tuple[int, ...],
    month: Period,
    period: Period,
    under_plan: bool,
) -> Line:
    """A request's line; ``under_plan``: whether a paid plan covers the month worked."""
    if kind == INCLUDED and under_plan and terms.type in FREE_UNDER_A_PLAN:
        what = f"{terms.type}, included in the plan"
    elif kind == INCLUDED:
        what = f"from the plan's included hours for {month.label}"
    elif kind == CHARGED and amount < to_cents(hours * terms.rate):
        what = (
            f"at {to_cents(terms.rate)} an hour, held to the approved "
            f"{to_cents(terms.approved_amount)} in all"
        )
    elif kind == CHARGED:
        what = f"at {to_cents(terms.rate)} an hour"
    else:
        what = "not charged: over the approved estimate"
    late = f"Adjustment for {month.label} (logged late): " if month != period else ""
    return Line(
        kind=kind,
        description=f"{late}{terms.reference} {terms.subject}: {what}",
        request_id=terms.request_id,
        hours=hours,
        amount=amount,
        adjustment_for=month if month != period else None,
        entry_ids=tuple(sorted(entry_ids)),
    )


def _check(
    period: Period,
    requests: Mapping[int, RequestTerms],
    entries: Sequence[Entry],
    unused_included: Mapping[Period, Decimal],
) -> None:
    """Refuse inputs that would make the money wrong."""
    for request_id, terms in requests.items():
        if request_id != terms.request_id:
            raise ValueError(f"request {request_id} is keyed under another id")
        for name in (
            "rate",
            "approved_chargeable_hours",
            "approved_amount",
            "already_charged_hours",
            "already_charged_amount",
        ):
            if getattr(terms, name) < ZERO:
                raise ValueError(f"{terms.reference}: {name} must not be negative")
    seen: set[int] = set()
    for entry in entries:
        if entry.id in seen:
            raise ValueError(f"time entry {entry.id} is given twice")
        seen.add(entry.id)
        if entry.request_id not in requests:
            raise ValueError(f"time entry {entry.id} is for unknown request {entry.request_id}")
        if entry.hours < ZERO:
            raise ValueError(f"time entry {entry.id} has negative hours: {entry.hours}")
        if entry.work_date > period.last_day:
            raise ValueError(f"time entry {entry.id} is dated after {period.label}")
    for month, hours in unused_included.items():
        if month >= period:
            raise ValueError(f"unused included hours are for months before {period}: {month}")
        if hours < ZERO:
            raise ValueError(f"unused included hours for {month} must not be negative")
