"""Golden-file regression: the model's numbers do not drift by accident.

If a change is meant to alter the model, regenerate with `python tests/golden_runs.py` and say
so in the commit message.
"""

from __future__ import annotations

import json

import pytest

from tests.golden_runs import CASES, GOLDEN_DIR, compute


@pytest.mark.parametrize("name", sorted(CASES))
def test_outcomes_match_the_golden_file(name: str) -> None:
    expected = json.loads((GOLDEN_DIR / f"{name}.json").read_text())
    got = compute(*CASES[name])
    assert set(got) == set(expected)
    for key, value in expected.items():
        # Same code, same numpy: identical. The tiny tolerance only absorbs last-bit differences
        # of vectorised float maths (exp, log, sums) between processor instruction sets.
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
        else:
            assert got[key] == value, key
