"""The parameters of one run, declared once.

Each field carries its type, default, range, unit and description. The same declaration drives
validation, `govsim run --set`, the dashboard controls, batch sweeps and sensitivity analysis.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


def declare(
    default: Any, lo: float | None, hi: float | None, unit: str, description: str, **kw: Any
) -> Any:
    """Declare one parameter: default, inclusive range, unit and a one-line description."""
    return Field(
        default,
        ge=lo,
        le=hi,
        description=description,
        json_schema_extra={"unit": unit, **kw},
    )


_p = declare


class DeclaredParameters(BaseModel):
    """A frozen set of declared parameters, with the helpers every consumer of them uses."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=True)

    @classmethod
    def table(cls) -> list[ParameterInfo]:
        """All declarations, in order: what the CLI, dashboard and sweeps read."""
        return [ParameterInfo.from_field(name, f) for name, f in cls.model_fields.items()]

    @classmethod
    def info(cls, name: str) -> ParameterInfo:
        """One declaration, or a ParameterError naming the nearest valid parameter."""
        if name not in cls.model_fields:
            raise ParameterError(unknown_name_message("parameter", name, cls.model_fields))
        return ParameterInfo.from_field(name, cls.model_fields[name])

    @classmethod
    def build(cls, data: dict[str, Any], source: str = "") -> Any:
        """Validate a mapping, turning pydantic's report into one clear line."""
        where = f"{source}: " if source else ""
        for name in data:
            if name not in cls.model_fields:
                raise ParameterError(
                    where + unknown_name_message("parameter", name, cls.model_fields)
                )
        try:
            return cls(**data)
        except ValidationError as exc:
            err = exc.errors()[0]
            name = ".".join(str(p) for p in err["loc"])
            info = cls.info(name) if name in cls.model_fields else None
            rng = f" (range {info.low}..{info.high} {info.unit})" if info else ""
            raise ParameterError(
                f"{where}{name}={err.get('input')!r}: {err['msg'].lower()}{rng}"
            ) from None

    def with_overrides(self, overrides: dict[str, Any], source: str = "") -> Any:
        """A copy with `overrides` applied and validated; strings are parsed to the field type."""
        data = self.model_dump()
        for name, value in overrides.items():
            info = self.info(name)
            data[name] = info.parse(value, source) if isinstance(value, str) else value
        return type(self).build(data, source)


