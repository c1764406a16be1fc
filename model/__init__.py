"""The govsim model: parameters, service environment, interventions, case flow and outcomes."""

from model.outcomes import OUTCOMES, Outcome
from model.simulation import CityModel
from world.parameters import ParameterError, Parameters

__all__ = ["OUTCOMES", "CityModel", "Outcome", "ParameterError", "Parameters"]
