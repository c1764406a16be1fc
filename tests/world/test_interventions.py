"""The life cycle of every intervention, and the errors bad intervention data gives.

An intervention (world/interventions.py) is immutable data; the city government
(agents/government.py) runs it: the knobs it owns are untouched before `start`, equal
`settings()` from `start`, return to their originals at `end`; `to_dict` rebuilds an equal
object; the policy changes nothing before it starts; costs are booked on the right days; one
intervention object can serve several models at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from model import CityModel, ParameterError, Parameters
from model.day_record import LEVEL_NAMES, TALLY_NAMES
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


# --- declarations -------------------------------------------------------------------------------
def test_registry_keys_match_classes_and_knobs_are_owned_once() -> None:
    owners: dict[str, str] = {}
    for key, cls in REGISTRY.items():
        assert cls.key == key
        assert cls.knobs, f"{key} owns no knobs"
        assert set(cls.knobs) <= ServiceEnvironment.knob_names()
        for knob in cls.knobs:
            assert knob not in owners, f"{knob} owned by both {owners[knob]} and {key}"
            owners[knob] = key


@pytest.mark.parametrize("key", KEYS)
def test_settings_cover_exactly_the_owned_knobs_and_change_them(key, catalogue) -> None:
    intervention = build_intervention({"type": key})
    settings = intervention.settings()
    assert set(settings) == set(REGISTRY[key].knobs)
    # At full intensity every policy moves at least one knob off the unreformed value, otherwise
    # "takes effect at start" below would pass without anything happening.
    fresh = ServiceEnvironment(catalogue)
    assert settings != _knobs(fresh, settings)


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


@pytest.mark.parametrize("key", KEYS)
def test_to_dict_round_trips(key) -> None:
    default = build_intervention({"type": key})
    assert build_intervention(default.to_dict()) == default
    changed = build_intervention(
        {
            "type": key,
            "start": 7,
            "end": 30,
            "intensity": 0.6,
            "setup_cost": 1234.5,
            "daily_cost": 6.5,
        }
    )
    data = changed.to_dict()
    assert data["type"] == key
    assert {"start": 7, "end": 30, "intensity": 0.6, "setup_cost": 1234.5}.items() <= data.items()
    rebuilt = build_intervention(data)
    assert rebuilt == changed
    assert rebuilt.to_dict() == data
    assert hash(rebuilt) == hash(changed)
    assert rebuilt != default and len({default, changed, rebuilt}) == 2


@pytest.mark.parametrize("key", KEYS)
def test_an_intervention_cannot_be_changed(key) -> None:
    intervention = build_intervention({"type": key, "start": 3})
    with pytest.raises(ValidationError, match="frozen"):
        intervention.start = 10
    with pytest.raises(ValidationError, match="frozen"):
        intervention.intensity = 0.5
    with pytest.raises(ValidationError):
        intervention.active = True  # no run state on the specification
    assert intervention.start == 3 and intervention.intensity == 1.0
    # A change is a new intervention, validated like the first.
    later = build_intervention({**intervention.to_dict(), "start": 10})
    assert later.start == 10 and intervention.start == 3
    with pytest.raises(ParameterError, match="intensity"):
        build_intervention({**intervention.to_dict(), "intensity": 2.0})


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


@pytest.mark.parametrize("key", KEYS)
def test_no_effect_before_start(key, catalogue) -> None:
    # Same seed in both arms (common random numbers): until `start` the two cities must be the
    # same city, day by day, in every tally, level and time-series cell.
    start, seed = 20, 3
    # Staffing cuts need offices above the one-counter minimum: a city of 30,000 has them.
    size = {"n_citizens": 30000, "n_enterprises": 1500} if key == "lean_staffing" else SMALL_CITY
    base = _model(catalogue, [], seed, size)
    arm = _model(catalogue, [{"type": key, "start": start}], seed, size)
    for _ in range(start + 5):
        base.step()
        arm.step()
    for name in TALLY_NAMES:
        np.testing.assert_array_equal(
            arm.ledger.tally[name][:start], base.ledger.tally[name][:start], err_msg=name
        )
    for name in LEVEL_NAMES:
        np.testing.assert_array_equal(
            arm.ledger.level[name][:start], base.ledger.level[name][:start], err_msg=name
        )
    ts_base, ts_arm = base.timeseries(), arm.timeseries()
    before = ts_base["day"] < start
    assert before.sum() == start
    pd.testing.assert_frame_equal(ts_arm[before], ts_base[before], check_exact=True)


@pytest.mark.parametrize("key", KEYS)
def test_changes_the_city_after_start(key, catalogue) -> None:
    # The counterpart of the test above: the same comparison does see the policy once it is on,
    # so "identical before start" is not identical for want of an effect.
    start, seed = 20, 3
    # Staffing cuts need offices above the one-counter minimum: a city of 30,000 has them.
    size = {"n_citizens": 30000, "n_enterprises": 1500} if key == "lean_staffing" else SMALL_CITY
    base = _model(catalogue, [], seed, size)
    arm = _model(catalogue, [{"type": key, "start": start}], seed, size)
    for _ in range(start + 20):
        base.step()
        arm.step()
    ts_base, ts_arm = base.timeseries(), arm.timeseries()
    after = ts_base["day"] >= start
    assert not ts_arm[after].equals(ts_base[after]), f"{key} changed nothing in 20 days"


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
    costs = [m.government.apply_policies(m.env, day) for day in days]
    expected = [
        scale
        * (
            (setup if day == START else 0.0)
            + (daily if day >= START and (end is None or day < end) else 0.0)
        )
        for day in days
    ]
    assert costs == pytest.approx(expected, rel=1e-12, abs=0.0)
    assert m.government.reform_spending == pytest.approx(sum(expected))


@pytest.mark.parametrize("key", KEYS)
def test_default_costs_are_charged(key, catalogue) -> None:
    intervention = build_intervention({"type": key, "start": 2})
    m = _model(catalogue, [intervention.to_dict()])
    costs = [m.government.apply_policies(m.env, day) for day in range(5)]
    s, d = intervention.setup_cost, intervention.daily_cost
    expected = [m.government.cost_scale * c for c in (0.0, 0.0, s + d, d, d)]
    assert costs == pytest.approx(expected, rel=1e-12, abs=0.0)


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
    m = _model(catalogue, policy)
    for _ in range(4):
        m.step()
    for n, intervention in enumerate(m.government.policy):
        assert m.government.is_active(n)
        assert _knobs(m.env, intervention.knobs) == intervention.settings(), intervention.key
    assert m.env.disruptions == sum(REGISTRY[k].disrupts for k in KEYS)


# --- bad input ----------------------------------------------------------------------------------
def _error(data: dict, source: str = "") -> str:
    with pytest.raises(ParameterError) as info:
        build_intervention(data, source)
    message = str(info.value)
    assert "\n" not in message, "errors are one line, ready for a person"
    return message


def test_unknown_type_suggests_the_nearest() -> None:
    message = _error({"type": "one_stp", "start": 3}, source="my.toml")
    assert message == "my.toml: unknown intervention type 'one_stp'; did you mean 'one_stop'?"


def test_missing_type_lists_the_valid_ones() -> None:
    message = _error({"start": 3})
    assert "needs a 'type'" in message
    for key in KEYS:
        assert key in message


@pytest.mark.parametrize(("start", "end"), [(10, 10), (10, 3)])
def test_end_not_after_start(start, end) -> None:
    message = _error({"type": "transparency", "start": start, "end": end})
    assert "'transparency'" in message
    assert f"end ({end}) must be after start ({start})" in message


@pytest.mark.parametrize("intensity", [-0.1, 1.5])
@pytest.mark.parametrize("key", KEYS)
def test_intensity_outside_0_1(key, intensity) -> None:
    message = _error({"type": key, "intensity": intensity})
    assert f"intervention {key!r}: intensity={intensity!r}" in message
    bound = "greater than or equal to 0" if intensity < 0 else "less than or equal to 1"
    assert bound in message


@pytest.mark.parametrize("key", KEYS)
def test_unknown_field(key) -> None:
    message = _error({"type": key, "intensty": 0.5})
    assert f"intervention {key!r}: unknown field 'intensty'; did you mean 'intensity'?" in message


@pytest.mark.parametrize("field", ["setup_cost", "daily_cost"])
@pytest.mark.parametrize("key", KEYS)
def test_negative_cost(key, field) -> None:
    # The base class declares costs >= 0; a subclass that changes the default must keep the bound.
    message = _error({"type": key, field: -5.0})
    assert f"intervention {key!r}: {field}=-5.0" in message
    assert "greater than or equal to 0" in message


def test_bad_start_type() -> None:
    message = _error({"type": "one_stop", "start": "soon"})
    assert "start='soon'" in message
    assert "integer" in message
