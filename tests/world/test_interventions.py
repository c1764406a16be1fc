"""Every intervention as data (world/interventions.py), and the errors bad intervention data gives.

An intervention is immutable data: it declares the knobs it owns and their `settings()`;
`to_dict` rebuilds an equal object; bad data is one clear line. Running it is the city
government's job (tests/agents/test_government.py); its effect on a city is in
tests/model/test_policy_effects.py.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from world.environment import ServiceEnvironment
from world.interventions import REGISTRY, build_intervention
from world.parameters import ParameterError

KEYS = sorted(REGISTRY)


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
    # "takes effect at start" (tests/agents/test_government.py) would pass with nothing happening.
    fresh = ServiceEnvironment(catalogue)
    assert settings != _knobs(fresh, settings)


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
