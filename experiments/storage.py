"""Writing a run's results: a tidy Parquet time series, the summary, and the manifest."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.manifest import run_manifest


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (a reader never sees half a file)."""
    _atomic(path, json.dumps(data, indent=2, ensure_ascii=False, default=str).encode())


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write Parquet atomically (a reader, or a crash, never leaves half a file)."""
    # A leading dot: Parquet readers skip the file if a crash leaves it behind.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_run(result: Any, out: Path) -> list[Path]:
    """timeseries.parquet (one row per day), summary.json and manifest.json under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    series = result.timeseries()
    series.insert(0, "seed", result.seed)
    series.insert(0, "preset", result.preset.name)
    paths = [out / "timeseries.parquet", out / "summary.json", out / "manifest.json"]
    write_parquet(paths[0], series)
    write_json(paths[1], result.outcomes_json())
    write_json(paths[2], run_manifest(result))
    return paths
