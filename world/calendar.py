"""Working-day calendar: one step is one day; offices open 5 days of 7 (Monday to Friday).

Counters run in *business time*: working day k is the interval [k*H, (k+1)*H) of opening hours H,
so queues carry over from one working day to the next without gaps.
"""

from __future__ import annotations

WORKING_DAYS_PER_WEEK = 5
DAYS_PER_WEEK = 7
DAYS_PER_YEAR = 365
WORKING_DAYS_PER_YEAR = DAYS_PER_YEAR * WORKING_DAYS_PER_WEEK / DAYS_PER_WEEK
MAX_DAYS = 100 * DAYS_PER_YEAR  # the longest run anything accepts: a century
# A civil servant's paid working day: 8 hours (PRC Labour Law 1994, art. 36; State Council,
# Provisions on Employees' Working Hours, 1995 revision: 8 hours a day, 40 a week). Counters open
# longer than this are staffed in shifts or overtime, paid at the same hourly rate.
WORKING_DAY_HOURS = 8.0


def is_working_day(day: int) -> bool:
    """Day 0 is a Monday."""
    return day % DAYS_PER_WEEK < WORKING_DAYS_PER_WEEK


def working_index(day: int) -> int:
    """Number of working days strictly before `day`; the index of `day` if it is one."""
    return (day // DAYS_PER_WEEK) * WORKING_DAYS_PER_WEEK + min(
        day % DAYS_PER_WEEK, WORKING_DAYS_PER_WEEK
    )


def day_of_working_index(k: int) -> int:
    """The calendar day of the k-th working day."""
    return (k // WORKING_DAYS_PER_WEEK) * DAYS_PER_WEEK + k % WORKING_DAYS_PER_WEEK


def next_working_day(day: int) -> int:
    """`day` itself if offices open then, else the next day they do."""
    return day_of_working_index(working_index(day))


def add_working_days(day: int, n: int) -> int:
    """The day `n` working days after `day` (a weekend `day` counts from the next Monday)."""
    if n <= 0:
        return day
    base = working_index(day) - (0 if is_working_day(day) else 1)
    return day_of_working_index(base + n)


def calendar_days(working_days: float) -> float:
    """The calendar days that `working_days` working days span on average."""
    return working_days * DAYS_PER_WEEK / WORKING_DAYS_PER_WEEK
