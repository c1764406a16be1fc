"""The govsim model: parameters, service environment, interventions, case flow and outcomes."""

from model.outcomes import OUTCOMES, Outcome
from model.simulation import CityModel
from world.errors import ParameterError
from world.parameters import Parameters

__all__ = ["OUTCOMES", "CityModel", "Outcome", "ParameterError", "Parameters"]
