"""Outcomes: named metrics with a unit, a direction and a summary rule, computed from a ledger.

A city records each day's tallies (cases ended, days, trips...) and levels (mean skill, queue
length...) as declared in `model.day_record`. Each outcome is a ratio of tallies or a level over a
trailing window of its ledger: `series_window_days` for the time series, `summary_window_days` for
a run's summary.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from model.ledger import Ledger, Window
from world.calendar import DAYS_PER_YEAR

# Published reference for "starting a business" in China (Shanghai), World Bank Doing Business:
# report -> (procedures, days). Sources and caveats: docs/calibration.md.
DOING_BUSINESS_REFERENCES = {"DB2014": (13, 33), "DB2019": (4, 9)}  # published


@dataclass(frozen=True)
class Outcome:
    """A named metric of a run."""

    name: str
    unit: str
    direction: Literal["higher", "lower", "neutral"]
    summary: Literal["window", "last"]
    description: str
    compute: Callable[[Window], float]
    instant: bool = False  # series shows the day's level, not a trailing window


def _r(num: str, den: str, scale: float = 1.0) -> Callable[[Window], float]:
    return lambda w: scale * w.ratio(num, den)


def _ended(w: Window) -> float:
    return w.sum("ended_citizens") + w.sum("ended_enterprises")


def _ratio_ended(num: str, scale: float = 1.0) -> Callable[[Window], float]:
    def f(w: Window) -> float:
        n = _ended(w)
        return scale * w.sum(num) / n if n > 0 else math.nan

    return f


def _superiors_fn(w: Window) -> float:
    n = _ended(w)
    demanded = w.sum("demanded") / n if n > 0 else math.nan
    return w.ratio("on_time", "completed") * (1.0 - demanded)


def _level(name: str) -> Callable[[Window], float]:
    return lambda w: w.level(name)


def _peers(w: Window) -> float:
    return 1.0 - w.ratio("rework_visits", "visits")


def _cases_per_day(w: Window) -> float:
    return _ended(w) / (w.days)


def _per_year(name: str) -> Callable[[Window], float]:
    return lambda w: w.sum(name) * DAYS_PER_YEAR / w.days


def _net_per_year(inflow: str, outflow: str) -> Callable[[Window], float]:
    return lambda w: (w.sum(inflow) - w.sum(outflow)) * DAYS_PER_YEAR / w.days


OUTCOMES: tuple[Outcome, ...] = (
    Outcome(
        "satisfaction_citizens",
        "share",
        "higher",
        "window",
        "Mean satisfaction of citizens' finished cases",
        _r("satisfaction_citizens", "ended_citizens"),
    ),
    Outcome(
        "satisfaction_enterprises",
        "share",
        "higher",
        "window",
        "Mean satisfaction of enterprises' finished cases",
        _r("satisfaction_enterprises", "ended_enterprises"),
    ),
    Outcome(
        "satisfaction_grassroots",
        "share",
        "higher",
        "window",
        "基层满意: satisfaction memory of the city's enterprises (experience and word of mouth)",
        _level("grassroots"),
        instant=True,
    ),
    Outcome(
        "satisfaction_public",
        "share",
        "higher",
        "window",
        "百姓满意: citizens' perceived quality (own memory, word of mouth and media)",
        _level("public"),
        instant=True,
    ),
    Outcome(
        "satisfaction_peers",
        "share",
        "higher",
        "window",
        "同行满意: share of office visits that were not rework for colleagues (returns, bounces)",
        _peers,
    ),
    Outcome(
        "satisfaction_superiors",
        "share",
        "higher",
        "window",
        "上级满意: share of cases within the committed time limit, times the share without"
        " informal demands",
        _superiors_fn,
    ),
    Outcome(
        "days_per_case",
        "days",
        "lower",
        "window",
        "Calendar days from request to completion",
        _r("days", "completed"),
    ),
    Outcome(
        "days_per_case_citizens",
        "days",
        "lower",
        "window",
        "Days per completed citizen case",
        _r("days_citizens", "completed_citizens"),
    ),
    Outcome(
        "days_per_case_enterprises",
        "days",
        "lower",
        "window",
        "Days per completed enterprise case",
        _r("days_enterprises", "completed_enterprises"),
    ),
    Outcome(
        "trips_per_case",
        "trips",
        "lower",
        "window",
        "Trips to offices per completed case",
        _r("trips", "completed"),
    ),
    Outcome(
        "one_trip_share",
        "share",
        "higher",
        "window",
        "Share of completed cases that took at most one trip to an office (最多跑一次)",
        _r("one_trip", "completed"),
    ),
    Outcome(
        "procedures_per_case",
        "procedures",
        "lower",
        "window",
        "Approvals (procedures) per completed case",
        _r("procedures", "completed"),
    ),
    Outcome(
        "hours_queued_per_case",
        "hours",
        "lower",
        "window",
        "Hours spent queueing at counters per completed case",
        _r("hours", "completed"),
    ),
    Outcome(
        "hours_queued_citizens",
        "hours",
        "lower",
        "window",
        "Hours queued per completed citizen case",
        _r("hours_citizens", "completed_citizens"),
    ),
    Outcome(
        "hours_queued_enterprises",
        "hours",
        "lower",
        "window",
        "Hours queued per completed enterprise case",
        _r("hours_enterprises", "completed_enterprises"),
    ),
    Outcome(
        "informal_payment_rate",
        "share",
        "lower",
        "window",
        "Share of finished cases with an informal payment (吃拿卡要)",
        _ratio_ended("paid"),
    ),
    Outcome(
        "informal_demand_rate",
        "share",
        "lower",
        "window",
        "Share of finished cases where a payment was demanded",
        _ratio_ended("demanded"),
    ),
    Outcome(
        "fees_per_case",
        "CNY",
        "lower",
        "window",
        "Official fees paid per completed case",
        _r("fees", "completed"),
    ),
    Outcome(
        "unequal_treatment_rate",
        "share",
        "lower",
        "window",
        "Share of finished cases that queued in person while the priority lane was served first",
        _ratio_ended("passed_over"),
    ),
    Outcome(
        "document_returns_per_case",
        "returns",
        "lower",
        "window",
        "Times sent home for missing documents, per completed case",
        _r("returns", "completed"),
    ),
    Outcome(
        "bounces_per_case",
        "bounces",
        "lower",
        "window",
        "Times sent on to another office (推), per completed case",
        _r("bounces", "completed"),
    ),
    Outcome(
        "abandonment_rate",
        "share",
        "lower",
        "window",
        "Share of finished cases given up",
        _ratio_ended("abandoned"),
    ),
    Outcome(
        "complaints_per_1000_cases",
        "complaints",
        "lower",
        "window",
        "Complaints per 1000 finished cases",
        _ratio_ended("complaints", 1000.0),  # arithmetic: the unit, per 1000 cases
    ),
    Outcome(
        "on_time_rate",
        "share",
        "higher",
        "window",
        "Share of completed cases within the committed time limit",
        _r("on_time", "completed"),
    ),
    Outcome(
        "civil_servant_skill",
        "0-1",
        "higher",
        "last",
        "Mean skill of counter civil servants",
        _level("skill"),
        instant=True,
    ),
    Outcome(
        "civil_servant_courtesy",
        "0-1",
        "higher",
        "last",
        "Mean courtesy of counter civil servants",
        _level("courtesy"),
        instant=True,
    ),
    Outcome(
        "servants_on_take",
        "share",
        "lower",
        "last",
        "Share of counter civil servants on the take (吃拿卡要): the office norm's state",
        _level("on_take"),
        instant=True,
    ),
    Outcome(
        "queue_length",
        "visits",
        "lower",
        "window",
        "Visits waiting at all counters at the end of the day",
        _level("queue"),
        instant=True,
    ),
    Outcome(
        "cost_per_case",
        "CNY",
        "lower",
        "window",
        "Cost of service per finished case: staff, reforms' running costs and their set-up spread"
        " over setup_amortisation_days",
        _ratio_ended("cost"),
    ),
    Outcome(
        "start_business_procedures",
        "procedures",
        "lower",
        "window",
        "Doing Business 'starting a business': procedures per start-up",
        _r("db_procedures", "db_completed"),
    ),
    Outcome(
        "start_business_days",
        "days",
        "lower",
        "window",
        "Doing Business 'starting a business': median calendar days per start-up",
        lambda w: w.median_db_days(),
    ),
    Outcome(
        "cases_per_day", "cases", "neutral", "window", "Cases finished per day", _cases_per_day
    ),
    Outcome(
        "enterprises",
        "firms",
        "higher",
        "last",
        "Enterprises operating in the city",
        _level("enterprises"),
        instant=True,
    ),
    Outcome(
        "firm_births_per_year",
        "firms/year",
        "higher",
        "window",
        "Start-ups registered, at a yearly rate",
        _per_year("firm_births"),
    ),
    Outcome(
        "firm_closures_per_year",
        "firms/year",
        "lower",
        "window",
        "Enterprises closed, at a yearly rate",
        _per_year("firm_exits"),
    ),
    Outcome(
        "red_tape_cost_per_case",
        "CNY",
        "lower",
        "window",
        "Cost to a firm of one finished case: its time, informal payments and lost business",
        _r("red_tape_cost", "ended_enterprises"),
    ),
    Outcome(
        "residents",
        "persons",
        "higher",
        "last",
        "Citizens living in the city",
        _level("residents"),
        instant=True,
    ),
    Outcome(
        "net_firm_inflow",
        "firms/year",
        "higher",
        "window",
        "Firms that moved in minus firms that moved out, at a yearly rate",
        _net_per_year("firm_moves_in", "firm_moves_out"),
    ),
    Outcome(
        "net_migration",
        "persons/year",
        "higher",
        "window",
        "Residents who moved in minus residents who moved out, at a yearly rate",
        _net_per_year("resident_moves_in", "resident_moves_out"),
    ),
    Outcome(
        "tax_revenue",
        "CNY/day",
        "higher",
        "window",
        "Tax collected from the city's firms per day (the tax base)",
        _level("tax_revenue"),
        instant=True,
    ),
    Outcome(
        "business_reputation",
        "0-1",
        "higher",
        "last",
        "The city's image as a place to do business, as other cities see it (lagged)",
        _level("business_image"),
        instant=True,
    ),
    Outcome(
        "competitiveness_index",
        "index",
        "higher",
        "last",
        "Competitiveness (100 = an average city with no growth): firm stock, tax base,"
        " reputation, firm growth and net inflow (docs/model.md)",
        _level("competitiveness"),
        instant=True,
    ),
    Outcome(
        "reform_fund",
        "CNY",
        "higher",
        "last",
        "Money left in the reform fund",
        _level("reform_fund"),
        instant=True,
    ),
    Outcome(
        "open_cases",
        "cases",
        "lower",
        "last",
        "Cases open at the end of the day",
        _level("open_cases"),
        instant=True,
    ),
    Outcome(
        "budget_balance",
        "CNY",
        "higher",
        "last",
        "Cumulative tax revenue minus cost of service",
        _level("budget"),
        instant=True,
    ),
)

OUTCOME_BY_NAME = {o.name: o for o in OUTCOMES}

WHOLE_UNITS = ("CNY", "CNY/day", "firms", "cases", "visits", "persons")  # shown as whole numbers
SHARE_UNITS = ("share", "0-1")  # shown with three decimals


def format_value(value: float | None, unit: str = "") -> str:
    """A value as people read it: whole numbers for counts and money, three decimals for shares,
    otherwise a precision that falls as the magnitude grows; '—' when there is no value."""
    if value is None or not math.isfinite(value):
        return "—"
    if unit in WHOLE_UNITS or abs(value) >= 1000:  # arithmetic: thousands get no decimals
        return f"{value:,.0f}"
    if unit in SHARE_UNITS:
        return f"{value:.3f}"
    decimals = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2  # arithmetic: magnitude
    return f"{value:.{decimals}f}"


def series_value(outcome: Outcome, ledger: Ledger, day: int, window: int) -> float:
    """The outcome as the time series shows it on `day`: the day's level, or a trailing window."""
    return outcome.compute(Window(ledger, day, 1 if outcome.instant else window))


def summary_value(outcome: Outcome, ledger: Ledger, day: int, window: int) -> float:
    """The outcome as a run's summary reports it: the last level, or the trailing window."""
    return outcome.compute(Window(ledger, day, 1 if outcome.summary == "last" else window))


# The headline outcomes: the first charts of the dashboard's results page and the "over time"
# panels of an experiment's report.
HEADLINE_OUTCOMES = (
    "satisfaction_citizens",
    "satisfaction_enterprises",
    "days_per_case",
    "trips_per_case",
    "informal_payment_rate",
    "civil_servant_skill",
)


def unknown_outcome_message(name: str) -> str:
    """'unknown outcome' with the nearest outcome suggested, or, for a parameter's name, that
    it is an input, not something a run measures."""
    from world.errors import unknown_name_message
    from world.parameters import Parameters, RegionParameters

    if name in Parameters.model_fields or name in RegionParameters.model_fields:
        return (
            f"{name!r} is a parameter (an input), not an outcome (what a run measures:"
            " the table of outcomes in docs/model.md lists them)"
        )
    return unknown_name_message("outcome", name, OUTCOME_BY_NAME)
