"""Policy design (`govsim optimise`): the spec's one-line errors, the budget, the front, the
package presets, and resumption after a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.evaluators import SerialEvaluator
from experiments.optimise import (
    Package,
    design_folder,
    load_spec,
    nondominated,
    optimise,
    package_cost,
    resolve,
    robust,
)
from experiments.optimise_report import write_results
from experiments.search_folder import completed_trials
from tests.experiments.spec_errors import spec_error
from world.errors import ParameterError

ROOT = Path(__file__).resolve().parents[2]

# A tiny design: 400 residents for 40 days, two states, one seed. The budget (per 10,000
# residents) affords parallel approval, transparency and first contact, but not one-stop.
SPEC = """
description = "tiny design"
preset = "baseline"
days = 40
trials = 6
population = 3
seeds = 1

[overrides]
n_citizens = 400
n_enterprises = 30

[budget]
per_10k_residents = 150_000

[levers.one_stop]
[levers.parallel_approval]
start = [0, 20]
[levers.transparency]
intensity = [1.0, 1.0]
[levers.first_contact]

[objectives]
trips_per_case = "min"
days_per_case = {robustness = "p90"}

[states]
sample = 2
[states.parameters]
citizen_request_scale = [0.8, 1.2]
"""


def _spec(tmp_path: Path, text: str = SPEC) -> Path:
    path = tmp_path / "design.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("[levers.first_contact]", "[levers.first_contract]", 21, "first_contact"),
        ('trips_per_case = "min"', 'trips_per_cases = "min"', 24, "trips_per_case"),
        ('trips_per_case = "min"', "cases_per_day = {}", 24, "no declared direction"),
        ('trips_per_case = "min"', 'trips_per_case = "up"', 24, "'min', 'max'"),
        ('{robustness = "p90"}', '{robustness = "median"}', 25, "'p1' to 'p99'"),
        ("citizen_request_scale", "reform_reserve", 30, "a lever, not an uncertainty"),
        ("start = [0, 20]", "start = [0, 40]", 18, "before day 40"),
        ("per_10k_residents", "cny = 1\nper_10k_residents", 13, "exactly one"),
        ("n_enterprises = 30", "n_enterprises = -3", 11, "n_enterprises"),
        ('preset = "baseline"', 'preset = "two_cities"', 3, "city = NAME"),
        ("sample = 2", "sample = 0", 27, "sample = N"),
        ("seeds = 1", "seeds = 0", 7, "greater than or equal to 1"),
    ],
)
def test_spec_errors_are_one_line_with_file_and_line(tmp_path, old, new, line, words) -> None:
    assert old in SPEC
    path, message = spec_error(tmp_path, SPEC.replace(old, new, 1))
    assert message.startswith(f"{path}:{line}: "), message
    assert words in message, message


def test_a_missing_spec_is_one_line(tmp_path) -> None:
    with pytest.raises(ParameterError, match="no such design spec"):
        load_spec(tmp_path / "nothing.toml")


def test_the_example_spec_loads() -> None:
    spec = load_spec(ROOT / "experiments" / "design_example.toml")
    problem = resolve(spec)
    # 500,000 CNY per 10,000 residents for a city of 50,000
    assert len(problem.states) == 3 and problem.budget == pytest.approx(2_500_000)


def test_package_cost_is_set_up_plus_running_costs_over_the_horizon(tmp_path) -> None:
    problem = resolve(load_spec(_spec(tmp_path)))
    scale = 400 / 10_000
    # parallel approval from day 10: 50,000 set-up and 50 a day for 30 days; first contact
    # 10,000 set-up; per 10,000 residents. Intensity does not change what is paid.
    package = Package((("parallel_approval", 0.5, 10), ("first_contact", 1.0, 0)))
    assert package_cost(problem, package) == pytest.approx((50_000 + 50 * 30 + 10_000) * scale)
    assert package_cost(problem, Package(())) == 0.0


def test_robustness_measures() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert robust(values, "mean", 1.0) == 3.0
    assert robust(values, "worst", 1.0) == 5.0 and robust(values, "worst", -1.0) == 1.0
    assert robust(values, "p90", 1.0) == pytest.approx(4.6)  # minimised: 90% are at or below
    assert robust(values, "p90", -1.0) == pytest.approx(1.4)  # maximised: 90% at or above


def test_nondominated() -> None:
    losses = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 3.0], [1.0, 3.0], [3.0, 1.0]])
    assert nondominated(losses).tolist() == [True, True, False, False, True]


@pytest.mark.slow
def test_a_tiny_optimisation_gives_a_front_of_runnable_presets_within_budget(tmp_path) -> None:
    from cli.main import main
    from scenarios import load_preset

    spec = load_spec(_spec(tmp_path))
    problem = resolve(spec)
    out = tmp_path / "out"
    with design_folder(spec, out), SerialEvaluator() as ev:
        study = optimise(spec, out, ev)
    front, hv = write_results(spec, out, study)
    trials = pd.read_parquet(out / "trials.parquet")
    assert len(trials) == spec.trials
    assert len(front) >= 1 and hv >= 0
    assert pd.read_parquet(out / "pareto.parquet").shape[0] == len(front)
    # The budget: every Pareto package keeps to it, and the search met packages that did not.
    assert (front["cost"] <= problem.budget).all()
    assert front["feasible"].all() and front["simulated"].all()
    for key in ("trips_per_case", "days_per_case"):
        assert (front[f"{key}.low"] <= front[f"{key}.high"]).all()
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2
    # the states every package was judged in are on record, as drawn
    states = pd.read_csv(out / "states.csv")
    assert list(states["state"]) == [0, 1]
    assert list(states["citizen_request_scale"]) == pytest.approx(
        [s["citizen_request_scale"] for s in problem.states]
    )
    assert "states.csv" in page
    files = sorted((out / "packages").glob("*.toml"))
    assert len(files) == len(front)
    for path, (_, row) in zip(files, front.iterrows(), strict=True):
        preset = load_preset(path)
        chosen = Package(
            tuple(
                (i.key, i.intensity, i.start)
                for i in preset.policy  # the base preset has no policy: all of it is the package
            )
        )
        assert package_cost(problem, chosen) == pytest.approx(row["cost"])
        assert package_cost(problem, chosen) <= problem.budget
        assert preset.parameters.n_citizens == 400 and preset.days == 40
        assert "the 2 states the package was judged in: states.csv" in path.read_text()
        # what the dashboard's status line shows: people's words, in both languages
        assert "_" not in preset.description and preset.description.startswith("Pareto package")
        assert preset.description_zh.startswith("帕累托方案")
    main(["run", str(files[0]), "--days", "5", "--json"])  # govsim run FILE accepts it


@pytest.mark.slow
def test_a_tight_budget_is_respected_by_every_pareto_package(tmp_path) -> None:
    # 15,000 per 10,000 residents: first contact alone (10,000) fits; nothing else does.
    text = SPEC.replace("per_10k_residents = 150_000", "per_10k_residents = 15_000")
    text = text.replace("trials = 6", "trials = 10")
    spec = load_spec(_spec(tmp_path, text))
    problem = resolve(spec)
    out = tmp_path / "out"
    with design_folder(spec, out), SerialEvaluator() as ev:
        study = optimise(spec, out, ev)
    front, _ = write_results(spec, out, study)
    trials = pd.read_parquet(out / "trials.parquet")
    assert (~trials["feasible"]).any() and not trials.loc[~trials["feasible"], "simulated"].any()
    assert len(front) >= 1 and (front["cost"] <= problem.budget).all()
    assert set(front["package"]) <= {"no reform"} | {
        p for p in front["package"] if p.startswith("first_contact")
    }


@pytest.mark.slow
def test_a_killed_optimisation_resumes_with_nothing_lost(tmp_path) -> None:
    # 16 trials: enough that the first run cannot finish them all between two looks at the
    # store, even when a batch of packages over budget is told at once, on a busy machine
    text = SPEC.replace("trials = 6", "trials = 16").replace("days = 40", "days = 60")
    spec = _spec(tmp_path, text)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "cli", "optimise", str(spec), "--out", str(out)]

    def finished() -> dict[int, tuple[float, ...]]:
        return completed_trials(out / "study.sqlite")

    def stored_runs() -> set[str]:
        return {p.name for p in (out / "runs").glob("*.json")} if (out / "runs").exists() else set()

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runner = subprocess.Popen(
        [*command, "--workers", "1"], start_new_session=True, env=env, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while len(finished()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
    before, runs_before = finished(), stored_runs()
    assert 2 <= len(before) < 16, "the kill should land mid-optimisation"
    r = subprocess.run(
        [*command, "--workers", "2"], capture_output=True, text=True, timeout=600, env=env
    )
    assert r.returncode == 0, r.stderr
    after = finished()
    assert len(after) == 16
    assert all(after[n] == values for n, values in before.items())  # kept as they were
    assert runs_before <= stored_runs()
    trials = pd.read_parquet(out / "trials.parquet")
    assert len(trials) == 16 and set(before) <= set(trials["trial"])
    assert (out / "report.html").exists() and any((out / "packages").glob("*.toml"))
