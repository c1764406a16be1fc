"""The model the dashboard drives: a preset's city (or cities) built from what the controls say.

Reset rebuilds the model as `DashboardModel(**controls)` (`viz.app`), with one keyword per
control (the seed as typed, one per parameter, three per reform and city). A value that cannot be
used is reported in `errors` and replaced by the preset's own, so a typo never blanks the page.
The "baseline" is the same preset, parameters and seed with no reforms, stepped on demand beside
it.

The session's preset is named by a *reference*: a preset's name (`one_stop`) or a preset file,
optionally followed by `?` and changed controls as a URL query (`two_cities?seed=3&n_citizens=5000
&laggard:one_stop.on=1`): the setup a share link or a loaded file reopens (`viz.share`).
`session_preset` resolves it; `configure` applies controls to a preset, for both.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

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


def control_name(reform: str, field: str, city: str = "") -> str:
    """The keyword of one reform control, e.g. 'one_stop.start'; another city than the first of
    a several-city preset prefixes its name: 'laggard:one_stop.start'."""
    return f"{city}:{reform}.{field}" if city else f"{reform}.{field}"


def reform_cities(preset: Preset) -> list[str]:
    """The control-name prefix of each policy package the reform panel edits, in order: "" for
    the preset's package or its first city's, then each other city's name."""
    return ["", *(c.name for c in preset.cities[1:])]


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


def city_policy(preset: Preset, city: str = "") -> tuple[Intervention, ...]:
    """The policy package of a reform panel prefix (`reform_cities`): the preset's, or a city's."""
    if not preset.cities:
        return preset.policy
    if not city:
        return preset.cities[0].policy
    return next(c.policy for c in preset.cities if c.name == city)


def with_city_policy(preset: Preset, policy: tuple[Intervention, ...], city: str = "") -> Preset:
    """The preset with the edited package put back where `city_policy` found it."""
    if not preset.cities:
        return dataclasses.replace(preset, policy=tuple(policy))
    name = city or preset.cities[0].name
    cities = tuple(
        dataclasses.replace(c, policy=tuple(policy)) if c.name == name else c for c in preset.cities
    )
    return dataclasses.replace(preset, cities=cities)


def first_city_policy(preset: Preset) -> tuple[Intervention, ...]:
    """The policy package of the preset, or of its first city."""
    return city_policy(preset)


def with_first_city_policy(preset: Preset, policy: tuple[Intervention, ...]) -> Preset:
    """The preset with its (first city's) package replaced."""
    return with_city_policy(preset, policy)


def without_reforms(preset: Preset) -> Preset:
    """The same preset with every city's policy package emptied: the baseline."""
    cities = tuple(dataclasses.replace(c, policy=()) for c in preset.cities)
    return dataclasses.replace(preset, policy=(), cities=cities)


def has_reforms(preset: Preset) -> bool:
    return bool(preset.policy) or any(c.policy for c in preset.cities)


def split_reference(reference: str) -> tuple[str, dict[str, str]]:
    """A preset reference's preset (a name or a file) and its changed controls (with the seed)."""
    name, _, query = str(reference).partition("?")
    return name, dict(parse_qsl(query, keep_blank_values=True))


def reference_seed(reference: str) -> int:
    """The seed a reference names (0 when it names none or an unusable one)."""
    try:
        return parse_seed(split_reference(reference)[1].get("seed", 0))
    except ParameterError:
        return 0


def reference_name(reference: str) -> str:
    """What a reference is called on the page: its preset's name, or its file's stem."""
    name = split_reference(reference)[0]
    return Path(name).stem if name.endswith(".toml") else name


def session_preset(preset: str = DEFAULT_PRESET, lesson: str = "") -> Preset:
    """The preset a dashboard session starts from (a reference: a name or file, with changed
    controls), with the dashboard's and a lesson's changes."""
    name, controls = split_reference(preset)
    if lesson:
        spec = LESSONS[lesson]
        base = load_preset(spec.preset)
        base = base.with_overrides({**DASHBOARD_OVERRIDES, **spec.parameters}, "lesson")
        if spec.policy is not None:
            base = with_first_city_policy(base, spec.policy)
        if spec.days is not None:
            base = dataclasses.replace(base, days=spec.days)
    else:
        base = load_preset(name).with_overrides(DASHBOARD_OVERRIDES, "dashboard")
    controls.pop("seed", None)
    return configure(base, controls)[0] if controls else base


