"""A preset written back as a preset file: what the dashboard's "Download this setup" and the
optimiser's Pareto packages save, and what `load_preset` reads back as the same preset."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from scenarios.loader import Preset, ScenarioError, load_catalogue
from scenarios.toml_files import toml_key, toml_value
from world.interventions import Intervention
from world.parameters import Parameters, RegionParameters


def _table(values: dict[str, Any]) -> list[str]:
    return [f"{toml_key(k)} = {toml_value(v)}" for k, v in values.items() if v is not None]


def changed(values: Any, defaults: Any) -> dict[str, Any]:
    """The fields of a parameter set that differ from the declared defaults."""
    return {
        name: getattr(values, name)
        for name in type(values).model_fields
        if getattr(values, name) != getattr(defaults, name)
    }


def _policy_lines(policy: tuple[Intervention, ...], header: str) -> list[str]:
    """Each intervention's type, start and intensity, and its other fields where they differ
    from the reform's declared defaults."""
    out: list[str] = []
    for intervention in policy:
        defaults = type(intervention)().to_dict()
        fields = {
            k: v
            for k, v in intervention.to_dict().items()
            if k in ("type", "start", "intensity") or v != defaults[k]
        }
        out += ["", f"[[{header}]]", *_table(fields)]
    return out


@functools.cache
def _default_catalogue() -> Any:
    return load_catalogue()


def preset_text(preset: Preset, comments: list[str], catalogue: Path | None = None) -> str:
    """`preset` as a preset file, after `comments` (lines, each written as a TOML comment):
    its description and days, every parameter that differs from its declared default, the
    region's, and each policy package. A preset with its own service catalogue needs the path
    of that catalogue's file (`catalogue`); without one it is refused."""
    if catalogue is None and preset.catalogue != _default_catalogue():
        raise ScenarioError("a preset with its own service catalogue cannot be exported")
    lines = [f"# {line}" if line else "#" for line in comments]
    lines += _table(
        {
            "description": preset.description,
            "description_zh": preset.description_zh or None,
            "days": preset.days,
            "catalogue": str(catalogue) if catalogue is not None else None,
        }
    )
    lines += ["", "[parameters]", *_table(changed(preset.parameters, Parameters()))]
    region = changed(preset.region, RegionParameters())
    if region:
        lines += ["", "[region]", *_table(region)]
    lines += _policy_lines(preset.policy, "policy")
    for city in preset.cities:
        lines += ["", "[[cities]]", *_table({"name": city.name})]
        if city.parameters:
            lines += ["", "[cities.parameters]", *_table(dict(city.parameters))]
        lines += _policy_lines(city.policy, "cities.policy")
    return "\n".join(lines) + "\n"
