"""One run of an experiment, as a worker executes it: build, run, and return tidy rows.

This is the function every evaluator (serial, processes, Dask) ships to its workers; it never
raises: a failed run comes back as a row with status "failed" and its error.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

import pandas as pd

from experiments.design import ExperimentSpec, RunSpec, param_info
from experiments.manifest import preset_fingerprint
from experiments.one_run import run_simulation
from experiments.result_folder import ResultStore, RunOutput
from scenarios.loader import load_preset


def identity(run: RunSpec) -> dict[str, Any]:
    """The columns that identify a run, with its sweep values typed as declared."""
    row: dict[str, Any] = {"run_id": run.run_id, **run.names()}
    for name, value in run.sweep:
        row[name] = param_info(name).type(value)
    return row


def execute(
    run: RunSpec,
    spec_data: dict[str, Any],
    store_root: str | None = None,
    presets: dict[str, Any] | None = None,
) -> RunOutput:
    """Run one simulation of the design and return its rows (never raises).

    With `store_root` (a result folder this worker can write to), the worker writes the run's
    outcome and time-series parts itself and sends back only the run's row: less to ship, and
    less work for the process that coordinates the experiment. With `presets` (each preset's
    fingerprint as the manifest records it), a preset file or catalogue edited while the
    experiment runs fails the run instead of slipping other numbers into the folder.
    """
    spec = ExperimentSpec(**spec_data)
    ident = identity(run)
    start = time.perf_counter()
    try:
        overrides = {**spec.parameters, **dict(run.sweep)}
        preset = load_preset(run.preset)
        if presets is not None and preset_fingerprint(preset) != presets.get(ident["preset"]):
            raise RuntimeError(
                f"preset {ident['preset']!r} (or its catalogue) changed while the experiment ran;"
                " this run was not made (resume with --fresh, or restore the file and"
                " --retry-failed)"
            )
        result = run_simulation(preset, spec.days, run.seed, overrides)
        keep = spec.kept_outcomes()
        cities = result.city_summaries()
        rows = [{"city": c["name"], **{k: float(c[k]) for k in keep}} for c in cities]
        if len(cities) > 1:
            rows.append({"city": "all", **{k: float(result.summary[k]) for k in keep}})
        outcomes = _with_identity(pd.DataFrame(rows), ident)
        series = result.timeseries()
        series = series[series["day"] % spec.timeseries_every == spec.timeseries_every - 1]
        series = series[["day", "city", *keep]].astype({k: "float64" for k in keep})
        timeseries = _with_identity(series.reset_index(drop=True), ident)
        status, error = "ok", ""
    except Exception as exc:  # a failed run is data, not a crash of the experiment
        outcomes = timeseries = None
        status = "failed"
        error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
    wall = time.perf_counter() - start
    row = {**ident, "status": status, "wall_seconds": wall, "error": error}
    output = RunOutput(row, outcomes, timeseries)
    if store_root is not None:
        ResultStore(store_root).write_data(output)
        output = RunOutput(row, None, None)
    return output


def _with_identity(frame: pd.DataFrame, ident: dict[str, Any]) -> pd.DataFrame:
    for i, (k, v) in enumerate(ident.items()):
        frame.insert(i, k, v)
    return frame
