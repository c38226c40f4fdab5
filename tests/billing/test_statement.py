"""The monthly statement: the plan fee, included hours, approved charges and late hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from intake.billing.statement import (
    Draft,
    Entry,
    Line,
    Period,
    RequestTerms,
    compute_statement,
)
from intake.plans import Plan
from intake.quotes.pricing import to_cents
from tests.factories import SHEET

PROFESSIONAL = SHEET.plan("professional")
NONE = SHEET.plan("none")
OCTOBER = Period(2026, 10)
NOVEMBER = Period(2026, 11)
SEPTEMBER = Period(2026, 9)
D = Decimal


def terms(
    request_id: int,
    type: str = "feature",
    approved: str = "0",
    already: str = "0",
    rate: str = "150.00",
    number: int | None = None,
    amount: str | None = None,
    already_amount: str | None = None,
) -> RequestTerms:
    """A request's terms; the approved and already charged amounts default to their hours
    at the rate, to the cent, as a quote prices them."""
    number = 1000 + request_id if number is None else number
    return RequestTerms(
        request_id=request_id,
        reference=f"REQ-{number}",
        number=number,
        subject=f"Request {request_id}",
        type=type,
        rate=D(rate),
        approved_chargeable_hours=D(approved),
        approved_amount=to_cents(D(approved) * D(rate)) if amount is None else D(amount),
        already_charged_hours=D(already),
        already_charged_amount=(
            to_cents(D(already) * D(rate)) if already_amount is None else D(already_amount)
        ),
    )


def entry(entry_id: int, request_id: int, hours: str, day: date | int) -> Entry:
    work_date = day if isinstance(day, date) else date(2026, 10, day)
    return Entry(entry_id, request_id, D(hours), work_date)


def bill(
    *requests: RequestTerms,
    entries: list[Entry],
    plan: Plan = PROFESSIONAL,
    period: Period = OCTOBER,
    since: date | None = None,
    unused_included: dict[Period, Decimal] | None = None,
) -> Draft:
    by_id = {t.request_id: t for t in requests}
    return compute_statement(period, plan, since, by_id, entries, unused_included)


def summary(draft: Draft) -> list[tuple[str, int | None, Decimal | None, Decimal]]:
    return [(line.kind, line.request_id, line.hours, line.amount) for line in draft.lines]


def only(draft: Draft, request_id: int, kind: str) -> Line:
    (line,) = [x for x in draft.lines if x.request_id == request_id and x.kind == kind]
    return line


# The worked examples


def test_acme_october_professional_plan_with_a_feature_and_a_bug():
    # Given Acme on the professional plan, a 6 h feature approved at 1 chargeable hour
    # with 7 h logged, and a bug with 2 h logged
    feature = terms(1, "feature", approved="1", number=1042)
    bug = terms(2, "bug", number=1043)
    logs = [entry(11, 1, "3", 5), entry(12, 1, "4", 19), entry(13, 2, "2", 12)]

    # When October is billed
    draft = bill(feature, bug, entries=logs, since=date(2026, 1, 1))

    # Then the fee, 5 h included, 1 h charged, 1 h not charged, the bug included
    assert summary(draft) == [
        ("fee", None, None, D("1000.00")),
        ("included", 1, D(5), D("0.00")),
        ("charged", 1, D(1), D("150.00")),
        ("not_charged", 1, D(1), D("0.00")),
        ("included", 2, D(2), D("0.00")),
    ]
    assert draft.total == D("1150.00")
    assert str(draft.total) == "1150.00"
    assert (draft.included_used, draft.included_left) == (D(5), D(0))
    assert draft.charged_hours == {1: D(1), 2: D(0)}
    assert draft.entry_ids == (11, 12, 13)
    assert draft.lines[0].description == "Professional plan, 2026-10"
    assert only(draft, 1, "not_charged").description == (
        "REQ-1042 Request 1: not charged: over the approved estimate"
    )
    assert "bug, included in the plan" in only(draft, 2, "included").description
    # The 3 h entry is all included; the 4 h entry is split 2 included, 1 charged, 1 not.
    assert only(draft, 1, "included").entry_ids == (11, 12)
    assert only(draft, 1, "charged").entry_ids == (12,)
    assert only(draft, 1, "not_charged").entry_ids == (12,)


def test_zed_without_a_plan_pays_the_approved_question_hours_and_no_fee():
    question = terms(1, "question", approved="2")
    draft = bill(question, entries=[entry(1, 1, "1.5", 7)], plan=NONE)
    assert summary(draft) == [("charged", 1, D("1.5"), D("225.00"))]
    assert draft.total == D("225.00")
    assert (draft.included_used, draft.included_left) == (D(0), D(0))
    assert draft.charged_hours == {1: D("1.5")}


# Before the contract starts: no plan


def test_a_month_before_the_contract_start_gives_no_included_hours_and_nothing_free():
    # Given Acme's contract starting in December, work logged in October
    feature, bug = terms(1, "feature", approved="2"), terms(2, "bug")
    logs = [entry(1, 1, "3", 10), entry(2, 2, "1", 11)]
    draft = bill(feature, bug, entries=logs, since=date(2026, 12, 1))
    # Then no fee and no included hours: the feature is charged up to its approval and the
    # bug, not free without a plan, is not charged without one
    assert summary(draft) == [
        ("charged", 1, D(2), D("300.00")),
        ("not_charged", 1, D(1), D("0.00")),
        ("not_charged", 2, D(1), D("0.00")),
    ]
    assert not any("included" in x.description for x in draft.lines)
    assert (draft.included_used, draft.included_left) == (D(0), D(0))
    assert draft.total == D("300.00")


def test_late_hours_for_a_month_before_the_contract_start_are_billed_as_with_no_plan():
    # Given a contract from October, and hours logged late for September, before it
    feature, question = terms(1, approved="1"), terms(2, "question", approved="1")
    logs = [
        entry(1, 1, "2", date(2026, 9, 20)),
        entry(2, 2, "1.5", date(2026, 9, 21)),
        entry(3, 1, "1", 5),
    ]
    # Even if leftover included hours are given for September, it had no plan
    pools = {SEPTEMBER: D(5)}
    draft = bill(feature, question, entries=logs, since=date(2026, 10, 1), unused_included=pools)
    # Then October has its fee and its included hours; September is charged at the rate
    assert [(x.kind, x.request_id, x.hours, x.amount, x.adjustment_for) for x in draft.lines] == [
        ("fee", None, None, D("1000.00"), None),
        ("included", 1, D(1), D("0.00"), None),
        ("charged", 1, D(1), D("150.00"), SEPTEMBER),
        ("not_charged", 1, D(1), D("0.00"), SEPTEMBER),
        ("charged", 2, D(1), D("150.00"), SEPTEMBER),
        ("not_charged", 2, D("0.5"), D("0.00"), SEPTEMBER),
    ]
    assert (draft.included_used, draft.included_left) == (D(1), D(4))
    assert draft.included_used_late == {}
    assert draft.total == D("1300.00")


# The plan fee


def test_no_fee_before_the_month_of_the_contract_start():
    draft = bill(entries=[], since=date(2026, 11, 15))
    assert draft.lines == () and draft.total == D("0.00")


def test_the_fee_is_billed_from_the_month_the_contract_starts_even_mid_month():
    draft = bill(entries=[], since=date(2026, 10, 31))
    assert summary(draft) == [("fee", None, None, D("1000.00"))]
    assert draft.total == D("1000.00")


def test_no_contract_start_means_the_fee_is_always_billed():
    assert bill(entries=[], since=None).total == D("1000.00")


def test_included_hours_are_reported_even_in_a_quiet_month():
    draft = bill(entries=[])
    assert (draft.included_used, draft.included_left) == (D(0), D(5))
    assert draft.charged_hours == {} and draft.entry_ids == ()


# What is included


def test_bugs_security_and_questions_use_no_included_hours_under_a_plan():
    bug, security, question = terms(1, "bug"), terms(2, "security"), terms(3, "question")
    feature = terms(4, "feature")
    logs = [entry(1, 1, "3", 1), entry(2, 2, "2", 1), entry(3, 3, "1", 1), entry(4, 4, "5", 2)]
    draft = bill(bug, security, question, feature, entries=logs)
    assert [x.kind for x in draft.lines] == ["fee", "included", "included", "included", "included"]
    assert (draft.included_used, draft.included_left) == (D(5), D(0))
    assert draft.total == D("1000.00")


def test_an_unapproved_feature_beyond_the_included_hours_is_not_charged():
    draft = bill(terms(1), entries=[entry(1, 1, "8", 3)])
    assert summary(draft)[1:] == [
        ("included", 1, D(5), D("0.00")),
        ("not_charged", 1, D(3), D("0.00")),
    ]
    assert draft.total == D("1000.00")
    assert draft.charged_hours == {1: D(0)}


def test_included_hours_go_to_features_in_work_date_order():
    # Feature 1 was worked later in the month than feature 2, whose hours come first.
    first, second = terms(1, approved="10"), terms(2, approved="10")
    draft = bill(first, second, entries=[entry(1, 1, "3", 20), entry(2, 2, "4", 6)])
    assert only(draft, 2, "included").hours == D(4)
    assert only(draft, 1, "included").hours == D(1)
    assert only(draft, 1, "charged").hours == D(2)
    assert draft.total == D("1300.00")


def test_included_hours_go_first_to_work_the_client_did_not_approve_paying_for():
    # Given feature A quoted within the 5 included hours (nothing to approve), and feature B
    # quoted at 4 hours of which 3 chargeable, approved; B's hours were logged first
    a, b = terms(1), terms(2, approved="3")
    draft = bill(a, b, entries=[entry(1, 2, "4", 1), entry(2, 1, "4", 2)])
    # Then A's hours use 4 included hours, B's the last one and its 3 approved hours: the
    # client pays what it approved, and nothing goes unbilled
    assert summary(draft)[1:] == [
        ("included", 1, D(4), D("0.00")),
        ("included", 2, D(1), D("0.00")),
        ("charged", 2, D(3), D("450.00")),
    ]
    assert draft.total == D("1450.00")


def test_ties_on_the_work_date_go_by_entry_id():
    first, second = terms(1, approved="10"), terms(2, approved="10")
    draft = bill(first, second, entries=[entry(9, 1, "4", 6), entry(3, 2, "4", 6)])
    assert only(draft, 2, "included").hours == D(4)
    assert only(draft, 1, "included").hours == D(1)
    assert only(draft, 1, "charged").hours == D(3)


def test_a_three_hour_entry_with_one_included_hour_left_is_split():
    # Given 4 of the 5 included hours already used this month by an earlier entry
    logs = [entry(1, 1, "4", 1), entry(2, 2, "3", 2)]
    draft = bill(terms(1), terms(2, approved="5"), entries=logs)
    assert only(draft, 2, "included").hours == D(1)
    assert only(draft, 2, "charged").hours == D(2)
    assert only(draft, 2, "included").entry_ids == only(draft, 2, "charged").entry_ids == (2,)
    assert draft.total == D("1300.00")


# Approvals across months


def test_an_approval_holds_across_months():
    # Given 3 approved chargeable hours of which 2 were charged on earlier statements
    feature = terms(1, approved="3", already="2")
    draft = bill(feature, entries=[entry(1, 1, "8", 14)])
    assert summary(draft)[1:] == [
        ("included", 1, D(5), D("0.00")),
        ("charged", 1, D(1), D("150.00")),
        ("not_charged", 1, D(2), D("0.00")),
    ]
    assert draft.charged_hours == {1: D(1)}


def test_an_approval_used_up_earlier_charges_nothing_more():
    draft = bill(terms(1, approved="2", already="2"), entries=[entry(1, 1, "1", 14)], plan=NONE)
    assert summary(draft) == [("not_charged", 1, D(1), D("0.00"))]


def test_more_already_charged_than_approved_charges_nothing_and_is_not_an_error():
    draft = bill(terms(1, approved="2", already="3"), entries=[entry(1, 1, "1", 14)], plan=NONE)
    assert draft.total == D("0.00")


def test_the_next_month_continues_from_the_hours_charged_before():
    feature = terms(1, approved="4")
    october = bill(feature, entries=[entry(1, 1, "7", 3)])
    already = feature.already_charged_hours + october.charged_hours[1]
    november = Period(2026, 11)
    later = terms(1, approved="4", already=str(already))
    draft = bill(later, entries=[entry(2, 1, "8", date(2026, 11, 2))], period=november)
    assert october.charged_hours == {1: D(2)}
    assert only(draft, 1, "charged").hours == D(2)
    assert only(draft, 1, "not_charged").hours == D(1)


def test_an_approval_charged_in_halves_never_adds_up_past_the_approved_amount():
    # Given no plan and a 1 h quote at 155.55 approved: 155.55 in all
    feature = terms(1, approved="1", rate="155.55")
    assert feature.approved_amount == D("155.55")
    # When 0.5 h is billed in October (77.775, rounded half-up to 77.78)
    october = bill(feature, entries=[entry(1, 1, "0.5", 15)], plan=NONE)
    assert summary(october) == [("charged", 1, D("0.5"), D("77.78"))]
    assert october.charged_amount == {1: D("77.78")}
    # And 0.5 h more in November, after October's 0.5 h and 77.78
    later = replace(
        feature,
        already_charged_hours=october.charged_hours[1],
        already_charged_amount=october.charged_amount[1],
    )
    november = bill(
        later, entries=[entry(2, 1, "0.5", date(2026, 11, 15))], plan=NONE, period=NOVEMBER
    )
    # Then November charges what is left of the approval, 77.77, not another 77.78
    assert summary(november) == [("charged", 1, D("0.5"), D("77.77"))]
    assert november.total == D("77.77")
    assert october.total + november.total == D("155.55")
    assert november.lines[0].description == (
        "REQ-1001 Request 1: at 155.55 an hour, held to the approved 155.55 in all"
    )
    # And an hour beyond the approved one is shown, not charged
    spent = replace(later, already_charged_hours=D(1), already_charged_amount=D("155.55"))
    december = bill(
        spent, entries=[entry(3, 1, "1", date(2026, 12, 1))], plan=NONE, period=Period(2026, 12)
    )
    assert summary(december) == [("not_charged", 1, D(1), D("0.00"))]


def test_lines_of_one_statement_are_held_to_the_approved_amount_in_month_order():
    # Given 1 h approved at 155.55 and 0.5 h of it logged late for September
    feature = terms(1, approved="1", rate="155.55")
    logs = [entry(1, 1, "0.5", 2), entry(2, 1, "0.5", date(2026, 9, 30))]
    draft = bill(feature, entries=logs, plan=NONE)
    # Then September's hours take the approval first, October's what is left of it
    assert [(x.amount, x.adjustment_for) for x in draft.lines] == [
        (D("77.77"), None),
        (D("77.78"), SEPTEMBER),
    ]
    assert draft.total == D("155.55") and draft.charged_amount == {1: D("155.55")}


def test_an_approved_amount_below_the_hours_at_the_rate_caps_the_money():
    # A quote whose amount is below its hours at the rate (a fraction of a cent included)
    feature = terms(1, approved="2", amount="199.999")
    draft = bill(feature, entries=[entry(1, 1, "2", 3)], plan=NONE)
    assert summary(draft) == [("charged", 1, D(2), D("199.99"))]


def test_money_already_charged_up_to_the_approved_amount_charges_nothing_more():
    feature = terms(1, approved="2", already="1", already_amount="300.00")
    draft = bill(feature, entries=[entry(1, 1, "1", 3)], plan=NONE)
    assert summary(draft) == [("charged", 1, D(1), D("0.00"))]
    assert draft.total == D("0.00")


# Without a plan


def test_without_a_plan_every_type_is_charged_up_to_its_approval():
    bug, feature = terms(1, "bug", approved="1"), terms(2, "feature")
    draft = bill(bug, feature, entries=[entry(1, 1, "2", 1), entry(2, 2, "1", 1)], plan=NONE)
    assert summary(draft) == [
        ("charged", 1, D(1), D("150.00")),
        ("not_charged", 1, D(1), D("0.00")),
        ("not_charged", 2, D(1), D("0.00")),
    ]
    assert draft.total == D("150.00")


def test_without_a_plan_leftover_pools_of_earlier_months_give_nothing():
    logs = [entry(1, 1, "2", date(2026, 9, 30))]
    draft = bill(terms(1, approved="1"), entries=logs, plan=NONE, unused_included={SEPTEMBER: D(5)})
    assert [(x.kind, x.hours) for x in draft.lines] == [("charged", D(1)), ("not_charged", D(1))]
    assert draft.included_used_late == {}


# Late hours: adjustments


def test_late_hours_are_adjustments_drawing_on_their_own_months_leftover_hours():
    # Given 2 included hours left unused in September and 3 h logged late for September
    logs = [entry(1, 1, "3", date(2026, 9, 28)), entry(2, 1, "1", 2)]
    draft = bill(terms(1, approved="1"), entries=logs, unused_included={SEPTEMBER: D(2)})
    # Then October's own hours are all included; September's 2 included, 1 charged
    assert [(x.kind, x.hours, x.amount, x.adjustment_for) for x in draft.lines[1:]] == [
        ("included", D(1), D("0.00"), None),
        ("included", D(2), D("0.00"), SEPTEMBER),
        ("charged", D(1), D("150.00"), SEPTEMBER),
    ]
    assert draft.lines[2].description.startswith("Adjustment for 2026-09")
    assert (draft.included_used, draft.included_left) == (D(1), D(4))
    assert draft.included_used_late == {SEPTEMBER: D(2)}
    assert draft.charged_hours == {1: D(1)}


def test_late_hours_of_a_month_without_a_known_leftover_use_no_included_hours():
    logs = [entry(1, 1, "3", date(2026, 8, 3))]
    draft = bill(terms(1), entries=logs, unused_included={SEPTEMBER: D(5)})
    assert [(x.kind, x.hours, x.adjustment_for) for x in draft.lines[1:]] == [
        ("not_charged", D(3), Period(2026, 8))
    ]
    assert (draft.included_used, draft.included_left) == (D(0), D(5))


def test_late_hours_take_the_approval_before_this_months_later_work():
    logs = [entry(1, 1, "2", 1), entry(2, 1, "2", date(2026, 9, 30))]
    draft = bill(terms(1, approved="2"), entries=logs, plan=NONE)
    assert [(x.kind, x.hours, x.adjustment_for) for x in draft.lines] == [
        ("not_charged", D(2), None),
        ("charged", D(2), SEPTEMBER),
    ]


def test_late_free_hours_are_included_adjustments():
    logs = [entry(1, 1, "2", date(2026, 7, 30))]
    draft = bill(terms(1, "security"), entries=logs)
    assert [(x.kind, x.hours, x.adjustment_for) for x in draft.lines[1:]] == [
        ("included", D(2), Period(2026, 7))
    ]
    assert draft.included_used_late == {}


def test_lines_go_fee_then_requests_by_number_then_adjustments_by_month_and_request():
    late, early = terms(1, approved="9", number=2000), terms(2, approved="9", number=1500)
    logs = [
        entry(1, 1, "6", 1),
        entry(2, 2, "1", 2),
        entry(3, 1, "1", date(2026, 9, 1)),
        entry(4, 2, "1", date(2026, 9, 1)),
        entry(5, 1, "1", date(2026, 8, 1)),
    ]
    draft = bill(late, early, entries=logs, unused_included={SEPTEMBER: D("0.5")})
    assert [(x.kind, x.request_id, x.adjustment_for) for x in draft.lines] == [
        ("fee", None, None),
        ("charged", 2, None),
        ("included", 1, None),
        ("charged", 1, None),
        ("charged", 1, Period(2026, 8)),
        ("charged", 2, SEPTEMBER),
        ("included", 1, SEPTEMBER),
        ("charged", 1, SEPTEMBER),
    ]
    assert [x.hours for x in draft.lines[1:]] == [D(1), D(5), D(1), D(1), D(1), D("0.5"), D("0.5")]
    assert draft.entry_ids == (1, 2, 3, 4, 5)


# Money: rounded half-up once per line


def test_a_line_amount_is_rounded_half_up_to_the_cent():
    draft = bill(terms(1, approved="1", rate="99.99"), entries=[entry(1, 1, "0.333", 1)], plan=NONE)
    assert draft.lines[0].amount == D("33.30")  # 33.29667
    draft = bill(terms(1, approved="1", rate="150.10"), entries=[entry(1, 1, "0.25", 1)], plan=NONE)
    assert draft.lines[0].amount == D("37.53")  # 37.525


def test_a_line_is_rounded_once_not_per_entry():
    logs = [entry(1, 1, "0.333", 1), entry(2, 1, "0.333", 2)]
    draft = bill(terms(1, approved="1", rate="99.99"), entries=logs, plan=NONE)
    assert summary(draft) == [("charged", 1, D("0.666"), D("66.59"))]  # not 33.30 + 33.30


def test_the_total_is_the_sum_of_the_amounts_shown():
    logs = [entry(1, 1, "0.005", 1), entry(2, 2, "0.005", 1)]
    cheap = [terms(n, approved="1", rate="1.00") for n in (1, 2)]
    draft = bill(*cheap, entries=logs, plan=NONE)
    assert [x.amount for x in draft.lines] == [D("0.01"), D("0.01")]
    assert draft.total == D("0.02")


def test_a_zero_hour_entry_is_accounted_without_a_line():
    draft = bill(terms(1), entries=[entry(7, 1, "0", 3)], plan=NONE)
    assert draft.lines == () and draft.entry_ids == (7,)
    assert draft.total == D("0.00")


# Periods


def test_a_period_knows_its_days_label_and_previous_month():
    period = Period.parse("2028-02")
    assert (period.first_day, period.last_day) == (date(2028, 2, 1), date(2028, 2, 29))
    assert period.label == str(period) == "2028-02"
    assert Period(2026, 1).previous() == Period(2025, 12)
    assert OCTOBER.previous() == SEPTEMBER
    assert Period.of(date(2026, 12, 31)) == Period(2026, 12)
    assert Period(2026, 12).last_day == date(2026, 12, 31)
    assert SEPTEMBER < OCTOBER < Period(2027, 1)


def test_every_month_of_several_years_steps_to_its_neighbours_and_reads_its_label():
    # Walked day by day, independently of Period's own arithmetic
    day, months = date(1999, 1, 1), []
    while day < date(2032, 1, 1):
        if day.day == 1:
            months.append(day)
        day += timedelta(days=1)
    for before, this, after in zip(months, months[1:], months[2:], strict=False):
        period = Period.of(this)
        assert period.previous() == Period.of(before) and period.next() == Period.of(after)
        assert period.previous().next() == period == period.next().previous()
        assert Period.parse(f" {this:%Y-%m} ") == period and period.label == f"{this:%Y-%m}"
        assert (period.first_day, period.last_day) == (this, after - timedelta(days=1))
        assert period.has_ended(period.last_day) is False
        assert period.has_ended(after) is True


@pytest.mark.parametrize(
    ("today", "ended"),
    [(date(2026, 10, 31), False), (date(2026, 11, 1), True), (date(2026, 10, 1), False)],
)
def test_a_month_has_ended_from_the_first_of_the_next(today, ended):
    assert OCTOBER.has_ended(today) is ended


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-10", "", "2026-10-01", "oct"])
def test_a_period_that_is_not_a_month_is_refused_with_a_clear_message(text):
    with pytest.raises(ValueError, match="YYYY-MM"):
        Period.parse(text)


def test_a_period_of_no_month_cannot_be_built():
    for year, month in [(2026, 13), (2026, 0), (0, 12), (10000, 1)]:
        with pytest.raises(ValueError, match=f"^no such month: {year}-{month}$"):
            Period(year, month)
    # The first and last months a date can be in are months
    assert (Period(1, 1).first_day, Period(9999, 12).last_day) == (date.min, date.max)


# Inputs that would make the money wrong


@pytest.mark.parametrize(
    ("logs", "message"),
    [
        ([entry(1, 1, "-1", 3)], "negative hours"),
        ([entry(1, 9, "1", 3)], "unknown request 9"),
        ([entry(1, 1, "1", date(2026, 11, 1))], "dated after 2026-10"),
        ([entry(1, 1, "1", 3), entry(1, 1, "2", 4)], "given twice"),
    ],
)
def test_bad_entries_are_refused(logs, message):
    with pytest.raises(ValueError, match=message):
        bill(terms(1), entries=logs)


@pytest.mark.parametrize(
    "bad",
    [
        terms(1, rate="-1"),
        terms(1, approved="-1"),
        terms(1, already="-0.5"),
        terms(1, amount="-0.01"),
        terms(1, already_amount="-1.00"),
    ],
)
def test_negative_rates_and_approvals_are_refused(bad):
    with pytest.raises(ValueError, match="must not be negative"):
        bill(bad, entries=[])


def test_requests_keyed_under_another_id_are_refused():
    with pytest.raises(ValueError, match="another id"):
        compute_statement(OCTOBER, PROFESSIONAL, None, {2: terms(1)}, [])


@pytest.mark.parametrize(
    ("pools", "message"),
    [
        ({OCTOBER: D(1)}, "months before 2026-10"),
        ({Period(2026, 11): D(1)}, "months before 2026-10"),
        ({SEPTEMBER: D(-1)}, "must not be negative"),
    ],
)
def test_bad_leftover_included_hours_are_refused(pools, message):
    with pytest.raises(ValueError, match=message):
        bill(terms(1), entries=[], unused_included=pools)


def test_late_hours_drawn_from_included_hours_leave_the_approval_for_this_month():
    # Given Basic (2 included hours a month, none used in September) and a feature
    # approved at 10 h at 100.00; 4 h logged late for September and 8 h in October
    feature = terms(1, approved="10", rate="100.00")
    draft = bill(
        feature,
        entries=[entry(1, 1, "4", date(2026, 9, 20)), entry(2, 1, "8", 12)],
        plan=SHEET.plan("basic"),
        unused_included={SEPTEMBER: D("2")},
    )
    # Then September's 2 included hours take 2 of its 4 h, the approval pays the other 2,
    # and October's 8 h are 2 included and 6 charged from the 8 approved hours left
    assert summary(draft) == [
        ("fee", None, None, D("500.00")),
        ("included", 1, D("2"), D("0.00")),
        ("charged", 1, D("6"), D("600.00")),
        ("included", 1, D("2"), D("0.00")),
        ("charged", 1, D("2"), D("200.00")),
    ]
    assert draft.total == D("1300.00") and draft.charged_hours == {1: D("8")}


def test_each_line_says_what_it_is_and_what_it_costs():
    # Given Professional: a bug (free under the plan), a feature using 5 included hours
    # and 1 h charged, and a second feature with 1 h approved of the 2 h worked
    bug, feature = terms(1, type="bug"), terms(2, approved="1")
    other = terms(3, approved="1", rate="100.00")
    draft = bill(
        bug,
        feature,
        other,
        entries=[entry(1, 1, "2", 5), entry(2, 2, "6", 6), entry(3, 3, "2", 7)],
    )
    # Then each line names its request, its month and why it costs what it costs
    assert draft.period == OCTOBER
    assert [line.description for line in draft.lines] == [
        "Professional plan, 2026-10",
        "REQ-1001 Request 1: bug, included in the plan",
        "REQ-1002 Request 2: from the plan's included hours for 2026-10",
        "REQ-1002 Request 2: at 150.00 an hour",
        "REQ-1003 Request 3: at 100.00 an hour",
        "REQ-1003 Request 3: not charged: over the approved estimate",
    ]


def test_a_line_held_to_the_approved_amount_says_so():
    # Given 2 h approved for 250.00 at 150.00 an hour (a discount), all logged
    draft = bill(terms(1, approved="2", amount="250.00"), entries=[entry(1, 1, "7", 5)])
    line = only(draft, 1, "charged")
    assert (line.hours, line.amount) == (D("2"), D("250.00"))
    assert line.description == (
        "REQ-1001 Request 1: at 150.00 an hour, held to the approved 250.00 in all"
    )


def test_leftover_included_hours_no_late_work_drew_on_are_not_reported_as_used():
    draft = bill(terms(1), entries=[entry(1, 1, "1", 5)], unused_included={SEPTEMBER: D("2")})
    assert draft.included_used_late == {}
    assert (draft.included_used, draft.included_left) == (D("1"), D("4"))


def test_an_approved_amount_with_a_fraction_of_a_cent_is_held_to_the_cent_below():
    # Given 1 h approved at 150.00 for an amount of 100.009 (a discount worked out by hand)
    draft = bill(terms(1, approved="1", amount="100.009"), entries=[entry(1, 1, "6", 5)])
    # Then the charge never goes a fraction of a cent above it: 100.00, not 100.01
    assert only(draft, 1, "charged").amount == D("100.00")
