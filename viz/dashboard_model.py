"""The model the dashboard drives: a preset's city (or cities) built from what the controls say.

Reset rebuilds the model as `DashboardModel(**controls)` (`viz.app`), with one keyword per
control (the seed as typed, one per parameter, three per reform). A value that cannot be used is
reported in `errors` and replaced by the preset's own, so a typo never blanks the page. The
"baseline" is the same preset, parameters and seed with no reforms, stepped on demand beside it.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np
import pandas as pd

from model.simulation import CityModel
from scenarios import Preset, load_preset
from viz.lessons import LESSONS
from viz.sliders import slider_step
from world.errors import ParameterError
from world.interventions import REGISTRY, Intervention, build_intervention
from world.parameters import Parameters

DEFAULT_PRESET = "baseline"
# The dashboard's own departures from the declared defaults, in one place. Empty: the default
# city (50,000 citizens) steps in a few milliseconds, well inside the 300 ms redraw budget.
DASHBOARD_OVERRIDES: dict[str, Any] = {}
REFORM_FIELDS = ("on", "start", "intensity")


def control_name(reform: str, field: str) -> str:
    """The keyword of one reform control, e.g. 'one_stop.start'."""
    return f"{reform}.{field}"


def parse_seed(text: Any) -> int:
    """A seed from what a person types (' 42 ', '42.0', '1e3', '1,000'): whole and >= 0."""
    if isinstance(text, bool):
        raise ParameterError(f"seed must be a whole number, got {text!r}")
    if isinstance(text, int | np.integer):
        value = int(text)
    else:
        s = str(text).strip().replace(",", "").replace("_", "")
        try:
            as_float = float(s)
        except ValueError:
            raise ParameterError(f"seed must be a whole number, got {text!r}") from None
        if not as_float.is_integer():
            raise ParameterError(f"seed must be a whole number, got {text!r}")
        value = int(as_float)
    if not 0 <= value < 2**63:
        raise ParameterError(f"seed must be between 0 and 2**63-1, got {text!r}")
    return value


def first_city_policy(preset: Preset) -> tuple[Intervention, ...]:
    """The policy package the reform panel edits: the preset's, or its first city's."""
    return preset.cities[0].policy if preset.cities else preset.policy


def with_first_city_policy(preset: Preset, policy: tuple[Intervention, ...]) -> Preset:
    """The preset with the edited package put back where `first_city_policy` found it."""
    if not preset.cities:
        return dataclasses.replace(preset, policy=tuple(policy))
    first = dataclasses.replace(preset.cities[0], policy=tuple(policy))
    return dataclasses.replace(preset, cities=(first, *preset.cities[1:]))


def without_reforms(preset: Preset) -> Preset:
    """The same preset with every city's policy package emptied: the baseline."""
    cities = tuple(dataclasses.replace(c, policy=()) for c in preset.cities)
    return dataclasses.replace(preset, policy=(), cities=cities)


def has_reforms(preset: Preset) -> bool:
    return bool(preset.policy) or any(c.policy for c in preset.cities)


def session_preset(preset: str = DEFAULT_PRESET, lesson: str = "") -> Preset:
    """The preset a dashboard session starts from, with the dashboard's and a lesson's changes."""
    if lesson:
        spec = LESSONS[lesson]
        base = load_preset(spec.preset)
        base = base.with_overrides({**DASHBOARD_OVERRIDES, **spec.parameters}, "lesson")
        if spec.policy is not None:
            base = with_first_city_policy(base, spec.policy)
        if spec.days is not None:
            base = dataclasses.replace(base, days=spec.days)
        return base
    return load_preset(preset).with_overrides(DASHBOARD_OVERRIDES, "dashboard")


def reform_defaults(preset: Preset) -> dict[str, tuple[bool, Intervention]]:
    """For each reform: whether the preset uses it, and the intervention as the preset has it
    (with its declared defaults for a reform the preset does not use)."""
    used = {i.key: i for i in first_city_policy(preset)}
    return {key: (key in used, used.get(key) or cls()) for key, cls in REGISTRY.items()}


