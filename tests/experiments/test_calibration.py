"""Calibration (experiments/calibration.py, `govsim calibrate`): the spec is checked, targets are
read from the targets file at the right model days, the loss is what it says, and a killed or
extended calibration resumes from its stored trials."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments.calibration import (
    Target,
    ToleranceDistance,
    abc_calibrate,
    best_parameters,
    bounds,
    calibrate,
    edition_day,
    load_spec,
    loss,
    posterior_values,
    targets,
    write_parameter_set,
)
from world.errors import ParameterError
from world.parameters import Parameters

SPEC = """
description = "tiny"
preset = "shanghai_2005_2020"
day_zero = 2005-01-01
fit = ["DB2006"]
holdout = ["DB2007"]
indicators = ["Doing Business starting a business: time (days)"]
trials = 2
seeds = 1
holdout_seeds = 2
window_days = 120

[parameters]
doc_return_days = [1.0, 5.0]
bounce_prob = "declared"

[overrides]
n_citizens = 1000
n_enterprises = 50
"""


def _spec(tmp_path: Path, text: str = SPEC) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_spec_loads_with_declared_ranges_filled_in(tmp_path) -> None:
    spec = load_spec(_spec(tmp_path))
    ranges = bounds(spec)
    assert ranges["doc_return_days"] == (1.0, 5.0)
    info = Parameters.info("bounce_prob")
    assert ranges["bounce_prob"] == (info.low, info.high)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("doc_return_days = [1.0, 5.0]", "doc_return_dayz = [1.0, 5.0]"), "doc_return_dayz"),
        (("doc_return_days = [1.0, 5.0]", "doc_return_days = [5.0, 1.0]"), "low < high"),
        (("trials = 2", "trials = 0"), "trials"),
        (('fit = ["DB2006"]', "fit = []"), "fit"),
        (("seeds = 1", "seedz = 1"), "seedz"),
    ],
)
def test_a_bad_spec_is_one_clear_line(tmp_path, change, message) -> None:
    with pytest.raises(ParameterError, match=message):
        load_spec(_spec(tmp_path, SPEC.replace(*change)))


def test_a_missing_spec_says_so(tmp_path) -> None:
    with pytest.raises(ParameterError, match="no such calibration spec"):
        load_spec(tmp_path / "nope.toml")


def test_targets_come_from_the_file_at_their_dates(tmp_path) -> None:
    spec = load_spec(_spec(tmp_path))
    (fitted,) = targets(spec, spec.fit)  # DB2006, Shanghai, days: 48 (scenarios/targets)
    assert (fitted.edition, fitted.outcome, fitted.value) == ("DB2006", "start_business_days", 48)
    # DB2006's period is not a date: the June of the year before the edition
    assert fitted.day == edition_day("DB2006", dt.date(2005, 1, 1)) == 151
    assert fitted.tolerance == pytest.approx(4.8)  # 10 % of the value, at least 2 days
    # a row whose period is a date is measured on that date: DB2019, 2018-05-01
    later = load_spec(_spec(tmp_path, SPEC.replace('"DB2006"]', '"DB2019"]')))
    (db2019,) = targets(later, later.fit)
    assert db2019.day == (dt.date(2018, 5, 1) - dt.date(2005, 1, 1)).days


def test_the_loss_by_hand() -> None:
    a = Target("a", "DB1", "start_business_days", 10, 40.0, 4.0)
    b = Target("b", "DB2", "start_business_days", 20, 10.0, 2.0)
    runs = [
        {10: {"start_business_days": 44.0}, 20: {"start_business_days": 11.0}},
        {10: {"start_business_days": 48.0}, 20: {"start_business_days": math.nan}},
    ]
    # a: mean 46, (46 - 40) / 4 = 1.5; b: only the defined value, 11: (11 - 10) / 2 = 0.5
    assert loss(runs, [a, b]) == pytest.approx(1.5**2 + 0.5**2)
    # a target the model never measured costs as much as ten tolerances
    assert loss([{10: {"start_business_days": math.nan}}], [a]) == 100.0


@pytest.mark.slow
def test_calibration_resumes_and_writes_a_parameter_set_presets_can_use(tmp_path) -> None:
    spec = load_spec(_spec(tmp_path))
    out = tmp_path / "out"
    first = calibrate(spec, out, workers=1)
    assert len(first) == 2
    more = calibrate(spec.model_copy(update={"trials": 3}), out, workers=1)
    assert len(more) == 3  # two kept from the store, one new
    assert set(first["trial"]) < set(more["trial"])
    values = best_parameters(spec, more)
    assert 1.0 <= values["doc_return_days"] <= 5.0
    write_parameter_set(out / "calibrated.toml", spec, values, float(more["loss"].iloc[0]))
    text = (out / "calibrated.toml").read_text(encoding="utf-8")
    assert "[parameters]" in text and "doc_return_days" in text
    # the table drops into a preset unchanged
    preset = tmp_path / "calibrated_baseline.toml"
    preset.write_text('description = "baseline, calibrated"\n' + text, encoding="utf-8")
    from scenarios import load_preset

    assert load_preset(preset).parameters.doc_return_days == values["doc_return_days"]


@pytest.mark.slow
def test_govsim_calibrate_runs_and_reports_held_out_coverage(tmp_path) -> None:
    spec = _spec(tmp_path)
    out = tmp_path / "out"
    r = subprocess.run(
        [sys.executable, "-m", "cli", "calibrate", str(spec), "--out", str(out), "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    assert "held-out coverage of the 90% interval" in r.stdout
    check = pd.read_csv(out / "holdout.csv")
    assert set(check["set"]) == {"fit", "held out"}
    assert (out / "trials.parquet").exists() and (out / "calibrated.toml").exists()


def test_the_abc_distance_is_the_root_of_the_loss() -> None:
    a = Target("a", "DB1", "start_business_days", 10, 40.0, 4.0)
    b = Target("b", "DB2", "start_business_days", 20, 10.0, 2.0)
    distance = ToleranceDistance([a, b])
    assert distance({"a": 46.0, "b": 11.0}, {"a": 40.0, "b": 10.0}) == pytest.approx(
        math.sqrt(1.5**2 + 0.5**2)
    )
    # a measure the model could not take (no start-up in the window) is ten tolerances off
    assert distance({"a": -1.0, "b": 10.0}, {"a": 40.0, "b": 10.0}) == pytest.approx(10.0)


@pytest.mark.slow
def test_abc_resumes_from_its_history_and_gives_a_weighted_posterior(tmp_path) -> None:
    text = SPEC.replace("trials = 2", 'method = "abc"\npopulation = 5\ngenerations = 1')
    spec = load_spec(_spec(tmp_path, text))
    out = tmp_path / "abc"
    first = abc_calibrate(spec, out, workers=1)
    assert len(first) == 5 and set(first["generation"]) == {0}
    assert first["weight"].sum() == pytest.approx(1.0)
    again = abc_calibrate(spec.model_copy(update={"generations": 2}), out, workers=1)
    assert set(again["generation"]) == {1}  # generation 0 kept, one more run
    values = posterior_values(spec, again)
    assert 1.0 <= values["doc_return_days"] <= 5.0
