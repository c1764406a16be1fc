"""The folder of a resumable search (a calibration, an optimisation): one writer at a time, and
stored trials resumed only under the code, spec and preset that made them."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from experiments.atomic import write_json
from experiments.manifest import fingerprint_difference
from experiments.result_folder import FolderError, ResultStore, check_folder_kind


@contextmanager
def search_folder(
    out: Path,
    made: dict[str, Any],
    record: str,
    outputs: tuple[str, ...],
    what: str,
    fresh: bool = False,
) -> Iterator[None]:
    """Hold `out` while a search writes there. `made` (the code, spec and preset that make its
    runs) is recorded in `out/record`; stored `outputs` under a different record, or under none,
    are refused in one FolderError line naming what changed; `fresh` deletes `outputs` first."""
    check_folder_kind(out, what)
    with ResultStore(out).lock():
        if fresh:
            for name in outputs:
                path = out / name
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
        stored = [name for name in outputs if (out / name).exists()]
        if (out / record).exists():
            try:
                old = json.loads((out / record).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                old = None
            why = fingerprint_difference(old, made)
            if why is not None:
                raise FolderError(
                    f"{out}: cannot resume the {what} stored here: {why}; use --fresh to start"
                    " over, or another --out"
                )
        elif stored:
            raise FolderError(
                f"{out}: holds {what} files ({', '.join(stored)}) that do not say what made"
                " them; use --fresh to start over, or another --out"
            )
        write_json(out / record, made)
        yield


def completed_trials(store: Path) -> dict[int, tuple[float, ...]]:
    """A search's complete trials (number -> objective values), read from its Optuna store
    without writing: a plain connect would create the file, and a runner not yet past its
    folder check would then rightly refuse a folder holding a store it cannot account for. For
    watching a search from outside it (the kill-and-resume tests and benchmark)."""
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            rows = db.execute(
                "select t.number, v.value from trials t join trial_values v"
                " on t.trial_id = v.trial_id where t.state = 'COMPLETE'"
                " order by t.number, v.objective"
            ).fetchall()
    except sqlite3.Error:  # not there yet, or being created
        return {}
    values: dict[int, list[float]] = {}
    for number, value in rows:
        values.setdefault(number, []).append(value)
    return {k: tuple(v) for k, v in values.items()}
