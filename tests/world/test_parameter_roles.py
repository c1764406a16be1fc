"""Parameter roles: every declaration says whether it is an uncertainty, a lever, a setting or a
measurement, and sensitivity analysis can vary all parameters of a role."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from experiments.design import SensitivitySpec
from world.parameters import ROLES, Parameters, RegionParameters


def test_every_parameter_has_a_known_role() -> None:
    for declared in (Parameters, RegionParameters):
        for info in declared.table():
            assert info.role in ROLES, info.name


def test_roles_say_who_controls_what() -> None:
    role = {p.name: p.role for p in Parameters.table()}
    assert role["tax_rate"] == role["wage_per_day"] == role["staffing_utilisation"] == "lever"
    assert role["n_citizens"] == "setting"
    assert role["summary_window_days"] == "measurement"
    assert role["corruption_mean"] == role["digital_access_citizens"] == "uncertainty"
    assert {p.role for p in RegionParameters.table()} == {"uncertainty"}


def test_sensitivity_can_vary_every_parameter_of_a_role() -> None:
    spec = SensitivitySpec(outcomes=["days_per_case"], parameters="lever")
    levers = {p.name for p in Parameters.table() if p.role == "lever"}
    assert set(spec.parameters) == levers
    assert set(spec.parameters.values()) == {"declared"}
    uncertain = SensitivitySpec(outcomes=["days_per_case"], parameters="uncertainty")
    assert "n_citizens" not in uncertain.parameters and "corruption_mean" in uncertain.parameters


def test_an_unknown_role_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="uncertainty, lever"):
        SensitivitySpec(outcomes=["days_per_case"], parameters="levers")
