"""Policy design for one city of several: the design's city chooses, its rivals' reforms are an
uncertainty (the day each starts, drawn per state), and competition outcomes can be objectives."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import experiments.optimise as opt
from experiments.evaluators import SerialEvaluator
from experiments.optimise import (
    Package,
    job_preset,
    optimise,
    resolve,
    run_job,
    simulate_package,
)
from tests.experiments.spec_errors import loaded_spec, spec_error
from world.errors import ParameterError

SPEC = """
description = "east against west"
preset = "symmetric_cities"
city = "east"
days = 60
trials = 4
population = 4
seeds = 1

[overrides]
n_citizens = 600
n_enterprises = 40

[budget]
per_10k_residents = 10_000_000

[levers]
fewer_approvals = {intensity = [1.0, 1.0]}
transparency = {intensity = [1.0, 1.0]}

[objectives]
procedures_per_case = "min"
competitiveness_index = {robustness = "worst"}

[states]
sample = 3
[states.rivals]
one_stop = [0, 120]
"""


def _spec(tmp_path: Path, text: str = SPEC) -> opt.DesignSpec:
    return loaded_spec(tmp_path, text)


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('city = "east"\n', "", "city = NAME"),
        ('city = "east"', 'city = "north"', "east, west"),
        ('preset = "symmetric_cities"', 'preset = "baseline"', "leave out city"),
        ("one_stop = [0, 120]", "one_stopp = [0, 120]", "did you mean 'one_stop'"),
        ("one_stop = [0, 120]", "one_stop = [120, 0]", "0 <= first <= last"),
        ("sample = 3", "sample = 0", "sample = N"),
    ],
)
def test_design_of_one_city_of_several_errors(tmp_path, old, new, words) -> None:
    assert old in SPEC
    _, message = spec_error(tmp_path, SPEC.replace(old, new, 1))
    assert words in message, message


def test_competition_outcomes_and_rivals_need_several_cities(tmp_path) -> None:
    alone = SPEC.replace('preset = "symmetric_cities"\ncity = "east"', 'preset = "baseline"')
    with pytest.raises(ParameterError, match="rivals need a preset of several cities"):
        _spec(tmp_path, alone)
    alone = alone.replace("sample = 3\n[states.rivals]\none_stop = [0, 120]", "")
    with pytest.raises(ParameterError, match="competition between cities"):
        _spec(tmp_path, alone)


def test_a_rival_that_has_the_reform_already_and_a_lever_the_city_has(tmp_path) -> None:
    text = SPEC.replace('preset = "symmetric_cities"', 'preset = "two_cities"')
    with pytest.raises(ParameterError, match="rival city 'reformer' already has 'one_stop'"):
        _spec(tmp_path, text.replace('city = "east"', 'city = "laggard"'))
    with pytest.raises(ParameterError, match="already has 'fewer_approvals'"):
        _spec(tmp_path, text.replace('city = "east"', 'city = "reformer"'))


def test_states_draw_the_rivals_start_days(tmp_path) -> None:
    problem = resolve(_spec(tmp_path))
    days = sorted(state["rival.one_stop"] for state in problem.states)
    assert all(isinstance(d, int) and 0 <= d <= 120 for d in days)
    # a Latin hypercube of 3: one day in each third of [0, 120]
    assert [d // 40 for d in days] == [0, 1, 2]
    # the budget is the design's city's: 600 residents
    assert problem.residents == 600 and problem.budget == pytest.approx(600_000)


def test_the_package_goes_to_the_designs_city_and_the_rival_reform_to_the_others(tmp_path):
    problem = resolve(_spec(tmp_path))
    package = Package((("fewer_approvals", 1.0, 0),))
    early = run_job(problem, package, {"rival.one_stop": 10}, 0)
    preset = job_preset(early)
    east, west = preset.cities
    assert [i.key for i in east.policy] == ["fewer_approvals"]
    assert east.parameters["reform_reserve"] == pytest.approx(10_000_000)  # the budget's fund
    assert [(i.key, i.start) for i in west.policy] == [("one_stop", 10)]
    assert "reform_reserve" not in west.parameters  # the rival keeps the preset's fund
    # a rival start at or after the horizon: the rival does not adopt it in time
    late = job_preset(run_job(problem, package, {"rival.one_stop": 60}, 0))
    assert late.cities[1].policy == ()


@pytest.mark.slow
def test_outcomes_are_the_designs_citys(tmp_path) -> None:
    """Fewer approvals in east: east's procedures per case fall, whatever the rival does; the
    run reads east's own ledger (west, without the reform, keeps its procedures)."""
    problem = resolve(_spec(tmp_path))
    package = Package((("fewer_approvals", 1.0, 0),))
    job = run_job(problem, package, {"rival.one_stop": 200}, 0)
    _, east = simulate_package(job)
    _, status_quo = simulate_package(run_job(problem, Package(()), {"rival.one_stop": 200}, 0))
    assert east["values"]["procedures_per_case"] < status_quo["values"]["procedures_per_case"]
    model = job_preset(job).build(0)
    from experiments.one_run import advance

    advance(model, job.days)
    east_city, west_city = model.cities
    assert east["values"]["procedures_per_case"] == pytest.approx(
        east_city.summary()["procedures_per_case"]
    )
    assert west_city.summary()["procedures_per_case"] > east["values"]["procedures_per_case"]


