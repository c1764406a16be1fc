"""The parameters of one run, declared once.

Each field carries its type, default, range, unit and description. The same declaration drives
validation, `govsim run --set`, the dashboard controls, batch sweeps and sensitivity analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from world.errors import ParameterError, first_problem, unknown_name_message

# What a parameter stands for (EMA Workbench's vocabulary): sensitivity analysis and calibration
# vary uncertainties, policy design varies levers, and nobody varies a measurement setting to
# change what happens.
ROLES = {
    "uncertainty": "how the world behaves: not known for sure, not chosen by anyone",
    "lever": "what a city government sets (staffing, pay, hours, taxes, reform money)",
    "setting": "what the question is about (the city's size); fixed by whoever asks it",
    "measurement": "how outcomes are measured; changes no behaviour",
}
Role = Literal["uncertainty", "lever", "setting", "measurement"]


def declare(
    default: Any,
    lo: float | None,
    hi: float | None,
    unit: str,
    description: str,
    role: Role = "uncertainty",
) -> Any:
    """Declare one parameter: default, inclusive range, unit, a one-line description and role."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    return Field(
        default,
        ge=lo,
        le=hi,
        description=description,
        json_schema_extra={"unit": unit, "role": role},
    )


_p = declare


class DeclaredParameters(BaseModel):
    """A frozen set of declared parameters, with the helpers every consumer of them uses."""

    # strict: a boolean is not a number (true would pass as 1); finite numbers only
    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, frozen=True, strict=True, allow_inf_nan=False
    )

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
            problem = first_problem(exc)
            name = problem.dotted
            if not name:  # a check of several parameters together: its own sentence says all
                raise ParameterError(f"{where}{problem.message}") from None
            info = cls.info(name) if name in cls.model_fields else None
            rng = f" (range {info.low}..{info.high} {info.unit})" if info else ""
            raise ParameterError(
                f"{where}{name}={problem.input!r}: {problem.message}{rng}"
            ) from None

    def with_overrides(self, overrides: dict[str, Any], source: str = "") -> Any:
        """A copy with `overrides` applied and validated; strings are parsed to the field type."""
        data = self.model_dump()
        for name, value in overrides.items():
            data[name] = self.info(name).coerce(value, source)
        return type(self).build(data, source)


# --- declared constants: definitions and structure, not behaviour to vary ---------------------
# A service's chance of a document return is `incomplete_docs_prob` for this many documents.
REFERENCE_DOCUMENTS = 3
# Rounds of the fixed-point iteration that settles a traditional office's corruption norm at the
# start of a run (the share on the take converges well within them).
INTEGRITY_SETTLING_ROUNDS = 200
# Reform costs (and the reform reserve) are declared per this many residents.
COST_UNIT_RESIDENTS = 10_000
# Most citizen and enterprise agents one city may have (the old ranges of n_citizens and
# n_enterprises): more residents need agent weights.
MAX_AGENTS = (5_000_000, 500_000)
# Enterprises by size class: share of firms, value of time relative to the parameter, and gross
# margin relative to a small firm's.
FIRM_SECTORS = ("manufacturing", "trade", "services", "construction", "technology")
FIRM_SIZES = ("micro", "small", "medium", "large")
FIRM_SIZE_SHARES = (0.55, 0.3, 0.12, 0.03)
FIRM_SIZE_TIME_VALUE = (0.5, 1.0, 2.0, 5.0)
FIRM_SIZE_MARGIN = (0.5, 1.0, 4.0, 20.0)
# The competitiveness index (docs/model.md): weights of its parts, and its value for an average
# city with a steady firm stock.
COMPETITIVENESS_WEIGHTS = {
    "firms": 0.3,  # firm stock, relative to the average city
    "tax_base": 0.2,  # tax revenue, relative to the average city
    "reputation": 0.2,  # business image, relative to the average city
    "growth": 0.15,  # yearly growth rate of the firm stock
    "inflow": 0.15,  # yearly net inflow of firms and residents, as a share of the stock
}
COMPETITIVENESS_AVERAGE = 100.0


