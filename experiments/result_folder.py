"""The result folder of an experiment: Parquet datasets written one run at a time, atomically,
checked, and read back by one reader.

`runs.parquet/`, `outcomes.parquet/` and `timeseries.parquet/` are Parquet datasets (folders of
part files, one per run) that pandas, polars and DuckDB read directly. A run's outcome and
time-series parts are written first and its runs part last, each by an atomic rename: a run is
finished exactly when its runs part exists, so an interrupted experiment (even `kill -9`) resumes
with nothing lost and nothing duplicated.

The folder's promises, and what keeps them (docs/experiments.md, "Guarantees"):
- one writer: `ResultStore.lock()` takes an exclusive lock on the folder for a whole run;
- no damage passes unseen: `audit()` checks that every finished run's parts are there, readable
  and of one schema; readers refuse a damaged folder, and a resume re-runs the damaged runs.

`ResultStore` writes a folder; `ResultFolder` reads one (the summaries, the report, the
sensitivity analysis and the dashboard's results page all read through it).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.atomic import write_parquet
from world.errors import InputError

DATASETS = ("runs", "outcomes", "timeseries")
MANIFEST = "manifest.json"
LOCK = ".govsim.lock"
MAX_LISTED = 3  # damaged runs named in a message; the rest are counted


@dataclass
class RunOutput:
    """What one run produced: its row in runs, and its rows in outcomes and timeseries."""

    run: dict[str, Any]
    outcomes: pd.DataFrame | None
    timeseries: pd.DataFrame | None


class FolderError(InputError):
    """A result folder that cannot be used as asked; the message is one line."""


class FolderBusyError(FolderError):
    """Another govsim process is writing the folder."""


class DamagedFolderError(FolderError):
    """Finished runs whose data is missing, unreadable or of another schema."""

    def __init__(
        self,
        root: Path,
        damage: dict[str, str],
        advice: str = "rerun the experiment with the same --out to redo them",
    ) -> None:
        self.damage = damage
        listed = "; ".join(f"{run}: {what}" for run, what in list(damage.items())[:MAX_LISTED])
        more = f"; and {len(damage) - MAX_LISTED} more" if len(damage) > MAX_LISTED else ""
        super().__init__(
            f"{root}: {len(damage)} finished run(s) damaged ({listed}{more}); {advice}"
        )


def _part_id(path: Path) -> str:
    return path.name[len("part-") : -len(".parquet")]


def _parts(root: Path, dataset: str) -> list[Path]:
    """A dataset's part files (a name starting with '.' is a write cut off by a crash)."""
    folder = root / f"{dataset}.parquet"
    return sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []


def _files(root: Path, dataset: str) -> list[Path]:
    """A dataset's files: its parts, or the single file it may be (written by another tool)."""
    path = root / f"{dataset}.parquet"
    if path.is_file():
        return [path]
    return sorted(p for p in path.glob("*.parquet") if not p.name.startswith((".", "_")))


def _schema(path: Path) -> pa.Schema | None:
    """A file's schema, or None when it cannot be read (truncated, not Parquet)."""
    try:
        return pq.read_schema(path)
    except (OSError, pa.ArrowException):
        return None


def _run_ids(path: Path) -> set[str] | None:
    """The runs a file holds rows of (None: unreadable). A part written by govsim holds one run,
    which its row-group statistics tell without reading the rows."""
    try:
        meta = pq.ParquetFile(path).metadata
        names = [meta.schema.column(i).name for i in range(meta.num_columns)]
        if "run_id" not in names:
            return set()
        col = names.index("run_id")
        stats = [meta.row_group(g).column(col).statistics for g in range(meta.num_row_groups)]
        if stats and all(s is not None and s.has_min_max and s.min == s.max for s in stats):
            return {str(s.min) for s in stats}
        return {str(v) for v in pq.read_table(path, columns=["run_id"]).column(0).to_pylist()}
    except (OSError, pa.ArrowException):
        return None


def _owner(path: Path) -> str:
    """Who a damaged file belongs to: its run (a govsim part), else the file itself."""
    return _part_id(path) if path.name.startswith("part-") else f"file {path.name}"


