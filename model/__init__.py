"""The govsim model: the cities, their case flow and its judging, the competition between them,
the day record, ledger and outcomes, and the Mesa model that runs it all (`CityModel`)."""

from model.outcomes import OUTCOMES, Outcome
from model.simulation import CityModel
from world.errors import ParameterError
from world.parameters import Parameters

__all__ = ["OUTCOMES", "CityModel", "Outcome", "ParameterError", "Parameters"]