class Parameters(DeclaredParameters):
    """The full, typed, validated parameter set of one city."""

    # --- population -------------------------------------------------------------------------
    n_citizens: int = _p(
        50_000, 10, 50_000_000, "persons", "Citizens (市民) living in the city", "setting"
    )
    n_enterprises: int = _p(
        2_500, 1, 2_500_000, "firms", "Enterprises (企业) operating in the city", "setting"
    )
    agent_weight: int = _p(
        1,
        1,
        1000,
        "persons per agent",
        "Each citizen and enterprise agent stands for this many (Starsim's population scale):"
        " the city is run at n/agent_weight agents and its counts are multiplied back;"
        " approximate where offices are left with few staff (docs/performance.md)",
        "setting",
    )
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
    patience_floor_share: float = _p(
        0.5,
        0.0,
        1.0,
        "share",
        "Share of the mean patience every requester has for sure; the rest is exponential",
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
    entry_elasticity: float = _p(
        0.016,
        0.0,
        1.0,
        "1/log days",
        "Elasticity of would-be founders' start-up rate to the start-up time they hear of"
        " (Mexico's SARE: registrations +4-5% as days fell from 30 to about 1.4; Bruhn 2011,"
        " Kaplan, Piedra & Seira 2011)",
    )
    entry_news_startups: float = _p(
        50.0,
        1.0,
        1e6,
        "start-ups",
        "Over how many recent registrations would-be founders judge how long starting takes",
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
        0.3,
        0.0,
        1.0,
        "share",
        "How far expectations (of burden, courtesy and informal demands alike) move toward"
        " each experienced case",
    )
    demand_expectation_mean: float = _p(
        0.15,
        0.0,
        1.0,
        "probability",
        "Chance of being asked for an informal payment a requester expects before any case",
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
    courtesy_reference: float = _p(
        0.5,
        0.0,
        1.0,
        "0-1",
        "Courtesy a requester expects before any case (also the courtesy of a case with no"
        " counter contact)",
    )
    initial_satisfaction: float = _p(
        0.5, 0.0, 1.0, "0-1", "Satisfaction memory of a requester before any case"
    )
    unequal_treatment_penalty: float = _p(
        0.5,
        0.0,
        50.0,
        "logit",
        "Dissatisfaction from queueing in person while the priority lane is served first"
        " (一视同仁 broken; procedural justice)",
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
    feedback_complaint_multiplier: float = _p(
        1.5,
        1.0,
        20.0,
        "x",
        "How many times more often requesters complain or report a demand when the feedback"
        " channel is fully open (assumed; no estimate found)",
    )
    complaint_action_prob: float = _p(
        0.33,
        0.0,
        1.0,
        "probability",
        "Chance a complaint is acted on without the feedback reform (Chen, Pan & Xu 2016:"
        " about a third of county governments responded)",
    )
    feedback_action_prob: float = _p(
        0.53,
        0.0,
        1.0,
        "probability",
        "Chance a complaint is acted on with the feedback channel fully open (Beijing 12345"
        " at the start of 接诉即办: 53.1% resolved)",
    )
    correction_courtesy_step: float = _p(
        0.05,
        0.0,
        1.0,
        "share",
        "Share of the gap to full courtesy the one servant complained about closes when a"
        " complaint is acted on (it fades as courtesy relaxes to the servant's own manner)",
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
    media_dissatisfied_below: float = _p(
        0.5, 0.0, 1.0, "satisfaction", "Below this satisfaction the media counts a case as bad news"
    )
    media_update_rate: float = _p(
        0.1,
        0.0,
        1.0,
        "share/day",
        "How far the media image moves toward the day's reported cases",
    )
    newcomer_tie_share: float = _p(
        0.5,
        0.0,
        1.0,
        "share",
        "Ties a resident arriving from another city makes, as a share of the usual degree",
    )

    # --- offices and civil servants -----------------------------------------------------------
    opening_hours: float = _p(
        8.0, 1.0, 24.0, "hours/day", "Counter hours on a working day", "lever"
    )
    staffing_utilisation: float = _p(
        0.7,
        0.1,
        0.99,
        "share",
        "Utilisation the baseline staffing is sized for (sets staff)",
        "lever",
    )
    service_time_shape: float = _p(
        1.0, 0.1, 100.0, "gamma shape", "Shape of counter service times (1 = exponential)"
    )
    skill_mean: float = _p(0.5, 0.0, 1.0, "0-1", "Mean initial civil-servant skill")
    skill_sd: float = _p(0.15, 0.0, 1.0, "0-1", "Spread of initial skill")
    skill_floor: float = _p(
        0.05, 0.0, 0.5, "0-1", "Lowest skill a civil servant can have (hired or after a dip)"
    )
    speed_at_zero_skill: float = _p(
        0.5,
        0.01,
        5.0,
        "work/hour",
        "Counter work per hour of a servant of skill 0; each unit of skill adds one",
    )
    error_at_zero_skill: float = _p(
        1.5,
        1.0,
        5.0,
        "x",
        "Document-check errors of a servant of skill 0 relative to the base rate; each unit of"
        " skill takes one off (1.5: skill 0.5 returns at the base rate)",
    )
    courtesy_mean: float = _p(
        0.4, 0.0, 1.0, "0-1", "Mean initial courtesy (服务态度; low = 脸难看、话难听)"
    )
    courtesy_sd: float = _p(0.15, 0.0, 1.0, "0-1", "Spread of initial courtesy")
    courtesy_relaxation: float = _p(
        0.005,
        0.0,
        1.0,
        "1/day",
        "Daily drift of courtesy back to a servant's own manner when not trained",
    )
    courtesy_training_speed: float = _p(
        0.02,
        0.0,
        1.0,
        "1/day",
        "Daily share of the gap to the service standard closed by full-intensity training",
    )
    new_hire_training_share: float = _p(
        0.5,
        0.0,
        1.0,
        "share",
        "How far toward the service standard a new hire's courtesy starts while it is trained",
    )
    corruption_mean: float = _p(
        0.08,
        0.0,
        1.0,
        "probability",
        "Typical inclination to take informal payments (吃拿卡要): the chance a servant with no"
        " corrupt colleagues and no risk of detection would be on the take",
    )
    corruption_inclination_sd: float = _p(
        1.0, 0.0, 10.0, "logit", "Spread of servants' inclinations around the typical one"
    )
    corruption_norm_weight: float = _p(
        8.0,
        0.0,
        50.0,
        "logit",
        "Pull of the norm: how much more attractive being on the take is when every servant"
        " around (in the office and the offices it works with) is than when none is (above 4:"
        " honest and corrupt states both stable, Hammond 2000)",
    )
    sanction_weight: float = _p(
        2000.0,
        0.0,
        1e6,
        "logit",
        "Deterrence per unit of perceived detection probability (a certain sanction costs"
        " this much attraction)",
    )
    integrity_review_days: float = _p(
        20.0,
        1.0,
        3650.0,
        "working days",
        "Mean working days between a servant's reconsiderations of being on the take",
    )
    demand_rate_on_take: float = _p(
        0.08,
        0.0,
        1.0,
        "probability",
        "Chance a servant on the take demands an informal payment in a decision",
    )
    audit_detection: float = _p(
        0.0001,
        0.0,
        1.0,
        "probability",
        "Chance a demand is found out by superiors' own checks, with no report",
    )
    report_propensity: float = _p(
        0.05,
        0.0,
        1.0,
        "probability",
        "Chance a requester asked for a payment reports it when the rules are unpublished",
    )
    report_propensity_informed: float = _p(
        0.3,
        0.0,
        1.0,
        "probability",
        "Chance a requester asked for a payment reports it when the rules and fees are"
        " published: the requester knows the demand is not a fee",
    )
    report_proof_prob: float = _p(
        0.02,
        0.0,
        1.0,
        "probability",
        "Chance a reported demand that is acted on is proven and the servant disciplined"
        " (a petty demand is one word against another)",
    )
    sanction_days: float = _p(
        130.0,
        0.0,
        3650.0,
        "working days",
        "How long a servant disciplined for a demand stays off the take before reconsidering"
        " (Hammond 2000's jail term)",
    )
    detection_learning_days: float = _p(
        60.0,
        1.0,
        3650.0,
        "working days",
        "Time constant with which servants' sense of the chance of detection follows the"
        " chance in force (reports, action on them, superiors' checks)",
    )
    # Calibrated: the Shanghai posterior mean (scenarios/parameter_sets/shanghai_db2006_2014.toml)
    incomplete_docs_prob: float = _p(
        0.06691,
        0.0,
        1.0,
        "probability",
        "Chance a visit finds documents incomplete (for a service asking"
        f" {REFERENCE_DOCUMENTS} documents, a requester who has not read published"
        " requirements, a servant of skill 0.5)",
    )
    # Calibrated: the Shanghai posterior mean (scenarios/parameter_sets/shanghai_db2006_2014.toml)
    doc_return_days: float = _p(
        4.893, 0.0, 60.0, "days", "Days to gather missing documents and come back"
    )
    published_rules_use: float = _p(
        0.6,
        0.0,
        1.0,
        "share",
        "Share of requesters who read the published requirements and fees before a case once"
        " they are published: they bring complete documents and know a demand is not a fee",
    )
    # Calibrated: the Shanghai posterior mean (scenarios/parameter_sets/shanghai_db2006_2014.toml)
    bounce_prob: float = _p(
        0.06995, 0.0, 0.9, "probability", "Chance a visit is sent on to another office (推)"
    )
    bounce_triage_share: float = _p(
        0.25,
        0.0,
        1.0,
        "share",
        "Share of an approval's counter work spent on a visit that is sent on elsewhere",
    )
    # Calibrated: the Shanghai posterior mean (scenarios/parameter_sets/shanghai_db2006_2014.toml)
    rent_delay_days: float = _p(
        9.425,
        0.0,
        120.0,
        "working days",
        "Delay imposed when an informal demand is refused (卡、拖)",
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
        0.5,
        0.0,
        0.95,
        "share",
        "Share of an office's familiarity with its procedures lost when a process reform starts:"
        " counter work and decisions take 1/familiarity as long (learning-curve dip)",
    )
    familiarisation_rate: float = _p(
        0.05,
        0.0,
        1.0,
        "1/working day",
        "Daily share of the lost familiarity regained (0.05: 90% back in about two months)",
    )
    max_training_share: float = _p(
        0.9, 0.0, 1.0, "share", "Most of the counter time all training together may take"
    )
    wage_per_day: float = _p(
        1230.0,
        0.0,
        100_000.0,
        "CNY/day",
        "Cost of one civil servant per working day, on-costs included (Shanghai 2023 average"
        " wage 229,300 CNY a year, plus 40% employer contributions, over 261 working days)",
        "lever",
    )
    staff_review_days: int = _p(
        90,
        20,
        3650,
        "days",
        "Days between re-sizings of each office's counter staff to its measured workload",
        "lever",
    )
    online_effort_share: float = _p(
        0.5,
        0.0,
        1.0,
        "share",
        "Share of an approval's counter work its online submission still needs in the back"
        " office (checking and deciding remain; receiving and explaining do not); assumed",
    )
    staff_review_tolerance: float = _p(
        0.1,
        0.0,
        1.0,
        "share",
        "An office is re-sized only when its measured need differs from its staff by more than"
        " this share (establishments change in steps, not with every fluctuation)",
        "lever",
    )
    reform_reserve: float = _p(
        400_000.0,
        0.0,
        1e12,
        "CNY per 10k residents",
        "Money set aside for service reform at the start",
        "lever",
    )
    reform_budget_share: float = _p(
        0.01,
        0.0,
        1.0,
        "share",
        "Share of each day's tax revenue paid into the reform fund",
        "lever",
    )
    reform_resume_days: float = _p(
        30.0,
        0.0,
        3650.0,
        "days",
        "A reform suspended for want of money resumes only when the fund holds this many days"
        " of its running cost (no flipping on and off day by day)",
        "lever",
    )
    setup_amortisation_days: float = _p(
        1825.0,
        1.0,
        36_500.0,
        "days",
        "Days over which a reform's set-up cost counts in the cost of service (paid at once)",
        "measurement",
    )
    tax_rate: float = _p(
        0.25, 0.0, 0.9, "share", "Share of firms' margins paid to the city as tax", "lever"
    )

    # --- outcome measurement ------------------------------------------------------------------
    series_window_days: int = _p(
        30,
        1,
        365,
        "days",
        "Trailing window behind each day's value in the time series",
        "measurement",
    )
    summary_window_days: int = _p(
        90, 1, 3650, "days", "Trailing window behind a run's summary outcomes", "measurement"
    )

    @model_validator(mode="after")
    def _agents_fit(self) -> Parameters:
        if self.n_citizens // self.agent_weight > MAX_AGENTS[0]:
            raise ValueError(
                f"n_citizens={self.n_citizens:,} at agent_weight={self.agent_weight} is"
                f" {self.n_citizens // self.agent_weight:,} citizen agents, more than the"
                f" {MAX_AGENTS[0]:,} one city may have: raise agent_weight"
            )
        if self.n_enterprises // self.agent_weight > MAX_AGENTS[1]:
            raise ValueError(
                f"n_enterprises={self.n_enterprises:,} at agent_weight={self.agent_weight} is"
                f" {self.n_enterprises // self.agent_weight:,} enterprise agents, more than the"
                f" {MAX_AGENTS[1]:,} one city may have: raise agent_weight"
            )
        return self

    def agent_scale(self) -> Parameters:
        """The parameters a city is run with, in agents: each agent stands for `agent_weight`
        residents or firms, so the counts fall by that factor (at least one enterprise and 10
        citizens) and so do the start-ups over which founders judge start-up times (news spreads
        per start-up). Everything else is per capita, per case or per servant and unchanged;
        staff follow from the agents' workload. The same object when the weight is 1."""
        k = self.agent_weight
        if k == 1:
            return self
        return self.model_copy(
            update={
                "n_citizens": max(10, round(self.n_citizens / k)),
                "n_enterprises": max(1, round(self.n_enterprises / k)),
                "entry_news_startups": max(1.0, self.entry_news_startups / k),
            }
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
        3.0,
        0.0,
        50.0,
        "utility",
        "Cost of relocating a firm to another city (3: a full reform next door draws under 1% of"
        " a city's firms a year; firms seldom move between cities)",
    )
    startup_home_bias: float = _p(
        6.5,
        0.0,
        50.0,
        "utility",
        "Founders' preference for registering in their own city (6.5: a full reform next door"
        " draws about 1% of its founders; Mexico's SARE raised registrations 4-5% with no"
        " sign of founders moving between municipalities, Bruhn 2011)",
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
    unjudged_image: float = _p(
        0.5, 0.0, 1.0, "0-1", "Image of a city none of whose requesters has finished a case yet"
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
    role: str = "uncertainty"

    @classmethod
    def from_field(cls, name: str, field: Any) -> ParameterInfo:
        low = high = None
        for m in field.metadata:
            low = getattr(m, "ge", low)
            high = getattr(m, "le", high)
        extra = field.json_schema_extra or {}
        return cls(
            name,
            field.annotation,
            field.default,
            low,
            high,
            extra["unit"],
            field.description,
            extra["role"],
        )

    def coerce(self, value: Any, source: str = "") -> Any:
        """A value a person or a file gave, as this parameter's type: text parsed, a whole float
        made an integer for an integer parameter, an integer made a float for a float one.
        Anything else (a boolean above all: never a number) is left for validation to judge."""
        if isinstance(value, str):
            return self.parse(value, source)
        if isinstance(value, bool):
            return value
        if self.type is int and isinstance(value, float) and value.is_integer():
            return int(value)
        if self.type is float and isinstance(value, int):
            return float(value)
        return value

    def parse(self, text: str, source: str = "") -> Any:
        """Parse a value typed by a person (CLI, text box) into this parameter's type."""
        text = text.strip()
        try:
            if self.type is int:
                try:
                    return int(text)  # exact, however many digits
                except ValueError:
                    as_float = float(text)  # '2e3', '1,000.0'-free forms like '3000.0'
                    if not as_float.is_integer():
                        raise ValueError from None
                    return int(as_float)
            return self.type(text)
        except (ValueError, OverflowError):
            where = f"{source}: " if source else ""
            raise ParameterError(
                f"{where}{self.name} must be {self.type.__name__}, got {text!r}"
            ) from None


def param_info(name: str) -> ParameterInfo:
    """The declaration of a city or region parameter; unknown names suggest the nearest."""
    if name in Parameters.model_fields:
        return Parameters.info(name)
    if name in RegionParameters.model_fields:
        return RegionParameters.info(name)
    valid = [*Parameters.model_fields, *RegionParameters.model_fields]
    raise ParameterError(unknown_name_message("parameter", name, valid))
