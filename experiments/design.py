"""An experiment's design: presets x parameter sweep x replicates, read from TOML and validated.

Replicate i gets the seed `base_seed + i` in every preset and sweep point (common random
numbers), so every comparison between presets or sweep points is paired.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from model.outcomes import OUTCOME_BY_NAME
from scenarios.loader import ScenarioError, load_preset
from scenarios.toml_locations import dotted, line_of
from world.errors import ParameterError, first_problem, unknown_name_message
from world.parameters import ROLES, ParameterInfo, Parameters, RegionParameters

MAX_TIMESERIES_EVERY = 3650


class LatinHypercube(BaseModel):
    """A seeded Latin hypercube over parameter ranges (a declared range when none is given)."""

    model_config = ConfigDict(extra="forbid")
    samples: int = Field(ge=1, le=100_000)
    seed: int = Field(0, ge=0)
    ranges: dict[str, list[float] | str] = Field(min_length=1)


class Sweep(BaseModel):
    """Grid lists (every combination), a Latin hypercube and a list of points; all may be absent
    (no sweep)."""

    model_config = ConfigDict(extra="forbid")
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    latin_hypercube: LatinHypercube | None = None
    points: list[dict[str, Any]] = Field(
        default_factory=list, description="Explicit points, each naming the same parameters"
    )


class SensitivitySpec(BaseModel):
    """A global sensitivity analysis: which parameters over which ranges, for which outcomes."""

    model_config = ConfigDict(extra="forbid")
    preset: str | None = None  # default: the experiment's first preset
    outcomes: list[str] = Field(min_length=1)
    samples: int = Field(16, ge=2, le=100_000, description="Base sample size N")
    # {name: [low, high] or "declared"}, or a role ("uncertainty"): every city parameter of that
    # role over its declared range.
    parameters: dict[str, list[float] | str] = Field(min_length=2)

    @field_validator("outcomes")
    @classmethod
    def _known_outcomes(cls, names: list[str]) -> list[str]:
        return _known(names)

    @field_validator("parameters", mode="before")
    @classmethod
    def _role(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value not in ROLES:
                raise ValueError(
                    f"parameters: give a table of ranges or a role ({', '.join(ROLES)}),"
                    f" got {value!r}"
                )
            return {p.name: "declared" for p in Parameters.table() if p.role == value}
        return value


class ExperimentSpec(BaseModel):
    """What to run: presets, a sweep, replicates, days, seeds, and which outcomes to keep."""

    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1)
    presets: list[str] = Field(min_length=1)
    reference: str = "baseline"
    replicates: int = Field(5, ge=1, le=100_000)
    days: int = Field(365, ge=1, le=36_500)
    base_seed: int = Field(0, ge=0)
    parameters: dict[str, Any] = Field(default_factory=dict)
    sweep: Sweep = Field(default_factory=Sweep)
    outcomes: list[str] = Field(default_factory=list)
    timeseries_every: int = Field(
        1, ge=1, le=MAX_TIMESERIES_EVERY, description="Keep every n-th day"
    )
    sensitivity: SensitivitySpec | None = None

    @field_validator("outcomes")
    @classmethod
    def _known_outcomes(cls, names: list[str]) -> list[str]:
        return _known(names)

    def kept_outcomes(self) -> list[str]:
        return self.outcomes or list(OUTCOME_BY_NAME)


def _known(names: list[str]) -> list[str]:
    for name in names:
        if name not in OUTCOME_BY_NAME:
            raise ValueError(unknown_name_message("outcome", name, OUTCOME_BY_NAME))
    return names


@dataclass(frozen=True)
class RunSpec:
    """One run of the design; `run_id` is stable, so a rerun can tell what is already done."""

    run_id: str
    preset: str
    point: int
    sweep: tuple[tuple[str, Any], ...]
    replicate: int
    seed: int


def safe_name(text: str) -> str:
    """A name usable in a file name on any system."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


class SpecError(ScenarioError):
    """A bad experiment file; the message is one line naming the file, line and key."""


def param_info(name: str) -> ParameterInfo:
    """The declaration of a city or region parameter; unknown names suggest the nearest."""
    if name in Parameters.model_fields:
        return Parameters.info(name)
    if name in RegionParameters.model_fields:
        return RegionParameters.info(name)
    valid = [*Parameters.model_fields, *RegionParameters.model_fields]
    raise ParameterError(unknown_name_message("parameter", name, valid))


def sweep_points(spec: ExperimentSpec) -> list[dict[str, Any]]:
    """Every sweep point, in a fixed order.

    The samples are the hypercube's, then the explicit points; with a grid, every grid point is
    combined with every sample (the grid varying slowest), else the samples are the points.
    """
    grid = spec.sweep.grid
    points = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]
    samples = latin_hypercube(spec.sweep.latin_hypercube) + [dict(p) for p in spec.sweep.points]
    if samples:
        points = [{**p, **s} for p in points for s in samples] if grid else samples
    return points or [{}]


def latin_hypercube(lhs: LatinHypercube | None) -> list[dict[str, Any]]:
    """The hypercube's samples (none without one); integer parameters rounded."""
    samples: list[dict[str, Any]] = []
    if lhs is not None:
        names = list(lhs.ranges)
        bounds = []
        for name in names:
            low, high = parameter_range(name, lhs.ranges[name])
            bounds.append((param_info(name), low, high))
        rng = np.random.default_rng(lhs.seed)
        n = lhs.samples
        # One stratum per sample in every dimension, strata shuffled independently (McKay 1979).
        strata = rng.permuted(np.tile(np.arange(n), (len(names), 1)), axis=1).T
        u = (strata + rng.random((n, len(names)))) / n
        for row in u:
            sample = {}
            for (info, low, high), x in zip(bounds, row, strict=True):
                value = low + x * (high - low)
                sample[info.name] = round(value) if info.type is int else float(value)
            samples.append(sample)
    return samples


