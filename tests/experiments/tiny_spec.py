"""A tiny experiment specification, shared by the experiments tests and the command-line tests."""

from __future__ import annotations

from pathlib import Path

SPEC = """
description = "tiny test experiment"
presets = ["baseline", "one_stop"]
replicates = 2
days = 40
base_seed = 100
outcomes = ["satisfaction_citizens", "trips_per_case", "days_per_case"]
timeseries_every = 5

[parameters]
n_citizens = 1500
n_enterprises = 80

[sweep.grid]
bounce_prob = [0.05, 0.2]
"""


def write_spec(tmp_path: Path, text: str = SPEC, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
