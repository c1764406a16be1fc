"""A small synthetic experiment result folder with the schema of `govsim experiment run`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from model.outcomes import OUTCOMES

PRESETS = ("baseline", "one_stop")
REPLICATES = 4
DAYS = 40


def write_result_folder(folder: Path, failed_run: bool = True) -> Path:
    """runs, outcomes and timeseries .parquet plus manifest.json; one_stop has fewer trips.

    Each outcome of run (preset p, replicate r) is a known value plus replicate noise, so tests
    can recompute the means and intervals by hand.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    runs, outcomes, series = [], [], []
    for p, preset in enumerate(PRESETS):
        for r in range(REPLICATES):
            run_id = f"{preset}-r{r}"
            runs.append(
                {
                    "run_id": run_id,
                    "preset": preset,
                    "replicate": r,
                    "seed": r,
                    "status": "ok",
                    "wall_seconds": 1.0,
                    "error": "",
                }
            )
            base = {o.name: 1.0 + rng.normal(0, 0.1) for o in OUTCOMES}
            base["trips_per_case"] = (3.0 if p == 0 else 1.2) + rng.normal(0, 0.1)
            base["satisfaction_citizens"] = (0.4 if p == 0 else 0.6) + rng.normal(0, 0.02)
            ident = {"run_id": run_id, "preset": preset, "replicate": r, "seed": r}
            outcomes.append({**ident, "city": "city", **base})
            for day in range(DAYS):
                row = {**ident, "city": "city", "day": day}
                for o in OUTCOMES:
                    row[o.name] = base[o.name] * (1 + 0.2 * day / DAYS) + rng.normal(0, 0.02)
                series.append(row)
    if failed_run:
        runs.append(
            {
                "run_id": "baseline-r9",
                "preset": "baseline",
                "replicate": 9,
                "seed": 9,
                "status": "failed",
                "wall_seconds": 0.1,
                "error": "ValueError: synthetic failure",
            }
        )
    pd.DataFrame(runs).to_parquet(folder / "runs.parquet")
    pd.DataFrame(outcomes).to_parquet(folder / "outcomes.parquet")
    pd.DataFrame(series).to_parquet(folder / "timeseries.parquet")
    manifest = {"presets": list(PRESETS), "replicates": REPLICATES, "days": DAYS}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder
