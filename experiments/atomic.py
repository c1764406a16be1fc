"""Atomic file writes: a reader, or a crash, never sees half a file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (a reader never sees half a file)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    _atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically (a reader never sees half a page)."""
    _atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write Parquet atomically (a reader, or a crash, never leaves half a file)."""
    _atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def _atomic(path: Path, write: Callable[[str], object]) -> None:
    """`write` a temporary file beside `path`, then rename it into place.

    The temporary name starts with a dot, so Parquet readers skip it if a crash leaves it behind.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
