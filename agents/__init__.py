"""Mesa agents of govsim: citizens, enterprises, offices with their civil servants, government."""

from agents.citizen import Citizen
from agents.enterprise import Enterprise
from agents.government import CityGovernment
from agents.office import CivilServant, Office
from agents.requesters import RequesterPool

__all__ = ["Citizen", "CityGovernment", "CivilServant", "Enterprise", "Office", "RequesterPool"]
