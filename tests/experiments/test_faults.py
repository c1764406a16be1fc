"""Fault injection: the store's promises hold when runners and workers are killed, parts and
manifests are damaged, two runners race, and inputs are malformed.

The promises (docs/experiments.md, "Guarantees"): no finished run is lost, no two runs share a
place, old and new results are never mixed, damage is found and named, one runner writes a folder
at a time, a dead worker costs a retry and not the experiment, and nothing outlives a killed
runner. Every refusal is one line.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from experiments.design import MAX_RUNS, ExperimentSpec, SpecError, count_runs, expand, load_spec
from experiments.evaluators import ProcessEvaluator, SerialEvaluator
from experiments.result_folder import (
    DamagedFolderError,
    FolderBusyError,
    FolderError,
    ResultFolder,
    ResultStore,
    audit,
)
from experiments.runner import run_experiment
from experiments.summary import summarize
from tests.experiments import dying_task
from tests.experiments.tiny_spec import write_spec

SMALL = """
description = "a small experiment for fault injection"
presets = {presets}
reference = "{reference}"
replicates = 2
days = {days}
outcomes = ["satisfaction_citizens", "trips_per_case"]

[parameters]
n_citizens = 300
n_enterprises = 20
"""
PRESET = 'description = "{text}"\n[parameters]\nbounce_prob = {bounce}\n'


def small(
    tmp_path: Path, presets: list[str] | None = None, name: str = "spec.toml", days: int = 20
) -> Path:
    presets = presets or ["baseline", "one_stop"]
    listed = "[" + ", ".join(f'"{p}"' for p in presets) + "]"
    text = SMALL.format(presets=listed, reference=Path(presets[0]).stem, days=days)
    return write_spec(tmp_path, text, name)


def preset_file(path: Path, bounce: float = 0.1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PRESET.format(text=path.stem, bounce=bounce), encoding="utf-8")
    return path


def one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message, message
    return message


# --- run identity -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "names",
    [("改革.toml", "落后.toml"), ("a b.toml", "a_b.toml"), ("x~y.toml", "x_y.toml")],
)
def test_distinct_presets_never_share_a_run(tmp_path: Path, names) -> None:
    for i, name in enumerate(names):
        preset_file(tmp_path / name, bounce=0.05 + 0.1 * i)
    spec = load_spec(small(tmp_path, list(names)))
    runs = expand(spec)
    assert len({r.run_id for r in runs}) == len(runs) == 4
    report = run_experiment(spec, tmp_path / "out", SerialEvaluator())
    assert report.ran == 4
    results = ResultFolder(tmp_path / "out")
    assert len(results.runs) == 4
    assert set(results.runs["preset"]) == {Path(n).stem for n in names}  # readable labels


@pytest.mark.parametrize(
    "layout",
    [("a/x.toml", "b/x.toml"), ("A.toml", "a.toml")],
)
def test_presets_whose_runs_would_clash_are_refused_by_line(tmp_path: Path, layout) -> None:
    for name in layout:
        preset_file(tmp_path / name)
    with pytest.raises(SpecError) as exc:
        load_spec(small(tmp_path, list(layout)))
    assert "presets[1]" in one_line(exc) and "would overwrite each other" in str(exc.value)


# --- resume trusts nothing but the fingerprint --------------------------------------------------
@pytest.fixture
def finished(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A finished small experiment with a preset file of its own: (spec, preset, folder)."""
    preset = preset_file(tmp_path / "mine.toml")
    spec_path = small(tmp_path, ["baseline", "mine.toml"])
    out = tmp_path / "out"
    run_experiment(load_spec(spec_path), out, SerialEvaluator())
    return spec_path, preset, out


def test_an_edited_preset_is_not_mixed_with_old_runs(finished) -> None:
    spec_path, preset, out = finished
    preset_file(preset, bounce=0.3)
    with pytest.raises(FolderError) as exc:
        run_experiment(load_spec(spec_path), out, SerialEvaluator())
    assert "preset 'mine' has changed" in one_line(exc)
    report = run_experiment(load_spec(spec_path), out, SerialEvaluator(), fresh=True)
    assert (report.skipped, report.ran) == (0, 4)
    assert len(ResultFolder(out).runs) == 4


