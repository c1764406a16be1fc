"""Presets and catalogues: every shipped file loads; every mistake names file, line and key."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from scenarios import ScenarioError, list_presets, load_catalogue, load_preset, preset_names
from scenarios.loader import DEFAULT_CATALOGUE
from world.interventions import REGISTRY, Intervention, build_intervention

REQUIRED = {
    "baseline",
    "full_reform",
    "reform_midway",
    "one_stop",
    "parallel_approval",
    "fewer_approvals",
    "reengineering",
    "transparency",
    "online_24_7",
    "green_channel",
    "first_contact",
    "service_standards",
    "feedback",
    "learning",
    "lean_staffing",
}


def test_all_required_presets_exist_and_load() -> None:
    assert set(preset_names()) >= REQUIRED
    for preset in list_presets():
        assert preset.description and "\n" not in preset.description
        assert preset.description_zh
        assert preset.days >= 1


def test_one_preset_per_policy_uses_that_policy() -> None:
    for key in REGISTRY:
        preset = load_preset(key)
        assert [i.key for i in preset.policy] == [key]
        assert all(isinstance(i, REGISTRY[key]) for i in preset.policy)


def test_full_reform_and_midway_share_the_package() -> None:
    full, midway = load_preset("full_reform"), load_preset("reform_midway")
    assert [i.key for i in full.policy] == [i.key for i in midway.policy]
    assert {i.start for i in full.policy} == {0}
    assert {i.start for i in midway.policy} == {182}
    assert load_preset("baseline").policy == ()


def replace_start(intervention: Intervention, start: int) -> Intervention:
    return build_intervention({**intervention.to_dict(), "start": start})


def test_models_built_from_one_preset_share_its_interventions() -> None:
    # The loader builds the interventions once; they are immutable, so every model built from
    # the preset uses the same objects, and two models run exactly as if each had its own.
    preset = load_preset("reform_midway").with_overrides({"n_citizens": 2000, "n_enterprises": 100})
    preset = replace(preset, policy=tuple(replace_start(i, 3) for i in preset.policy))
    a, b = preset.build(5), preset.build(5)
    for m in (a, b):
        assert m.government.policy == preset.policy
        assert all(x is y for x, y in zip(m.government.policy, preset.policy, strict=True))
    for _ in range(10):
        a.step()
    for _ in range(10):
        b.step()
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries(), check_exact=True)
    fresh = replace(preset, policy=tuple(build_intervention(i.to_dict()) for i in preset.policy))
    c = fresh.build(5)
    assert all(x is not y for x, y in zip(c.government.policy, preset.policy, strict=True))
    for _ in range(10):
        c.step()
    pd.testing.assert_frame_equal(a.timeseries(), c.timeseries(), check_exact=True)
    assert a.government.events == c.government.events != []


def test_several_cities_share_their_interventions_too() -> None:
    preset = load_preset("two_cities")
    plan = preset.cities[0]
    assert plan.policy and all(isinstance(i, Intervention) for i in plan.policy)
    m = preset.with_overrides({"n_citizens": 2000, "n_enterprises": 100}).build(0)
    got = m.cities[0].government.policy
    assert all(x is y for x, y in zip(got, plan.policy, strict=True))


def test_catalogue_meets_the_brief(catalogue) -> None:
    assert len(catalogue.offices) >= 8
    assert len(catalogue.services) >= 8
    start = next(s for s in catalogue.services if s.key == catalogue.doing_business_service)
    assert start.requester == "enterprise" and start.creates_enterprise
    assert 12 <= len(start.approvals) <= 14
    assert len(start.remaining_approvals(1.0)) == 4
    assert {s.requester for s in catalogue.services} == {"citizen", "enterprise"}


def _write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD_HEAD = 'description = "test preset"\n'


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ('description = "x"\n[parameters\n', r"p\.toml: malformed TOML: .*line 2"),
        ("days = 10\n", r"p\.toml: a preset needs a one-line 'description'"),
        (
            GOOD_HEAD + "dayz = 3\n",
            r"p\.toml:2: dayz: unknown preset key 'dayz'; did you mean 'days'",
        ),
        (GOOD_HEAD + "days = -1\n", r"p\.toml:2: days: give a whole number of days from 1 to"),
        (
            GOOD_HEAD + "\n[parameters]\nn_citizens = 100\nbounce_prb = 0.1\n",
            r"p\.toml:5: parameters\.bounce_prb: unknown parameter 'bounce_prb'; "
            r"did you mean 'bounce_prob'",
        ),
        (
            GOOD_HEAD + "[parameters]\nn_citizens = 3\n",
            r"p\.toml:3: parameters\.n_citizens: n_citizens=3: .*greater than or equal to 10",
        ),
        (
            GOOD_HEAD + '[parameters]\nn_citizens = "many"\n',
            r"p\.toml:3: parameters\.n_citizens: .*integer",
        ),
        (
            GOOD_HEAD + '\n[[policy]]\ntype = "one_stop"\n\n[[policy]]\ntype = "one_stp"\n',
            r"p\.toml:7: policy\[1\]\.type: unknown intervention type 'one_stp'; "
            r"did you mean 'one_stop'",
        ),
        (
            GOOD_HEAD + '[[policy]]\ntype = "transparency"\nstart = 3\nintensity = 2.0\n',
            r"p\.toml:5: policy\[0\]\.intensity: intervention 'transparency': intensity=2\.0",
        ),
        (
            GOOD_HEAD + '[[policy]]\ntype = "transparency"\nstrat = 3\n',
            r"p\.toml:4: policy\[0\]\.strat: intervention 'transparency': unknown field 'strat'; "
            r"did you mean 'start'",
        ),
        (
            GOOD_HEAD + '[[policy]]\ntype = "learning"\nstart = 30\nend = 10\n',
            r"p\.toml:\d: policy\[0\]\.end: intervention 'learning': .*end \(10\) must be after",
        ),
        (
            GOOD_HEAD + "[[policy]]\nstart = 3\n",
            r"p\.toml:2: policy\[0\]: intervention needs a 'type'",
        ),
        (
            GOOD_HEAD + "policy = [1]\n",
            r"p\.toml:2: policy\[0\]: an intervention is a table of fields, got 1",
        ),
    ],
)
def test_bad_presets_give_file_line_and_key(tmp_path: Path, body: str, pattern: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(ScenarioError) as info:
        load_preset(path)
    message = str(info.value)
    assert "\n" not in message
    assert re.search(pattern, message), message


def test_unknown_preset_name_suggests() -> None:
    with pytest.raises(ScenarioError, match=r"unknown preset 'basline'; did you mean 'baseline'"):
        load_preset("basline")


def test_missing_file() -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        load_preset("nowhere/at/all.toml")


def _catalogue_with(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8")
    assert old in text
    return _write(tmp_path, text.replace(old, new, 1), "catalogue.toml")


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_catalogue_unknown_office_points_at_its_line(tmp_path: Path) -> None:
    path = _catalogue_with(tmp_path, 'office = "audit_firm"', 'office = "audit_frim"')
    with pytest.raises(ScenarioError) as info:
        load_catalogue(path)
    line = _line_of(path, 'office = "audit_frim"')
    assert f"catalogue.toml:{line}: services[0].approvals[2].office" in str(info.value)
    assert "unknown office 'audit_frim'" in str(info.value)


def test_catalogue_bad_value_points_at_its_line(tmp_path: Path) -> None:
    path = _catalogue_with(tmp_path, "effort_hours = 1.5", "effort_hours = -1.5")
    with pytest.raises(ScenarioError) as info:
        load_catalogue(path)
    line = _line_of(path, "effort_hours = -1.5")
    assert f"catalogue.toml:{line}: services[1].approvals[0].effort_hours" in str(info.value)


def test_catalogue_duplicate_office(tmp_path: Path) -> None:
    path = _catalogue_with(tmp_path, 'key = "civil_affairs"', 'key = "bank"')
    with pytest.raises(ScenarioError, match=r"offices\[10\]\.key: duplicate office key 'bank'"):
        load_catalogue(path)


def test_preset_can_name_its_own_catalogue(tmp_path: Path) -> None:
    cat = _catalogue_with(tmp_path, 'office = "audit_firm"', 'office = "audit_frim"')
    preset = _write(tmp_path, GOOD_HEAD + f'catalogue = "{cat.name}"\n')
    with pytest.raises(ScenarioError, match="unknown office 'audit_frim'"):
        load_preset(preset)


def test_the_same_policy_cannot_overlap_itself(tmp_path: Path) -> None:
    body = GOOD_HEAD + (
        '[[policy]]\ntype = "transparency"\nstart = 0\nend = 100\n'
        '[[policy]]\ntype = "transparency"\nstart = 50\n'
    )
    with pytest.raises(ScenarioError, match=r"p\.toml:6: policy\[1\]: 'transparency' overlaps"):
        load_preset(_write(tmp_path, body))
    ok = body.replace("start = 50", "start = 100")
    first, second = load_preset(_write(tmp_path, ok, "ok.toml")).policy
    assert (first.start, first.end, second.start, second.end) == (0, 100, 100, None)


# --- parameter sets: a calibration's parameters, loaded by name or file ---------------------
def test_a_preset_loads_a_parameter_set_and_its_own_parameters_win(tmp_path: Path) -> None:
    (tmp_path / "fitted.toml").write_text(
        "# written by govsim calibrate\n[parameters]\ndoc_return_days = 7.5\nbounce_prob = 0.2\n",
        encoding="utf-8",
    )
    path = _write(
        tmp_path,
        'description = "d"\nparameter_set = "fitted.toml"\n[parameters]\nbounce_prob = 0.05\n',
    )
    preset = load_preset(path)
    assert preset.parameters.doc_return_days == 7.5  # from the set
    assert preset.parameters.bounce_prob == 0.05  # the preset's own value wins


@pytest.mark.parametrize(
    ("set_text", "preset_line", "pattern"),
    [
        (None, 'parameter_set = "shanghia"', r"p\.toml:2: parameter_set: unknown parameter set"),
        (None, 'parameter_set = "gone.toml"', r"p\.toml:2: parameter_set: no such file"),
        (None, "parameter_set = 3", r"p\.toml:2: parameter_set: name a parameter set"),
        (
            "[parameters]\nbounce_prob = 2.0\n",
            'parameter_set = "s.toml"',
            r"s\.toml:2: parameters\.bounce_prob: bounce_prob=2\.0",
        ),
        ("[parameterz]\n", 'parameter_set = "s.toml"', r"s\.toml:1: parameterz: unknown"),
        ("x = 1\n", 'parameter_set = "s.toml"', r"s\.toml:1: x: unknown parameter set key"),
    ],
)
def test_a_bad_parameter_set_is_one_line_at_its_place(
    tmp_path: Path, set_text: str | None, preset_line: str, pattern: str
) -> None:
    if set_text is not None:
        (tmp_path / "s.toml").write_text(set_text, encoding="utf-8")
    path = _write(tmp_path, f'description = "d"\n{preset_line}\n')
    with pytest.raises(ScenarioError) as info:
        load_preset(path)
    assert "\n" not in str(info.value)
    assert re.search(pattern, str(info.value)), str(info.value)
