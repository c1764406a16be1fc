"""Policy design with parameter levers (what a government sets besides its reforms: opening
hours, staffing, pay): the spec's checks, the grid each is searched on, a search over them (faked
runs, so that the bookkeeping is checked exactly), and a real run in which the setting reaches the
simulation and the package presets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import experiments.optimise as opt
from experiments.evaluators import SerialEvaluator
from experiments.optimise import (
    Package,
    lever_grid,
    optimise,
    package_of,
    pareto_frame,
    resolve,
    run_key,
    starting_packages,
    trials_frame,
    unseen_neighbour,
)
from tests.experiments.spec_errors import loaded_spec, spec_error

SPEC = """
description = "settings"
preset = "baseline"
days = 20
trials = 12
population = 4
seeds = 1

[overrides]
n_citizens = 400
n_enterprises = 30

[budget]
per_10k_residents = 10_000_000

[levers]
transparency = {intensity = [1.0, 1.0]}
opening_hours = [6, 12]

[objectives]
days_per_case = "min"
cost_per_case = "min"
"""


def _spec(tmp_path: Path, text: str = SPEC) -> opt.DesignSpec:
    return loaded_spec(tmp_path, text)


# ---- the spec -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("opening_hours = [6, 12]", "opening_hours = [6, 30]", "less than or equal to 24"),
        ("opening_hours = [6, 12]", "opening_hourz = [6, 12]", "did you mean 'opening_hours'"),
        ("opening_hours = [6, 12]", "opening_hours = [12, 6]", "low < high"),
        ("opening_hours = [6, 12]", "citizen_request_scale = [0.8, 1.2]", "[states.parameters]"),
        ("opening_hours = [6, 12]", "n_citizens = [100, 200]", "a setting, not a lever"),
        ("opening_hours = [6, 12]", "opening_hours = {intensity = [0.5, 1]}", "[low, high]"),
        ("transparency = {intensity = [1.0, 1.0]}", "transparency = [0.5, 1]", "a reform"),
        ("n_enterprises = 30", "n_enterprises = 30\nopening_hours = 9", "also set in"),
        ("opening_hours = [6, 12]", "reform_reserve = [0, 1]", "fund_holds_budget"),
        (  # pydantic's union member ("Lever") is not part of the place named
            "transparency = {intensity = [1.0, 1.0]}",
            "transparency = {intensity = [1.0, 1.0], colour = 3}",
            "levers.transparency.colour: extra inputs",
        ),
    ],
)
def test_parameter_lever_errors_are_one_line_at_the_lever(tmp_path, old, new, words) -> None:
    assert old in SPEC
    _, message = spec_error(tmp_path, SPEC.replace(old, new, 1))
    assert "levers" in message and words in message, message


def test_levers_are_split_into_reforms_and_parameters(tmp_path) -> None:
    spec = _spec(tmp_path, SPEC.replace("opening_hours = [6, 12]", 'opening_hours = "declared"'))
    assert list(spec.reform_levers) == ["transparency"]
    assert spec.parameter_levers == {"opening_hours": (1.0, 24.0)}


# ---- the grid -------------------------------------------------------------------------------


def test_the_grid_spans_the_range_and_passes_through_the_citys_value() -> None:
    hours = lever_grid("opening_hours", 6, 12, 8.0)
    assert (hours.low, hours.high, hours.step) == (6, 12, 0.25)  # a round step near 6 / 20
    assert hours.nearest(8.0) == 8.0 and hours.nearest(7.9) == 8.0 and hours.nearest(99) == 12.0
    # 0.68 in [0.1, 0.99]: the round steps near 0.89 / 20 miss one or the other; 0.01 has both
    staff = lever_grid("staffing_utilisation", 0.1, 0.99, 0.68)
    assert (staff.low, staff.high, staff.step) == (0.1, 0.99, 0.01)
    assert staff.nearest(0.68) == 0.68 and staff.steps <= opt.MAX_STEPS
    # an integer parameter takes whole steps; a city outside the range does not bend the grid
    days = lever_grid("staff_review_days", 30, 400, 3650)
    assert days.integer and (days.low, days.high, days.step) == (30, 400, 10)
    assert days.nearest(3650) == 400 and isinstance(days.nearest(100.4), int)
    # no grid of at most MAX_STEPS steps holds 0, 1,230 and 100,000: 20 steps, the status quo
    # is the point nearest the city's value
    wage = lever_grid("wage_per_day", 0, 100_000, 1230)
    assert (wage.low, wage.high, wage.steps) == (0, 100_000, opt.SETTING_STEPS)
    assert wage.nearest(1230) == 0


def test_every_grid_holds_both_ends_and_the_status_quo_when_it_can() -> None:
    cases = [
        ("staffing_utilisation", 0.5, 0.95, 0.72),
        ("staff_review_days", 30, 180, 95),
        ("staff_review_days", 20, 3650, 90),
        ("tax_rate", 0.0, 0.9, 0.25),
        ("opening_hours", 1, 24, 8.0),
    ]
    for name, low, high, city in cases:
        grid = lever_grid(name, low, high, city)
        points = grid.low + grid.step * np.arange(grid.steps + 1)
        assert np.isclose(points[0], low) and np.isclose(points[-1], high), (name, grid)
        on = np.isclose(points, city).any()
        assert on or grid.steps == opt.SETTING_STEPS or grid.integer, (name, grid)


def test_the_status_quo_keeps_the_citys_settings(tmp_path) -> None:
    spec = _spec(tmp_path)
    first = [package_of(p, spec).label() for p in starting_packages(resolve(spec))]
    assert first[0] == "no reform; opening_hours = 8"  # the baseline's 8 hours
    assert first[1] == "transparency 1.00; opening_hours = 8"


def test_a_setting_changes_the_run_key_and_a_reforms_only_package_keeps_its_own() -> None:
    reforms = (("transparency", 1.0, 0),)
    plain, hours8, hours9 = (
        Package(reforms),
        Package(reforms, (("opening_hours", 8.0),)),
        Package(reforms, (("opening_hours", 9.0),)),
    )
    keys = {run_key(p, {}, 0) for p in (plain, hours8, hours9)}
    assert len(keys) == 3
    # the key of a package without settings is the one folders made before settings have
    assert run_key(plain, {}, 0) == "e9718bcf007b25a89b2a"


def test_an_unseen_neighbour_moves_a_setting_one_step(tmp_path) -> None:
    spec = _spec(tmp_path, SPEC.replace("transparency = {intensity = [1.0, 1.0]}\n", ""))
    problem = resolve(spec)
    rng = np.random.default_rng(0)
    start = {"opening_hours": 8.0}
    seen = {package_of(start, spec).label()}
    near = unseen_neighbour(problem, start, seen, rng)
    assert near["opening_hours"] in (7.75, 8.25)
    edge = {"opening_hours": 12.0}
    assert unseen_neighbour(problem, edge, {package_of(edge, spec).label()}, rng) == {
        "opening_hours": 11.75
    }


# ---- a search over settings (faked runs) ----------------------------------------------------


def fake_run(job: opt.RunJob) -> tuple[str, dict]:
    """Longer hours shorten the days per case and cost more per case; transparency helps both."""
    key, policy = job.key, job.policy
    hours = job.home["opening_hours"]
    open_ = any(p["type"] == "transparency" for p in policy)
    days = 10.0 - 0.5 * hours - (0.5 if open_ else 0.0)
    cost = 20.0 + 3.0 * hours - (1.0 if open_ else 0.0)
    values = {"days_per_case": days, "cost_per_case": cost}
    return key, {"values": values, "fund_short": 0, "staff_peak": 5.0}


@pytest.mark.slow  # an Optuna study in SQLite: seconds
@pytest.mark.parametrize("sampler", ["tpe", "nsga2"])
def test_a_search_over_settings_finds_the_trade_off(tmp_path, monkeypatch, sampler) -> None:
    monkeypatch.setattr(opt, "simulate_package", fake_run)
    spec = _spec(tmp_path).model_copy(update={"sampler": sampler})
    with SerialEvaluator() as ev:
        study = optimise(spec, tmp_path / "out", ev)
    trials = trials_frame(spec, study)
    assert len(trials) == spec.trials and trials["package"].is_unique
    grid = resolve(spec).grids["opening_hours"]
    on_grid = ((trials["opening_hours"] - grid.low) / grid.step).round(9) % 1 == 0
    assert trials["opening_hours"].between(6, 12).all() and on_grid.all()
    front = pareto_frame(spec, trials)
    # Transparency is better on both: every Pareto package has it. Hours trade days for cost:
    # every package on the front differs in its hours, and more hours are fewer days.
    assert front["transparency"].all()
    assert front["opening_hours"].is_unique
    ordered = front.sort_values("opening_hours")
    assert ordered["days_per_case"].is_monotonic_decreasing
    assert ordered["cost_per_case"].is_monotonic_increasing


# ---- the real thing -------------------------------------------------------------------------


@pytest.mark.slow
def test_a_setting_reaches_the_simulation_and_the_package_presets(tmp_path) -> None:
    """Staffing as a lever, with real runs: less utilisation means more counter staff (the
    staff peak rises as staffing_utilisation falls), and each Pareto package's preset file
    carries its setting, runs with `govsim run`, and builds a city with that setting."""
    from cli.main import main
    from experiments.optimise_report import write_results
    from scenarios import load_preset

    text = SPEC.replace("opening_hours = [6, 12]", "staffing_utilisation = [0.5, 0.9]")
    # 20,000 residents: in a smaller city every office has its minimum staff, whatever the
    # planned utilisation (measured: 11 counter staff at 400 to 5,000 residents, at 0.5 and 0.9)
    text = text.replace("n_citizens = 400", "n_citizens = 20_000")
    text = text.replace("n_enterprises = 30", "n_enterprises = 1_000")
    text = text.replace("trials = 12", "trials = 6").replace(
        "[levers]", "[staff_cap]\nper_10k_residents = 1000\n\n[levers]"
    )
    spec = _spec(tmp_path, text)
    out = tmp_path / "out"
    with opt.design_folder(spec, out), SerialEvaluator() as ev:
        study = optimise(spec, out, ev)
    front, _ = write_results(spec, out, study)
    trials = pd.read_parquet(out / "trials.parquet")
    assert trials["staffing_utilisation"].nunique() >= 3
    by_level = trials.groupby("staffing_utilisation")["staff_peak"].mean().sort_index()
    assert by_level.iloc[0] > by_level.iloc[-1], by_level  # leaner staffing, fewer staff
    files = sorted((out / "packages").glob("*.toml"))
    assert len(files) == len(front) >= 1
    for path, (_, row) in zip(files, front.iterrows(), strict=True):
        preset = load_preset(path)
        assert preset.parameters.staffing_utilisation == pytest.approx(row["staffing_utilisation"])
        assert preset.parameters.n_citizens == 20_000
    main(["run", str(files[0]), "--days", "3", "--json"])


def test_the_results_page_spells_out_a_packages_settings(tmp_path) -> None:
    from viz.design_view import Design, reforms_text

    spec = _spec(tmp_path)
    design = Design(tmp_path, spec, pd.DataFrame(), None)
    row = {"transparency": True, "transparency.intensity": 1.0, "opening_hours": 9.5}
    assert reforms_text(row, design, "en").endswith("Counter hours (hours/day): 9.5")
    zh = reforms_text(row, design, "zh")
    assert "9.5" in zh and "、" in zh and "Counter" not in zh


def test_an_empty_or_status_quo_front_says_why() -> None:
    """Every package over the staff cap, or every reform over the budget: the notes give the
    figures that decided it; a front with reforms within both needs no note."""
    from types import SimpleNamespace

    from experiments.optimise import front_notes

    capped = SimpleNamespace(spec=SimpleNamespace(staff_cap=SimpleNamespace(per_10k_residents=100)))
    capped.budget = 5000.0
    trials = pd.DataFrame(
        {
            "package": ["no reform", "one_stop 1.00", "transparency 0.50"],
            "cost": [0.0, 900.0, 7000.0],
            "simulated": [True, True, False],
            "feasible": [False, False, False],
            "staff_peak": [140.0, 137.5, np.nan],
        }
    )
    (note,) = front_notes(capped, trials, trials.iloc[:0])
    assert "cap of 100 per 10,000" in note and "lowest peak of the 2 simulated: 137.5" in note
    poor = SimpleNamespace(spec=SimpleNamespace(staff_cap=None), budget=0.03)
    trials = trials.assign(simulated=[True, False, False], feasible=[True, False, False])
    (note,) = front_notes(poor, trials, trials.iloc[:1])
    assert "over the budget of 0.03 CNY (the cheapest cost 900 CNY)" in note
    assert "only the status quo fits" in note
    rich = SimpleNamespace(spec=SimpleNamespace(staff_cap=None), budget=1e6)
    trials = trials.assign(simulated=True, feasible=True)
    assert front_notes(rich, trials, trials) == []
