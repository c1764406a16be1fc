"""Guided lessons for teaching mode, read from `viz/lessons.toml` (data, not code).

A lesson is a preset with a few changes, some steps of text in English and Chinese (a step may
run the model to a given day), and a question to discuss. The file is checked strictly when it is
read, so a teacher's typo is one clear line, not a broken page.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from world.errors import ParameterError, unknown_name_message
from world.interventions import Intervention, build_intervention

LESSON_FILE = Path(__file__).with_name("lessons.toml")
LESSON_KEYS = {
    "key",
    "preset",
    "days",
    "compare",
    "title_en",
    "title_zh",
    "question_en",
    "question_zh",
    "parameters",
    "policy",
    "steps",
}
STEP_KEYS = {"text_en", "text_zh", "run_to_day"}


class LessonError(ValueError):
    """A lesson file that cannot be used; the message names the lesson and key."""


@dataclass(frozen=True)
class Step:
    text_en: str
    text_zh: str
    run_to_day: int | None = None

    def text(self, lang: str) -> str:
        return self.text_zh if lang == "zh" else self.text_en


@dataclass(frozen=True)
class Lesson:
    key: str
    preset: str
    title_en: str
    title_zh: str
    question_en: str
    question_zh: str
    steps: tuple[Step, ...]
    days: int | None = None
    compare: bool = False
    parameters: dict[str, Any] = field(default_factory=dict)
    policy: tuple[Intervention, ...] | None = None

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def question(self, lang: str) -> str:
        return self.question_zh if lang == "zh" else self.question_en


def _text(where: str, data: dict, key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LessonError(f"{where}: needs a non-empty {key!r}")
    return value.strip()


def _step(where: str, data: Any) -> Step:
    if not isinstance(data, dict):
        raise LessonError(f"{where}: use [[lessons.steps]] tables")
    for key in data:
        if key not in STEP_KEYS:
            raise LessonError(f"{where}: " + unknown_name_message("step key", key, STEP_KEYS))
    day = data.get("run_to_day")
    if day is not None and (not isinstance(day, int) or isinstance(day, bool) or day < 0):
        raise LessonError(f"{where}: run_to_day must be a whole number of days >= 0")
    return Step(_text(where, data, "text_en"), _text(where, data, "text_zh"), day)


def _policy(where: str, raw: Any) -> tuple[Intervention, ...] | None:
    """A lesson's policy package, built and checked when the file is read (None: the preset's)."""
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise LessonError(f"{where}: use [[lessons.policy]] tables")
    try:
        return tuple(build_intervention(d, f"{where} policy[{j}]") for j, d in enumerate(raw))
    except ParameterError as exc:
        raise LessonError(str(exc)) from None


def parse_lessons(data: dict[str, Any], source: str = str(LESSON_FILE)) -> dict[str, Lesson]:
    """Validate the parsed TOML into lessons keyed by their `key`, in file order."""
    raw = data.get("lessons")
    if not isinstance(raw, list) or not raw:
        raise LessonError(f"{source}: no [[lessons]] tables")
    out: dict[str, Lesson] = {}
    for i, item in enumerate(raw):
        where = f"{source}: lessons[{i}]"
        for key in item:
            if key not in LESSON_KEYS:
                raise LessonError(
                    f"{where}: " + unknown_name_message("lesson key", key, LESSON_KEYS)
                )
        key = _text(where, item, "key")
        where = f"{source}: lesson {key!r}"
        if key in out:
            raise LessonError(f"{where}: duplicate key")
        steps = item.get("steps")
        if not isinstance(steps, list) or not steps:
            raise LessonError(f"{where}: needs at least one [[lessons.steps]]")
        days = item.get("days")
        if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
            raise LessonError(f"{where}: days must be a whole number >= 1")
        policy = _policy(where, item.get("policy"))
        parameters = item.get("parameters", {})
        if not isinstance(parameters, dict):
            raise LessonError(f"{where}: [lessons.parameters] must be a table")
        out[key] = Lesson(
            key=key,
            preset=_text(where, item, "preset"),
            title_en=_text(where, item, "title_en"),
            title_zh=_text(where, item, "title_zh"),
            question_en=_text(where, item, "question_en"),
            question_zh=_text(where, item, "question_zh"),
            steps=tuple(_step(f"{where} step {j + 1}", s) for j, s in enumerate(steps)),
            days=days,
            compare=bool(item.get("compare", False)),
            parameters=dict(parameters),
            policy=policy,
        )
    return out


def load_lessons(path: Path = LESSON_FILE) -> dict[str, Lesson]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(f"{path}: malformed TOML: {exc}") from None
    return parse_lessons(data, str(path))


LESSONS: dict[str, Lesson] = load_lessons()
