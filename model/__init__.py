"""The govsim model: parameters, service environment, interventions, case flow and outcomes."""

from model.outcomes import OUTCOMES, Outcome
from model.parameters import ParameterError, Parameters
from model.simulation import CityModel

__all__ = ["OUTCOMES", "CityModel", "Outcome", "ParameterError", "Parameters"]
