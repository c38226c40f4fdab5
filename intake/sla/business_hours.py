"""The SLA clock: business time counted in a client's support hours, time zone and holidays.

Pure functions over plain values: timezone-aware datetimes in, aware UTC datetimes or local
dates out. No database, no settings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

from intake.plans import SEVERITIES, Plan, Target

ONE_DAY = timedelta(days=1)
MIDNIGHT = time(0)
MICROSECONDS_PER_HOUR = 3_600_000_000


@dataclass(frozen=True)
class BusinessHours:
    """When a client's SLA clock runs: weekly support hours in their zone, minus holidays."""

    zone: ZoneInfo  # the client's time zone
    days: tuple[int, ...]  # weekdays open, 0 = Monday
    opens: time
    closes: time
    holidays: frozenset[date]  # public holidays (local dates) when closed
    around_the_clock: bool = False  # every minute counts (premium critical)

    def __post_init__(self) -> None:
        if not self.around_the_clock and not self.days:
            # With no open day the clock would never run and every search would loop forever.
            raise ValueError("business hours need at least one open weekday")
        if any(day not in range(7) for day in self.days):
            raise ValueError(f"weekdays must be 0 (Monday) to 6 (Sunday), not {self.days}")
        if self.closes <= self.opens:
            raise ValueError(f"closing time {self.closes} must be after opening time {self.opens}")

    def is_business_day(self, day: date) -> bool:
        """Whether the clock runs at all on this local date."""
        if self.around_the_clock:
            return True
        return day.weekday() in self.days and day not in self.holidays


def business_hours_for(
    plan: Plan, severity: str, zone: ZoneInfo, country: str | None, years: Iterable[int]
) -> BusinessHours:
    """The business hours a request of this severity runs on under ``plan``.

    ``country`` is an ISO 3166 code ("GB") or code and subdivision ("GB-ENG", "US-NY");
    ``None`` means no public holidays. Holidays are loaded for ``years`` only.
    """
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}; expected one of {', '.join(SEVERITIES)}")
    return BusinessHours(
        zone=zone,
        days=plan.days,
        opens=plan.opens,
        closes=plan.closes,
        holidays=public_holidays(country, years),
        around_the_clock=severity in plan.around_the_clock,
    )


def public_holidays(country: str | None, years: Iterable[int]) -> frozenset[date]:
    """The public holidays of ``country`` ("GB", "GB-ENG", ...) in ``years``, as local dates."""
    if country is None:
        return frozenset()
    return _calendar(country.strip().upper(), tuple(sorted(set(years))))


# Countries whose own calendar holds only the days common to all their parts, where a client
# writing the country means its main part: "GB" alone has no Easter Monday and no August bank
# holiday, which England, Wales and Northern Ireland keep. "GB-SCT" etc. name the others.
_MAIN_PART = {"GB": "ENG", "UK": "ENG"}


@lru_cache(maxsize=256)
def _calendar(country: str, years: tuple[int, ...]) -> frozenset[date]:
    # Building a calendar takes milliseconds; every quote of a client asks for the same one.
    code, _, subdivision = country.partition("-")
    subdivision = subdivision or _MAIN_PART.get(code, "")
    try:
        calendar = holiday_calendars.country_holidays(
            code, subdiv=subdivision or None, years=list(years)
        )
    except NotImplementedError:
        # The package names the problem with NotImplementedError; callers expect a value error.
        raise ValueError(f"no public holiday calendar for country {country!r}") from None
    return frozenset(calendar)


def next_business_moment(moment: datetime, hours: BusinessHours) -> datetime:
    """``moment`` itself if the clock is running then, else the next opening, as aware UTC.

    Closing time belongs to the closed side: a request at exactly 17:00 waits for tomorrow.
    """
    return add_business_time(moment, timedelta(0), hours)


def add_business_time(start: datetime, duration: timedelta, hours: BusinessHours) -> datetime:
    """The instant when ``duration`` of business time has run from ``start``, as aware UTC.

    Counting starts at the next open moment if ``start`` is outside hours. A non-zero
    duration may end exactly at closing time; a zero duration gives the next open moment.
    """
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration}")
    moment = _utc(start)
    if hours.around_the_clock:
        return moment + duration
    left = duration
    for _day, opens, closes in _spans_ending_after(moment, hours):
        begin = max(opens, moment)
        available = closes - begin
        if left <= available:
            return begin + left
        left -= available
    raise AssertionError("unreachable: the spans never run out")  # pragma: no cover


def add_business_days(start: datetime, days: int, hours: BusinessHours) -> date:
    """The local date ``days`` business days after the day ``start`` is counted from.

    That day is the one of the next open moment: a request before opening counts from the
    same day, one after closing (or on a weekend or holiday) from the next business day.
    """
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    first = next_business_moment(start, hours).astimezone(hours.zone).date()
    return _business_days_after(first, days, hours)


