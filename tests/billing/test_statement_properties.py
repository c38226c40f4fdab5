"""Properties of the monthly statement over random plans, approvals, logs and late hours,
one month at a time and over successive months billed in turn."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from intake.billing.statement import Draft, Entry, Period, RequestTerms, compute_statement
from intake.quotes.pricing import FREE_UNDER_A_PLAN, has_paid_plan, to_cents
from tests.drawn import examples
from tests.factories import SHEET

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


money = fixed(2000, 2)


@st.composite
def months(draw) -> dict:
    period = Period(draw(st.integers(2020, 2030)), draw(st.integers(1, 12)))
    count = draw(st.integers(1, 5))
    requests = {}
    for request_id in range(1, count + 1):
        hourly = draw(rate)
        approved = draw(st.one_of(st.just(D(0)), budget))
        already = draw(st.one_of(st.just(D(0)), budget))
        requests[request_id] = RequestTerms(
            request_id=request_id,
            reference=f"REQ-{1000 + request_id}",
            number=draw(st.integers(1, 9999)),
            subject="Work",
            type=draw(st.sampled_from(TYPES)),
            rate=hourly,
            approved_chargeable_hours=approved,
            # As a quote prices it, or any amount (a discount, a rate since changed)
            approved_amount=draw(st.one_of(st.just(to_cents(approved * hourly)), money)),
            already_charged_hours=already,
            already_charged_amount=draw(st.one_of(st.just(to_cents(already * hourly)), money)),
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


def under_plan(month: dict, worked: Period) -> bool:
    """Whether the client's paid plan covers the month worked: from the month of since."""
    since = month["since"]
    return has_paid_plan(month["plan"]) and (since is None or Period.of(since) <= worked)


@examples(200)
@given(months())
def test_nothing_is_charged_beyond_what_was_approved(month):
    draft = statement(month)
    charged: dict[int, Decimal] = defaultdict(D)
    paid: dict[int, Decimal] = defaultdict(D)
    for line in work_lines(draft):
        if line.kind == "charged":
            charged[line.request_id] += line.hours
        paid[line.request_id] += line.amount
    for request_id, terms in month["requests"].items():
        left = max(D(0), terms.approved_chargeable_hours - terms.already_charged_hours)
        assert charged[request_id] <= left
        assert draft.charged_hours.get(request_id, D(0)) == charged[request_id]
        # In money too: never above what is left of the approved amount
        assert paid[request_id] <= max(D(0), terms.approved_amount - terms.already_charged_amount)
        assert draft.charged_amount.get(request_id, D(0)) == paid[request_id]
        if left == 0:
            assert charged[request_id] == 0
        # Hours go unpaid only once the approval is used up.
        if any(x.kind == "not_charged" and x.request_id == request_id for x in draft.lines):
            assert charged[request_id] == left


@examples(300)
@given(months())
def test_the_month_s_included_hours_are_spent_so_that_the_least_work_goes_unbilled(month):
    # With no late hours: what goes unbilled this month is only what neither the included
    # hours nor the approvals can cover, however the work is spread over requests.
    period = month["period"]
    month["entries"] = [e for e in month["entries"] if Period.of(e.work_date) == period]
    draft = statement(month)
    plan_covers = under_plan(month, period)
    pool = month["plan"].included_hours if plan_covers else D(0)
    uncovered: dict[int, Decimal] = defaultdict(D)
    for e in month["entries"]:
        terms = month["requests"][e.request_id]
        if not (plan_covers and terms.type in FREE_UNDER_A_PLAN):
            uncovered[e.request_id] += e.hours
    beyond_approvals = sum(
        (
            max(D(0), logged - max(D(0), t.approved_chargeable_hours - t.already_charged_hours))
            for r, logged in uncovered.items()
            for t in [month["requests"][r]]
        ),
        D(0),
    )
    unbilled = sum((x.hours for x in draft.lines if x.kind == "not_charged"), D(0))
    assert unbilled == max(D(0), beyond_approvals - pool)
    # And included hours are left over only when no work of the month needed them.
    if draft.included_left > 0:
        assert not any(x.kind in ("charged", "not_charged") for x in draft.lines)


@examples(200)
@given(months())
def test_included_hours_never_exceed_the_plan_or_a_months_leftover(month):
    draft, plan, period = statement(month), month["plan"], month["period"]
    # A month before the contract start has no plan: none of its included hours count
    pools = {m: h for m, h in month["unused_included"].items() if under_plan(month, m)}
    pools[period] = plan.included_hours if under_plan(month, period) else D(0)
    drawn: dict[Period, Decimal] = defaultdict(D)
    for line in work_lines(draft):
        terms, worked = month["requests"][line.request_id], line.adjustment_for or period
        paid = under_plan(month, worked)
        if line.kind == "included" and not (paid and terms.type in FREE_UNDER_A_PLAN):
            drawn[worked] += line.hours
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
        if line.kind in ("charged", "not_charged") and under_plan(month, m):
            assert drawn[m] == pools.get(m, D(0))