def test_changed_model_code_is_not_mixed_with_old_runs(finished, monkeypatch) -> None:
    spec_path, _, out = finished
    monkeypatch.setattr("experiments.runner.code_fingerprint", lambda: "another-version")
    with pytest.raises(FolderError) as exc:
        run_experiment(load_spec(spec_path), out, SerialEvaluator())
    assert "model code has changed" in one_line(exc)


def test_runs_expanded_differently_are_not_mixed_with_old_runs(finished, monkeypatch) -> None:
    """The same spec and run ids, but the design code now gives other seeds (as a change to
    how sweep points or seeds are drawn would): the old runs' ids must not stand for them."""
    import dataclasses

    import experiments.runner

    spec_path, _, out = finished

    def other_seeds(spec, max_runs=MAX_RUNS):
        return [dataclasses.replace(r, seed=r.seed + 1) for r in expand(spec, max_runs)]

    monkeypatch.setattr(experiments.runner, "expand", other_seeds)
    with pytest.raises(FolderError) as exc:
        run_experiment(load_spec(spec_path), out, SerialEvaluator())
    assert "runs the experiment file expands to have changed" in one_line(exc)


def test_other_library_versions_are_not_mixed_with_old_runs(finished, monkeypatch) -> None:
    import experiments.manifest
    import experiments.runner

    spec_path, _, out = finished
    created = ResultFolder(out).manifest["versions"]
    real = experiments.manifest.library_versions()
    monkeypatch.setattr(experiments.runner, "library_versions", lambda: {**real, "numpy": "9.9"})
    with pytest.raises(FolderError) as exc:
        run_experiment(load_spec(spec_path), out, SerialEvaluator())
    assert f"numpy {real['numpy']} -> 9.9" in one_line(exc)
    monkeypatch.undo()
    # a resume under the same libraries keeps the record of what made the first runs
    report = run_experiment(load_spec(spec_path), out, SerialEvaluator())
    assert (report.skipped, report.ran) == (4, 0)
    manifest = ResultFolder(out).manifest
    assert manifest["versions"] == created and manifest["resumed_with"]["numpy"] == real["numpy"]


@pytest.mark.parametrize("manifest", [None, "not json {", "[1, 2]", '{"kind": "something"}'])
def test_a_missing_or_damaged_manifest_is_refused(finished, manifest) -> None:
    spec_path, _, out = finished
    if manifest is None:
        (out / "manifest.json").unlink()
    else:
        (out / "manifest.json").write_text(manifest)
    with pytest.raises(FolderError) as exc:
        run_experiment(load_spec(spec_path), out, SerialEvaluator())
    one_line(exc)
    report = run_experiment(load_spec(spec_path), out, SerialEvaluator(), fresh=True)
    assert report.ran == 4


# --- integrity on read ------------------------------------------------------------------------
def _first_part(out: Path, dataset: str) -> Path:
    return sorted((out / f"{dataset}.parquet").glob("part-*.parquet"))[0]


@pytest.mark.parametrize(
    ("damage", "what"),
    [
        ("truncate_outcomes", "outcomes part unreadable"),
        ("delete_outcomes", "outcomes part missing"),
        ("delete_timeseries", "timeseries part missing"),
        ("drop_a_column", "outcomes part has other columns (missing trips_per_case)"),
        ("truncate_runs", "runs part unreadable"),
    ],
)
def test_damage_is_named_on_read_and_redone_on_resume(finished, damage, what) -> None:
    spec_path, _, out = finished
    before = summarize(out)
    dataset = "runs" if damage == "truncate_runs" else damage.split("_", 1)[1]
    if damage == "drop_a_column":
        dataset = "outcomes"
    part = _first_part(out, dataset)
    run_id = part.name[len("part-") : -len(".parquet")]
    if damage.startswith("truncate"):
        part.write_bytes(part.read_bytes()[:100])
    elif damage.startswith("delete"):
        part.unlink()
    else:
        pq.write_table(pq.read_table(part).drop(["trips_per_case"]), part)
    assert audit(out) == {run_id: what}
    with pytest.raises(DamagedFolderError) as exc:
        summarize(out)
    assert run_id in one_line(exc) and what in str(exc.value)
    report = run_experiment(load_spec(spec_path), out, SerialEvaluator())
    assert (report.repaired, report.ran) == (1, 1)
    pd.testing.assert_frame_equal(summarize(out), before)


