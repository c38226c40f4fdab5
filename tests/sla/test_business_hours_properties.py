"""Properties of the SLA clock over random support hours, zones, holidays, starts and durations."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.sla.business_hours import (
    BusinessHours,
    add_business_time,
    business_time_between,
    complete_by,
    next_business_moment,
)
from tests.drawn import examples

# Both sides of UTC, half- and quarter-hour offsets, northern and southern DST.
ZONES = [
    ZoneInfo(name)
    for name in (
        "Europe/London",
        "Europe/Berlin",
        "America/New_York",
        "America/Los_Angeles",
        "Pacific/Auckland",
        "Australia/Adelaide",
        "Asia/Kolkata",
        "Asia/Kathmandu",
        "UTC",
    )
]
CLOCK = settings(max_examples=150, deadline=None)
YEAR_START = date(2026, 1, 1)
# Day numbers of 2026 rather than st.dates(): much cheaper to draw, same coverage.
HOLIDAY_OFFSETS = st.lists(st.integers(0, 364), max_size=20)


@st.composite
def business_hours(draw: st.DrawFn, around_the_clock: bool = False) -> BusinessHours:
    # Opening no earlier than 04:00: every DST switch in ZONES happens before then, so the
    # wall-clock oracle below never has to reason about skipped or repeated local times.
    opens = draw(st.integers(4 * 60, 14 * 60))
    # At least 15 minutes a day: a one-minute day, once a week, turns 600 hours into seven
    # centuries of days to step through, which says nothing more about correctness.
    closes = opens + draw(st.integers(15, 9 * 60))
    return BusinessHours(
        zone=draw(st.sampled_from(ZONES)),
        days=tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1)))),
        opens=time(*divmod(opens, 60)),
        closes=time(*divmod(closes, 60)),
        holidays=frozenset(YEAR_START + timedelta(days=n) for n in draw(HOLIDAY_OFFSETS)),
        around_the_clock=around_the_clock,
    )


starts = st.datetimes(
    min_value=datetime(2025, 12, 20),
    max_value=datetime(2026, 12, 31, 23, 59),
    timezones=st.sampled_from([*ZONES, UTC]),
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=600))
positive_durations = st.timedeltas(
    min_value=timedelta(microseconds=1), max_value=timedelta(hours=600)
)


def is_business_day(moment: datetime, hours: BusinessHours) -> bool:
    day = moment.astimezone(hours.zone).date()
    return day.weekday() in hours.days and day not in hours.holidays


def is_open(moment: datetime, hours: BusinessHours) -> bool:
    """The oracle: read the client's wall clock, independently of the code under test."""
    at = moment.astimezone(hours.zone).time()
    return is_business_day(moment, hours) and hours.opens <= at < hours.closes


@CLOCK
@given(hours=business_hours(), start=starts, duration=durations)
def test_the_result_is_never_in_closed_time(hours, start, duration):
    # Given any support hours and start, When business time is added,
    result = add_business_time(start, duration, hours)
    # Then the result is aware UTC, not before the start,
    assert result.utcoffset() == timedelta(0)
    assert result >= start
    at = result.astimezone(hours.zone).time()
    assert is_business_day(result, hours)
    if duration:
        # and inside support hours, where ending exactly at closing time counts as inside;
        assert hours.opens < at <= hours.closes
    else:
        # or, for no duration, the start itself if open, else the next opening.
        assert is_open(result, hours)
        assert (result == start) == is_open(start, hours)
        assert business_time_between(start, result, hours) == timedelta(0)


@CLOCK
@given(hours=business_hours(), start=starts, duration=durations)
def test_elapsed_business_time_round_trips(hours, start, duration):
    end = add_business_time(start, duration, hours)
    assert business_time_between(start, end, hours) == duration


@CLOCK
@given(hours=business_hours(), start=starts, first=durations, second=durations)
def test_longer_durations_end_later(hours, start, first, second):
    shorter, longer = sorted((first, second))
    earlier = add_business_time(start, shorter, hours)
    later = add_business_time(start, longer, hours)
    assert earlier <= later
    if shorter < longer:
        assert earlier < later


@CLOCK
@given(hours=business_hours(), start=starts, first=durations, second=positive_durations)
def test_adding_in_two_steps_equals_adding_once(hours, start, first, second):
    # The second part is non-zero: adding nothing at a closing time moves on to the next
    # opening, which is the same business time but a different instant.
    halfway = add_business_time(start, first, hours)
    assert add_business_time(halfway, second, hours) == add_business_time(
        start, first + second, hours
    )


@CLOCK
@given(hours=business_hours(around_the_clock=True), start=starts, duration=durations)
def test_around_the_clock_is_plain_addition(hours, start, duration):
    # Plain elapsed time: adding to the UTC instant, not to the local wall clock.
    end = add_business_time(start, duration, hours)
    assert end == start.astimezone(UTC) + duration
    assert business_time_between(start, end, hours) == duration
    # In UTC: a local time in a DST gap never compares equal across zones (PEP 495).
    assert next_business_moment(start, hours) == start.astimezone(UTC)


minute_starts = st.builds(
    lambda zone, minute: (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minute)).astimezone(
        zone
    ),
    st.sampled_from(ZONES),
    st.integers(0, 365 * 24 * 60),
)


@examples(60, deadline=None)
@given(hours=business_hours(), start=minute_starts, length=st.integers(0, 3 * 24 * 60))
def test_elapsed_business_time_matches_counting_minutes(hours, start, length):
    # Given whole-minute times (every zone here is offset by whole minutes), When the open
    # minutes are counted one by one on the client's wall clock, Then they sum to the same.
    # Steps are taken in UTC: adding to an aware local time would add wall-clock time.
    instant = start.astimezone(UTC)
    end = instant + timedelta(minutes=length)
    counted = sum(is_open(instant + timedelta(minutes=m), hours) for m in range(length))
    assert business_time_between(start, end, hours) == timedelta(minutes=counted)


@CLOCK
@given(
    hours=business_hours(),
    start=starts,
    estimates=st.lists(st.decimals(0, 400, places=2), min_size=2, max_size=2),
    capacity=st.decimals(Decimal("0.5"), 16, places=1),
)
def test_more_work_never_finishes_sooner(hours, start, estimates, capacity):
    smaller, larger = sorted(estimates)
    sooner = complete_by(start, smaller, capacity, hours)
    assert sooner <= complete_by(start, larger, capacity, hours)
    assert sooner >= next_business_moment(start, hours).astimezone(hours.zone).date()
