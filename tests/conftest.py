"""Shared fixtures: the real catalogue and a small, fast city."""

from __future__ import annotations

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
