"""One pipeline for results: `govsim experiment summarize`, the report and the dashboard's results
page read a folder the same way and compute the same numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from experiments import statistics
from experiments.design import load_spec
from experiments.evaluators import SerialEvaluator
from experiments.report import write_report
from experiments.runner import run_experiment
from experiments.summary import outcome_bounds, summarize
from model.outcomes import HEADLINE_OUTCOMES, OUTCOME_BY_NAME
from viz import results

PRESETS = ("baseline", "one_stop")
REPLICATES = 3
SPEC = f"""
description = "results pipeline"
presets = {list(PRESETS)}
replicates = {REPLICATES}
days = 30
base_seed = 11
outcomes = {list(HEADLINE_OUTCOMES)}
timeseries_every = 3

[parameters]
n_citizens = 300
n_enterprises = 20
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pipeline")
    spec = root / "spec.toml"
    spec.write_text(SPEC, encoding="utf-8")
    report = run_experiment(load_spec(spec), root / "out", SerialEvaluator())
    assert (report.ran, report.failed) == (len(PRESETS) * REPLICATES, 0)
    return root / "out"


def test_headline_outcomes_are_outcomes() -> None:
    assert len(set(HEADLINE_OUTCOMES)) == len(HEADLINE_OUTCOMES)
    assert set(HEADLINE_OUTCOMES) <= set(OUTCOME_BY_NAME)


def test_results_page_and_summarize_give_the_same_numbers(folder: Path) -> None:
    page = results.summary_table(results.read_results(folder), list(HEADLINE_OUTCOMES))
    cli = summarize(folder, "baseline", list(HEADLINE_OUTCOMES))
    assert sorted(page["series"].unique()) == sorted(PRESETS)
    assert len(page) == len(cli) == len(PRESETS) * len(HEADLINE_OUTCOMES)
    for preset in PRESETS:
        for outcome in HEADLINE_OUTCOMES:
            (mine,) = page[(page["series"] == preset) & (page["outcome"] == outcome)].itertuples()
            (theirs,) = cli[(cli["preset"] == preset) & (cli["outcome"] == outcome)].itertuples()
            assert mine.n == theirs.n == REPLICATES
            np.testing.assert_array_equal(
                [mine.mean, mine.low, mine.high],
                [theirs.mean, theirs.ci_low, theirs.ci_high],
                err_msg=f"{preset} {outcome}",
            )
    assert np.isfinite(cli["ci_low"]).any()  # real intervals, not NaN everywhere
    # intervals stay within what each outcome can be (a share near 0 is not below 0)
    for r in cli.itertuples():
        low, high = outcome_bounds(r.outcome)
        assert low <= r.ci_low <= r.ci_high <= high or np.isnan(r.ci_low), r
        assert low - 1e-12 <= r.mean - r.diff + r.diff_low or np.isnan(r.diff_low), r


def test_results_page_bands_are_the_shared_bands(folder: Path) -> None:
    res = results.read_results(folder)
    page = results.bands(res, "trips_per_case")
    shared = statistics.bands(res.timeseries, ["preset"], "trips_per_case")
    assert set(page["day"]) == set(range(2, 30, 3))
    for preset in PRESETS:
        mine = page[page["series"] == preset].sort_values("day")
        theirs = shared[shared["preset"] == preset].sort_values("day")
        for column in ("day", "mean", "low", "high"):
            np.testing.assert_array_equal(mine[column].to_numpy(), theirs[column].to_numpy())


def test_report_reads_the_same_folder(folder: Path) -> None:
    page = write_report(folder, "baseline").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 2
    assert "<th>point</th>" not in page and "<th>city</th>" not in page  # constant columns
    assert f"{len(PRESETS) * REPLICATES} runs (0 failed)" in page