class Parameters(DeclaredParameters):
    """The full, typed, validated parameter set of one city."""

    # --- population -------------------------------------------------------------------------
    n_citizens: int = _p(50_000, 10, 5_000_000, "persons", "Citizens (市民) living in the city")
    n_enterprises: int = _p(2_500, 1, 500_000, "firms", "Enterprises (企业) operating in the city")
    citizen_request_scale: float = _p(
        1.0, 0.0, 20.0, "x", "Multiplier on the catalogue's yearly request rates for citizens"
    )
    enterprise_request_scale: float = _p(
        1.0, 0.0, 20.0, "x", "Multiplier on the catalogue's yearly request rates for enterprises"
    )
    digital_access_citizens: float = _p(
        0.6, 0.0, 1.0, "share", "Share of citizens who can use online channels"
    )
    digital_access_enterprises: float = _p(
        0.9, 0.0, 1.0, "share", "Share of enterprises who can use online channels"
    )
    value_of_time_citizen: float = _p(
        20.0, 0.0, 10_000.0, "CNY/hour", "What an hour of a citizen's time is worth"
    )
    value_of_time_enterprise: float = _p(
        100.0, 0.0, 100_000.0, "CNY/hour", "What an hour of an enterprise's time is worth"
    )
    patience_days_citizen: float = _p(
        60.0,
        1.0,
        3650.0,
        "days",
        "Mean days a citizen waits before abandoning a case (at least half of it)",
    )
    patience_days_enterprise: float = _p(
        120.0,
        1.0,
        3650.0,
        "days",
        "Mean days an enterprise waits before abandoning a case (at least half of it)",
    )
    firm_exit_rate: float = _p(
        0.06, 0.0, 1.0, "1/year", "Yearly rate at which enterprises close for ordinary reasons"
    )
    low_profit_exit_rate: float = _p(
        2.0, 0.0, 50.0, "1/year", "Closure rate of a firm while its profit after costs is negative"
    )
    firm_margin: float = _p(
        400.0,
        1.0,
        1e7,
        "CNY/day",
        "Mean daily gross margin of a small firm before tax and red tape",
    )
    firm_margin_spread: float = _p(
        1.0, 0.0, 3.0, "log sd", "Spread of firms' margins (lognormal): some firms are marginal"
    )
    delay_cost_share: float = _p(
        0.05, 0.0, 1.0, "share/day", "Share of a firm's daily margin lost per day a case is open"
    )
    cost_memory_days: float = _p(
        180.0, 1.0, 3650.0, "days", "Over how long a firm feels the cost of red tape"
    )

    # --- satisfaction (expectation-disconfirmation, Oliver 1980; Van Ryzin 2004) --------------
    trip_hours: float = _p(2.0, 0.0, 48.0, "hours", "Time one round trip to an office costs")
    waiting_day_hours: float = _p(
        1.0, 0.0, 24.0, "hours/day", "Burden of each calendar day a case stays open"
    )
    abandon_penalty_hours: float = _p(
        40.0, 0.0, 1000.0, "hours", "Extra burden felt when a case is given up"
    )
    expectation_mean: float = _p(
        0.3,
        -5.0,
        5.0,
        "log burden",
        "Initial expected burden relative to the traditional nominal burden (0 = expects it)",
    )
    expectation_sd: float = _p(0.3, 0.0, 3.0, "log burden", "Spread of initial expectations")
    expectation_adaptation: float = _p(
        0.3, 0.0, 1.0, "share", "How far expectations move toward each experienced case"
    )
    expectation_drift: float = _p(
        0.1, 0.0, 2.0, "log burden/year", "Yearly tightening of expectations (demands keep rising)"
    )
    satisfaction_sensitivity: float = _p(
        2.0, 0.01, 50.0, "1/log burden", "Slope of satisfaction in the disconfirmation"
    )
    courtesy_weight: float = _p(
        2.0, 0.0, 50.0, "logit", "Effect of courtesy experienced (服务态度) on satisfaction"
    )
    informal_demand_penalty: float = _p(
        1.0, 0.0, 50.0, "logit", "Dissatisfaction from being asked for an informal payment"
    )
    satisfaction_memory: float = _p(
        0.3, 0.0, 1.0, "share", "Weight of the newest experience in a requester's satisfaction"
    )
    complaint_threshold: float = _p(
        0.3, 0.0, 1.0, "satisfaction", "Below this satisfaction a requester may complain"
    )
    complaint_propensity: float = _p(
        0.05,
        0.0,
        1.0,
        "probability",
        "Chance that a dissatisfied requester complains with no feedback channel",
    )

    # --- word of mouth and media -------------------------------------------------------------
    citizen_network_degree: int = _p(
        6, 2, 100, "ties", "Ties per citizen in the small-world network (Watts-Strogatz k)"
    )
    citizen_network_rewiring: float = _p(
        0.1, 0.0, 1.0, "probability", "Rewiring probability of the small-world network"
    )
    enterprise_network_links: int = _p(
        2, 1, 50, "ties", "Links each firm makes in the business network (Barabasi-Albert m)"
    )
    wom_reach: float = _p(
        0.5, 0.0, 1.0, "share", "Share of a requester's contacts told about a finished case"
    )
    wom_weight: float = _p(
        0.1, 0.0, 1.0, "share", "How far a told contact's satisfaction moves toward the report"
    )
    peer_expectation_weight: float = _p(
        0.05, 0.0, 1.0, "share", "How far a told contact's expectation moves toward the report"
    )
    media_weight: float = _p(
        0.2, 0.0, 1.0, "share", "Weight of the media image in the public's perceived quality"
    )
    media_negativity: float = _p(
        2.0, 1.0, 20.0, "x", "How much more the media reports a dissatisfied case (新闻媒体炒服务)"
    )

    # --- offices and civil servants -----------------------------------------------------------
    opening_hours: float = _p(8.0, 1.0, 24.0, "hours/day", "Counter hours on a working day")
    staffing_utilisation: float = _p(
        0.7, 0.1, 0.99, "share", "Utilisation the baseline staffing is sized for (sets staff)"
    )
    service_time_shape: float = _p(
        1.0, 0.1, 100.0, "gamma shape", "Shape of counter service times (1 = exponential)"
    )
    skill_mean: float = _p(0.5, 0.0, 1.0, "0-1", "Mean initial civil-servant skill")
    skill_sd: float = _p(0.15, 0.0, 1.0, "0-1", "Spread of initial skill")
    courtesy_mean: float = _p(
        0.4, 0.0, 1.0, "0-1", "Mean initial courtesy (服务态度; low = 脸难看、话难听)"
    )
    courtesy_sd: float = _p(0.15, 0.0, 1.0, "0-1", "Spread of initial courtesy")
    corruption_mean: float = _p(
        0.08, 0.0, 1.0, "probability", "Mean propensity to demand informal payments (吃拿卡要)"
    )
    corruption_conformity: float = _p(
        0.01, 0.0, 1.0, "1/day", "Daily pull of a servant's propensity toward the office norm"
    )
    incomplete_docs_prob: float = _p(
        0.1,
        0.0,
        1.0,
        "probability",
        "Chance a visit finds documents incomplete (3 documents, unpublished requirements)",
    )
    doc_return_days: float = _p(
        2.0, 0.0, 60.0, "days", "Days to gather missing documents and come back"
    )
    transparency_effect: float = _p(
        0.8,
        0.0,
        1.0,
        "share",
        "Cut in document returns and in room for informal demands at full transparency",
    )
    feedback_deterrence: float = _p(
        0.5, 0.0, 1.0, "share", "Cut in informal demands when complaints are fully acted on"
    )
    bounce_prob: float = _p(
        0.1, 0.0, 0.9, "probability", "Chance a visit is sent on to another office (推)"
    )
    rent_delay_days: float = _p(
        5.0, 0.0, 120.0, "working days", "Delay imposed when an informal demand is refused (卡、拖)"
    )
    bribe_hours: float = _p(
        10.0, 0.0, 1000.0, "hours", "Size of an informal payment in hours of the requester's time"
    )
    pay_propensity_citizen: float = _p(
        0.3, 0.0, 1.0, "probability", "Chance a citizen pays when asked"
    )
    pay_propensity_enterprise: float = _p(
        0.6, 0.0, 1.0, "probability", "Chance an enterprise pays when asked"
    )
    learning_by_doing: float = _p(
        0.0003, 0.0, 1.0, "per case", "Skill gained per case handled, as a share of the gap to 1"
    )
    skill_forgetting: float = _p(
        0.002, 0.0, 0.1, "1/day", "Daily skill decay without practice or training"
    )
    staff_turnover: float = _p(
        0.08, 0.0, 1.0, "1/year", "Yearly share of civil servants replaced by new hires"
    )
    reform_disruption: float = _p(
        0.1,
        0.0,
        1.0,
        "share",
        "Skill lost when a process reform starts (learning-curve dip, Minas Facil)",
    )
    wage_per_day: float = _p(
        400.0, 0.0, 100_000.0, "CNY/day", "Cost of one civil servant per working day"
    )
    reform_reserve: float = _p(
        10_000_000.0,
        0.0,
        1e12,
        "CNY per 10k residents",
        "Money set aside for service reform at the start",
    )
    reform_budget_share: float = _p(
        0.2, 0.0, 1.0, "share", "Share of each day's tax revenue paid into the reform fund"
    )
    tax_rate: float = _p(0.25, 0.0, 0.9, "share", "Share of firms' margins paid to the city as tax")

    # --- outcome measurement ------------------------------------------------------------------
    series_window_days: int = _p(
        30, 1, 365, "days", "Trailing window behind each day's value in the time series"
    )
    summary_window_days: int = _p(
        90, 1, 3650, "days", "Trailing window behind a run's summary outcomes"
    )


