"""The city government (agents/government.py) runs every intervention through its life cycle.

The knobs an intervention owns are untouched before `start`, equal `settings()` from `start`,
return to their originals at `end`; the run state lives in the government, not in the
intervention; costs are booked on the right days; one intervention object can serve several
models at once.
"""

from __future__ import annotations

import pandas as pd
import pytest

from model import CityModel, Parameters
from world.catalogue import Catalogue
from world.environment import ServiceEnvironment
from world.interventions import REGISTRY, build_intervention

KEYS = sorted(REGISTRY)
START, END = 5, 12  # small days, so each life-cycle test is a few dozen model days
SMALL_CITY = {"n_citizens": 3000, "n_enterprises": 150}


def _model(
    catalogue: Catalogue, policy: list[dict], seed: int = 0, size: dict = SMALL_CITY
) -> CityModel:
    return CityModel(
        Parameters(**size), catalogue, [build_intervention(d) for d in policy], rng=seed
    )


def _knobs(env: ServiceEnvironment, names) -> dict:
    return {k: getattr(env, k) for k in names}


# --- life cycle ---------------------------------------------------------------------------------
@pytest.mark.parametrize("end", [END, None], ids=["with_end", "open_ended"])
@pytest.mark.parametrize("key", KEYS)
def test_life_cycle_untouched_before_start_set_at_start_reverted_at_end(
    key, end, catalogue
) -> None:
    cls = REGISTRY[key]
    m = _model(catalogue, [{"type": key, "start": START, "end": end}])
    government = m.government
    (intervention,) = government.policy
    original = _knobs(m.env, cls.knobs)
    on = intervention.settings()
    for day in range(END + 3):
        m.step()
        assert m.day == day
        now = _knobs(m.env, cls.knobs)
        if day < START:
            assert now == original, f"day {day}: {key} changed its knobs before start"
            assert not government.is_active(0)
            assert m.env.disruptions == 0
        elif end is None or day < end:
            assert now == on, f"day {day}: {key} knobs are not its settings()"
            assert government.is_active(0)
            assert m.env.disruptions == int(cls.disrupts)
        else:
            assert now == original, f"day {day}: {key} did not revert at end"
            assert not government.is_active(0)
        assert intervention.due(day) == government.is_active(0)
        assert government.active_policies == ([key] if government.is_active(0) else [])
    assert intervention == build_intervention({"type": key, "start": START, "end": end})


def test_the_government_keeps_the_run_state(catalogue) -> None:
    intervention = build_intervention({"type": "transparency", "start": 2, "end": 4})
    m = CityModel(Parameters(**SMALL_CITY), catalogue, [intervention], rng=0)
    assert m.government.policy == (intervention,)
    assert m.government.policy[0] is intervention
    for _ in range(5):
        m.step()
    assert [(day, what) for day, _, what in m.government.events] == [(2, "started"), (4, "ended")]
    assert intervention == build_intervention({"type": "transparency", "start": 2, "end": 4})
    assert not hasattr(intervention, "active")


def test_the_government_must_be_bound_before_it_runs_reforms(catalogue) -> None:
    from agents import CityGovernment

    m = CityModel(Parameters(**SMALL_CITY), catalogue, [], rng=0)
    policy = [build_intervention({"type": "one_stop"})]
    government = CityGovernment(m, "unbound", policy, 10_000, reserve=1e9)
    with pytest.raises(RuntimeError, match="bind"):
        government.apply_policies(m.env, 0)
    government.bind(m.env)
    government.apply_policies(m.env, 0)
    assert government.active_policies == ["one_stop"] and government.is_active(0)


def test_models_sharing_intervention_objects_run_as_fresh_ones(catalogue) -> None:
    # Interventions hold no run state: two models interleaving their steps on the same objects
    # (one starts, suspends or ends while the other has not) run exactly like models built from
    # fresh copies, one after the other.
    data = [
        {"type": "one_stop", "start": 3, "end": 9, "intensity": 0.7},
        {"type": "reengineering", "start": 5},
        {"type": "feedback", "start": 1, "setup_cost": 1000.0, "daily_cost": 2000.0},
    ]
    shared = [build_intervention(d) for d in data]
    params = Parameters(**SMALL_CITY, reform_reserve=5_000.0, reform_budget_share=0.002)
    a = CityModel(params, catalogue, shared, rng=1)
    b = CityModel(params, catalogue, shared, rng=2)
    for _ in range(4):
        a.step()
    for _ in range(15):
        b.step()
        a.step()
    assert a.government.policy[0] is b.government.policy[0] is shared[0]
    fresh_a = CityModel(params, catalogue, [build_intervention(d) for d in data], rng=1)
    fresh_b = CityModel(params, catalogue, [build_intervention(d) for d in data], rng=2)
    for _ in range(19):
        fresh_a.step()
    for _ in range(15):
        fresh_b.step()
    pd.testing.assert_frame_equal(a.timeseries(), fresh_a.timeseries(), check_exact=True)
    pd.testing.assert_frame_equal(b.timeseries(), fresh_b.timeseries(), check_exact=True)
    assert a.government.events == fresh_a.government.events
    assert b.government.events == fresh_b.government.events
    assert "suspended: reform fund empty" in [what for _, _, what in a.government.events]


