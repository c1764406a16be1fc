"""The manifest written beside results: what ran, with which versions, so it can be rerun."""

from __future__ import annotations

import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("govsim", "mesa", "numpy", "networkx", "pandas", "pyarrow", "pydantic")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_revision() -> str | None:
    """The source tree's commit, with '+dirty' if it has uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def run_manifest(result: Any) -> dict[str, Any]:
    """Everything needed to reproduce one run."""
    preset = result.preset
    return {
        "kind": "govsim run",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "preset": preset.name,
        "preset_source": str(preset.source) if preset.source else None,
        "seed": result.seed,
        "days": result.days,
        "overrides": preset.overrides,
        "parameters": preset.parameters.model_dump(),
        "policy": [i.to_dict() for i in preset.policy],
        "cities": [
            {
                "name": c.name,
                "parameters": preset.city_parameters(c).model_dump(),
                "policy": [i.to_dict() for i in c.policy],
            }
            for c in preset.cities
        ],
        "region": preset.region.model_dump() if preset.cities else None,
        "wall_seconds": round(result.wall_seconds, 3),
        "versions": versions(),
        "git_revision": git_revision(),
    }
