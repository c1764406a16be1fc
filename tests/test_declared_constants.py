"""Behavioural constants live in the declarations, nowhere else.

Every number that shapes behaviour is a declared parameter (`world/parameters.py`: range, unit,
meaning, role) or a named, documented constant there or in the calendar. This test reads the
code of the model's layers (world, agents, model) and fails on any other numeric literal. The only
numbers allowed elsewhere are 0, 1 and 2 (identities, halves and doubles of arithmetic), lines
marked `# arithmetic` (a rounding guard, a seed range, an array's growth factor: numbers that
change no behaviour) and lines marked `# published` (figures quoted from a source, for
comparison, never used by the model). The random-number generator of a case is exempt as a
whole: its numbers are SplitMix64's and Marsaglia-Tsang's, not the model's.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DECLARATIONS = {"world/parameters.py", "world/calendar.py"}
EXEMPT = {"model/case.py"}  # CaseRandom: a counter-based generator's constants
NEUTRAL = {0, 1, 2}
PACKAGES = ("world", "agents", "model")
DECLARING_CALLS = {"Field", "declare", "_p"}
MARKS = ("# arithmetic", "# published")


def _literals(path: Path) -> list[tuple[int, object]]:
    """Numeric literals of a module with their lines, in order; docstrings are not numbers, and
    neither are the arguments of a declaration (`Field(...)`, `declare(...)`, `_p(...)`: a
    default with its range, unit and meaning, as intervention and catalogue fields have)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    declared: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in DECLARING_CALLS:
                declared.update(id(inner) for inner in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and type(node.value) in (int, float)
            and id(node) not in declared
        ):
            found.append((node.lineno, node.col_offset, node.value))
    return [(line, value) for line, _, value in sorted(found)]


def _undeclared() -> list[str]:
    bad = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in DECLARATIONS or rel in EXEMPT:
                continue
            lines = path.read_text(encoding="utf-8").splitlines()
            for lineno, value in _literals(path):
                if value in NEUTRAL:
                    continue
                line = lines[lineno - 1]
                above = lines[lineno - 2] if lineno > 1 else ""
                if any(m in line or above.strip().startswith(m) for m in MARKS):
                    continue
                bad.append(f"{rel}:{lineno}: {value!r}: {line.strip()}")
    return bad


def test_no_behavioural_constant_outside_the_declarations() -> None:
    bad = _undeclared()
    assert not bad, (
        "numbers outside the declarations (declare them in world/parameters.py, or mark pure"
        " arithmetic with '# arithmetic'):\n" + "\n".join(bad)
    )


def test_the_check_finds_a_hidden_constant(tmp_path: Path) -> None:
    source = tmp_path / "example.py"
    source.write_text(
        '"""Doc 42."""\nx = 0.25 * y\nz = 3  # arithmetic: three draws\n'
        "w: float = Field(0.7, ge=0.0, description='declared')\n"
    )
    assert [v for _, v in _literals(source)] == [0.25, 3]
