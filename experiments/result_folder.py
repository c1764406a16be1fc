"""The result folder of an experiment: Parquet datasets written one run at a time, atomically.

`runs.parquet/`, `outcomes.parquet/` and `timeseries.parquet/` are Parquet datasets (folders of
part files, one per run) that pandas, polars and DuckDB read directly. A run's outcome and
time-series parts are written first and its runs part last, each by an atomic rename: a run is
finished exactly when its runs part exists, so an interrupted experiment (even `kill -9`) resumes
with nothing lost and nothing duplicated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.atomic import write_parquet


@dataclass
class RunOutput:
    """What one run produced: its row in runs, and its rows in outcomes and timeseries."""

    run: dict[str, Any]
    outcomes: pd.DataFrame | None
    timeseries: pd.DataFrame | None


DATASETS = ("runs", "outcomes", "timeseries")


class ResultStore:
    """One experiment's result folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        for name in DATASETS:
            (self.root / f"{name}.parquet").mkdir(parents=True, exist_ok=True)

    def clear_stale(self) -> None:
        """Remove files half-written by a run that was killed (call before any worker starts)."""
        for name in DATASETS:
            for stale in (self.root / f"{name}.parquet").glob(".*.tmp"):
                stale.unlink(missing_ok=True)

    def _part(self, dataset: str, run_id: str) -> Path:
        return self.root / f"{dataset}.parquet" / f"part-{run_id}.parquet"

    def done_ids(self) -> set[str]:
        """Runs already finished (successfully or not)."""
        folder = self.root / "runs.parquet"
        return {p.name[len("part-") : -len(".parquet")] for p in folder.glob("part-*.parquet")}

    def write_data(self, output: RunOutput) -> None:
        """A run's outcome and time-series parts (before its runs part marks it finished)."""
        run_id = output.run["run_id"]
        for dataset, frame in (("outcomes", output.outcomes), ("timeseries", output.timeseries)):
            if frame is not None:
                write_parquet(self._part(dataset, run_id), frame)

    def write(self, output: RunOutput) -> None:
        """Record a finished run: its data parts (if it carries them), then its runs part."""
        self.write_data(output)
        write_parquet(self._part("runs", output.run["run_id"]), pd.DataFrame([output.run]))

    def read(self, dataset: str) -> pd.DataFrame:
        """A whole dataset as one table, in a stable order (by run, then city and day)."""
        folder = self.root / f"{dataset}.parquet"
        if not any(folder.glob("part-*.parquet")):
            return pd.DataFrame()
        frame = pd.read_parquet(folder)
        keys = [k for k in ("run_id", "city", "day") if k in frame.columns]
        return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def is_result_folder(path: str | Path) -> bool:
    return (Path(path) / "runs.parquet").is_dir() and (Path(path) / "manifest.json").exists()
