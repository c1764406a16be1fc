"""The working-day calendar: day 0 is a Monday, offices open Monday to Friday."""

from __future__ import annotations

import pytest

from world.calendar import (
    WORKING_DAYS_PER_WEEK,
    add_working_days,
    day_of_working_index,
    is_working_day,
    next_working_day,
    working_index,
)

MON, TUE, FRI, SAT, SUN = 0, 1, 4, 5, 6
DAYS = range(0, 7 * 20)


def brute_add(day: int, n: int) -> int:
    """Walk forward a day at a time until n working days have passed."""
    while n > 0:
        day += 1
        n -= is_working_day(day)
    return day


def test_monday_to_friday_are_working_days():
    assert WORKING_DAYS_PER_WEEK == 5
    for week in range(4):
        base = 7 * week
        assert [is_working_day(base + d) for d in range(7)] == [True] * 5 + [False] * 2


def test_working_index_counts_working_days_before():
    for day in DAYS:
        assert working_index(day) == sum(is_working_day(d) for d in range(day))


def test_working_index_and_day_of_working_index_are_inverse():
    working = [d for d in DAYS if is_working_day(d)]
    assert [working_index(d) for d in working] == list(range(len(working)))
    for d in working:
        assert day_of_working_index(working_index(d)) == d
    for k in range(len(working)):
        day = day_of_working_index(k)
        assert is_working_day(day)
        assert working_index(day) == k


def test_weekend_days_share_the_index_of_the_next_monday():
    for week in range(5):
        monday = 7 * (week + 1)
        assert working_index(7 * week + SAT) == working_index(monday)
        assert working_index(7 * week + SUN) == working_index(monday)


def test_next_working_day():
    assert next_working_day(MON) == MON
    assert next_working_day(FRI) == FRI
    assert next_working_day(SAT) == 7
    assert next_working_day(SUN) == 7
    for day in DAYS:
        expected = next(d for d in range(day, day + 7) if is_working_day(d))
        assert next_working_day(day) == expected


@pytest.mark.parametrize("day", [MON, TUE, FRI, SAT, SUN, 30])
def test_add_zero_working_days_returns_the_day(day):
    assert add_working_days(day, 0) == day


def test_add_working_days_over_the_weekend():
    assert add_working_days(MON, 1) == TUE
    assert add_working_days(MON, 4) == FRI
    assert add_working_days(MON, 5) == 7
    assert add_working_days(FRI, 1) == 7  # Friday + 1 is Monday
    assert add_working_days(SAT, 1) == 7  # Saturday + 1 is Monday
    assert add_working_days(SUN, 1) == 7
    assert add_working_days(SAT, 2) == 8
    assert add_working_days(FRI, 5) == 7 + FRI


def test_add_working_days_matches_a_brute_force_walk():
    for day in DAYS:
        for n in range(0, 40):
            result = add_working_days(day, n)
            assert result == brute_add(day, n), (day, n)
            if n > 0:
                assert is_working_day(result)
                assert working_index(result) - working_index(next_working_day(day + 1)) == n - 1