@pytest.mark.parametrize("end", [END, None], ids=["with_end", "open_ended"])
@pytest.mark.parametrize("key", KEYS)
def test_setup_cost_once_at_start_and_daily_cost_while_active(key, end, catalogue) -> None:
    setup, daily = 1000.0, 10.0
    m = _model(
        catalogue,
        [{"type": key, "start": START, "end": end, "setup_cost": setup, "daily_cost": daily}],
    )
    # Costs are declared per 10,000 residents; the government scales them to its city.
    scale = m.government.cost_scale
    assert scale == pytest.approx(SMALL_CITY["n_citizens"] / 10_000)
    days = range(END + 5)
    fund = m.government.reform_fund
    costs = [m.government.apply_policies(m.env, day) for day in days]
    spread = m.p.setup_amortisation_days  # the cost of service spreads set-up over these days
    paid = [
        scale
        * (
            (setup if day == START else 0.0)
            + (daily if day >= START and (end is None or day < end) else 0.0)
        )
        for day in days
    ]
    expected = [
        scale
        * (
            (setup / spread if day >= START else 0.0)
            + (daily if day >= START and (end is None or day < end) else 0.0)
        )
        for day in days
    ]
    assert costs == pytest.approx(expected, rel=1e-9, abs=0.0)
    # the fund pays set-up at once: cash out is the set-up and the running days
    assert m.government.reform_spending == pytest.approx(sum(paid))
    assert fund - m.government.reform_fund == pytest.approx(sum(paid))


@pytest.mark.parametrize("key", KEYS)
def test_default_costs_are_charged(key, catalogue) -> None:
    intervention = build_intervention({"type": key, "start": 2})
    m = _model(catalogue, [intervention.to_dict()])
    costs = [m.government.apply_policies(m.env, day) for day in range(5)]
    s, d = intervention.setup_cost / m.p.setup_amortisation_days, intervention.daily_cost
    expected = [m.government.cost_scale * c for c in (0.0, 0.0, s + d, s + d, s + d)]
    assert costs == pytest.approx(expected, rel=1e-9, abs=0.0)


# --- several interventions ----------------------------------------------------------------------
def test_two_interventions_both_apply_and_revert_independently(catalogue) -> None:
    m = _model(
        catalogue,
        [
            {"type": "one_stop", "start": 3, "intensity": 0.8},
            {"type": "transparency", "start": 5, "end": 9, "intensity": 0.5},
        ],
    )
    for day in range(12):
        m.step()
        assert m.env.one_stop_share == (0.8 if day >= 3 else 0.0), day
        assert m.env.transparency == (0.5 if 5 <= day < 9 else 0.0), day
    assert m.government.active_policies == ["one_stop"]


def test_every_intervention_together(catalogue) -> None:
    policy = [{"type": key, "start": 2} for key in KEYS]
    # The whole package needs a budget for it (the default fund defers part of it).
    m = _model(catalogue, policy, size={**SMALL_CITY, "reform_reserve": 2_000_000.0})
    for _ in range(4):
        m.step()
    for n, intervention in enumerate(m.government.policy):
        assert m.government.is_active(n)
        assert _knobs(m.env, intervention.knobs) == intervention.settings(), intervention.key
    assert m.env.disruptions == sum(REGISTRY[k].disrupts for k in KEYS)


# --- the budget binds -----------------------------------------------------------------------------
def test_the_default_fund_pays_any_one_reform_but_not_the_whole_package(catalogue) -> None:
    """Anchored costs have consequences: each reform alone starts on its day with the default
    fund, the eleven together do not (some are deferred, visibly), and a budgeted package does."""
    for key in KEYS:
        m = _model(catalogue, [{"type": key, "start": 0}])
        m.step()
        assert m.government.events == [(0, key, "started")], key
    package = [{"type": key, "start": 0} for key in KEYS if key != "green_channel"]
    m = _model(catalogue, package)
    m.step()
    deferred = [e for e in m.government.events if e[2] == "start deferred: reform fund short"]
    assert deferred, m.government.events
    budgeted = _model(catalogue, package, size={**SMALL_CITY, "reform_reserve": 1_000_000.0})
    budgeted.step()
    assert all(e[2] == "started" for e in budgeted.government.events)
