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

The activation deadline is the moment the last working hour ends, computed in one
place: :func:`activation_deadlines`, over whole columns of ``datetime64`` moments
(``numpy.busday_offset`` once per calendar day met); :func:`activation_deadline` is
the same for one moment. A property test holds it to a day-by-day walk of the rule.

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
    "calendar_version",
    "french_holidays",
    "is_working_day",
    "next_working_day",
    "now_paris",
    "working_days_between",
]

PARIS = ZoneInfo("Europe/Paris")
_ONE_DAY = dt.timedelta(days=1)
_HOURS_PER_DAY = 24


def now_paris() -> dt.datetime:
    """Now, as a naive Europe/Paris wall-clock time to the minute."""
    return dt.datetime.now(PARIS).replace(tzinfo=None, second=0, microsecond=0)


def calendar_version() -> str:
    """The public-holiday calendar the deadlines are computed with, e.g. ``holidays
    0.109``: a new release of ``holidays`` can move a holiday, hence a deadline, so
    every export and ``tpop-kb info`` record it (pinned in pyproject.toml)."""
    from importlib.metadata import version

    return f"holidays {version('holidays')}"


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
    day += _ONE_DAY
    while not is_working_day(day):
        day += _ONE_DAY
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
        day += _ONE_DAY
    return count


def activation_deadline(shipped_at: dt.datetime, working_hours: int) -> dt.datetime:
    """When ``working_hours`` working hours after ``shipped_at`` have passed: the one
    computation of :func:`activation_deadlines`, for a single moment."""
    moment = np.array([np.datetime64(shipped_at, "ns")])
    deadline = activation_deadlines(moment, working_hours)[0]
    return dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(deadline.astype("int64"))
                                                  // 1000)


@lru_cache(maxsize=64)
def _calendar(first_year: int, last_year: int) -> np.busdaycalendar:
    """Monday to Friday without the French public holidays of those years."""
    holidays = np.array(french_holidays(first_year, last_year), dtype="datetime64[D]")
    return np.busdaycalendar(weekmask="1111100", holidays=holidays)


_DAY = 86_400 * 10**9  # ns
_HOUR = 3_600 * 10**9


def activation_deadlines(shipped_at: np.ndarray, working_hours: int) -> np.ndarray:
    """When ``working_hours`` working hours after each ``datetime64`` moment have passed
    (NaT stays NaT): the only computation of the activation deadline.

    A moment on a non-working day counts from 00:00 of the next working day. With ``n``
    whole working days and ``r`` extra hours in ``working_hours``, and ``t`` the time of
    day the counting starts: the deadline is ``n + k`` working days later at
    ``t + r - k`` days, where ``k`` is -1, 0 or 1 so that the time of day lands in
    ``(0, 24h]`` (24h being the end of that working day).

    Whole columns at once: the working-day arithmetic (``numpy.busday_offset``) runs once
    per calendar day of the span the moments cover, not per moment; each row then reads
    its day's answers and adds its time of day (numpy arithmetic, no Python loop).
    """
    shipped = np.asarray(shipped_at, dtype="datetime64[ns]")
    out = np.full(shipped.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    valid = ~np.isnat(shipped)
    if not valid.any():
        return out
    moments = (shipped[valid] if not valid.all() else shipped).astype(np.int64)  # ns
    day_numbers = moments // _DAY  # days since 1970-01-01 (floor: also before 1970)
    first = int(day_numbers.min())
    index = day_numbers - first
    span = np.zeros(int(index.max()) + 1, dtype=bool)
    span[index] = True
    present = np.flatnonzero(span)  # the days met, as offsets from the first
    calendar_days = (present + first).astype("datetime64[D]")
    years = calendar_days.astype("datetime64[Y]").astype(np.int64) + 1970
    # + 1: deadlines run into the next year
    calendar = _calendar(int(years.min()), int(years.max()) + 1)
    start_day = np.busday_offset(calendar_days, 0, "forward", busdaycal=calendar)
    whole_days, extra_hours = divmod(working_hours, _HOURS_PER_DAY)
    # by day offset: whether it is a working day, and the day the deadline falls on for
    # k = -1, 0, 1 (as ns since the epoch)
    working = np.zeros(len(span), dtype=bool)
    working[present] = np.is_busday(calendar_days, busdaycal=calendar)
    end_days = np.zeros((3, len(span)), dtype=np.int64)
    for k in (-1, 0, 1):
        end_days[k + 1, present] = np.busday_offset(
            start_day, whole_days + k, "forward", busdaycal=calendar).astype(np.int64) * _DAY
    time_of_day = np.where(working[index], moments - day_numbers * _DAY, 0)
    total = time_of_day + extra_hours * _HOUR
    k = np.where(total == 0, -1, np.where(total > _DAY, 1, 0))
    deadline = (end_days[k + 1, index] + (total - k * _DAY)).view("datetime64[ns]")
    if valid.all():
        return deadline
    out[valid] = deadline
    return out
