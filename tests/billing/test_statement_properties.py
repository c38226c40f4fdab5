"""Properties of the monthly statement over random plans, approvals, logs and late hours."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.billing.statement import Draft, Entry, Period, RequestTerms, compute_statement
from intake.quotes.plans import load_plans
from intake.quotes.pricing import FREE_UNDER_A_PLAN, has_paid_plan, to_cents

SHEET = load_plans(Path(__file__).parents[2] / "config" / "plans.toml")
TYPES = ["bug", "feature", "security", "question"]
D = Decimal


def fixed(top: int, places: int) -> st.SearchStrategy[Decimal]:
    """Decimals from 0 to ``top`` with ``places`` decimals: quicker to draw than st.decimals."""
    return st.integers(0, top * 10**places).map(lambda n: D(n).scaleb(-places))


hours = fixed(12, 3)
budget = fixed(20, 2)
rate = fixed(500, 2)
plans = st.one_of(
    st.sampled_from(sorted(SHEET.plans.values(), key=lambda p: p.key)),
    # A paid plan with any number of included hours, fractions too.
    budget.map(lambda h: replace(SHEET.plan("basic"), included_hours=h)),
)


@st.composite
def months(draw) -> dict:
    period = Period(draw(st.integers(2020, 2030)), draw(st.integers(1, 12)))
    count = draw(st.integers(1, 5))
    requests = {}
    for request_id in range(1, count + 1):
        requests[request_id] = RequestTerms(
            request_id=request_id,
            reference=f"REQ-{1000 + request_id}",
            number=draw(st.integers(1, 9999)),
            subject="Work",
            type=draw(st.sampled_from(TYPES)),
            rate=draw(rate),
            approved_chargeable_hours=draw(st.one_of(st.just(D(0)), budget)),
            already_charged_hours=draw(st.one_of(st.just(D(0)), budget)),
        )
    entries = []
    logged = draw(
        st.lists(st.tuples(st.integers(1, count), hours, st.integers(0, 120)), max_size=20)
    )
    for entry_id, (request_id, logged_hours, days_back) in enumerate(logged, start=1):
        entries.append(
            Entry(entry_id, request_id, logged_hours, period.last_day - timedelta(days_back))
        )
    earlier = [period.previous()]
    for _ in range(4):
        earlier.append(earlier[-1].previous())
    unused = draw(st.dictionaries(st.sampled_from(earlier), budget, max_size=5))
    since = draw(st.one_of(st.none(), st.dates(date(2019, 1, 1), date(2031, 12, 31))))
    plan = draw(plans)
    return {
        "period": period,
        "plan": plan,
        "since": since,
        "requests": requests,
        "entries": entries,
        "unused_included": unused,
    }


def statement(month: dict) -> Draft:
    return compute_statement(**month)


def work_lines(draft: Draft):
    return [line for line in draft.lines if line.kind != "fee"]


@settings(max_examples=200)
@given(months())
def test_nothing_is_charged_beyond_what_was_approved(month):
    draft = statement(month)
    charged: dict[int, Decimal] = defaultdict(D)
    for line in work_lines(draft):
        if line.kind == "charged":
            charged[line.request_id] += line.hours
    for request_id, terms in month["requests"].items():
        left = max(D(0), terms.approved_chargeable_hours - terms.already_charged_hours)
        assert charged[request_id] <= left
        assert draft.charged_hours.get(request_id, D(0)) == charged[request_id]
        if left == 0:
            assert charged[request_id] == 0
        # Hours go unpaid only once the approval is used up.
        if any(x.kind == "not_charged" and x.request_id == request_id for x in draft.lines):
            assert charged[request_id] == left


@settings(max_examples=200)
@given(months())
def test_included_hours_never_exceed_the_plan_or_a_months_leftover(month):
    draft, plan = statement(month), month["plan"]
    paid = has_paid_plan(plan)
    pools = {m: h for m, h in month["unused_included"].items()} if paid else {}
    pools[month["period"]] = plan.included_hours if paid else D(0)
    drawn: dict[Period, Decimal] = defaultdict(D)
    for line in work_lines(draft):
        terms = month["requests"][line.request_id]
        if line.kind == "included" and not (paid and terms.type in FREE_UNDER_A_PLAN):
            drawn[line.adjustment_for or month["period"]] += line.hours
        if not paid:
            assert line.kind != "included"
    assert draft.included_used == drawn[month["period"]] <= pools[month["period"]]
    assert draft.included_used + draft.included_left == pools[month["period"]]
    for m, used in draft.included_used_late.items():
        assert used == drawn[m] <= pools.get(m, D(0))
    assert all(
        drawn[m] == draft.included_used_late.get(m, 0) for m in drawn if m != month["period"]
    )
    # A feature hour is charged or left unpaid only once its month's pool is used up.
    for line in work_lines(draft):
        m = line.adjustment_for or month["period"]
        if line.kind in ("charged", "not_charged") and paid:
            assert drawn[m] == pools.get(m, D(0))


@settings(max_examples=200)
@given(months())
def test_every_logged_hour_appears_exactly_once(month):
    draft = statement(month)
    logged: dict[tuple[int, Period], Decimal] = defaultdict(D)
    shown: dict[tuple[int, Period], Decimal] = defaultdict(D)
    by_id = {e.id: e for e in month["entries"]}
    for entry in month["entries"]:
        if entry.hours:
            logged[entry.request_id, Period.of(entry.work_date)] += entry.hours
    for line in work_lines(draft):
        month_of = line.adjustment_for or month["period"]
        assert line.adjustment_for != month["period"]
        shown[line.request_id, month_of] += line.hours
        assert line.hours > 0 and line.entry_ids == tuple(sorted(set(line.entry_ids)))
        for entry_id in line.entry_ids:
            assert by_id[entry_id].request_id == line.request_id
            assert Period.of(by_id[entry_id].work_date) == month_of
    assert shown == logged
    assert draft.entry_ids == tuple(sorted(by_id))
    on_lines = {i for line in draft.lines for i in line.entry_ids}
    assert on_lines == {e.id for e in month["entries"] if e.hours > 0}


@settings(max_examples=200)
@given(months())
def test_money_is_to_the_cent_and_the_total_is_the_sum_shown(month):
    draft = statement(month)
    assert draft.total == sum((line.amount for line in draft.lines), D("0.00"))
    for line in [*draft.lines, draft]:
        amount = line.total if isinstance(line, Draft) else line.amount
        assert amount >= 0 and amount.as_tuple().exponent == -2
    for line in work_lines(draft):
        if line.kind == "charged":
            assert line.amount == to_cents(line.hours * month["requests"][line.request_id].rate)
        else:
            assert line.amount == D("0.00")
        if has_paid_plan(month["plan"]) and month["requests"][line.request_id].type != "feature":
            assert line.kind == "included"


@settings(max_examples=200)
@given(months())
def test_the_fee_comes_first_and_adjustments_last_in_month_order(month):
    draft, since, period = statement(month), month["since"], month["period"]
    due = has_paid_plan(month["plan"]) and (since is None or Period.of(since) <= period)
    fees = [line for line in draft.lines if line.kind == "fee"]
    assert len(fees) == (1 if due else 0)
    if due:
        assert draft.lines[0] == fees[0] and fees[0].amount == to_cents(month["plan"].fee)
    late = [line.adjustment_for is not None for line in work_lines(draft)]
    assert late == sorted(late)
    adjusted = [line.adjustment_for for line in work_lines(draft) if line.adjustment_for]
    assert adjusted == sorted(adjusted)


@settings(max_examples=200)
@given(months(), st.randoms(use_true_random=False))
def test_the_order_entries_are_given_in_does_not_matter(month, rng: random.Random):
    shuffled = list(month["entries"])
    rng.shuffle(shuffled)
    assert statement(month) == statement({**month, "entries": shuffled})
