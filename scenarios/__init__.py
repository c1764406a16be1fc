"""Scenarios as data: presets (TOML), the service catalogue, and their strict loader."""

from scenarios.loader import (
    Preset,
    ScenarioError,
    list_presets,
    load_catalogue,
    load_preset,
    preset_names,
)

__all__ = [
    "Preset",
    "ScenarioError",
    "list_presets",
    "load_catalogue",
    "load_preset",
    "preset_names",
]
