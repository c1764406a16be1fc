"""Sharing a dashboard setup: as a preset file, and as a link.

A *setup* is what the dashboard runs: a preset (or lesson) with the controls a person changed
(parameters, each city's reforms on or off, their start days and intensities) and a seed.

- `preset_toml` writes the running setup as a preset TOML file, which `govsim run FILE` reads
  like any preset (the seed is in a comment: `# seed = 3`, as TOML presets have no seed key).
- `store_upload` takes such a file back (or any preset file a person wrote), checks it with the
  preset loader (the same one-line errors, naming the uploaded file's name) and keeps it under
  `shared_dir()`; the session then runs the *reference* to that file (`viz.dashboard_model`).
- `share_query` is the URL query that reopens the setup: `preset=NAME` (and `lesson=KEY`), the
  seed and each changed control, readable (`one_stop.start=30`, `laggard:one_stop.on=1`);
  a setup that started from a loaded file carries the whole file instead (`file=`, compressed).
  `open_query` reads it back, checked like a file.

Exact by construction: the link's controls are applied by the same `configure` as the panel's,
and the file's numbers are written with Python's shortest exact float text.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from scenarios import Preset, ScenarioError, load_preset, preset_names
from scenarios.preset_files import preset_text
from viz.dashboard_model import (
    FIXED_CONTROLS,
    city_policy,
    configure,
    control_name,
    parse_seed,
    reform_cities,
    reform_defaults,
    session_preset,
    split_reference,
)
from viz.lessons import LESSONS
from world.errors import ParameterError
from world.parameters import Parameters

MAX_FILE_BYTES = 200_000  # a preset is a few kB; anything far larger is not one
SEED_LINE = re.compile(r"^#\s*seed\s*=\s*(\d+)\s*$", re.MULTILINE)


MAX_SHARED_FILES = 500  # loaded files kept; beyond, the least recently loaded go first


def shared_dir() -> Path:
    """Where loaded preset files are kept (content-addressed): $GOVSIM_SHARED_DIR, else a
    govsim-shared folder in the system's temporary folder."""
    env = os.environ.get("GOVSIM_SHARED_DIR")
    return Path(env) if env else Path(tempfile.gettempdir()) / "govsim-shared"


# --- the setup as a preset file ----------------------------------------------------------------


def preset_toml(config: Preset, seed: int = 0, name: str = "") -> str:
    """The preset file of a running setup (`DashboardModel.config` and its seed): every
    parameter that differs from its declared default, the region's, and each policy package."""
    title = f" {name!r}" if name else ""
    comments = [
        f"govsim preset: the dashboard's setup of{title}, exported to share or run again.",
        f"Run it: govsim run THIS_FILE.toml --seed {seed}   (or load it in the dashboard)",
        f"seed = {seed}",
    ]
    return preset_text(config, comments)


def export_filename(reference: str) -> str:
    """The name offered for the downloaded file: the preset's, marked as a dashboard setup."""
    stem = Path(split_reference(reference)[0]).stem
    stem = stem.removesuffix("_setup")
    return f"{stem}_setup.toml"


def file_seed(text: str) -> int:
    """The seed a preset file names in its `# seed = N` comment (0 when it names none)."""
    match = SEED_LINE.search(text)
    if not match:
        return 0
    try:
        return parse_seed(match.group(1))
    except ParameterError:
        return 0


def store_upload(name: str, data: bytes) -> tuple[str, int]:
    """Check a preset file a person loaded and keep it; its reference and seed.

    Any problem is the preset loader's one-line ScenarioError, naming the file as it was called
    on the person's machine (not where it is kept)."""
    shown = Path(name or "preset.toml").name
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(f"{shown}: too large for a preset ({len(data):,} bytes)")
    stem = re.sub(r"[^A-Za-z0-9_\-]", "_", Path(shown).stem)[:60] or "preset"
    folder = shared_dir() / hashlib.sha256(data).hexdigest()[:20]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.toml"
    path.write_bytes(data)
    try:
        load_preset(path, other_files=False)  # it may name no file on this server
    except ScenarioError as exc:
        path.unlink(missing_ok=True)
        _remove_if_empty(folder)
        raise ScenarioError(str(exc).replace(str(path), shown)) from None
    os.utime(folder)  # loaded now: the last to go
    _keep_newest(shared_dir(), MAX_SHARED_FILES)
    text = data.decode("utf-8-sig")
    return str(path), file_seed(text)


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (the same file loaded well before) or gone
        folder.rmdir()


