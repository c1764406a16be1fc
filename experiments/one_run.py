"""Run one simulation: a pure function of (preset, parameters, seed, days)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from agents.government import FUND_SHORT, STARTED, SUSPENDED
from model.simulation import CityModel, collector_paused
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

    def reform_events(self) -> list[dict[str, Any]]:
        """Every reform event of every city: started, ended, deferred, suspended, resumed."""
        return [
            {"city": city.name, "day": day, "reform": key, "event": what}
            for city in self.model.cities
            for day, key, what in city.government.events
        ]

    def fund_shortfalls(self) -> list[str]:
        """One line per reform the reform fund held back: what a reader of the outcomes must
        know (a package whose parts never started is not the package its name says)."""
        lines = []
        for city in self.model.cities:
            held: dict[str, list[tuple[int, str]]] = {}
            for day, key, what in city.government.events:
                held.setdefault(key, []).append((day, what))
            for key, events in held.items():
                short = [(d, w) for d, w in events if w in FUND_SHORT]
                if not short:
                    continue
                starts = [d for d, w in events if w == STARTED]
                suspended = sum(w == SUSPENDED for _, w in short)
                where = f"{city.name}: " if len(self.model.cities) > 1 else ""
                if not starts:
                    lines.append(
                        f"{where}{key} never started: reform fund short from day {short[0][0]}"
                    )
                    continue
                late = f"started on day {starts[0]}, late" if short[0][0] < starts[0] else ""
                cut = (
                    f"suspended {suspended} time{'s' if suspended != 1 else ''}"
                    if suspended
                    else ""
                )
                lines.append(f"{where}{key}: " + "; ".join(x for x in (late, cut) if x))
        return lines

    def outcomes_json(self) -> dict[str, Any]:
        """The outcomes as JSON-ready data (NaN -> None): the whole model's, then each city's,
        and the reform events (deferrals and suspensions for want of money among them)."""
        return {
            "preset": self.preset.name,
            "seed": self.seed,
            "days": self.days,
            **_clean(self.summary),
            "cities": [_clean(c) for c in self.city_summaries()],
            "reform_events": self.reform_events(),
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
    """Step a model `days` times, with the garbage collector paused throughout (a day makes no
    garbage cycles: model.simulation.collector_paused)."""
    with collector_paused():
        for day in range(days):
            model.step()
            if progress is not None:
                progress(day + 1, days)


def simulate(preset: str | Path | Preset, days: int = 365, seed: int = 0, **overrides: Any) -> dict:
    """Outcomes of one run as a dict, for other tools (EMA Workbench, SALib, notebooks).

    The keys are the same as `govsim run --json`: every outcome for the whole model (with
    several cities, all cities pooled), and `cities`, a list with each city's outcomes.
    """
    return run_simulation(preset, days, seed, overrides).outcomes_json()
