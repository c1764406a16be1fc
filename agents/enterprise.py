"""Enterprise (企业): needs licences, values time highly, hurt by delays and informal payments."""

from __future__ import annotations

from typing import Any

import mesa

from agents.requesters import RequesterPool

SECTORS = ("manufacturing", "trade", "services", "construction", "technology")
SIZES = ("micro", "small", "medium", "large")
SIZE_SHARES = (0.55, 0.3, 0.12, 0.03)
SIZE_TIME_VALUE = (0.5, 1.0, 2.0, 5.0)  # value of time relative to the parameter
SIZE_MARGIN = (0.5, 1.0, 4.0, 20.0)  # gross margin relative to a small firm's


def profit(pool: RequesterPool, rows, tax_rate: float):
    """Daily profit after tax and the felt cost of red tape (delays, trips, informal payments)."""
    return pool.margin[rows] * (1.0 - tax_rate) - pool.red_tape[rows]


class Enterprise(mesa.Agent):
    """A firm; a view onto one row of the enterprises' RequesterPool.

    A firm being founded (its 'start a business' case still open) is inactive until the case
    completes; if the founders give up, it never opens. A firm closes at an ordinary rate, and
    much faster while its profit after tax and red tape stays negative.
    """

    KIND = "enterprise"

    def __init__(self, model: mesa.Model, pool: RequesterPool, row: int, city: Any) -> None:
        super().__init__(model)
        self.pool = pool
        self.row = row
        self.city = city  # the City it lives in; moving re-points pool, row and city

    sector = property(lambda self: SECTORS[self.pool.sector[self.row]])
    size = property(lambda self: SIZES[self.pool.size_class[self.row]])
    active = property(lambda self: bool(self.pool.active[self.row]))
    digital_access = property(lambda self: bool(self.pool.digital[self.row]))
    patience_days = property(lambda self: float(self.pool.patience[self.row]))
    value_of_time = property(lambda self: float(self.pool.value_of_time[self.row]))
    expectation = property(lambda self: float(self.pool.expectation[self.row]))
    satisfaction = property(lambda self: float(self.pool.satisfaction[self.row]))
    cases = property(lambda self: int(self.pool.cases[self.row]))
    margin = property(lambda self: float(self.pool.margin[self.row]))
    red_tape_cost = property(lambda self: float(self.pool.red_tape[self.row]))

    def __repr__(self) -> str:
        return f"Enterprise({self.unique_id}, {self.size} {self.sector}, active={self.active})"
