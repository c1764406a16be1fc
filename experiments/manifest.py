"""The manifest written beside results: what ran, with which versions, so it can be rerun."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("govsim", "mesa", "numpy", "networkx", "pandas", "pyarrow", "pydantic")
# What a run's numbers depend on besides govsim's own code: the Python (its `random`), Mesa, and
# the libraries whose random streams and algorithms the model draws on.
NUMBERS_DEPEND_ON = ("mesa", "numpy", "networkx")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def library_versions() -> dict[str, str]:
    """The versions a stored run's numbers depend on (Python to the minor release): runs made
    under other versions are not mixed with new ones."""
    every = versions()
    return {
        "python": ".".join(platform.python_version_tuple()[:2]),
        **{name: every[name] for name in NUMBERS_DEPEND_ON},
    }


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


# What a run's numbers depend on in the source: the model's layers and the code that runs one.
_CODE = ("world", "agents", "model", "scenarios")
_CODE_FILES = ("experiments/task.py", "experiments/one_run.py")


def code_fingerprint(*also: str) -> str:
    """A hash of the source that determines a run's numbers (uncommitted edits included), and
    of the files `also` (paths from the repository's root) that determine a kind of folder's."""
    root = Path(__file__).resolve().parent.parent
    files = [p for package in _CODE for p in sorted((root / package).rglob("*")) if p.is_file()]
    files += [root / name for name in (*_CODE_FILES, *also)]
    digest = hashlib.sha256()
    for path in files:
        if path.suffix in (".py", ".toml"):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def preset_fingerprint(preset: Any) -> dict[str, Any]:
    """What a loaded preset resolves to: every city's parameters and policy, the region's
    parameters, the days and the catalogue (JSON-ready)."""
    catalogue = json.dumps(preset.catalogue.model_dump(mode="json"), sort_keys=True)
    return {
        "days": preset.days,
        "parameters": preset.parameters.model_dump(mode="json"),
        "policy": [i.to_dict() for i in preset.policy],
        "cities": [
            {
                "name": c.name,
                "parameters": preset.city_parameters(c).model_dump(mode="json"),
                "policy": [i.to_dict() for i in c.policy],
            }
            for c in preset.cities
        ],
        "region": preset.region.model_dump(mode="json"),
        "catalogue": hashlib.sha256(catalogue.encode()).hexdigest()[:16],
    }


def fingerprint_difference(old: Any, new: dict[str, Any]) -> str | None:
    """Why results made under `old` may not be mixed with runs made under `new` (None: same)."""
    if not isinstance(old, dict) or "code" not in old or "spec" not in old:
        return "the record of what made them is missing or not govsim's"
    if old.get("code") != new["code"]:
        return (
            f"govsim's model code has changed since (version {old.get('govsim')} ->"
            f" {new['govsim']}, source {old.get('code')} -> {new['code']})"
        )
    if "libraries" in new and old.get("libraries") != new["libraries"]:
        was = old.get("libraries") or {}
        changed = [
            f"{name} {was.get(name, '?')} -> {version}"
            for name, version in new["libraries"].items()
            if was.get(name) != version
        ]
        return f"the libraries its numbers depend on have changed since ({', '.join(changed)})"
    if old.get("spec") != new["spec"]:
        keys = sorted(set(old.get("spec") or {}) | set(new["spec"]))
        changed = [k for k in keys if (old.get("spec") or {}).get(k) != new["spec"].get(k)]
        return f"the experiment file has changed since ({', '.join(changed)})"
    old_presets = old.get("presets") or {}
    for name, data in new["presets"].items():
        if old_presets.get(name) != data:
            return f"preset {name!r} has changed since (its file, or the catalogue, was edited)"
    if "targets" in new and old.get("targets") != new["targets"]:
        return "the targets it fits or holds out have changed since (the targets file was edited)"
    if "runs" in new and old.get("runs") != new["runs"]:
        return (
            "the runs the experiment file expands to have changed since (their sweep points,"
            " presets or seeds: the code that expands a design was changed)"
        )
    return None
