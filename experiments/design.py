"""An experiment's design: presets x parameter sweep x replicates, read from TOML and validated.

Replicate i gets the seed `base_seed + i` in every preset and sweep point (common random
numbers), so every comparison between presets or sweep points is paired.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from model.outcomes import OUTCOME_BY_NAME, unknown_outcome_message
from scenarios.loader import ScenarioError, load_preset
from scenarios.toml_files import dotted, line_of, read_toml
from world.calendar import MAX_DAYS
from world.errors import ParameterError, first_problem
from world.parameters import ROLES, Parameters, RegionParameters, param_info

MAX_TIMESERIES_EVERY = 3650
MAX_SEED = 2**63 - 1  # seeds are stored as 64-bit integers


class LatinHypercube(BaseModel):
    """A seeded Latin hypercube over parameter ranges (a declared range when none is given)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    samples: int = Field(ge=1, le=100_000)
    seed: int = Field(0, ge=0)
    ranges: dict[str, list[float] | str] = Field(min_length=1)


class Sweep(BaseModel):
    """Grid lists (every combination), a Latin hypercube and a list of points; all may be absent
    (no sweep)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    latin_hypercube: LatinHypercube | None = None
    points: list[dict[str, Any]] = Field(
        default_factory=list, description="Explicit points, each naming the same parameters"
    )


class SensitivitySpec(BaseModel):
    """A global sensitivity analysis: which parameters over which ranges, for which outcomes."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
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

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    description: str = Field(min_length=1)
    presets: list[str] = Field(min_length=1)
    reference: str = "baseline"
    replicates: int = Field(5, ge=1, le=100_000)
    days: int = Field(365, ge=1, le=MAX_DAYS)
    base_seed: int = Field(0, ge=0, le=MAX_SEED)
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
    for i, name in enumerate(names):
        if name not in OUTCOME_BY_NAME:
            raise ValueError(unknown_outcome_message(name))
        if name in names[:i]:
            raise ValueError(f"outcome {name!r} is listed twice")
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

    def names(self) -> dict[str, Any]:
        """What every row of this run says about it: its preset, point, replicate and seed."""
        return {
            "preset": preset_label(self.preset),
            "point": self.point,
            "replicate": self.replicate,
            "seed": self.seed,
        }


MAX_RUNS = 1_000_000  # an experiment larger than this is refused unless the limit is raised
_KEPT = re.compile(r"[\w.-]")  # kept as they are in a run id: letters (any script), digits, _ . -
_MAX_ID_BYTES = 200  # a run id is part of a file name (at most 255 bytes on most systems)


def preset_label(preset: str) -> str:
    """What an experiment calls a preset in its tables: the file's stem, or the preset's name."""
    return unicodedata.normalize("NFC", Path(preset).stem)


def id_part(label: str) -> str:
    """A label as part of a run id: readable, and distinct labels give distinct ids.

    Letters of any script, digits, '_', '.' and '-' stay; every other character becomes %XX
    of its UTF-8 bytes (so 'a b' and 'a_b', or two Chinese names, never map to the same id).
    """
    return "".join(
        c if _KEPT.fullmatch(c) else "".join(f"%{b:02X}" for b in c.encode()) for c in label
    )


def check_run_identity(presets: list[str]) -> None:
    """Refuse presets that would share a label or whose run ids would clash in a file system.

    Raises SpecError naming the two presets (`presets[i]`), so that no run ever overwrites
    another's results.
    """
    seen: dict[str, int] = {}
    for i, preset in enumerate(presets):
        label = preset_label(preset)
        if not label:
            raise SpecError(f"presets[{i}]: {preset!r} has no name")
        if len(id_part(label).encode()) > _MAX_ID_BYTES:
            raise SpecError(f"presets[{i}]: the name {label!r} is too long for a run id")
        key = label.casefold()  # file systems that ignore case would mix the two
        if key in seen:
            j = seen[key]
            raise SpecError(
                f"presets[{i}]: {preset!r} has the same name as presets[{j}] {presets[j]!r}"
                f" ({label!r}): their runs would overwrite each other; "
                + ("list it once" if preset == presets[j] else "rename one file")
            )
        seen[key] = i


def count_runs(spec: ExperimentSpec) -> int:
    """How many runs the design has, computed without building any of them."""
    grid = math.prod(len(v) for v in spec.sweep.grid.values()) if spec.sweep.grid else 0
    lhs = spec.sweep.latin_hypercube
    samples = (lhs.samples if lhs is not None else 0) + len(spec.sweep.points)
    # every grid point with every sample; only samples; only a grid; or one point (no sweep)
    points = max(grid, 1) * samples if samples else max(grid, 1)
    return len(spec.presets) * points * spec.replicates


def check_size(spec: ExperimentSpec, max_runs: int = MAX_RUNS) -> int:
    """The number of runs, or a SpecError when it is above `max_runs`."""
    n = count_runs(spec)
    if n > max_runs:
        raise SpecError(
            f"the experiment has {n:,} runs, more than the limit of {max_runs:,}: reduce the"
            " sweep or the replicates, or raise the limit (--max-runs)"
        )
    return n


class SpecError(ScenarioError):
    """A bad experiment file; the message is one line naming the file, line and key."""


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


