"""The govsim model: the cities, their case flow and its judging, the competition between them,
the day record, ledger and outcomes, and the Mesa model that runs it all (`CityModel`).

Names are imported when first used, so that a light module of this package (the outcomes'
declarations, say) does not bring in Mesa and pandas.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OUTCOMES", "CityModel", "Outcome", "ParameterError", "Parameters"]


def __getattr__(name: str) -> Any:
    if name in ("OUTCOMES", "Outcome"):
        from model import outcomes

        return getattr(outcomes, name)
    if name == "CityModel":
        from model.simulation import CityModel

        return CityModel
    if name == "ParameterError":
        from world.errors import ParameterError

        return ParameterError
    if name == "Parameters":
        from world.parameters import Parameters

        return Parameters
    raise AttributeError(f"module 'model' has no attribute {name!r}")
