"""The govsim command as a user runs it: a real subprocess, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments import simulate
from scenarios import preset_names

REQUIRED_KEYS = {
    "satisfaction_citizens",
    "satisfaction_enterprises",
    "days_per_case",
    "trips_per_case",
    "procedures_per_case",
    "informal_payment_rate",
    "start_business_procedures",
    "start_business_days",
    "cost_per_case",
}
SMALL = ["--set", "n_citizens=1500", "--set", "n_enterprises=80"]


def govsim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def test_presets_lists_every_preset() -> None:
    r = govsim("presets")
    assert r.returncode == 0, r.stderr
    for name in preset_names():
        assert name in r.stdout


def test_parameters_lists_every_parameter() -> None:
    r = govsim("parameters")
    assert r.returncode == 0
    assert "n_citizens" in r.stdout and "bounce_prob" in r.stdout


def test_run_json_is_one_object_with_the_documented_keys() -> None:
    r = govsim("run", "baseline", "--days", "40", "--seed", "3", "--json", *SMALL)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert set(data) >= REQUIRED_KEYS
    assert data["preset"] == "baseline" and data["seed"] == 3 and data["days"] == 40
    assert all(k == k.lower() and " " not in k for k in data)


def test_run_json_equals_simulate() -> None:
    """The CLI and the Python function give the same numbers (a run is a pure function)."""
    r = govsim("run", "one_stop", "--days", "30", "--seed", "5", "--json", *SMALL)
    direct = simulate("one_stop", days=30, seed=5, n_citizens=1500, n_enterprises=80)
    assert json.loads(r.stdout) == json.loads(json.dumps(direct))


def test_run_writes_parquet_and_manifest(tmp_path: Path) -> None:
    out = tmp_path / "res"
    r = govsim("run", "transparency", "--days", "25", "--out", str(out), *SMALL)
    assert r.returncode == 0, r.stderr
    assert "satisfaction_citizens" in r.stdout
    series = pd.read_parquet(out / "timeseries.parquet")
    assert len(series) == 25 and set(series["preset"]) == {"transparency"}
    assert set(series.columns) >= REQUIRED_KEYS
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 0 and manifest["days"] == 25
    assert manifest["parameters"]["n_citizens"] == 1500
    assert manifest["overrides"] == {"n_citizens": "1500", "n_enterprises": "80"}
    assert manifest["policy"][0]["type"] == "transparency"
    assert manifest["versions"]["mesa"].startswith("3.5")
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) >= REQUIRED_KEYS


def test_run_accepts_a_toml_file(tmp_path: Path) -> None:
    preset = tmp_path / "class.toml"
    preset.write_text(
        'description = "class demo"\ndays = 20\n[parameters]\nn_citizens = 800\n'
        'n_enterprises = 40\n[[policy]]\ntype = "one_stop"\nstart = 5\n'
    )
    r = govsim("run", str(preset), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["days"] == 20


def test_several_cities_and_region_parameters_from_the_command_line() -> None:
    r = govsim(
        "run", "two_cities", "--days", "15", "--json", *SMALL, "--set", "startup_home_bias=2.5"
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert [c["name"] for c in data["cities"]] == ["reformer", "laggard"]
    for city in data["cities"]:
        assert REQUIRED_KEYS | {"enterprises", "residents", "net_firm_inflow"} <= set(city)
        assert "competitiveness_index" in city


def test_compare_prints_both_presets() -> None:
    r = govsim("compare", "baseline", "full_reform", "--days", "20", *SMALL)
    assert r.returncode == 0, r.stderr
    assert "baseline" in r.stdout and "full_reform" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "nosuch"], "unknown preset 'nosuch'"),
        (["run", "baseline", "--set", "n_citizen=100"], "did you mean 'n_citizens'"),
        (["run", "baseline", "--set", "n_citizens=1.5"], "n_citizens must be int"),
        (["run", "baseline", "--set", "bounce_prob=7"], "bounce_prob=7.0"),
        (["run", "baseline", "--set", "bounce_prob"], "--set expects name=value"),
        (["run", "baseline", "--seed", "x"], "--seed"),
        (["run", "baseline", "--days", "0"], "--days"),
        (["run"], "Missing argument"),
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    r = govsim(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("govsim: error: ")
    assert message in lines[0]
    assert "Traceback" not in r.stderr


def test_bad_toml_file_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('description = "x"\n[[policy]]\ntype = "one_stop"\nintensity = 3\n')
    r = govsim("run", str(bad))
    assert r.returncode == 2
    assert f"{bad}:4: policy[0].intensity" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "govsim"
    r = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "run" in r.stdout


def test_a_package_the_fund_cannot_pay_says_so() -> None:
    """A run whose reforms the fund held back says which, on screen and in --json: a table
    headed 'full_reform' whose transparency never started is not the full reform."""
    short = ("--set", "reform_reserve=400000", "--set", "reform_budget_share=0.01")
    r = govsim("run", "full_reform", "--days", "30", *SMALL, *short)
    assert r.returncode == 0, r.stderr
    assert "transparency never started: reform fund short from day 0" in r.stdout
    r = govsim("run", "full_reform", "--days", "30", "--json", *SMALL, *short)
    events = json.loads(r.stdout)["reform_events"]
    assert {
        "city": "city",
        "day": 0,
        "reform": "transparency",
        "event": "start deferred: reform fund short",
    } in events
    r = govsim("run", "full_reform", "--days", "30", *SMALL)  # the preset's own budget
    assert "reform fund:" not in r.stdout


def test_tables_piped_to_a_file_fit_120_columns_or_columns(tmp_path: Path) -> None:
    """Not a terminal (a pipe, a log): the tables are at most 120 columns wide, or COLUMNS."""
    import os

    from rich.cells import cell_len

    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    for args in (["presets"], ["parameters"]):
        out = subprocess.run(
            [sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env
        ).stdout
        assert max(cell_len(line) for line in out.splitlines()) <= 120, args
        narrow = subprocess.run(
            [sys.executable, "-m", "cli", *args],
            capture_output=True,
            text=True,
            env={**env, "COLUMNS": "80"},
        ).stdout
        assert max(cell_len(line) for line in narrow.splitlines()) <= 80, args