class RegionParameters(DeclaredParameters):
    """Parameters of the competition between cities, declared once like `Parameters`."""

    firm_review_rate: float = _p(
        0.25, 0.0, 12.0, "1/year", "How often a firm reconsiders where it is located"
    )
    resident_review_rate: float = _p(
        0.03, 0.0, 12.0, "1/year", "How often a resident reconsiders where to live (rarely)"
    )
    beta_environment: float = _p(
        6.0, 0.0, 100.0, "utility/unit", "Weight of the perceived business environment (0-1)"
    )
    beta_market: float = _p(
        1.0, 0.0, 20.0, "utility/log", "Weight of market size (log of relative residents)"
    )
    beta_tax: float = _p(10.0, 0.0, 200.0, "utility/unit", "Weight of the tax rate (a share)")
    firm_inertia: float = _p(
        3.0, 0.0, 50.0, "utility", "Bonus for staying put: relationships, sunk investment"
    )
    firm_moving_cost: float = _p(
        1.5, 0.0, 50.0, "utility", "Cost of relocating a firm to another city"
    )
    startup_home_bias: float = _p(
        3.0, 0.0, 50.0, "utility", "Founders' preference for registering in their own city"
    )
    network_weight: float = _p(
        0.3, 0.0, 1.0, "share", "Weight of business contacts' reports in a firm's own-city view"
    )
    beta_jobs: float = _p(
        2.0, 0.0, 50.0, "utility/log", "Residents: weight of jobs (firms per resident, log)"
    )
    beta_service: float = _p(
        3.0, 0.0, 100.0, "utility/unit", "Residents: weight of perceived public service (0-1)"
    )
    resident_inertia: float = _p(
        4.0, 0.0, 50.0, "utility", "Residents: bonus for staying (family, home, hukou)"
    )
    resident_moving_cost: float = _p(
        1.0, 0.0, 50.0, "utility", "Residents: cost of moving to another city"
    )
    reputation_lag_days: float = _p(
        60.0, 1.0, 3650.0, "days", "Time constant with which a city's image follows its reality"
    )


