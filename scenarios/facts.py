"""Stylised facts as data: what the model should reproduce, read from TOML and checked strictly.

A fact names a preset (for an effect, also a reference preset run on the same seeds), an outcome
and a target range; `experiments.scorecard` runs and judges them. Every problem in a facts file
is one line naming the file, the line and the key, like the preset loader's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from model.outcomes import OUTCOME_BY_NAME
from scenarios.loader import Preset, load_preset
from scenarios.paths import HERE, preset_names
from scenarios.toml_files import dotted, line_of, read_toml
from world.calendar import MAX_DAYS
from world.errors import ParameterError, ScenarioError, first_problem, unknown_name_message
from world.parameters import param_info

DEFAULT_FACTS = HERE / "facts.toml"
KINDS = ("level", "relative_change", "difference")
EFFECT_KINDS = ("relative_change", "difference")
WINDOW = "summary_window_days"  # the parameter a fact's `window` sets
_WINDOW_INFO = param_info(WINDOW)


class Fact(BaseModel):
    """One stylised fact: run `preset` (against `reference` for an effect), read `outcome`, and
    expect the value (or the paired effect) within [low, high]; either bound may be absent.

    After `load_facts`, `days` and `window` are always set (the preset's own when the file
    leaves them out), so that a fact says exactly which runs it needs.
    """

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    statement: str = Field(min_length=1)
    kind: Literal["level", "relative_change", "difference"]
    preset: str
    reference: str | None = None
    outcome: str
    low: float | None = None
    high: float | None = None
    days: int | None = Field(None, ge=1, le=MAX_DAYS)
    window: int | None = Field(None, ge=_WINDOW_INFO.low, le=_WINDOW_INFO.high)
    overrides: dict[str, int | float] = Field(default_factory=dict)
    source: str = Field(min_length=1)
    note: str = Field(min_length=1)

    @property
    def is_effect(self) -> bool:
        return self.kind in EFFECT_KINDS

    def presets(self) -> tuple[str, ...]:
        """The presets this fact runs: its own, then the reference (for an effect)."""
        return (self.preset,) if self.reference is None else (self.preset, self.reference)


def load_facts(path: str | Path = DEFAULT_FACTS) -> list[Fact]:
    """Read, validate and resolve a facts file; any problem is a one-line ScenarioError."""
    path = Path(path)
    text, data = read_toml(path)

    def where(key: tuple) -> str:
        line = line_of(text, key)
        return f"{path}:{line}: {dotted(key)}" if line else f"{path}: {dotted(key)}"

    for name in data:
        if name != "fact":
            raise ScenarioError(f"{where((name,))}: " + unknown_name_message("key", name, ["fact"]))
    raw = data.get("fact")
    if not isinstance(raw, list) or not raw:
        raise ScenarioError(f"{path}: no facts: write each one as a [[fact]] table")
    presets: dict[str, Preset] = {}
    facts: list[Fact] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ScenarioError(f"{where(('fact', i))}: write each fact as a [[fact]] table")
        for name in item:
            if name not in Fact.model_fields:
                message = unknown_name_message("fact key", name, Fact.model_fields)
                raise ScenarioError(f"{where(('fact', i, name))}: {message}")
        try:
            fact = Fact(**item)
        except ValidationError as exc:
            problem = first_problem(exc)
            message = problem.message
            if problem.missing:
                message = "missing (every fact needs it)"
            elif problem.loc == ("kind",):
                message = f"must be one of {', '.join(KINDS)} (got {problem.input!r})"
            elif problem.loc == ("key",) and isinstance(problem.input, str):
                message = f"use lower-case letters, digits and _ (got {problem.input!r})"
            loc = problem.loc
            if loc[:1] == ("overrides",) and len(loc) > 2:  # past the name: pydantic's union
                loc, message = loc[:2], f"must be a number (got {problem.input!r})"
            raise ScenarioError(f"{where(('fact', i, *loc))}: {message}") from None
        problem_key, message = _problem(fact, [f.key for f in facts])
        if problem_key is not None:
            raise ScenarioError(f"{where(('fact', i, problem_key))}: {message}")
        for name in fact.presets():
            if name not in presets:
                presets[name] = load_preset(name)
        facts.append(_resolve(fact, presets, lambda key, i=i: where(("fact", i, key))))
    return facts


def _problem(fact: Fact, earlier: list[str]) -> tuple[str | None, str]:
    """The first thing wrong with a fact that pydantic cannot see alone: (its key, message)."""
    if fact.key in earlier:
        return "key", f"{fact.key!r} names an earlier fact too; keys must be unique"
    for name in ("statement", "source", "note"):
        value = getattr(fact, name)
        if not value.strip():
            return name, "must not be empty"
        if "\n" in value.strip() and name == "statement":
            return name, "one sentence on one line, please"
    known = preset_names()
    for name in ("preset", "reference"):
        value = getattr(fact, name)
        if value is not None and value not in known:
            return name, unknown_name_message("preset", value, known)
    if fact.is_effect and fact.reference is None:
        return "reference", (
            f"a {fact.kind} fact compares two presets on the same seeds: name the reference"
            ' preset (e.g. reference = "baseline")'
        )
    if not fact.is_effect and fact.reference is not None:
        return "reference", (
            "a level fact reads one preset; remove the reference, or make the kind"
            " relative_change or difference"
        )
    if fact.reference == fact.preset:
        return "reference", "is the preset itself: the effect would be zero by construction"
    if fact.outcome not in OUTCOME_BY_NAME:
        return "outcome", unknown_name_message("outcome", fact.outcome, OUTCOME_BY_NAME)
    if fact.low is None and fact.high is None:
        return "low", "give low, high or both (a target range)"
    if fact.low is not None and fact.high is not None and fact.low > fact.high:
        return "low", f"low ({fact.low:g}) is above high ({fact.high:g})"
    if WINDOW in fact.overrides:
        return "overrides", f"set the summary window with the fact's 'window', not {WINDOW}"
    return None, ""


def _resolve(fact: Fact, presets: dict[str, Preset], where: Callable[[str], str]) -> Fact:
    """The fact with `days` and `window` filled in from its preset, its overrides checked."""
    own = presets[fact.preset]
    days = fact.days if fact.days is not None else own.days
    window = fact.window if fact.window is not None else own.parameters.summary_window_days
    for name in fact.presets():
        try:
            presets[name].with_overrides(fact.overrides, source="")
        except ParameterError as exc:
            raise ScenarioError(f"{where('overrides')}: {exc}") from None
    if window > days:
        key = "window" if fact.window is not None else "days"
        raise ScenarioError(
            f"{where(key)}: the summary window ({window} days) is longer than the run"
            f" ({days} days); give a window of at most {days}"
        )
    return fact.model_copy(update={"days": days, "window": window})
