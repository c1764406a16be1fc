"""A design spec that is refused: one line, naming the file first (shared by the optimiser's
spec tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.optimise import load_spec
from world.errors import ParameterError


def spec_error(tmp_path: Path, text: str) -> tuple[Path, str]:
    """Write `text` as a design spec and load it: (its path, the one-line message refusing it)."""
    path = tmp_path / "design.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}:"), message
    return path, message