class DashboardModel(mesa.Model):
    """One dashboard session's simulation, with the baseline it is compared with."""

    def __init__(
        self,
        preset: str = DEFAULT_PRESET,
        lesson: str = "",
        seed: Any = "0",
        scenario: Any = None,  # Mesa passes its own Scenario on Reset; our seed is the seed field
        **controls: Any,
    ) -> None:
        self.errors: list[str] = []
        try:
            seed_value = parse_seed(seed)
        except ParameterError as exc:
            self.errors.append(str(exc) + "; using 0")
            seed_value = 0
        super().__init__(rng=seed_value)
        self.seed = seed_value
        self.preset_name = preset
        self.lesson = lesson
        base = session_preset(preset, lesson)
        configured = self._apply_parameters(base, controls)
        configured = with_first_city_policy(configured, self._policy(base, controls))
        unknown = sorted(k for k in controls if k not in Parameters.model_fields and "." not in k)
        for k in unknown:
            self.errors.append(f"unknown control {k!r}")
        self.config = configured
        self.days = configured.days
        self.sim: CityModel = configured.build(seed_value)
        self.baseline_config = without_reforms(configured)
        self.baseline: CityModel | None = None
        self._lock = threading.RLock()
        self._series_cache: tuple[int, pd.DataFrame] | None = None
        self._baseline_cache: tuple[int, pd.DataFrame] | None = None
        self.cache: dict[str, Any] = {}  # per-model memo for views (layouts, samples)

    # --- building from the controls -------------------------------------------------------------
    def _apply_parameters(self, base: Preset, controls: Mapping[str, Any]) -> Preset:
        """Apply the parameter controls that differ from the preset, each validated alone."""
        changed: dict[str, Any] = {}
        shared = base.parameters
        for name, raw in controls.items():
            if name not in Parameters.model_fields:
                continue
            info = Parameters.info(name)
            try:
                value = info.coerce(raw)
                current = getattr(shared, name)
                step = slider_step(info)
                # A slider cannot show a value between its steps (a calibrated 0.06995 shows as
                # 0.07): left where the preset put it, it keeps the preset's exact value.
                if value == current or (step is not None and abs(value - current) < step / 2):
                    continue
                shared.with_overrides({name: value})
            except ParameterError as exc:
                self.errors.append(f"{exc}; using {getattr(shared, name)!r}")
                continue
            changed[name] = value
        return base.with_overrides(changed, "dashboard") if changed else base

    def _policy(self, base: Preset, controls: Mapping[str, Any]) -> tuple[Intervention, ...]:
        """The first city's package: the preset's, with each reform switched as the panel says.

        An edited reform is a new intervention, validated like one read from a preset.
        """
        out: list[Intervention] = []
        for key, (on, intervention) in reform_defaults(base).items():
            settings = {"on": on, "start": intervention.start, "intensity": intervention.intensity}
            for f in REFORM_FIELDS:
                settings[f] = controls.get(control_name(key, f), settings[f])
            if not settings["on"]:
                continue
            data = intervention.to_dict()
            data["start"] = round(float(settings["start"]))
            data["intensity"] = float(settings["intensity"])
            if data["end"] is not None and data["end"] <= data["start"]:
                data["end"] = None
            try:
                out.append(build_intervention(data, "reform panel"))
            except ParameterError as exc:
                self.errors.append(str(exc))
        return tuple(out)

    @property
    def lock(self) -> threading.RLock:
        """Held while the model steps; views hold it while they read the model."""
        return self._lock

    # --- running --------------------------------------------------------------------------------
    @property
    def day(self) -> int:
        """The last simulated day (-1 before the first step)."""
        return self.sim.day

    def step(self) -> None:
        with self._lock:
            self.sim.step()
            self.running = self.sim.day + 1 < self.days

    def run_to(self, day: int) -> None:
        """Step until `day` has been simulated (or the preset's horizon is reached)."""
        while self.running and self.sim.day < min(day, self.days - 1):
            self.step()

    @property
    def compares(self) -> bool:
        """Whether a baseline differs from this run (it has reforms)."""
        return has_reforms(self.config)

    def _baseline_to_today(self) -> CityModel | None:
        if not self.compares:
            return None
        with self._lock:
            if self.baseline is None:
                self.baseline = self.baseline_config.build(self.seed)
            while self.baseline.day < self.sim.day:
                self.baseline.step()
        return self.baseline

    # --- what the views read -------------------------------------------------------------------
    def timeseries(self) -> pd.DataFrame:
        """The run's day x city table of outcomes (cached for the current day)."""
        with self._lock:
            if self._series_cache is None or self._series_cache[0] != self.sim.day:
                self._series_cache = (self.sim.day, self.sim.timeseries())
            return self._series_cache[1]

    def baseline_timeseries(self) -> pd.DataFrame | None:
        """The baseline's table up to the same day, or None when there are no reforms."""
        base = self._baseline_to_today()
        if base is None:
            return None
        with self._lock:
            if self._baseline_cache is None or self._baseline_cache[0] != base.day:
                self._baseline_cache = (base.day, base.timeseries())
            return self._baseline_cache[1]

    def office_queues(self, baseline: bool = False) -> list[tuple[str, str, int]]:
        """(city, office key, visits waiting) at the end of the last simulated day."""
        model = self._baseline_to_today() if baseline else self.sim
        if model is None:
            return []
        return [(c.name, o.spec.key, o.queue_length) for c in model.cities for o in c.offices]
