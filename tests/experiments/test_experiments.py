"""Batch experiments: design, identical results on every evaluator, resume, failures, summaries."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.design import SpecError, expand, load_spec, sweep_points
from experiments.evaluators import DaskEvaluator, ProcessEvaluator, SerialEvaluator
from experiments.result_folder import FolderError, ResultFolder, ResultStore, read_dataset
from experiments.runner import run_experiment
from experiments.sensitivity import run_sensitivity, sample, sensitivity_indices
from experiments.statistics import t_interval
from experiments.summary import summarize
from tests.experiments.tiny_spec import SPEC, write_spec

VENV_BIN = Path(sys.executable).parent


def tables(folder: Path) -> dict[str, pd.DataFrame]:
    results = ResultFolder(folder)
    out = {name: getattr(results, name) for name in ("runs", "outcomes", "timeseries")}
    out["runs"] = out["runs"].drop(columns=["wall_seconds"])
    return out


def assert_same_results(a: Path, b: Path) -> None:
    ta, tb = tables(a), tables(b)
    for name in ta:
        pd.testing.assert_frame_equal(ta[name], tb[name], check_exact=True, obj=name)


# --- design -------------------------------------------------------------------------------------
def test_design_pairs_seeds_across_presets_and_points(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path))
    runs = expand(spec)
    assert len(runs) == 2 * 2 * 2
    assert len({r.run_id for r in runs}) == len(runs)
    for r in runs:
        assert r.seed == spec.base_seed + r.replicate  # common random numbers
    assert {r.sweep for r in runs} == {(("bounce_prob", 0.05),), (("bounce_prob", 0.2),)}


def test_latin_hypercube_is_seeded_and_stratified(tmp_path: Path) -> None:
    text = SPEC.replace(
        "[sweep.grid]\nbounce_prob = [0.05, 0.2]\n",
        "[sweep.latin_hypercube]\nsamples = 10\nseed = 3\n[sweep.latin_hypercube.ranges]\n"
        'bounce_prob = [0.0, 0.5]\nincomplete_docs_prob = "declared"\n',
    )
    spec = load_spec(write_spec(tmp_path, text))
    points = sweep_points(spec)
    assert points == sweep_points(load_spec(write_spec(tmp_path, text, "again.toml")))
    bounce = np.array([p["bounce_prob"] for p in points])
    # one sample in each tenth of the range
    assert sorted(np.floor(bounce / 0.05).astype(int)) == list(range(10))
    docs = np.array([p["incomplete_docs_prob"] for p in points])
    assert sorted(np.floor(docs * 10).astype(int)) == list(range(10))


def test_explicit_points_are_crossed_with_the_grid(tmp_path: Path) -> None:
    text = SPEC.replace(
        "bounce_prob = [0.05, 0.2]\n",
        "bounce_prob = [0.05, 0.2]\n[[sweep.points]]\nincomplete_docs_prob = 0.1\n"
        "n_citizens = 900\n[[sweep.points]]\nincomplete_docs_prob = 0.3\nn_citizens = 1200\n",
    ).replace("n_citizens = 1500\n", "", 1)  # set in one place: the points
    spec = load_spec(write_spec(tmp_path, text))
    points = [
        (p["bounce_prob"], p["incomplete_docs_prob"], p["n_citizens"]) for p in sweep_points(spec)
    ]
    assert points == [(0.05, 0.1, 900), (0.05, 0.3, 1200), (0.2, 0.1, 900), (0.2, 0.3, 1200)]
    assert len(expand(spec)) == 2 * 4 * 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('presets = ["baseline", "one_stop"]', 'presets = ["baseline", "one_stp"]'),
         r"spec\.toml:3: presets\[1\]: unknown preset 'one_stp'; did you mean 'one_stop'"),
        (('"days_per_case"]', '"days_per_cases"]'),
         r"spec\.toml:7: outcomes: unknown outcome 'days_per_cases'"),
        (("bounce_prob = [0.05, 0.2]", "bounce_prob = [0.05, 2.0]"),
         r"spec\.toml:\d+: sweep\.grid\.bounce_prob: bounce_prob=2\.0: .*less than or equal"),
        (("bounce_prob = [0.05, 0.2]", "bounce_prb = [0.05]"),
         r"sweep\.grid\.bounce_prb: unknown parameter 'bounce_prb'; did you mean 'bounce_prob'"),
        (("n_citizens = 1500", "n_citizens = 5"),
         r"spec\.toml:\d+: parameters\.n_citizens: n_citizens=5: .*greater than or equal"),
        (("replicates = 2", "replicates = 0"), r"spec\.toml:4: replicates: .*greater than"),
        (("replicates = 2", "replicates = 2\nreference = \"nobody\""),
         r"reference: reference 'nobody' is not one of the experiment's presets"),
        (("days = 40", "dayz = 40"), r"spec\.toml:5: dayz: extra inputs are not permitted"),
        (("days = 40", "days = ["), r"spec\.toml: malformed TOML"),
        (("bounce_prob = [0.05, 0.2]", "bounce_prob = [0.05]\n[[sweep.points]]\n"
          "incomplete_docs_prob = 1.5"),
         r"spec\.toml:17: sweep\.points\[0\]\.incomplete_docs_prob: incomplete_docs_prob=1\.5"),
        (("bounce_prob = [0.05, 0.2]", "bounce_prob = [0.05]\n[[sweep.points]]\n"
          "incomplete_docs_prob = 0.1\n[[sweep.points]]\nn_citizens = 900"),
         r"spec\.toml:18: sweep\.points\[1\]: set incomplete_docs_prob, as every sample does"),
        (("bounce_prob = [0.05, 0.2]", "bounce_prob = [0.05]\n[[sweep.points]]\n"
          "bounce_prob = 0.1"), r"sweep\.points\[0\]: a parameter of the grid cannot be set"),
        (("bounce_prob = [0.05, 0.2]", "bounce_prob = [0.1, 0.1]"),
         r"sweep\.grid\.bounce_prob: a value is listed twice"),
        (("n_citizens = 1500", "n_citizens = 1500\nbounce_prob = 0.2"),
         r"parameters\.bounce_prob: bounce_prob is also swept \(\[sweep\]\)"),
        (('presets = ["baseline", "one_stop"]', 'presets = ["baseline", "one_stop", "baseline"]'),
         r"presets\[2\]: .*would overwrite each other; list it once"),
    ],
)  # fmt: skip
def test_bad_specs_give_one_clear_line(tmp_path: Path, change, message) -> None:
    import re

    old, new = change
    assert old in SPEC
    with pytest.raises(SpecError) as info:
        load_spec(write_spec(tmp_path, SPEC.replace(old, new)))
    assert "\n" not in str(info.value)
    assert re.search(message, str(info.value)), str(info.value)


# --- evaluators give identical numbers ----------------------------------------------------------
@pytest.fixture(scope="module")
def serial_results(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("serial")
    spec_path = write_spec(root)
    out = root / "serial"
    report = run_experiment(load_spec(spec_path), out, SerialEvaluator())
    assert report.ran == 8 and report.failed == 0
    return spec_path, out


def test_processes_match_serial(serial_results, tmp_path: Path) -> None:
    spec_path, serial = serial_results
    run_experiment(load_spec(spec_path), tmp_path / "p", ProcessEvaluator(2))
    assert_same_results(serial, tmp_path / "p")


@pytest.mark.slow
def test_dask_local_cluster_matches_serial(serial_results, tmp_path: Path) -> None:
    import dask

    spec_path, serial = serial_results
    with dask.config.set({"temporary-directory": str(tmp_path / "dask")}):  # workers' scratch
        run_experiment(load_spec(spec_path), tmp_path / "d", DaskEvaluator("local", 2))
    assert_same_results(serial, tmp_path / "d")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_real_scheduler_and_two_workers_match_serial(serial_results, tmp_path: Path) -> None:
    """`dask scheduler` and two `dask worker`s as separate processes on loopback."""
    spec_path, serial = serial_results
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(VENV_BIN / "dask")
    env = {**os.environ, "DASK_TEMPORARY_DIRECTORY": str(tmp_path / "dask")}  # their scratch
    log = open(tmp_path / "dask.log", "w")  # noqa: SIM115 - closed below
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
    ]
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [dask, "worker", address, "--nthreads", "1", "--no-dashboard"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env=env,
                )
            )
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
        evaluator = DaskEvaluator(address)
        run_experiment(load_spec(spec_path), tmp_path / "cluster", evaluator)
        assert evaluator.workers == 2
        assert_same_results(serial, tmp_path / "cluster")
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        log.close()


# --- resume, failures ---------------------------------------------------------------------------
def test_rerun_skips_finished_runs(serial_results) -> None:
    spec_path, serial = serial_results
    report = run_experiment(load_spec(spec_path), serial, SerialEvaluator())
    assert (report.skipped, report.ran) == (8, 0)


def test_a_different_spec_will_not_mix_into_old_results(serial_results, tmp_path: Path) -> None:
    _, serial = serial_results
    other = write_spec(tmp_path, SPEC.replace("days = 40", "days = 41"))
    with pytest.raises(FolderError, match=r"may not be mixed .* file has changed since \(days\)"):
        run_experiment(load_spec(other), serial, SerialEvaluator())


@pytest.mark.slow
def test_kill_9_mid_run_then_resume_loses_and_duplicates_nothing(serial_results, tmp_path):
    spec_path, serial = serial_results
    out = tmp_path / "killed"
    cmd = [str(VENV_BIN / "govsim"), "experiment", "run", str(spec_path), "--out", str(out)]
    log = open(tmp_path / "killed.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [*cmd, "--workers", "2"], stdout=log, stderr=log, start_new_session=True
    )
    # Under a loaded machine the spawned workers take a while to start: wait for 3 finished
    # runs (bounded), and fail with the runner's output if it died on its own.
    deadline = time.time() + 300
    while time.time() < deadline and len(ResultStore(out).done_ids()) < 3:
        assert proc.poll() is None, (tmp_path / "killed.log").read_text()
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its workers, mid-run
    proc.wait()
    log.close()
    done = ResultStore(out).done_ids()
    assert 3 <= len(done) < 8, done
    again = subprocess.run([*cmd, "--workers", "2"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"{len(done)} already done, {8 - len(done)} run now" in again.stderr
    t = tables(out)
    assert t["runs"]["run_id"].is_unique and len(t["runs"]) == 8
    assert not list(out.rglob("*.tmp"))
    assert_same_results(serial, out)


def test_a_failing_run_is_recorded_and_the_others_go_on(tmp_path: Path, monkeypatch) -> None:
    import experiments.task

    real = experiments.task.run_simulation

    def fails_for_one_stop(preset, *args, **kwargs):
        if "one_stop" in str(preset):
            raise RuntimeError("a simulation that breaks")
        return real(preset, *args, **kwargs)

    monkeypatch.setattr(experiments.task, "run_simulation", fails_for_one_stop)
    spec = load_spec(write_spec(tmp_path, SPEC))
    report = run_experiment(spec, tmp_path / "out", SerialEvaluator())
    assert (report.ran, report.failed) == (8, 4)
    results = ResultFolder(tmp_path / "out")
    runs = results.runs
    failed = runs[runs["status"] == "failed"]
    assert set(failed["preset"]) == {"one_stop"}
    assert all("a simulation that breaks" in e for e in failed["error"])
    assert (runs.loc[runs["status"] == "ok", "error"] == "").all()
    # a failed run writes no outcome rows at all (not merely rows that readers leave out)
    assert set(read_dataset(tmp_path / "out", "outcomes")["preset"]) == {"baseline"}


# --- summaries ----------------------------------------------------------------------------------
def test_t_interval_covers_the_true_mean_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(0)
    trials, n, mu = 4000, 5, 3.0
    hits = 0
    for _ in range(trials):
        _, low, high = t_interval(rng.normal(mu, 2.0, n))
        hits += low <= mu <= high
    # Coverage of a correct 95% interval over 4000 trials: 0.95 +/- 3 binomial standard errors
    # (sqrt(0.95*0.05/4000) = 0.0034), so [0.94, 0.96] fails a correct interval 3 times in 1000.
    assert 0.94 <= hits / trials <= 0.96


def test_summary_paired_differences_on_a_synthetic_folder(tmp_path: Path) -> None:
    """A known outcome: preset B = preset A + 1 exactly, replicate by replicate."""
    store = ResultStore(tmp_path)
    spec = {
        "description": "synthetic",
        "presets": ["baseline", "reform"],
        "replicates": 6,
        "base_seed": 0,
        "outcomes": ["days_per_case"],
    }
    manifest = {"kind": "govsim experiment", "spec": spec}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 5, 6)  # large between-replicate noise, cancelled by pairing
    from experiments.result_folder import RunOutput

    for preset, shift in (("baseline", 0.0), ("reform", 1.0)):
        for r in range(6):
            ident = {"run_id": f"{preset}~p0000~r{r:04d}", "preset": preset, "point": 0}
            ident |= {"replicate": r, "seed": r}
            row = {**ident, "city": "city", "days_per_case": 10 + noise[r] + shift}
            run = {**ident, "status": "ok", "wall_seconds": 0.1, "error": ""}
            series = pd.DataFrame([{**ident, "day": 0, **row}])
            store.write(RunOutput(run, pd.DataFrame([row]), series))
    s = summarize(tmp_path).set_index("preset")
    reform = s.loc["reform"]
    assert reform["n"] == 6
    assert reform["mean"] == pytest.approx(11 + noise.mean())
    _, low, high = t_interval(10 + noise + 1)
    assert (reform["ci_low"], reform["ci_high"]) == pytest.approx((low, high))
    assert reform["diff"] == pytest.approx(1.0)
    assert reform["diff_low"] == pytest.approx(1.0) and reform["diff_high"] == pytest.approx(1.0)
    assert s.loc["baseline", "diff"] == 0.0


# --- sensitivity analysis: an ordinary experiment -------------------------------------------------
SENS_SPEC = """
description = "tiny sensitivity"
presets = ["baseline", "one_stop"]
replicates = 2
days = 40
base_seed = 5

