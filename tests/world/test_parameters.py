"""The parameter declaration: one source of defaults, ranges, units and clear errors."""

from __future__ import annotations

import pytest

from world.errors import ParameterError
from world.parameters import Parameters


def test_every_parameter_is_fully_declared() -> None:
    table = Parameters.table()
    assert len(table) == len(Parameters.model_fields) > 40
    for p in table:
        assert p.unit, p.name
        assert p.description and len(p.description) > 10, p.name
        assert p.type in (int, float), p.name
        assert p.low is not None and p.high is not None and p.low < p.high, p.name
        assert p.low <= p.default <= p.high, p.name
        assert isinstance(p.default, p.type), p.name


def test_defaults_build_and_are_frozen() -> None:
    p = Parameters()
    assert p.n_enterprises == p.n_citizens // 20
    with pytest.raises(Exception, match="frozen"):
        p.n_citizens = 5  # type: ignore[misc]


def test_overrides_parse_strings_to_the_declared_type() -> None:
    p = Parameters().with_overrides({"n_citizens": "2000", "bounce_prob": "0.2"})
    assert p.n_citizens == 2000 and isinstance(p.n_citizens, int)
    assert p.bounce_prob == pytest.approx(0.2)
    assert Parameters().with_overrides({"n_citizens": "1e4"}).n_citizens == 10_000


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"n_citizen": "5"}, r"unknown parameter 'n_citizen'; did you mean 'n_citizens'\?"),
        ({"n_citizens": "abc"}, r"n_citizens must be int, got 'abc'"),
        ({"n_citizens": "2.5"}, r"n_citizens must be int"),
        ({"n_citizens": "5"}, r"n_citizens=5: .*greater than or equal to 10 \(range 10\.\.\d+"),
        ({"bounce_prob": "1.5"}, r"bounce_prob=1.5: .*less than or equal to 0.9"),
        ({"bounce_prob": "high"}, r"bounce_prob must be float"),
    ],
)
def test_bad_overrides_give_one_clear_line(overrides: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message) as info:
        Parameters().with_overrides(overrides, "--set")
    assert "\n" not in str(info.value)


def test_unknown_name_without_close_match_has_no_suggestion() -> None:
    with pytest.raises(ParameterError) as info:
        Parameters.build({"zzzz": 1})
    assert "did you mean" not in str(info.value)


def test_the_defaults_are_the_shipped_calibration() -> None:
    """govsim's defaults of the calibrated parameters are the Shanghai posterior mean, shipped as
    a parameter set (scenarios/parameter_sets/; docs/validation.md §5): the two cannot drift."""
    import tomllib

    from scenarios.paths import PARAMETER_SET_DIR

    path = PARAMETER_SET_DIR / "shanghai_db2006_2014.toml"
    calibrated = tomllib.loads(path.read_text(encoding="utf-8"))["parameters"]
    assert set(calibrated) == {
        "doc_return_days",
        "incomplete_docs_prob",
        "bounce_prob",
        "rent_delay_days",
    }
    defaults = Parameters()
    for name, value in calibrated.items():
        assert getattr(defaults, name) == value, name