def expand(spec: ExperimentSpec, max_runs: int = MAX_RUNS) -> list[RunSpec]:
    """The full list of runs: preset x sweep point x replicate, seeds shared across them.

    The size is checked before anything is built, and so is that every run gets its own id.
    """
    check_size(spec, max_runs)
    check_run_identity(spec.presets)
    runs = []
    points = sweep_points(spec)
    for preset in spec.presets:
        name = id_part(preset_label(preset))
        for k, point in enumerate(points):
            for r in range(spec.replicates):
                runs.append(
                    RunSpec(
                        run_id=f"{name}~p{k:04d}~r{r:04d}",
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
    if not path.exists():
        raise SpecError(f"{path}: no such experiment file")
    text, data = read_toml(path, SpecError)

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
    try:
        check_run_identity(resolved)
    except SpecError as exc:
        index = int(str(exc).split("]", 1)[0].removeprefix("presets["))
        raise SpecError(f"{where(('presets', index))}: {str(exc).split(': ', 1)[1]}") from None
    if spec.sensitivity is not None and spec.sensitivity.preset is not None:
        by_stem = {preset_label(p): p for p in resolved}
        if spec.sensitivity.preset in by_stem:
            sens = spec.sensitivity.model_copy(update={"preset": by_stem[spec.sensitivity.preset]})
            spec = spec.model_copy(update={"sensitivity": sens})
    labels = [preset_label(p) for p in spec.presets]
    if preset_label(spec.reference) in labels:  # a file name is as good as its preset's name
        spec = spec.model_copy(update={"reference": preset_label(spec.reference)})
    else:
        raise SpecError(
            f"{where(('reference',))}: reference {spec.reference!r} is not one of the experiment's"
            f" presets ({', '.join(labels)})"
        )
    if spec.base_seed + spec.replicates - 1 > MAX_SEED:
        raise SpecError(
            f"{where(('base_seed',))}: base_seed + replicates - 1 must be at most 2**63 - 1"
        )
    parameters = {}
    for name, value in spec.parameters.items():
        try:
            parameters[name] = _check_value(name, value)
        except ParameterError as exc:
            raise SpecError(f"{where(('parameters', name))}: {exc}") from None
    grid = {}
    for name, values in spec.sweep.grid.items():
        if not values:
            raise SpecError(f"{where(('sweep', 'grid', name))}: give at least one value")
        grid[name] = []
        for value in values:
            try:
                grid[name].append(_check_value(name, value))
            except ParameterError as exc:
                raise SpecError(f"{where(('sweep', 'grid', name))}: {exc}") from None
        if len(set(grid[name])) < len(grid[name]):
            raise SpecError(
                f"{where(('sweep', 'grid', name))}: a value is listed twice (each point would run"
                " twice)"
            )
    swept = set(spec.sweep.grid) | set(spec.sweep.points[0] if spec.sweep.points else ())
    if spec.sweep.latin_hypercube is not None:
        swept |= set(spec.sweep.latin_hypercube.ranges)
    fixed_and_swept = sorted(swept & set(spec.parameters))
    if fixed_and_swept:
        name = fixed_and_swept[0]
        raise SpecError(
            f"{where(('parameters', name))}: {name} is also swept ([sweep]): the sweep's values"
            " would replace this one; set it in one place"
        )
    names = set(spec.sweep.points[0]) if spec.sweep.points else set()
    if spec.sweep.latin_hypercube is not None and names:
        names = set(spec.sweep.latin_hypercube.ranges)  # the points extend the hypercube's sample
    points = []
    for i, point in enumerate(spec.sweep.points):
        key = ("sweep", "points", i)
        points.append({})
        for name, value in point.items():
            try:
                points[-1][name] = _check_value(name, value)
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
            *(preset_label(p) for p in spec.presets),
        }:
            raise SpecError(
                f"{where(('sensitivity', 'preset'))}: {preset!r} is not one of the experiment's"
                " presets (add it to `presets`)"
            )
    for where_key, table in ranges:
        for name, r in table.items():
            try:
                parameter_range(name, r)
            except ParameterError as exc:
                raise SpecError(f"{where((*where_key, name))}: {exc}") from None
    sweep = spec.sweep.model_copy(update={"grid": grid, "points": points})
    return spec.model_copy(update={"parameters": parameters, "sweep": sweep})


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


def check_ranged_parameter(
    name: str, given: Any, role: str, why: str, if_uncertain: str = ""
) -> None:
    """A parameter given a range ([low, high] or 'declared') and declared with `role` (a design
    searches levers, its states and a calibration vary uncertainties): a ValueError saying which
    is wrong, and `why` the role matters."""
    try:
        parameter_range(name, given)
    except ParameterError as exc:
        raise ValueError(str(exc) if name in str(exc) else f"{name}: {exc}") from None
    declared = param_info(name).role
    if declared != role:
        extra = f" {if_uncertain}" if declared == "uncertainty" and if_uncertain else ""
        raise ValueError(f"{name} is {_a(declared)}, not {_a(role)}: {why}{extra}")


def _a(role: str) -> str:
    return f"{'an' if role[0] in 'aeiou' else 'a'} {role}"


def _check_value(name: str, value: Any) -> Any:
    """The value as the parameter's type ("2e3" -> 2000 for an integer), validated."""
    info = param_info(name)
    cls = Parameters if name in Parameters.model_fields else RegionParameters
    parsed = info.coerce(value)
    cls.build({name: parsed})
    return parsed
