"""The `govsim experiment` commands as a user runs them: run, summarize, report, sensitivity."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments.result_folder import ResultFolder
from tests.experiments.tiny_spec import SPEC, write_spec

VENV_BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]


def govsim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "govsim"), *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def test_cli_run_summarize_report(tmp_path: Path) -> None:
    spec = write_spec(tmp_path)
    out = tmp_path / "res"
    r = govsim("experiment", "run", str(spec), "--out", str(out), "--workers", "2")
    assert r.returncode == 0, r.stderr
    assert "8 runs: 0 already done, 8 run now (0 failed)" in r.stderr
    # no terminal here: plain progress lines instead of a bar
    assert "spec: 0 of 8 runs (0%), 0 failed" in r.stderr and "spec: 8 of 8 runs (100%)" in r.stderr
    r = govsim("experiment", "summarize", str(out), "--csv")
    assert r.returncode == 0, r.stderr
    csv = pd.read_csv(io.StringIO(r.stdout))
    assert {"preset", "outcome", "mean", "ci_low", "ci_high", "diff", "diff_low"} <= set(csv)
    assert len(csv) == 2 * 2 * 3  # presets x sweep points x outcomes
    r = govsim("experiment", "summarize", str(out), "--json")
    assert len(json.loads(r.stdout)) == 12
    assert "unfinished" not in r.stderr  # every run is there
    r = govsim("experiment", "summarize", str(out), "--json", "--csv")
    assert r.returncode == 2 and "--csv and --json: choose one" in r.stderr
    r = govsim("experiment", "summarize", str(out))
    assert "one_stop (bounce_prob=0.05) against baseline" in r.stdout, r.stdout
    assert "95% intervals" in r.stdout and "--full" in r.stdout
    assert "satisfaction_citizens" not in r.stdout  # people's words, not column names
    r = govsim("experiment", "summarize", str(out), "--full")
    assert "satisfaction_citizens" in r.stdout and "95% CI" in r.stdout
    r = govsim("experiment", "report", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith(f"writing the report of {out}")
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= 2 and "<table" in page
    assert "http" not in page.split("<body>")[1]  # self-contained
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["spec"]["replicates"] == 2 and manifest["versions"]["mesa"].startswith("3.5")
    # the datasets are plain Parquet folders
    assert len(pd.read_parquet(out / "outcomes.parquet")) == 8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["experiment", "run", "nowhere.toml", "--out", "x"], "no such experiment file"),
        (["experiment", "summarize", "/tmp"], "is not a govsim experiment result folder"),
        (["experiment", "sensitivity", str(REPO / "experiments/standard.toml")],
         "no [sensitivity] table"),
        (["experiment", "sensitivity", str(REPO / "experiments/sweep_example.toml"),
          "--method", "x"],
         "--method must be one of morris, sobol"),
    ],
)  # fmt: skip
def test_cli_bad_input(args, message, tmp_path: Path) -> None:
    # In tmp_path: the relative --out, and sensitivity's default results/ folder, if ever written.
    r = govsim(*args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert message in r.stderr


@pytest.mark.slow
def test_cli_sensitivity_morris(tmp_path: Path) -> None:
    text = SPEC + (
        '\n[sensitivity]\noutcomes = ["trips_per_case"]\nsamples = 4\n'
        "[sensitivity.parameters]\nbounce_prob = [0.0, 0.4]\nincomplete_docs_prob = [0.0, 0.3]\n"
        "expectation_mean = [0.0, 1.0]\n"
    )
    spec = write_spec(tmp_path, text.replace("replicates = 2", "replicates = 1"))
    out = tmp_path / "sens"
    r = govsim("experiment", "sensitivity", str(spec), "--method", "morris", "--out", str(out))
    assert r.returncode == 0, r.stderr
    indices = pd.read_csv(out / "indices.csv").set_index("parameter")
    assert (out / "indices.png").stat().st_size > 1000
    # trips depend on bounces and returns, not on what people expect
    assert indices.loc["bounce_prob", "mu_star"] > indices.loc["expectation_mean", "mu_star"]
    assert indices.loc["expectation_mean", "mu_star"] == 0
    # the sample ran as an ordinary experiment: rerunning resumes it and gives the same indices
    assert len(ResultFolder(out).runs) == 4 * 4
    first = (out / "indices.csv").read_text()
    again = govsim("experiment", "sensitivity", str(spec), "--method", "morris", "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert "16 runs: 16 already done, 0 run now" in again.stderr
    assert f"written to {out}/" in again.stdout
    assert (out / "indices.csv").read_text() == first


def test_ctrl_c_says_it_stopped_and_that_the_same_command_resumes(tmp_path: Path) -> None:
    """Ctrl+C (SIGINT) during an experiment: exit 130 with one line, and a rerun resumes."""
    import signal
    import time

    spec = write_spec(tmp_path, SPEC.replace("days = 40", "days = 200"))
    out = tmp_path / "res"
    args = [str(VENV_BIN / "govsim"), "experiment", "run", str(spec), "--out", str(out)]
    proc = subprocess.Popen(
        [*args, "--workers", "1"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    deadline = time.monotonic() + 120
    while not list((out / "runs.parquet").glob("part-*.parquet")):  # a run is stored
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.splitlines()[-1] == (
        "govsim: interrupted; what finished is stored: the same command goes on from there"
    )
    r = govsim(*args[1:], "--workers", "1")
    assert r.returncode == 0 and "already done" in r.stderr and "8 runs: 0 already" not in r.stderr
