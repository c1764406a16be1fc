"""Running an experiment: what is left to do, on which evaluator, written as it finishes.

Before anything runs, the runner checks the design's size and run ids, takes the folder's lock
(one writer), and compares what made the folder's runs (the manifest's fingerprint: the spec,
every preset as resolved, the catalogue, the model's source, the library versions and the runs
the spec expands to) with what would make the new ones: a mismatch is refused, so a resume
never mixes old and new results. Damaged runs are run again; a worker that dies costs the runs
it had in flight at most a retry, never the experiment.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from experiments.atomic import write_json
from experiments.design import MAX_RUNS, ExperimentSpec, RunSpec, expand, preset_label
from experiments.evaluators import Evaluator, WorkerLost
from experiments.manifest import (
    code_fingerprint,
    fingerprint_difference,
    git_revision,
    library_versions,
    preset_fingerprint,
    versions,
)
from experiments.result_folder import (
    DamagedFolderError,
    FolderError,
    ResultStore,
    RunOutput,
    audit,
    check_folder_kind,
    read_manifest,
)
from experiments.task import execute, identity
from scenarios.loader import load_preset

Progress = Callable[[int, int, int], None]  # done, total, failed


@dataclass
class ExperimentReport:
    """What a call of `run_experiment` did."""

    total: int
    skipped: int
    ran: int
    failed: int
    wall_seconds: float
    repaired: int = 0  # damaged runs found and run again


def fingerprint(spec: ExperimentSpec, runs: list[RunSpec]) -> dict[str, Any]:
    """What determines the numbers of an experiment's runs, as the manifest records it: the
    code, the libraries, the spec, the presets as resolved and the runs the spec expands to
    (each run's id, preset, sweep point and seed: a change in how a design is expanded must not
    pair old runs' ids with new settings)."""
    try:
        version = metadata.version("govsim")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "govsim": version,
        "code": code_fingerprint(),
        "libraries": library_versions(),
        "spec": fingerprint_spec(spec),
        "presets": {preset_label(p): preset_fingerprint(load_preset(p)) for p in spec.presets},
        "runs": runs_fingerprint(runs),
    }