@pytest.mark.slow
def test_a_design_against_a_rival_writes_runnable_two_city_presets(tmp_path) -> None:
    from cli.main import main
    from experiments.optimise_report import write_results
    from scenarios import load_preset

    spec = _spec(tmp_path)
    out = tmp_path / "out"
    with opt.design_folder(spec, out), SerialEvaluator() as ev:
        study = optimise(spec, out, ev)
    front, _ = write_results(spec, out, study)
    trials = pd.read_parquet(out / "trials.parquet")
    assert len(trials) == 4 and trials["competitiveness_index"].notna().all()
    files = sorted((out / "packages").glob("*.toml"))
    assert len(files) == len(front) >= 1
    for path, (_, row) in zip(files, front.iterrows(), strict=True):
        preset = load_preset(path)
        east, west = preset.cities
        chosen = [k for k in spec.reform_levers if row[k]]
        assert [i.key for i in east.policy] == chosen
        assert west.policy == ()  # the reference state: the rival as the preset has it
        assert preset.parameters.n_citizens == 600
    main(["run", str(files[0]), "--days", "3", "--json"])


# [overrides] reach every city: with no reform money of its own, west cannot start the one-stop
# centre the states draw for it (between days 5 and 10)
RIVAL_WITHOUT_MONEY = SPEC.replace(
    "n_enterprises = 40", "n_enterprises = 40\nreform_reserve = 0"
).replace("one_stop = [0, 120]", "one_stop = [5, 10]")


@pytest.mark.slow
def test_a_rival_reform_its_fund_cannot_pay_is_counted(tmp_path) -> None:
    """[overrides] reach every city: with no reform money of its own, west cannot start the
    one-stop centre the state draws for it. The run says so (rival_fund_short), since that state
    did not happen as drawn; the design's city has the budget's fund and is not held back."""
    problem = resolve(_spec(tmp_path, RIVAL_WITHOUT_MONEY))
    job = run_job(problem, Package((("transparency", 1.0, 0),)), problem.states[0], 0)
    _, run = simulate_package(job)
    assert run["rival_fund_short"] > 0 and run["fund_short"] == 0
    runs = {(s, 0): run for s in range(len(problem.states))}  # (the same run for each state)
    attrs = opt.evaluate(problem, runs)
    assert attrs["rival_fund_short"] == len(problem.states) * run["rival_fund_short"]


@pytest.mark.slow
def test_the_command_says_when_a_rivals_fund_held_a_reform_back(tmp_path, capsys) -> None:
    from cli.main import main

    path = tmp_path / "design.toml"
    path.write_text(RIVAL_WITHOUT_MONEY, encoding="utf-8")
    main(["optimise", str(path), "--out", str(tmp_path / "out"), "--workers", "1"])
    err = capsys.readouterr().err
    assert "a rival's fund could not pay for a reform the state drew for it" in err, err
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "rival_fund_short" in page and "city <b>east</b>" in page
