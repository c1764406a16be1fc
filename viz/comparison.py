"""Two to four reform packages run side by side on one preset and one seed (issue 14).

Each package is the preset with its own set of reforms switched on (each reform as the preset has
it, or with its declared defaults); every package's city is built from the same seed, so the
packages differ only by their reforms (common random numbers: two identical packages give
identical series). The dashboard's compare page (`viz.compare_page`) steps them together.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from model.simulation import CityModel
from scenarios import Preset
from viz.dashboard_model import (
    DEFAULT_PRESET,
    control_name,
    panel_policy,
    session_preset,
    with_first_city_policy,
)
from world.errors import ParameterError
from world.interventions import REGISTRY

MIN_PACKAGES, MAX_PACKAGES = 2, 4


@dataclass(frozen=True)
class Package:
    """A named set of reforms (keys of the reform registry) switched on; `tuned` gives some of
    them their own (key, start day, intensity), the others are as the preset has them."""

    name: str
    reforms: tuple[str, ...] = ()
    tuned: tuple[tuple[str, int, float], ...] = ()

    def setting(self, key: str, default_start: int, default_intensity: float) -> tuple[int, float]:
        """A reform's (start day, intensity) in this package."""
        for k, start, intensity in self.tuned:
            if k == key:
                return start, intensity
        return default_start, default_intensity

    def with_setting(self, key: str, start: int, intensity: float) -> Package:
        kept = [t for t in self.tuned if t[0] != key]
        tuned = (*kept, (key, int(start), float(intensity)))
        return replace(self, tuned=tuned)

    def controls(self) -> dict[str, Any]:
        """The package as the reform panel's controls (`viz.dashboard_model.panel_policy`)."""
        out: dict[str, Any] = {}
        for key in REGISTRY:
            out[control_name(key, "on")] = key in self.reforms
        for key, start, intensity in self.tuned:
            out[control_name(key, "start")] = start
            out[control_name(key, "intensity")] = intensity
        return out


def check_packages(packages: Sequence[Package]) -> None:
    """Two to four packages, each named once, naming only known reforms (one-line errors)."""
    if not MIN_PACKAGES <= len(packages) <= MAX_PACKAGES:
        raise ParameterError(
            f"compare {MIN_PACKAGES} to {MAX_PACKAGES} packages, got {len(packages)}"
        )
    names = [p.name.strip() for p in packages]
    if any(not n for n in names):
        raise ParameterError("every package needs a name")
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ParameterError(f"two packages are both called {dup!r}: give each its own name")
    for p in packages:
        unknown = [k for k in p.reforms if k not in REGISTRY]
        if unknown:
            raise ParameterError(
                f"package {p.name!r}: unknown reform {unknown[0]!r} (known: {', '.join(REGISTRY)})"
            )


class Comparison:
    """The packages' cities, stepped together; `step` and `running` as the dashboard's player
    expects of a model."""

    def __init__(
        self, packages: Sequence[Package], preset: str = DEFAULT_PRESET, seed: int = 0
    ) -> None:
        check_packages(packages)
        base = session_preset(preset)
        self.preset_name = preset
        self.seed = seed
        self.packages = tuple(packages)
        self.days = base.days
        self.sims: list[CityModel] = []
        self.configs: list[Preset] = []  # each package's preset, as built
        for p in self.packages:
            errors: list[str] = []
            policy = panel_policy(base, p.controls(), "", errors)
            if errors:
                raise ParameterError(f"package {p.name!r}: {errors[0]}")
            config = with_first_city_policy(base, policy)
            self.configs.append(config)
            self.sims.append(config.build(seed))
        self.running = self.days > 0
        self._lock = threading.RLock()
        self._cache: tuple[int, pd.DataFrame] | None = None

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    @property
    def day(self) -> int:
        """The last simulated day (-1 before the first step)."""
        return self.sims[0].day

    def step(self) -> None:
        with self._lock:
            for sim in self.sims:
                sim.step()
            self.running = self.day + 1 < self.days

    def timeseries(self) -> pd.DataFrame:
        """Every package's day x city table, with a `package` column (cached for the day)."""
        with self._lock:
            if self._cache is None or self._cache[0] != self.day:
                frames = [
                    sim.timeseries().assign(package=p.name)
                    for p, sim in zip(self.packages, self.sims, strict=True)
                ]
                self._cache = (self.day, pd.concat(frames, ignore_index=True))
            return self._cache[1]

    def latest(self, outcomes: Sequence[str]) -> pd.DataFrame:
        """The last day's value of each outcome per package (rows) and outcome (columns), the
        city values averaged when the preset has several cities."""
        frame = self.timeseries()
        if frame.empty:
            return pd.DataFrame(index=[p.name for p in self.packages], columns=list(outcomes))
        today = frame[frame["day"] == frame["day"].max()]
        table = today.groupby("package", sort=False)[list(outcomes)].mean()
        return table.reindex([p.name for p in self.packages])
