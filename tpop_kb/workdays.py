"""Working days and working hours, the French way.

"Activating tracking can take up to 48 hours (in working days) after the order
has been shipped" (help article, passage ``activation-delay``). This module is
the only place that knows what a working day is:

- working days are Monday to Friday that are not French public holidays
  (``holidays.France``, the national calendar: TPOP ships from France);
- each working day has 24 working hours; non-working days have none;
- a parcel shipped on a non-working day starts counting at 00:00 of the next
  working day; a ship date without a time is read as the end of that day
  (``tpop_kb.orders.END_OF_DAY``: the cautious reading);
- all times are naive Europe/Paris wall-clock times.

The activation deadline is the moment the last working hour ends. Two forms, one
meaning: :func:`activation_deadline` walks day by day (easy to read and explain);
:func:`activation_deadlines` is vectorised with ``numpy.busday_offset`` for whole
files. A property test holds them equal.

Examples (48 working hours): shipped Fri 2026-11-20 15:00 -> Tue 2026-11-24 15:00;
shipped Sat 2026-11-21 -> Wed 2026-11-25 00:00; shipped Tue 2026-11-10 12:00
(Wed 11 November is Armistice Day) -> Fri 2026-11-13 12:00.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

__all__ = [
    "PARIS",
    "activation_deadline",
    "activation_deadlines",
    "add_working_days",
    "french_holidays",
    "is_working_day",
    "next_working_day",
    "now_paris",
    "working_days_between",
]

PARIS = ZoneInfo("Europe/Paris")
_DAY = dt.timedelta(days=1)
_HOURS_PER_DAY = 24


def now_paris() -> dt.datetime:
    """Now, as a naive Europe/Paris wall-clock time to the minute."""
    return dt.datetime.now(PARIS).replace(tzinfo=None, second=0, microsecond=0)


@lru_cache(maxsize=256)
def _holidays_of_year(year: int) -> frozenset[dt.date]:
    import holidays  # imported on first use: the pages stay light

    return frozenset(holidays.France(years=year).keys())


def french_holidays(first_year: int, last_year: int) -> list[dt.date]:
    """French public holidays from ``first_year`` to ``last_year`` included, sorted."""
    days: set[dt.date] = set()
    for year in range(first_year, last_year + 1):
        days |= _holidays_of_year(year)
    return sorted(days)


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday, and not a French public holiday."""
    return day.weekday() < 5 and day not in _holidays_of_year(day.year)


def next_working_day(day: dt.date) -> dt.date:
    """The first working day strictly after ``day``."""
    day += _DAY
    while not is_working_day(day):
        day += _DAY
    return day


def add_working_days(day: dt.date, count: int) -> dt.date:
    """``day`` moved forward by ``count`` working days (``day`` itself rolls forward first)."""
    if not is_working_day(day):
        day = next_working_day(day)
    for _ in range(count):
        day = next_working_day(day)
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in ``[start, end)`` (negative when ``end`` is before ``start``)."""
    if end < start:
        return -working_days_between(end, start)
    count, day = 0, start
    while day < end:
        count += is_working_day(day)
        day += _DAY
    return count


def activation_deadline(shipped_at: dt.datetime, working_hours: int) -> dt.datetime:
    """When ``working_hours`` working hours after ``shipped_at`` have passed (day by day)."""
    moment = shipped_at
    if not is_working_day(moment.date()):
        moment = dt.datetime.combine(next_working_day(moment.date()), dt.time())
    remaining = dt.timedelta(hours=working_hours)
    while True:
        end_of_day = dt.datetime.combine(moment.date() + _DAY, dt.time())
        available = end_of_day - moment
        if remaining <= available:
            return moment + remaining
        remaining -= available
        moment = dt.datetime.combine(next_working_day(moment.date()), dt.time())


def _busday_calendar(days: np.ndarray) -> np.busdaycalendar:
    years = days.astype("datetime64[Y]").astype(int) + 1970
    first, last = int(years.min()), int(years.max()) + 1  # + 1: deadlines run into next year
    holidays = np.array(french_holidays(first, last), dtype="datetime64[D]")
    return np.busdaycalendar(weekmask="1111100", holidays=holidays)


def activation_deadlines(shipped_at: np.ndarray, working_hours: int) -> np.ndarray:
    """Vectorised :func:`activation_deadline` over ``datetime64`` values (NaT stays NaT).

    With ``n`` whole working days and ``r`` extra hours in ``working_hours``, and
    ``t`` the time of day the counting starts: the deadline is ``n + k`` working
    days later at ``t + r - k`` days, where ``k`` is -1, 0 or 1 so that the time
    of day lands in ``(0, 24h]`` (24h being the end of that working day).
    """
    shipped = np.asarray(shipped_at, dtype="datetime64[ns]")
    out = np.full(shipped.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    valid = ~np.isnat(shipped)
    if not valid.any():
        return out
    moments = shipped[valid]
    days = moments.astype("datetime64[D]")
    calendar = _busday_calendar(days)
    working = np.is_busday(days, busdaycal=calendar)
    start_day = np.where(working, days, np.busday_offset(days, 0, "forward", busdaycal=calendar))
    time_of_day = np.where(working, moments - days, np.timedelta64(0, "ns"))
    whole_days, extra_hours = divmod(working_hours, _HOURS_PER_DAY)
    total = time_of_day + np.timedelta64(extra_hours, "h")
    day_ns = np.timedelta64(1, "D").astype("timedelta64[ns]")
    k = np.where(total == np.timedelta64(0), -1, np.where(total > day_ns, 1, 0))
    end_day = np.busday_offset(start_day, whole_days + k, "forward", busdaycal=calendar)
    out[valid] = end_day.astype("datetime64[ns]") + (total - k * day_ns)
    return out
