"""Running an experiment: what is left to do, on which evaluator, written as it finishes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from experiments.atomic import write_json
from experiments.design import ExperimentSpec, SpecError, expand
from experiments.evaluators import Evaluator
from experiments.manifest import git_revision, versions
from experiments.result_folder import ResultStore, RunOutput
from experiments.task import execute

Progress = Callable[[int, int, int], None]  # done, total, failed


@dataclass
class ExperimentReport:
    """What a call of `run_experiment` did."""

    total: int
    skipped: int
    ran: int
    failed: int
    wall_seconds: float


def run_experiment(
    spec: ExperimentSpec,
    out: str | Path,
    evaluator: Evaluator,
    progress: Progress | None = None,
    task: Callable[..., RunOutput] = execute,
    source: str | None = None,
) -> ExperimentReport:
    """Run every run of `spec` not yet in `out`; results are written as each run finishes."""
    store = ResultStore(out)
    store.clear_stale()
    manifest_path = store.root / "manifest.json"
    spec_data = spec.model_dump()
    previous = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    if previous is not None and previous.get("spec") != json.loads(json.dumps(spec_data)):
        raise SpecError(f"{store.root} holds results of a different experiment; use another --out")
    runs = expand(spec)
    done = store.done_ids()
    todo = [r for r in runs if r.run_id not in done]
    manifest = {
        "kind": "govsim experiment",
        "spec": spec_data,
        "spec_source": source,
        "runs": len(runs),
        "created": (previous or {}).get("created") or _now(),
        "versions": versions(),
        "git_revision": git_revision(),
        "evaluator": evaluator.name,
        "workers": evaluator.workers,
    }
    write_json(manifest_path, manifest)
    start = time.perf_counter()
    failed = 0
    finished = len(done)
    if progress:
        progress(finished, len(runs), failed)
    # Workers that share this file system write their runs' data parts themselves.
    shared = str(store.root.resolve()) if evaluator.shares_filesystem else None
    if todo:
        with evaluator:
            for output in evaluator.map_unordered(task, todo, spec_data, shared):
                store.write(output)
                finished += 1
                failed += output.run["status"] != "ok"
                if progress:
                    progress(finished, len(runs), failed)
    wall = time.perf_counter() - start
    write_json(manifest_path, {**manifest, "finished": _now()})
    return ExperimentReport(len(runs), len(done), len(todo), failed, wall)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
