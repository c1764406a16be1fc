"""Summaries of an experiment: mean, spread and 95% confidence intervals, and paired differences.

Intervals are Student-t intervals over replicates: mean +/- t(0.975, n-1) * sd / sqrt(n). A
paired difference subtracts the reference preset's value from the same replicate (same seed),
sweep point and city, so common random numbers cancel most of the noise.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from experiments.result_folder import ResultStore
from model.outcomes import OUTCOME_BY_NAME

CONFIDENCE = 0.95
KEYS = ("preset", "point", "city")
SUMMARY_COLUMNS = ["outcome", "unit", "better", "n", "mean", "sd", "ci_low", "ci_high"]
SUMMARY_COLUMNS += ["diff", "diff_low", "diff_high"]


def t_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(mean, low, high) of a Student-t interval; NaN bounds with fewer than two values."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / math.sqrt(n)
    return mean, mean - half, mean + half


def load(folder: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(runs, outcomes of the successful runs) of a result folder."""
    store = ResultStore(folder)
    runs = store.read("runs")
    outcomes = store.read("outcomes")
    if runs.empty:
        raise FileNotFoundError(f"{folder}: no finished runs (is it a govsim experiment folder?)")
    ok = set(runs.loc[runs["status"] == "ok", "run_id"])
    return runs, outcomes[outcomes["run_id"].isin(ok)] if not outcomes.empty else outcomes


def sweep_columns(frame: pd.DataFrame) -> list[str]:
    fixed = {"run_id", "preset", "point", "replicate", "seed", "city", "day", "status"}
    fixed |= {"wall_seconds", "error"} | set(OUTCOME_BY_NAME) | set(SUMMARY_COLUMNS)
    return [c for c in frame.columns if c not in fixed]


def summarize(
    folder: str | Path, reference: str = "baseline", outcomes: list[str] | None = None
) -> pd.DataFrame:
    """One row per preset, sweep point, city and outcome: n, mean, sd, CI, and paired difference."""
    _, table = load(folder)
    if table.empty:
        raise ValueError(f"{folder}: no successful runs to summarise")
    names = [o for o in (outcomes or OUTCOME_BY_NAME) if o in table.columns]
    sweep = sweep_columns(table)
    presets = list(dict.fromkeys(table["preset"]))
    if reference not in presets:
        raise ValueError(f"reference preset {reference!r} is not in the results ({presets})")
    ref = table[table["preset"] == reference].set_index(["point", "replicate", "city"])
    rows = []
    for (preset, point, city), group in table.groupby(list(KEYS), sort=False):
        point_values = {c: group[c].iloc[0] for c in sweep}
        mine = group.set_index(["point", "replicate", "city"])
        for name in names:
            values = group[name].to_numpy(dtype=float)
            mean, low, high = t_interval(values)
            paired = (mine[name] - ref[name].reindex(mine.index)).to_numpy(dtype=float)
            diff, diff_low, diff_high = t_interval(paired) if preset != reference else (0.0,) * 3
            outcome = OUTCOME_BY_NAME[name]
            rows.append(
                {
                    "preset": preset,
                    "point": point,
                    **point_values,
                    "city": city,
                    "outcome": name,
                    "unit": outcome.unit,
                    "better": outcome.direction,
                    "n": int((~np.isnan(values)).sum()),
                    "mean": mean,
                    "sd": float(np.nanstd(values, ddof=1)) if len(values) > 1 else math.nan,
                    "ci_low": low,
                    "ci_high": high,
                    "diff": diff,
                    "diff_low": diff_low,
                    "diff_high": diff_high,
                }
            )
    return pd.DataFrame(rows)


def band(series: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Mean and 95% interval per preset, city and day, for plotting uncertainty bands."""

    def agg(values: pd.Series) -> pd.Series:
        mean, low, high = t_interval(values.to_numpy())
        return pd.Series({"mean": mean, "low": low, "high": high})

    grouped = series.groupby(["preset", "city", "day"], sort=False)[outcome]
    return grouped.apply(agg).unstack().reset_index()