def runs_fingerprint(runs: list[RunSpec]) -> str:
    """A hash of every run's id, preset, sweep point, replicate and seed."""
    digest = hashlib.sha256()
    for r in runs:
        row = [r.run_id, preset_label(r.preset), r.point, r.sweep, r.replicate, r.seed]
        digest.update(json.dumps(row, default=repr).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def fingerprint_spec(spec: ExperimentSpec) -> dict[str, Any]:
    """The spec as the fingerprint compares it: presets by name, not by the path they were
    reached by (their contents are compared on their own), so the same experiment run from
    another folder is the same experiment."""
    data = spec.model_dump(mode="json")
    data["presets"] = [preset_label(p) for p in spec.presets]
    sensitivity = data.get("sensitivity")
    if isinstance(sensitivity, dict) and isinstance(sensitivity.get("preset"), str):
        sensitivity["preset"] = preset_label(sensitivity["preset"])
    return data


def check_out_folder(out: Path) -> None:
    """Refuse, before anything runs, a place that cannot be an experiment's result folder."""
    try:
        _check_out_folder(out)
    except OSError as exc:  # a name too long, a loop of links: the place cannot be used
        raise FolderError(f"{out}: cannot be a result folder ({exc.strerror})") from None


def _check_out_folder(out: Path) -> None:
    check_folder_kind(out, "experiment")  # a file, or another command's folder
    for ancestor in out.parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise FolderError(f"{out}: {ancestor} is a file, not a folder")
            break
    for name in ("runs", "outcomes", "timeseries"):
        dataset = out / f"{name}.parquet"
        if dataset.exists() and not dataset.is_dir():
            raise FolderError(f"{out}: {dataset.name} is a file: not a govsim result folder")


def run_experiment(
    spec: ExperimentSpec,
    out: str | Path,
    evaluator: Evaluator,
    progress: Progress | None = None,
    task: Callable[..., RunOutput] = execute,
    source: str | None = None,
    *,
    fresh: bool = False,
    retry_failed: bool = False,
    max_runs: int = MAX_RUNS,
) -> ExperimentReport:
    """Run every run of `spec` not yet in `out`; results are written as each run finishes.

    `fresh` deletes the folder's earlier results first; `retry_failed` runs failed runs again.
    Problems with the folder are FolderError, with the design SpecError: one line each.
    """
    out = Path(out)
    runs = expand(spec, max_runs)  # size and run ids checked before anything is built
    check_out_folder(out)
    store = ResultStore(out)
    store.create()
    with store.lock():
        made_by = fingerprint(spec, runs)
        previous = read_manifest(out) if not fresh else None
        if fresh:
            store.wipe()
            store.create()
        elif previous is None and store.has_runs():
            raise FolderError(
                f"{out} holds runs but no manifest.json, so nothing says what made them; use"
                " --fresh to start over there, or another --out"
            )
        elif previous is not None:
            if previous.get("kind") != "govsim experiment":
                raise FolderError(f"{out}: manifest.json is not a govsim experiment's")
            why = fingerprint_difference(previous.get("fingerprint"), made_by)
            if why is not None and store.has_runs():
                raise FolderError(
                    f"{out} holds results that may not be mixed with new runs: {why}; use --fresh"
                    " to start over there, or another --out"
                )
        store.clear_stale()
        planned = {r.run_id for r in runs}
        damaged = audit(out, {r.run_id: r.names() for r in runs}, True, spec.kept_outcomes())
        foreign = {k: v for k, v in damaged.items() if k not in planned}
        foreign |= {run: "not a run of this experiment" for run in store.done_ids() - planned}
        if foreign:
            raise DamagedFolderError(
                out, foreign, "they cannot be redone: use --fresh to start over, or another --out"
            )
        store.forget(set(damaged))
        if retry_failed:
            store.forget(store.failed_ids())
        done = store.done_ids() & planned
        todo = [r for r in runs if r.run_id not in done]
        created = (previous or {}).get("created") if not fresh else None
        manifest = {
            "kind": "govsim experiment",
            "spec": made_by["spec"],
            "spec_source": source,
            "fingerprint": made_by,
            "runs": len(runs),
            "created": created or _now(),
            # the versions the folder's first runs were made with (those its numbers depend on
            # are the same for every run: the fingerprint's libraries); this resume's, beside them
            "versions": ((previous or {}).get("versions") if created else None) or versions(),
            "resumed_with": versions() if created else None,
            "git_revision": git_revision(),
            "evaluator": evaluator.name,
            "workers": evaluator.workers,
        }
        write_json(out / "manifest.json", manifest)
        report = _run(
            spec, store, evaluator, task, runs, todo, len(done), progress, made_by["presets"]
        )
        report.repaired = len(damaged)
        write_json(out / "manifest.json", {**manifest, "finished": _now()})
    return report


def _run(
    spec: ExperimentSpec,
    store: ResultStore,
    evaluator: Evaluator,
    task: Callable[..., RunOutput],
    runs: list[RunSpec],
    todo: list[RunSpec],
    done: int,
    progress: Progress | None,
    presets: dict[str, Any] | None = None,
) -> ExperimentReport:
    start = time.perf_counter()
    failed = 0
    finished = done
    if not todo:
        if progress:
            progress(finished, len(runs), failed)
        return ExperimentReport(len(runs), done, 0, 0, time.perf_counter() - start)
    # Workers that share this file system write their runs' data parts themselves.
    shared = str(store.root.resolve()) if evaluator.shares_filesystem else None
    spec_data = spec.model_dump()
    with evaluator:  # a cluster that cannot be reached fails here, before any progress
        if progress:
            progress(finished, len(runs), failed)
        for output in evaluator.map_unordered(task, todo, spec_data, shared, presets):
            if isinstance(output, WorkerLost):
                output = lost(output)
            store.write(output)
            finished += 1
            failed += output.run["status"] != "ok"
            if progress:
                progress(finished, len(runs), failed)
    wall = time.perf_counter() - start
    return ExperimentReport(len(runs), done, len(todo), failed, wall)


def lost(what: WorkerLost) -> RunOutput:
    """A run whose worker died, recorded as a failed run (`--retry-failed` runs it again)."""
    run = what.item
    row = {**identity(run), "status": "failed", "wall_seconds": 0.0, "error": what.reason}
    return RunOutput(row, None, None)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