@examples(200)
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


@examples(200)
@given(months())
def test_money_is_to_the_cent_and_the_total_is_the_sum_shown(month):
    draft = statement(month)
    assert draft.total == sum((line.amount for line in draft.lines), D("0.00"))
    for line in [*draft.lines, draft]:
        amount = line.total if isinstance(line, Draft) else line.amount
        assert amount >= 0 and amount.as_tuple().exponent == -2
    for line in work_lines(draft):
        terms = month["requests"][line.request_id]
        if line.kind == "charged":
            # Its hours at the rate, rounded once; less only once the approved money is spent
            due = to_cents(line.hours * terms.rate)
            assert line.amount <= due
            if line.amount < due:
                spent = terms.already_charged_amount + draft.charged_amount[line.request_id]
                assert spent >= terms.approved_amount
        else:
            assert line.amount == D("0.00")
        worked = line.adjustment_for or month["period"]
        if under_plan(month, worked) and terms.type != "feature":
            assert line.kind == "included"


@examples(200)
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


@examples(200)
@given(months(), st.randoms(use_true_random=False))
def test_the_order_entries_are_given_in_does_not_matter(month, rng: random.Random):
    shuffled = list(month["entries"])
    rng.shuffle(shuffled)
    assert statement(month) == statement({**month, "entries": shuffled})


# -- successive months: what each statement charged is carried to the next ---------------------

# Awkward money: odd cents, rates that round at every line, hours in thirds and quarters.
awkward_rate = st.one_of(
    st.sampled_from([D(r) for r in ("155.55", "99.99", "33.33", "187.49", "0.07", "12.34")]),
    st.integers(1, 30000).map(lambda cents: D(2 * cents + 1).scaleb(-2)),
)
# Halves and thirds of an hour at an odd-cent rate are the lines that round up: favoured.
awkward_hours = st.sampled_from(
    [D(h) for h in ("0.5", "0.5", "0.33", "0.33", "1.25", "0.25", "0.67", "0.01", "0.333", "2")]
)
approved_hours = st.sampled_from(
    [D(h) for h in ("0", "0.33", "0.5", "0.99", "1", "1", "1.25", "1.5", "2.5")]
)


@st.composite
def histories(draw) -> dict:
    """Requests priced as quotes are (to the cent), a client's plan and contract start, and
    for each of a few months billed in turn the hours logged before its run: (request,
    hours, months back, day)."""
    first = Period(draw(st.integers(2024, 2028)), draw(st.integers(1, 12)))
    periods = [first]
    for _ in range(draw(st.integers(1, 4))):
        periods.append(periods[-1].next())
    requests = {}
    for request_id in range(1, draw(st.integers(1, 3)) + 1):
        hourly, approved = draw(awkward_rate), draw(approved_hours)
        requests[request_id] = RequestTerms(
            request_id=request_id,
            reference=f"REQ-{1000 + request_id}",
            number=1000 + request_id,
            subject="Work",
            type=draw(st.sampled_from(TYPES)),
            rate=hourly,
            approved_chargeable_hours=approved,
            approved_amount=to_cents(approved * hourly),
        )
    which = st.integers(1, len(requests))
    logs = st.lists(
        st.tuples(which, awkward_hours, st.integers(0, 2), st.integers(1, 28)), max_size=4
    )
    since_month = draw(st.one_of(st.none(), st.sampled_from([first.previous(), *periods])))
    return {
        "periods": periods,
        "plan": draw(st.one_of(st.just(SHEET.plan("none")), plans)),
        "since": since_month.first_day.replace(day=draw(st.integers(1, 28)))
        if since_month
        else None,
        "requests": requests,
        "logs": [draw(logs) for _ in periods],
    }


def back(period: Period, months_back: int) -> Period:
    for _ in range(months_back):
        period = period.previous()
    return period