def due(start: datetime, target: Target, hours: BusinessHours) -> datetime:
    """When an SLA ``target`` that starts at ``start`` falls due, as aware UTC.

    "h": that many hours of business time. "d": closing time on the day that many business
    days after the counting day, so "1d" for a Monday request is Tuesday 17:00 local.
    A fraction of a day is rounded up to a whole one (the target is never shortened).
    Around the clock, a day is 24 hours of wall time.
    """
    if target.unit == "h":
        return add_business_time(start, _hours(target.amount), hours)
    if target.unit != "d":
        raise ValueError(f"unknown SLA target unit {target.unit!r} in {target}")
    if hours.around_the_clock:
        return add_business_time(start, _hours(target.amount * 24), hours)
    day = add_business_days(start, math.ceil(target.amount), hours)
    return _instant(day, hours.closes, hours.zone)


def business_time_between(start: datetime, end: datetime, hours: BusinessHours) -> timedelta:
    """Business time elapsed from ``start`` to ``end``; zero if ``end`` is not after ``start``.

    SLA clocks that pause (waiting on the client) sum this over their running stretches.
    """
    begin, finish = _utc(start), _utc(end)
    if finish <= begin:
        return timedelta(0)
    if hours.around_the_clock:
        return finish - begin
    total = timedelta(0)
    for _day, opens, closes in _spans_ending_after(begin, hours):
        if opens >= finish:
            break
        total += min(closes, finish) - max(opens, begin)
    return total


def complete_by(
    start: datetime, estimate_hours: Decimal, daily_capacity_hours: Decimal, hours: BusinessHours
) -> date:
    """The local date by which ``estimate_hours`` of work is done at ``daily_capacity_hours``.

    Work starts at the next business moment. The first day gives only the share of its
    capacity that is left of its support hours (a request at 16:00 of a 9–17 day gets an
    eighth), so a late request is not promised a full day's work before closing.
    """
    if daily_capacity_hours <= 0:
        raise ValueError(f"daily capacity must be positive, got {daily_capacity_hours}")
    if estimate_hours < 0:
        raise ValueError(f"estimate must not be negative, got {estimate_hours}")
    moment = _utc(start)
    day, opens, closes = next(_spans_ending_after(moment, hours))
    left_today = closes - max(opens, moment)
    share = Decimal(_microseconds(left_today)) / Decimal(_microseconds(closes - opens))
    today = daily_capacity_hours * share
    if estimate_hours <= today:
        return day
    more_days = math.ceil((estimate_hours - today) / daily_capacity_hours)
    return _business_days_after(day, more_days, hours)


def _spans_ending_after(
    moment: datetime, hours: BusinessHours
) -> Iterator[tuple[date, datetime, datetime]]:
    """Each business day's (local date, opens, closes in UTC) whose hours end after ``moment``.

    Steps a whole day at a time, so a 1,000-hour target costs a few hundred cheap steps.
    """
    day = moment.astimezone(hours.zone).date()
    while True:
        span = _span(day, hours)
        if span is not None and span[1] > moment:
            yield day, span[0], span[1]
        day += ONE_DAY


def _span(day: date, hours: BusinessHours) -> tuple[datetime, datetime] | None:
    """The open stretch of one local date in UTC, or None if the clock does not run then."""
    if hours.around_the_clock:
        # Midnight to midnight: 23 or 25 hours on a DST change day, so days tile exactly.
        return _instant(day, MIDNIGHT, hours.zone), _instant(day + ONE_DAY, MIDNIGHT, hours.zone)
    if not hours.is_business_day(day):
        return None
    # Opening and closing are wall-clock times: on a DST change day 9:00–17:00 local stays
    # 9:00–17:00, and the UTC length of the day is whatever the zone makes of it.
    opens, closes = _instant(day, hours.opens, hours.zone), _instant(day, hours.closes, hours.zone)
    return (opens, closes) if opens < closes else None


def _business_days_after(first: date, days: int, hours: BusinessHours) -> date:
    day = first
    while days > 0:
        day += ONE_DAY
        if _span(day, hours) is not None:
            days -= 1
    return day


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    # fold=0: a wall time skipped by a spring-forward jump lands just after the jump, and an
    # ambiguous one (autumn) means its first occurrence.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; SLA clocks need aware times")
    # Arithmetic on aware datetimes sharing a tzinfo is wall-clock arithmetic in Python;
    # in UTC it is real elapsed time.
    return moment.astimezone(UTC)


def _hours(amount: Decimal) -> timedelta:
    return timedelta(microseconds=int((amount * MICROSECONDS_PER_HOUR).to_integral_value()))


def _microseconds(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds
