"""The SLA clock on worked examples: support hours, zones, DST, weekends and holidays in 2026.

Every expected instant is worked out by hand in the comment above it ("Z" = UTC).
2026 facts used: Europe switches to summer time on Sun 29 Mar and back on Sun 25 Oct;
the US on Sun 8 Mar and Sun 1 Nov; New Zealand leaves summer time on Sun 5 Apr.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from intake.plans import Plan, Target, load_plans
from intake.sla.business_hours import (
    BusinessHours,
    add_business_days,
    add_business_time,
    business_hours_for,
    business_time_between,
    complete_by,
    due,
    next_business_moment,
    public_holidays,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
AUCKLAND = ZoneInfo("Pacific/Auckland")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
KOLKATA = ZoneInfo("Asia/Kolkata")
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = (0, 1, 2, 3, 4)
EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)
PLANS_FILE = Path(__file__).resolve().parents[2] / "config" / "plans.toml"


def nine_to_five(
    zone: ZoneInfo, country: str | None = None, days: tuple[int, ...] = WEEKDAYS
) -> BusinessHours:
    holidays = public_holidays(country, [2026]) if country else frozenset()
    return BusinessHours(zone, days, time(9), time(17), holidays)


def local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


LONDON_GB = nine_to_five(LONDON, "GB")
LONDON_ALWAYS = BusinessHours(LONDON, WEEKDAYS, time(9), time(17), frozenset(), True)
SEVEN_DAYS_LONDON = nine_to_five(LONDON, days=EVERY_DAY)
SEVEN_DAYS_NEW_YORK = nine_to_five(NEW_YORK, days=EVERY_DAY)

# (hours, local start, hours to add, expected UTC), each worked out in the comment above it.
ADD_BUSINESS_TIME = {
    # Mon 2 Mar 10:00 GMT + 4h -> 14:00 GMT = 14:00Z.
    "within hours": (LONDON_GB, (2026, 3, 2, 10), 4, (2026, 3, 2, 14)),
    # Mon 15:00 + 4h: 2h to 17:00, 2h from Tue 09:00 -> Tue 3 Mar 11:00Z.
    "rolls over closing": (LONDON_GB, (2026, 3, 2, 15), 4, (2026, 3, 3, 11)),
    # Mon 07:30 is before opening: 09:00 + 2h -> 11:00Z.
    "before opening": (LONDON_GB, (2026, 3, 2, 7, 30), 2, (2026, 3, 2, 11)),
    # Mon 17:30 is closed: Tue 09:00 + 2h -> Tue 11:00Z.
    "after closing": (LONDON_GB, (2026, 3, 2, 17, 30), 2, (2026, 3, 3, 11)),
    # Mon 09:00 + 8h -> Mon 17:00Z (the day is used up exactly at closing, not Tue 09:00).
    "exactly at opening": (LONDON_GB, (2026, 3, 2, 9), 8, (2026, 3, 2, 17)),
    # Mon 17:00 is closing time, already closed: Tue 09:00 + 1h -> Tue 10:00Z.
    "exactly at closing": (LONDON_GB, (2026, 3, 2, 17), 1, (2026, 3, 3, 10)),
    # Sat 7 Mar 12:00: closed until Mon 9 Mar 09:00, + 2h -> 11:00Z.
    "on a weekend": (LONDON_GB, (2026, 3, 7, 12), 2, (2026, 3, 9, 11)),
    # Fri 6 Mar 16:00 + 2h: 1h Fri, then Mon 9 Mar 09:00 + 1h -> 10:00Z.
    "over a weekend": (LONDON_GB, (2026, 3, 6, 16), 2, (2026, 3, 9, 10)),
    # Thu 24 Dec 16:00 + 2h: 1h Thu; Fri 25 Christmas, Sat, Sun, Mon 28 (Boxing Day
    # observed) closed; Tue 29 Dec 09:00 + 1h -> 10:00Z.
    "over christmas": (LONDON_GB, (2026, 12, 24, 16), 2, (2026, 12, 29, 10)),
    # Fri 25 Dec 10:00 is Christmas: next opening Tue 29 Dec 09:00, + 1h -> 10:00Z.
    "on a holiday": (LONDON_GB, (2026, 12, 25, 10), 1, (2026, 12, 29, 10)),
    # Fri 27 Mar 15:00 GMT + 4h: 2h Fri; Mon 30 Mar 09:00 BST (08:00Z) + 2h -> 10:00Z.
    "spring forward over the weekend": (LONDON_GB, (2026, 3, 27, 15), 4, (2026, 3, 30, 10)),
    # Fri 23 Oct 16:00 BST (15:00Z) + 2h: 1h Fri; Mon 26 Oct 09:00 GMT + 1h -> 10:00Z.
    "fall back over the weekend": (LONDON_GB, (2026, 10, 23, 16), 2, (2026, 10, 26, 10)),
    # Sun 29 Mar, clocks jump at 01:00 GMT: 09:00 BST = 08:00Z, + 8h -> 17:00 BST = 16:00Z.
    "london switch day": (SEVEN_DAYS_LONDON, (2026, 3, 29, 8), 8, (2026, 3, 29, 16)),
    # Sun 8 Mar, 08:00 is already EDT (-4): 09:00 EDT = 13:00Z, + 8h -> 17:00 EDT = 21:00Z.
    "new york spring switch day": (SEVEN_DAYS_NEW_YORK, (2026, 3, 8, 8), 8, (2026, 3, 8, 21)),
    # Sun 1 Nov, back on EST (-5): 09:00 EST = 14:00Z, + 8h -> 17:00 EST = 22:00Z.
    "new york autumn switch day": (SEVEN_DAYS_NEW_YORK, (2026, 11, 1, 9), 8, (2026, 11, 1, 22)),
    # Wed 25 Nov 16:00 EST + 3h: 1h Wed; Thu 26 Thanksgiving closed; Fri 27 is a federal
    # working day: 09:00 EST + 2h -> 11:00 EST = 16:00Z.
    "thanksgiving": (nine_to_five(NEW_YORK, "US"), (2026, 11, 25, 16), 3, (2026, 11, 27, 16)),
    # Thu 2 Apr 16:00 NZDT (+13) + 2h: 1h Thu; Fri 3 Good Friday, Sat, Sun 5 (NZDT ends),
    # Mon 6 Easter Monday closed; Tue 7 Apr 09:00 NZST (+12) + 1h -> Mon 6 Apr 22:00Z.
    "auckland easter": (nine_to_five(AUCKLAND, "NZ"), (2026, 4, 2, 16), 2, (2026, 4, 6, 22)),
    # Mon 2 Mar 16:30 PST (-8) = Tue 00:30Z + 1h: 0.5h Mon; Tue 09:00 PST + 0.5h
    # -> 09:30 PST = Tue 17:30Z.
    "los angeles": (nine_to_five(LOS_ANGELES, "US"), (2026, 3, 2, 16, 30), 1, (2026, 3, 3, 17, 30)),
    # Tue 3 Mar 16:30 IST (+5:30) + 2h: 0.5h Tue; Wed 4 Holi closed; Thu 5 Mar 09:00 IST
    # + 1.5h -> 10:30 IST = 05:00Z.
    "kolkata holi": (nine_to_five(KOLKATA, "IN"), (2026, 3, 3, 16, 30), 2, (2026, 3, 5, 5)),
    # Wed 13 May 16:00 CEST (+2) + 2h: 1h Wed; Thu 14 Ascension closed; Fri 15 09:00 CEST
    # + 1h -> 10:00 CEST = 08:00Z.
    "berlin ascension": (nine_to_five(BERLIN, "DE"), (2026, 5, 13, 16), 2, (2026, 5, 15, 8)),
    # Around the clock, Sun 29 Mar 00:30 GMT = 00:30Z + 1h -> 01:30Z (02:30 BST).
    "24/7 over a switch": (LONDON_ALWAYS, (2026, 3, 29, 0, 30), 1, (2026, 3, 29, 1, 30)),
    # Around the clock, Christmas Day 10:00 GMT + 1h -> 11:00Z.
    "24/7 on a holiday": (LONDON_ALWAYS, (2026, 12, 25, 10), 1, (2026, 12, 25, 11)),
}


class TestAddBusinessTime:
    @pytest.mark.parametrize(
        ("business", "start", "added", "expected"),
        ADD_BUSINESS_TIME.values(),
        ids=ADD_BUSINESS_TIME.keys(),
    )
    def test_worked_examples(self, business, start, added, expected):
        # Given the client's hours and a local start, When hours are added, Then the UTC due.
        start_time = local(business.zone, *start)
        assert add_business_time(start_time, hours(added), business) == utc(*expected)

    def test_zero_duration_is_the_next_open_moment(self):
        # Inside hours: the start itself. Sat 7 Mar: Mon 9 Mar 09:00Z.
        start = local(LONDON, 2026, 3, 2, 10)
        assert add_business_time(start, hours(0), LONDON_GB) == utc(2026, 3, 2, 10)
        assert next_business_moment(local(LONDON, 2026, 3, 7, 12), LONDON_GB) == utc(2026, 3, 9, 9)

    def test_start_given_in_another_zone(self):
        # Mon 2 Mar 20:00 in Auckland (+13) = Mon 07:00Z = 07:00 GMT in London, before
        # opening: 09:00 + 1h -> 10:00Z.
        start = local(AUCKLAND, 2026, 3, 2, 20)
        assert add_business_time(start, hours(1), LONDON_GB) == utc(2026, 3, 2, 10)

    def test_a_thousand_hours_skip_weekends_and_holidays(self):
        # Mon 5 Jan 09:00 + 1000h = 125 days of 8h = 25 whole weeks: Fri 26 Jun 17:00 BST
        # (16:00Z). GB (England) closes Fri 3 Apr, Mon 6 Apr, Mon 4 May, Mon 25 May: four
        # more days -> Thu 2 Jul.
        result = add_business_time(local(LONDON, 2026, 1, 5, 9), hours(1000), LONDON_GB)
        assert result == utc(2026, 7, 2, 16)
        no_holidays = nine_to_five(LONDON)
        assert add_business_time(local(LONDON, 2026, 1, 5, 9), hours(1000), no_holidays) == utc(
            2026, 6, 26, 16
        )

    def test_refuses_naive_times_and_negative_durations(self):
        with pytest.raises(ValueError, match="no time zone"):
            add_business_time(datetime(2026, 3, 2, 10), hours(1), LONDON_GB)
        with pytest.raises(ValueError, match="negative"):
            add_business_time(local(LONDON, 2026, 3, 2, 10), hours(-1), LONDON_GB)


class TestAddBusinessDays:
    @pytest.mark.parametrize(
        ("start", "days", "expected"),
        [
            # Mon 2 Mar 10:00, counting day Mon -> Tue 3 Mar.
            ((2026, 3, 2, 10), 1, date(2026, 3, 3)),
            # Fri 6 Mar 10:00 -> next business day Mon 9 Mar.
            ((2026, 3, 6, 10), 1, date(2026, 3, 9)),
            # Mon 08:00, before opening: Monday still counts -> Tue 3 Mar.
            ((2026, 3, 2, 8), 1, date(2026, 3, 3)),
            # Mon 17:00, closed: counting day Tue -> Wed 4 Mar.
            ((2026, 3, 2, 17), 1, date(2026, 3, 4)),
            # Sat 7 Mar, 0 days: the counting day itself, Mon 9 Mar.
            ((2026, 3, 7, 12), 0, date(2026, 3, 9)),
            # Thu 24 Dec: 25 and 28 are holidays, 26-27 the weekend -> Tue 29 Dec.
            ((2026, 12, 24, 10), 1, date(2026, 12, 29)),
        ],
    )
    def test_london(self, start, days, expected):
        assert add_business_days(local(LONDON, *start), days, LONDON_GB) == expected

    def test_the_date_is_local_to_the_client(self):
        # Sun 1 Mar 22:00Z is Mon 2 Mar 11:00 NZDT: counting day Mon 2 -> Tue 3 Mar.
        hours_nz = nine_to_five(AUCKLAND, "NZ")
        assert add_business_days(utc(2026, 3, 1, 22), 1, hours_nz) == date(2026, 3, 3)

    def test_refuses_negative_days(self):
        with pytest.raises(ValueError, match="negative"):
            add_business_days(local(LONDON, 2026, 3, 2, 10), -1, LONDON_GB)


class TestDue:
    def test_one_business_day_ends_at_closing_the_next_day(self):
        # Mon 2 Mar 10:00 + "1d" -> Tue 3 Mar 17:00 GMT = 17:00Z.
        assert due(local(LONDON, 2026, 3, 2, 10), Target(Decimal(1), "d"), LONDON_GB) == utc(
            2026, 3, 3, 17
        )

    def test_one_business_day_from_friday_evening(self):
        # Fri 6 Mar 17:30: counting day Mon 9 -> Tue 10 Mar 17:00Z.
        assert due(local(LONDON, 2026, 3, 6, 17, 30), Target(Decimal(1), "d"), LONDON_GB) == utc(
            2026, 3, 10, 17
        )

    def test_business_days_over_the_us_dst_switch(self):
        # Fri 6 Mar 10:00 EST + "2d": Mon 9, Tue 10 -> Tue 17:00 EDT (-4) = 21:00Z.
        hours_ny = nine_to_five(NEW_YORK, "US")
        assert due(local(NEW_YORK, 2026, 3, 6, 10), Target(Decimal(2), "d"), hours_ny) == utc(
            2026, 3, 10, 21
        )

    def test_business_hours_target(self):
        # Mon 10:00 + "8h": 7h Mon, 1h Tue -> Tue 10:00Z.
        assert due(local(LONDON, 2026, 3, 2, 10), Target(Decimal(8), "h"), LONDON_GB) == utc(
            2026, 3, 3, 10
        )
        # Mon 16:00 + "1.5h": 1h Mon, 0.5h Tue -> Tue 09:30Z.
        assert due(local(LONDON, 2026, 3, 2, 16), Target(Decimal("1.5"), "h"), LONDON_GB) == utc(
            2026, 3, 3, 9, 30
        )

    def test_a_fraction_of_a_day_rounds_up(self):
        # "0.5d" counts as "1d": Mon 10:00 -> Tue 17:00Z.
        assert due(local(LONDON, 2026, 3, 2, 10), Target(Decimal("0.5"), "d"), LONDON_GB) == utc(
            2026, 3, 3, 17
        )

    def test_around_the_clock(self):
        # Sat 7 Mar 23:30 GMT + "1h" -> Sun 00:30Z.
        assert due(local(LONDON, 2026, 3, 7, 23, 30), Target(Decimal(1), "h"), LONDON_ALWAYS) == (
            utc(2026, 3, 8, 0, 30)
        )
        # Sat 28 Mar 12:00 GMT + "2d" = 48h -> Mon 30 Mar 12:00Z (13:00 BST).
        assert due(local(LONDON, 2026, 3, 28, 12), Target(Decimal(2), "d"), LONDON_ALWAYS) == (
            utc(2026, 3, 30, 12)
        )

    def test_unknown_unit(self):
        with pytest.raises(ValueError, match="unit"):
            due(local(LONDON, 2026, 3, 2, 10), Target(Decimal(1), "w"), LONDON_GB)


class TestBusinessTimeBetween:
    def test_same_day(self):
        # Mon 10:00 -> 12:30 = 2h30.
        assert business_time_between(
            local(LONDON, 2026, 3, 2, 10), local(LONDON, 2026, 3, 2, 12, 30), LONDON_GB
        ) == timedelta(hours=2, minutes=30)

    def test_over_a_weekend(self):
        # Fri 6 Mar 16:00 -> Mon 9 Mar 10:00: 1h Fri + 1h Mon = 2h.
        assert business_time_between(
            local(LONDON, 2026, 3, 6, 16), local(LONDON, 2026, 3, 9, 10), LONDON_GB
        ) == hours(2)

    def test_end_before_start_is_zero(self):
        assert business_time_between(
            local(LONDON, 2026, 3, 9, 10), local(LONDON, 2026, 3, 6, 16), LONDON_GB
        ) == timedelta(0)

    def test_christmas_week(self):
        # Mon 21 Dec 00:00 -> Mon 28 Dec 00:00: Mon-Thu 8h each, Fri 25 closed = 32h.
        assert business_time_between(
            local(LONDON, 2026, 12, 21), local(LONDON, 2026, 12, 28), LONDON_GB
        ) == hours(32)

    def test_dst_weekend_with_seven_day_support(self):
        # Sat 28 Mar 00:00 GMT -> Mon 30 Mar 00:00 BST is 47h of wall time, but the clock
        # runs 09:00-17:00 local on each day: 8h Sat + 8h Sun = 16h.
        seven_days = nine_to_five(LONDON, days=EVERY_DAY)
        assert business_time_between(
            local(LONDON, 2026, 3, 28), local(LONDON, 2026, 3, 30), seven_days
        ) == hours(16)

    def test_paused_clock_sums_its_running_stretches(self):
        # Runs Mon 2 Mar 10:00-11:00 (1h), paused, resumes Wed 4 Mar 15:00 until Thu 5 Mar
        # 10:00 (2h Wed + 1h Thu) = 4h in all.
        running = [
            (local(LONDON, 2026, 3, 2, 10), local(LONDON, 2026, 3, 2, 11)),
            (local(LONDON, 2026, 3, 4, 15), local(LONDON, 2026, 3, 5, 10)),
        ]
        total = sum((business_time_between(a, b, LONDON_GB) for a, b in running), timedelta(0))
        assert total == hours(4)

    def test_around_the_clock_counts_real_time(self):
        # Sat 28 Mar 12:00 GMT -> Sun 29 Mar 12:00 BST: the clocks jumped, 23h elapsed.
        assert business_time_between(
            local(LONDON, 2026, 3, 28, 12), local(LONDON, 2026, 3, 29, 12), LONDON_ALWAYS
        ) == hours(23)


class TestCompleteBy:
    def test_spread_over_days(self):
        # Mon 2 Mar 09:00, 6h at 4h a day: 4h Mon, 2h Tue -> Tue 3 Mar.
        start = local(LONDON, 2026, 3, 2, 9)
        assert complete_by(start, Decimal(6), Decimal(4), LONDON_GB) == date(2026, 3, 3)

    def test_exactly_one_day(self):
        # Mon 09:00, 4h at 4h a day -> Mon 2 Mar.
        start = local(LONDON, 2026, 3, 2, 9)
        assert complete_by(start, Decimal(4), Decimal(4), LONDON_GB) == date(2026, 3, 2)

    def test_late_request_gets_only_what_is_left_of_the_day(self):
        # Mon 16:00: 1h of 8h left = 1/8 of 4h = 0.5h today.
        # 2h: 1.5h left over -> one more day, Tue 3 Mar. 0.5h: fits today, Mon 2 Mar.
        start = local(LONDON, 2026, 3, 2, 16)
        assert complete_by(start, Decimal(2), Decimal(4), LONDON_GB) == date(2026, 3, 3)
        assert complete_by(start, Decimal("0.5"), Decimal(4), LONDON_GB) == date(2026, 3, 2)

    def test_after_closing_before_christmas(self):
        # Thu 24 Dec 17:30: next moment Tue 29 Dec 09:00 (full day, 4h), Wed 30 4h -> Wed 30.
        start = local(LONDON, 2026, 12, 24, 17, 30)
        assert complete_by(start, Decimal(8), Decimal(4), LONDON_GB) == date(2026, 12, 30)

    def test_nothing_to_do_is_done_on_the_first_business_day(self):
        # Sat 7 Mar, 0h: the next business moment is Mon 9 Mar.
        start = local(LONDON, 2026, 3, 7, 12)
        assert complete_by(start, Decimal(0), Decimal(4), LONDON_GB) == date(2026, 3, 9)

    def test_around_the_clock_days_are_calendar_days(self):
        # Sat 7 Mar 12:00, 24h at 8h a day: half of Sat left = 4h; 20h more = 2.5 -> 3 days:
        # Sun, Mon, Tue 10 Mar.
        start = local(LONDON, 2026, 3, 7, 12)
        assert complete_by(start, Decimal(24), Decimal(8), LONDON_ALWAYS) == date(2026, 3, 10)

    def test_an_estimate_that_fills_what_is_left_of_today_is_done_today(self):
        # Auckland (UTC+13 in December), around the clock, at local noon: half of today is
        # left, 4 h of an 8 h day. 4 h is done today, a little more tomorrow.
        always = BusinessHours(AUCKLAND, WEEKDAYS, time(9), time(17), frozenset(), True)
        start = local(AUCKLAND, 2026, 12, 10, 12)
        assert complete_by(start, Decimal(4), Decimal(8), always) == date(2026, 12, 10)
        assert complete_by(start, Decimal("4.02"), Decimal(8), always) == date(2026, 12, 11)

    def test_refuses_a_negative_estimate(self):
        with pytest.raises(ValueError, match=r"^estimate must not be negative, got -1$"):
            complete_by(local(LONDON, 2026, 3, 2, 9), Decimal(-1), Decimal(4), LONDON_GB)

    def test_refuses_no_capacity(self):
        with pytest.raises(ValueError, match="capacity"):
            complete_by(local(LONDON, 2026, 3, 2, 9), Decimal(1), Decimal(0), LONDON_GB)


class TestBusinessHoursFor:
    def plan(self) -> Plan:
        return load_plans(PLANS_FILE).plan("premium")

    def test_premium_critical_runs_around_the_clock(self):
        # Given the shipped premium plan, critical is 24/7 and major is Mon-Fri 9-17.
        critical = business_hours_for(self.plan(), "critical", LONDON, "GB", [2026])
        major = business_hours_for(self.plan(), "major", LONDON, "GB", [2026])
        assert critical.around_the_clock and not major.around_the_clock
        assert (major.days, major.opens, major.closes) == (WEEKDAYS, time(9), time(17))

    def test_holidays_come_from_the_country(self):
        hours_gb = business_hours_for(self.plan(), "minor", LONDON, "GB", [2026])
        assert {date(2026, 12, 25), date(2026, 12, 28)} <= hours_gb.holidays
        # "GB" alone is England's calendar, as a London client means it: Easter Monday and
        # the August bank holiday, which the UK-wide list lacks; Scotland is "GB-SCT".
        england = business_hours_for(self.plan(), "minor", LONDON, "GB-ENG", [2026])
        assert {date(2026, 4, 6), date(2026, 8, 31)} <= hours_gb.holidays == england.holidays
        scotland = business_hours_for(self.plan(), "minor", LONDON, "GB-SCT", [2026])
        assert date(2026, 4, 6) not in scotland.holidays and date(2026, 8, 3) in scotland.holidays

    def test_the_client_s_zone_is_kept(self):
        assert business_hours_for(self.plan(), "minor", AUCKLAND, None, [2026]).zone == AUCKLAND

    def test_no_country_no_holidays(self):
        assert business_hours_for(self.plan(), "minor", LONDON, None, [2026]).holidays == set()

    def test_unknown_country_is_named(self):
        with pytest.raises(ValueError, match="XX"):
            business_hours_for(self.plan(), "minor", LONDON, "XX", [2026])

    def test_unknown_severity(self):
        expected = "^unknown severity 'urgent'; expected one of critical, major, minor$"
        with pytest.raises(ValueError, match=expected):
            business_hours_for(self.plan(), "urgent", LONDON, None, [2026])

    def test_business_hours_must_make_sense(self):
        with pytest.raises(ValueError, match="after opening"):
            BusinessHours(LONDON, WEEKDAYS, time(17), time(9), frozenset())
        with pytest.raises(ValueError, match="weekday"):
            BusinessHours(LONDON, (), time(9), time(17), frozenset())


@pytest.mark.parametrize(
    ("opens", "closes"), [(time(9), time(9)), (time(17), time(9)), (time(0), time(0))]
)
def test_business_hours_that_never_open_are_refused(opens, closes):
    # A day that opens and closes at the same minute has no business time: every search
    # for the next open moment would never end.
    with pytest.raises(ValueError, match="must be after opening time"):
        BusinessHours(LONDON, WEEKDAYS, opens, closes, frozenset())


def test_business_hours_with_no_open_weekday_or_a_day_that_is_not_one_are_refused():
    with pytest.raises(ValueError, match=r"^business hours need at least one open weekday$"):
        BusinessHours(LONDON, (), time(9), time(17), frozenset())
    with pytest.raises(ValueError, match="0 \\(Monday\\) to 6"):
        BusinessHours(LONDON, (0, 7), time(9), time(17), frozenset())
    # Around the clock needs no weekday
    assert BusinessHours(LONDON, (), time(9), time(17), frozenset(), True).is_business_day(
        date(2026, 12, 25)
    )


class _NoOffset(tzinfo):
    """A time zone that cannot say its offset."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None


def test_a_time_whose_zone_gives_no_offset_is_refused_like_a_naive_one():
    with pytest.raises(ValueError, match="has no time zone"):
        business_time_between(
            datetime(2026, 3, 2, 9, tzinfo=_NoOffset()), utc(2026, 3, 2, 10), LONDON_GB
        )


def test_moments_come_back_in_utc_whatever_zone_they_went_in_with():
    # As their docstrings promise, and as they are stored: not in the machine's own zone
    # (bench/mutation.sh runs these tests on a machine clock far from UTC).
    start = local(AUCKLAND, 2026, 12, 10, 12)
    for hours_of in (nine_to_five(AUCKLAND, None), LONDON_ALWAYS):
        for moment in (
            add_business_time(start, hours(3), hours_of),
            due(start, Target(Decimal("1"), "d"), hours_of),
            next_business_moment(start, hours_of),
        ):
            assert moment.utcoffset() == timedelta(0) and moment.tzname() == "UTC"