[parameters]
n_citizens = 300
n_enterprises = 20

[sensitivity]
preset = "one_stop"
outcomes = ["trips_per_case", "satisfaction_citizens"]
samples = 4

[sensitivity.parameters]
bounce_prob = [0.0, 0.4]
incomplete_docs_prob = [0.0, 0.3]
citizen_network_degree = [2, 10]
"""
SENS_RUNS = 4 * (3 + 1) * 2  # Morris: N (D + 1) points, times the replicates


@pytest.fixture(scope="module")
def sensitivity_serial(tmp_path_factory) -> tuple[Path, Path, pd.DataFrame]:
    root = tmp_path_factory.mktemp("sens")
    spec_path = write_spec(root, SENS_SPEC, "sens.toml")
    out = root / "serial"
    spec = load_spec(spec_path)
    report = run_sensitivity(spec, "morris", out, SerialEvaluator())
    assert (report.ran, report.failed) == (SENS_RUNS, 0)
    return spec_path, out, sensitivity_indices(spec, "morris", out)


def test_sensitivity_runs_into_an_experiment_folder(sensitivity_serial) -> None:
    spec_path, out, indices = sensitivity_serial
    spec = load_spec(spec_path)
    results = ResultFolder(out)
    assert set(results.runs["preset"]) == {"one_stop"} and (results.runs["status"] == "ok").all()
    assert list(results.outcomes.columns[-2:]) == ["trips_per_case", "satisfaction_citizens"]
    # the manifest records the exact sample, integer parameters rounded
    points = results.spec["sweep"]["points"]
    x = sample(spec, "morris")
    assert len(points) == len(x) == SENS_RUNS // 2
    assert [p["bounce_prob"] for p in points] == [float(v) for v in x[:, 0]]
    assert [p["citizen_network_degree"] for p in points] == [round(v) for v in x[:, 2]]
    assert results.timeseries["day"].unique().tolist() == [spec.days - 1]  # last day only
    assert list(indices.columns) == ["outcome", "parameter", "mu_star", "mu_star_conf", "sigma"]
    assert len(indices) == 2 * 3
    # a different sample is a different experiment: refused, nothing mixed in
    other = load_spec(write_spec(spec_path.parent, SENS_SPEC.replace("samples = 4", "samples = 5"),
                                 "other.toml"))  # fmt: skip
    with pytest.raises(FolderError, match="may not be mixed with new runs"):
        run_sensitivity(other, "morris", out, SerialEvaluator())


def test_sensitivity_serial_equals_processes_bit_for_bit(sensitivity_serial, tmp_path) -> None:
    spec_path, serial, indices = sensitivity_serial
    spec = load_spec(spec_path)
    run_sensitivity(spec, "morris", tmp_path / "p", ProcessEvaluator(2))
    assert_same_results(serial, tmp_path / "p")
    pd.testing.assert_frame_equal(
        sensitivity_indices(spec, "morris", tmp_path / "p"), indices, check_exact=True
    )


def test_sensitivity_will_not_analyse_part_of_the_sample(sensitivity_serial, tmp_path) -> None:
    spec_path, serial, _ = sensitivity_serial
    spec = load_spec(spec_path)
    out = tmp_path / "partial"
    shutil.copytree(serial, out)
    (out / "runs.parquet" / "part-one_stop~p0003~r0001.parquet").unlink()
    failed = out / "runs.parquet" / "part-one_stop~p0007~r0000.parquet"
    row = pd.read_parquet(failed).assign(status="failed", error="RuntimeError: boom")
    row.to_parquet(failed)
    with pytest.raises(ValueError) as info:
        sensitivity_indices(spec, "morris", out)
    message = str(info.value)
    assert "\n" not in message
    assert f"1 of {SENS_RUNS} runs failed (one_stop~p0007~r0000" in message
    assert f"1 of {SENS_RUNS} runs are missing (one_stop~p0003~r0001" in message


@pytest.mark.slow
def test_sensitivity_kill_9_then_resume_gives_the_same_indices(sensitivity_serial, tmp_path):
    spec_path, _, indices = sensitivity_serial
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "cli", "experiment", "sensitivity", str(spec_path)]
    cmd += ["--method", "morris", "--out", str(out), "--workers", "2"]
    log = open(tmp_path / "killed.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and not list((out / "runs.parquet").glob("part-*.parquet")):
        assert proc.poll() is None, (tmp_path / "killed.log").read_text()
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its workers, mid-run
    proc.wait()
    log.close()
    done = ResultStore(out).done_ids()
    assert 1 <= len(done) < SENS_RUNS, done
    assert not (out / "indices.csv").exists()
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"{len(done)} already done, {SENS_RUNS - len(done)} run now" in again.stderr
    resumed = pd.read_csv(out / "indices.csv")
    pd.testing.assert_frame_equal(resumed, pd.read_csv(_csv(indices, tmp_path)), check_exact=True)


def _csv(frame: pd.DataFrame, folder: Path) -> Path:
    path = folder / "reference.csv"
    frame.to_csv(path, index=False)
    return path
