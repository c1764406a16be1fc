"""The scorecard's arithmetic on given numbers (no simulation): shared runs, paired effects per
seed, intervals, verdicts, and the Markdown it writes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.scorecard import (
    BEGIN_MARK,
    END_MARK,
    QUICK_SIZE,
    fact_runs,
    judge,
    markdown,
    paired_effects,
    plan_runs,
    records,
    score,
    target_text,
    write_markdown,
)
from experiments.statistics import t_interval
from scenarios.facts import Fact

COMMON = {"statement": "A sentence.", "source": "a source", "note": "a note", "days": 365}


def fact(key: str, kind: str, preset: str, reference: str | None = None, **more) -> Fact:
    fields = {"window": 90, **COMMON, **more}
    return Fact(key=key, kind=kind, preset=preset, reference=reference, **fields)


def test_paired_effects_are_taken_per_seed() -> None:
    arm, ref = np.array([2.0, 6.0]), np.array([1.0, 4.0])
    assert paired_effects("level", arm, None).tolist() == [2.0, 6.0]
    assert paired_effects("difference", arm, ref).tolist() == [1.0, 2.0]
    assert paired_effects("relative_change", arm, ref).tolist() == [1.0, 0.5]


def test_a_relative_change_against_zero_is_undefined_not_infinite() -> None:
    effects = paired_effects("relative_change", np.array([1.0, 0.0, 3.0]), np.array([0, 0, 2.0]))
    assert math.isnan(effects[0]) and math.isnan(effects[1]) and effects[2] == 0.5


def test_facts_share_runs_and_effects_pair_on_seeds() -> None:
    facts = [
        fact("lvl", "level", "baseline", outcome="days_per_case", low=30, high=50),
        fact("rel", "relative_change", "one_stop", "baseline", outcome="days_per_case", high=0),
        fact("dif", "difference", "one_stop", "baseline", outcome="trips_per_case", high=0),
    ]
    runs = plan_runs(facts, replicates=3, quick=False)
    # baseline and one_stop, three seeds each: the facts share every run
    assert len(runs) == 6
    assert {(r.preset, r.seed) for r in runs} == {
        (p, s) for p in ("baseline", "one_stop") for s in range(3)
    }
    base = {"days_per_case": [40.0, 30.0, 50.0], "trips_per_case": [3.0, 2.0, 4.0]}
    arm = {"days_per_case": [20.0, 30.0, 10.0], "trips_per_case": [1.0, 1.5, 2.0]}
    summaries = {}
    for r in runs:
        values = base if r.preset == "baseline" else arm
        summaries[r] = {name: series[r.seed] for name, series in values.items()}
    frame = score(facts, summaries, replicates=3, quick=False).set_index("key")

    assert frame.loc["lvl", "value"] == pytest.approx(40.0)
    # the mean of per-seed ratios (-0.5, 0, -0.8), not the ratio of means (20 / 40 - 1)
    ratios = [20 / 40 - 1, 30 / 30 - 1, 10 / 50 - 1]
    mean, low, high = t_interval(np.array(ratios))
    # a relative change cannot fall below -1: the interval is cut there
    assert low < -1
    assert frame.loc["rel", ["value", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [mean, -1.0, high]
    )
    assert mean == pytest.approx(-13 / 30) and mean != pytest.approx(20 / 40 - 1)
    assert frame.loc["dif", "value"] == pytest.approx(np.mean([-2.0, -0.5, -2.0]))
    assert frame.loc["rel", "n"] == 3
    assert frame["verdict"].tolist() == ["pass", "pass", "pass"]
    assert frame.loc["rel", "command"] == "govsim validate --only rel --replicates 3"
    assert "govsim run one_stop --days 365 --seed 0" in frame.loc["rel", "run_command"]
    assert "govsim run baseline" in frame.loc["rel", "reference_run_command"]
    assert pd.isna(frame.loc["lvl", "reference_run_command"])


def test_quick_mode_shrinks_the_city_unless_the_fact_sets_its_size() -> None:
    plain = fact("a", "level", "baseline", outcome="days_per_case", low=0)
    sized = fact(
        "b", "level", "baseline", outcome="days_per_case", low=0, overrides={"n_citizens": 3000}
    )
    (quick, _), (full, _) = fact_runs(plain, 0, True), fact_runs(plain, 0, False)
    assert dict(quick.overrides) == {**QUICK_SIZE, "summary_window_days": 90}
    assert dict(full.overrides) == {"summary_window_days": 90}
    assert dict(fact_runs(sized, 0, True)[0].overrides) == {
        "n_citizens": 3000,
        "summary_window_days": 90,
    }


def test_runs_differing_in_days_window_or_overrides_are_not_shared() -> None:
    facts = [
        fact("a", "level", "baseline", outcome="days_per_case", low=0),
        fact("b", "level", "baseline", outcome="days_per_case", low=0, window=30),
        fact("c", "level", "baseline", outcome="days_per_case", low=0, days=100),
        fact(
            "d", "level", "baseline", outcome="days_per_case", low=0, overrides={"n_citizens": 99}
        ),
        fact("e", "level", "baseline", outcome="trips_per_case", low=0),  # shares a's runs
    ]
    assert len(plan_runs(facts, replicates=2, quick=False)) == 4 * 2


@pytest.mark.parametrize(
    ("value", "low", "high", "verdict"),
    [
        (12.0, 12.0, 14.0, "pass"),  # bounds are inclusive
        (14.0, 12.0, 14.0, "pass"),
        (14.01, 12.0, 14.0, "miss"),
        (-5.0, None, 0.0, "pass"),
        (0.5, 0.0, None, "pass"),
        (-0.1, 0.0, None, "miss"),
        (math.nan, None, 0.0, "miss"),  # undefined (e.g. every reference was 0)
    ],
)
def test_judge(value: float, low: float | None, high: float | None, verdict: str) -> None:
    assert judge(value, low, high) == verdict


def test_target_text() -> None:
    assert target_text(12, 14) == "12 to 14"
    assert target_text(None, 0.1) == "≤ 0.1"
    assert target_text(0, None) == "≥ 0"


def _frame():
    facts = [
        fact("x", "difference", "feedback", "baseline", outcome="satisfaction_citizens", high=0)
    ]
    runs = plan_runs(facts, replicates=2, quick=True)
    summaries = {r: {"satisfaction_citizens": 0.5 + 0.1 * (r.preset == "feedback")} for r in runs}
    return score(facts, summaries, replicates=2, quick=True)


def test_markdown_and_records() -> None:
    frame = _frame()
    text = markdown(frame)
    level = fact("lvl", "level", "baseline", outcome="days_per_case", low=1)
    (run,) = plan_runs([level], 1, quick=False)
    level_text = markdown(score([level], {run: {"days_per_case": 2.0}}, 1, quick=False))
    assert "against" not in level_text and "nan" not in level_text
    assert text.startswith("**0 of 1 facts pass.** 2 seeds (0 to 1)")
    assert "| `x` | A sentence. |" in text and "**miss**" in text
    assert "`govsim validate --only x --replicates 2 --quick`" in text
    (record,) = records(frame)
    assert record["target_low"] is None and record["verdict"] == "miss"
    assert record["value"] == pytest.approx(0.1)


def test_markdown_replaces_only_the_marked_section(tmp_path: Path) -> None:
    path = tmp_path / "validation.md"
    path.write_text(f"# Title\n\nkept\n\n{BEGIN_MARK}\nold table\n{END_MARK}\n\nalso kept\n")
    write_markdown(path, "new table\n")
    text = path.read_text()
    assert text.startswith("# Title\n\nkept\n") and text.endswith("also kept\n")
    assert "new table" in text and "old table" not in text
    plain = tmp_path / "plain.md"
    write_markdown(plain, "only this\n")
    assert plain.read_text() == "only this\n"
