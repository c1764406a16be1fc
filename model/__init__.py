"""The govsim model: the cities, their case flow and its judging, the competition between them,
the day record, ledger and outcomes, and the Mesa model that runs it all (`CityModel`).

Names are imported when first used, so that a light module of this package (the outcomes'
declarations, say) does not bring in Mesa and pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "OUTCOMES": "model.outcomes",
    "Outcome": "model.outcomes",
    "CityModel": "model.simulation",
    "ParameterError": "world.errors",
    "Parameters": "world.parameters",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
