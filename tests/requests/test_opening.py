"""When a request opens: its mail's arrival, within the limit, else the moment it is filed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from intake.requests.service import opening_time

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
DAY = 24 * 3600.0


def test_mail_that_arrived_while_intake_was_down_opens_at_its_arrival():
    arrived = NOW - timedelta(hours=5)
    assert opening_time(arrived, NOW, DAY) == arrived


def test_mail_older_than_the_limit_opens_now():
    assert opening_time(NOW - timedelta(days=2), NOW, DAY) == NOW


def test_no_arrival_time_or_a_server_clock_ahead_of_ours_opens_now():
    assert opening_time(None, NOW, DAY) == NOW
    assert opening_time(NOW + timedelta(minutes=3), NOW, DAY) == NOW


def test_a_limit_of_zero_always_opens_now():
    assert opening_time(NOW - timedelta(seconds=1), NOW, 0) == NOW


@given(
    offset=st.floats(min_value=-10 * DAY, max_value=10 * DAY, allow_nan=False),
    within=st.floats(min_value=0, max_value=5 * DAY, allow_nan=False),
)
def test_a_request_never_opens_in_the_future_or_before_the_limit(offset, within):
    arrived = NOW - timedelta(seconds=offset)
    opened = opening_time(arrived, NOW, within)
    assert NOW - timedelta(seconds=within) <= opened <= NOW
    assert opened in (arrived, NOW)
    if 0 <= offset <= within:
        assert opened == arrived
