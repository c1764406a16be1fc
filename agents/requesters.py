"""Columnar state of a population of requesters (citizens or enterprises).

Each Citizen or Enterprise agent is a view onto one row; whole-population work (satisfaction,
word of mouth, outcome means) runs on the arrays, so an idle requester costs nothing per step.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Self

import mesa
import numpy as np
from mesa.model import ModelSignals

_GROW = 1.5  # arithmetic: growth factor of the arrays
_BLOCK = 4096  # arithmetic: rows per block of the active counts (`nth_active` scans one block)
# `active_at` works from the closed rows while they are at most this share of the pool: a
# closed row costs it about as much as a few dozen rows of a scan
_FEW_CLOSED = 1 / 32  # arithmetic: a cost ratio, not a behaviour


class RequesterPool:
    """Growable arrays of requester attributes; rows are never reused, so indices stay valid."""

    COLUMNS: ClassVar[dict[str, type]] = {
        "digital": np.bool_,  # can use online channels
        "patience": np.float64,  # days before abandoning a case
        "value_of_time": np.float64,  # CNY per hour
        "expectation": np.float64,  # expected log relative burden (before the drift offset)
        "courtesy_expectation": np.float64,  # courtesy expected at the counter, 0-1
        "demand_expectation": np.float64,  # expected chance of being asked for a payment
        "satisfaction": np.float64,  # satisfaction memory, 0-1
        "cases": np.int64,  # cases ended so far
        "active": np.bool_,  # lives or operates in the city now
    }

    def __init__(self, kind: str, capacity: int) -> None:
        self.kind = kind
        self.size = 0
        for name, dtype in self.COLUMNS.items():
            setattr(self, name, np.zeros(max(capacity, 1), dtype=dtype))
        # active rows per block of _BLOCK rows, kept in step with `active` by append() and
        # set_active(): the count of active rows, and `nth_active` without a scan
        self._block_active = np.zeros(max(capacity, 1) // _BLOCK + 1, np.int64)
        self._extra_columns: dict[str, type] = {}
        self._active_rows: np.ndarray | None = None  # active_indices() until a row opens or closes
        self._closed: list[int] = []  # the rows not active, in order (and so `n_active`)
        self._closed_rows: np.ndarray | None = None  # the same as an array, until one changes
        # satisfaction summed over the active rows, kept in step with every opening, closing
        # and `changing_satisfaction` block: `mean_satisfaction` without a scan of the pool
        self._satisfaction_sum = 0.0

    def add_column(self, name: str, dtype: type) -> None:
        """An extra attribute (for example an enterprise's sector)."""
        self._extra_columns[name] = dtype
        setattr(self, name, np.zeros(len(self.active), dtype=dtype))

    def append(self, n: int, **values: np.ndarray) -> np.ndarray:
        """Add n rows with the given column values; returns their indices."""
        need = self.size + n
        if need > len(self.active):
            cap = max(need, int(len(self.active) * _GROW) + 16)  # arithmetic
            for name in [*self.COLUMNS, *self._extra_columns]:
                old = getattr(self, name)
                new = np.zeros(cap, dtype=old.dtype)
                new[: self.size] = old[: self.size]
                setattr(self, name, new)
            blocks = np.zeros(cap // _BLOCK + 1, np.int64)
            blocks[: len(self._block_active)] = self._block_active
            self._block_active = blocks
        idx = np.arange(self.size, need)
        for name, v in values.items():
            getattr(self, name)[idx] = v
        self.size = need
        self._closed.extend(idx[~self.active[idx]].tolist())  # new rows: the list stays in order
        self._closed_rows = None
        opened = idx[self.active[idx]]
        self._block_active += np.bincount(opened // _BLOCK, minlength=len(self._block_active))
        if len(opened):
            self._active_rows = None
            self._satisfaction_sum += float(self.satisfaction[opened].sum())
        return idx

    def set_active(self, row: int, value: bool) -> None:
        """Open or close one row (a firm founded or closed, a requester moving away)."""
        if bool(self.active[row]) != value:
            self.active[row] = value
            self._block_active[row // _BLOCK] += 1 if value else -1
            self._active_rows = self._closed_rows = None
            if value:
                del self._closed[bisect_left(self._closed, row)]
            else:
                insort(self._closed, row)
            sat = float(self.satisfaction[row])
            self._satisfaction_sum += sat if value else -sat

    def nth_active(self, positions: np.ndarray, skip: int = -1) -> np.ndarray:
        """The active rows at `positions` in row order (0: the first active row), not counting
        row `skip`: `active_indices()` without `skip`, indexed, but without scanning the pool
        (a new firm's ties are drawn this way, once per firm: a scan each made building ties
        cost the square of the city's size)."""
        counts = self._block_active
        if skip >= 0 and self.active[skip]:
            counts = counts.copy()
            counts[skip // _BLOCK] -= 1
        ends = np.cumsum(counts)
        rows = []
        for p in np.asarray(positions).tolist():
            b = int(np.searchsorted(ends, p, side="right"))
            lo = b * _BLOCK
            block = np.flatnonzero(self.active[lo : min(lo + _BLOCK, self.size)]) + lo
            if lo <= skip < lo + _BLOCK:
                block = block[block != skip]
            rows.append(int(block[p - (int(ends[b - 1]) if b else 0)]))
        return np.asarray(rows, np.int64)

    def active_at(self, positions: np.ndarray) -> np.ndarray:
        """The active rows at `positions` in row order: `active_indices()[positions]`, without a
        scan of the pool while few rows are closed. A city's residents who moved away leave
        closed rows, and a new scan after each move wrote 8 bytes per resident."""
        positions = np.asarray(positions, np.int64)
        if self._active_rows is not None or len(self._closed) > _FEW_CLOSED * self.size:
            return self.active_indices()[positions]
        if self._closed_rows is None:
            self._closed_rows = np.asarray(self._closed, np.int64)
        closed = self._closed_rows
        # the active rows before closed row i number closed[i] - i; the row at position p
        # is p plus the closed rows with at most p active rows before them
        return positions + np.searchsorted(closed - np.arange(len(closed)), positions, "right")

    def sample_active(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n distinct active rows at random, without a scan of the pool when most are active."""
        if n <= 0:
            return np.empty(0, np.int64)
        active = self.n_active
        # arithmetic: scan when rejection sampling would waste draws (many closed rows, big n)
        if active < 0.5 * self.size or n > 0.1 * active:
            return rng.choice(self.active_indices(), n, replace=False)
        picked: list[int] = []
        seen: set[int] = set()
        while len(picked) < n:
            for row in rng.integers(0, self.size, 2 * n).tolist():
                if self.active[row] and row not in seen:
                    seen.add(row)
                    picked.append(row)
                    if len(picked) == n:
                        break
        return np.asarray(picked, np.int64)

    def row_values(self, row: int) -> dict[str, object]:
        """Every attribute of one row (to carry a requester to another city)."""
        return {name: getattr(self, name)[row] for name in [*self.COLUMNS, *self._extra_columns]}

    def column(self, name: str) -> np.ndarray:
        """The live part of a column."""
        return getattr(self, name)[: self.size]

    @property
    def n_active(self) -> int:
        return self.size - len(self._closed)

    def active_indices(self) -> np.ndarray:
        """The active rows in order (read-only). Kept between calls until a row opens or
        closes: a city's residents seldom move, and a fresh scan wrote the whole pool's row
        numbers each day (8 bytes a citizen), pushing the city's live data out of the caches."""
        if self._active_rows is None:
            rows = np.flatnonzero(self.active[: self.size])
            rows.flags.writeable = False
            self._active_rows = rows
        return self._active_rows

    def mean_satisfaction(self) -> float:
        """Mean satisfaction of the active rows (nan when there are none), from the kept sum.

        A scan of the pool each day (every city judges its residents and firms daily) was the
        one part of a day whose cost grew with the population rather than the cases: 8 MB a
        day at 1,000,000 citizens, and with several cities it pushed each city's live data out
        of the caches. The kept sum differs from a fresh sum in the last bits of a double."""
        n = self.n_active
        if n == 0:
            return float("nan")
        return self._satisfaction_sum / n

    @contextmanager
    def changing_satisfaction(self, rows: np.ndarray) -> Iterator[None]:
        """Satisfaction of `rows` (repeats allowed) is written in the block: the kept sum of the
        active rows follows, at the cost of the rows changed, not of the pool."""
        rows = np.unique(rows)
        rows = rows[self.active[rows]]
        before = self.satisfaction[rows].sum()
        yield
        self._satisfaction_sum += float(self.satisfaction[rows].sum() - before)


class Requester(mesa.Agent):
    """A Mesa agent that is a view onto one row of a RequesterPool (citizen or enterprise).

    Whole-population work runs on the pool's arrays, so the agent itself has no per-step work;
    moving to another city re-points `pool`, `row` and `city`.
    """

    def __init__(self, model: mesa.Model, pool: RequesterPool, row: int, city: Any) -> None:
        super().__init__(model)
        self.pool = pool
        self.row = row
        self.city = city

    active = property(lambda self: bool(self.pool.active[self.row]))
    digital_access = property(lambda self: bool(self.pool.digital[self.row]))
    patience_days = property(lambda self: float(self.pool.patience[self.row]))
    value_of_time = property(lambda self: float(self.pool.value_of_time[self.row]))
    expectation = property(lambda self: float(self.pool.expectation[self.row]))
    satisfaction = property(lambda self: float(self.pool.satisfaction[self.row]))
    cases = property(lambda self: int(self.pool.cases[self.row]))

    @classmethod
    def create_rows(cls, model: mesa.Model, pool: RequesterPool, rows, city: Any) -> list[Self]:
        """One agent per row of `rows`, registered with the model: the same agents, ids and
        order as `[cls(model, pool, r, city) for r in rows]`, several times faster.

        Mesa's `Agent.__init__` registers each agent on its own (a signal, a log call, two set
        insertions): at a million citizens that was most of building a city. Here the agents
        are made and registered in one go, as `Model.register_agent` would (mesa is pinned;
        tests/agents/test_requesters.py checks the two ways agree). When anything listens for
        agents being added (a signal subscriber or a data registry), it falls back to one by
        one, so every listener is told.
        """
        rows = [int(r) for r in rows]
        listened = model._has_subscribers("agents", ModelSignals.AGENT_ADDED) or cls._datasets
        if listened or cls.__init__ is not Requester.__init__:
            return [cls(model, pool, r, city) for r in rows]
        head = []
        if rows and cls not in model._agents_by_type:  # Mesa makes the type's agent set
            head, rows = [cls(model, pool, rows[0], city)], rows[1:]
        first = model.agent_id_counter
        new = object.__new__
        agents = []
        # Plain attribute stores in the order `__init__` makes them, not `__dict__.update`: an
        # object whose dict is never asked for keeps its attributes inline (CPython 3.12), half
        # the memory and a third of the time per agent (docs/performance.md).
        for i, r in enumerate(rows):
            agent = new(cls)
            agent.model = model
            agent.unique_id = first + i
            agent.pos = None
            agent.pool = pool
            agent.row = r
            agent.city = city
            agents.append(agent)
        model.agent_id_counter = first + len(agents)
        registered = dict.fromkeys(agents)  # one table for both sets: a third less to touch
        model._all_agents._agents.update(registered)
        if agents:
            model._agents_by_type[cls]._agents.update(registered)
        return head + agents
