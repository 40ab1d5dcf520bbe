"""Deadline arithmetic. Pure functions; the holiday calendar is passed in as data.

Months are calendar months clamped to the month's end (31 Jan + 1 month = 28/29 Feb). A period
whose last day is a rest day — a weekend or public holiday, unless it is a 调休 working day —
ends on the next working day, as Chinese law counts periods (民法典 第二百零三条).
"""

from calendar import monthrange
from datetime import date, timedelta

# {day: is_workday} for the days that differ from Monday–Friday (rectification.Holiday rows).
Calendar = dict[date, bool]


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 Jan + 1 month → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def is_workday(day: date, calendar: Calendar) -> bool:
    if day in calendar:
        return calendar[day]
    return day.weekday() < 5


def next_workday(day: date, calendar: Calendar) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    for _ in range(366):
        if is_workday(day, calendar):
            return day
        day += timedelta(days=1)
    raise ValueError("no working day within a year: the holiday calendar is wrong")


def period_end(start: date, months: int, calendar: Calendar) -> date:
    """The last day of a period of `months` from `start`, moved off rest days."""
    return next_workday(add_months(start, months), calendar)


def load_calendar(start: date, end: date) -> Calendar:
    """The office's calendar between two days (plus a month of slack for long holidays)."""
    from .models import Holiday

    rows = Holiday.objects.filter(day__gte=start, day__lte=end + timedelta(days=31))
    return dict(rows.values_list("day", "is_workday"))


def due_after(start: date, months: int) -> date:
    """`period_end` with the calendar read from the database."""
    end = add_months(start, months)
    return next_workday(end, load_calendar(end, end))
