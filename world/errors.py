"""Errors a person reads: one line each, naming what is wrong and, where it can, the fix."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pydantic is imported by whoever has a ValidationError to explain
    from pydantic import ValidationError


class InputError(ValueError):
    """Bad input a person can fix (a file, a value, a folder, an address): the message is one
    line, ready for them; the command line prints it and exits with status 2."""


class ParameterError(InputError):
    """A bad parameter name or value; the message is one line, ready for a person."""


class ScenarioError(ParameterError):
    """A preset or catalogue that cannot be used; the message says file, line and key."""


def unknown_name_message(kind: str, name: str, valid: Any) -> str:
    """'unknown X "name"' with the nearest valid name suggested."""
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.5)  # arithmetic: a hint
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r}{hint}"


@dataclass(frozen=True)
class Problem:
    """The first problem pydantic found, as the parts a one-line message is made of."""

    loc: tuple[str | int, ...]  # where: ("services", 0, "key"); () for a whole-object check
    message: str  # a validator's own sentence, or pydantic's message in lower case
    input: Any  # the offending value
    cause: Exception | None  # the validator's exception, when one raised it
    missing: bool  # a required key is absent

    @property
    def dotted(self) -> str:
        return ".".join(str(p) for p in self.loc)


def first_problem(exc: ValidationError) -> Problem:
    """The first of pydantic's errors: every loader turns it into its own one-line message."""
    err = exc.errors()[0]
    cause = (err.get("ctx") or {}).get("error")
    message = str(cause) if cause is not None else err["msg"].lower()
    loc = tuple(part for part in err["loc"] if not _union_tag(part))
    return Problem(loc, message, err.get("input"), cause, err["type"] == "missing")


def _union_tag(part: str | int) -> bool:
    """A step pydantic adds to an error's place for the member of a union it tried (a model's
    class name, 'list[float]', 'function-after[...]'): not a key of the user's file."""
    if not isinstance(part, str):
        return False
    return "[" in part or part in _model_names()


def _model_names() -> set[str]:
    from pydantic import BaseModel

    names, todo = set(), [BaseModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            names.add(sub.__name__)
            todo.append(sub)
    return names