@examples(300)
@given(histories())
def test_no_request_is_charged_above_its_approval_in_money_across_months(history):
    plan, since = history["plan"], history["since"]
    spent_hours: dict[int, Decimal] = defaultdict(D)
    spent_money: dict[int, Decimal] = defaultdict(lambda: D("0.00"))
    owed: dict[int, Decimal] = defaultdict(D)  # each charged line's hours at the rate, to the cent
    pool_used: dict[Period, Decimal] = defaultdict(D)
    next_id = 1
    for period, logs in zip(history["periods"], history["logs"], strict=True):
        # Given the hours logged before this month's run, late ones into earlier months
        entries = []
        for request_id, logged, months_back, day in logs:
            worked = back(period, months_back).first_day.replace(day=day)
            entries.append(Entry(next_id, request_id, logged, worked))
            next_id += 1
        # And what earlier statements charged and drew from each month's included hours
        requests = {
            r: replace(
                t, already_charged_hours=spent_hours[r], already_charged_amount=spent_money[r]
            )
            for r, t in history["requests"].items()
        }
        late = {Period.of(e.work_date) for e in entries} - {period}
        unused = {m: max(D(0), plan.included_hours - pool_used[m]) for m in late}
        month = {
            "period": period,
            "plan": plan,
            "since": since,
            "requests": requests,
            "entries": entries,
            "unused_included": unused,
        }
        # When the month is billed
        draft = statement(month)
        pool_used[period] += draft.included_used
        for m, used in draft.included_used_late.items():
            pool_used[m] += used
        for line in work_lines(draft):
            worked = line.adjustment_for or period
            if not under_plan(month, worked):
                assert line.kind in ("charged", "not_charged")
            if line.kind == "charged":
                spent_hours[line.request_id] += line.hours
                spent_money[line.request_id] += line.amount
                owed[line.request_id] += to_cents(line.hours * requests[line.request_id].rate)
            else:
                assert line.amount == D("0.00")
        assert draft.total == sum((line.amount for line in draft.lines), D("0.00"))
        # Then no request has been charged above its approval, in hours or in money
        for request_id, terms in history["requests"].items():
            assert spent_hours[request_id] <= terms.approved_chargeable_hours
            assert spent_money[request_id] <= terms.approved_amount
            # And no less: each line at its rate, held only to what the approval leaves
            assert spent_money[request_id] == min(owed[request_id], terms.approved_amount)
        # And no month's included hours are used beyond the plan's, none before the start
        for m, used in pool_used.items():
            assert used <= (plan.included_hours if under_plan(month, m) else D(0))


# -- an independent recomputation ---------------------------------------------------------------


def recomputed(month: dict) -> tuple[Decimal, dict[int, Decimal]]:
    """The statement's total and each request's charged hours, worked out again request by
    request from the rules as the docstring of compute_statement states them, without its
    entry-by-entry split: the fee; then month by month, the included hours to what no
    approval covers, then to the rest; the approval's hours at the rate, each month's line
    rounded half-up and held to what is left of the approved amount (to the cent, down)."""
    period, plan, requests = month["period"], month["plan"], month["requests"]
    hours_left = {
        r: max(D(0), t.approved_chargeable_hours - t.already_charged_hours)
        for r, t in requests.items()
    }
    money_left = {
        r: max(D(0), t.approved_amount - t.already_charged_amount).quantize(
            D("0.01"), rounding="ROUND_DOWN"
        )
        for r, t in requests.items()
    }
    pools = {m: h for m, h in month["unused_included"].items() if under_plan(month, m)}
    pools[period] = plan.included_hours if under_plan(month, period) else D(0)
    total = to_cents(plan.fee) if under_plan(month, period) else D("0.00")
    charged: dict[int, Decimal] = defaultdict(D)
    worked_in = sorted({Period.of(e.work_date) for e in month["entries"]})
    for worked in worked_in:
        first: dict[int, tuple[date, int]] = {}
        logged: dict[int, Decimal] = defaultdict(D)
        for e in month["entries"]:
            free = under_plan(month, worked) and requests[e.request_id].type in FREE_UNDER_A_PLAN
            if Period.of(e.work_date) == worked and not free:
                logged[e.request_id] += e.hours
                first[e.request_id] = min(
                    first.get(e.request_id, (e.work_date, e.id)), (e.work_date, e.id)
                )
        order = sorted(logged, key=lambda r: first[r])
        pool = pools.get(worked, D(0))
        included = dict.fromkeys(order, D(0))
        for r in order:  # first what no approval covers
            take = min(max(D(0), logged[r] - hours_left[r]), pool)
            included[r] += take
            pool -= take
        for r in order:  # then the rest
            take = min(logged[r] - included[r], pool)
            included[r] += take
            pool -= take
        for r in order:
            hours = min(logged[r] - included[r], hours_left[r])
            hours_left[r] -= hours
            charged[r] += hours
            if hours > 0:
                amount = min(to_cents(hours * requests[r].rate), money_left[r])
                money_left[r] -= amount
                total += amount
    return total, charged


@st.composite
def months_that_share_hours(draw) -> dict:
    """Months where every rule meets every other: feature work under a paid plan with
    included hours in each month worked, late hours, and approvals that run out."""
    month = draw(months())
    plan = replace(SHEET.plan("basic"), included_hours=draw(budget.filter(lambda h: h > 0)))
    worked = {Period.of(e.work_date) for e in month["entries"]} - {month["period"]}
    return {
        **month,
        "plan": plan,
        "since": None,
        "requests": {r: replace(t, type="feature") for r, t in month["requests"].items()},
        "unused_included": {m: draw(budget) for m in sorted(worked)},
    }


@examples(400)
@given(st.one_of(months(), months_that_share_hours()))
def test_the_total_is_what_the_rules_give_worked_out_again(month):
    # Not only within the caps: neither more nor less than the rules charge.
    draft = statement(month)
    total, charged = recomputed(month)
    assert draft.total == total
    assert {r: h for r, h in draft.charged_hours.items() if h} == {
        r: h for r, h in charged.items() if h
    }