def reform_defaults(preset: Preset, city: str = "") -> dict[str, tuple[bool, Intervention]]:
    """For each reform: whether the package of `city` (a `reform_cities` prefix) uses it, and the
    intervention as the preset has it (with its declared defaults for a reform it does not use)."""
    used = {i.key: i for i in city_policy(preset, city)}
    return {key: (key in used, used.get(key) or cls()) for key, cls in REGISTRY.items()}


def _switch(value: Any) -> bool:
    """A reform's on/off control: a checkbox's bool, or '1'/'0' (also 'true'/'on') from a link."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("1", "true", "on", "yes"):
            return True
        if text in ("0", "false", "off", "no", ""):
            return False
        raise ParameterError(f"a reform is on (1) or off (0), got {value!r}")
    return bool(value)


def configure(
    base: Preset, controls: Mapping[str, Any], *, say_kept: bool = True
) -> tuple[Preset, list[str]]:
    """`base` with the parameter and reform controls applied, and the problems found (each
    unusable control is left as `base` has it, and `say_kept` adds the value kept to its
    problem: "; using 50000"). Other keywords (preset, lesson, seed) are not looked at; an
    unknown one is a problem."""
    errors: list[str] = []
    configured = _apply_parameters(base, controls, errors, say_kept)
    for city in reform_cities(base):
        policy = panel_policy(base, controls, city, errors)
        configured = with_city_policy(configured, policy, city)
    known = {
        control_name(k, f, c) for c in reform_cities(base) for k in REGISTRY for f in REFORM_FIELDS
    }
    for k in sorted(controls):
        if k not in Parameters.model_fields and k not in known and k not in FIXED_CONTROLS:
            errors.append(f"unknown control {k!r}")
    return configured, errors


FIXED_CONTROLS = ("preset", "lesson", "seed", "scenario")


def _apply_parameters(
    base: Preset, controls: Mapping[str, Any], errors: list[str], say_kept: bool
) -> Preset:
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
            errors.append(f"{exc}; using {getattr(shared, name)!r}" if say_kept else str(exc))
            continue
        changed[name] = value
    return base.with_overrides(changed, "dashboard") if changed else base


def panel_policy(
    base: Preset, controls: Mapping[str, Any], city: str, errors: list[str]
) -> tuple[Intervention, ...]:
    """A city's package: the preset's, with each reform switched as the panel says.

    An edited reform is a new intervention, validated like one read from a preset.
    """
    out: list[Intervention] = []
    for key, (on, intervention) in reform_defaults(base, city).items():
        settings = {"on": on, "start": intervention.start, "intensity": intervention.intensity}
        for f in REFORM_FIELDS:
            settings[f] = controls.get(control_name(key, f, city), settings[f])
        where = f"reform panel ({city})" if city else "reform panel"
        try:
            if not _switch(settings["on"]):
                continue
            data = intervention.to_dict()
            data["start"] = round(float(settings["start"]))
            data["intensity"] = float(settings["intensity"])
            if data["end"] is not None and data["end"] <= data["start"]:
                data["end"] = None
            out.append(build_intervention(data, where))
        except (ParameterError, ValueError, TypeError) as exc:
            errors.append(f"{where}: {key}: {exc}" if where not in str(exc) else str(exc))
    return tuple(out)


class DashboardModel(mesa.Model):
    """One dashboard session's simulation, with the baseline it is compared with."""

    def __init__(
        self,
        preset: str = DEFAULT_PRESET,
        lesson: str = "",
        seed: Any = None,  # None: the seed the preset reference names (0 if none)
        scenario: Any = None,  # Mesa passes its own Scenario on Reset; our seed is the seed field
        **controls: Any,
    ) -> None:
        self.errors: list[str] = []
        if seed is None:
            seed = reference_seed(preset)
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
        configured, problems = configure(base, controls)
        self.errors += problems
        self.config = configured
        self.days = configured.days
        self.sim: CityModel = configured.build(seed_value)
        self.baseline_config = without_reforms(configured)
        self.baseline: CityModel | None = None
        self._lock = threading.RLock()
        self._series_cache: tuple[int, pd.DataFrame] | None = None
        self._baseline_cache: tuple[int, pd.DataFrame] | None = None
        self.cache: dict[str, Any] = {}  # per-model memo for views (layouts, samples)

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
