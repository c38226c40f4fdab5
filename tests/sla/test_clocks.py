"""The SLA clocks: business time while it is the agency's turn, paused on the client's."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from intake.plans import Target
from intake.requests.states import Status
from intake.sla.business_hours import BusinessHours, business_time_between, due
from intake.sla.clocks import FIRST_RESPONSE_WAITS_ON, allowed, read, running_spans

LONDON = ZoneInfo("Europe/London")
HOURS = BusinessHours(LONDON, (0, 1, 2, 3, 4), time(9), time(17), frozenset())
EIGHT_HOURS = Target(Decimal("8"), "h")
ONE_DAY = Target(Decimal("1"), "d")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026 (the 23rd is a Monday), London time (= UTC in winter)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


def h(n: float) -> timedelta:
    return timedelta(hours=n)


class TestARunningClock:
    def test_counts_business_hours_since_the_request_opened(self):
        reading = read(at(23, 10), [], EIGHT_HOURS, HOURS, at(23, 15))
        assert reading.state == "running"
        assert reading.elapsed == h(5)
        assert reading.fraction == 5 / 8
        assert reading.due_at == at(24, 10)
        assert not reading.warned and not reading.breached

    def test_warns_at_three_quarters_and_breaches_at_the_target(self):
        assert read(at(23, 10), [], EIGHT_HOURS, HOURS, at(23, 16)).warned
        late = read(at(23, 10), [], EIGHT_HOURS, HOURS, at(24, 11))
        assert late.breached and late.elapsed == h(9)
        assert late.due_at == at(24, 10)  # the moment it ran out, not the moment we looked

    def test_the_warning_comes_at_three_quarters_exactly(self):
        # 5 h 45 of 8 h is 72 %: not yet; 6 h is 75 %: warned
        assert not read(at(23, 9), [], EIGHT_HOURS, HOURS, at(23, 14, 45)).warned
        assert read(at(23, 9), [], EIGHT_HOURS, HOURS, at(23, 15)).warned

    def test_a_day_target_falls_due_when_the_quote_said(self):
        opened = at(23, 10)
        assert allowed(opened, ONE_DAY, HOURS) == h(7 + 8)
        reading = read(opened, [], ONE_DAY, HOURS, at(23, 11))
        assert reading.due_at == due(opened, ONE_DAY, HOURS)


class TestPauses:
    CHANGES = ((at(23, 10), Status.QUOTED), (at(23, 13), Status.APPROVED))

    def test_the_clock_stands_still_while_the_client_has_the_turn(self):
        reading = read(at(23, 9), self.CHANGES, EIGHT_HOURS, HOURS, at(23, 15))
        assert reading.elapsed == h(1 + 2)
        assert reading.due_at == at(24, 12)  # three hours later than without the pause

    def test_an_automatic_quote_waiting_for_approval_does_not_stop_the_first_response(self):
        # Given a request quoted automatically at 10:00 and still waiting at 15:00
        quoted = ((at(23, 10), Status.QUOTED),)
        # Then the first-response clock ran all along (the quote is no reply from a person)
        first = read(
            at(23, 9), quoted, EIGHT_HOURS, HOURS, at(23, 15), waiting=FIRST_RESPONSE_WAITS_ON
        )
        assert (first.state, first.elapsed, first.due_at) == ("running", h(6), at(23, 17))
        assert first.warned
        # While the resolution clock waits for the client's approval
        resolution = read(at(23, 9), quoted, EIGHT_HOURS, HOURS, at(23, 15))
        assert (resolution.state, resolution.elapsed) == ("paused", h(1))
        # And staff waiting on the client stop both
        waiting = ((at(23, 10), Status.WAITING_ON_CLIENT),)
        first = read(
            at(23, 9), waiting, EIGHT_HOURS, HOURS, at(23, 15), waiting=FIRST_RESPONSE_WAITS_ON
        )
        assert (first.state, first.elapsed) == ("paused", h(1))

    def test_a_paused_clock_cannot_fall_due(self):
        changes = [*self.CHANGES, (at(23, 14), Status.WAITING_ON_CLIENT)]
        reading = read(at(23, 9), changes, EIGHT_HOURS, HOURS, at(25, 9))
        assert reading.state == "paused"
        assert reading.due_at is None
        assert reading.elapsed == h(2)

    def test_a_done_request_stops_the_clock_and_a_reopened_one_resumes_it(self):
        changes = [(at(23, 10), Status.APPROVED), (at(23, 11), Status.DONE)]
        closed = read(at(23, 9), changes, EIGHT_HOURS, HOURS, at(24, 9))
        assert closed.state == "closed" and closed.elapsed == h(2) and not closed.breached
        reopened = [*changes, (at(24, 9), Status.IN_PROGRESS)]
        running = read(at(23, 9), reopened, EIGHT_HOURS, HOURS, at(24, 12))
        assert running.state == "running" and running.elapsed == h(5)

    def test_a_declined_request_stops_the_clock_like_a_done_one(self):
        changes = [(at(23, 10), Status.QUOTED), (at(23, 11), Status.DECLINED)]
        declined = read(at(23, 9), changes, EIGHT_HOURS, HOURS, at(25, 9))
        assert declined.state == "closed" and declined.elapsed == h(1)
        assert declined.due_at is None and not declined.breached

    def test_a_request_held_for_staff_is_the_agency_s_turn_and_the_clock_runs(self):
        changes = [(at(23, 10), Status.HELD)]
        held = read(at(23, 9), changes, EIGHT_HOURS, HOURS, at(23, 16))
        assert held.state == "running" and held.elapsed == h(7)
        assert held.due_at == at(23, 17)

    def test_the_first_response_is_met_from_the_moment_it_is_sent(self):
        reading = read(at(23, 9), [], EIGHT_HOURS, HOURS, at(23, 12), stopped_at=at(23, 12))
        assert reading.state == "met" and reading.elapsed == h(3)

    def test_the_first_response_clock_stops_at_the_first_reply(self):
        reading = read(at(23, 9), [], EIGHT_HOURS, HOURS, at(25, 9), stopped_at=at(23, 12))
        assert reading.state == "met"
        assert reading.elapsed == h(3)
        assert not reading.breached

    def test_a_reply_after_the_target_is_a_breach(self):
        reading = read(at(23, 9), [], EIGHT_HOURS, HOURS, at(25, 9), stopped_at=at(24, 12))
        assert reading.state == "met" and reading.breached
        assert reading.due_at == at(23, 17)


class TestSpans:
    def test_changes_before_the_opening_or_after_now_are_clipped(self):
        spans = running_spans(
            at(23, 9),
            [(at(23, 8), Status.APPROVED), (at(23, 20), Status.QUOTED)],
            at(23, 12),
            frozenset({Status.QUOTED}),
        )
        assert spans == [(at(23, 9), at(23, 12))]


OPENED = datetime(2026, 11, 23, 9, tzinfo=UTC)
STATUSES = st.sampled_from(list(Status))
MINUTES = st.integers(min_value=0, max_value=60 * 24 * 14)


@given(
    changes=st.lists(st.tuples(MINUTES, STATUSES), max_size=8),
    now=MINUTES,
    later=st.integers(min_value=0, max_value=60 * 24 * 7),
)
def test_pauses_only_ever_take_time_away(changes, now, later):
    history = sorted((OPENED + timedelta(minutes=m), s) for m, s in changes)
    moment = OPENED + timedelta(minutes=now)
    reading = read(OPENED, history, EIGHT_HOURS, HOURS, moment)
    assert timedelta(0) <= reading.elapsed <= business_time_between(OPENED, moment, HOURS)
    # Time only moves forward: looking later never shows less elapsed.
    after = read(OPENED, history, EIGHT_HOURS, HOURS, moment + timedelta(minutes=later))
    assert after.elapsed >= reading.elapsed
    if reading.state == "running":
        assert reading.due_at is not None
        assert (reading.due_at <= moment) == reading.breached
