"""Working days and the activation deadline (passage activation-delay)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tpop_kb.workdays import (
    activation_deadline,
    activation_deadlines,
    add_working_days,
    french_holidays,
    is_working_day,
    next_working_day,
    working_days_between,
)

D = dt.datetime


@pytest.mark.parametrize(
    ("shipped", "deadline"),
    [
        (D(2026, 11, 20, 15), D(2026, 11, 24, 15)),  # Fri 15:00 -> Tue 15:00
        (D(2026, 11, 21), D(2026, 11, 25)),  # Sat -> counting starts Mon 00:00
        (D(2026, 11, 10, 12), D(2026, 11, 13, 12)),  # Wed 11 Nov is Armistice Day
        (D(2026, 11, 26, 10), D(2026, 11, 30, 10)),  # Thu -> Mon
        (D(2026, 11, 26), D(2026, 11, 28)),  # Thu 00:00 -> end of Friday
        (D(2026, 12, 24, 9), D(2026, 12, 29, 9)),  # Christmas Day is a Friday
        (D(2026, 12, 31, 18), D(2027, 1, 5, 18)),  # New Year's Day, across years
        (D(2026, 5, 13, 8), D(2026, 5, 18, 8)),  # Ascension Thursday 14 May
        (D(2026, 11, 22, 23, 59), D(2026, 11, 25)),  # Sunday night
    ],
)
def test_activation_deadline_examples(shipped, deadline):
    assert activation_deadline(shipped, 48) == deadline
    assert activation_deadlines(np.array([shipped], dtype="datetime64[ns]"), 48)[0] == (
        np.datetime64(deadline, "ns")
    )


def test_french_holidays_are_the_national_ones():
    days = french_holidays(2026, 2026)
    assert dt.date(2026, 11, 11) in days
    assert dt.date(2026, 7, 14) in days
    assert dt.date(2026, 5, 25) in days  # Whit Monday
    assert len(days) == 11


def test_working_days():
    assert is_working_day(dt.date(2026, 11, 26))
    assert not is_working_day(dt.date(2026, 11, 28))  # Saturday
    assert not is_working_day(dt.date(2026, 11, 11))  # holiday
    assert next_working_day(dt.date(2026, 11, 10)) == dt.date(2026, 11, 12)
    assert add_working_days(dt.date(2026, 11, 21), 0) == dt.date(2026, 11, 23)
    assert working_days_between(dt.date(2026, 11, 20), dt.date(2026, 11, 24)) == 2
    assert working_days_between(dt.date(2026, 11, 24), dt.date(2026, 11, 20)) == -2


def test_nat_stays_nat():
    out = activation_deadlines(np.array(["NaT", "2026-11-20T15:00"], dtype="datetime64[ns]"), 48)
    assert np.isnat(out[0]) and out[1] == np.datetime64("2026-11-24T15:00", "ns")


moments = st.datetimes(min_value=D(2025, 12, 20), max_value=D(2027, 1, 10)).map(
    lambda m: m.replace(second=0, microsecond=0)
)


def _deadline_day_by_day(shipped_at, working_hours):
    """The rule as the article words it, walked day by day (the reference the engine's one
    vectorised computation is held to)."""
    moment = shipped_at
    if not is_working_day(moment.date()):
        moment = dt.datetime.combine(next_working_day(moment.date()), dt.time())
    remaining = dt.timedelta(hours=working_hours)
    while True:
        end_of_day = dt.datetime.combine(moment.date() + dt.timedelta(days=1), dt.time())
        if remaining <= end_of_day - moment:
            return moment + remaining
        remaining -= end_of_day - moment
        moment = dt.datetime.combine(next_working_day(moment.date()), dt.time())


@settings(max_examples=300, deadline=None)
@given(st.lists(moments, min_size=1, max_size=20), st.integers(min_value=1, max_value=130))
def test_vectorised_deadline_equals_day_by_day(shipped, hours):
    vector = activation_deadlines(np.array(shipped, dtype="datetime64[ns]"), hours)
    for moment, got in zip(shipped, vector, strict=True):
        assert np.datetime64(_deadline_day_by_day(moment, hours), "ns") == got
        assert activation_deadline(moment, hours) == _deadline_day_by_day(moment, hours)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.datetimes(min_value=D(2025, 12, 20), max_value=D(2027, 1, 10)).map(
    lambda m: m.replace(microsecond=0)), min_size=1, max_size=20), st.integers(1, 130))
def test_deadline_to_the_second_and_across_a_wide_span(shipped, hours):
    """Moments to the second, days far apart and NaT mixed in (the table of days is
    built over the span the moments cover)."""
    shipped = [*shipped, D(2029, 7, 14, 12, 0, 1)]
    values = np.array([*shipped, None], dtype="datetime64[ns]")
    vector = activation_deadlines(values, hours)
    assert np.isnat(vector[-1])
    for moment, got in zip(shipped, vector[:-1], strict=True):
        assert np.datetime64(_deadline_day_by_day(moment, hours), "ns") == got


@settings(max_examples=200, deadline=None)
@given(moments, st.integers(min_value=1, max_value=130))
def test_deadline_spends_exactly_the_working_hours(shipped, hours):
    """Count working minutes between shipping and the deadline, hour by hour."""
    deadline = activation_deadline(shipped, hours)
    assert deadline > shipped
    worked = dt.timedelta()
    moment = shipped
    while moment < deadline:
        step = min(dt.datetime.combine(moment.date() + dt.timedelta(days=1), dt.time()),
                   deadline) - moment
        if is_working_day(moment.date()):
            worked += step
        moment += step
    assert worked == dt.timedelta(hours=hours)
