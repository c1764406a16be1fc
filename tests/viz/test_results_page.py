"""The results page without a browser: the paired differences are the CLI's (`govsim experiment
summarize --reference baseline`), word for word in English; calibration and policy-design folders
are found, read and shown (targets against the model's interval, held-out coverage, the Pareto
front and its package presets)."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from cli.main import main
from tests.viz.command_folders import (
    write_calibration_folder,
    write_design_folder,
    write_experiment_folder,
)
from tests.viz.synthetic import write_result_folder
from viz import results
from viz.calibration_view import (
    Calibration,
    coverage_text,
    path_spec,
    targets_html,
    targets_spec,
)
from viz.design_view import Design, front_spec, package_file
from viz.effects import change_text, effects_html, paired_effects, verdict
from viz.i18n import outcome_label, preset_label

NUMBERS = ["mean", "ci_low", "ci_high", "diff", "diff_low", "diff_high"]


def _cli(capsys, *args: str) -> str:
    capsys.readouterr()
    main(list(args))
    return capsys.readouterr().out


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    return write_experiment_folder(tmp_path_factory.mktemp("results") / "exp")


def test_the_paired_differences_are_the_cli_s_numbers(experiment, capsys):
    page = paired_effects(results.read_results(experiment), "baseline")
    out = _cli(capsys, "experiment", "summarize", str(experiment), "--reference", "baseline",
               "--csv")  # fmt: skip
    cli = pd.read_csv(io.StringIO(out))
    assert len(page) == len(cli) and len(page) > 40
    keys = ["preset", "outcome"]
    merged = page.merge(cli, on=keys, suffixes=("", "_cli"), validate="one_to_one")
    for column in NUMBERS:
        assert merged[column].to_numpy() == pytest.approx(
            merged[f"{column}_cli"].to_numpy(), nan_ok=True
        ), column
    # (the words: the CLI prints them with viz.effects' own functions)
    assert verdict("lower", -1.0, -1.2, -0.8) == 1 and verdict("higher", 0.1, -0.1, 0.3) == 0


def test_the_page_says_what_the_cli_says(experiment, capsys):
    text = _cli(capsys, "experiment", "summarize", str(experiment), "--reference", "baseline")
    table = paired_effects(results.read_results(experiment), "baseline")
    page = effects_html(table, "baseline", "en")
    counts = re.search(r"one_stop against baseline: (\d+) better, (\d+) worse", text)
    assert counts, text
    assert f"one_stop against baseline: {counts[1]} better, {counts[2]} worse" in page
    clear = table[(table["preset"] == "one_stop") & (table["verdict"] != 0)]
    assert "trips_per_case" in set(clear["outcome"]) and len(clear) >= 3
    ref = table[table["preset"] == "baseline"].set_index("outcome")["mean"]
    for r in clear.itertuples():
        change = change_text(r.diff, r.diff_low, r.diff_high, r.unit, ref[r.outcome])
        assert change in text, (change, text)  # the CLI's line for this outcome
        assert change in page.replace("&#x27;", "'")
        assert f"data-outcome='{r.outcome}' data-diff='{r.diff!r}'" in page


def test_the_paired_differences_in_chinese(experiment):
    table = paired_effects(results.read_results(experiment), "baseline")
    page = effects_html(table, "baseline", "zh")
    clear = table[(table["verdict"] != 0) & (table["preset"] != "baseline")]
    assert "行政服务中心、一站式服务与baseline相比" in page.replace(
        preset_label("baseline", "zh"), "baseline"
    )
    for r in clear.itertuples():
        assert outcome_label(r.outcome, "zh") in page
    if (clear["unit"] == "share").any():
        assert "个百分点" in page
    assert "改善" in page and "每件跑腿次数" in page
    words = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page)  # the text, without the markup
    assert "better" not in words and " pp" not in words and "no clear change" not in words


def test_calibration_and_design_folders_are_offered_and_read(tmp_path):
    root = tmp_path / "results"
    write_result_folder(root / "exp")
    write_calibration_folder(root / "cal")
    write_design_folder(root / "design")
    (root / "half-a-calibration").mkdir()
    (root / "half-a-calibration" / "calibration.json").write_text("{}")
    assert sorted(results.find_result_folders(root.resolve())) == ["cal", "design", "exp"]
    assert results.folder_kind(root / "cal") == "calibration"
    assert results.folder_kind(root / "design") == "design"
    assert isinstance(results.read_folder(results.locate("cal", root)), Calibration)
    assert isinstance(results.read_folder(results.locate("design", root)), Design)
    with pytest.raises(ValueError, match=results.NOT_FOUND):
        results.locate("half-a-calibration", root)


def test_a_calibration_shows_its_targets_against_the_model(tmp_path):
    folder = write_calibration_folder(tmp_path / "cal")
    cal = results.read_folder(folder)
    stored = pd.read_csv(folder / "holdout.csv")
    assert cal.check.equals(stored)
    assert cal.description == "tiny calibration for the results page"
    assert cal.coverage() == (0, 1)  # DB2007's 35 days lie below the model's 40-49
    assert coverage_text(cal, "en").startswith("Held-out coverage: 0 of 1 held-out points")
    assert "留出检验覆盖率" in coverage_text(cal, "zh")
    table = targets_html(cal, "en")
    for r in stored.itertuples():
        assert f"data-edition='{r.edition}' data-observed='{r.observed!r}'" in table
        assert f"data-low='{r.low!r}' data-high='{r.high!r}'" in table
    assert table.count("class='ok'") == 1 and table.count("class='miss'") == 1
    spec = targets_spec(cal, "start_business_days", "zh")
    rows = spec["data"]["values"]
    assert [r["edition"] for r in rows] == list(stored["edition"])
    assert [r["low"] for r in rows] == list(stored["low"])
    assert {r["set"] for r in rows} == {"拟合", "留出检验"}
    band, line, reforms, observed = (
        layer["data"]["values"] for layer in path_spec(cal, "en")["layer"]
    )
    stored_path = pd.read_parquet(folder / "path.parquet")
    medians = stored_path.groupby("day")["start_business_days"].median()
    assert [r["median"] for r in line] == list(medians)
    assert all(r["low"] <= r["median"] <= r["high"] for r in band)
    assert [r["observed"] for r in observed] == list(stored["observed"])
    assert [r["date"] for r in observed] == ["2005-06-01", "2006-06-01"]  # the editions' dates
    assert [r["reforms"] for r in reforms] == ["Process re-engineering"]  # 2006-01-01


def test_a_design_shows_its_front_and_presets_that_load(tmp_path):
    from scenarios import load_preset

    folder = write_design_folder(tmp_path / "design")
    design = results.read_folder(folder)
    front = pd.read_parquet(folder / "pareto.parquet")
    assert design.front.equals(front) and len(front) >= 1
    assert design.description == "tiny design"
    assert design.packages() == [package_file(folder, k) for k in range(1, len(front) + 1)]
    for path, (_, row) in zip(design.packages(), front.iterrows(), strict=True):
        preset = load_preset(path)  # what the button loads into the dashboard
        assert preset.parameters.n_citizens == 400 and preset.days == 40
        # described in people's words: each reform of the package by its name
        from world.interventions import REGISTRY

        reforms = [part.split()[0] for part in row["package"].split(", ") if part != "no reform"]
        assert all(REGISTRY[k].label_en in preset.description for k in reforms), (
            row["package"],
            preset.description,
        )
    spec = front_spec(design, "en")
    points = spec["layer"][3]["data"]["values"]
    assert [p["x"] for p in points] == list(front["trips_per_case"])
    assert [p["y"] for p in points] == list(front["days_per_case"])
    assert [p["y_low"] for p in points] == list(front["days_per_case.low"])


def test_a_design_whose_package_leads_outside_the_root_is_refused(tmp_path):
    root = tmp_path / "results"
    folder = write_design_folder(root / "design")
    outside = tmp_path / "elsewhere.toml"
    outside.write_text('description = "not from this folder"\n', encoding="utf-8")
    package = package_file(folder, 1)
    package.unlink()
    package.symlink_to(outside)  # the button would load a preset from outside the root
    with pytest.raises(ValueError, match=results.NOT_FOUND):
        results.locate("design", root)
    assert results.find_result_folders(root) == []


def test_many_sweep_points_are_pooled_per_preset_on_the_page(tmp_path) -> None:
    """A hypercube of 10 points: the page shows a column and a line per preset (not per point)
    and pairs each point's runs, so the effects are means over the sampled conditions."""
    from experiments.design import load_spec
    from experiments.evaluators import SerialEvaluator
    from experiments.runner import run_experiment
    from tests.experiments.tiny_spec import write_spec

    text = """
description = "ten conditions"
presets = ["baseline", "one_stop"]
replicates = 1
days = 40
outcomes = ["trips_per_case", "satisfaction_citizens"]
[parameters]
n_citizens = 300
n_enterprises = 20
[sweep.latin_hypercube]
samples = 10
ranges = {bounce_prob = [0.0, 0.5]}
"""
    out = tmp_path / "lhs"
    run_experiment(load_spec(write_spec(tmp_path, text)), out, SerialEvaluator())
    folder = results.read_results(out)
    assert folder.pooled_points() == 10 and folder.group_keys() == ["preset"]
    assert set(results.summary_table(folder)["series"]) == {"baseline", "one_stop"}
    effects = paired_effects(folder, "baseline", pool_points=True)
    one_stop = effects[effects["preset"] == "one_stop"]
    assert len(one_stop) == 2 and (one_stop["n"] == 10).all()  # ten pairs, one per point
    assert not effects["point"].any() and "bounce_prob" not in effects  # one pooled group
    assert folder.outcomes["point"].nunique() == 10  # the folder itself is untouched
