"""The strict loader of presets and service catalogues (TOML).

Every problem becomes a ScenarioError whose message is one line naming the file, the line and
the key: a teacher editing a preset should never see a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from scenarios.paths import (
    DEFAULT_CATALOGUE,
    parameter_set_names,
    parameter_set_path,
    preset_names,
    preset_path,
)
from scenarios.toml_files import located, read_toml
from world.calendar import MAX_DAYS
from world.catalogue import Catalogue
from world.errors import ParameterError, ScenarioError, first_problem, unknown_name_message
from world.interventions import REGISTRY, Intervention, build_intervention
from world.parameters import Parameters, RegionParameters

if TYPE_CHECKING:
    from model.simulation import CityModel

PRESET_KEYS = (
    "description",
    "description_zh",
    "days",
    "catalogue",
    "parameter_set",
    "parameters",
    "policy",
    "region",
    "cities",
)
CITY_KEYS = ("name", "parameters", "policy")
POOLED = "all"  # the results' name for all cities of a region together


def load_catalogue(path: str | Path = DEFAULT_CATALOGUE) -> Catalogue:
    """Read and validate a service catalogue."""
    path = Path(path)
    text, data = read_toml(path)
    try:
        return Catalogue(**data)
    except ValidationError as exc:
        problem = first_problem(exc)
        key = getattr(problem.cause, "path", None) or problem.loc
        msg = problem.message
        if problem.cause is None and not problem.missing:
            msg += f" (got {problem.input!r})"
        raise ScenarioError(f"{located(path, text, key)}: {msg}") from None


@dataclass(frozen=True)
class CityPlan:
    """One city of a several-city preset: its name, parameter overrides and policy package."""

    name: str
    parameters: dict[str, Any]
    policy: tuple[Intervention, ...]


@dataclass(frozen=True)
class Preset:
    """A scenario: parameters and a policy package (or several cities), with a description.

    `parameters` are shared by every city; a city's own `parameters` table overrides them, and
    overrides given on the command line (`with_overrides`) win over both. The policy packages are
    immutable interventions, built once by the loader and shared by every model built from here.
    """

    name: str
    description: str
    parameters: Parameters
    policy: tuple[Intervention, ...]
    catalogue: Catalogue
    days: int = 365
    description_zh: str = ""
    source: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    cities: tuple[CityPlan, ...] = ()
    region: RegionParameters = field(default_factory=RegionParameters)

    def city_parameters(self, plan: CityPlan) -> Parameters:
        return self.parameters.with_overrides(plan.parameters)

    def with_overrides(self, overrides: dict[str, Any], source: str = "--set") -> Preset:
        """The same preset with some parameters changed (values may be strings).

        A name may be a city parameter (applied to every city) or a region parameter.
        """
        mine = {k: v for k, v in overrides.items() if k not in RegionParameters.model_fields}
        region = {k: v for k, v in overrides.items() if k in RegionParameters.model_fields}
        cities = tuple(
            CityPlan(c.name, {k: v for k, v in c.parameters.items() if k not in mine}, c.policy)
            for c in self.cities
        )
        return replace(
            self,
            parameters=self.parameters.with_overrides(mine, source),
            region=self.region.with_overrides(region, source),
            overrides={**self.overrides, **overrides},
            cities=cities,
        )

    def build(self, seed: int = 0) -> CityModel:
        """A fresh model of this preset (its interventions are shared: they hold no run state).

        The model is imported here, so that reading and checking presets stays light.
        """
        from model.city import CitySpec
        from model.simulation import CityModel

        if not self.cities:
            return CityModel(self.parameters, self.catalogue, self.policy, rng=seed)
        specs = [
            CitySpec(c.name, self.city_parameters(c), self.catalogue, list(c.policy))
            for c in self.cities
        ]
        return CityModel(cities=specs, region=self.region, rng=seed)


def load_preset(name_or_file: str | Path, *, other_files: bool = True) -> Preset:
    """Read, validate and return a preset; any problem is a one-line ScenarioError.

    `other_files=False` for a file from outside (a dashboard upload or share link): it may not
    make this process read another file, so a `catalogue` file, or a `parameter_set` other than
    by the name of one that comes with govsim, is refused before any is opened (a path's errors
    would tell what the file there holds)."""
    path = preset_path(name_or_file)
    text, data = read_toml(path)
    _known_keys(path, text, data, PRESET_KEYS, "preset key", ())
    if not other_files:
        _no_other_files(path, data)
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ScenarioError(f"{path}: a preset needs a one-line 'description'")
    days = data.get("days", 365)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        raise ScenarioError(
            f"{located(path, text, ('days',))}: give a whole number of days from 1 to"
            f" {MAX_DAYS:,}, not {days!r}"
        )

    catalogue_file = data.get("catalogue")
    catalogue = load_catalogue(
        (path.parent / catalogue_file) if catalogue_file else DEFAULT_CATALOGUE
    )

    own = data.get("parameters", {})
    parameters = _parameters(path, text, own, ("parameters",), Parameters)
    if "parameter_set" in data:
        base = _parameter_set(path, text, data["parameter_set"])
        parameters = Parameters.build({**base, **own})

    policy = _policy(path, text, data.get("policy", []), ("policy",))
    region = _parameters(path, text, data.get("region", {}), ("region",), RegionParameters)
    cities = _cities(path, text, data.get("cities"), parameters)
    _known_approvals(path, text, catalogue, policy, ("policy",))
    for k, city in enumerate(cities):
        _known_approvals(path, text, catalogue, city.policy, ("cities", k, "policy"))
    if cities and policy:
        raise ScenarioError(
            f"{located(path, text, ('policy',))}: with [[cities]], give each city its own"
            " [[cities.policy]]"
        )
    return Preset(
        path.stem,
        description.strip(),
        parameters,
        policy,
        catalogue,
        days,
        str(data.get("description_zh", "")),
        path,
        cities=cities,
        region=region,
    )


def _known_keys(
    path: Path, text: str, table: dict, allowed: tuple[str, ...], kind: str, where: tuple
) -> None:
    """Reject a key the format does not have, naming its line and the nearest valid key."""
    for key in table:
        if key not in allowed:
            raise ScenarioError(
                f"{located(path, text, (*where, key))}: " + unknown_name_message(kind, key, allowed)
            )


def _parameters(path: Path, text: str, raw: Any, where: tuple, cls: type) -> Any:
    """Validate a parameter table key by key, so an error can point at its line."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"{located(path, text, where)}: must be a table")
    for name, value in raw.items():
        try:
            cls.build({name: value})
        except ParameterError as exc:
            raise ScenarioError(f"{located(path, text, (*where, name))}: {exc}") from None
    return cls.build(raw)


