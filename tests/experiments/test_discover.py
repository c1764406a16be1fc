"""Scenario discovery (`govsim discover`): PRIM finds a planted box, and the command writes its
boxes and sentences for a small swept experiment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.design import load_spec
from experiments.discover import DiscoverError, Labels, discover, find_boxes, sentences, simplify
from experiments.evaluators import SerialEvaluator
from experiments.runner import run_experiment
from tests.experiments.tiny_spec import write_spec

ROOT = Path(__file__).resolve().parents[2]


def test_prim_finds_a_planted_box() -> None:
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.uniform(size=(2000, 3)), columns=["a", "b", "noise"])
    y = ((x["a"] < 0.3) & (x["b"] > 0.6)).to_numpy()
    boxes = find_boxes(x, y, boxes=1)
    assert len(boxes) == 1
    box = boxes[0]
    assert set(box.limits) == {"a", "b"}  # the noise is not restricted
    assert box.limits["a"][1] == pytest.approx(0.3, abs=0.05)
    assert box.limits["b"][0] == pytest.approx(0.6, abs=0.05)
    assert box.density > 0.9 and box.coverage >= 0.5
    assert box.cases == int(
        y[(x["a"] <= box.limits["a"][1]) & (x["b"] >= box.limits["b"][0])].sum()
    )


def test_simplify_drops_restrictions_that_do_not_matter() -> None:
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.uniform(size=(3000, 3)), columns=["a", "b", "noise"])
    y = (x["a"] < 0.3).to_numpy()
    full = {c: (0.0, 1.0) for c in x}
    peeled = {"a": (0.0, 0.3), "b": (0.05, 1.0), "noise": (0.0, 0.9)}  # b, noise: no gain
    assert simplify(x, y, peeled, full, tolerance=0.02) == {**full, "a": (0.0, 0.3)}
    # a restriction that matters stays, however small the tolerance
    y2 = ((x["a"] < 0.3) & (x["b"] > 0.5)).to_numpy()
    kept = simplify(x, y2, {**peeled, "b": (0.5, 1.0)}, full, tolerance=0.0)
    assert kept["a"] == (0.0, 0.3) and kept["b"] == (0.5, 1.0) and kept["noise"] == (0.0, 1.0)


def test_sentences_use_labels_and_percentages() -> None:
    rng = np.random.default_rng(2)
    x = pd.DataFrame(
        {"digital_access_citizens": rng.uniform(size=800), "bounce_prob": rng.uniform(size=800)}
    )
    y = (x["digital_access_citizens"] < 0.4).to_numpy()
    box = find_boxes(x, y, boxes=1)[0]
    assert set(box.limits) == {"digital_access_citizens"}
    labels = Labels({"digital_access_citizens": ("citizens online", "能上网办事的市民比例"),
                     "one_stop": ("one-stop", "一站式服务"),
                     "trips_per_case": ("trips per case", "每件跑腿次数")})  # fmt: skip
    full = {c: (float(x[c].min()), float(x[c].max())) for c in x}
    en, zh = sentences(box, "one_stop", "trips_per_case", "above", 1.5, full, labels)
    high = 100 * box.limits["digital_access_citizens"][1]
    assert en.startswith("With one-stop, trips per case ends above 1.5 in")
    assert f"citizens online is at most {high:.3g}%" in en
    assert f"能上网办事的市民比例不高于 {high:.3g}%" in zh and "每件跑腿次数高于 1.5" in zh


def test_no_case_no_box() -> None:
    x = pd.DataFrame({"a": np.linspace(0, 1, 50)})
    assert find_boxes(x, np.zeros(50, dtype=bool)) == []


SWEPT = """
description = "tiny swept experiment"
presets = ["baseline"]
replicates = 1
days = 30
base_seed = 5
outcomes = ["trips_per_case", "days_per_case"]

[parameters]
n_citizens = 300
n_enterprises = 20

[sweep.latin_hypercube]
samples = 12
seed = 1
ranges = {bounce_prob = [0.0, 0.6], citizen_request_scale = [0.8, 1.3]}
"""


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("swept")
    out = tmp / "exp"
    run_experiment(load_spec(write_spec(tmp, SWEPT)), out, SerialEvaluator())
    return out


def test_discover_writes_boxes_and_sentences(swept: Path) -> None:
    values = pd.read_parquet(swept / "outcomes.parquet")["trips_per_case"]
    threshold = float(values.median())
    found = discover(swept, "trips_per_case", threshold, "above")
    assert found.runs == 12 and 0 < found.cases < 12
    assert (found.folder / "boxes.csv").exists() and (found.folder / "boxes.txt").exists()
    boxes = pd.read_csv(found.folder / "boxes.csv")
    assert set(boxes.columns) >= {"box", "parameter", "low", "high", "coverage", "density"}
    text = (found.folder / "boxes.txt").read_text(encoding="utf-8")
    for en, zh in zip(found.english, found.chinese, strict=True):
        assert en in text and zh in text
        assert "trips_per_case ends above" in en and "coverage" in en  # no labels: names
    if found.boxes:
        assert (found.folder / "trajectory.png").exists()


@pytest.mark.parametrize(
    ("outcome", "threshold", "words"),
    [
        ("satisfaction_citizens", 0.5, "not an outcome of this experiment"),
        ("bounce_prob", 0.3, "a swept parameter, not an outcome"),
        ("trips_per_case", float("nan"), "give a finite number"),
        ("trips_per_case", float("inf"), "give a finite number"),
    ],
)
def test_discover_refuses_what_it_cannot_analyse(swept: Path, outcome, threshold, words) -> None:
    with pytest.raises(DiscoverError, match=words) as caught:
        discover(swept, outcome, threshold)
    if "kept" in str(caught.value):  # the outcomes it offers are outcomes, not parameters
        assert "bounce_prob" not in str(caught.value).split("kept")[1]


def test_each_question_has_its_folder_and_no_stale_files(swept: Path, tmp_path: Path) -> None:
    values = pd.read_parquet(swept / "outcomes.parquet")["trips_per_case"]
    first = discover(swept, "trips_per_case", float(values.median()), "above")
    nothing = discover(swept, "trips_per_case", float(values.max()) + 1, "above")
    assert first.folder != nothing.folder and nothing.cases == 0 and not nothing.boxes
    # the same folder for both: the second analysis leaves none of the first's files
    out = tmp_path / "one"
    discover(swept, "trips_per_case", float(values.median()), "above", out=out)
    again = discover(swept, "trips_per_case", float(values.max()) + 1, "above", out=out)
    assert again.written == ["boxes.csv", "boxes.txt"]
    assert sorted(p.name for p in out.iterdir()) == ["boxes.csv", "boxes.txt"]


def test_runs_without_a_value_are_left_out_and_counted(swept: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "exp"
    shutil.copytree(swept, copy)
    part = sorted((copy / "outcomes.parquet").glob("part-*.parquet"))[0]
    frame = pd.read_parquet(part)
    frame["trips_per_case"] = np.nan  # a run with nothing to measure
    frame.to_parquet(part, index=False)
    found = discover(copy, "trips_per_case", 0.0, "above")
    assert found.runs == 11 and found.without_value == 1
    assert "1 run(s) without a value of trips_per_case left out" in (
        found.folder / "boxes.txt"
    ).read_text(encoding="utf-8")


def test_discover_command(swept: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "cli", "discover", str(swept)),
            *("--outcome", "days_per_case", "--threshold", "0", "--cases", "above"),
            *("--out", str(tmp_path / "d")),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "12 of 12 runs have days_per_case above 0" in done.stdout
    assert (tmp_path / "d" / "boxes.txt").exists()
