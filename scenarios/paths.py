"""Where presets and the service catalogue are: found and named without loading them.

Light on purpose (no pydantic, no model): the command line answers a misspelt preset name with
this module alone.
"""

from __future__ import annotations

from pathlib import Path

from world.errors import ScenarioError, unknown_name_message

HERE = Path(__file__).parent
PRESET_DIR = HERE / "presets"
DEFAULT_CATALOGUE = HERE / "catalogue.toml"
TARGETS_DIR = HERE / "targets"  # observed facts for calibration and validation
PARAMETER_SET_DIR = HERE / "parameter_sets"  # calibrated parameters, loaded by name


def parameter_set_names() -> list[str]:
    """The parameter sets that come with govsim, by name."""
    return sorted(p.stem for p in PARAMETER_SET_DIR.glob("*.toml"))


def parameter_set_path(name_or_file: str, relative_to: Path) -> Path:
    """A parameter set under scenarios/parameter_sets by name, or a TOML file (a path relative
    to the file that names it), such as the `calibrated.toml` that `govsim calibrate` writes."""
    if name_or_file.endswith(".toml"):
        return relative_to / name_or_file
    path = PARAMETER_SET_DIR / f"{name_or_file}.toml"
    if not path.exists():
        raise ScenarioError(
            unknown_name_message("parameter set", name_or_file, parameter_set_names())
        )
    return path


def preset_names() -> list[str]:
    """The presets that come with govsim, by name."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def preset_path(name_or_file: str | Path) -> Path:
    """A preset name under scenarios/presets, or a path to a TOML file."""
    candidate = Path(name_or_file)
    if candidate.suffix == ".toml" or candidate.exists():
        return candidate
    path = PRESET_DIR / f"{name_or_file}.toml"
    if not path.exists():
        raise ScenarioError(unknown_name_message("preset", str(name_or_file), preset_names()))
    return path
