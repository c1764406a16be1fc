"""The govsim model: parameters, service environment, interventions, case flow and outcomes."""

from model.city import CityModel
from model.outcomes import OUTCOMES, Outcome
from model.parameters import ParameterError, Parameters

__all__ = ["OUTCOMES", "CityModel", "Outcome", "ParameterError", "Parameters"]
