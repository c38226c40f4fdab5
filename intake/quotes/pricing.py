"""What a request costs under the client's plan. Pure: hours, plan and rate in, a price out.

Under any paid plan bugs, security work and questions cost nothing extra and use no
included hours; features use the month's included hours first, then the hourly rate.
With no plan, everything is billed at the hourly rate. Money is Decimal to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from intake.plans import Plan

CENT = Decimal("0.01")
ZERO = Decimal("0")
FREE_UNDER_A_PLAN = frozenset({"bug", "security", "question"})


@dataclass(frozen=True)
class Price:
    hours: Decimal  # the estimate
    included_hours: Decimal  # taken from the plan's hours this month
    chargeable_hours: Decimal  # billed at the rate: what an approval covers
    rate: Decimal
    amount: Decimal

    @property
    def needs_approval(self) -> bool:
        return self.amount > ZERO


def to_cents(value: Decimal) -> Decimal:
    """Round half-up to the cent, once, where an amount is shown."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def has_paid_plan(plan: Plan) -> bool:
    return plan.key != "none"


def takes_included_hours(request_type: str, plan: Plan) -> bool:
    """Whether a request of this type uses the plan's included hours: a feature under a
    paid plan that includes some."""
    return (
        has_paid_plan(plan) and request_type not in FREE_UNDER_A_PLAN and plan.included_hours > ZERO
    )


def included_hours_left(plan: Plan, promised: Decimal) -> Decimal:
    """The plan's hours this month not yet promised to approved, unbilled work."""
    return max(ZERO, plan.included_hours - promised)


def price(
    request_type: str, hours: Decimal, plan: Plan, rate: Decimal, included_left: Decimal
) -> Price:
    if hours < ZERO:
        raise ValueError("hours must not be negative")
    if has_paid_plan(plan) and request_type in FREE_UNDER_A_PLAN:
        return Price(hours, ZERO, ZERO, rate, ZERO.quantize(CENT))
    included = (
        min(hours, max(ZERO, included_left)) if takes_included_hours(request_type, plan) else ZERO
    )
    chargeable = hours - included
    return Price(hours, included, chargeable, rate, to_cents(chargeable * rate))
