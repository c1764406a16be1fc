"""Citizen (市民): asks for services when life events happen, judges them, tells friends."""

from __future__ import annotations

from agents.requesters import Requester


class Citizen(Requester):
    """A resident; a view onto one row of the citizens' RequesterPool.

    Requests, satisfaction and word of mouth are computed for all citizens at once by the case
    flow, so a Citizen has no per-step work: an idle citizen costs nothing.
    """

    def __repr__(self) -> str:
        return f"Citizen({self.unique_id}, satisfaction={self.satisfaction:.2f})"
