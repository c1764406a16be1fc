"""Agent weights (`agent_weight` k): a city of n residents run with n/k agents, its counts
multiplied back by k; per-capita outcomes as an unweighted run's where offices stay large."""

from __future__ import annotations

import pytest

from model import CityModel, Parameters
from model.city import CitySpec
from scenarios import load_preset
from world.errors import ParameterError


def test_weight_one_runs_the_parameters_as_given() -> None:
    p = Parameters()
    assert p.agent_scale() is p


def test_weight_divides_the_counts_and_nothing_per_capita() -> None:
    p = Parameters(n_citizens=20_000, n_enterprises=1_000, agent_weight=10)
    a = p.agent_scale()
    assert (a.n_citizens, a.n_enterprises, a.agent_weight) == (2_000, 100, 10)
    assert a.entry_news_startups == p.entry_news_startups / 10
    same = {"n_citizens", "n_enterprises", "entry_news_startups"}
    assert {k: v for k, v in a.model_dump().items() if k not in same} == {
        k: v for k, v in p.model_dump().items() if k not in same
    }


def test_too_many_agents_need_a_weight() -> None:
    with pytest.raises(ParameterError, match="agent_weight"):
        Parameters.build({"n_citizens": 25_000_000, "n_enterprises": 1_250_000})
    p = Parameters.build({"n_citizens": 25_000_000, "n_enterprises": 1_250_000, "agent_weight": 10})
    assert p.agent_scale().n_citizens == 2_500_000


def test_a_weighted_city_reports_residents_and_firms_it_stands_for() -> None:
    preset = load_preset("baseline").with_overrides(
        {"n_citizens": 20_000, "n_enterprises": 1_000, "agent_weight": 10}
    )
    model = preset.build(0)
    city = model.city
    assert city.citizens.n_active == 2_000
    assert len(city.enterprise_agents) == 100
    for _ in range(5):
        model.step()
    out = city.summary()
    assert out["residents"] == 20_000
    assert 900 <= out["enterprises"] <= 1_000
    # the office minimum is for the whole city: one tenth of it in a city of one tenth
    assert min(o.staff for o in city.offices) >= min(o.spec.min_staff for o in city.offices) / 10


def test_cities_of_one_model_share_a_weight(catalogue) -> None:
    a = Parameters(n_citizens=2_000, n_enterprises=100)
    b = Parameters(n_citizens=20_000, n_enterprises=1_000, agent_weight=10)
    with pytest.raises(ValueError, match="agent_weight"):
        CityModel(cities=[CitySpec("a", a, catalogue), CitySpec("b", b, catalogue)], rng=0)
