"""Line numbers for keys of a TOML file, so that validation errors can say where to look.

tomllib gives values, not positions. This scanner follows table headers (`[a]`, `[[a.b]]`) and
`key = value` lines and maps each key path, e.g. ("policy", 2, "intensity"), to its line.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]+\")\s*=")

Path = tuple[str | int, ...]


def key_lines(text: str) -> dict[Path, int]:
    """Every table and key path in `text` with its 1-based line number."""
    lines: dict[Path, int] = {}
    counts: dict[Path, int] = {}
    current: Path = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            parts = [p.strip().strip('"') for p in header.group(2).split(".")]
            path: Path = ()
            for i, part in enumerate(parts):
                path = (*path, part)
                is_last = i == len(parts) - 1
                if is_last and header.group(1) == "[[":
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


def line_of(text: str, path: Path) -> int | None:
    """The line of `path`, or of its longest prefix that has one."""
    lines = key_lines(text)
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def dotted(path: Path) -> str:
    """("policy", 2, "intensity") -> "policy[2].intensity"."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out
