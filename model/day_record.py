"""A city's day as it is recorded: named tallies and levels, each declared once with its unit.

Tallies add up what happened during a day (cases ended, days they took, trips...); levels are the
state at the day's end (mean skill, queue length...). Each is declared here with a unit and a
meaning, like a Starsim result; the case flow, the judging of cases, the city, the competition
and the moves between cities write to the one `DayRecord` their city owns, by attribute, so a
misspelt name fails at once. At the day's end the city books the record into its ledger and
clears it for the next day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Recorded:
    """One named quantity of a city's day."""

    name: str
    unit: str
    description: str
    # How several cities' values make the region's: added up, or (levels that are means) the
    # mean weighted by whom it is a mean of: residents, enterprises or staff at the counters.
    # Tallies always add up.
    pooled: Literal["sum", "resident_mean", "enterprise_mean", "staff_mean"] = "sum"


TALLIES: tuple[Recorded, ...] = (
    Recorded("ended_citizens", "cases", "Citizens' cases that ended (completed or given up)"),
    Recorded("ended_enterprises", "cases", "Enterprises' cases that ended"),
    Recorded("completed", "cases", "Cases completed"),
    Recorded("completed_citizens", "cases", "Citizens' cases completed"),
    Recorded("completed_enterprises", "cases", "Enterprises' cases completed"),
    Recorded("abandoned", "cases", "Cases given up when the requester's patience ran out"),
    Recorded("satisfaction_citizens", "satisfaction", "Sum of citizens' case satisfaction"),
    Recorded("satisfaction_enterprises", "satisfaction", "Sum of enterprises' case satisfaction"),
    Recorded("days", "days", "Calendar days of the completed cases, summed"),
    Recorded("days_citizens", "days", "Calendar days of citizens' completed cases"),
    Recorded("days_enterprises", "days", "Calendar days of enterprises' completed cases"),
    Recorded("trips", "trips", "Trips to offices of the completed cases"),
    Recorded("one_trip", "cases", "Completed cases that took at most one trip (最多跑一次)"),
    Recorded("procedures", "procedures", "Approvals decided in the completed cases"),
    Recorded("hours", "hours", "Hours queued at counters in the completed cases"),
    Recorded("hours_citizens", "hours", "Hours queued in citizens' completed cases"),
    Recorded("hours_enterprises", "hours", "Hours queued in enterprises' completed cases"),
    Recorded("paid", "cases", "Ended cases with an informal payment"),
    Recorded("demanded", "cases", "Ended cases in which a payment was demanded"),
    Recorded("fees", "CNY", "Official fees paid in the completed cases"),
    Recorded(
        "passed_over",
        "cases",
        "Ended cases that queued in person while the priority lane was served first",
    ),
    Recorded("returns", "returns", "Returns for missing documents in the completed cases"),
    Recorded("bounces", "bounces", "Times sent on to another office in the completed cases"),
    Recorded("complaints", "complaints", "Complaints filed (and reports of demands)"),
    Recorded("demands_found", "demands", "Informal demands found out and sanctioned"),
    Recorded("on_time", "cases", "Completed cases within the service's committed time limit"),
    Recorded("visits", "visits", "Visits and submissions queued at counters"),
    Recorded("rework_visits", "visits", "Visits served that were rework (returns, bounces)"),
    Recorded("cost", "CNY", "Cost of service: staff on duty and reforms"),
    Recorded("db_completed", "cases", "Doing Business start-up registrations completed"),
    Recorded("db_procedures", "procedures", "Approvals of the completed start-up registrations"),
    Recorded("firm_births", "firms", "Start-ups registered (the firm opens)"),
    Recorded("firm_exits", "firms", "Enterprises closed"),
    Recorded("red_tape_cost", "CNY", "Firms' cost of their ended cases (time, delay, payments)"),
    Recorded("firm_moves_in", "firms", "Firms that moved in from another city"),
    Recorded("firm_moves_out", "firms", "Firms that moved to another city"),
    Recorded("resident_moves_in", "persons", "Residents who moved in from another city"),
    Recorded("resident_moves_out", "persons", "Residents who moved to another city"),
)

LEVELS: tuple[Recorded, ...] = (
    Recorded("skill", "0-1", "Mean skill of the civil servants at the counters", "staff_mean"),
    Recorded(
        "courtesy", "0-1", "Mean courtesy of the civil servants at the counters", "staff_mean"
    ),
    Recorded(
        "on_take",
        "share",
        "Share of the civil servants at the counters on the take (吃拿卡要)",
        "staff_mean",
    ),
    Recorded("staff", "FTE", "Civil servants at the counters (full-time equivalents)"),
    Recorded("queue", "visits", "Visits waiting at all counters"),
    Recorded("enterprises", "firms", "Enterprises operating"),
    Recorded("open_cases", "cases", "Cases open"),
    Recorded(
        "public",
        "0-1",
        "Citizens' perceived quality (memory, word of mouth, media)",
        "resident_mean",
    ),
    Recorded("grassroots", "0-1", "Enterprises' satisfaction memory", "enterprise_mean"),
    Recorded("budget", "CNY", "Cumulative tax revenue minus cost of service"),
    Recorded("residents", "persons", "Citizens living in the city"),
    Recorded("tax_revenue", "CNY/day", "Tax collected from the city's firms that day"),
    Recorded("reform_fund", "CNY", "Money left in the reform fund"),
    Recorded(
        "business_image",
        "0-1",
        "The city's image as a place to do business (lagged)",
        "enterprise_mean",
    ),
    Recorded(
        "public_image", "0-1", "The city's image for public service (lagged)", "resident_mean"
    ),
    Recorded(
        "competitiveness", "index", "Competitiveness index (100: an average city)", "resident_mean"
    ),
)

TALLY_NAMES = tuple(t.name for t in TALLIES)
LEVEL_NAMES = tuple(v.name for v in LEVELS)


class DayRecord:
    """One city's tallies for the day in progress, and the start-up durations of the day.

    Writers add by attribute (`record.visits += 1`); `__slots__` turns a misspelt name into an
    AttributeError instead of a silent new key.
    """

    __slots__ = (*TALLY_NAMES, "db_days")

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Zero every tally: the start of a new day."""
        for name in TALLY_NAMES:
            setattr(self, name, 0.0)
        self.db_days: list[int] = []

    def tallies(self) -> dict[str, float]:
        """Every tally by name (to inspect a day, or compare two)."""
        return {name: getattr(self, name) for name in TALLY_NAMES}
