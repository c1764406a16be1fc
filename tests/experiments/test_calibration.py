"""Calibration (experiments/calibration.py, `govsim calibrate`): the spec is checked, targets are
read from the targets file at the right model days, the loss is what it says, and a killed or
extended calibration resumes from its stored trials."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
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
    fingerprint,
    fitted_targets,
    load_spec,
    loss,
    posterior_values,
    targets,
    write_parameter_set,
)
from experiments.evaluators import SerialEvaluator
from experiments.search_folder import completed_trials
from world.errors import ParameterError
from world.parameters import Parameters

ROOT = Path(__file__).resolve().parents[2]

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
        (('time (days)"]', 'tme (days)"]'), "no measure of .*tme"),
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
    first = calibrate(spec, out, SerialEvaluator())
    assert len(first) == 2
    more = calibrate(spec.model_copy(update={"trials": 3}), out, SerialEvaluator())
    assert len(more) == 3  # two kept from the store, one new
    assert set(first["trial"]) < set(more["trial"])
    values = best_parameters(spec, more)
    assert 1.0 <= values["doc_return_days"] <= 5.0
    write_parameter_set(out / "calibrated.toml", spec, values, float(more["loss"].iloc[0]))
    text = (out / "calibrated.toml").read_text(encoding="utf-8")
    assert "[parameters]" in text and "doc_return_days" in text
    # a preset loads the set by its file name (four significant figures are kept)
    preset = tmp_path / "calibrated_baseline.toml"
    preset.write_text(
        'description = "baseline, calibrated"\nparameter_set = "out/calibrated.toml"\n',
        encoding="utf-8",
    )
    from scenarios import load_preset

    loaded = load_preset(preset).parameters.doc_return_days
    assert loaded == pytest.approx(values["doc_return_days"], rel=1e-3)


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
    assert "before and after each dated reform" in r.stdout
    # the report and the check are read back without running anything
    (out / "report.html").unlink()
    again = subprocess.run(
        [sys.executable, "-m", "cli", "calibrate", str(spec), "--out", str(out), "--report-only"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert "held-out coverage of the 90% interval" in again.stdout
    assert "Held-out coverage" in (out / "report.html").read_text(encoding="utf-8")


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
    first = abc_calibrate(spec, out, SerialEvaluator())
    assert len(first) == 5 and set(first["generation"]) == {0}
    assert first["weight"].sum() == pytest.approx(1.0)
    assert first.attrs["stopped"] is None  # it ran its one generation
    again = abc_calibrate(spec.model_copy(update={"generations": 2}), out, SerialEvaluator())
    assert set(again["generation"]) == {1}  # generation 0 kept, one more run
    values = posterior_values(spec, again)
    assert 1.0 <= values["doc_return_days"] <= 5.0
    # the simulation budget counts every run of the calibration: spent, a rerun adds nothing
    import pyabc

    spent = int(pyabc.History(f"sqlite:///{out / 'abc.db'}").total_nr_simulations)
    seen = []
    capped = spec.model_copy(update={"generations": 3, "max_simulations": spent})
    third = abc_calibrate(capped, out, SerialEvaluator(), lambda n, total, _: seen.append(n))
    assert set(third["generation"]) == {1} and seen == [spent]
    assert "stopped after 2 of 3 generations: the budget of" in third.attrs["stopped"]


# --- the folder's guarantees, the stored check runs and the report ----------------------------
def test_a_calibration_folder_resumes_only_what_the_same_spec_made(tmp_path, monkeypatch) -> None:
    from experiments.calibration import calibration_folder
    from experiments.result_folder import FolderError

    spec = load_spec(_spec(tmp_path))
    out = tmp_path / "out"
    with calibration_folder(spec, out):
        (out / "trials.sqlite").write_text("stored", encoding="utf-8")
    with calibration_folder(spec.model_copy(update={"trials": 9}), out):  # a bigger budget: fine
        pass
    changed = spec.model_copy(update={"parameters": {"doc_return_days": [1.0, 4.0]}})
    refused = pytest.raises(FolderError, match=r"cannot resume.*parameters.*--fresh")
    with refused, calibration_folder(changed, out):
        pass
    with calibration_folder(changed, out, fresh=True):
        assert not (out / "trials.sqlite").exists()
        (out / "trials.sqlite").write_text("stored", encoding="utf-8")
    # trials made under other versions of the libraries the numbers depend on are not resumed
    import experiments.calibration

    real = experiments.calibration.library_versions()
    with monkeypatch.context() as m:
        m.setattr(experiments.calibration, "library_versions", lambda: {**real, "mesa": "0.1"})
        with (
            pytest.raises(FolderError, match=rf"libraries.*mesa {real['mesa']} -> 0.1"),
            calibration_folder(changed, out),
        ):
            pass
    # files nobody can vouch for (no record of what made them) are not resumed either
    (out / "calibration.json").unlink()
    (out / "abc.db").write_text("stray", encoding="utf-8")
    with (
        pytest.raises(FolderError, match="do not say what made them"),
        calibration_folder(spec, out),
    ):
        pass


def test_a_second_calibration_on_the_same_folder_is_refused(tmp_path) -> None:
    from experiments.calibration import calibration_folder
    from experiments.result_folder import FolderBusyError

    spec = load_spec(_spec(tmp_path))
    out = tmp_path / "out"
    busy = pytest.raises(FolderBusyError, match="another govsim")
    with calibration_folder(spec, out), busy, calibration_folder(spec, out):
        pass


def test_check_runs_are_stored_as_they_finish_and_not_redone(tmp_path, monkeypatch) -> None:
    import experiments.calibration as cal

    spec = load_spec(_spec(tmp_path))
    calls = []

    def fake(preset, overrides, seed, days, window):
        calls.append(seed)
        return {
            d: {"start_business_days": 40.0 + seed % 10, "start_business_procedures": 9.0}
            for d in days
        }

    monkeypatch.setattr(cal, "simulate_targets", fake)
    values = {"doc_return_days": 2.0, "bounce_prob": 0.1}
    check, path = cal.holdout_check(spec, values, SerialEvaluator(), tmp_path)
    assert sorted(calls) == [1000, 1001]  # holdout_seeds = 2
    # seeds give 40 and 41 days: DB2006 (48) is outside the 5-95 % interval, DB2007 (35) too
    assert check["model"].tolist() == [40.5, 40.5] and not check["covered"].any()
    assert set(path["seed"]) == {1000, 1001} and (path["start_business_days"] >= 40).all()
    calls.clear()
    again, _ = cal.holdout_check(spec, values, SerialEvaluator(), tmp_path)
    assert calls == [] and again.equals(check)  # both runs read back from checks/
    # other parameter values are other runs: not read back
    cal.holdout_check(spec, {**values, "bounce_prob": 0.2}, SerialEvaluator(), tmp_path)
    assert sorted(calls) == [1000, 1001]


def test_the_report_says_which_parameters_the_data_pin_down(tmp_path) -> None:
    from experiments.calibration_report import parameter_table, write_report

    spec = load_spec(_spec(tmp_path))
    # doc_return_days in [1, 5]: all weight near 3 (pinned); bounce_prob spread over its range
    lo, hi = bounds(spec)["bounce_prob"]
    posterior = pd.DataFrame(
        {
            "doc_return_days": [2.9, 3.0, 3.1, 3.0],
            "bounce_prob": [lo, lo + (hi - lo) / 3, lo + 2 * (hi - lo) / 3, hi],
            "weight": [0.25] * 4,
        }
    )
    table = parameter_table(spec, posterior).set_index("parameter")
    assert table.loc["doc_return_days", "the data"] == "pinned"
    assert table.loc["bounce_prob", "the data"] == "not pinned"
    assert table.loc["doc_return_days", "mean"] == pytest.approx(3.0)
    check = pd.DataFrame(
        [
            ("DB2006", "start_business_days", "fit", 48.0, 45.0, 40.0, 50.0, True),
            ("DB2007", "start_business_days", "held out", 35.0, 45.0, 40.0, 50.0, False),
        ],
        columns=["edition", "outcome", "set", "observed", "model", "low", "high", "covered"],
    )
    path = pd.DataFrame(
        [
            {"run": r, "seed": r, "day": d, "start_business_days": 40.0 + r}
            for r in range(3)
            for d in (0, 91, 182)
        ]
    )
    write_report(tmp_path / "report.html", spec, check, path, posterior=posterior)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Held-out coverage: 0 of 1" in page
    assert "Pinned down" in page and "doc_return_days" in page
    assert page.count("data:image/png;base64,") == 2  # the path, the marginals and pairs


@pytest.mark.slow
def test_a_killed_calibration_resumes_with_nothing_lost(tmp_path) -> None:
    import signal
    import time

    spec = _spec(tmp_path, SPEC.replace("trials = 2", "trials = 4"))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "cli", "calibrate", str(spec), "--out", str(out)]

    def finished() -> list[int]:
        return sorted(completed_trials(out / "trials.sqlite"))

    runner = subprocess.Popen([*command, "--workers", "1"], start_new_session=True)
    deadline = time.monotonic() + 300
    while not finished() and time.monotonic() < deadline:
        time.sleep(0.5)
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
    before = finished()
    assert 1 <= len(before) < 4, "the kill should land mid-calibration"
    r = subprocess.run([*command, "--workers", "2"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    after = pd.read_parquet(out / "trials.parquet")
    assert len(after) == 4 and set(before) <= set(after["trial"])  # kept, and completed
    assert (out / "report.html").exists()


def test_the_shipped_specs_load_and_find_their_targets() -> None:
    root = Path(__file__).resolve().parents[2] / "experiments"
    for name, fit, held in (
        ("calibrate_shanghai.toml", 3, 4),
        ("calibrate_shanghai_abc.toml", 3, 4),
        ("calibrate_own_city.toml", 3, 2),  # the worked example: its own targets file
    ):
        spec = load_spec(root / name)
        assert len(targets(spec, spec.fit)) == fit, name
        assert len(targets(spec, spec.holdout)) == held, name


@pytest.mark.slow
def test_govsim_calibrate_runs_on_a_dask_cluster(tmp_path) -> None:
    spec = _spec(tmp_path, SPEC.replace("trials = 2", "trials = 1"))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "cli", "calibrate", str(spec), "--out", str(out)]
    r = subprocess.run(
        [*command, "--scheduler", "local", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    assert len(pd.read_parquet(out / "trials.parquet")) == 1
    assert len(list((out / "checks").glob("run-*.json"))) == 2  # holdout_seeds


# --- the targets file and the spec are checked before anything runs -----------------------------
DAYS = "Doing Business starting a business: time (days)"
TARGETS = (
    "key,indicator,place,edition,period,value,low,high,unit\n"
    f"a06,{DAYS},Shanghai,DB2006,~2005-06 (U),48,,,days\n"
    f"a07,{DAYS},Shanghai,DB2007,2006-06-01,35,,,days\n"
)


def _with_targets(tmp_path: Path, csv: str, spec: str = SPEC) -> Path:
    (tmp_path / "t.csv").write_text(csv, encoding="utf-8")
    return _spec(
        tmp_path, spec.replace("day_zero = 2005-01-01", 'day_zero = 2005-01-01\ntargets = "t.csv"')
    )


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("", "", "empty; a targets file starts with a header line"),
        (",place,", ",where,", "no column 'place'"),
        (",48,", ',"32,4 days",', "row 1 (a06): value '32,4 days' is not a number"),
        (",48,", ",n/a,", "value 'n/a' is not a number"),
        (",48,", ",inf,", "value 'inf' is not a finite number"),
        (",48,", ",-5,", "value -5 is negative"),
        (",48,,,", ",48,50,40,", "low 50 > high 40"),
        ("a07,", "a06,", "row 2 (a06): the key is also row 1"),
        ("DB2007,2006-06-01", "DB2006,2006-06-01", "rows 1, 2 (a06, a07) give the same fact"),
        ("2006-06-01", "2006-13-45", "period '2006-13-45' is not a date"),
        ("2006-06-01", "1999-06-01", "measures 1999-06-01, model day -2041: before its day 0"),
        ("2006-06-01", "2030-06-01", "after its last day"),
    ],
)
def test_a_bad_targets_file_is_one_line_naming_the_row(tmp_path, old, new, words) -> None:
    from experiments.targets_file import TargetsError

    csv = "" if old == "" else TARGETS.replace(old, new, 1)
    spec = load_spec(_with_targets(tmp_path, csv))
    with pytest.raises(TargetsError) as caught:
        fingerprint(spec)  # what a calibration reads first
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(tmp_path / "t.csv")), message
    assert words in message, message


def test_the_shipped_targets_and_specs_pass_the_checks() -> None:
    for name in ("calibrate_shanghai", "calibrate_shanghai_abc", "calibrate_own_city"):
        spec = load_spec(ROOT / "experiments" / f"{name}.toml")
        assert fitted_targets(spec) and fingerprint(spec)["targets"]


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("doc_return_days = [1.0, 5.0]", "n_citizens = [500, 2000]", "a setting"),
        ("doc_return_days = [1.0, 5.0]", "summary_window_days = [10, 100]", "a measurement"),
        ('holdout = ["DB2007"]', 'holdout = ["DB2006"]', "DB2006 also in fit"),
        ("trials = 2", 'trials = 2\nmethod = "abc"', "trials: for method optuna only"),
        ("trials = 2", "trials = 2\npopulation = 9", "population: for method abc only"),
        ("n_enterprises = 50", "n_enterprises = -1", "overrides: n_enterprises=-1"),
        ("n_enterprises = 50", "n_enterprizes = 50", "did you mean 'n_enterprises'"),
    ],
)
def test_spec_mistakes_that_would_fit_nothing_useful_are_refused(tmp_path, old, new, words) -> None:
    assert old in SPEC
    with pytest.raises(ParameterError, match=re.escape(words)):
        load_spec(_spec(tmp_path, SPEC.replace(old, new, 1)))


def test_a_held_out_edition_without_targets_is_refused(tmp_path) -> None:
    spec = load_spec(_spec(tmp_path, SPEC.replace('holdout = ["DB2007"]', 'holdout = ["DB2030"]')))
    with pytest.raises(ParameterError, match="holdout: no targets for Shanghai in DB2030"):
        fitted_targets(spec)


def test_an_edited_target_is_not_resumed(tmp_path) -> None:
    from experiments.calibration import calibration_folder
    from experiments.result_folder import FolderError

    spec = load_spec(_with_targets(tmp_path, TARGETS))
    out = tmp_path / "out"
    with calibration_folder(spec, out):
        (out / "trials.sqlite").write_text("stored", encoding="utf-8")
    (tmp_path / "t.csv").write_text(TARGETS.replace(",48,", ",80,"), encoding="utf-8")
    with (
        pytest.raises(FolderError, match="targets it fits or holds out have changed"),
        calibration_folder(load_spec(tmp_path / "spec.toml"), out),
    ):
        pass


def test_a_stored_spec_with_every_setting_reads_back(tmp_path) -> None:
    """calibration.json holds every setting, both methods' included: the results page reads it
    back (the method check is on the file as written, not on a stored spec)."""
    from experiments.calibration import CalibrationSpec

    for text in (SPEC, SPEC.replace("trials = 2", 'method = "abc"')):
        spec = load_spec(_spec(tmp_path, text))
        again = CalibrationSpec.model_validate(spec.model_dump(mode="json"))
        assert again.method == spec.method and again.trials == spec.trials