def _no_other_files(path: Path, data: dict[str, Any]) -> None:
    if "catalogue" in data:
        raise ScenarioError(
            f"{path}: catalogue: a loaded preset runs the default catalogue; it cannot name a"
            " catalogue file"
        )
    named = data.get("parameter_set")
    if named is not None and named not in parameter_set_names():
        raise ScenarioError(
            f"{path}: parameter_set: a loaded preset can name only a parameter set that comes"
            f" with govsim ({', '.join(parameter_set_names())}), not a file"
        )


def _parameter_set(path: Path, text: str, name: Any) -> dict[str, Any]:
    """The `[parameters]` table of the parameter set a preset names (the preset's own
    parameters override it); a problem in the set's file is reported at its own line."""
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(
            f"{located(path, text, ('parameter_set',))}: name a parameter set (scenarios/"
            "parameter_sets) or a .toml file"
        )
    try:
        set_path = parameter_set_path(name.strip(), path.parent)
    except ScenarioError as exc:
        raise ScenarioError(f"{located(path, text, ('parameter_set',))}: {exc}") from None
    if not set_path.is_file():
        raise ScenarioError(f"{located(path, text, ('parameter_set',))}: no such file {set_path}")
    set_text, data = read_toml(set_path)
    _known_keys(set_path, set_text, data, ("parameters",), "parameter set key", ())
    raw = data.get("parameters")
    if raw is None:
        raise ScenarioError(f"{set_path}: a parameter set needs a [parameters] table")
    _parameters(set_path, set_text, raw, ("parameters",), Parameters)
    return dict(raw)


