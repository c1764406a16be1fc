"""Summaries of an experiment: mean, spread and 95% confidence intervals, and paired differences.

The numbers come from `experiments.statistics` (Student-t intervals over replicates; paired
differences against the reference preset in the same replicate, sweep point and city), read
through `experiments.result_folder.ResultFolder`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.design import preset_label
from experiments.result_folder import ResultFolder
from experiments.statistics import intervals, paired_differences
from model.outcomes import OUTCOME_BY_NAME

KEYS = ("preset", "point", "city")
PAIR_ON = ("point", "replicate", "city")
SUMMARY_COLUMNS = ["outcome", "unit", "better", "n", "mean", "sd", "ci_low", "ci_high"]
SUMMARY_COLUMNS += ["diff", "diff_low", "diff_high"]

# What an outcome can be: shares and 0-1 scales live in [0, 1]; counts, days, hours, money per
# case and rates of events cannot be negative; these few can (a net flow, a balance, an index).
UNIT_INTERVAL = ("share", "0-1")
SIGNED_OUTCOMES = frozenset(
    {"net_firm_inflow", "net_migration", "budget_balance", "reform_fund", "competitiveness_index"}
)


def outcome_bounds(name: str) -> tuple[float, float]:
    """The values an outcome can take, (low, high): intervals are clipped to them."""
    outcome = OUTCOME_BY_NAME[name]
    if outcome.unit in UNIT_INTERVAL:
        return 0.0, 1.0
    if name in SIGNED_OUTCOMES:
        return -math.inf, math.inf
    return 0.0, math.inf


def clip_intervals(
    frame: pd.DataFrame, low: str = "low", high: str = "high", outcome: str = "outcome"
) -> pd.DataFrame:
    """`frame` with its interval columns clipped to each row's outcome bounds (a Student-t
    interval of a share near 0 would otherwise reach below 0)."""
    bounds = [outcome_bounds(o) for o in frame[outcome]]
    lows = np.array([b[0] for b in bounds], dtype=float)
    highs = np.array([b[1] for b in bounds], dtype=float)
    out = frame.copy()
    for column in (low, high):
        out[column] = np.clip(out[column].to_numpy(dtype=float), lows, highs)
    return out


def sweep_columns(frame: pd.DataFrame) -> list[str]:
    """The swept parameters' columns of a result table or summary."""
    fixed = {"run_id", "preset", "point", "replicate", "seed", "city", "day", "status"}
    fixed |= {"wall_seconds", "error"} | set(OUTCOME_BY_NAME) | set(SUMMARY_COLUMNS)
    return [c for c in frame.columns if c not in fixed]


def summarize(
    folder: str | Path | ResultFolder,
    reference: str = "baseline",
    outcomes: list[str] | None = None,
    *,
    pool_points: bool = False,
) -> pd.DataFrame:
    """One row per preset, sweep point, city and outcome: n, mean, sd, CI, and paired difference.

    Presets come in the experiment's order. Intervals are clipped to what the outcome can be
    (`outcome_bounds`): the level's to the bounds, the difference's to the bounds minus the
    reference's mean (the reform's mean stays within the bounds). `pool_points`: one row per
    preset, city and outcome over every sweep point (point 0, no sweep columns): levels over
    all runs, differences still paired within a point and replicate, then averaged over the
    sampled conditions.
    """
    results = folder if isinstance(folder, ResultFolder) else ResultFolder(folder)
    table = results.outcomes
    if table.empty:
        raise ValueError(f"{results.root}: no successful runs to summarise")
    names = [o for o in (outcomes or OUTCOME_BY_NAME) if o in table.columns]
    presets = list(dict.fromkeys(table["preset"]))
    if reference not in presets:
        failed = int((results.runs["preset"] == reference).sum()) if "preset" in results.runs else 0
        if failed:
            raise ValueError(
                f"reference preset {reference!r} has no successful run ({failed} failed): nothing"
                " to pair against; choose another --reference, or --retry-failed"
            )
        raise ValueError(f"reference preset {reference!r} is not in the results ({presets})")
    keys = [k for k in KEYS if not (pool_points and k == "point")]
    summary = intervals(table, keys, names).rename(columns={"low": "ci_low", "high": "ci_high"})
    diffs = intervals(paired_differences(table, reference, names, "preset", PAIR_ON), keys, names)
    diffs = diffs.rename(columns={"mean": "diff", "low": "diff_low", "high": "diff_high"})
    if pool_points:
        summary.insert(1, "point", 0)
        diffs.insert(1, "point", 0)
        keys = list(KEYS)
    summary = summary.merge(
        diffs[[*keys, "outcome", "diff", "diff_low", "diff_high"]],
        on=[*keys, "outcome"],
        how="left",
        validate="one_to_one",
    )
    is_reference = summary["preset"] == reference
    summary.loc[is_reference, ["diff", "diff_low", "diff_high"]] = 0.0
    summary = clip_intervals(summary, "ci_low", "ci_high")
    ref_mean = summary[is_reference].set_index(["point", "city", "outcome"])["mean"]
    ref = ref_mean.reindex(pd.MultiIndex.from_frame(summary[["point", "city", "outcome"]]))
    ref = ref.to_numpy(dtype=float)
    bounds = np.array([outcome_bounds(o) for o in summary["outcome"]], dtype=float)
    for column in ("diff_low", "diff_high"):
        values = summary[column].to_numpy(dtype=float)
        summary[column] = np.clip(values, bounds[:, 0] - ref, bounds[:, 1] - ref)
    order = {p: i for i, p in enumerate(_preset_order(results, presets))}
    summary = summary.sort_values("preset", key=lambda c: c.map(order), kind="stable")
    summary = summary.reset_index(drop=True)
    sweep = [] if pool_points else sweep_columns(table)
    points = table.assign(point=0) if pool_points else table
    points = points.drop_duplicates(keys)[[*keys, *sweep]]
    summary = summary.merge(points, on=keys, how="left", validate="many_to_one")
    summary["unit"] = [OUTCOME_BY_NAME[o].unit for o in summary["outcome"]]
    summary["better"] = [OUTCOME_BY_NAME[o].direction for o in summary["outcome"]]
    return summary[["preset", "point", *sweep, "city", *SUMMARY_COLUMNS]]


def _preset_order(results: ResultFolder, found: list[str]) -> list[str]:
    """The presets in the experiment file's order (then any others as found)."""
    named = [preset_label(p) for p in results.spec_names("presets")]
    return list(dict.fromkeys([*(p for p in named if p in found), *found]))