STATUSES = ("ok", "failed")
KEYS = {"outcomes": ("run_id", "city"), "timeseries": ("run_id", "city", "day")}


IDENTITY = ("preset", "point", "replicate", "seed")
TEXT_COLUMNS = ("run_id", "preset", "city")


def audit(
    root: str | Path,
    planned: dict[str, dict[str, Any]] | None = None,
    complete: bool = False,
    required: list[str] | None = None,
) -> dict[str, str]:
    """What is wrong with the finished runs of a result folder: {run id (or file): what}.

    Every file must be readable and hold what its name says: a `runs` part one row of its own
    run with a known status, an outcome or time-series part rows of its own run only, each row
    once; the files of a dataset must share one schema; a successful run must have outcome and
    time-series rows. With `planned` ({run id: its preset, point, replicate and seed}), a finished
    run the experiment does not have, or rows that name another preset, point, replicate or seed,
    are damage too; with `complete` (a folder govsim wrote, one part per run), a part holding
    another run's rows, text where numbers belong, and a whole dataset folder missing are; with
    `required`, so is an outcome column missing from every part.
    """
    root = Path(root)
    damage: dict[str, str] = {}
    status: dict[str, str] = {}
    # govsim writes one part per run, named for it: hold a folder it wrote (`complete`) to that
    parts = complete and (root / "runs.parquet").is_dir()
    for path in _files(root, "runs"):
        try:
            table = pq.read_table(path, columns=["run_id", "status"]).to_pydict()
        except (OSError, pa.ArrowException, KeyError):
            damage[_owner(path)] = "runs part unreadable"
            continue
        if planned is not None and parts and not _says(path, planned.get(_part_id(path))):
            damage[_owner(path)] = "runs part names another preset, point, replicate or seed"
            continue
        found = dict(zip(map(str, table["run_id"]), map(str, table["status"]), strict=True))
        if parts and (len(table["run_id"]) != 1 or _part_id(path) not in found):
            damage[_owner(path)] = "runs part does not hold its own run, once"
            continue
        status.update(found)
    for run, s in status.items():
        if s not in STATUSES:
            damage.setdefault(run, f"unknown status {s!r}")
        elif planned is not None and run not in planned:
            damage.setdefault(run, "not a run of this experiment")
    ok = {run for run, s in status.items() if s == "ok"} - set(damage)
    for dataset in ("outcomes", "timeseries"):
        if not (root / f"{dataset}.parquet").exists():
            if complete:
                for run in sorted(ok):
                    damage.setdefault(run, f"{dataset}.parquet missing")
            continue  # a dataset this folder never had (not written by govsim)
        files = _files(root, dataset)
        schemas = {path: _schema(path) for path in files}
        common = _commonest([s for s in schemas.values() if s is not None])
        whole = _whole_dataset_problem(common, complete, required or [])
        if whole is not None:
            for run in sorted(ok):
                damage.setdefault(run, f"{dataset}: {whole}")
            continue
        present: set[str] = set()
        for path, schema in schemas.items():
            runs = _run_ids(path) if schema is not None else None
            if runs is None:
                damage.setdefault(_owner(path), f"{dataset} part unreadable")
                continue
            owner = _owner(path)
            if parts and path.name.startswith("part-") and runs - {owner}:
                for run in runs | {owner}:
                    damage.setdefault(run, f"{dataset} part holds rows of another run")
                continue
            if common is not None and not schema.equals(common):
                what = f"{dataset} part has other columns ({_difference(schema, common)})"
                for run in runs or {owner}:
                    damage.setdefault(run, what)
                continue
            if planned is not None and parts and not _says(path, planned.get(owner)):
                damage.setdefault(owner, f"{dataset} part names another preset, point, replicate")
                continue
            if dataset == "outcomes" and _repeats(path, KEYS[dataset]):
                for run in runs or {owner}:
                    damage.setdefault(run, f"{dataset} part has a row twice")
            present |= runs
        for run in sorted(ok - present):
            damage.setdefault(run, f"{dataset} part missing")
    return damage


