"""A targets file of observed facts (CSV, as scenarios/targets/README.md describes), read and
checked before anything is fitted to it: every problem is one line naming the file, the row and
the fact's key, so that a typing slip never silently drops, doubles or moves a target."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from world.errors import ParameterError

REQUIRED = ("key", "indicator", "place", "edition", "period", "value", "low", "high")
NUMBERS = ("value", "low", "high")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class TargetsError(ParameterError):
    """A targets file that cannot be fitted to: one line naming file, row and key."""


def read_targets(path: Path, measured: Collection[str]) -> pd.DataFrame:
    """The file's rows (text columns as written, `value`, `low` and `high` as numbers, NaN when
    empty) with their `row` number (1: the first under the header). Rows whose indicator is in
    `measured` (counts, days, costs) must not be negative."""
    if not path.is_file():
        raise TargetsError(f"{path}: no such targets file")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise TargetsError(
            f"{path}: empty; a targets file starts with a header line ({', '.join(REQUIRED)}, ...)"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TargetsError(f"{path}: not a readable CSV file ({reason})") from None
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise TargetsError(
            f"{path}: no column {', '.join(repr(c) for c in missing)}; a targets file has the"
            f" columns {', '.join(REQUIRED)} (scenarios/targets/README.md)"
        )
    table = table.assign(row=range(1, len(table) + 1))
    seen: dict[str, int] = {}
    parsed: dict[str, list[float]] = {name: [] for name in NUMBERS}
    for _, row in table.iterrows():
        where = f"{path}: row {row['row']}"
        key = row["key"].strip()
        if not key:
            raise TargetsError(f"{where}: no key")
        where += f" ({key})"
        if key in seen:
            raise TargetsError(f"{where}: the key is also row {seen[key]}; keys are unique")
        seen[key] = row["row"]
        numbers = {name: _number(row[name], f"{where}: {name}") for name in NUMBERS}
        if row["indicator"] in measured:
            for name, value in numbers.items():
                if value < 0:
                    raise TargetsError(f"{where}: {name} {value:g} is negative")
        if numbers["low"] > numbers["high"]:
            raise TargetsError(f"{where}: low {numbers['low']:g} > high {numbers['high']:g}")
        period = row["period"].strip()
        if _ISO_DATE.match(period):
            try:
                dt.date.fromisoformat(period)
            except ValueError:
                raise TargetsError(f"{where}: period {period!r} is not a date") from None
        for name, value in numbers.items():
            parsed[name].append(value)
    return table.assign(
        **{name: pd.Series(v, index=table.index, dtype=float) for name, v in parsed.items()}
    )


def _number(text: str, what: str) -> float:
    """A cell as a number: NaN when empty; anything else must be a finite number."""
    text = text.strip()
    if not text:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise TargetsError(f"{what} {text!r} is not a number (write 32.4, not 32,4 days)") from None
    if not math.isfinite(value):
        raise TargetsError(f"{what} {text!r} is not a finite number")
    return value
