"""The output folder of one `govsim run --out`: a tidy Parquet time series, the summary and
the manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from experiments.atomic import write_json, write_parquet
from experiments.manifest import run_manifest


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