def _whole_dataset_problem(
    common: pa.Schema | None, complete: bool, required: list[str]
) -> str | None:
    """What is wrong with every part of a dataset alike (all of them retyped or cut down)."""
    if common is None or not complete:
        return None
    missing = [name for name in required if name not in common.names]
    if missing:
        return f"no {', '.join(missing[:MAX_LISTED])} column in any part"
    text = [
        f.name
        for f in common
        if f.name not in TEXT_COLUMNS
        and not (pa.types.is_integer(f.type) or pa.types.is_floating(f.type))
    ]
    if text:
        return f"text where numbers belong ({', '.join(text[:MAX_LISTED])})"
    return None


def _says(path: Path, identity: dict[str, Any] | None) -> bool:
    """Whether every row of a part names the preset, point, replicate and seed of its run."""
    if identity is None:
        return True  # a run the plan lacks is judged by its runs part
    try:
        meta = pq.ParquetFile(path).metadata
        names = [meta.schema.column(i).name for i in range(meta.num_columns)]
        for column in IDENTITY:
            if column not in names:
                continue
            i = names.index(column)
            stats = [meta.row_group(g).column(i).statistics for g in range(meta.num_row_groups)]
            if stats and all(s is not None and s.has_min_max for s in stats):
                values = {s.min for s in stats} | {s.max for s in stats}
            else:
                values = set(pq.read_table(path, columns=[column]).column(0).to_pylist())
            if values and values != {identity[column]}:
                return False
    except (OSError, pa.ArrowException):
        return False
    return True


def _repeats(path: Path, keys: tuple[str, ...]) -> bool:
    """Whether a file has two rows with the same key (a run's city, or city and day)."""
    try:
        frame = pq.read_table(path, columns=list(keys)).to_pandas()
    except (OSError, pa.ArrowException, KeyError):
        return False  # a file without those columns: its schema is judged elsewhere
    return bool(frame.duplicated().any())


def _commonest(schemas: list[pa.Schema]) -> pa.Schema | None:
    """The schema most parts share: the one the others are judged against."""
    if not schemas:
        return None
    counts: dict[str, tuple[int, pa.Schema]] = {}
    for s in schemas:
        key = s.to_string(show_schema_metadata=False)
        n, _ = counts.get(key, (0, s))
        counts[key] = (n + 1, s)
    return max(counts.values(), key=lambda item: item[0])[1]


def _difference(schema: pa.Schema, common: pa.Schema) -> str:
    missing = [n for n in common.names if n not in schema.names]
    extra = [n for n in schema.names if n not in common.names]
    if missing:
        return "missing " + ", ".join(missing[:MAX_LISTED])
    if extra:
        return "extra " + ", ".join(extra[:MAX_LISTED])
    return "other types"


