"""Design specs written and loaded by the optimiser's spec tests: one that loads, and one that
is refused in one line naming the file first."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.optimise import DesignSpec, load_spec
from world.errors import ParameterError


def loaded_spec(tmp_path: Path, text: str) -> DesignSpec:
    """Write `text` as a design spec and load it."""
    path = tmp_path / "design.toml"
    path.write_text(text, encoding="utf-8")
    return load_spec(path)


def spec_error(tmp_path: Path, text: str) -> tuple[Path, str]:
    """Write `text` as a design spec and load it: (its path, the one-line message refusing it)."""
    path = tmp_path / "design.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}:"), message
    return path, message
