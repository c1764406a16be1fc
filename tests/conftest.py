"""Shared fixtures: the real catalogue and a small, fast city."""

from __future__ import annotations

import os

import pytest

from model import Parameters
from scenarios import load_catalogue
from world.catalogue import Catalogue


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def small() -> Parameters:
    """A town small enough for a year to run in a fraction of a second."""
    return Parameters(n_citizens=2000, n_enterprises=100)


@pytest.fixture(scope="session", autouse=True)
def _no_inherited_terminal_size() -> None:
    """Commands run as subprocesses see no COLUMNS or LINES: GNU readline (imported by pytest's
    debugger support) puts its terminal's size into the C environment, outside os.environ, and
    the command line would lay its tables out for that terminal instead of a pipe's 120
    columns. A test that wants a width passes COLUMNS itself."""
    for name in ("COLUMNS", "LINES"):
        os.unsetenv(name)
