"""Stylised facts: the shipped file loads and names real presets and outcomes; every mistake in a
facts file is one line naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.outcomes import OUTCOME_BY_NAME
from scenarios import ScenarioError, load_preset, preset_names
from scenarios.facts import DEFAULT_FACTS, EFFECT_KINDS, KINDS, load_facts

GOOD = """
[[fact]]
key = "k"
statement = "A sentence."
kind = "relative_change"
preset = "transparency"
reference = "baseline"
outcome = "informal_demand_rate"
low = -0.5
high = 0
source = "somebody (2000)"
note = "why"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "facts.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_facts_load_and_name_existing_presets_and_outcomes() -> None:
    facts = load_facts()
    assert facts, "scenarios/facts.toml holds no fact"
    presets = set(preset_names())
    keys = [f.key for f in facts]
    assert len(keys) == len(set(keys))
    for fact in facts:
        assert fact.kind in KINDS
        assert fact.preset in presets and fact.outcome in OUTCOME_BY_NAME
        assert (fact.reference is not None) == (fact.kind in EFFECT_KINDS)
        assert fact.reference is None or fact.reference in presets
        assert fact.low is not None or fact.high is not None
        assert fact.low is None or fact.high is None or fact.low <= fact.high
        assert "\n" not in fact.statement and fact.source.strip() and fact.note.strip()
        assert fact.days is not None and fact.window is not None and fact.window <= fact.days


def test_days_and_window_default_to_the_presets() -> None:
    facts = {f.key: f for f in load_facts(DEFAULT_FACTS)}
    dip = facts["one_stop_learning_dip"]
    assert (dip.days, dip.window) == (56, 56)
    level = facts["baseline_start_days"]
    baseline = load_preset("baseline")
    assert level.days == baseline.days
    assert level.window == baseline.parameters.summary_window_days


def test_a_good_file_loads(tmp_path: Path) -> None:
    (fact,) = load_facts(write(tmp_path, GOOD))
    assert fact.key == "k" and fact.presets() == ("transparency", "baseline")


BAD = {
    "unknown outcome": (
        ('outcome = "informal_demand_rate"', 'outcome = "informal_demands"'),
        ":8: fact[0].outcome: unknown outcome 'informal_demands'; did you mean",
    ),
    "unknown preset": (
        ('preset = "transparency"', 'preset = "transparancy"'),
        ":6: fact[0].preset: unknown preset 'transparancy'; did you mean 'transparency'?",
    ),
    "unknown reference": (
        ('reference = "baseline"', 'reference = "nothing_like_it"'),
        ":7: fact[0].reference: unknown preset 'nothing_like_it'",
    ),
    "low above high": (("high = 0", "high = -0.9"), ":9: fact[0].low: low (-0.5) is above high"),
    "an effect without a reference": (
        ('reference = "baseline"\n', ""),
        "fact[0].reference: a relative_change fact compares two presets on the same seeds",
    ),
    "a level with a reference": (
        ('kind = "relative_change"', 'kind = "level"'),
        ":7: fact[0].reference: a level fact reads one preset",
    ),
    "a reference that is the preset": (
        ('reference = "baseline"', 'reference = "transparency"'),
        ":7: fact[0].reference: is the preset itself",
    ),
    "no bounds": (("low = -0.5\nhigh = 0\n", ""), "fact[0].low: give low, high or both"),
    "an unknown kind": (
        ('kind = "relative_change"', 'kind = "ratio"'),
        ":5: fact[0].kind: must be one of level, relative_change, difference (got 'ratio')",
    ),
    "an unknown key": (("note =", "nott = 1\nnote ="), ":12: fact[0].nott: unknown fact key"),
    "a missing statement": (('statement = "A sentence."\n', ""), "fact[0].statement: missing"),
    "an unknown override": (
        ("note =", "overrides = { n_citizen = 100 }\nnote ="),
        ":12: fact[0].overrides: unknown parameter 'n_citizen'; did you mean 'n_citizens'?",
    ),
    "a window as an override": (
        ("note =", "overrides = { summary_window_days = 30 }\nnote ="),
        "fact[0].overrides: set the summary window with the fact's 'window'",
    ),
    "a window longer than the run": (
        ("note =", "days = 30\nnote ="),
        ":12: fact[0].days: the summary window (90 days) is longer than the run (30 days)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_fact_is_one_line_naming_file_line_and_key(tmp_path: Path, case: str) -> None:
    (old, new), expected = BAD[case]
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ScenarioError) as err:
        load_facts(path)
    message = str(err.value)
    assert message.startswith(str(path)) and "\n" not in message
    assert expected in message, message


def test_a_duplicate_key_is_refused_at_the_second_fact(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r":15: fact\[1\].key: 'k' names an earlier fact"):
        load_facts(write(tmp_path, GOOD + GOOD))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "no facts"),
        ("facts = 1\n", "unknown key 'facts'; did you mean 'fact'?"),
        ("[[fact]]\nkey = 'Not A Key'\n", "use lower-case letters, digits and _"),
        ("[[fact\n", "malformed TOML"),
    ],
)
def test_a_file_that_is_not_a_list_of_facts_is_refused(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(ScenarioError, match=expected):
        load_facts(write(tmp_path, text))


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        load_facts(tmp_path / "nothing.toml")