class ResultStore:
    """One experiment's result folder, for writing (`ResultFolder` reads it)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def create(self) -> None:
        """Make the folder and its datasets (a place that cannot hold them is a FolderError)."""
        try:
            for name in DATASETS:
                (self.root / f"{name}.parquet").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FolderError(
                f"{self.root}: cannot create the result folder here ({exc.strerror})"
            ) from None

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder for one writer; a second gets FolderBusyError at once (no waiting)."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                raise FolderBusyError(
                    f"{self.root} is being written by another govsim (process {holder}); wait"
                    " for it to finish, or use another --out"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def clear_stale(self) -> None:
        """Remove files half-written by a run that was killed (only under `lock()`)."""
        for name in DATASETS:
            for stale in (self.root / f"{name}.parquet").glob(".*.tmp"):
                stale.unlink(missing_ok=True)

    def has_runs(self) -> bool:
        return any(_parts(self.root, "runs"))

    def wipe(self) -> None:
        """Remove every result (datasets, manifest, report): a fresh start in the same folder."""
        for name in DATASETS:
            shutil.rmtree(self.root / f"{name}.parquet", ignore_errors=True)
        for name in (MANIFEST, "report.html", "indices.csv", "indices.png"):
            (self.root / name).unlink(missing_ok=True)

    def _part(self, dataset: str, run_id: str) -> Path:
        return self.root / f"{dataset}.parquet" / f"part-{run_id}.parquet"

    def done_ids(self) -> set[str]:
        """Runs already finished (successfully or not)."""
        return {_part_id(p) for p in _parts(self.root, "runs")}

    def failed_ids(self) -> set[str]:
        """Finished runs whose status is not ok."""
        out = set()
        for path in _parts(self.root, "runs"):
            try:
                status = str(pq.read_table(path, columns=["status"]).column(0)[0])
            except (OSError, pa.ArrowException, KeyError, IndexError):
                continue  # damaged: audit() reports it
            if status != "ok":
                out.add(_part_id(path))
        return out

    def forget(self, run_ids: set[str]) -> None:
        """Remove runs (their runs part first, so none is ever half there), to run them again."""
        for run_id in sorted(run_ids):
            for dataset in DATASETS:
                self._part(dataset, run_id).unlink(missing_ok=True)

    def write_data(self, output: RunOutput) -> None:
        """A run's outcome and time-series parts (before its runs part marks it finished)."""
        run_id = output.run["run_id"]
        for dataset, frame in (("outcomes", output.outcomes), ("timeseries", output.timeseries)):
            if frame is not None:
                self._write(dataset, run_id, frame)

    def write(self, output: RunOutput) -> None:
        """Record a finished run: its data parts (if it carries them), then its runs part."""
        self.write_data(output)
        self._write("runs", output.run["run_id"], pd.DataFrame([output.run]))

    def _write(self, dataset: str, run_id: str, frame: pd.DataFrame) -> None:
        path = self._part(dataset, run_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_parquet(path, frame)


# What each kind of govsim output folder holds that no other kind does, and what makes it.
FOLDER_KINDS = {
    "experiment": (("runs.parquet",), "an experiment (govsim experiment run)"),
    "run": (("summary.json",), "one run (govsim run --out)"),
    "calibration": (("calibration.json",), "a calibration (govsim calibrate)"),
    "optimisation": (("optimise.json",), "a policy design (govsim optimise)"),
}


def check_folder_kind(out: Path, kind: str) -> None:
    """Refuse `out` when it is a file, or holds another kind of govsim output than `kind` (a key
    of FOLDER_KINDS): one command's files are never mixed into another's folder."""
    if out.exists() and not out.is_dir():
        raise FolderError(f"{out}: is a file, not a folder")
    for other, (marks, made_by) in FOLDER_KINDS.items():
        if other != kind and any((out / mark).exists() for mark in marks):
            raise FolderError(
                f"{out}: holds the results of {made_by}, not of {FOLDER_KINDS[kind][1]};"
                " use another --out"
            )


def is_result_folder(path: str | Path) -> bool:
    return (Path(path) / "runs.parquet").is_dir() and (Path(path) / MANIFEST).exists()


def read_manifest(root: str | Path) -> dict[str, Any] | None:
    """A folder's manifest, None if it has none; a FolderError if it is not a JSON object."""
    path = Path(root) / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise FolderError(f"{path}: cannot read the manifest ({exc})") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise FolderError(f"{path}: the manifest is not JSON (damaged?)") from None
    if not isinstance(data, dict):
        raise FolderError(f"{path}: the manifest is not a JSON object (damaged?)")
    return data


def planned_runs(manifest: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """The runs of the experiment a manifest describes, by id, with the preset, point,
    replicate and seed each must name (None when the manifest describes none)."""
    spec = manifest.get("spec")
    if manifest.get("kind") != "govsim experiment" or not isinstance(spec, dict):
        return None
    from experiments.design import ExperimentSpec, SpecError, expand

    try:
        runs = expand(ExperimentSpec(**spec), max_runs=10**7)
    except (SpecError, ValueError, TypeError):
        raise FolderError("the manifest's experiment is not a valid one (damaged?)") from None
    return {r.run_id: r.names() for r in runs}


def kept_outcomes(manifest: dict[str, Any]) -> list[str]:
    """The outcome columns a govsim folder's parts must have (its spec's, or every outcome)."""
    spec = manifest.get("spec")
    if manifest.get("kind") != "govsim experiment" or not isinstance(spec, dict):
        return []
    names = spec.get("outcomes")
    if isinstance(names, list) and names and all(isinstance(n, str) for n in names):
        return names
    from model.outcomes import OUTCOME_BY_NAME

    return list(OUTCOME_BY_NAME)


def read_dataset(root: str | Path, dataset: str) -> pd.DataFrame:
    """One dataset of a result folder as one table, sorted by run (then city and day).

    The dataset may be a folder of part files or a single Parquet file; a dataset that is absent
    or has no parts yet is an empty table. Files whose names start with '.' (a write cut off by a
    crash) are not read.
    """
    path = Path(root) / f"{dataset}.parquet"
    files = _files(Path(root), dataset)
    if not files:
        return pd.DataFrame()
    try:  # the dataset's Parquet files only: anything else in the folder is not read
        frame = pa.concat_tables([pq.read_table(f) for f in files]).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        raise FolderError(f"{path}: cannot be read ({str(exc).splitlines()[0]})") from None
    keys = [k for k in ("run_id", "city", "day") if k in frame.columns]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True) if keys else frame


class ResultFolder:
    """A result folder, read: every run, the successful runs' outcomes and time series, and the
    manifest.

    A missing or foreign folder, one without finished runs, or one whose finished runs are damaged
    (`audit`) is one clear FolderError (a ValueError) when the folder is opened. The time series,
    the largest dataset, is read when first asked for.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise FolderError(f"{self.root}: no such folder")
        if not (self.root / "runs.parquet").exists():
            raise FolderError(f"{self.root}: no runs.parquet (is it a govsim experiment folder?)")
        self.manifest: dict[str, Any] = read_manifest(self.root) or {}
        complete = self.manifest.get("kind") == "govsim experiment"
        if (self.root / "runs.parquet").is_dir() and not complete:
            if not _parts(self.root, "runs"):
                raise FolderError(
                    f"{self.root}: no finished runs (the experiment stopped before its first"
                    " one finished)"
                )
            raise FolderError(
                f"{self.root}: a folder of run parts without a govsim experiment manifest: nothing"
                " says which runs belong to it"
            )
        self.planned = planned_runs(self.manifest)
        damage = audit(self.root, self.planned, complete, kept_outcomes(self.manifest))
        if damage:
            redo = "rerun the experiment with the same --out to redo them"
            if any("not a run of this experiment" in what for what in damage.values()):
                redo = "they cannot be redone: start over with --fresh"
            raise DamagedFolderError(self.root, damage, redo)
        self.runs = read_dataset(self.root, "runs")
        if self.runs.empty:
            raise FolderError(f"{self.root}: no finished runs")

    @property
    def spec(self) -> dict[str, Any]:
        """The experiment's validated spec as the manifest records it (empty if none)."""
        spec = self.manifest.get("spec")
        return spec if isinstance(spec, dict) else {}

    def spec_text(self, key: str) -> str:
        """A text field of the spec ('' when absent or not text)."""
        value = self.spec.get(key)
        return value if isinstance(value, str) else ""

    def spec_names(self, key: str) -> list[str]:
        """A list-of-names field of the spec ([] when absent or not such a list)."""
        value = self.spec.get(key)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        return []

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

    def missing_runs(self) -> dict[str, int]:
        """Runs of the experiment not in the folder yet (stopped, or still running): how many
        of each preset, in the experiment's order ({} when every run is there)."""
        if not self.planned:
            return {}
        stored = set(self.runs["run_id"])
        missing: dict[str, int] = {}
        for run_id, names in self.planned.items():
            if run_id not in stored:
                missing[names["preset"]] = missing.get(names["preset"], 0) + 1
        return missing

    def unfinished_note(self) -> str | None:
        """One line saying which runs are missing, or None when the experiment is complete."""
        missing = self.missing_runs()
        if not missing:
            return None
        which = ", ".join(f"{preset} ({n} run{'s' * (n != 1)})" for preset, n in missing.items())
        return (
            f"unfinished: {len(self.runs)} of {len(self.planned or {})} runs; missing {which};"
            " the same `govsim experiment run` (same --out) finishes it"
        )

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
