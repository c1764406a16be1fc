"""The strict loader of presets and service catalogues (TOML).

Every problem becomes a ScenarioError whose message is one line naming the file, the line and
the key: a teacher editing a preset should never see a traceback.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from model.catalogue import Catalogue
from model.interventions import Intervention, build_intervention
from model.parameters import ParameterError, Parameters, build_parameters, unknown_name_message
from model.simulation import CityModel
from scenarios.toml_locations import dotted, line_of

HERE = Path(__file__).parent
PRESET_DIR = HERE / "presets"
DEFAULT_CATALOGUE = HERE / "catalogue.toml"
PRESET_KEYS = ("description", "description_zh", "days", "catalogue", "parameters", "policy")


class ScenarioError(ParameterError):
    """A preset or catalogue that cannot be used; the message says file, line and key."""


def _where(path: Path, text: str, key: tuple[str | int, ...]) -> str:
    line = line_of(text, key) if key else None
    loc = f"{path}:{line}" if line else str(path)
    return f"{loc}: {dotted(key)}" if key else loc


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: malformed TOML: {exc}") from None


def load_catalogue(path: str | Path = DEFAULT_CATALOGUE) -> Catalogue:
    """Read and validate a service catalogue."""
    path = Path(path)
    text, data = _read(path)
    try:
        return Catalogue(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        cause = (err.get("ctx") or {}).get("error")
        key = getattr(cause, "path", None) or tuple(err["loc"])
        msg = str(cause) if cause is not None else err["msg"].lower()
        if cause is None and err["type"] != "missing":
            msg += f" (got {err.get('input')!r})"
        raise ScenarioError(f"{_where(path, text, key)}: {msg}") from None


@dataclass(frozen=True)
class Preset:
    """A scenario: parameter overrides and a policy package, with a description."""

    name: str
    description: str
    parameters: Parameters
    policy: tuple[dict[str, Any], ...]
    catalogue: Catalogue
    days: int = 365
    description_zh: str = ""
    source: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def interventions(self) -> list[Intervention]:
        """Fresh intervention objects (they hold run state, so each model gets its own)."""
        return [build_intervention(d) for d in self.policy]

    def with_overrides(self, overrides: dict[str, Any], source: str = "--set") -> Preset:
        """The same preset with some parameters changed (values may be strings)."""
        params = self.parameters.with_overrides(overrides, source)
        return Preset(
            self.name,
            self.description,
            params,
            self.policy,
            self.catalogue,
            self.days,
            self.description_zh,
            self.source,
            {**self.overrides, **overrides},
        )

    def build(self, seed: int = 0) -> CityModel:
        """A fresh model of this preset."""
        return CityModel(self.parameters, self.catalogue, self.interventions(), rng=seed)


def preset_path(name_or_file: str | Path) -> Path:
    """A preset name under scenarios/presets, or a path to a TOML file."""
    candidate = Path(name_or_file)
    if candidate.suffix == ".toml" or candidate.exists():
        return candidate
    path = PRESET_DIR / f"{name_or_file}.toml"
    if not path.exists():
        raise ScenarioError(unknown_name_message("preset", str(name_or_file), preset_names()))
    return path


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def load_preset(name_or_file: str | Path) -> Preset:
    """Read, validate and return a preset; any problem is a one-line ScenarioError."""
    path = preset_path(name_or_file)
    text, data = _read(path)
    for key in data:
        if key not in PRESET_KEYS:
            raise ScenarioError(
                f"{_where(path, text, (key,))}: "
                + unknown_name_message("preset key", key, PRESET_KEYS)
            )
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ScenarioError(f"{path}: a preset needs a one-line 'description'")
    days = data.get("days", 365)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 36500:
        raise ScenarioError(f"{_where(path, text, ('days',))}: must be a whole number of days")

    catalogue_file = data.get("catalogue")
    catalogue = load_catalogue(
        (path.parent / catalogue_file) if catalogue_file else DEFAULT_CATALOGUE
    )

    raw_params = data.get("parameters", {})
    if not isinstance(raw_params, dict):
        raise ScenarioError(f"{_where(path, text, ('parameters',))}: must be a table")
    for name, value in raw_params.items():
        try:
            parameters = build_parameters({name: value})
        except ParameterError as exc:
            raise ScenarioError(f"{_where(path, text, ('parameters', name))}: {exc}") from None
    parameters = build_parameters(raw_params)

    raw_policy = data.get("policy", [])
    if not isinstance(raw_policy, list):
        raise ScenarioError(f"{_where(path, text, ('policy',))}: use [[policy]] tables")
    policy = []
    for i, item in enumerate(raw_policy):
        try:
            intervention = build_intervention(item)
        except ParameterError as exc:
            bad = _first_bad_key(item)
            raise ScenarioError(f"{_where(path, text, ('policy', i, *bad))}: {exc}") from None
        policy.append(intervention.to_dict())
    return Preset(
        path.stem,
        description.strip(),
        parameters,
        tuple(policy),
        catalogue,
        days,
        str(data.get("description_zh", "")),
        path,
    )


def _first_bad_key(item: dict[str, Any]) -> tuple[str, ...]:
    """The key of a policy entry that fails on its own, for pointing at its line."""
    kind = item.get("type")
    if kind is None:
        return ()
    for key, value in item.items():
        if key == "type":
            continue
        try:
            build_intervention({"type": kind, key: value})
        except ParameterError:
            return (key,)
    return ("type",)


def list_presets() -> list[Preset]:
    return [load_preset(name) for name in preset_names()]
