"""The city model: determinism, invariants every step, presets, inspectable agents."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from agents import Citizen, CityGovernment, CivilServant, Enterprise, Office
from model import OUTCOMES, CityModel, Parameters
from scenarios import load_preset, preset_names
from world.calendar import is_working_day


def run(params, catalogue, policy=(), seed=0, days=120) -> CityModel:
    m = CityModel(params, catalogue, policy, rng=seed)
    for _ in range(days):
        m.step()
    return m


def test_same_seed_gives_identical_time_series(small, catalogue) -> None:
    full = load_preset("full_reform").policy
    a = run(small, catalogue, full, seed=7).timeseries()
    b = run(small, catalogue, full, seed=7).timeseries()
    pd.testing.assert_frame_equal(a, b)


def test_different_seeds_differ(small, catalogue) -> None:
    a = run(small, catalogue, seed=1).timeseries()
    b = run(small, catalogue, seed=2).timeseries()
    assert not a.equals(b)
    assert (a["days_per_case"] - b["days_per_case"]).abs().max() > 0


def test_population_does_not_depend_on_the_policy(small, catalogue) -> None:
    """Common random numbers: a reform never changes who lives in the city or who staffs it."""
    base = CityModel(small, catalogue, [], rng=3)
    reform = CityModel(small, catalogue, load_preset("full_reform").policy, rng=3)
    for col in ("digital", "patience", "expectation", "value_of_time"):
        np.testing.assert_array_equal(base.citizens.column(col), reform.citizens.column(col))
        np.testing.assert_array_equal(base.enterprises.column(col), reform.enterprises.column(col))
    for o1, o2 in zip(base.offices, reform.offices, strict=True):
        np.testing.assert_array_equal(o1.skill, o2.skill)
        np.testing.assert_array_equal(o1.inclination, o2.inclination)


@pytest.mark.parametrize("preset", ["baseline", "full_reform", "green_channel", "reform_midway"])
def test_invariants_hold_every_step(small, catalogue, preset) -> None:
    m = CityModel(small, catalogue, load_preset(preset).policy, rng=11)
    ended = 0
    for _ in range(200):
        m.step()
        d = m.day
        t = m.ledger.tally
        ended += t["ended_citizens"][d] + t["ended_enterprises"][d]
        # every case ever opened is either still open or has ended, exactly once
        assert m.flow.created == m.flow.open_cases + ended
        assert t["completed"][d] + t["abandoned"][d] == (
            t["ended_citizens"][d] + t["ended_enterprises"][d]
        )
        assert t["procedures"][d] >= t["completed"][d]  # at least one approval per case
        assert t["paid"][d] <= t["demanded"][d]
        for pool in (m.citizens, m.enterprises):
            s = pool.column("satisfaction")
            assert np.all((s >= 0) & (s <= 1))
        for o in m.offices:
            assert np.all((o.skill >= 0.05) & (o.skill <= 1))
            assert np.all((o.courtesy >= 0) & (o.courtesy <= 1))
            assert 0 <= o.detection <= 1 and 0 < o.familiarity <= 1
            assert 0 <= o.on_duty <= o.establishment
            # a counter on every working day its staffing opens one (lean staffing can cut an
            # office below one full-time post: then it opens on a share of working days)
            opens = is_working_day(d) and o.counters_on(o.staff_on_duty(m.env), d) >= 1
            assert (o.on_duty >= 1) == opens
        assert m.ledger.level["enterprises"][d] == m.enterprises.n_active
        active_agents = [a for a in m.agents_by_type[Enterprise] if a.active]
        assert len(active_agents) == m.enterprises.n_active
    assert m.flow.created > 500


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_loads_and_runs(name) -> None:
    preset = load_preset(name).with_overrides({"n_citizens": 1000, "n_enterprises": 50})
    m = preset.build(seed=0)
    for _ in range(30):
        m.step()
    summary = m.summary()
    assert set(summary) == {o.name for o in OUTCOMES}
    assert summary["cases_per_day"] > 0
    assert 0 <= summary["satisfaction_citizens"] <= 1


def test_summary_and_series_are_consistent(small, catalogue) -> None:
    m = run(small, catalogue, days=60)
    frame = m.timeseries()
    assert list(frame["day"]) == list(range(60))
    assert len(frame) == 60
    # instant outcomes in the series equal the day's level; the summary's 'last' rule takes the end
    assert frame["enterprises"].iloc[-1] == m.summary()["enterprises"]
    # the default summary window (90 days) is longer than the run: the whole-run ratio
    assert m.p.summary_window_days >= 60
    t = m.ledger.tally
    assert math.isclose(m.summary()["days_per_case"], t["days"].sum() / t["completed"].sum())
    # a shorter window takes only its last days
    short = run(small.model_copy(update={"summary_window_days": 20}), catalogue, days=60)
    t = short.ledger.tally
    assert math.isclose(
        short.summary()["days_per_case"], t["days"][40:60].sum() / t["completed"][40:60].sum()
    )


def test_a_one_city_model_offers_its_city_read_only(small, catalogue) -> None:
    m = CityModel(small, catalogue, rng=0)
    assert m.p is m.city.p and m.offices is m.city.offices and m.flow is m.city.flow
    with pytest.raises(AttributeError):
        m.p = small.model_copy(update={"summary_window_days": 60})
    with pytest.raises(AttributeError):
        m.no_such_part  # noqa: B018


def test_agents_are_mesa_agents_and_inspectable(small, catalogue) -> None:
    m = run(small, catalogue, days=30)
    assert len(m.agents_by_type[Citizen]) == small.n_citizens
    assert len(m.agents_by_type[Office]) == len(catalogue.offices)
    assert len(m.agents_by_type[CityGovernment]) == 1
    citizen = m.agents_by_type[Citizen].select(lambda a: a.cases > 0).to_list()[0]
    assert 0 <= citizen.satisfaction <= 1 and isinstance(citizen.digital_access, bool)
    firm = m.enterprise_agents[0]
    assert firm.size in ("micro", "small", "medium", "large") and firm.sector
    office = m.offices_by_key["market_regulator"]
    servants = office.civil_servants
    assert len(servants) == office.establishment
    assert all(isinstance(s, CivilServant) for s in servants)
    assert sum(s.cases_handled for s in servants) > 0


def test_idle_citizens_cost_nothing(catalogue) -> None:
    """No request, no work: with request rates at zero a large city's year is nearly free."""
    quiet = Parameters(
        n_citizens=50_000, n_enterprises=100, citizen_request_scale=0.0,
        enterprise_request_scale=0.0,
    )  # fmt: skip
    m = CityModel(quiet, catalogue, [], rng=0)
    for _ in range(100):
        m.step()
    assert m.flow.created == 0
    assert all(c.cases == 0 for c in m.citizen_agents[:100])


def test_start_ups_become_enterprises(small, catalogue) -> None:
    m = run(small, catalogue, days=200)
    t = m.ledger.tally
    assert t["db_completed"].sum() > 0
    # rows beyond the initial firms were founded through 'start a business'
    founded = m.enterprises.active[small.n_enterprises : m.enterprises.size].sum()
    assert founded > 0
    assert founded <= t["db_completed"].sum()
