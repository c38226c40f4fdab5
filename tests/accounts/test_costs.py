"""What each plan would have cost: the price sheet's rules in words, checked on random
months of work against the function that runs the statement's own rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.accounts.costs import Work, cost_under, costs, window
from intake.billing.statement import Period
from intake.quotes.pricing import FREE_UNDER_A_PLAN, has_paid_plan
from tests.drawn import examples
from tests.factories import SHEET

D = Decimal
NOVEMBER = Period(2026, 11)
MONTHS = window(NOVEMBER)  # Sep, Oct, Nov 2026
FIRST = MONTHS[0].first_day
DAYS = (MONTHS[-1].last_day - FIRST).days

plans = st.one_of(
    st.sampled_from(sorted(SHEET.plans.values(), key=lambda p: p.key)),
    st.integers(0, 40).map(lambda q: replace(SHEET.plan("basic"), included_hours=D(q) / 4)),
)
# Quarter hours at whole-dollar rates: every amount is exact, so the rules in words below
# need no rounding of their own.
TYPES = ("bug", "feature", "security", "question")


@st.composite
def logged(draw):
    """Hours on up to six requests, each of one type, on days of the three months."""
    kinds = draw(st.lists(st.sampled_from(TYPES), min_size=6, max_size=6))
    entry = st.tuples(
        st.integers(0, 5),
        st.integers(0, 40).map(lambda q: D(q) / 4),
        st.integers(0, DAYS).map(lambda n: FIRST + timedelta(days=n)),
    )
    return [Work(r + 1, kinds[r], h, day) for r, h, day in draw(st.lists(entry, max_size=25))]


rates = st.integers(50, 250).map(D)


def in_words(plan, rate, work):
    """The price sheet, month by month: under a paid plan, its fee, bugs, security work and
    questions at no extra charge, features from the included hours and then at the rate;
    with no plan, every hour at the rate. Returns (cost, hours covered)."""
    cost, covered = D(0), D(0)
    for month in MONTHS:
        inside = [w for w in work if Period.of(w.work_date) == month]
        if not has_paid_plan(plan):
            cost += sum((w.hours * rate for w in inside), D(0))
            continue
        free = sum((w.hours for w in inside if w.type in FREE_UNDER_A_PLAN), D(0))
        features = sum((w.hours for w in inside if w.type not in FREE_UNDER_A_PLAN), D(0))
        from_plan = min(features, plan.included_hours)
        cost += plan.fee + (features - from_plan) * rate
        covered += free + from_plan
    return cost, covered


@given(plans, rates, logged())
@examples(300)
def test_each_plan_costs_what_the_price_sheet_says(plan, rate, work):
    costing = cost_under(plan, rate, MONTHS, work)
    assert (costing.cost, costing.hours_covered) == in_words(plan, rate, work)
    assert costing.fees == plan.fee * len(MONTHS)
    assert costing.hours == sum((w.hours for w in work), D(0))
    assert costing.hourly == costing.cost - costing.fees >= 0


@given(rates, logged())
@examples(100)
def test_a_plan_never_costs_more_than_its_fees_on_top_of_paying_by_the_hour(rate, work):
    every = costs(SHEET.plans, rate, MONTHS, work)
    by_the_hour = every["none"].cost
    for costing in every.values():
        assert costing.fees <= costing.cost <= costing.fees + by_the_hour
        assert costing.hours_covered <= costing.hours


def test_work_outside_the_months_compared_is_refused():
    late = Work(1, "bug", D(1), date(2026, 12, 1))
    with pytest.raises(ValueError, match="outside"):
        cost_under(SHEET.plan("basic"), D(150), MONTHS, [late])


def test_the_window_is_the_months_up_to_the_last_one():
    assert [p.label for p in window(Period(2027, 2))] == ["2026-12", "2027-01", "2027-02"]
    assert [p.label for p in window(NOVEMBER, 1)] == ["2026-11"]
