"""Policy design: the best reform packages under a budget, robust over uncertain states of the
world (`govsim optimise SPEC --out DIR`).

A design spec (TOML) names a base preset and the city's size; the levers (which reforms may be
switched on, each with an intensity range and optionally a start-day range, and which of the
parameters declared levers, such as opening hours or staffing, may be set within a range); the
reform budget
over the horizon (set-up plus running costs, as the interventions declare them per 10,000
residents); the objectives (outcomes, each minimised or maximised: by default the outcome's
declared direction) and how each is made robust over the states of the world (the mean, the
worst, or a percentile); the states (the reference state, or a Latin hypercube sample of named
uncertain parameters); and the seeds each package is run on (common random numbers: every
package meets the same seeds in the same states).

The search is Optuna's multi-objective TPE sampler (multivariate; NSGA-II, Deb et al. 2002, with
`sampler = "nsga2"`), stored in `DIR/study.sqlite`. No package is evaluated twice: a package the
sampler asks again is replaced by an unseen neighbour. Every run is stored in `DIR/runs/` as it
finishes, and a trial that a kill interrupted is asked again with the same package on
resumption, so a killed optimisation loses no finished run. A package over budget is never
simulated: it is told to the sampler as infeasible (constrained domination), so the search
learns the budget without paying for it; a package over the staff cap is simulated, then told
as infeasible.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from experiments.atomic import write_json, write_text
from experiments.design import check_ranged_parameter, parameter_range
from experiments.evaluators import Evaluator, WorkerLost
from experiments.manifest import code_fingerprint, library_versions, preset_fingerprint
from experiments.manifest import versions as package_versions
from experiments.result_folder import FolderError
from experiments.search_folder import search_folder
from model.outcomes import OUTCOME_BY_NAME, unknown_outcome_message
from scenarios.toml_files import located, read_toml
from world.errors import ParameterError, first_problem, unknown_name_message
from world.interventions import REGISTRY, build_intervention
from world.parameters import COST_UNIT_RESIDENTS, Parameters, param_info

STUDY = "design"
ROBUSTNESS = re.compile(r"^(mean|worst|p([1-9]\d?)|regret|share)$")  # p1..p99; worst is p100
INTERVAL = (5.0, 95.0)  # an objective's interval: these percentiles over every state and seed
STATE_SEED_OFFSET = 0  # the seeds of every package: 0, 1, ... (common random numbers)
SETTING_STEPS = 20  # a real-valued parameter lever is searched on this many steps of its range


class Lever(BaseModel):
    """One reform the search may switch on: its intensity range and, optionally, its start day
    range (without one it starts on day 0)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    intensity: tuple[float, float] = (0.5, 1.0)
    start: tuple[int, int] | None = None

    @field_validator("intensity")
    @classmethod
    def _intensity(cls, value: tuple[float, float]) -> tuple[float, float]:
        lo, hi = value
        if not 0.0 <= lo <= hi <= 1.0:
            raise ValueError("give [low, high] with 0 <= low <= high <= 1")
        if hi == 0.0:
            raise ValueError("an intensity of 0 is the reform switched off; give a high above 0")
        return value

    @field_validator("start")
    @classmethod
    def _start(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not 0 <= value[0] <= value[1]:
            raise ValueError("give [first, last] start days with 0 <= first <= last")
        return value


class Objective(BaseModel):
    """An outcome to minimise or maximise, and how its values over the states become one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    direction: Literal["min", "max", "declared"] = "declared"
    robustness: str = "mean"
    threshold: float | None = Field(
        None,
        description="With robustness 'share': the value a state must meet (at or below it for"
        " a minimised outcome, at or above for a maximised one)",
    )

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        return {"direction": data} if isinstance(data, str) else data

    @field_validator("robustness")
    @classmethod
    def _robustness(cls, value: str) -> str:
        if not ROBUSTNESS.match(value):
            raise ValueError(
                f"robustness {value!r}: give 'mean', 'worst', a percentile 'p1' to 'p99' (p90:"
                " the value met or beaten in 90% of the states; 'worst' is p100), 'regret' (the"
                " largest shortfall"
                " from the best package in each state) or 'share' (of the states meeting"
                " `threshold`)"
            )
        return value

    @field_validator("threshold")
    @classmethod
    def _finite_threshold(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("threshold: give a finite number")
        return value

    @model_validator(mode="after")
    def _threshold(self) -> Objective:
        if self.robustness == "share" and self.threshold is None:
            raise ValueError(
                "robustness 'share' needs a threshold: {robustness = \"share\", threshold = X}"
            )
        if self.robustness != "share" and self.threshold is not None:
            raise ValueError(
                f"a threshold is only read with robustness 'share', not {self.robustness!r}"
            )
        return self


class States(BaseModel):
    """The states of the world: the reference state (sample = 0), or a Latin hypercube sample of
    `sample` values of the named uncertain parameters within their ranges and of the day each
    named reform starts in the rival cities (a design of one city of several)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sample: int = Field(0, ge=0, le=1000)
    seed: int = Field(0, ge=0)
    parameters: dict[str, list[float] | str] = Field(default_factory=dict)
    rivals: dict[str, tuple[int, int]] = Field(
        default_factory=dict,
        description="A reform the rival cities may start, and the range of its start day; a"
        " day at or after the horizon is a rival that does not adopt it in time",
    )

    @field_validator("rivals")
    @classmethod
    def _rival_reforms(cls, value: dict) -> dict:
        for key, (first, last) in value.items():
            check_reform(key)
            if not 0 <= first <= last:
                raise ValueError(f"{key}: give [first, last] start days with 0 <= first <= last")
        return value

    @field_validator("parameters")
    @classmethod
    def _uncertain(cls, value: dict) -> dict:
        for name, given in value.items():
            check_uncertain(name, given)
        return value

    @model_validator(mode="after")
    def _sampled(self) -> States:
        if self.sample and not (self.parameters or self.rivals):
            raise ValueError(
                "a sample of states needs [states.parameters] or [states.rivals] to vary"
            )
        if (self.parameters or self.rivals) and not self.sample:
            raise ValueError(
                "give sample = N (states to draw) with [states.parameters] or [states.rivals]"
            )
        return self


class Budget(BaseModel):
    """The reform budget over the horizon: set-up costs plus running costs, for the whole city
    (cny) or per 10,000 residents (per_10k_residents)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cny: float | None = Field(None, gt=0)
    per_10k_residents: float | None = Field(None, gt=0)
    fund_holds_budget: bool = Field(
        True,
        description="The reform fund starts with the budget (reform_reserve), so a package"
        " within budget is not held back for want of money",
    )

    @model_validator(mode="after")
    def _one(self) -> Budget:
        if (self.cny is None) == (self.per_10k_residents is None):
            raise ValueError("give the budget as exactly one of cny or per_10k_residents")
        return self


class StaffCap(BaseModel):
    """The most counter staff (full-time equivalents on duty, per 10,000 residents) a package may
    need: its peak over the horizon in any run (every state and seed) must not exceed it. Staff
    follow the package (offices are re-sized to their workload every `staff_review_days`; lean
    staffing cuts them), so the cap is checked after the runs, not before."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_10k_residents: float = Field(gt=0)


class DesignSpec(BaseModel):
    """A policy design problem, as its TOML file says it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field(min_length=1)
    preset: str = "baseline"
    city: str | None = Field(
        None,
        description="With a preset of several cities: the city whose government chooses; the"
        " others are its rivals",
    )
    days: int | None = Field(None, ge=1, le=36_500, description="Horizon (default: the preset's)")
    overrides: dict[str, Any] = Field(default_factory=dict)
    levers: dict[str, Lever | list[float] | str] = Field(
        min_length=1,
        description="A reform (a table: intensity, start) or a parameter declared a lever"
        " ([low, high], or 'declared' for its declared range)",
    )
    budget: Budget
    staff_cap: StaffCap | None = None
    objectives: dict[str, Objective] = Field(min_length=1)
    states: States = States()
    seeds: int = Field(2, ge=1, le=100)
    trials: int = Field(60, ge=1, le=100_000)
    population: int = Field(
        20,
        ge=2,
        le=10_000,
        description="NSGA-II's population; TPE's first packages before it models (start-up)",
    )
    sampler: Literal["tpe", "nsga2"] = Field(
        "tpe",
        description="Optuna's multi-objective TPE (multivariate; the default: it met the"
        " exact-front benchmark's target, NSGA-II did not), or its NSGA-II",
    )
    intensity_step: float = Field(0.05, gt=0, le=1)
    sampler_seed: int = 0

    @field_validator("levers")
    @classmethod
    def _levers(cls, value: dict) -> dict:
        for key, given in value.items():
            check_lever(key, given)
        return value

    @property
    def reform_levers(self) -> dict[str, Lever]:
        """The levers that are reforms, in the spec's order."""
        return {k: v for k, v in self.levers.items() if isinstance(v, Lever)}

    @property
    def parameter_levers(self) -> dict[str, tuple[float, float]]:
        """The levers that are parameters, each with its range, in the spec's order."""
        return {
            k: parameter_range(k, v) for k, v in self.levers.items() if not isinstance(v, Lever)
        }

    @field_validator("objectives")
    @classmethod
    def _outcomes(cls, value: dict) -> dict:
        for name, objective in value.items():
            check_outcome(name, objective.direction)
        return value


# Outcomes of competition between cities: a design of a city alone cannot move them.
COMPETITION_OUTCOMES = ("net_firm_inflow", "net_migration", "competitiveness_index")


def check_reform(key: str) -> None:
    if key not in REGISTRY:
        raise ValueError(unknown_name_message("reform", key, REGISTRY))


def lever_parameters() -> list[str]:
    """The parameters declared levers (what a government sets), which a design may search."""
    return [p.name for p in Parameters.table() if p.role == "lever"]


def check_lever(key: str, given: Any) -> None:
    """A reform given as a table, or a lever parameter given a range."""
    if key in REGISTRY:
        if not isinstance(given, dict | Lever):
            raise ValueError(
                f"{key} is a reform: give a table, [levers.{key}] with optional"
                " intensity = [low, high] and start = [first, last]"
            )
        return
    if key not in Parameters.model_fields:
        raise ValueError(unknown_name_message("lever", key, [*REGISTRY, *lever_parameters()]))
    if isinstance(given, dict | Lever):
        raise ValueError(f"{key} is a parameter: give {key} = [low, high], or 'declared'")
    why = "a design chooses what a government sets"
    check_ranged_parameter(key, given, "lever", why, "(vary it in [states.parameters])")


def check_outcome(name: str, given: Any) -> None:
    if name not in OUTCOME_BY_NAME:
        raise ValueError(unknown_outcome_message(name))
    if given in (None, "declared") and OUTCOME_BY_NAME[name].direction == "neutral":
        raise ValueError(f"{name} has no declared direction: say 'min' or 'max'")


def check_uncertain(name: str, given: Any) -> None:
    check_ranged_parameter(name, given, "uncertainty", "states vary what nobody controls")


def _precheck(data: dict) -> tuple[tuple, str] | None:
    """Problems with a table's own keys, located at the key (pydantic would point at the table):
    an unknown reform or outcome, an uncertain parameter that is not one."""
    tables = (
        ("levers", data.get("levers"), check_lever),
        (
            "objectives",
            data.get("objectives"),
            lambda k, v: check_outcome(k, v if isinstance(v, str) else (v or {}).get("direction")),
        ),
    )
    states = data.get("states")
    params = states.get("parameters") if isinstance(states, dict) else None
    rivals = states.get("rivals") if isinstance(states, dict) else None
    tables += (
        (("states", "parameters"), params, check_uncertain),
        (("states", "rivals"), rivals, lambda k, v: check_reform(k)),
    )
    for where, table, check in tables:
        if not isinstance(table, dict):
            continue
        for key, value in table.items():
            try:
                check(key, value)
            except ValueError as exc:
                loc = (*where, key) if isinstance(where, tuple) else (where, key)
                return loc, str(exc)
    return None


def load_spec(path: str | Path) -> DesignSpec:
    """Read and validate a design spec; any problem is one ParameterError line with file:line."""
    path = Path(path)
    if not path.exists():
        raise ParameterError(f"{path}: no such design spec")
    text, data = read_toml(path, ParameterError)

    def fail(loc: tuple, message: str) -> ParameterError:
        return ParameterError(f"{located(path, text, loc) if loc else f'{path}: spec'}: {message}")

    early = _precheck(data)
    if early is not None:
        raise fail(*early)
    try:
        spec = DesignSpec(**data)
    except ValidationError as exc:
        problem = first_problem(exc)
        raise fail(problem.loc, problem.message) from None
    from scenarios import load_preset

    try:
        preset = load_preset(spec.preset)
    except Exception as exc:
        raise fail(("preset",), str(exc)) from None
    names = [c.name for c in preset.cities]
    if names and spec.city not in names:
        where = ("city",) if spec.city is not None else ("preset",)
        raise fail(
            where,
            f"the preset {spec.preset!r} has cities {', '.join(names)}: say which one the design"
            " chooses for, city = NAME",
        )
    if not names and spec.city is not None:
        raise fail(("city",), f"the preset {spec.preset!r} has one city: leave out city")
    if not names and spec.states.rivals:
        raise fail(("states", "rivals"), "rivals need a preset of several cities and city = NAME")
    for name in spec.objectives:
        if name in COMPETITION_OUTCOMES and not names:
            raise fail(
                ("objectives", name),
                f"{name} measures competition between cities: give a preset of several cities"
                " and city = NAME",
            )
    for name, value in spec.overrides.items():
        try:
            preset = preset.with_overrides({name: value}, "overrides")
        except ParameterError as exc:
            raise fail(("overrides", name), str(exc)) from None
    days = spec.days or preset.days
    for name in spec.parameter_levers:
        if name in spec.overrides:
            raise fail(
                ("levers", name), f"{name} is also set in [overrides]: give one or the other"
            )
        if name == "reform_reserve" and spec.budget.fund_holds_budget:
            raise fail(
                ("levers", name),
                "reform_reserve is the budget while fund_holds_budget = true: set that to false"
                " to search it",
            )
    home = next((c for c in preset.cities if c.name == spec.city), None)
    had = {i.key for i in (home.policy if home is not None else preset.policy)}
    for rival in preset.cities:
        for key in spec.states.rivals:
            if rival is not home and key in {i.key for i in rival.policy}:
                raise fail(
                    ("states", "rivals", key),
                    f"the rival city {rival.name!r} already has {key!r} in its policy",
                )
    for key, lever in spec.reform_levers.items():
        if key in had:
            raise fail(
                ("levers", key), f"the preset {spec.preset!r} already has {key!r} in its policy"
            )
        if lever.start is not None and lever.start[1] >= days:
            raise fail(("levers", key, "start"), f"start days must be before day {days}")
    return spec


# ---- the problem, resolved --------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A spec made concrete: the resolved base preset, horizon, states, seeds and budget."""

    spec: DesignSpec
    days: int
    residents: int  # of the design's city
    budget: float  # CNY for the design's city over the horizon
    states: tuple[dict[str, Any], ...]
    seeds: tuple[int, ...]
    home: dict[str, Any]  # the design's city's own parameters: the fund
    grids: dict[str, Grid]  # each parameter lever's, in the spec's order
    status_quo: dict[str, float | int]  # each parameter lever at the city's value (its grid's)

    @property
    def scale(self) -> float:
        return self.residents / COST_UNIT_RESIDENTS

    def sign(self, name: str) -> float:
        """+1 for an objective minimised, -1 for one maximised."""
        return 1.0 if direction(self.spec, name) == "min" else -1.0


def direction(spec: DesignSpec, name: str) -> str:
    """'min' or 'max': the spec's, or the outcome's declared direction."""
    given = spec.objectives[name].direction
    if given != "declared":
        return given
    return "min" if OUTCOME_BY_NAME[name].direction == "lower" else "max"


def sense(spec: DesignSpec, name: str) -> str:
    """'min' or 'max': the direction of the objective's robust value. A regret is minimised and
    a share of states meeting a threshold maximised, whatever the outcome's direction; the other
    measures keep it."""
    robustness = spec.objectives[name].robustness
    if robustness == "regret":
        return "min"
    if robustness == "share":
        return "max"
    return direction(spec, name)


def load_base(spec: DesignSpec) -> Any:
    """The base preset with the spec's overrides (before the budget's fund)."""
    from scenarios import load_preset

    return load_preset(spec.preset).with_overrides(spec.overrides, "overrides")


def resolve(spec: DesignSpec) -> Problem:
    preset = load_base(spec)
    plan = next((c for c in preset.cities if c.name == spec.city), None)
    params = preset.parameters if plan is None else preset.city_parameters(plan)
    residents = int(params.n_citizens)
    scale = residents / COST_UNIT_RESIDENTS
    b = spec.budget
    budget = b.cny if b.cny is not None else b.per_10k_residents * scale
    home = {"reform_reserve": budget / scale} if b.fund_holds_budget else {}
    grids = {
        name: lever_grid(name, lo, hi, float(getattr(params, name)))
        for name, (lo, hi) in spec.parameter_levers.items()
    }
    status_quo = {name: grid.nearest(float(getattr(params, name))) for name, grid in grids.items()}
    return Problem(
        spec,
        spec.days or preset.days,
        residents,
        float(budget),
        sample_states(spec.states),
        tuple(range(STATE_SEED_OFFSET, STATE_SEED_OFFSET + spec.seeds)),
        home,
        grids,
        status_quo,
    )


def sample_states(states: States) -> tuple[dict[str, Any], ...]:
    """The states of the world: ({},) for the reference state, else a Latin hypercube sample."""
    if not states.sample:
        return ({},)
    from scipy.stats import qmc

    names = list(states.parameters) + [RIVAL + key for key in states.rivals]
    ranges = [parameter_range(n, states.parameters[n]) for n in states.parameters]
    ranges += list(states.rivals.values())
    unit = qmc.LatinHypercube(d=len(names), seed=states.seed).random(states.sample)
    out = []
    for row in unit:
        state = {}
        for name, (lo, hi), u in zip(names, ranges, row, strict=True):
            value = lo + u * (hi - lo)
            whole = name.startswith(RIVAL) or param_info(name).type is int
            state[name] = round(value) if whole else float(f"{value:.4g}")
        out.append(state)
    return tuple(out)


NO_REFORM = "no reform"  # the label of a package without reforms (parameter levers may follow)
RIVAL = "rival."  # a state's key for the day a reform starts in every rival city


@dataclass(frozen=True)
class Package:
    """A choice of reforms: (key, intensity, start) of each switched on, in the spec's order;
    and the value of each parameter lever, (name, value), in the spec's order."""

    reforms: tuple[tuple[str, float, int], ...]
    settings: tuple[tuple[str, float | int], ...] = ()

    def policy(self) -> list[dict[str, Any]]:
        return [{"type": k, "start": s, "intensity": i} for k, i, s in self.reforms]

    def overrides(self) -> dict[str, float | int]:
        """The parameter levers' values, as a preset's overrides."""
        return dict(self.settings)

    def label(self) -> str:
        """The package by its reforms' keys: its name in trials, fronts and logs."""
        return self._spelt(lambda key: key, "en")

    def words(self, lang: str = "en") -> str:
        """The package for people: each reform by its name in `lang` (en, zh)."""
        return self._spelt(
            lambda key: REGISTRY[key].label_zh if lang == "zh" else REGISTRY[key].label_en, lang
        )

    def _spelt(self, name: Callable[[str], str], lang: str) -> str:
        """Each reform (`name` of its key), intensity and start day, then the parameter
        levers' values."""
        zh = lang == "zh"
        text = ("不改革" if zh else NO_REFORM) if not self.reforms else ""
        text += ("、" if zh else ", ").join(
            f"{name(k)} {i:.2f}" + ((f"（第{s}天起）" if zh else f" from day {s}") if s else "")
            for k, i, s in self.reforms
        )
        if self.settings:
            text += ("；" if zh else "; ") + ", ".join(f"{n} = {v:g}" for n, v in self.settings)
        return text


@dataclass(frozen=True)
class Grid:
    """The values a parameter lever is searched on: low, low + step, ..., high, from one end of
    the lever's range to the other (`lever_grid` chooses the step)."""

    low: float
    high: float
    step: float
    integer: bool

    @property
    def steps(self) -> int:
        return round((self.high - self.low) / self.step)

    def nearest(self, value: float) -> float | int:
        k = min(self.steps, max(0, round((value - self.low) / self.step)))
        value = self.low + k * self.step
        return round(value) if self.integer else round(value, 10)

    def suggest(self, trial: Any, name: str) -> float | int:
        if self.integer:
            return trial.suggest_int(name, round(self.low), round(self.high), step=round(self.step))
        return trial.suggest_float(name, self.low, self.high, step=self.step)


MAX_STEPS = 5 * SETTING_STEPS  # a grid finer than this is not worth the search's time


def _on(value: float, low: float, step: float) -> bool:
    k = (value - low) / step
    return abs(k - round(k)) < 1e-9


def lever_grid(name: str, low: float, high: float, current: float) -> Grid:
    """The grid of a parameter lever of range [low, high] in a city where it is `current`: both
    ends of the range are on it, and so is the city's value when it lies in the range (the
    status quo is then one of the packages). The step is the round number (1, 2, 2.5 or 5 times a
    power of ten) nearest a SETTING_STEPS-th of the range that allows this; failing that, the
    range divided into between SETTING_STEPS and MAX_STEPS equal steps; failing that,
    SETTING_STEPS equal steps, and the status quo is the point nearest the city's value. An
    integer parameter takes whole steps only."""
    integer = param_info(name).type is int
    if integer:
        low, high = math.ceil(low), math.floor(high)
    span = high - low
    inside = low <= current <= high

    def fits(step: float) -> bool:
        n = span / step
        whole = not integer or abs(step - round(step)) < 1e-9
        return (
            whole
            and abs(n - round(n)) < 1e-9
            and round(n) <= MAX_STEPS
            and (not inside or _on(current, low, step))
        )

    target = span / SETTING_STEPS
    power = 10.0 ** math.floor(math.log10(target))
    nice = [m * power * 10.0**e for e in (-2, -1, 0, 1) for m in (1, 2, 2.5, 5)]
    for step in sorted(nice, key=lambda x: (abs(math.log(x / target)), -x)):
        if fits(step):
            return Grid(low, high, step, integer)
    for n in range(SETTING_STEPS, MAX_STEPS + 1):
        if fits(span / n):
            return Grid(low, high, span / n, integer)
    if integer:
        n = min(
            (d for d in range(1, span + 1) if span % d == 0),
            key=lambda d: abs(d - SETTING_STEPS),
        )
        return Grid(low, high, span // n, integer)
    return Grid(low, high, span / SETTING_STEPS, integer)


def setting_value(name: str, value: Any) -> float | int:
    """A stored trial's value of a parameter lever, as the parameter's type (and short)."""
    return round(float(value)) if param_info(name).type is int else float(f"{float(value):.6g}")


def package_cost(problem: Problem, package: Package) -> float:
    """Set-up plus running costs over the horizon, CNY for the whole city (as the government
    pays them: costs are declared per 10,000 residents; intensity does not change them)."""
    total = 0.0
    for entry in package.policy():
        reform = build_intervention(entry)
        if reform.start >= problem.days:
            continue
        total += reform.setup_cost + reform.daily_cost * (problem.days - reform.start)
    return total * problem.scale


def suggest(trial: Any, problem: Problem) -> Package:
    """The package a trial asks for (every lever's dimensions are always suggested, so the
    search space is the same for every trial, as NSGA-II wants)."""
    spec = problem.spec
    chosen = []
    for key, lever in spec.reform_levers.items():
        on = trial.suggest_categorical(key, [False, True])
        lo, hi = lever.intensity
        if hi > lo:
            step = spec.intensity_step if hi - lo >= spec.intensity_step else None
            intensity = trial.suggest_float(f"{key}.intensity", lo, hi, step=step)
        else:
            intensity = hi
        start = 0
        if lever.start is not None and lever.start[1] > lever.start[0]:
            start = trial.suggest_int(f"{key}.start", lever.start[0], lever.start[1])
        elif lever.start is not None:
            start = lever.start[0]
        if on:
            chosen.append((key, round(float(intensity), 4), int(start)))
    settings = tuple(
        (name, setting_value(name, grid.suggest(trial, name)))
        for name, grid in problem.grids.items()
    )
    return Package(tuple(chosen), settings)


def unseen_neighbour(
    problem: Problem, params: dict[str, Any], seen: set[str], rng: np.random.Generator
) -> dict[str, Any] | None:
    """The parameters of a package near `params` that is not in `seen` (labels): one lever
    changed, chosen at random (a reform switched on or off, a parameter lever moved one step of
    its grid); failing that two, then three...; None when `NEIGHBOUR_TRIES` draws find only
    packages seen."""
    spec, grids = problem.spec, problem.grids
    keys = list(spec.levers)
    for attempt in range(NEIGHBOUR_TRIES):
        flips = min(len(keys), 1 + attempt // 10)
        near = dict(params)
        for key in map(str, rng.choice(keys, size=flips, replace=False)):
            if key in grids:
                move = grids[key].step * rng.choice([-1, 1])
                value = grids[key].nearest(near[key] + move)
                if value == near[key]:  # at an end of its range: the other way
                    value = grids[key].nearest(near[key] - move)
                near[key] = value
            else:
                near[key] = not near[key]
        if package_of(near, spec).label() not in seen:
            return near
    return None


def package_of(params: dict[str, Any], spec: DesignSpec) -> Package:
    """The package of a stored trial's parameters."""
    chosen = []
    for key, lever in spec.reform_levers.items():
        if not params.get(key, False):
            continue
        intensity = params.get(f"{key}.intensity", lever.intensity[1])
        start = params.get(f"{key}.start", lever.start[0] if lever.start else 0)
        chosen.append((key, round(float(intensity), 4), int(start)))
    settings = tuple((n, setting_value(n, params[n])) for n in spec.parameter_levers)
    return Package(tuple(chosen), settings)


# ---- runs -------------------------------------------------------------------------------------


def run_key(package: Package, state: dict[str, Any], seed: int) -> str:
    made = [package.policy(), sorted(state.items()), seed]
    if package.settings:  # (a package of reforms alone keeps the key it always had)
        made.append(sorted(package.settings))
    text = json.dumps(made, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class RunJob:
    """One run of a package in one state on one seed: what `simulate_package` needs (plain
    data, sent to worker processes)."""

    key: str  # the run's name in the store (`run_key`)
    preset: str
    overrides: dict[str, Any]  # every city's parameters: the spec's overrides, the state's
    home: dict[str, Any]  # the design's city's own: the fund, the parameter levers
    city: str | None  # the design's city in a preset of several (None: the preset's one city)
    policy: list[dict[str, Any]]  # the package's reforms, for the design's city
    rivals: dict[str, int]  # reform: its start day in every other city (the state's)
    days: int
    seed: int
    outcomes: list[str]


def run_job(problem: Problem, package: Package, state: dict[str, Any], seed: int) -> RunJob:
    spec = problem.spec
    params = {k: v for k, v in state.items() if not k.startswith(RIVAL)}
    rivals = {k.removeprefix(RIVAL): int(v) for k, v in state.items() if k.startswith(RIVAL)}
    return RunJob(
        run_key(package, state, seed),
        spec.preset,
        {**spec.overrides, **params},
        {**problem.home, **package.overrides()},
        spec.city,
        package.policy(),
        rivals,
        problem.days,
        seed,
        list(spec.objectives),
    )


def job_preset(job: RunJob) -> Any:
    """The preset a run builds: the base preset with the overrides; the design's city with its
    own parameters and the package's reforms; every other city with the state's rival reforms
    (those that start before the horizon)."""
    from scenarios import load_preset
    from scenarios.loader import CityPlan

    base = load_preset(job.preset).with_overrides(job.overrides, "design")
    reforms = tuple(build_intervention(p) for p in job.policy)
    if not base.cities:
        preset = base.with_overrides(job.home, "design")
        return replace(preset, policy=(*preset.policy, *reforms))
    rivals = tuple(
        build_intervention({"type": key, "start": day})
        for key, day in job.rivals.items()
        if day < job.days
    )
    plans = tuple(
        CityPlan(c.name, {**c.parameters, **job.home}, (*c.policy, *reforms))
        if c.name == job.city
        else CityPlan(c.name, dict(c.parameters), (*c.policy, *rivals))
        for c in base.cities
    )
    return replace(base, cities=plans)


def simulate_package(job: RunJob) -> tuple[str, dict[str, Any]]:
    """One run of a package in one state on one seed: the design's city's outcomes, how many
    reform events its fund held back (and the rivals' funds held back theirs: a rival reform
    held back is a state that did not happen as drawn), and its peak counter staff per 10,000
    residents."""
    from agents.government import FUND_SHORT
    from experiments.one_run import advance

    model = job_preset(job).build(job.seed)
    advance(model, job.days)
    names = [city.name for city in model.cities]
    city = model.cities[names.index(job.city) if job.city is not None else 0]
    summary = city.summary()
    held = {
        c.name: sum(what in FUND_SHORT for _, _, what in c.government.events) for c in model.cities
    }
    short = held[city.name]
    values = {name: _finite(summary.get(name)) for name in job.outcomes}
    staff = city.ledger.level["staff"][: job.days]
    residents = city.p.n_citizens * city.weight  # as staff are
    peak = float(np.nanmax(staff)) * COST_UNIT_RESIDENTS / residents if len(staff) else None
    return job.key, {
        "values": values,
        "fund_short": short,
        "rival_fund_short": sum(held.values()) - short,
        "staff_peak": _finite(peak),
    }


def _finite(value: Any) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)


def robust(values: np.ndarray, measure: str, sign: float, threshold: float | None = None) -> float:
    """One value from the per-state values: the mean, the worst, the pNN percentile (the value
    met or beaten in NN% of the states), or the share of the states meeting `threshold` (at or
    below it when minimised, sign +1; at or above when maximised, sign -1). A regret needs the
    other packages: see `regret`."""
    if measure == "mean":
        return float(np.mean(values))
    if measure == "worst":
        return float(np.max(values) if sign > 0 else np.min(values))
    if measure == "share":
        if threshold is None:
            raise ValueError("robustness 'share' needs a threshold")
        return float(np.mean(values * sign <= threshold * sign))
    if measure == "regret":
        raise ValueError("a regret needs the best package per state: use regret()")
    q = float(ROBUSTNESS.match(measure).group(2))
    return float(np.percentile(values, q if sign > 0 else 100 - q))


def regret(values: np.ndarray, best: np.ndarray, sign: float) -> float:
    """The largest regret over the states (Savage's minimax regret): in each state, how far the
    package falls short of the best package known in that state (never below 0)."""
    return float(np.max(np.maximum(0.0, (values - best) * sign)))


def best_per_state(problem: Problem, packages: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """For each regret objective, the best value in each state over `packages` (their
    attributes as `evaluate` gives them: `NAME.states`, each state's mean over the seeds)."""
    best: dict[str, np.ndarray] = {}
    for name, objective in problem.spec.objectives.items():
        if objective.robustness != "regret":
            continue
        rows = [a[f"{name}.states"] for a in packages if a.get(f"{name}.states") is not None]
        if rows:
            table = np.array(rows, dtype=float) * problem.sign(name)
            best[name] = table.min(axis=0) * problem.sign(name)
    return best


def with_regrets(
    problem: Problem, attrs: dict[str, Any], best: dict[str, np.ndarray]
) -> dict[str, Any]:
    """`attrs` with each regret objective's value against `best` (NaN without one)."""
    out = dict(attrs)
    for name, objective in problem.spec.objectives.items():
        if objective.robustness == "regret":
            per_state = np.array(attrs[f"{name}.states"], dtype=float)
            if name in best:
                reference = problem.sign(name) * np.minimum(
                    best[name] * problem.sign(name), per_state * problem.sign(name)
                )
                out[name] = regret(per_state, reference, problem.sign(name))
            else:
                out[name] = 0.0
    return out


def evaluate(problem: Problem, runs: dict[tuple[int, int], dict]) -> dict[str, Any] | None:
    """A package's objectives from its runs (by (state, seed)): per state the mean over seeds
    (kept as `NAME.states`), then the robustness measure over states (a regret objective: 0
    here, against itself; `with_regrets` sets it against the other packages); with an interval
    of the outcome over every state and seed; the peak counter staff. None when an outcome could
    not be measured in some state."""
    attrs: dict[str, Any] = {}
    for name, objective in problem.spec.objectives.items():
        per_state = []
        every = []
        for s in range(len(problem.states)):
            got = [runs[(s, seed)]["values"][name] for seed in problem.seeds]
            got = [v for v in got if v is not None]
            if not got:
                return None
            per_state.append(float(np.mean(got)))
            every += got
        arr = np.array(per_state)
        attrs[f"{name}.states"] = per_state
        if objective.robustness == "regret":
            attrs[name] = 0.0
        else:
            attrs[name] = robust(arr, objective.robustness, problem.sign(name), objective.threshold)
        attrs[f"{name}.mean"] = float(np.mean(every))
        attrs[f"{name}.low"], attrs[f"{name}.high"] = (
            float(v) for v in np.percentile(every, INTERVAL)
        )
    attrs["fund_short"] = float(sum(r["fund_short"] for r in runs.values()))
    attrs["rival_fund_short"] = float(sum(r.get("rival_fund_short", 0) for r in runs.values()))
    peaks = [r.get("staff_peak") for r in runs.values()]
    attrs["staff_peak"] = max((p for p in peaks if p is not None), default=math.nan)
    return attrs


# ---- the folder -------------------------------------------------------------------------------

FINGERPRINT = "optimise.json"
RUNS = "runs"
OUTPUTS = (FINGERPRINT, "study.sqlite", RUNS, "pareto.parquet", "trials.parquet")
OUTPUTS += ("packages", "report.html", "states.csv")
BUDGET_FIELDS = ("description", "trials")


def fingerprint(spec: DesignSpec) -> dict[str, Any]:
    """What made an optimisation's stored trials: code (the model's and this module's), spec (bar
    its trial budget), preset."""
    from scenarios import load_preset

    made = {
        "govsim": package_versions()["govsim"],
        # this module decides what a stored run means (the city it reads, where a package goes)
        "code": code_fingerprint("experiments/optimise.py"),
        "libraries": library_versions(),
        "spec": {k: v for k, v in spec.model_dump(mode="json").items() if k not in BUDGET_FIELDS},
        "presets": {spec.preset: preset_fingerprint(load_preset(spec.preset))},
    }
    return json.loads(json.dumps(made, default=str))


@contextmanager
def design_folder(spec: DesignSpec, out: Path, fresh: bool = False) -> Iterator[None]:
    """Hold `out` for one optimisation: one writer at a time; stored trials resume only when the
    code, spec and preset that made them are unchanged; `fresh` deletes them first."""
    with search_folder(out, fingerprint(spec), FINGERPRINT, OUTPUTS, "optimisation", fresh):
        yield


class DesignError(FolderError):
    """An optimisation that cannot go on (workers keep dying)."""


LOST_LIMIT = 5


@dataclass
class Progress:
    """What the progress bar shows."""

    trials: int  # trials finished (feasible or not)
    total: int
    simulated: int  # runs done in this session
    reused: int  # runs found stored (a resumed optimisation)
    hypervolume: float  # of the current front, NaN until the reference point is fixed


def package_runs(
    spec: DesignSpec, problem: Any, package: Package, runs_dir: Path
) -> tuple[dict[tuple[int, int], dict], list[tuple[tuple[int, int], RunJob]]]:
    """A package's runs on every (state, seed): those already stored in `runs_dir`, and the
    jobs (for `_numbered`) that simulate the rest."""
    stored: dict[tuple[int, int], dict] = {}
    jobs = []
    for s, state in enumerate(problem.states):
        for seed in problem.seeds:
            job = run_job(problem, package, state, seed)
            run = _stored_run(runs_dir / f"{job.key}.json")
            if run is not None and (spec.staff_cap is None or run.get("staff_peak") is not None):
                stored[(s, seed)] = run
                continue
            jobs.append(((s, seed), job))
    return stored, jobs


def _stored_run(path: Path) -> dict | None:
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return run if isinstance(run, dict) and {"values", "fund_short"} <= set(run) else None


def make_sampler(spec: DesignSpec) -> Any:
    """The spec's sampler: NSGA-II with its population, or multi-objective TPE (multivariate, so
    that it learns which reforms go well together; its first `population` packages random).
    Both rank a package over budget (or over the staff cap) below any within it: they read the
    constraints each trial sets (`trial.set_constraint`)."""
    import optuna

    if spec.sampler == "tpe":
        return optuna.samplers.TPESampler(
            n_startup_trials=spec.population,
            multivariate=True,
            seed=spec.sampler_seed,
        )
    return optuna.samplers.NSGAIISampler(population_size=spec.population, seed=spec.sampler_seed)


def open_study(spec: DesignSpec, out: Path) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out.mkdir(parents=True, exist_ok=True)
    return optuna.create_study(
        study_name=STUDY,
        storage=f"sqlite:///{out / 'study.sqlite'}",
        load_if_exists=True,
        sampler=make_sampler(spec),
        directions=["minimize" if sense(spec, n) == "min" else "maximize" for n in spec.objectives],
    )


EXHAUSTED = "exhausted_after"  # study attribute: the search stopped early, at this many trials
REPEAT_LIMIT = 50  # packages asked again in a row before the search is taken to be exhausted
NEIGHBOUR_TRIES = 50


def optimise(
    spec: DesignSpec,
    out: Path,
    evaluator: Evaluator,
    progress: Callable[[Progress], None] | None = None,
) -> Any:
    """Run (or resume) the search on `evaluator`'s workers; returns the study.

    Every package is evaluated at most once: a package the sampler asks again is told as a
    failed trial (marked `repeat`), which neither sampler learns from, and its nearest unseen
    neighbour (`unseen_neighbour`) is asked next, so `trials` counts distinct packages. After
    `REPEAT_LIMIT` repeats in a row the search stops early (the space is exhausted, or the
    sampler has converged)."""
    import warnings

    import optuna
    from optuna.trial import TrialState

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    problem = resolve(spec)
    study = open_study(spec, out)
    runs_dir = out / RUNS
    runs_dir.mkdir(exist_ok=True)
    for stale in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        # Killed mid-trial: the same package is asked again, and finds its finished runs stored.
        study.enqueue_trial(stale.params, skip_if_exists=False)
        study.tell(stale.number, state=TrialState.FAIL)
    if not study.trials:
        for params in starting_packages(problem):
            study.enqueue_trial(params)
    outcomes = list(spec.objectives)
    runs_per_trial = len(problem.states) * len(problem.seeds)
    batch_size = max(1, math.ceil(2 * evaluator.workers / runs_per_trial))
    counts = {"simulated": 0, "reused": 0}
    lost_in_a_row = 0
    completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    seen = {package_of(t.params, spec).label() for t in completed}
    evaluated = [dict(t.user_attrs) for t in completed if t.user_attrs.get("simulated")]
    best = best_per_state(problem, evaluated)
    repeats = 0
    rng = np.random.default_rng([spec.sampler_seed, len(study.trials)])

    def done() -> int:
        return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))

    def report() -> None:
        if progress is not None:
            hv = hypervolume(spec, study)
            progress(Progress(done(), spec.trials, counts["simulated"], counts["reused"], hv))

    report()
    while done() < spec.trials and repeats < REPEAT_LIMIT:
        batch: dict[int, tuple[Any, Package]] = {}
        while len(batch) < batch_size and done() + len(batch) < spec.trials:
            trial = study.ask()
            package = suggest(trial, problem)
            label = package.label()
            if label in seen:
                # Asked again: its values are known (or it is in this batch). Told as failed
                # (neither sampler learns from it), and its nearest unseen neighbour is asked
                # instead: the samplers' own way out (mutation, TPE's randomness) is slow in a
                # small space.
                trial.set_user_attr("repeat", label)
                study.tell(trial, state=TrialState.FAIL)
                neighbour = unseen_neighbour(problem, trial.params, seen, rng)
                if neighbour is not None:
                    study.enqueue_trial(neighbour, skip_if_exists=False)
                repeats += 1
                if repeats >= REPEAT_LIMIT:
                    break
                continue
            repeats = 0
            seen.add(label)
            cost = package_cost(problem, package)
            trial.set_user_attr("cost", cost)
            trial.set_user_attr("package", label)
            trial.set_constraint("budget", (cost - problem.budget) / problem.budget)
            if cost > problem.budget * (1 + 1e-9):
                # Over budget: infeasible whatever it achieves; never simulated.
                trial.set_user_attr("simulated", False)
                if spec.staff_cap is not None:
                    trial.set_constraint("staff", 0.0)
                study.tell(trial, [0.0] * len(outcomes))
                continue
            trial.set_user_attr("simulated", True)
            batch[trial.number] = (trial, package)
        found: dict[int, dict[tuple[int, int], dict]] = {}
        jobs = []
        for number, (_, package) in batch.items():
            found[number], todo = package_runs(spec, problem, package, runs_dir)
            counts["reused"] += len(found[number])
            jobs += [((number, *where), item) for where, item in todo]
        failed: set[int] = set()
        for result in evaluator.map_unordered(_numbered, jobs):
            if isinstance(result, WorkerLost):
                failed.add(result.item[0][0])
                lost_in_a_row += 1
                if lost_in_a_row >= LOST_LIMIT:
                    raise DesignError(
                        f"{lost_in_a_row} runs in a row lost their worker process ({result.reason})"
                    )
                continue
            lost_in_a_row = 0
            (number, s, seed), (key, run) = result
            write_json(runs_dir / f"{key}.json", run)
            counts["simulated"] += 1
            found[number][(s, seed)] = run
            if progress is not None:
                progress(
                    Progress(done(), spec.trials, counts["simulated"], counts["reused"], math.nan)
                )
        for number, (trial, package) in batch.items():
            attrs = None if number in failed else evaluate(problem, found[number])
            if attrs is None:
                # Not evaluated: it may be asked again.
                seen.discard(package.label())
                trial.set_user_attr("failed", "a worker died, or an outcome was not measured")
                study.tell(trial, state=TrialState.FAIL)
                continue
            evaluated.append(attrs)
            best = best_per_state(problem, evaluated)
            attrs = with_regrets(problem, attrs, best)
            for name, value in attrs.items():
                trial.set_user_attr(name, value)
            if spec.staff_cap is not None:
                cap = spec.staff_cap.per_10k_residents
                peak = attrs["staff_peak"]
                trial.set_constraint("staff", (peak - cap) / cap if math.isfinite(peak) else 1.0)
            study.tell(trial, [attrs[name] for name in outcomes])
        fix_reference(spec, study)
        report()
    if repeats >= REPEAT_LIMIT:
        study.set_user_attr(EXHAUSTED, done())
    fix_reference(spec, study, final=True)
    report()
    return study


def _params(problem: Problem, on: set[str]) -> dict[str, Any]:
    """A trial's parameters for the package of the reforms `on`, each at its highest intensity
    (on the search's grid) and earliest start, and each parameter lever at the city's own value
    (the nearest point of its grid when outside the lever's range)."""
    spec = problem.spec
    params: dict[str, Any] = dict(problem.status_quo)
    for key, lever in spec.reform_levers.items():
        params[key] = key in on
        lo, hi = lever.intensity
        if hi > lo:
            step = spec.intensity_step if hi - lo >= spec.intensity_step else None
            top = lo + math.floor((hi - lo) / step + 1e-9) * step if step else hi
            params[f"{key}.intensity"] = round(top, 10)
        if lever.start is not None and lever.start[1] > lever.start[0]:
            params[f"{key}.start"] = lever.start[0]
    return params


def starting_packages(problem: Problem) -> list[dict[str, Any]]:
    """The first packages asked, before the sampler's own: no reform (the status quo, always
    affordable), every reform at once if the budget affords it (the two ends of a front that
    trades reform against cost), then each reform alone that the budget affords, up to a
    population. A budget that few random packages meet would otherwise leave the first
    generation all infeasible."""
    spec = problem.spec
    chosen = [_params(problem, set())]
    everything = _params(problem, set(spec.reform_levers))
    if (
        len(spec.reform_levers) > 1
        and package_cost(problem, package_of(everything, spec)) <= problem.budget
    ):
        chosen.append(everything)
    for key in spec.reform_levers:
        params = _params(problem, {key})
        if package_cost(problem, package_of(params, spec)) <= problem.budget:
            chosen.append(params)
    return chosen[: min(spec.population, spec.trials)]


def _numbered(item: tuple) -> tuple:
    tag, args = item
    return tag, simulate_package(args)


# ---- the front --------------------------------------------------------------------------------


def trials_frame(spec: DesignSpec, study: Any) -> pd.DataFrame:
    """Every finished trial: its package, cost, feasibility and objective values."""
    from optuna.trial import TrialState

    rows = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        package = package_of(t.params, spec)
        row: dict[str, Any] = {
            "trial": t.number,
            "package": package.label(),
            "cost": t.user_attrs.get("cost", math.nan),
            "feasible": all(v <= 0 for v in t.constraints.values()),
            "simulated": bool(t.user_attrs.get("simulated", False)),
        }
        chosen = {k: (i, s) for k, i, s in package.reforms}
        for key in spec.reform_levers:
            row[key] = key in chosen
            row[f"{key}.intensity"] = chosen[key][0] if key in chosen else 0.0
            row[f"{key}.start"] = chosen[key][1] if key in chosen else -1
        row |= package.overrides()
        for name in spec.objectives:
            for suffix in ("", ".mean", ".low", ".high"):
                row[name + suffix] = t.user_attrs.get(name + suffix, math.nan)
        row["fund_short"] = t.user_attrs.get("fund_short", math.nan)
        row["rival_fund_short"] = t.user_attrs.get("rival_fund_short", math.nan)
        row["staff_peak"] = t.user_attrs.get("staff_peak", math.nan)
        for name, objective in spec.objectives.items():
            if objective.robustness == "regret":
                row[f"{name}.states"] = t.user_attrs.get(f"{name}.states")
        rows.append(row)
    frame = pd.DataFrame(rows)
    for name, objective in spec.objectives.items():
        if objective.robustness == "regret" and len(frame):
            frame[name] = final_regrets(spec, name, frame.pop(f"{name}.states"))
    return frame


def final_regrets(spec: DesignSpec, name: str, states: pd.Series) -> np.ndarray:
    """Each trial's regret on `name` against the best package in each state over every package
    evaluated (the sampler was told the regret against those evaluated before it)."""
    sign = 1.0 if direction(spec, name) == "min" else -1.0
    known = [v for v in states if v is not None]
    if not known:
        return np.full(len(states), np.nan)
    best = (np.array(known, dtype=float) * sign).min(axis=0) * sign
    return np.array(
        [math.nan if v is None else regret(np.array(v, dtype=float), best, sign) for v in states]
    )


def _losses(spec: DesignSpec, frame: pd.DataFrame) -> np.ndarray:
    """Objective values as losses (maximised objectives negated)."""
    signs = np.array([1.0 if sense(spec, n) == "min" else -1.0 for n in spec.objectives])
    return frame[list(spec.objectives)].to_numpy(dtype=float) * signs


def nondominated(losses: np.ndarray) -> np.ndarray:
    """Mask of the rows no other row dominates (ties: the first of equal rows is kept)."""
    n = len(losses)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        others = np.delete(np.arange(n), i)
        le = np.all(losses[others] <= losses[i], axis=1)
        lt = np.any(losses[others] < losses[i], axis=1)
        if np.any(le & lt):
            keep[i] = False
        else:
            same = others[np.all(losses[others] == losses[i], axis=1)]
            if np.any(same < i):
                keep[i] = False
    return keep


def pareto_frame(spec: DesignSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """The Pareto packages: feasible, simulated trials that no other such trial dominates."""
    ok = frame[frame["feasible"] & frame["simulated"]] if len(frame) else frame
    if ok.empty:
        return ok
    ok = ok.dropna(subset=list(spec.objectives))
    # The same package asked twice counts once.
    ok = ok.drop_duplicates(subset="package", keep="first")
    front = ok[nondominated(_losses(spec, ok))]
    first = next(iter(spec.objectives))
    ascending = sense(spec, first) == "min"
    return front.sort_values(first, ascending=ascending, kind="stable").reset_index(drop=True)


def front_notes(problem: Problem, trials: pd.DataFrame, front: pd.DataFrame) -> list[str]:
    """Why the front is empty, or holds only packages without a reform: every package over the
    budget, or over the staff cap, said with the figures that decided it ([] when neither)."""
    if not len(trials):
        return ["no package was tried"]
    notes = []
    simulated = trials[trials["simulated"]]
    with_reform = trials[~trials["package"].str.startswith(NO_REFORM)]
    if len(simulated) and not simulated["feasible"].any() and problem.spec.staff_cap:
        lowest = simulated["staff_peak"].min()
        notes.append(
            f"no package kept counter staff within the cap of"
            f" {problem.spec.staff_cap.per_10k_residents:g} per 10,000 residents (the lowest"
            f" peak of the {len(simulated)} simulated: {lowest:.4g}); raise the cap, or add"
            " staffing levers"
        )
    if len(with_reform) and not with_reform["simulated"].any():  # none within the budget
        notes.append(
            f"every package with a reform tried was over the budget of {_cny(problem.budget)}"
            f" (the cheapest cost {_cny(with_reform['cost'].min())}): "
            + ("only the status quo fits" if len(front) else "nothing was simulated")
        )
    return notes


def _cny(amount: float) -> str:
    return f"{amount:,.0f} CNY" if abs(amount) >= 100 else f"{amount:.3g} CNY"  # arithmetic


REFERENCE = "hv_reference"
REFERENCE_MARGIN = 0.1


def fix_reference(spec: DesignSpec, study: Any, final: bool = False) -> None:
    """Fix the hypervolume's reference point once a population of feasible packages is known
    (or at the end): per objective, the worst of them plus a tenth of their range. Stored in the
    study, so a resumed optimisation measures convergence against the same point."""
    if REFERENCE in study.user_attrs:
        return
    frame = trials_frame(spec, study)
    ok = frame[frame["feasible"] & frame["simulated"]] if len(frame) else frame
    if len(ok) < (1 if final else spec.population):
        return
    losses = _losses(spec, ok.dropna(subset=list(spec.objectives)))
    if not len(losses):
        return
    worst, best = losses.max(axis=0), losses.min(axis=0)
    span = np.where(worst > best, worst - best, np.maximum(np.abs(worst), 1.0))
    study.set_user_attr(
        REFERENCE, {"point": (worst + REFERENCE_MARGIN * span).tolist(), "scale": span.tolist()}
    )


def hypervolume(spec: DesignSpec, study: Any, frame: pd.DataFrame | None = None) -> float:
    """The hypervolume of the current front (losses scaled by the reference's spans, so each
    objective counts alike), against the fixed reference point; NaN before it is fixed."""
    ref = study.user_attrs.get(REFERENCE)
    if ref is None:
        return math.nan
    frame = trials_frame(spec, study) if frame is None else frame
    front = pareto_frame(spec, frame)
    if front.empty:
        return 0.0
    point, scale = np.array(ref["point"]), np.array(ref["scale"])
    losses = _losses(spec, front) / scale
    r = point / scale
    inside = losses[np.all(losses < r, axis=1)]
    if not len(inside):
        return 0.0
    from optuna._hypervolume import compute_hypervolume  # exact (WFG); pinned optuna

    return float(compute_hypervolume(inside, r))


# ---- the packages as presets ------------------------------------------------------------------


def package_preset_text(
    problem: Problem, row: pd.Series, number: int, catalogue: Path | None = None
) -> str:
    """A preset that `govsim run FILE` accepts: the run of the package in the reference state
    (the base preset, the spec's overrides, the design's city with its fund, parameter levers
    and reforms), as a preset file with the package's figures in its comments; `catalogue`:
    the base preset's own catalogue file, if it has one (`catalogue_file`)."""
    from scenarios.preset_files import preset_text

    spec = problem.spec
    reforms = spec.reform_levers
    package = package_of(
        {k: row[k] for k in reforms}
        | {f"{k}.intensity": row[f"{k}.intensity"] for k in reforms}
        | {f"{k}.start": row[f"{k}.start"] for k in reforms}
        | {n: row[n] for n in spec.parameter_levers},
        spec,
    )
    preset = job_preset(run_job(problem, package, {}, 0))
    where = f" in {spec.city}" if spec.city else ""
    preset = replace(
        preset,
        description=f"Pareto package {number}{where}: {package.words()}",
        description_zh=f"帕累托方案 {number}{f'（{spec.city}）' if spec.city else ''}："
        + package.words("zh"),
        days=problem.days,
    )
    objectives = "; ".join(
        f"{n} {measure_word(spec, n)}{row[n]:.4g} [{row[n + '.low']:.4g}, {row[n + '.high']:.4g}]"
        for n in spec.objectives
    )
    comments = [
        f"Pareto package {number} of `govsim optimise` ({spec.description});"
        f" trial {int(row['trial'])}",
        f"reform cost over {problem.days} days: {row['cost']:,.0f} CNY of a budget of"
        f" {problem.budget:,.0f} CNY ({problem.residents:,} residents{where})",
        f"objectives ({len(problem.states)} state(s) x {len(problem.seeds)} seed(s),"
        f" 5-95% interval): {objectives}",
        "The reference state of the world; explore others with govsim run FILE --set NAME=VALUE"
        + (
            f" (the {len(problem.states)} states the package was judged in: states.csv in the"
            " design's folder)"
            if problem.spec.states.sample
            else ""
        ),
    ]
    return preset_text(preset, comments, catalogue)


def catalogue_file(preset_name: str) -> Path | None:
    """The service catalogue file a preset names (None: the default catalogue)."""
    from scenarios import load_preset

    base = load_preset(preset_name)
    if base.source is None:
        return None
    _, data = read_toml(base.source)
    return (base.source.parent / data["catalogue"]).resolve() if "catalogue" in data else None


def measure_word(spec: DesignSpec, name: str) -> str:
    """'regret ' or 'share ' before a value that is not the outcome's own (its interval is)."""
    robustness = spec.objectives[name].robustness
    return f"{robustness} " if robustness in ("regret", "share") else ""


def write_packages(problem: Problem, front: pd.DataFrame, folder: Path) -> list[Path]:
    """One preset per Pareto package in `folder` (earlier ones removed)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    catalogue = catalogue_file(problem.spec.preset)  # (read once, not per package)
    paths = []
    for k, (_, row) in enumerate(front.iterrows(), start=1):
        path = folder / f"package_{k:02d}.toml"
        write_text(path, package_preset_text(problem, row, k, catalogue))
        paths.append(path)
    return paths
