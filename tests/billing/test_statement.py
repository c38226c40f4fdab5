"""The monthly statement: the plan fee, included hours, approved charges and late hours."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from intake.billing.statement import (
    Draft,
    Entry,
    Line,
    Period,
    RequestTerms,
    compute_statement,
)
from intake.quotes.plans import Plan, load_plans

SHEET = load_plans(Path(__file__).parents[2] / "config" / "plans.toml")
PROFESSIONAL = SHEET.plan("professional")
NONE = SHEET.plan("none")
OCTOBER = Period(2026, 10)
SEPTEMBER = Period(2026, 9)
D = Decimal


def terms(
    request_id: int,
    type: str = "feature",
    approved: str = "0",
    already: str = "0",
    rate: str = "150.00",
    number: int | None = None,
) -> RequestTerms:
    number = 1000 + request_id if number is None else number
    return RequestTerms(
        request_id=request_id,
        reference=f"REQ-{number}",
        number=number,
        subject=f"Request {request_id}",
        type=type,
        rate=D(rate),
        approved_chargeable_hours=D(approved),
        already_charged_hours=D(already),
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
    with pytest.raises(ValueError, match="no such month"):
        Period(2026, 13)


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
    [terms(1, rate="-1"), terms(1, approved="-1"), terms(1, already="-0.5")],
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
