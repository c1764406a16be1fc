"""Run one simulation: a pure function of (preset, parameters, seed, days)."""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from model.simulation import CityModel
from scenarios.loader import Preset, load_preset
from world.calendar import MAX_DAYS
from world.errors import ParameterError

ProgressFn = Callable[[int, int], None]


@dataclass
class RunResult:
    """A finished run: its model, summary outcomes, daily series and wall time."""

    preset: Preset
    seed: int
    days: int
    model: CityModel
    summary: dict[str, float]
    wall_seconds: float

    def timeseries(self) -> pd.DataFrame:
        return self.model.timeseries()

    def city_summaries(self) -> list[dict[str, Any]]:
        """One summary per city, with its name (a one-city run has one)."""
        return self.model.city_summaries()

    def outcomes_json(self) -> dict[str, Any]:
        """The outcomes as JSON-ready data (NaN -> None): the whole model's, then each city's."""
        return {
            "preset": self.preset.name,
            "seed": self.seed,
            "days": self.days,
            **_clean(self.summary),
            "cities": [_clean(c) for c in self.city_summaries()],
        }


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in values.items()}


def resolve_preset(preset: str | Path | Preset, overrides: dict[str, Any] | None) -> Preset:
    loaded = preset if isinstance(preset, Preset) else load_preset(preset)
    return loaded.with_overrides(overrides) if overrides else loaded


def run_simulation(
    preset: str | Path | Preset,
    days: int | None = None,
    seed: int = 0,
    overrides: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
) -> RunResult:
    """Build the preset's model with `seed`, run it `days` (default: the preset's), summarise."""
    chosen = resolve_preset(preset, overrides)
    n_days = chosen.days if days is None else int(days)
    if not 1 <= n_days <= MAX_DAYS:
        raise ParameterError(f"days must be between 1 and {MAX_DAYS}, got {n_days}")
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    start = time.perf_counter()
    model = chosen.build(seed)
    advance(model, n_days, progress)
    return RunResult(chosen, seed, n_days, model, model.summary(), time.perf_counter() - start)


def advance(model: CityModel, days: int, progress: ProgressFn | None = None) -> None:
    """Step a model `days` times.

    The model's hundreds of thousands of long-lived objects (agents, offices) are frozen out of
    the garbage collector's scans while it runs: they are never garbage, and re-scanning them
    at every collection would make big (and several-city) models slower per case.
    """
    gc.collect()
    gc.freeze()
    try:
        for day in range(days):
            model.step()
            if progress is not None:
                progress(day + 1, days)
    finally:
        gc.unfreeze()


def simulate(preset: str | Path | Preset, days: int = 365, seed: int = 0, **overrides: Any) -> dict:
    """Outcomes of one run as a dict, for other tools (EMA Workbench, SALib, notebooks).

    The keys are the same as `govsim run --json`: every outcome for the whole model (with
    several cities, all cities pooled), and `cities`, a list with each city's outcomes.
    """
    return run_simulation(preset, days, seed, overrides).outcomes_json()
