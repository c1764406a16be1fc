"""The statistics of experiments: Student-t intervals over replicates, and paired differences.

Every interval that govsim shows (`govsim experiment summarize`, the HTML report, the dashboard's
results page) is computed here: mean +/- t(0.5 + c/2, n - 1) * sd / sqrt(n) over the n
replicates that have a value (NaN values are left out), with the quantile from scipy. With fewer
than two values the bounds are NaN.

A paired difference subtracts the reference arm's value in the same replicate (same seed), sweep
point and city, so common random numbers cancel most of the noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95
INTERVAL_COLUMNS = ["n", "mean", "sd", "low", "high"]


def t_half_width(sd: np.ndarray, n: np.ndarray, confidence: float = CONFIDENCE) -> np.ndarray:
    """Half-widths t(0.5 + c/2, n - 1) * sd / sqrt(n), elementwise; NaN where n < 2."""
    sd = np.asarray(sd, dtype=float)
    n = np.asarray(n, dtype=float)
    enough = n >= 2
    df = np.where(enough, n - 1, 1.0)
    half = stats.t.ppf(0.5 + confidence / 2, df) * sd / np.sqrt(np.where(enough, n, 1.0))
    return np.where(enough, half, math.nan)


def t_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(mean, low, high) of one sample; NaN values left out, NaN bounds with fewer than two."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if n > 1 else math.nan
    half = float(t_half_width(np.array(sd), np.array(n), confidence))
    return mean, mean - half, mean + half


def intervals(
    frame: pd.DataFrame,
    keys: Sequence[str],
    columns: Sequence[str],
    confidence: float = CONFIDENCE,
    name: str = "outcome",
) -> pd.DataFrame:
    """One row per group of `keys` and column: the keys, `name`, n, mean, sd, low, high.

    Groups come in the order they first appear in `frame`, and within a group the columns in the
    order given. Computed for all groups at once (groupby-agg, then the t quantile on the counts).
    """
    keys, columns = list(keys), list(columns)
    grouped = frame.groupby(keys, sort=False)[columns].agg(["count", "mean", "std"])
    parts = []
    for column in columns:
        part = grouped[column].reset_index()
        part.insert(len(keys), name, column)
        part["_group"] = np.arange(len(part))
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*keys, name, *INTERVAL_COLUMNS])
    out = pd.concat(parts, ignore_index=True).sort_values("_group", kind="stable")
    n = out["count"].to_numpy(dtype=int)
    mean = out["mean"].to_numpy(dtype=float)
    sd = out["std"].to_numpy(dtype=float)
    half = t_half_width(sd, n, confidence)
    out = out[[*keys, name]].reset_index(drop=True)
    out["n"] = n
    out["mean"] = mean
    out["sd"] = sd
    out["low"] = mean - half
    out["high"] = mean + half
    return out


def bands(
    series: pd.DataFrame, keys: Sequence[str], outcome: str, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Mean and interval of one outcome per group of `keys` and day: keys, day, mean, low, high."""
    table = intervals(series, [*keys, "day"], [outcome], confidence)
    return table[[*keys, "day", "mean", "low", "high"]]


def paired_differences(
    table: pd.DataFrame,
    reference: str,
    columns: Sequence[str],
    arm: str = "preset",
    pair_on: Sequence[str] = ("point", "replicate", "city"),
) -> pd.DataFrame:
    """Each row of the other arms minus the reference arm's row with the same `pair_on` values.

    Returns the other arms' rows (in their order) with `arm`, `pair_on` and one difference column
    per name in `columns`; NaN where the reference has no matching row or value.
    """
    pair_on, columns = list(pair_on), list(columns)
    ref = table.loc[table[arm] == reference, [*pair_on, *columns]].set_index(pair_on)
    others = table.loc[table[arm] != reference, [arm, *pair_on, *columns]]
    mine = others.set_index(pair_on)
    matched = ref.reindex(mine.index)
    out = others[[arm, *pair_on]].reset_index(drop=True)
    for column in columns:
        out[column] = mine[column].to_numpy(dtype=float) - matched[column].to_numpy(dtype=float)
    return out