# --- one writer ---------------------------------------------------------------------------------
def test_a_second_runner_is_refused_and_touches_nothing(tmp_path: Path) -> None:
    spec_path = small(tmp_path)
    out = tmp_path / "out"
    store = ResultStore(out)
    store.create()
    with store.lock():
        stray = out / "outcomes.parquet" / ".in-flight-part.tmp"
        stray.write_text("a worker of the first runner is writing this")
        with pytest.raises(FolderBusyError) as exc:
            run_experiment(load_spec(spec_path), out, SerialEvaluator())
        assert "another govsim" in one_line(exc) and str(os.getpid()) in str(exc.value)
        assert stray.exists()  # the first runner's temporary files are left alone
        assert not any((out / "runs.parquet").iterdir())
    stray.unlink()
    assert run_experiment(load_spec(spec_path), out, SerialEvaluator()).ran == 4


def test_two_runners_racing_for_one_folder_lose_nothing(tmp_path: Path) -> None:
    spec_path = small(tmp_path)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "cli", "experiment", "run", str(spec_path), "--out", str(out)]
    procs = [
        subprocess.Popen(
            [*cmd, "--workers", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    errors = [p.communicate(timeout=240)[1].decode() for p in procs]
    codes = sorted(p.returncode for p in procs)
    if codes == [0, 2]:  # the usual race: one waits for nobody, the other is refused at once
        refused = errors[[p.returncode for p in procs].index(2)].strip()
        assert refused.count("\n") == 0 and "another govsim" in refused
    else:  # one finished before the other started: the second found everything done
        assert codes == [0, 0]
    results = ResultFolder(out)
    assert len(results.runs) == 4 and (results.runs["status"] == "ok").all()


# --- workers die ------------------------------------------------------------------------------
def test_a_killed_worker_costs_a_retry_not_the_experiment(tmp_path) -> None:
    spec = load_spec(small(tmp_path))
    report = run_experiment(spec, tmp_path / "out", ProcessEvaluator(2), task=dying_task.dies_once)
    assert (tmp_path / "tried").exists()  # the doomed run's first worker did die
    assert (report.ran, report.failed) == (4, 0)
    serial = run_experiment(spec, tmp_path / "serial", SerialEvaluator())
    assert serial.failed == 0
    pd.testing.assert_frame_equal(summarize(tmp_path / "out"), summarize(tmp_path / "serial"))


def test_a_run_that_kills_every_worker_is_recorded_failed_then_retried(tmp_path) -> None:
    spec = load_spec(small(tmp_path))
    out = tmp_path / "out"
    report = run_experiment(spec, out, ProcessEvaluator(2), task=dying_task.always_dies)
    assert (report.ran, report.failed) == (4, 1)
    runs = ResultFolder(out).runs.set_index("run_id")
    assert "worker process died" in runs.loc[dying_task.DOOMED, "error"]
    again = run_experiment(spec, out, SerialEvaluator(), retry_failed=True)
    assert (again.skipped, again.ran, again.failed) == (3, 1, 0)
    assert (ResultFolder(out).runs["status"] == "ok").all()


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_killing_the_runner_leaves_no_worker_behind(tmp_path: Path) -> None:
    spec_path = small(tmp_path, days=400)
    out = tmp_path / "out"
    runner = subprocess.Popen(
        [sys.executable, "-m", "cli", "experiment", "run", str(spec_path), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 3 and runner.poll() is None:
            workers = _descendants(runner.pid)  # resource tracker, fork server, its workers
            time.sleep(0.2)
        assert workers, "the runner started no worker"
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.2)
        left = [p for p in workers if _alive(p)]
        assert not left, f"processes left computing after the runner died: {left}"
    finally:
        for pid in _descendants(runner.pid):
            os.kill(pid, signal.SIGKILL)
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)


# --- design size ------------------------------------------------------------------------------
def test_a_huge_design_is_counted_and_refused_before_it_is_built(tmp_path: Path) -> None:
    grid = {f"p{i}": list(range(10)) for i in range(16)}
    spec = ExperimentSpec(description="huge", presets=["baseline"], sweep={"grid": grid})
    assert count_runs(spec) == 5 * 10**16
    # (materialising it would exhaust memory long before it finished: the refusal comes first)
    with pytest.raises(SpecError, match=r"50,000,000,000,000,000 runs, more than the limit"):
        expand(spec)
    cube = ExperimentSpec(
        description="cube",
        presets=["baseline"],
        replicates=100_000,
        sweep={"latin_hypercube": {"samples": 100_000, "ranges": {"bounce_prob": [0, 0.5]}}},
    )
    assert count_runs(cube) == 10**10 > MAX_RUNS
    with pytest.raises(SpecError, match="10,000,000,000 runs"):
        run_experiment(cube, tmp_path / "never-created", SerialEvaluator())
    assert not (tmp_path / "never-created").exists()


# --- damage that looks like data ----------------------------------------------------------------
def _rewrite(part: Path, frame: pd.DataFrame) -> None:
    frame.to_parquet(part, index=False)


@pytest.mark.parametrize(
    ("damage", "what"),
    [
        ("two_rows_in_a_runs_part", "does not hold its own run, once"),
        ("another_runs_id", "runs part names another preset, point, replicate or seed"),
        ("unknown_status", "unknown status 'maybe'"),
        ("a_row_twice", "outcomes part has a row twice"),
        ("a_run_the_spec_lacks", "not a run of this experiment"),
        ("no_timeseries_folder", "timeseries.parquet missing"),
    ],
)
def test_parts_that_read_well_but_hold_the_wrong_rows_are_damage(finished, damage, what) -> None:
    _, _, out = finished
    runs = sorted((out / "runs.parquet").glob("part-*.parquet"))
    first = pd.read_parquet(runs[0])
    if damage == "two_rows_in_a_runs_part":
        _rewrite(runs[0], pd.concat([first, first]))
    elif damage == "another_runs_id":
        _rewrite(runs[0], pd.read_parquet(runs[1]))
    elif damage == "unknown_status":
        _rewrite(runs[0], first.assign(status="maybe"))
    elif damage == "a_row_twice":
        part = _first_part(out, "outcomes")
        _rewrite(part, pd.concat([pd.read_parquet(part)] * 2))
    elif damage == "a_run_the_spec_lacks":
        stranger = first.assign(run_id="zzz~p0000~r0000")
        _rewrite(out / "runs.parquet" / "part-zzz~p0000~r0000.parquet", stranger)
    else:
        import shutil

        shutil.rmtree(out / "timeseries.parquet")
    with pytest.raises(DamagedFolderError) as exc:
        summarize(out)
    assert what in one_line(exc)


def test_a_stray_file_in_a_dataset_folder_is_not_read(finished) -> None:
    _, _, out = finished
    before = summarize(out)
    (out / "outcomes.parquet" / "notes.txt").write_text("a researcher's note")
    pd.testing.assert_frame_equal(summarize(out), before)


def test_a_foreign_run_stops_a_resume_with_advice_that_works(finished) -> None:
    spec_path, _, out = finished
    first = pd.read_parquet(sorted((out / "runs.parquet").glob("part-*.parquet"))[0])
    _rewrite(out / "runs.parquet" / "part-zzz~p0000~r0000.parquet", first.assign(run_id="zzz"))
    with pytest.raises(DamagedFolderError) as exc:
        run_experiment(load_spec(spec_path), out, SerialEvaluator())
    assert "--fresh" in one_line(exc)
    assert run_experiment(load_spec(spec_path), out, SerialEvaluator(), fresh=True).ran == 4


def test_a_deeply_nested_manifest_is_one_line(finished) -> None:
    _, _, out = finished
    (out / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(FolderError) as exc:
        summarize(out)
    assert "manifest" in one_line(exc)


@pytest.mark.parametrize("spec", ['"hello"', '{"description": [1], "outcomes": 5}', "[1]"])
def test_the_readers_survive_an_odd_spec_in_the_manifest(finished, spec) -> None:
    import json

    from experiments.report import write_report
    from viz.results import read_results

    _, _, out = finished
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**manifest, "spec": json.loads(spec)}))
    for read in (summarize, lambda o: write_report(o, "baseline"), read_results):
        try:
            read(out)
        except FolderError as exc:  # refused: one line, never a traceback
            assert "\n" not in str(exc)


@pytest.mark.parametrize("damage", ["preset_lie", "replicate_lie", "all_text", "all_dropped"])
def test_consistent_but_wrong_parts_are_damage(finished, damage) -> None:
    _, _, out = finished
    parts = sorted((out / "outcomes.parquet").glob("part-*.parquet"))
    for i, part in enumerate(parts):
        frame = pd.read_parquet(part)
        if damage == "preset_lie" and i == 0:
            frame = frame.assign(preset="mine")
        elif damage == "replicate_lie" and i == 0:
            frame = frame.assign(replicate=frame["replicate"] + 1)
        elif damage == "all_text":
            frame = frame.assign(trips_per_case=frame["trips_per_case"].astype(str))
        elif damage == "all_dropped":
            frame = frame.drop(columns=["trips_per_case"])
        _rewrite(part, frame)
    with pytest.raises(DamagedFolderError) as exc:
        summarize(out)
    one_line(exc)


def test_a_preset_edited_while_the_experiment_runs_fails_its_runs_not_the_folder(
    tmp_path: Path,
) -> None:
    """Workers load each run's preset: one edited after the fingerprint was taken is caught."""
    import experiments.runner

    preset = preset_file(tmp_path / "mine.toml")
    spec = load_spec(small(tmp_path, ["baseline", "mine.toml"]))
    real = experiments.runner.fingerprint

    def fingerprint_then_edit(s, runs):
        made = real(s, runs)
        preset_file(preset, bounce=0.3)  # edited after the check, before the workers load it
        return made

    experiments.runner.fingerprint = fingerprint_then_edit
    try:
        report = run_experiment(spec, tmp_path / "out", SerialEvaluator())
    finally:
        experiments.runner.fingerprint = real
    runs = ResultFolder(tmp_path / "out").runs.set_index("preset")
    assert report.failed == 2 and (runs.loc["mine", "status"] == "failed").all()
    assert all("changed while the experiment ran" in e for e in runs.loc["mine", "error"])
    assert (runs.loc["baseline", "status"] == "ok").all()


def test_a_folder_with_runs_still_missing_says_so(finished) -> None:
    """An experiment stopped part-way (here: one run's parts gone, as if it never finished)
    is read, and says which runs are missing and how to finish them."""
    _, _, out = finished
    assert ResultFolder(out).unfinished_note() is None
    for dataset in ("runs", "outcomes", "timeseries"):
        (out / f"{dataset}.parquet" / "part-mine~p0000~r0001.parquet").unlink()
    results = ResultFolder(out)
    assert results.missing_runs() == {"mine": 1}
    note = results.unfinished_note()
    assert "3 of 4 runs;" in note and "missing mine (1 run)" in note and "same --out" in note


@pytest.mark.parametrize("kind", ["experiment", "run", "calibration", "optimisation"])
def test_no_command_writes_into_another_commands_folder(tmp_path: Path, kind) -> None:
    from experiments.result_folder import FOLDER_KINDS, check_folder_kind

    marks, made_by = FOLDER_KINDS[kind]
    folder = tmp_path / kind
    folder.mkdir()
    (folder / marks[0]).write_text("{}")
    check_folder_kind(folder, kind)  # its own kind: fine
    for other in FOLDER_KINDS:
        if other != kind:
            with pytest.raises(FolderError, match=re.escape(f"holds the results of {made_by}")):
                check_folder_kind(folder, other)
    with pytest.raises(FolderError, match="is a file"):
        check_folder_kind(folder / marks[0], kind)


def test_an_experiment_and_a_search_refuse_each_others_folders(tmp_path: Path) -> None:
    from experiments.search_folder import search_folder

    design = tmp_path / "design"
    design.mkdir()
    (design / "optimise.json").write_text("{}")
    with pytest.raises(FolderError, match="policy design"):
        run_experiment(load_spec(small(tmp_path)), design, SerialEvaluator())
    assert not (design / "runs.parquet").exists()
    experiment = tmp_path / "experiment"
    run_experiment(load_spec(small(tmp_path, days=5)), experiment, SerialEvaluator())
    with (
        pytest.raises(FolderError, match="an experiment"),
        search_folder(experiment, {}, "optimise.json", ("optimise.json",), "optimisation"),
    ):
        pass
    assert not (experiment / "optimise.json").exists()
