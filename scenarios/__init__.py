"""Scenarios as data: presets (TOML), the service catalogue, and their strict loader.

The loader (and with it pydantic and the model) is imported when first used, so that naming a
preset or listing them stays quick.
"""

from __future__ import annotations

from typing import Any

from scenarios.paths import preset_names, preset_path
from world.errors import ScenarioError

_LOADER = ("Preset", "list_presets", "load_catalogue", "load_preset")

__all__ = [
    "Preset",
    "ScenarioError",
    "list_presets",
    "load_catalogue",
    "load_preset",
    "preset_names",
    "preset_path",
]


def __getattr__(name: str) -> Any:
    if name in _LOADER:
        from scenarios import loader

        return getattr(loader, name)
    raise AttributeError(f"module 'scenarios' has no attribute {name!r}")