def _policy(path: Path, text: str, raw: Any, where: tuple) -> tuple[Intervention, ...]:
    if not isinstance(raw, list):
        raise ScenarioError(f"{located(path, text, where)}: use [[policy]] tables")
    policy: list[Intervention] = []
    for i, item in enumerate(raw):
        try:
            intervention = build_intervention(item)
        except ParameterError as exc:
            bad = _first_bad_key(item)
            raise ScenarioError(f"{located(path, text, (*where, i, *bad))}: {exc}") from None
        for j, other in enumerate(policy):
            if other.key == intervention.key and _overlap(other, intervention):
                raise ScenarioError(
                    f"{located(path, text, (*where, i))}: {intervention.key!r} overlaps the"
                    f" {intervention.key!r} of entry {j}: one policy cannot be switched on twice"
                )
        policy.append(intervention)
    return tuple(policy)


def _known_approvals(
    path: Path, text: str, catalogue: Catalogue, policy: tuple[Intervention, ...], where: tuple
) -> None:
    """An intervention that names approvals (fewer_approvals' `approvals`) names real ones."""
    known = {a.key for s in catalogue.services for a in s.approvals}
    for i, intervention in enumerate(policy):
        for key in getattr(intervention, "approvals", ()):
            if key not in known:
                raise ScenarioError(
                    f"{located(path, text, (*where, i, 'approvals'))}: "
                    + unknown_name_message("approval", key, sorted(known))
                )


def _overlap(a: Intervention, b: Intervention) -> bool:
    """Do two interventions' [start, end) windows overlap (end None: for ever)?"""
    a_end = a.end if a.end is not None else float("inf")
    b_end = b.end if b.end is not None else float("inf")
    return a.start < b_end and b.start < a_end


def _cities(path: Path, text: str, raw: Any, shared: Parameters) -> tuple[CityPlan, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise ScenarioError(f"{located(path, text, ('cities',))}: use [[cities]] tables")
    plans = []
    for i, item in enumerate(raw):
        _known_keys(path, text, item, CITY_KEYS, "city key", ("cities", i))
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ScenarioError(f"{located(path, text, ('cities', i))}: a city needs a 'name'")
        if name.strip().casefold() == POOLED:
            raise ScenarioError(
                f"{located(path, text, ('cities', i, 'name'))}: {POOLED!r} names all cities"
                " together in the results; give this city another name"
            )
        if name in [p.name for p in plans]:
            raise ScenarioError(f"{located(path, text, ('cities', i, 'name'))}: duplicate city")
        own = item.get("parameters", {})
        where = ("cities", i, "parameters")
        _parameters(path, text, own, where, Parameters)
        try:
            shared.with_overrides(own)
        except ParameterError as exc:
            raise ScenarioError(f"{located(path, text, where)}: {exc}") from None
        policy = _policy(path, text, item.get("policy", []), ("cities", i, "policy"))
        plans.append(CityPlan(name, dict(own), policy))
    return tuple(plans)


def _first_bad_key(item: Any) -> tuple[str, ...]:
    """The key of a policy entry to point at: the first that fails on its own, else `end` (the
    fields are fine alone but not together: the window), else the entry itself."""
    if not isinstance(item, dict):
        return ()
    kind = item.get("type")
    if not isinstance(kind, str) or kind not in REGISTRY:
        return ("type",) if "type" in item else ()
    for key, value in item.items():
        if key == "type":
            continue
        try:
            build_intervention({"type": kind, key: value})
        except ParameterError:
            return (key,)
    return ("end",) if "end" in item else ()


def list_presets() -> list[Preset]:
    return [load_preset(name) for name in preset_names()]