def _keep_newest(root: Path, keep: int) -> None:
    """Bound the disk that loaded files take: only the `keep` most recently loaded stay (a
    session still using an older one gets the loader's 'no such preset' on its next Reset; a
    share link carries its whole file, so it still opens)."""
    folders = sorted(
        (f for f in root.iterdir() if f.is_dir()), key=lambda f: f.stat().st_mtime, reverse=True
    )
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def with_seed(reference: str, seed: int) -> str:
    """A reference with its seed set (kept out when 0)."""
    name, controls = split_reference(reference)
    controls.pop("seed", None)
    if seed:
        controls = {"seed": str(seed), **controls}
    return f"{name}?{_encode(controls)}" if controls else name


# --- the setup as a link -------------------------------------------------------------------------


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _encode(values: dict[str, str]) -> str:
    return urlencode(values, safe=":")


def setup_controls(base: Preset, config: Preset) -> dict[str, str]:
    """The controls that turn `base` into `config` (what the reform panel and the parameters
    changed), as text: `configure(base, setup_controls(base, config))` gives `config` back."""
    out: dict[str, str] = {}
    for name in Parameters.model_fields:
        now = getattr(config.parameters, name)
        if now != getattr(base.parameters, name):
            out[name] = _text(now)
    for city in reform_cities(base):
        now = {i.key: i for i in city_policy(config, city)}
        for key, (was_on, was) in reform_defaults(base, city).items():
            if (key in now) != was_on:
                out[control_name(key, "on", city)] = _text(key in now)
            if key in now:
                if now[key].start != was.start:
                    out[control_name(key, "start", city)] = _text(now[key].start)
                if now[key].intensity != was.intensity:
                    out[control_name(key, "intensity", city)] = _text(now[key].intensity)
    return out


def _pack(text: str) -> str:
    return base64.urlsafe_b64encode(zlib.compress(text.encode(), 9)).decode().rstrip("=")


def _unpack(blob: str) -> bytes:
    try:
        packed = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
        d = zlib.decompressobj()
        data = d.decompress(packed, MAX_FILE_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise ScenarioError(
            "link: the preset file in it is damaged (copy the whole link)"
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError("link: the preset file in it is too large")
    return data


def share_query(reference: str, lesson: str, config: Preset, seed: int) -> str:
    """The URL query that reopens a running setup (the model's reference, lesson, config, seed).

    From a preset that comes with govsim: its name and the changed controls; from a loaded file:
    the whole setup as a compressed preset file."""
    name = split_reference(reference)[0]
    if name not in preset_names():
        stem = Path(name).stem
        return _encode({"name": stem, "file": _pack(preset_toml(config, seed, stem))})
    query = {"preset": name}
    if lesson:
        query["lesson"] = lesson
    if seed:
        query["seed"] = str(seed)
    query.update(setup_controls(session_preset(name, lesson), config))
    return _encode(query)


def open_query(search: str) -> tuple[str, str]:
    """The reference and lesson a share link's query names, checked: any problem is one line."""
    values = dict(parse_qsl(search.lstrip("?"), keep_blank_values=True))
    if "file" in values:
        data = _unpack(values.pop("file"))
        reference, seed = store_upload(f"{values.get('name') or 'link'}.toml", data)
        return with_seed(reference, seed), ""
    name = values.pop("preset", "")
    if name not in preset_names():
        from world.errors import unknown_name_message

        raise ScenarioError("link: " + unknown_name_message("preset", name, preset_names()))
    lesson = values.pop("lesson", "")
    if lesson and lesson not in LESSONS:
        raise ScenarioError(f"link: no lesson {lesson!r}")
    if lesson and LESSONS[lesson].preset != name:
        raise ScenarioError(f"link: lesson {lesson!r} runs preset {LESSONS[lesson].preset!r}")
    seed = values.pop("seed", "0")
    try:
        parse_seed(seed)
    except ParameterError as exc:
        raise ScenarioError(f"link: {exc}") from None
    for fixed in FIXED_CONTROLS:
        values.pop(fixed, None)
    # a link with a problem is not opened at all: no value of it is kept or used
    _, problems = configure(session_preset(name, lesson), values, say_kept=False)
    if problems:
        raise ScenarioError(f"link: {problems[0]}")
    query = {"seed": seed, **values} if parse_seed(seed) else values
    return (f"{name}?{_encode(query)}" if query else name), lesson
