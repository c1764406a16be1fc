"""report.html's charts: a distinct style for every preset of the standard experiment (14 and
more), the reference in black, and every outcome the experiment names."""

from __future__ import annotations

from pathlib import Path

from experiments.design import load_spec
from experiments.report import series_styles

REPO = Path(__file__).resolve().parents[2]


def test_every_preset_gets_its_own_colour_and_line():
    presets = load_spec(REPO / "experiments/standard.toml").presets
    labels = [*presets, *(f"extra_{i}" for i in range(10))]  # 24 series
    styles = series_styles(labels, reference="baseline")
    looks = [(s["color"], s["linestyle"]) for s in styles.values()]
    assert len(set(looks)) == len(labels)
    assert styles["baseline"]["color"] == "black"
    assert all(s["color"] != "black" for k, s in styles.items() if k != "baseline")
