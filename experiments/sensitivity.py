"""Global sensitivity analysis with SALib: Morris elementary effects or Sobol indices.

The parameters vary over their declared ranges (or the ranges the spec gives); each sample point
is run for every replicate seed (the same seeds at every point: common random numbers) and the
outcome averaged over them. Indices come with SALib's bootstrap confidence intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
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

from experiments.design import ExperimentSpec, SpecError, param_info, parameter_range
from experiments.simulate import run_simulation

METHODS = ("morris", "sobol")


@dataclass(frozen=True)
class SamplePoint:
    index: int
    replicate: int
    seed: int
    values: tuple[tuple[str, Any], ...]


def problem(spec: ExperimentSpec) -> dict[str, Any]:
    """SALib's problem definition from the spec's [sensitivity] table."""
    if spec.sensitivity is None:
        raise SpecError("the experiment file has no [sensitivity] table")
    names = list(spec.sensitivity.parameters)
    bounds = [list(parameter_range(n, spec.sensitivity.parameters[n])) for n in names]
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def sample(spec: ExperimentSpec, method: str) -> np.ndarray:
    prob = problem(spec)
    n = spec.sensitivity.samples  # type: ignore[union-attr]
    if method == "morris":
        return morris_sample.sample(prob, n, num_levels=4, seed=spec.base_seed)
    if method == "sobol":
        return sobol_sample.sample(prob, n, calc_second_order=False, seed=spec.base_seed)
    raise SpecError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")


def evaluate_point(point: SamplePoint, spec_data: dict[str, Any]) -> tuple[int, dict[str, float]]:
    """Run one sample point for one replicate; returns (sample index, outcomes)."""
    spec = ExperimentSpec(**spec_data)
    sens = spec.sensitivity
    assert sens is not None
    preset = sens.preset or spec.presets[0]
    overrides = {**spec.parameters, **dict(point.values)}
    result = run_simulation(preset, spec.days, point.seed, overrides)
    return point.index, {k: float(result.summary[k]) for k in sens.outcomes}


def run_sensitivity(
    spec: ExperimentSpec, method: str, evaluator: Any, progress: Any = None
) -> tuple[pd.DataFrame, np.ndarray, dict[str, np.ndarray]]:
    """Sample, run every point for every replicate, analyse: (indices table, X, Y per outcome)."""
    x = sample(spec, method)
    prob = problem(spec)
    names = prob["names"]
    points = []
    for i, row in enumerate(x):
        values = tuple(
            (n, round(v) if param_info(n).type is int else float(v))
            for n, v in zip(names, row, strict=True)
        )
        for r in range(spec.replicates):
            points.append(SamplePoint(i, r, spec.base_seed + r, values))
    outcomes = spec.sensitivity.outcomes  # type: ignore[union-attr]
    sums = {o: np.zeros(len(x)) for o in outcomes}
    done = 0
    with evaluator:
        for index, values in evaluator.map_unordered(evaluate_point, points, spec.model_dump()):
            for o in outcomes:
                sums[o][index] += values[o]
            done += 1
            if progress:
                progress(done, len(points), 0)
    y = {o: sums[o] / spec.replicates for o in outcomes}
    return analyse(prob, x, y, method, spec.base_seed), x, y


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
            for k, name in enumerate(prob["names"]):
                rows.append(
                    {
                        "outcome": outcome,
                        "parameter": name,
                        "mu_star": float(res["mu_star"][k]),
                        "mu_star_conf": float(res["mu_star_conf"][k]),
                        "sigma": float(res["sigma"][k]),
                    }
                )
        else:
            res = sobol_analyze.analyze(prob, values, calc_second_order=False, seed=seed)
            for k, name in enumerate(prob["names"]):
                rows.append(
                    {
                        "outcome": outcome,
                        "parameter": name,
                        "S1": float(res["S1"][k]),
                        "S1_conf": float(res["S1_conf"][k]),
                        "ST": float(res["ST"][k]),
                        "ST_conf": float(res["ST_conf"][k]),
                    }
                )
    return pd.DataFrame(rows)


def plot(indices: pd.DataFrame, method: str, path: Path) -> Path:
    """Bar chart of the indices with their confidence intervals, one panel per outcome."""
    outcomes = list(dict.fromkeys(indices["outcome"]))
    fig, axes = plt.subplots(len(outcomes), 1, figsize=(7, 2.6 * len(outcomes)), squeeze=False)
    for ax, outcome in zip(axes[:, 0], outcomes, strict=True):
        d = indices[indices["outcome"] == outcome]
        y = np.arange(len(d))
        if method == "morris":
            ax.barh(y, d["mu_star"], xerr=d["mu_star_conf"], color="#457b9d", capsize=2)
            ax.set_xlabel("mu* (mean absolute elementary effect)")
        else:
            ax.barh(y - 0.2, d["S1"], 0.4, xerr=d["S1_conf"], label="S1", capsize=2)
            ax.barh(y + 0.2, d["ST"], 0.4, xerr=d["ST_conf"], label="ST", capsize=2)
            ax.legend(fontsize=8)
            ax.set_xlabel("Sobol index")
        ax.set_yticks(y, d["parameter"], fontsize=8)
        ax.set_title(outcome, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