def expand(spec: ExperimentSpec) -> list[RunSpec]:
    """The full list of runs: preset x sweep point x replicate, seeds shared across them."""
    runs = []
    for preset in spec.presets:
        for k, point in enumerate(sweep_points(spec)):
            for r in range(spec.replicates):
                runs.append(
                    RunSpec(
                        run_id=f"{safe_name(Path(preset).stem)}~p{k:04d}~r{r:04d}",
                        preset=preset,
                        point=k,
                        sweep=tuple(sorted(point.items())),
                        replicate=r,
                        seed=spec.base_seed + r,
                    )
                )
    return runs


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate an experiment file before anything runs; one-line errors."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise SpecError(f"{path}: no such experiment file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: malformed TOML: {exc}") from None

    def where(key: tuple) -> str:
        line = line_of(text, key)
        return f"{path}:{line}: {dotted(key)}" if line else f"{path}: {dotted(key)}"

    try:
        spec = ExperimentSpec(**data)
    except ValidationError as exc:
        problem = first_problem(exc)
        raise SpecError(f"{where(problem.loc)}: {problem.message}") from None
    base = path.parent
    resolved = []
    for i, name in enumerate(spec.presets):
        candidate = base / name if name.endswith(".toml") else None
        target = str(candidate) if candidate is not None and candidate.exists() else name
        try:
            load_preset(target)
        except ScenarioError as exc:
            raise SpecError(f"{where(('presets', i))}: {exc}") from None
        resolved.append(target)
    spec = spec.model_copy(update={"presets": resolved})
    if spec.sensitivity is not None and spec.sensitivity.preset is not None:
        by_stem = {Path(p).stem: p for p in resolved}
        if spec.sensitivity.preset in by_stem:
            sens = spec.sensitivity.model_copy(update={"preset": by_stem[spec.sensitivity.preset]})
            spec = spec.model_copy(update={"sensitivity": sens})
    if spec.reference not in {Path(p).stem for p in spec.presets}:
        raise SpecError(f"{where(('reference',))}: reference {spec.reference!r} is not a preset")
    for name, value in spec.parameters.items():
        try:
            _check_value(name, value)
        except ParameterError as exc:
            raise SpecError(f"{where(('parameters', name))}: {exc}") from None
    for name, values in spec.sweep.grid.items():
        if not values:
            raise SpecError(f"{where(('sweep', 'grid', name))}: give at least one value")
        for value in values:
            try:
                _check_value(name, value)
            except ParameterError as exc:
                raise SpecError(f"{where(('sweep', 'grid', name))}: {exc}") from None
    names = set(spec.sweep.points[0]) if spec.sweep.points else set()
    if spec.sweep.latin_hypercube is not None and names:
        names = set(spec.sweep.latin_hypercube.ranges)  # the points extend the hypercube's sample
    for i, point in enumerate(spec.sweep.points):
        key = ("sweep", "points", i)
        for name, value in point.items():
            try:
                _check_value(name, value)
            except ParameterError as exc:
                raise SpecError(f"{where((*key, name))}: {exc}") from None
        if not point:
            raise SpecError(f"{where(key)}: give at least one parameter")
        if set(point) != names:
            raise SpecError(f"{where(key)}: set {', '.join(sorted(names))}, as every sample does")
        if set(point) & set(spec.sweep.grid):
            raise SpecError(f"{where(key)}: a parameter of the grid cannot be set by a point")
    ranges = []
    if spec.sweep.latin_hypercube is not None:
        ranges.append((("sweep", "latin_hypercube", "ranges"), spec.sweep.latin_hypercube.ranges))
    if spec.sensitivity is not None:
        ranges.append((("sensitivity", "parameters"), spec.sensitivity.parameters))
        preset = spec.sensitivity.preset
        if preset is not None and preset not in {
            *spec.presets,
            *(Path(p).stem for p in spec.presets),
        }:
            raise SpecError(f"{where(('sensitivity', 'preset'))}: {preset!r} is not a preset")
    for where_key, table in ranges:
        for name, r in table.items():
            try:
                parameter_range(name, r)
            except ParameterError as exc:
                raise SpecError(f"{where((*where_key, name))}: {exc}") from None
    return spec


def parameter_range(name: str, r: list[float] | str) -> tuple[float, float]:
    """[low, high] as given, or the declared range for 'declared'; checked against it."""
    info = param_info(name)
    if r == "declared":
        if info.low is None or info.high is None:
            raise ParameterError(f"{name} has no declared range")
        return float(info.low), float(info.high)
    if not (isinstance(r, list) and len(r) == 2 and r[0] < r[1]):
        raise ParameterError("give [low, high] with low < high, or 'declared'")
    _check_value(name, r[0])
    _check_value(name, r[1])
    return float(r[0]), float(r[1])


def _check_value(name: str, value: Any) -> None:
    info = param_info(name)
    cls = Parameters if name in Parameters.model_fields else RegionParameters
    parsed = info.parse(value) if isinstance(value, str) else value
    cls.build({name: parsed})
