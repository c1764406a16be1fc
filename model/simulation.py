"""The Mesa model: one city, or several competing for firms and residents."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import mesa
import numpy as np
import pandas as pd

from model.caseflow import Placement
from model.city import STREAMS, City, CitySpec
from model.competition import Competition
from model.ledger import combine
from model.outcomes import OUTCOMES, summary_value
from world.catalogue import Catalogue
from world.interventions import Intervention
from world.parameters import Parameters, RegionParameters


class _SharedSwitch:
    """A process-wide setting switched off while any of several blocks runs (builds and days of
    models in different threads, dashboard sessions): the first block to start saves it and
    switches it off, the last to end restores it."""

    def __init__(self, switch_off: Callable[[], Any], restore: Callable[[Any], Any]) -> None:
        self._switch_off, self._restore = switch_off, restore
        self._lock = threading.Lock()
        self._running = 0
        self._saved: Any = None

    @contextmanager
    def off(self) -> Iterator[None]:
        with self._lock:
            if self._running == 0:
                self._saved = self._switch_off()
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0:
                    self._restore(self._saved)


# Python's cyclic garbage collector is paused while a city is built and while a day runs.
# - A build makes a million agents and no garbage cycles; each collection would scan the agents
#   made so far (a third of the time of making them).
# - A day makes no garbage cycles either (every automatic collection during a year at 100,000
#   and at 1,000,000 citizens collected nothing), but its bursts of cases, visits and agenda
#   entries set off young collections: at 1,000,000 citizens a day's burst is many times the
#   young generation's threshold, so collections came 30 times as often as at 100,000, and each
#   looked at objects further apart in memory: about 10% of a 1,000,000 city-year's days,
#   against nothing measurable at 100,000 (docs/performance.md). A full collection scans every
#   tracked object, the agents included; the day's cases set one off every week or so, a third
#   of a 1,000,000 city-year before full collections were kept out of the days.
# A batch run pauses it for all its days (`collector_paused`, experiments.one_run.advance). When
# the last of the builds, runs and days going on at once (dashboard sessions) ends, automatic
# collection comes back as it was; after a day stepped on its own, the young generations are
# collected once (the day's survivors). Full collections come with the usual thresholds.
def _collector_off() -> bool:
    was = gc.isenabled()
    gc.disable()
    return was


_collector = _SharedSwitch(_collector_off, lambda was: gc.enable() if was else None)


@contextmanager
def collector_paused(*, collect_young_after: bool = False) -> Iterator[None]:
    """No automatic garbage collection in the block: a batch run's days (no collection at all:
    even one young collection after each day looks at some 40,000 of the day's survivors at
    1,000,000 citizens, about 3 s a city-year), or one day stepped on its own
    (`collect_young_after`: then the young generations are collected once, if this was the last
    block and the collector is back on). Safe because the days make no garbage cycles (every
    preset, tested in tests/model/test_collector.py)."""
    with _collector.off():
        yield
    if collect_young_after and gc.isenabled():
        gc.collect(1)  # arithmetic: generations 0 and 1, the young ones


# numpy asks the kernel for huge pages for every array of 4 MiB or more (madvise). Where the
# kernel compacts memory to find one (transparent huge pages with defrag "madvise", as on this
# project's 2-core machine), each such array's first touch cost about 12 ms per MiB of system
# time: 3.4 of a 5.4 s build at 1,000,000 citizens, against 0.4 s without the advice
# (docs/performance.md). A city's days gain nothing measurable from huge pages (same run time).
_set_hugepage_advice = getattr(np._core.multiarray, "_set_madvise_hugepage", None)
_hugepage_advice = _SharedSwitch(
    lambda: _set_hugepage_advice(False) if _set_hugepage_advice else None,
    lambda was: _set_hugepage_advice(was) if _set_hugepage_advice else None,
)


@contextmanager
def building() -> Iterator[None]:
    """Build a city: no automatic garbage collection and no huge-page advice for new arrays
    (both above), each restored when the last of the builds and days running at once ends."""
    with _collector.off(), _hugepage_advice.off():
        yield


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
        weights = {c.parameters.agent_weight for c in cities}
        if len(weights) > 1:  # competition compares cities' agent counts
            raise ValueError(f"cities of one model need the same agent_weight: {sorted(weights)}")
        self.region = region or RegionParameters()
        # Each city's streams are spawned in order, so the first city of any model is built and
        # run exactly as the same city alone.
        with building():
            self.cities = [
                City(self, k, spec, self.rng.spawn(len(STREAMS)), self.place_startups)
                for k, spec in enumerate(cities)
            ]
        self.competition = Competition(self, self.rng.spawn(1)[0])
        self.datacollector = mesa.DataCollector(
            model_reporters={"day": "day"},
            tables={"cities": ["day", "city", *(o.name for o in OUTCOMES)]},
        )
        self.day = -1

    @property
    def city(self) -> City:
        """The only city of a one-city model."""
        if len(self.cities) != 1:
            raise AttributeError(
                f"this model has {len(self.cities)} cities: use model.cities[i] or city_named()"
            )
        return self.cities[0]

    # The only city's parts, read-only (a one-city model; several cities: model.cities[i]).
    p = property(lambda self: self.city.p, doc="The only city's parameters")
    env = property(lambda self: self.city.env, doc="The only city's service environment")
    ledger = property(lambda self: self.city.ledger, doc="The only city's recorded days")
    flow = property(lambda self: self.city.flow, doc="The only city's case flow")
    judge = property(lambda self: self.city.judge, doc="The only city's judge of cases")
    citizens = property(lambda self: self.city.citizens, doc="The only city's citizen rows")
    enterprises = property(lambda self: self.city.enterprises, doc="The only city's firm rows")
    citizen_agents = property(lambda self: self.city.citizen_agents, doc="Citizen agents")
    enterprise_agents = property(lambda self: self.city.enterprise_agents, doc="Firm agents")
    citizen_network = property(lambda self: self.city.citizen_network, doc="Citizens' ties")
    enterprise_network = property(lambda self: self.city.enterprise_network, doc="Firms' ties")
    offices = property(lambda self: self.city.offices, doc="The only city's offices")
    office_network = property(lambda self: self.city.office_network, doc="Offices' links")
    government = property(lambda self: self.city.government, doc="The only city's government")
    offices_by_key = property(lambda self: self.city.offices_by_key, doc="Offices by key")

    def city_named(self, name: str) -> City:
        for c in self.cities:
            if c.name == name:
                return c
        raise KeyError(f"no city {name!r}; cities: {[c.name for c in self.cities]}")

    # --- the day ----------------------------------------------------------------------------------
    def step(self) -> None:
        with collector_paused(collect_young_after=True):
            self._day()

    def _day(self) -> None:
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
    def place_startups(self, origin: City, n: int) -> Placement:
        """Founders from `origin` choose where to register: (case flow, new rows, which)."""
        targets = self.competition.startup_cities(origin.index, n)
        out: Placement = []
        for k in np.unique(targets).tolist():
            which = np.flatnonzero(targets == k)
            city = self.cities[k]
            out.append((city.flow, city.found_enterprises(len(which)), which))
        return out

    def move(self, kind: int, origin: City, row: int, target: City) -> None:
        """A firm relocates or a resident moves (`kind`): its row closes in `origin`, its agent
        carries its attributes to a new row in `target`."""
        agent, values = origin.leave(kind, row)
        target.arrive(kind, agent, values)

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
