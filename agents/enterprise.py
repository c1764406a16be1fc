"""Enterprise (企业): needs licences, values time highly, hurt by delays and informal payments."""

from __future__ import annotations

from agents.requesters import Requester, RequesterPool

SECTORS = ("manufacturing", "trade", "services", "construction", "technology")
SIZES = ("micro", "small", "medium", "large")
SIZE_SHARES = (0.55, 0.3, 0.12, 0.03)
SIZE_TIME_VALUE = (0.5, 1.0, 2.0, 5.0)  # value of time relative to the parameter
SIZE_MARGIN = (0.5, 1.0, 4.0, 20.0)  # gross margin relative to a small firm's


def profit(pool: RequesterPool, rows, tax_rate: float):
    """Daily profit after tax and the felt cost of red tape (delays, trips, informal payments)."""
    return pool.margin[rows] * (1.0 - tax_rate) - pool.red_tape[rows]


class Enterprise(Requester):
    """A firm; a view onto one row of the enterprises' RequesterPool.

    A firm being founded (its 'start a business' case still open) is inactive until the case
    completes; if the founders give up, it never opens. A firm closes at an ordinary rate, and
    much faster while its profit after tax and red tape stays negative.
    """

    KIND = "enterprise"

    sector = property(lambda self: SECTORS[self.pool.sector[self.row]])
    size = property(lambda self: SIZES[self.pool.size_class[self.row]])
    margin = property(lambda self: float(self.pool.margin[self.row]))
    red_tape_cost = property(lambda self: float(self.pool.red_tape[self.row]))

    def __repr__(self) -> str:
        return f"Enterprise({self.unique_id}, {self.size} {self.sector}, active={self.active})"
