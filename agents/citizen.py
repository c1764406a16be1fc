"""Citizen (市民): asks for services when life events happen, judges them, tells friends."""

from __future__ import annotations

from typing import Any

import mesa

from agents.requesters import RequesterPool


class Citizen(mesa.Agent):
    """A resident; a view onto one row of the citizens' RequesterPool.

    Requests, satisfaction and word of mouth are computed for all citizens at once by the case
    flow, so a Citizen has no per-step work: an idle citizen costs nothing.
    """

    KIND = "citizen"

    def __init__(self, model: mesa.Model, pool: RequesterPool, row: int, city: Any) -> None:
        super().__init__(model)
        self.pool = pool
        self.row = row
        self.city = city  # the City it lives in; moving re-points pool, row and city

    digital_access = property(lambda self: bool(self.pool.digital[self.row]))
    patience_days = property(lambda self: float(self.pool.patience[self.row]))
    value_of_time = property(lambda self: float(self.pool.value_of_time[self.row]))
    expectation = property(lambda self: float(self.pool.expectation[self.row]))
    satisfaction = property(lambda self: float(self.pool.satisfaction[self.row]))
    cases = property(lambda self: int(self.pool.cases[self.row]))

    def __repr__(self) -> str:
        return f"Citizen({self.unique_id}, satisfaction={self.satisfaction:.2f})"
