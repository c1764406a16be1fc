"""The life cycle of every intervention, and the errors bad intervention data gives.

Life cycle (model/interventions.py): the knobs an intervention owns are untouched before `start`,
equal `settings()` from `start`, return to their originals at `end`; `to_dict` rebuilds an equal
object; the policy changes nothing before it starts; costs are booked on the right days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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
    (intervention,) = m.government.policy
    original = _knobs(m.env, cls.knobs)
    on = intervention.settings()
    for day in range(END + 3):
        m.step()
        assert m.day == day
        now = _knobs(m.env, cls.knobs)
        if day < START:
            assert now == original, f"day {day}: {key} changed its knobs before start"
            assert not intervention.active
            assert m.env.disruptions == 0
        elif end is None or day < end:
            assert now == on, f"day {day}: {key} knobs are not its settings()"
            assert intervention.active
            assert m.env.disruptions == int(cls.disrupts)
        else:
            assert now == original, f"day {day}: {key} did not revert at end"
            assert not intervention.active
        assert m.government.active_policies == ([key] if intervention.active else [])


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
    for intervention in m.government.policy:
        assert intervention.active
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
