"""Front-end files served locally, so the dashboard renders in a classroom with no internet.

solara-assets bundles solara's JavaScript under `<prefix>/share/solara/cdn`, but solara's altair
widget asks for `vega@5`, `vega-lite@5` and `vega-embed@6`, names the bundle lacks (it has the
full versions). We build a folder of symlinks to every bundled entry plus those three aliases and
point `SOLARA_ASSETS_PROXY_CACHE_DIR` at it; the venv itself is left untouched
(see ../shared/SOLARA_OFFLINE.md).

    python -m viz.offline_assets          # build (or refresh) the folder and say where it is
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The names solara's front end requests -> the bundled package they stand for.
ALIASES = {"vega@5": "vega", "vega-lite@5": "vega-lite", "vega-embed@6": "vega-embed"}


def bundled_dir() -> Path:
    """Where solara-assets put the front-end files (solara's own default cache folder)."""
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def default_target() -> Path:
    """Our symlink folder, beside the bundle inside the environment."""
    return Path(sys.prefix) / "share" / "govsim" / "solara-cdn"


def _newest(entries: list[str], package: str) -> str | None:
    """The bundled `package@x.y.z` with the highest version, or None."""
    found = [
        e for e in entries if e.startswith(package + "@") and e[len(package) + 1 :][:1].isdigit()
    ]
    if not found:
        return None

    def version(entry: str) -> tuple[int, ...]:
        return tuple(int(p) for p in entry.split("@", 1)[1].split(".") if p.isdigit())

    return max(found, key=version)


def build(target: Path | None = None, source: Path | None = None) -> Path:
    """Create `target` with a symlink to each bundled entry and the three vega aliases."""
    source = source or bundled_dir()
    target = target or default_target()
    if not source.is_dir():
        raise FileNotFoundError(
            f"{source}: solara's bundled front-end files are missing (pip install solara-assets)"
        )
    entries = sorted(p.name for p in source.iterdir())
    target.mkdir(parents=True, exist_ok=True)
    links = {name: source / name for name in entries}
    for alias, package in ALIASES.items():
        real = _newest(entries, package)
        if real is None:
            raise FileNotFoundError(f"{source}: no bundled {package}@... to alias as {alias}")
        links[alias] = source / real
    for name, dest in links.items():
        link = target / name
        if link.is_symlink() and Path(os.readlink(link)) == dest:
            continue
        if link.is_symlink() or link.is_file():
            link.unlink()
        elif link.exists():
            continue  # a real folder the proxy cached earlier: keep it
        link.symlink_to(dest, target_is_directory=dest.is_dir())
    return target


def missing(target: Path | None = None) -> list[str]:
    """Names the dashboard needs that do not resolve in `target` (empty when all is well)."""
    target = target or default_target()
    needed = [f"{a}/build/{p}.min.js" for a, p in ALIASES.items()]
    needed += ["requirejs@2.3.6/require.js"]
    return [n for n in needed if not (target / n).is_file()]


def environment(target: Path | None = None) -> dict[str, str]:
    """Environment variables for a solara server that never reaches outside localhost."""
    return {
        "SOLARA_ASSETS_PROXY_CACHE_DIR": str(build(target)),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_THEME_SHOW_BANNER": "False",
    }


def main() -> None:
    path = build()
    gaps = missing(path)
    if gaps:
        raise SystemExit(f"offline assets incomplete in {path}: {', '.join(gaps)}")
    print(f"the dashboard's offline front-end files are ready in {path}")


if __name__ == "__main__":
    main()
