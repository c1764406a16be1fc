"""Global sensitivity analysis with SALib (Morris elementary effects or Sobol indices), run as an
ordinary experiment.

SALib's sample becomes the explicit sweep points of a derived experiment (`sensitivity_spec`:
the sensitivity preset only, the sensitivity outcomes, only the last day of the time series),
which `run_experiment` runs into a normal result folder: resumable, failed runs recorded as rows,
and the exact sample in its manifest, so a rerun with another sample is refused. Each point is
run for every replicate seed (the same seeds at every point: common random numbers). The
analysis reads the folder's outcomes in run order (point, then replicate), averages over the
replicates and runs SALib's analysis, so every evaluator gives bit-identical indices; they come
with SALib's bootstrap confidence intervals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from experiments.design import (
    MAX_RUNS,
    MAX_TIMESERIES_EVERY,
    ExperimentSpec,
    SpecError,
    Sweep,
    expand,
    param_info,
    parameter_range,
    preset_label,
)
from experiments.evaluators import Evaluator
from experiments.result_folder import ResultFolder
from experiments.runner import ExperimentReport, Progress, fingerprint_spec, run_experiment

METHODS = ("morris", "sobol")
# The columns of the indices table, by method: each index, and its 95% half-width as `<name>_conf`.
INDEX_COLUMNS = {
    "morris": ("mu_star", "mu_star_conf", "sigma"),
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
}
AXIS_TITLES = {"morris": "mu* (mean absolute elementary effect)", "sobol": "Sobol index"}
MAX_LISTED = 5  # run ids named in a message about failed or missing runs
# Below these base samples (N) the indices are mostly noise: Sobol estimates need N in the
# hundreds (Saltelli et al. 2010 use 500-1000s), Morris screening some 10-20 trajectories.
ENOUGH_SAMPLES = {"sobol": 256, "morris": 10}


def problem(spec: ExperimentSpec) -> dict[str, Any]:
    """SALib's problem definition from the spec's [sensitivity] table."""
    if spec.sensitivity is None:
        raise SpecError("the experiment file has no [sensitivity] table")
    names = list(spec.sensitivity.parameters)
    bounds = [list(parameter_range(n, spec.sensitivity.parameters[n])) for n in names]
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def sample(spec: ExperimentSpec, method: str) -> np.ndarray:
    """SALib's sample (one row per point), seeded with the experiment's base seed."""
    prob = problem(spec)
    n = spec.sensitivity.samples  # type: ignore[union-attr]
    if method == "morris":
        return morris_sample.sample(prob, n, num_levels=4, seed=spec.base_seed)
    if method == "sobol":
        return sobol_sample.sample(prob, n, calc_second_order=False, seed=spec.base_seed)
    raise SpecError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")


def count_sensitivity_runs(spec: ExperimentSpec, method: str) -> int:
    """The runs the sample will need, counted before it is drawn: N(D + 1) Morris points or
    N(D + 2) Sobol points for D parameters, each for every replicate."""
    d = problem(spec)["num_vars"]
    n = spec.sensitivity.samples  # type: ignore[union-attr]
    return n * (d + (1 if method == "morris" else 2)) * spec.replicates


def sensitivity_spec(spec: ExperimentSpec, method: str, max_runs: int = MAX_RUNS) -> ExperimentSpec:
    """The experiment that runs the sample: one sweep point per sample row (integer parameters
    rounded), the sensitivity preset and outcomes, and only the last day's time series. Its size
    is checked before the sample is drawn."""
    sens = spec.sensitivity
    n_runs = count_sensitivity_runs(spec, method)
    if n_runs > max_runs:
        raise SpecError(
            f"the sensitivity analysis has {n_runs:,} runs, more than the limit of {max_runs:,}:"
            " lower `samples` or the replicates, or raise the limit (--max-runs)"
        )
    x = sample(spec, method)
    infos = [param_info(name) for name in problem(spec)["names"]]
    points = [
        {
            info.name: round(float(v)) if info.type is int else float(v)
            for info, v in zip(infos, row, strict=True)
        }
        for row in x
    ]
    preset = (sens.preset if sens else None) or spec.presets[0]
    return spec.model_copy(
        update={
            "description": f"{method} sensitivity analysis: {spec.description}",
            "presets": [preset],
            "reference": preset_label(preset),
            "outcomes": list(sens.outcomes) if sens else [],
            "sweep": Sweep(points=points),
            "timeseries_every": min(spec.days, MAX_TIMESERIES_EVERY),
        }
    )


def run_sensitivity(
    spec: ExperimentSpec,
    method: str,
    out: str | Path,
    evaluator: Evaluator,
    progress: Progress | None = None,
    source: str | None = None,
    fresh: bool = False,
    max_runs: int = MAX_RUNS,
) -> ExperimentReport:
    """Run (or resume) the sample's runs into the result folder `out`."""
    design = sensitivity_spec(spec, method, max_runs)
    return run_experiment(
        design, out, evaluator, progress, source=source, fresh=fresh, max_runs=max_runs
    )


