"""The historical timeline preset switches Shanghai's reforms on at their dates, and the start-up
procedures it leaves match Doing Business at each step (scenarios/targets/history.csv)."""

from __future__ import annotations

import datetime as dt

import pytest

from scenarios import load_preset
from scenarios.paths import preset_path
from world.environment import ServiceEnvironment
from world.interventions import build_intervention

DAY_0 = dt.date(2005, 1, 1)


def _day(iso: str) -> int:
    return (dt.date.fromisoformat(iso) - DAY_0).days


@pytest.fixture(scope="module")
def timeline():
    return load_preset("shanghai_2005_2020")


def _procedures_on(preset, day: int) -> int:
    """Start-up approvals a case opened on `day` needs, with every reform due that day on."""
    env = ServiceEnvironment(preset.catalogue)
    for intervention in preset.policy:
        if intervention.due(day):
            for knob, value in intervention.settings().items():
                setattr(env, knob, value)
    (si,) = [i for i, s in enumerate(preset.catalogue.services) if s.key == "start_business"]
    return len(env.approvals(si))


@pytest.mark.parametrize(
    ("date", "procedures", "edition"),
    [
        ("2005-06-01", 13, "DB2006"),
        ("2013-06-01", 13, "DB2014"),
        ("2014-06-01", 11, "after 认缴制 and the end of 验资"),
        ("2016-06-01", 9, "DB2017"),
        ("2017-06-01", 7, "DB2018"),
        ("2018-05-01", 4, "DB2019"),
    ],
)
def test_procedures_follow_the_dated_reforms(timeline, date, procedures, edition) -> None:
    assert _procedures_on(timeline, _day(date)) == procedures, edition


def test_the_timeline_runs_fifteen_years_from_2005(timeline) -> None:
    assert timeline.days == _day("2020-01-01")
    starts = sorted({i.start for i in timeline.policy})
    assert starts == [
        _day(d) for d in ("2006-01-01", "2014-03-01", "2015-10-01", "2016-10-01", "2018-03-31")
    ]


def test_named_approvals_must_exist(tmp_path) -> None:
    text = preset_path("shanghai_2005_2020").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('"tax_registration"', '"tax_registraton"', 1), encoding="utf-8")
    with pytest.raises(Exception, match=r"bad\.toml:\d+.*unknown approval 'tax_registraton'"):
        load_preset(bad)


def test_fewer_approvals_by_name_abolishes_exactly_those() -> None:
    i = build_intervention({"type": "fewer_approvals", "approvals": ["capital_deposit"]})
    assert i.settings() == {"removal_share": 0.0, "abolished": frozenset({"capital_deposit"})}
    share = build_intervention({"type": "fewer_approvals", "intensity": 0.5})
    assert share.settings() == {"removal_share": 0.5, "abolished": frozenset()}
