"""The ledger: a city's recorded days, and trailing windows over them.

Each day's `DayRecord` is booked as one row of per-tally and per-level arrays; outcomes are
computed from windows of those rows (`model.outcomes`).
"""

from __future__ import annotations

import math

import numpy as np

from model.day_record import LEVEL_NAMES, LEVELS, TALLY_NAMES, DayRecord


class Ledger:
    """Per-day tallies and levels, grown as days pass; plus start-up durations for the median."""

    def __init__(self, capacity: int = 400) -> None:  # arithmetic: initial rows, grown by doubling
        self.capacity = capacity
        self.tally = {k: np.zeros(capacity) for k in TALLY_NAMES}
        self.level = {k: np.full(capacity, np.nan) for k in LEVEL_NAMES}
        self.db_days: list[list[int]] = [[] for _ in range(capacity)]

    def ensure(self, day: int) -> None:
        if day < self.capacity:
            return
        new = max(day + 1, 2 * self.capacity)
        for table, fill in ((self.tally, 0.0), (self.level, np.nan)):
            for k, a in table.items():
                b = np.full(new, fill)
                b[: self.capacity] = a
                table[k] = b
        self.db_days.extend([] for _ in range(new - self.capacity))
        self.capacity = new

    def add_day(self, day: int, record: DayRecord, levels: dict[str, float]) -> None:
        """Book a day: its record's tallies and start-up durations, and the day-end levels."""
        self.ensure(day)
        for k in TALLY_NAMES:
            self.tally[k][day] += getattr(record, k)
        self.db_days[day].extend(record.db_days)
        for k, v in levels.items():
            self.level[k][day] = v  # a KeyError here is a level nobody declared

    def sum(self, name: str, lo: int, hi: int) -> float:
        """A tally summed over days [lo, hi)."""
        return float(self.tally[name][max(lo, 0) : hi].sum())

    def db_days_begun(self, lo: int, hi: int) -> list[int]:
        """Durations of the start-ups *begun* on days [lo, hi) and completed by now: the time a
        firm starting then took, as Doing Business measures it (a firm starting on its date),
        rather than the time of those completing then, which lags a reform by a start-up's length.
        """
        found = []
        for done in range(max(lo, 0), self.capacity):
            for d in self.db_days[done]:
                if lo <= done - d + 1 < hi:  # a case's days count its first and last day
                    found.append(d)
        return found


class Window:
    """Days [end - length + 1, end] of a ledger."""

    def __init__(self, ledger: Ledger, end_day: int, length: int) -> None:
        self.ledger = ledger
        self.lo = max(0, end_day - length + 1)
        self.hi = end_day + 1

    @property
    def days(self) -> int:
        return self.hi - self.lo

    def sum(self, name: str) -> float:
        return float(self.ledger.tally[name][self.lo : self.hi].sum())

    def ratio(self, num: str, den: str) -> float:
        d = self.sum(den)
        return self.sum(num) / d if d > 0 else math.nan

    def level(self, name: str) -> float:
        a = self.ledger.level[name][self.lo : self.hi]
        a = a[~np.isnan(a)]
        return float(a.mean()) if len(a) else math.nan

    def median_db_days(self) -> float:
        days = [d for day in self.ledger.db_days[self.lo : self.hi] for d in day]
        return float(np.median(days)) if days else math.nan


def combine(ledgers: list[Ledger]) -> Ledger:
    """One ledger for several cities: tallies add up; levels add up, or (means) average weighted
    by whom they are a mean of: residents, enterprises or staff at the counters."""
    out = Ledger(capacity=max(led.capacity for led in ledgers))
    for led in ledgers:
        led.ensure(out.capacity - 1)
    for k in TALLY_NAMES:
        out.tally[k] = np.sum([led.tally[k][: out.capacity] for led in ledgers], axis=0)
    weight_of = {
        "resident_mean": "residents",
        "enterprise_mean": "enterprises",
        "staff_mean": "staff",
    }
    for level in LEVELS:
        k = level.name
        values = np.array([led.level[k][: out.capacity] for led in ledgers])
        if level.pooled == "sum":
            out.level[k] = values.sum(axis=0)
            continue
        weights = np.array([led.level[weight_of[level.pooled]][: out.capacity] for led in ledgers])
        with np.errstate(invalid="ignore", divide="ignore"):
            out.level[k] = (values * weights).sum(axis=0) / np.nansum(weights, axis=0)
    out.db_days = [[d for led in ledgers for d in led.db_days[day]] for day in range(out.capacity)]
    return out
