"""Requester agents made in bulk are the agents Mesa's one-by-one creation makes."""

from __future__ import annotations

import mesa
import pytest
from mesa.model import ModelSignals

from agents.citizen import Citizen
from agents.enterprise import Enterprise
from agents.requesters import RequesterPool


def made(bulk: bool, rows=range(5)) -> tuple[mesa.Model, list]:
    model = mesa.Model(rng=0)
    pool = RequesterPool("citizen", 10)
    firms = RequesterPool("enterprise", 10)
    first = [Enterprise(model, firms, 0, "city")]  # another type registered before
    if bulk:
        agents = Citizen.create_rows(model, pool, rows, "city")
        agents += Citizen.create_rows(model, pool, [7, 8], "city")  # the type's set exists
        agents += Enterprise.create_rows(model, firms, [1, 2], "city")
    else:
        agents = [Citizen(model, pool, r, "city") for r in [*rows, 7, 8]]
        agents += [Enterprise(model, firms, r, "city") for r in [1, 2]]
    return model, first + agents


def described(model: mesa.Model, agents: list) -> list:
    def one(a):
        d = {k: v for k, v in vars(a).items() if k not in ("model", "pool")}
        return (type(a).__name__, d, a.model is model)

    return [one(a) for a in agents]


def test_bulk_agents_match_one_by_one():
    m1, bulk = made(True)
    m2, single = made(False)
    assert described(m1, bulk) == described(m2, single)
    assert [list(vars(a)) for a in bulk] == [list(vars(a)) for a in single]
    assert [a.unique_id for a in m1.agents] == [a.unique_id for a in m2.agents]
    assert list(m1.agents) == bulk
    for kind in (Citizen, Enterprise):
        ids = [a.unique_id for a in m1.agents_by_type[kind]]
        assert ids == [a.unique_id for a in m2.agents_by_type[kind]]
    assert m1.agent_id_counter == m2.agent_id_counter
    bulk[3].remove()
    assert bulk[3] not in m1.agents
    assert bulk[3] not in m1.agents_by_type[Citizen]
    Citizen(m1, bulk[1].pool, 9, "city")  # Mesa's own creation carries on from the bulk ids
    assert m1.agent_id_counter == m2.agent_id_counter + 1


def test_no_rows_no_agents():
    model = mesa.Model(rng=0)
    assert Citizen.create_rows(model, RequesterPool("citizen", 1), [], None) == []
    assert len(model.agents) == 0


@pytest.mark.parametrize("bulk_first", [True, False])
def test_listeners_are_told_of_every_agent(bulk_first):
    class Ear:
        def __init__(self) -> None:
            self.heard = []

        def hear(self, signal) -> None:
            self.heard.append(signal)

    model, ear = mesa.Model(rng=0), Ear()
    model.observe("agents", ModelSignals.AGENT_ADDED, ear.hear)  # held by a weak reference
    pool = RequesterPool("citizen", 5)
    if bulk_first:
        Citizen.create_rows(model, pool, range(3), None)
    else:
        for r in range(3):
            Citizen(model, pool, r, None)
    assert len(ear.heard) == 3


def test_bulk_agents_take_no_more_memory_than_one_by_one():
    """Bulk creation keeps each agent's attributes inline, as `__init__` does: writing them
    through `agent.__dict__` made a dict per agent, twice the memory (docs/performance.md)."""
    import tracemalloc

    def allocated(bulk: bool) -> int:
        model, pool = mesa.Model(rng=0), RequesterPool("citizen", 1)
        Citizen(model, pool, 0, "city")  # the type's agent set exists in both
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        if bulk:
            agents = Citizen.create_rows(model, pool, range(1, 3001), "city")
        else:
            agents = [Citizen(model, pool, r, "city") for r in range(1, 3001)]
        used = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        assert len(agents) == 3000
        return used

    # the two ways hold the same objects; 10% covers the different growth of the agent tables
    assert allocated(True) <= 1.1 * allocated(False)
