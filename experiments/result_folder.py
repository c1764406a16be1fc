"""The result folder of an experiment: Parquet datasets written one run at a time, atomically,
and read back by one reader.

`runs.parquet/`, `outcomes.parquet/` and `timeseries.parquet/` are Parquet datasets (folders of
part files, one per run) that pandas, polars and DuckDB read directly. A run's outcome and
time-series parts are written first and its runs part last, each by an atomic rename: a run is
finished exactly when its runs part exists, so an interrupted experiment (even `kill -9`) resumes
with nothing lost and nothing duplicated.

`ResultStore` writes a folder; `ResultFolder` reads one (the summaries, the report, the
sensitivity analysis and the dashboard's results page all read through it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
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
    """One experiment's result folder, for writing (`ResultFolder` reads it)."""

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


def is_result_folder(path: str | Path) -> bool:
    return (Path(path) / "runs.parquet").is_dir() and (Path(path) / "manifest.json").exists()


def read_dataset(root: str | Path, dataset: str) -> pd.DataFrame:
    """One dataset of a result folder as one table, sorted by run (then city and day).

    The dataset may be a folder of part files or a single Parquet file; a dataset that is absent
    or has no parts yet is an empty table. Files whose names start with '.' (a write cut off by a
    crash) are not read.
    """
    path = Path(root) / f"{dataset}.parquet"
    if path.is_dir() and not any(path.glob("[!._]*.parquet")):
        return pd.DataFrame()
    if not path.exists():
        return pd.DataFrame()
    frame = pd.read_parquet(path)
    keys = [k for k in ("run_id", "city", "day") if k in frame.columns]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True) if keys else frame


class ResultFolder:
    """A result folder, read: every run, the successful runs' outcomes and time series, and the
    manifest.

    A missing or foreign folder, or one without finished runs, is one clear ValueError when the
    folder is opened. The time series, the largest dataset, is read when first asked for.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise ValueError(f"{self.root}: no such folder")
        if not (self.root / "runs.parquet").exists():
            raise ValueError(f"{self.root}: no runs.parquet (is it a govsim experiment folder?)")
        self.runs = read_dataset(self.root, "runs")
        if self.runs.empty:
            raise ValueError(f"{self.root}: no finished runs")
        manifest = self.root / "manifest.json"
        self.manifest: dict[str, Any] = (
            json.loads(manifest.read_text()) if manifest.exists() else {}
        )

    @property
    def spec(self) -> dict[str, Any]:
        """The experiment's validated spec as the manifest records it (empty if none)."""
        return self.manifest.get("spec") or {}

    @cached_property
    def ok_ids(self) -> set[str]:
        """The ids of the runs that finished successfully."""
        if "status" not in self.runs:
            return set(self.runs["run_id"])
        return set(self.runs.loc[self.runs["status"] == "ok", "run_id"])

    @property
    def ok_runs(self) -> pd.DataFrame:
        return self.runs[self.runs["run_id"].isin(self.ok_ids)]

    @property
    def failed_runs(self) -> pd.DataFrame:
        return self.runs[~self.runs["run_id"].isin(self.ok_ids)]

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """One row per successful run and city (parts of runs not finished are left out)."""
        return self._ok("outcomes")

    @cached_property
    def timeseries(self) -> pd.DataFrame:
        """One row per successful run, kept day and city."""
        return self._ok("timeseries")

    def _ok(self, dataset: str) -> pd.DataFrame:
        frame = read_dataset(self.root, dataset)
        if frame.empty:
            return frame
        return frame[frame["run_id"].isin(self.ok_ids)].reset_index(drop=True)