def sensitivity_indices(spec: ExperimentSpec, method: str, folder: str | Path) -> pd.DataFrame:
    """The indices from a finished sensitivity folder (one row per outcome and parameter).

    Every run of the sample must have finished successfully: otherwise one ValueError names the
    failed and missing runs, rather than an analysis of part of the sample.
    """
    design = sensitivity_spec(spec, method)
    results = ResultFolder(folder)
    made_by = results.manifest.get("fingerprint")
    if not isinstance(made_by, dict) or made_by.get("spec") != fingerprint_spec(design):
        raise ValueError(f"{results.root} holds results of a different experiment")
    runs = expand(design)
    status = dict(zip(results.runs["run_id"], results.runs["status"], strict=True))
    missing = [r.run_id for r in runs if r.run_id not in status]
    failed = [r.run_id for r in runs if status.get(r.run_id, "ok") != "ok"]
    if missing or failed:
        raise ValueError(f"{results.root}: {_incomplete(len(runs), failed, missing)}")
    table = _pooled(results.outcomes).sort_values(["point", "replicate"], kind="stable")
    assert len(table) == len(runs), "one pooled outcome row per run"
    x = sample(spec, method)
    shape = (len(x), design.replicates)
    y = {o: table[o].to_numpy(dtype=float).reshape(shape).mean(axis=1) for o in design.outcomes}
    return analyse(problem(spec), x, y, method, spec.base_seed)


def _pooled(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Each run's whole-model row: the cities pooled ('all') when it has several."""
    several = set(outcomes.loc[outcomes["city"] == "all", "run_id"])
    return outcomes[(outcomes["city"] == "all") | ~outcomes["run_id"].isin(several)]


def _incomplete(total: int, failed: list[str], missing: list[str]) -> str:
    def listed(ids: list[str]) -> str:
        more = f" and {len(ids) - MAX_LISTED} more" if len(ids) > MAX_LISTED else ""
        return ", ".join(ids[:MAX_LISTED]) + more

    parts = []
    if failed:
        parts.append(
            f"{len(failed)} of {total} runs failed ({listed(failed)}; see the error column of"
            " runs.parquet, and delete a run's part there to retry it)"
        )
    if missing:
        parts.append(
            f"{len(missing)} of {total} runs are missing ({listed(missing)}; rerun to finish)"
        )
    return "; ".join(parts) + ": no analysis of part of the sample"


def analyse(
    prob: dict[str, Any], x: np.ndarray, y: dict[str, np.ndarray], method: str, seed: int
) -> pd.DataFrame:
    """One row per outcome and parameter with the indices and their 95% confidence half-widths."""
    rows = []
    for outcome, values in y.items():
        if np.isnan(values).any():
            bad = x[np.isnan(values)][0]
            at = ", ".join(f"{n}={v:.4g}" for n, v in zip(prob["names"], bad, strict=True))
            raise ValueError(
                f"{outcome} is undefined at some sample points (e.g. {at}): no case of that kind"
                " finished; narrow the ranges or run more days"
            )
        if method == "morris":
            res = morris_analyze.analyze(prob, x, values, conf_level=0.95, seed=seed)
        else:
            res = sobol_analyze.analyze(
                prob, values, calc_second_order=False, conf_level=0.95, seed=seed
            )
        for k, name in enumerate(prob["names"]):
            row = {"outcome": outcome, "parameter": name}
            rows.append(row | {c: float(res[c][k]) for c in INDEX_COLUMNS[method]})
    return pd.DataFrame(rows, columns=["outcome", "parameter", *INDEX_COLUMNS[method]])


def plot(indices: pd.DataFrame, method: str, path: Path) -> Path:
    """Bar chart of the indices with their confidence intervals, one panel per outcome."""
    columns = INDEX_COLUMNS[method]
    shown = [c for c in columns if f"{c}_conf" in columns]
    width = 0.8 / len(shown)
    outcomes = list(dict.fromkeys(indices["outcome"]))
    fig, axes = plt.subplots(len(outcomes), 1, figsize=(7, 2.6 * len(outcomes)), squeeze=False)
    for ax, outcome in zip(axes[:, 0], outcomes, strict=True):
        d = indices[indices["outcome"] == outcome]
        y = np.arange(len(d))
        for i, name in enumerate(shown):
            offset = (i - (len(shown) - 1) / 2) * width
            ax.barh(y + offset, d[name], width, xerr=d[f"{name}_conf"], label=name, capsize=2)
        if len(shown) > 1:
            ax.legend(fontsize=8)
        ax.set_xlabel(AXIS_TITLES[method])
        ax.set_yticks(y, d["parameter"], fontsize=8)
        ax.set_title(outcome, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write_indices(indices: pd.DataFrame, method: str, folder: str | Path) -> list[Path]:
    """indices.csv and indices.png in `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / "indices.csv"
    indices.to_csv(csv, index=False)
    return [csv, plot(indices, method, folder / "indices.png")]


def sample_warnings(indices: pd.DataFrame, method: str, samples: int) -> list[str]:
    """Why the indices cannot be read as they stand: too small a sample, and what it shows
    (Sobol first-order indices above 1, below 0, or above the total index, beyond their
    confidence intervals). Empty when there is nothing to say."""
    out = []
    enough = ENOUGH_SAMPLES[method]
    if samples < enough:
        out.append(
            f"samples = {samples} is too small for {method} indices to mean much (use at least"
            f" {enough}); read them as a rough screening at best"
        )
    if method == "sobol" and len(indices):
        s1, st, conf = indices["S1"], indices["ST"], indices["S1_conf"].fillna(0)
        odd = {
            "S1 above 1": s1 - conf > 1,
            "negative S1": s1 + conf < 0,
            "S1 above ST": s1 - conf > st + indices["ST_conf"].fillna(0),
        }
        found = [f"{name} ({int(mask.sum())} of {len(indices)})" for name, mask in odd.items()
                 if mask.any()]  # fmt: skip
        if found:
            out.append(
                "impossible indices, a sign of too small a sample: "
                + ", ".join(found)
                + "; raise `samples` in the [sensitivity] table"
            )
    return out
