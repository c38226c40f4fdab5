"""Pricing under the plans: what is included, what is charged."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.errors import ConfigError
from intake.plans import load_plans
from intake.quotes.pricing import included_hours_left, price
from tests.factories import SHEET

RATE = Decimal("150.00")
D = Decimal


def test_bugs_security_and_questions_cost_nothing_under_a_paid_plan():
    for kind in ("bug", "security", "question"):
        quoted = price(kind, D(6), SHEET.plan("basic"), RATE, D(0))
        assert quoted.amount == D("0.00") and not quoted.needs_approval
        assert quoted.included_hours == 0 and quoted.chargeable_hours == 0
        assert (quoted.hours, quoted.rate) == (D(6), RATE)


def test_a_feature_uses_included_hours_first_then_the_rate():
    # Professional: 5 included hours; a 6 h feature costs one hour at $150.
    quoted = price("feature", D(6), SHEET.plan("professional"), RATE, D(5))
    assert (quoted.included_hours, quoted.chargeable_hours, quoted.amount) == (
        D(5),
        D(1),
        D("150.00"),
    )
    assert quoted.needs_approval


def test_promised_hours_count_as_used():
    professional = SHEET.plan("professional")
    assert included_hours_left(professional, D(3)) == D(2)
    assert included_hours_left(professional, D(9)) == D(0)
    quoted = price("feature", D(4), professional, RATE, included_hours_left(professional, D(3)))
    assert quoted.amount == D("300.00")


def test_without_a_plan_everything_is_hourly():
    quoted = price("question", D("1.5"), SHEET.plan("none"), RATE, D(10))
    assert (quoted.chargeable_hours, quoted.amount) == (D("1.5"), D("225.00"))


def test_odd_rates_round_half_up_to_the_cent():
    quoted = price("feature", D("0.25"), SHEET.plan("none"), D("150.10"), D(0))
    assert quoted.amount == D("37.53")  # 37.525 -> 37.53


def test_a_negative_estimate_is_refused():
    with pytest.raises(ValueError, match=r"^hours must not be negative$"):
        price("feature", D("-0.5"), SHEET.plan("none"), RATE, D(0))


def test_a_plan_with_no_included_hours_charges_a_feature_at_the_rate():
    plan = replace(SHEET.plan("basic"), included_hours=D(0))
    quoted = price("feature", D(2), plan, RATE, D(5))
    assert (quoted.included_hours, quoted.chargeable_hours, quoted.amount) == (
        D(0),
        D(2),
        D("300.00"),
    )


hours = st.decimals(min_value=0, max_value=200, places=2)


@given(
    kind=st.sampled_from(["bug", "feature", "security", "question"]),
    estimate=hours,
    plan=st.sampled_from(sorted(SHEET.plans)),
    left=hours,
    rate=st.decimals(min_value=0, max_value=500, places=2),
)
def test_price_invariants(kind, estimate, plan, left, rate):
    quoted = price(kind, estimate, SHEET.plan(plan), rate, left)
    # The quote shows the estimate and the rate it was priced at, whatever it costs
    assert (quoted.hours, quoted.rate) == (estimate, rate)
    # Every estimated hour is either included, charged or free under the plan, never twice.
    assert quoted.included_hours + quoted.chargeable_hours <= estimate
    assert quoted.included_hours <= left
    assert quoted.amount == (quoted.chargeable_hours * rate).quantize(D("0.01"), "ROUND_HALF_UP")
    assert quoted.amount >= 0 and quoted.amount.as_tuple().exponent == -2
    if plan == "none":
        assert quoted.chargeable_hours == estimate
    elif kind == "feature" and SHEET.plan(plan).included_hours > 0:
        # Included hours first, as many as are left, then the rest at the rate
        assert quoted.included_hours == min(estimate, left)
        assert quoted.chargeable_hours == estimate - quoted.included_hours
    if kind != "feature" and plan != "none":
        assert quoted.amount == 0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('hourly_rate = "NaN"', "hourly_rate: 'NaN' is not a number"),
        ('hourly_rate = "Infinity"', "hourly_rate: 'Infinity' is not a number"),
        ("hourly_rate = true", "hourly_rate: True is not a number"),
        ('hourly_rate = "-1"', "hourly_rate: must not be negative"),
    ],
)
def test_a_plans_file_price_that_is_no_amount_is_one_line_naming_it(tmp_path, line, message):
    # Given the example plans file with its hourly rate written wrong
    example = (Path(__file__).parents[2] / "config" / "plans.toml").read_text()
    written = "\n".join(
        line if row.startswith("hourly_rate") else row for row in example.splitlines()
    )
    path = tmp_path / "plans.toml"
    path.write_text(written + "\n")
    # When it is read, Then one error names the file and the key
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_plans(path)
