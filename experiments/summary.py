"""Summaries of an experiment: mean, spread and 95% confidence intervals, and paired differences.

The numbers come from `experiments.statistics` (Student-t intervals over replicates; paired
differences against the reference preset in the same replicate, sweep point and city), read
through `experiments.result_folder.ResultFolder`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from experiments.result_folder import ResultFolder
from experiments.statistics import intervals, paired_differences
from model.outcomes import OUTCOME_BY_NAME

KEYS = ("preset", "point", "city")
PAIR_ON = ("point", "replicate", "city")
SUMMARY_COLUMNS = ["outcome", "unit", "better", "n", "mean", "sd", "ci_low", "ci_high"]
SUMMARY_COLUMNS += ["diff", "diff_low", "diff_high"]


def sweep_columns(frame: pd.DataFrame) -> list[str]:
    """The swept parameters' columns of a result table or summary."""
    fixed = {"run_id", "preset", "point", "replicate", "seed", "city", "day", "status"}
    fixed |= {"wall_seconds", "error"} | set(OUTCOME_BY_NAME) | set(SUMMARY_COLUMNS)
    return [c for c in frame.columns if c not in fixed]


def summarize(
    folder: str | Path | ResultFolder,
    reference: str = "baseline",
    outcomes: list[str] | None = None,
) -> pd.DataFrame:
    """One row per preset, sweep point, city and outcome: n, mean, sd, CI, and paired difference."""
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
    keys = list(KEYS)
    summary = intervals(table, keys, names).rename(columns={"low": "ci_low", "high": "ci_high"})
    diffs = intervals(paired_differences(table, reference, names, "preset", PAIR_ON), keys, names)
    diffs = diffs.rename(columns={"mean": "diff", "low": "diff_low", "high": "diff_high"})
    summary = summary.merge(
        diffs[[*keys, "outcome", "diff", "diff_low", "diff_high"]],
        on=[*keys, "outcome"],
        how="left",
        validate="one_to_one",
    )
    is_reference = summary["preset"] == reference
    summary.loc[is_reference, ["diff", "diff_low", "diff_high"]] = 0.0
    sweep = sweep_columns(table)
    points = table.drop_duplicates(keys)[[*keys, *sweep]]
    summary = summary.merge(points, on=keys, how="left", validate="many_to_one")
    summary["unit"] = [OUTCOME_BY_NAME[o].unit for o in summary["outcome"]]
    summary["better"] = [OUTCOME_BY_NAME[o].direction for o in summary["outcome"]]
    return summary[["preset", "point", *sweep, "city", *SUMMARY_COLUMNS]]
