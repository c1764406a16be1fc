"""Calibration: fit uncertain parameters to observed history on a dated timeline, and test the fit
on history it never saw.

A calibration spec (TOML) names a timeline preset and its day 0, the observed facts to fit and to
hold out (rows of a targets file: `scenarios/targets/history.csv`), the free parameters with
their ranges (their declared ranges unless given), the city size and the budget. Each trial runs
the timeline with one parameter set on a few seeds and reads the model's measure of each target
at the target's date; the loss is the sum of squared errors in units of each target's tolerance.
The search is Optuna's TPE sampler (Bergstra et al. 2011), a fast point fit, stored in SQLite in
the output folder so that a killed calibration resumes where it stopped; the held-out check runs
the best parameter set over the whole timeline on more seeds and prints each held-out target
against the model's 90% interval.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from experiments.atomic import write_json
from experiments.design import check_ranged_parameter, parameter_range
from experiments.evaluators import Evaluator, WorkerLost
from experiments.manifest import code_fingerprint, library_versions, preset_fingerprint
from experiments.manifest import versions as package_versions
from experiments.result_folder import FolderError
from experiments.search_folder import search_folder
from experiments.targets_file import TargetsError, read_targets
from model.ledger import combine
from scenarios.paths import TARGETS_DIR
from scenarios.toml_files import line_of, read_toml
from world.errors import ParameterError, first_problem
from world.parameters import Parameters, param_info

DEFAULT_TARGETS = TARGETS_DIR / "history.csv"
# What a target's indicator is measured by in the model: the start-up outcomes (Doing Business).
MEASURES = {
    "Doing Business starting a business: time (days)": "start_business_days",
    "Doing Business starting a business: procedures (number)": "start_business_procedures",
}
# A Doing Business figure is the time a firm starting on the edition's date would take, so the
# model's is the median over start-ups begun in the window after that date, read this many days
# after the window closes (when all but the slowest have finished).
COHORT_TAIL_DAYS = 180
DB_MONTH = 6  # a Doing Business edition measures the regulations of about June the year before
STUDY = "calibration"
# Seeds of the checks, apart from the fit's (0, 1, ...): the held-out runs at a point fit, and
# the posterior predictive draws.
HOLDOUT_SEEDS, PREDICTIVE_SEEDS = 1000, 2000


class CalibrationSpec(BaseModel):
    """A calibration, as its TOML file says it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field(min_length=1)
    preset: str
    day_zero: dt.date = Field(description="The calendar date of the preset's day 0")
    targets: Path = DEFAULT_TARGETS
    place: str = "Shanghai"
    fit: tuple[str, ...] = Field(min_length=1, description="Editions fitted (DB2006, ...)")
    holdout: tuple[str, ...] = Field((), description="Editions held out for validation")
    indicators: tuple[str, ...] = tuple(MEASURES)
    parameters: dict[str, list[float] | str] = Field(min_length=1)
    trials: int = Field(40, ge=1, le=100_000)
    seeds: int = Field(2, ge=1, le=100)
    holdout_seeds: int = Field(10, ge=2, le=1000)
    window_days: int = Field(180, ge=1, le=3650, description="Window of each model measure")
    tolerance: float = Field(0.1, gt=0, description="A target's tolerance: this share of it")
    min_tolerance: float = Field(2.0, gt=0, description="...and at least this much")
    overrides: dict[str, Any] = Field(default_factory=dict)
    sampler_seed: int = 0
    method: Literal["optuna", "abc"] = Field(
        "optuna", description="optuna: a point fit; abc: a posterior by ABC-SMC (pyabc)"
    )
    population: int = Field(30, ge=5, le=100_000, description="ABC: particles per generation")
    generations: int = Field(3, ge=1, le=100, description="ABC: generations (SMC steps)")
    predictive: int = Field(20, ge=2, le=10_000, description="ABC: posterior predictive draws")
    min_acceptance: float = Field(
        0.05, gt=0, le=1, description="ABC: stop when fewer proposals than this are accepted"
    )
    max_simulations: int = Field(
        2000, ge=1, le=10_000_000, description="ABC: stop after this many simulations in all"
    )

    @field_validator("indicators")
    @classmethod
    def _measured(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if name not in MEASURES:
                known = "; ".join(f"'{k}'" for k in MEASURES)
                raise ValueError(f"the model has no measure of {name!r} (it measures: {known})")
        return value

    @field_validator("parameters")
    @classmethod
    def _known(cls, value: dict) -> dict:
        for name, given in value.items():  # what nobody knows for sure is fitted to history
            why = "a calibration fits uncertain parameters only; give its value under [overrides]"
            check_ranged_parameter(name, given, "uncertainty", why)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CalibrationSpec:
        both = sorted(set(self.fit) & set(self.holdout))
        if both:
            raise ValueError(
                f"holdout: {', '.join(both)} also in fit: a held-out edition is not fitted"
            )
        return self


# The settings only one method reads: giving one to the other is a mistake, not a no-op.
OPTUNA_ONLY = ("trials",)
ABC_ONLY = ("population", "generations", "predictive", "min_acceptance", "max_simulations")


@dataclass(frozen=True)
class Target:
    """One observed fact fitted or held out: what, when (model day), its value and tolerance."""

    key: str
    edition: str
    outcome: str
    day: int
    value: float
    tolerance: float


def load_spec(path: str | Path) -> CalibrationSpec:
    """Read and validate a calibration spec; any problem is one ParameterError line."""
    path = Path(path)
    if not path.exists():
        raise ParameterError(f"{path}: no such calibration spec")
    text, data = read_toml(path, ParameterError)
    try:
        spec = CalibrationSpec(**data)
    except ValidationError as exc:
        problem = first_problem(exc)
        line = line_of(text, problem.loc)
        where = f"{path}:{line}" if line else str(path)
        raise ParameterError(f"{where}: {problem.dotted or 'spec'}: {problem.message}") from None

    def fail(loc: tuple, message: str) -> ParameterError:
        line = line_of(text, loc)
        return ParameterError(f"{path}:{line}: {message}" if line else f"{path}: {message}")

    # a setting the spec's method does not read is a slip, not a no-op (checked on the file as
    # written: a stored spec holds every setting)
    other = ABC_ONLY if spec.method == "optuna" else OPTUNA_ONLY
    stray = [key for key in other if key in data]
    if stray:
        method = "abc" if spec.method == "optuna" else "optuna"
        raise fail(
            (stray[0],),
            f"{', '.join(stray)}: for method {method} only, and this spec's method is"
            f" {spec.method!r}",
        )
    from scenarios import load_preset

    try:
        preset = load_preset(spec.preset)
    except ParameterError as exc:
        raise fail(("preset",), f"preset: {exc}") from None
    for name, value in spec.overrides.items():  # applied as every trial applies them
        try:
            preset = preset.with_overrides({name: value}, "overrides")
        except ParameterError as exc:
            raise fail(("overrides", name), str(exc)) from None
    if not spec.targets.is_absolute():
        spec = spec.model_copy(update={"targets": (path.parent / spec.targets).resolve()})
    return spec


def edition_day(edition: str, day_zero: dt.date) -> int:
    """The model day a Doing Business edition measures: about June of the year before."""
    year = int(edition.removeprefix("DB")) - 1
    return (dt.date(year, DB_MONTH, 1) - day_zero).days


def measure_day(row: Any, day_zero: dt.date) -> int:
    """The model day a target row measures: its `period` when that is a date (2018-05-01),
    else the edition's June of the year before."""
    period = str(row.period) if not pd.isna(row.period) else ""
    try:
        return (dt.date.fromisoformat(period) - day_zero).days
    except ValueError:
        return edition_day(row.edition, day_zero)


def targets(spec: CalibrationSpec, editions: Sequence[str]) -> list[Target]:
    """The targets file's rows for `editions` at the spec's place, with the model's measure.
    The file is checked (`read_targets`); one fact given twice, or a date outside the timeline,
    is refused in one line naming the rows."""
    from scenarios import load_preset

    table = read_targets(spec.targets, MEASURES)
    rows = table[
        (table["place"] == spec.place)
        & table["edition"].isin(editions)
        & table["indicator"].isin(spec.indicators)
        & table["value"].notna()
    ]
    twice = rows[rows.duplicated(["edition", "indicator"], keep=False)]
    if len(twice):
        first = twice.iloc[0]
        same = twice[
            (twice["edition"] == first["edition"]) & (twice["indicator"] == first["indicator"])
        ]
        raise TargetsError(
            f"{spec.targets}: rows {', '.join(str(r) for r in same['row'])} ("
            f"{', '.join(same['key'])}) give the same fact ({first['indicator']}, {spec.place},"
            f" {first['edition']}): keep one"
        )
    horizon = load_preset(spec.preset).days
    found = []
    for row in rows.itertuples():
        day = measure_day(row, spec.day_zero)
        if not 0 <= day < horizon:
            when = spec.day_zero + dt.timedelta(days=day)
            side = "before its day 0" if day < 0 else f"after its last day ({horizon - 1})"
            raise TargetsError(
                f"{spec.targets}: row {row.row} ({row.key}) measures {when.isoformat()}, model"
                f" day {day}: {side} of the timeline {spec.preset} (day 0 = {spec.day_zero})"
            )
        value = float(row.value)
        tolerance = max(spec.tolerance * abs(value), spec.min_tolerance)
        if not (pd.isna(row.low) or pd.isna(row.high)):
            tolerance = max((float(row.high) - float(row.low)) / 2, tolerance)
        outcome = MEASURES[row.indicator]
        found.append(
            Target(
                row.key,
                row.edition,
                outcome,
                day,
                value,
                tolerance,
            )
        )
    return sorted(found, key=lambda t: (t.day, t.outcome))


def fitted_targets(spec: CalibrationSpec) -> list[Target]:
    """The targets the spec fits; none is a mistake in the spec."""
    chosen = targets(spec, (*spec.fit, *spec.holdout))  # one reading of the file for both
    fitted = [t for t in chosen if t.edition in spec.fit]
    if not fitted:
        raise ParameterError(f"no targets for {spec.place} in editions {', '.join(spec.fit)}")
    held = {t.edition for t in chosen if t.edition in spec.holdout}
    empty = [e for e in spec.holdout if e not in held]
    if empty:  # a held-out edition with nothing to check is a slip, not a passed check
        raise ParameterError(
            f"holdout: no targets for {spec.place} in {', '.join(empty)} ({spec.targets})"
        )
    return fitted


def bounds(spec: CalibrationSpec) -> dict[str, tuple[float, float]]:
    """Each free parameter's range: the spec's, or its declared one."""
    return {name: parameter_range(name, given) for name, given in spec.parameters.items()}


def simulate_targets(
    preset: str, overrides: dict[str, Any], seed: int, days: Sequence[int], window: int
) -> dict[int, dict[str, float]]:
    """Run the timeline once and read every outcome over `window` days ending at each day."""
    from experiments.one_run import advance
    from scenarios import load_preset

    chosen = load_preset(preset).with_overrides({**overrides, "summary_window_days": window})
    model = chosen.build(seed)
    out = {}
    for day in sorted(set(days)):
        advance(model, day + 1 - (model.day + 1))
        out[day] = model.summary()
    # Start-up days by cohort: the start-ups begun in the `window` days from each date, once
    # nearly all of them have finished.
    advance(model, max(days) + window + COHORT_TAIL_DAYS - model.day)
    ledger = combine([c.ledger for c in model.cities])
    for day in out:
        begun = ledger.db_days_begun(day, day + window)
        out[day]["start_business_days"] = float(np.median(begun)) if begun else math.nan
    return out


def _trial(args: tuple) -> list[dict[int, dict[str, float]]]:
    preset, overrides, seeds, days, window = args
    return [simulate_targets(preset, overrides, s, days, window) for s in seeds]


def _numbered(item: tuple[int, tuple]) -> tuple[int, list[dict[int, dict[str, float]]]]:
    number, args = item
    return number, _trial(args)


# What may change between a calibration and its resumption: the budget and the checks' size.
BUDGET = ("description", "trials", "generations", "max_simulations", "min_acceptance")
BUDGET += ("predictive", "holdout_seeds")
FINGERPRINT = "calibration.json"
# Everything a calibration writes in its folder (`--fresh` removes exactly these).
OUTPUTS = (FINGERPRINT, "trials.sqlite", "trials.parquet", "abc.db", "posterior.parquet")
OUTPUTS += ("calibrated.toml", "holdout.csv", "path.parquet", "report.html", "checks")


def fingerprint(spec: CalibrationSpec) -> dict[str, Any]:
    """What made a calibration's stored runs: the code, the libraries, the spec (bar its
    budget), the timeline preset as resolved and the targets fitted and held out."""
    from scenarios import load_preset

    made = {
        "govsim": package_versions()["govsim"],
        # this module decides what a stored trial means (the parameters it sets, what it reads)
        "code": code_fingerprint("experiments/calibration.py"),
        "libraries": library_versions(),
        "spec": {k: v for k, v in spec.model_dump(mode="json").items() if k not in BUDGET},
        "presets": {spec.preset: preset_fingerprint(load_preset(spec.preset))},
        # the facts themselves, not only the file's name: an edited row changes every loss
        "targets": [asdict(t) for t in targets(spec, (*spec.fit, *spec.holdout))],
    }
    return json.loads(json.dumps(made, default=str))  # as stored: tuples are lists, dates text


@contextmanager
def calibration_folder(spec: CalibrationSpec, out: Path, fresh: bool = False) -> Iterator[None]:
    """Hold `out` for one calibration: one writer at a time; stored trials are resumed only when
    the code, spec and preset that made them are unchanged (else a FolderError in one line);
    `fresh` deletes them first."""
    with search_folder(out, fingerprint(spec), FINGERPRINT, OUTPUTS, "calibration", fresh):
        yield


LOST_LIMIT = 5  # trials in a row whose worker died: the machine, not a trial, is the problem


class CalibrationError(FolderError):
    """A calibration that cannot go on (workers keep dying)."""


MISSING = 100.0  # the squared misfit of a measure the model could not take: ten tolerances


def misfit(model: dict[str, float], fitted: Sequence[Target]) -> float:
    """Sum over targets of ((model value - observed) / tolerance)^2; a value the model could not
    take (no start-up in the window: NaN, or -1 from the ABC simulator) costs MISSING."""
    total = 0.0
    for t in fitted:
        value = model[t.key]
        if math.isnan(value) or value < 0:
            total += MISSING
        else:
            total += ((value - t.value) / t.tolerance) ** 2
    return total


def mean_over_runs(found: list[dict[int, dict[str, float]]], t: Target) -> float:
    """A target's model value over several runs: the mean of the runs that measured it."""
    values = [run[t.day][t.outcome] for run in found]
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else math.nan


def loss(found: list[dict[int, dict[str, float]]], fitted: list[Target]) -> float:
    """The misfit of the mean over seeds of each target's model value (Optuna's objective)."""
    return misfit({t.key: mean_over_runs(found, t) for t in fitted}, fitted)


def calibrate(
    spec: CalibrationSpec,
    out: Path,
    evaluator: Evaluator,
    progress: Callable[[int, int, float], None] | None = None,
) -> pd.DataFrame:
    """Run (or resume) the Optuna search on `evaluator`'s workers; returns every finished
    trial, best first. A trial whose worker died is recorded as failed and another is asked."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out.mkdir(parents=True, exist_ok=True)
    fitted = fitted_targets(spec)
    ranges = bounds(spec)
    days = [t.day for t in fitted]
    study = optuna.create_study(
        study_name=STUDY,
        storage=f"sqlite:///{out / 'trials.sqlite'}",
        load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=spec.sampler_seed),
        direction="minimize",
    )
    for stale in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(stale.number, state=optuna.trial.TrialState.FAIL)  # killed mid-trial
    done = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
    seeds = list(range(spec.seeds))
    lost_in_a_row = 0
    while done < spec.trials:
        batch = {}
        for _ in range(min(evaluator.workers, spec.trials - done)):
            trial = study.ask()
            batch[trial.number] = trial
        jobs = []
        for number, trial in batch.items():
            chosen = {}
            for name, (lo, hi) in ranges.items():
                if param_info(name).type is int:
                    chosen[name] = trial.suggest_int(name, int(lo), int(hi))
                else:
                    chosen[name] = trial.suggest_float(name, lo, hi)
            job = (spec.preset, {**spec.overrides, **chosen}, seeds, days, spec.window_days)
            jobs.append((number, job))
        for result in evaluator.map_unordered(_numbered, jobs):
            if isinstance(result, WorkerLost):
                study.tell(batch[result.item[0]], state=optuna.trial.TrialState.FAIL)
                lost_in_a_row += 1
                if lost_in_a_row >= LOST_LIMIT:
                    raise CalibrationError(
                        f"{lost_in_a_row} trials in a row lost their worker process"
                        f" ({result.reason})"
                    )
                continue
            lost_in_a_row = 0
            number, found = result
            trial = batch[number]
            for t in fitted:
                trial.set_user_attr(t.key, mean_over_runs(found, t))
            study.tell(trial, loss(found, fitted))
            done += 1
            if progress is not None:
                progress(done, spec.trials, study.best_value)
    return trials_frame(study)


def trials_frame(study: Any) -> pd.DataFrame:
    """Every finished trial: number, loss, parameters, model values of the targets; best first."""
    import optuna

    rows = []
    for trial in study.get_trials(deepcopy=True, states=(optuna.trial.TrialState.COMPLETE,)):
        rows.append(
            {
                "trial": trial.number,
                "loss": trial.value,
                **trial.params,
                **{f"model:{k}": v for k, v in trial.user_attrs.items()},
            }
        )
    return pd.DataFrame(rows).sort_values("loss", kind="stable").reset_index(drop=True)


def best_parameters(spec: CalibrationSpec, frame: pd.DataFrame) -> dict[str, Any]:
    """The best trial's parameter values, as the parameters' own types."""
    best = frame.iloc[0]
    return {name: param_info(name).coerce(_plain(best[name])) for name in spec.parameters}


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def write_parameter_set(
    path: Path, spec: CalibrationSpec, values: dict[str, Any], loss_value: float
) -> None:
    """The calibrated values as a parameter set: a `[parameters]` table that a preset loads with
    `parameter_set = "path/to/calibrated.toml"`, or by name once copied to
    scenarios/parameter_sets/."""
    # Four significant figures: a fitted value's last digits are the sampler's noise.
    values = {k: float(f"{v:.4g}") if isinstance(v, float) else v for k, v in values.items()}
    Parameters().with_overrides(values)  # validated like any override
    how = "posterior mean" if math.isnan(loss_value) else f"loss {loss_value:.3f}"
    lines = [
        f"# Calibrated by `govsim calibrate` ({spec.description}); {how}",
        f"# fitted on {', '.join(spec.fit)} at {spec.place}; held out: {', '.join(spec.holdout)}",
        "[parameters]",
        *(f"{name} = {value!r}" for name, value in values.items()),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class TimelineModel:
    """The simulator ABC-SMC calls: a parameter set in, each fitted target's model value out.

    Picklable (worker processes receive it); the seed of a simulation is derived from its
    parameter values, so a particle is reproducible and distinct particles differ."""

    def __init__(self, spec: CalibrationSpec, fitted: Sequence[Target]) -> None:
        self.spec = spec
        self.fitted = list(fitted)

    def __call__(self, parameters: Any) -> dict[str, float]:
        spec = self.spec
        chosen = {}
        for name in spec.parameters:
            value = float(parameters[name])
            chosen[name] = round(value) if param_info(name).type is int else value
        seed = int.from_bytes(repr(sorted(chosen.items())).encode()[-8:], "little") % 2**31
        days = [t.day for t in self.fitted]
        found = simulate_targets(
            spec.preset, {**spec.overrides, **chosen}, seed, days, spec.window_days
        )
        return {t.key: _finite(found[t.day][t.outcome]) for t in self.fitted}


def _finite(value: float) -> float:
    return float(value) if not math.isnan(value) else -1.0  # no start-up in the window


class ToleranceDistance:
    """Distance between simulated and observed targets: the root of the sum of squared errors
    in units of each target's tolerance (the Optuna loss, square-rooted); a missing measure is
    10 tolerances off."""

    def __init__(self, fitted: Sequence[Target]) -> None:
        self.fitted = list(fitted)

    def __call__(self, x: dict, x0: dict) -> float:
        return math.sqrt(misfit(x, self.fitted))


class EvaluatorMap:
    """pyabc's map (MappingSampler) on a govsim evaluator: local processes that die with their
    runner, or a Dask cluster. A proposal whose worker died is dropped (pyabc's mapping sampler
    drops failed tasks); `progress(simulations so far)` is told as each task finishes."""

    def __init__(self, evaluator: Evaluator, progress: Callable[[int], None] | None) -> None:
        self.evaluator = evaluator
        self.progress = progress
        self.simulations = 0

    def __call__(self, fn: Callable, items: Any) -> list:
        results = []
        for result in self.evaluator.map_unordered(fn, list(items)):
            if isinstance(result, WorkerLost):
                continue
            results.append(result)
            self.simulations += result[1]
            if self.progress is not None:
                self.progress(self.simulations)
        return results


def abc_calibrate(
    spec: CalibrationSpec,
    out: Path,
    evaluator: Evaluator,
    progress: Callable[[int, int, float], None] | None = None,
) -> pd.DataFrame:
    """Run (or resume) ABC-SMC (pyabc): uniform priors on the free parameters' ranges, the
    tolerance distance, `generations` populations of `population` particles, simulated on
    `evaluator`'s workers; the history lives in `out/abc.db`, so a killed run resumes at its
    last finished generation. `progress(simulations, budget, nan)` follows the simulations.
    Returns the last generation's particles with their weights."""
    import logging

    import pyabc
    from pyabc.sampler import MappingSampler

    for name in ("ABC", "ABC.History", "ABC.Sampler", "ABC.Distance", "ABC.Epsilon"):
        logging.getLogger(name).setLevel(logging.WARNING)  # the progress bar says enough

    out.mkdir(parents=True, exist_ok=True)
    fitted = fitted_targets(spec)
    stored = 0  # simulations of earlier runs of this calibration (the budget is for them all)
    prior = pyabc.Distribution(
        **{name: pyabc.RV("uniform", lo, hi - lo) for name, (lo, hi) in bounds(spec).items()}
    )
    sampler = MappingSampler(
        map_=EvaluatorMap(
            evaluator,
            None
            if progress is None
            else lambda n: progress(stored + n, spec.max_simulations, math.nan),
        )
    )
    abc = pyabc.ABCSMC(
        TimelineModel(spec, fitted),
        prior,
        ToleranceDistance(fitted),
        population_size=spec.population,
        sampler=sampler,
    )
    db = f"sqlite:///{out / 'abc.db'}"
    if (out / "abc.db").exists():
        history = abc.load(db, 1)
        stored = int(history.total_nr_simulations)
    else:
        np.random.seed(spec.sampler_seed)  # pyabc draws from numpy's global generator
        history = abc.new(db, {t.key: t.value for t in fitted})
    if progress is not None:
        progress(stored, spec.max_simulations, math.nan)
    remaining = spec.generations - (history.max_t + 1)
    if remaining > 0 and _abc_stopped(spec, history) is None:
        # One run for every remaining generation: pyabc moves its epsilon on between the
        # generations of one run (chained one-generation runs keep the first epsilon).
        history = abc.run(
            max_nr_populations=remaining,
            min_acceptance_rate=spec.min_acceptance,
            max_total_nr_simulations=spec.max_simulations - stored,
        )
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    frame = frame.reset_index(drop=True)
    frame["weight"] = np.asarray(weights) / np.sum(weights)
    frame["generation"] = history.max_t
    frame.attrs["stopped"] = _abc_stopped(spec, history)
    return frame


def _abc_stopped(spec: CalibrationSpec, history: Any) -> str | None:
    """Why ABC-SMC stopped before its last generation (the simulation budget spent, or too few
    proposals accepted), or None when it has generations to go or ran them all."""
    done = history.max_t + 1
    if done >= spec.generations:
        return None
    ran = int(history.total_nr_simulations)
    if ran >= spec.max_simulations:
        return (
            f"stopped after {done} of {spec.generations} generations: the budget of"
            f" {spec.max_simulations} simulations is spent ({ran}); raise max_simulations to go on"
        )
    last = history.get_all_populations().iloc[-1]
    if last["samples"] and last["particles"] / last["samples"] < spec.min_acceptance:
        return (
            f"stopped after {done} of {spec.generations} generations: the last accepted"
            f" {last['particles'] / last['samples']:.1%} of its proposals, under min_acceptance"
            f" {spec.min_acceptance:g}"
        )
    return None


def posterior_values(spec: CalibrationSpec, posterior: pd.DataFrame) -> dict[str, Any]:
    """The weighted posterior mean of each free parameter, as its own type."""
    w = posterior["weight"].to_numpy()
    return {
        name: param_info(name).coerce(float(np.sum(w * posterior[name].to_numpy())))
        for name in spec.parameters
    }


def posterior_predictive(
    spec: CalibrationSpec,
    posterior: pd.DataFrame,
    evaluator: Evaluator,
    out: Path,
    level: float = 0.9,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw `predictive` particles by weight, run each over the whole timeline on a fresh seed,
    and compare every fitted and held-out target with the central `level` interval of the
    predictions (parameter uncertainty and chance together)."""
    rng = np.random.default_rng(spec.sampler_seed)
    picks = rng.choice(len(posterior), spec.predictive, p=posterior["weight"].to_numpy())
    draws = [
        (
            {n: param_info(n).coerce(_plain(posterior[n].iloc[i])) for n in spec.parameters},
            PREDICTIVE_SEEDS + k,
        )
        for k, i in enumerate(picks.tolist())
    ]
    return _check(spec, draws, evaluator, out, level, progress)


def _compare(
    spec: CalibrationSpec, chosen: list[Target], runs: list[dict], level: float
) -> pd.DataFrame:
    rows = []
    for t in chosen:
        values_t = np.array([run[t.day][t.outcome] for run in runs], dtype=float)
        values_t = values_t[~np.isnan(values_t)]
        lo, hi = (
            np.quantile(values_t, [(1 - level) / 2, (1 + level) / 2])
            if len(values_t)
            else (math.nan, math.nan)
        )
        rows.append(
            {
                "edition": t.edition,
                "outcome": t.outcome,
                "set": "fit" if t.edition in spec.fit else "held out",
                "observed": t.value,
                "model": float(np.mean(values_t)) if len(values_t) else math.nan,
                "low": float(lo),
                "high": float(hi),
                "covered": bool(lo <= t.value <= hi),
            }
        )
    return pd.DataFrame(rows)


def holdout_check(
    spec: CalibrationSpec,
    values: dict[str, Any],
    evaluator: Evaluator,
    out: Path,
    level: float = 0.9,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the calibrated timeline on `holdout_seeds` seeds and compare each held-out (and
    fitted) target with the model's central interval at `level` across seeds."""
    draws = [(values, HOLDOUT_SEEDS + k) for k in range(spec.holdout_seeds)]
    return _check(spec, draws, evaluator, out, level, progress)


PATH_STEP_DAYS = 91  # the predicted path of start-up days: one point a quarter
CHECKS = "checks"


def path_days(spec: CalibrationSpec, chosen: Sequence[Target]) -> list[int]:
    """The days of the predicted path: every quarter from day 0 to the last target."""
    return list(range(0, max(t.day for t in chosen) + 1, PATH_STEP_DAYS))


def _check_run(item: tuple) -> dict[str, Any]:
    """One check run, as stored: its parameter values, seed and what the model measured."""
    spec_preset, overrides, values, seed, days, window = item
    found = simulate_targets(spec_preset, {**overrides, **values}, seed, days, window)
    keep = tuple(MEASURES.values())
    return {
        "values": values,
        "seed": seed,
        "found": {str(d): {k: found[d][k] for k in keep} for d in sorted(found)},
    }


def _check(
    spec: CalibrationSpec,
    draws: list[tuple[dict[str, Any], int]],
    evaluator: Evaluator,
    out: Path,
    level: float,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the timeline once per (parameter values, seed); compare every fitted and held-out
    target with the central `level` interval of the runs, and give each run's path of
    start-up days. Each run is stored in `out/checks/` as it finishes, so a killed check
    resumes without redoing it."""
    chosen = targets(spec, (*spec.fit, *spec.holdout))
    days = sorted({t.day for t in chosen} | set(path_days(spec, chosen)))
    folder = out / CHECKS
    folder.mkdir(parents=True, exist_ok=True)
    runs: dict[int, dict[str, Any]] = {}
    todo = []
    for k, (values, seed) in enumerate(draws):
        path = folder / f"run-{seed}.json"
        stored = _stored_run(path)
        plain = {n: _plain(v) for n, v in values.items()}
        if stored is not None and stored["values"] == plain and stored["seed"] == seed:
            runs[k] = stored
        else:
            todo.append((k, (spec.preset, spec.overrides, plain, seed, days, spec.window_days)))
    if progress is not None:
        progress(len(runs), len(draws))
    for result in evaluator.map_unordered(_numbered_check, todo):
        if isinstance(result, WorkerLost):
            raise CalibrationError(f"a check run lost its worker process ({result.reason})")
        k, run = result
        write_json(folder / f"run-{run['seed']}.json", run)
        runs[k] = run
        if progress is not None:
            progress(len(runs), len(draws))
    ordered = [{int(d): v for d, v in runs[k]["found"].items()} for k in range(len(draws))]
    path = pd.DataFrame(
        [
            {
                "run": k,
                "seed": runs[k]["seed"],
                "day": d,
                "date": spec.day_zero + dt.timedelta(days=d),
                "start_business_days": run[d]["start_business_days"],
            }
            for k, run in enumerate(ordered)
            for d in path_days(spec, chosen)
        ]
    )
    return _compare(spec, chosen, ordered, level), path


def stored_results(
    spec: CalibrationSpec, out: Path
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """A finished calibration's check, path and posterior (abc) or trials (optuna), read back
    from `out` (nothing is run); a folder without them is a FolderError naming what is missing."""
    wanted = ["holdout.csv", "path.parquet"]
    wanted.append("posterior.parquet" if spec.method == "abc" else "trials.parquet")
    missing = [name for name in wanted if not (out / name).is_file()]
    if missing:
        raise FolderError(
            f"{out}: no finished calibration here ({', '.join(missing)} missing); run it first"
        )
    check = pd.read_csv(out / "holdout.csv")
    path = pd.read_parquet(out / "path.parquet")
    fitted = pd.read_parquet(out / wanted[2])
    return (check, path, fitted, None) if spec.method == "abc" else (check, path, None, fitted)


def reform_starts(preset: str) -> list[tuple[int, str]]:
    """Each day on which a timeline switches reforms on, with the reforms that start then."""
    from scenarios import load_preset

    starts: dict[int, list[str]] = {}
    for item in load_preset(preset).policy:
        starts.setdefault(item.start, []).append(item.to_dict()["type"])
    return [(day, ", ".join(dict.fromkeys(kinds))) for day, kinds in sorted(starts.items())]


SHAPE_DAYS = 180  # the predicted path's shape: start-up days in the half-years around a reform


def shape_check(spec: CalibrationSpec, path: pd.DataFrame) -> pd.DataFrame:
    """Does the predicted path fall after each dated reform? Per reform date of the timeline: the
    median over runs of the mean start-up days of the path's points in the half-year before and
    in the half-year after (from the date on), and whether it fell."""
    rows = []
    for day, kinds in reform_starts(spec.preset):
        before = path[(path["day"] < day) & (path["day"] >= day - SHAPE_DAYS)]
        after = path[(path["day"] >= day) & (path["day"] < day + SHAPE_DAYS)]
        if before.empty or after.empty:
            continue
        b = before.groupby("run")["start_business_days"].mean().median()
        a = after.groupby("run")["start_business_days"].mean().median()
        rows.append(
            {
                "date": spec.day_zero + dt.timedelta(days=day),
                "reforms": kinds,
                "days before": float(b),
                "days after": float(a),
                "fell": bool(a < b),
            }
        )
    return pd.DataFrame(rows)


def _numbered_check(item: tuple[int, tuple]) -> tuple[int, dict[str, Any]]:
    k, args = item
    return k, _check_run(args)


def _stored_run(path: Path) -> dict[str, Any] | None:
    """A stored check run, or None when there is none or it cannot be read (then it is redone)."""
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return run if isinstance(run, dict) and {"values", "seed", "found"} <= set(run) else None
