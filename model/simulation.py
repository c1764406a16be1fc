"""The Mesa model: one city, or several competing for firms and residents."""

from __future__ import annotations

from collections.abc import Sequence

import mesa
import numpy as np
import pandas as pd

from agents.requesters import Requester, RequesterPool
from model.city import STREAMS, City, CitySpec
from model.competition import Competition
from model.outcomes import OUTCOMES, combine, summary_value
from world.catalogue import Catalogue
from world.interventions import Intervention
from world.parameters import Parameters, RegionParameters

# Attributes of the only city that a one-city model offers directly (model.offices, ...).
_CITY_ATTRIBUTES = (
    "p",
    "env",
    "ledger",
    "flow",
    "citizens",
    "enterprises",
    "citizen_agents",
    "enterprise_agents",
    "citizen_network",
    "enterprise_network",
    "offices",
    "office_network",
    "government",
    "offices_by_key",
)


class CityModel(mesa.Model):
    """One city, or several competing cities, each under its own policy package.

    One step is one day, in fixed phases, each run for every city before the next begins:
    1. interventions: governments start, end, defer or suspend reforms (they set the environment);
    2. arrivals: citizens and enterprises with a life event open cases (founders choose a city);
    3. offices: on working days each office serves its counter queue;
    4. requesters: decided approvals move cases on, cases end, requesters judge them and tell
       their contacts (word of mouth), complaints are filed and acted on;
    5. learning and competition: civil servants learn, forget, are trained and replaced; firms
       close; cities' images follow their reality; firms and residents reconsider their city;
    6. outcomes: governments book revenue and cost; the ledger and the DataCollector record the day.

    With one city (the usual `CityModel(parameters, catalogue, policy, rng=seed)`), the city's
    parts are also reachable on the model (`model.offices`, `model.flow`, ...).
    """

    def __init__(
        self,
        parameters: Parameters | None = None,
        catalogue: Catalogue | None = None,
        policy: Sequence[Intervention] = (),
        rng: int | None = 0,
        name: str = "city",
        *,
        cities: Sequence[CitySpec] | None = None,
        region: RegionParameters | None = None,
    ) -> None:
        super().__init__(rng=rng)
        if cities is None:
            if catalogue is None:
                raise ValueError("CityModel needs a catalogue (scenarios.load_catalogue())")
            cities = [CitySpec(name, parameters or Parameters(), catalogue, list(policy))]
        elif parameters is not None or catalogue is not None or policy:
            raise ValueError("give either `cities` or one city's parameters, catalogue, policy")
        if not cities:
            raise ValueError("a model needs at least one city")
        names = [c.name for c in cities]
        if len(set(names)) != len(names):
            raise ValueError(f"city names must differ: {names}")
        self.region = region or RegionParameters()
        # Each city's streams are spawned in order, so the first city of any model is built and
        # run exactly as the same city alone.
        self.cities = [
            City(self, k, spec, self.rng.spawn(len(STREAMS))) for k, spec in enumerate(cities)
        ]
        self.competition = Competition(self, self.rng.spawn(1)[0])
        self.datacollector = mesa.DataCollector(
            model_reporters={"day": "day"},
            tables={"cities": ["day", "city", *(o.name for o in OUTCOMES)]},
        )
        self.day = -1

    def __getattr__(self, name: str):
        if name in _CITY_ATTRIBUTES:
            return getattr(self.city, name)
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    @property
    def city(self) -> City:
        """The only city of a one-city model."""
        if len(self.cities) != 1:
            raise AttributeError(
                f"this model has {len(self.cities)} cities: use model.cities[i] or city_named()"
            )
        return self.cities[0]

    def city_named(self, name: str) -> City:
        for c in self.cities:
            if c.name == name:
                return c
        raise KeyError(f"no city {name!r}; cities: {[c.name for c in self.cities]}")

    # --- the day ----------------------------------------------------------------------------------
    def step(self) -> None:
        self.day = day = round(self.time) - 1
        reform_costs = [c.start_day(day) for c in self.cities]
        for c in self.cities:
            c.flow.arrivals(day)
        for c in self.cities:
            c.serve(day)
        for c in self.cities:
            c.requesters(day)
        exits = [c.learn_and_close(day) for c in self.cities]
        levels = self.competition.step(day)
        for c, cost, closed, extra in zip(self.cities, reform_costs, exits, levels, strict=True):
            c.close_day(day, cost, closed, extra)
        self.datacollector.collect(self)
        for c in self.cities:
            self.datacollector.add_table_row(
                "cities", {"day": day, "city": c.name, **c.series_row()}
            )

    # --- moves between cities, for the competition phase -----------------------------------------
    def place_startups(self, origin: City, n: int) -> list[tuple[City, np.ndarray, np.ndarray]]:
        """Founders from `origin` choose where to register: (city, new rows, which founders)."""
        targets = self.competition.startup_cities(origin.index, n)
        out = []
        for k in np.unique(targets).tolist():
            which = np.flatnonzero(targets == k)
            city = self.cities[k]
            out.append((city, city.found_enterprises(len(which)), which))
        return out

    def move_enterprise(self, origin: City, row: int, target: City) -> None:
        """A firm relocates: it closes its row in `origin` and opens one in `target`."""
        new, agent = _move(origin.enterprises, origin.enterprise_agents, row, target.enterprises)
        agent.city = target
        target.enterprise_agents.append(agent)
        target.tie_in_enterprise(new)
        origin.flow.sums["firm_moves_out"] += 1
        target.flow.sums["firm_moves_in"] += 1

    def move_citizen(self, origin: City, row: int, target: City) -> None:
        """A resident moves: the row closes in `origin`, a new one opens in `target`."""
        new, agent = _move(origin.citizens, origin.citizen_agents, row, target.citizens)
        agent.city = target
        target.citizen_agents.append(agent)
        target.tie_in_citizen(new)
        origin.flow.sums["resident_moves_out"] += 1
        target.flow.sums["resident_moves_in"] += 1

    # --- results ----------------------------------------------------------------------------------
    def summary(self) -> dict[str, float]:
        """Every outcome for the whole model: the city's, or the region's (all cities pooled)."""
        if len(self.cities) == 1:
            return self.cities[0].summary()
        led = combine([c.ledger for c in self.cities])
        w = self.cities[0].p.summary_window_days
        return {o.name: summary_value(o, led, self.day, w) for o in OUTCOMES}

    def city_summaries(self) -> list[dict[str, float | str]]:
        """One summary per city, with its name."""
        return [{"name": c.name, **c.summary()} for c in self.cities]

    def timeseries(self) -> pd.DataFrame:
        """The DataCollector's city table: one row per day and city, one column per outcome."""
        return self.datacollector.get_table_dataframe("cities")


def _move(pool: RequesterPool, agents: list, row: int, to: RequesterPool) -> tuple[int, Requester]:
    """Carry a requester's row to another pool and re-point its agent: (new row, agent)."""
    values = pool.row_values(row)
    if "red_tape" in values:
        values["red_tape"] = 0.0  # red tape felt in the old city stays behind
    pool.set_active(row, False)
    agent = agents[row]
    agents[row] = None
    assert isinstance(agent, Requester)
    new = int(to.append(1, **values)[0])
    agent.pool, agent.row = to, new
    return new, agent
