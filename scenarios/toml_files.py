"""TOML files for people: read with one-line errors, and the line of each key, so that
validation errors can say where to look.

tomllib gives values, not positions. The scanner follows table headers (`[a]`, `[[a.b]]`) and
`key = value` lines and maps each key path, e.g. ("policy", 2, "intensity"), to its line; it
reads each line once, without backtracking, so a long line costs its length.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path as FilePath
from typing import Any

from world.errors import ScenarioError

_HEADER_NAME = re.compile(r"[A-Za-z0-9_.\-\" ]+")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]+\")\s*=")

Path = tuple[str | int, ...]


def key_lines(text: str) -> dict[Path, int]:
    """Every table and key path in `text` with its 1-based line number."""
    lines: dict[Path, int] = {}
    counts: dict[Path, int] = {}
    current: Path = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _header(line)
        if header:
            brackets, name = header
            parts = [p.strip().strip('"') for p in name.split(".")]
            path: Path = ()
            for i, part in enumerate(parts):
                path = (*path, part)
                is_last = i == len(parts) - 1
                if is_last and brackets == "[[":
                    counts[path] = counts.get(path, 0) + 1
                    path = (*path, counts[path] - 1)
                elif not is_last and path in counts:
                    path = (*path, counts[path] - 1)
            current = path
            lines.setdefault(current, number)
            continue
        assign = _ASSIGN.match(line)
        if assign:
            lines.setdefault((*current, assign.group(1).strip('"')), number)
    return lines


def _header(line: str) -> tuple[str, str] | None:
    """('[' or '[[', the table's name) of a header line, else None."""
    s = line.strip()
    if not s.startswith("["):
        return None
    brackets = "[[" if s.startswith("[[") else "["
    close = s.find("]" * len(brackets), len(brackets))
    if close < 0:
        return None
    rest = s[close + len(brackets) :].strip()
    name = s[len(brackets) : close].strip()
    if (rest and not rest.startswith("#")) or not _HEADER_NAME.fullmatch(name):
        return None
    return brackets, name


def read_toml(path: FilePath, error: type[Exception] = ScenarioError) -> tuple[str, dict[str, Any]]:
    """The text and data of a TOML file; anything that stops a person's file from being read is
    one line naming the file (raised as `error`)."""
    try:
        if path.exists() and not path.is_dir() and not path.is_file():
            raise error(f"{path}: not a regular file (a pipe or a device?)")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a TOML file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark, as some editors write, is fine
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text (save the file as UTF-8)") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: malformed TOML: {exc}") from None
    except RecursionError:
        raise error(f"{path}: malformed TOML: nested too deeply") from None
    except ValueError as exc:  # tomllib's own limits, e.g. an integer of thousands of digits
        raise error(f"{path}: malformed TOML: {str(exc).splitlines()[0]}") from None
    return text, data


def line_of(text: str, path: Path) -> int | None:
    """The line of `path`, or of its longest prefix that has one."""
    lines = key_lines(text)
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def located(file: FilePath, text: str, key: Path) -> str:
    """Where a key of a TOML file is, for a one-line error: "file:line: key" ("file" alone for
    the whole file)."""
    line = line_of(text, key) if key else None
    loc = f"{file}:{line}" if line else str(file)
    return f"{loc}: {dotted(key)}" if key else loc


def dotted(path: Path) -> str:
    """("policy", 2, "intensity") -> "policy[2].intensity"."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_key(k: str) -> str:
    """A TOML key: bare when it can be, else quoted."""
    return k if _BARE_KEY.match(k) else json.dumps(k, ensure_ascii=False)


def toml_value(v: Any) -> str:
    """A TOML value (for the preset files govsim writes): floats as Python's shortest text that
    reads back as the same number."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise ScenarioError(f"cannot write {v!r} in a preset file")