@dataclass(frozen=True)
class ParameterInfo:
    """One parameter's declaration, as plain data."""

    name: str
    type: type
    default: Any
    low: float | None
    high: float | None
    unit: str
    description: str

    @classmethod
    def from_field(cls, name: str, field: Any) -> ParameterInfo:
        low = high = None
        for m in field.metadata:
            low = getattr(m, "ge", low)
            high = getattr(m, "le", high)
        extra = field.json_schema_extra or {}
        return cls(
            name, field.annotation, field.default, low, high, extra["unit"], field.description
        )

    def parse(self, text: str, source: str = "") -> Any:
        """Parse a value typed by a person (CLI, text box) into this parameter's type."""
        text = text.strip()
        try:
            if self.type is int:
                as_float = float(text)
                if not as_float.is_integer():
                    raise ValueError
                return int(as_float)
            return self.type(text)
        except ValueError:
            where = f"{source}: " if source else ""
            raise ParameterError(
                f"{where}{self.name} must be {self.type.__name__}, got {text!r}"
            ) from None


class ParameterError(ValueError):
    """A bad parameter name or value; the message is one line, ready for a person."""


def unknown_name_message(kind: str, name: str, valid: Any) -> str:
    """'unknown X "name"' with the nearest valid name suggested."""
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r}{hint}"


def build_parameters(data: dict[str, Any], source: str = "") -> Parameters:
    """Validate a mapping into Parameters (one clear line on error)."""
    return Parameters.build(data, source)
