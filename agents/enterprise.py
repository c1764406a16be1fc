"""Enterprise (企业): needs licences, values time highly, hurt by delays and informal payments."""

from __future__ import annotations

from agents.requesters import Requester, RequesterPool
from world.parameters import FIRM_SECTORS, FIRM_SIZES


def profit(pool: RequesterPool, rows, tax_rate: float):
    """Daily profit after tax and the felt cost of red tape (delays, trips, informal payments)."""
    return pool.margin[rows] * (1.0 - tax_rate) - pool.red_tape[rows]


class Enterprise(Requester):
    """A firm; a view onto one row of the enterprises' RequesterPool.

    A firm being founded (its 'start a business' case still open) is inactive until the case
    completes; if the founders give up, it never opens. A firm closes at an ordinary rate, and
    much faster while its profit after tax and red tape stays negative.
    """

    sector = property(lambda self: FIRM_SECTORS[self.pool.sector[self.row]])
    size = property(lambda self: FIRM_SIZES[self.pool.size_class[self.row]])
    margin = property(lambda self: float(self.pool.margin[self.row]))
    red_tape_cost = property(lambda self: float(self.pool.red_tape[self.row]))

    def __repr__(self) -> str:
        return f"Enterprise({self.unique_id}, {self.size} {self.sector}, active={self.active})"
