"""The demo's calendar: the report's 2022 moved to any as-of date, the campaign under way.

No database: :class:`accounts.demo.DemoCalendar` is plain date arithmetic.
"""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from django.utils import timezone

from accounts.demo import BASE_END, BASE_START, DemoCalendar, add_months, working_day


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from ``first`` to ``last``."""
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def is_month_end(day: dt.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


EVERY_DAY = days(dt.date(2025, 1, 1), dt.date(2028, 12, 31))


@pytest.mark.parametrize("as_of", EVERY_DAY[::3])
def test_the_campaign_is_under_way_with_a_quarter_behind(as_of: dt.date) -> None:
    """GIVEN any as-of date THEN the demo campaign is under way on it, at least a quarter of
    it lies behind, it runs as long as the report's, and it is named after the year it was
    launched in."""
    cal = DemoCalendar.for_date(as_of)
    assert cal.start <= as_of <= cal.end
    assert (as_of - cal.start) >= (cal.end - cal.start) / 4
    assert cal.start.weekday() < 5 and is_month_end(cal.end)
    assert abs((cal.end - cal.start).days - (BASE_END - BASE_START).days) <= 5
    assert cal.year == cal.start.year in (as_of.year - 1, as_of.year)


def test_whole_years_from_mid_may() -> None:
    """GIVEN a date from mid-May on THEN the campaign is the year's own (the report's dates
    moved by whole years: 15 February to 31 December, the launch on a working day); earlier
    in the year it may have been launched months earlier, in January or the year before."""
    for as_of in EVERY_DAY:
        cal = DemoCalendar.for_date(as_of)
        if (as_of.month, as_of.day) >= (5, 10):
            assert cal.months == (as_of.year - 2022) * 12, as_of
            assert cal.end == dt.date(as_of.year, 12, 31)
            assert cal.start == working_day(dt.date(as_of.year, 2, 15))
        else:
            assert cal.months <= (as_of.year - 2022) * 12, as_of


def test_moving_keeps_order_month_ends_and_the_as_of_date() -> None:
    """Moving days by whole months never swaps two days, keeps a month's last day the last
    day, and the report's day the calendar sees on its as-of date moves back onto it."""
    base = days(dt.date(2021, 1, 1), dt.date(2023, 12, 31))
    for months in (-7, -1, 0, 1, 47, 48, 56):
        moved = [add_months(day, months) for day in base]
        assert moved == sorted(moved)
        for day, shifted in zip(base, moved, strict=True):
            last = calendar.monthrange(shifted.year, shifted.month)[1]
            assert shifted.day == (last if is_month_end(day) else min(day.day, last))
    for as_of in EVERY_DAY[::11]:
        cal = DemoCalendar.for_date(as_of)
        assert cal.shift(cal.base(as_of)) <= as_of < cal.shift(cal.base(as_of) + dt.timedelta(1))


def test_working_days_and_office_hours() -> None:
    """Days people act on fall Monday to Friday (a weekend moves back to its Friday), and
    their moments at office hours that depend only on what they salt."""
    for day in EVERY_DAY[:60]:
        moved = working_day(day)
        assert moved.weekday() < 5 and 0 <= (day - moved).days <= 2
    cal = DemoCalendar.for_date(dt.date(2026, 7, 20))
    moment = cal.at(dt.date(2026, 7, 1), "ledger", "1")
    assert moment == cal.at(dt.date(2026, 7, 1), "ledger", "1")
    assert dt.time(8, 30) <= timezone.localtime(moment).time() <= dt.time(16, 30)
    assert cal.workday(3, 8).weekday() < 5
    assert cal.yesterday == dt.date(2026, 7, 19)


def test_a_campaign_found_keeps_its_calendar() -> None:
    """A campaign seeded on an earlier day gives back the calendar it was seeded with."""
    for as_of in EVERY_DAY[::17]:
        cal = DemoCalendar.for_date(as_of)
        later = as_of + dt.timedelta(days=40)
        assert DemoCalendar.starting(cal.start, later).months == cal.months
