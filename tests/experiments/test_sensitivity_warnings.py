"""A sensitivity analysis with too small a sample says so, rather than printing impossible indices
(S1 above 1, negative S1, S1 above ST) without a word."""

from __future__ import annotations

import pandas as pd

from experiments.sensitivity import ENOUGH_SAMPLES, sample_warnings


def _sobol(rows):
    return pd.DataFrame(
        [
            {"outcome": "o", "parameter": p, "S1": s1, "S1_conf": c, "ST": st, "ST_conf": 0.01}
            for p, s1, c, st in rows
        ]
    )


def test_a_small_sobol_sample_with_impossible_indices_is_named():
    indices = _sobol([("a", 1.6, 0.2, 0.9), ("b", -0.4, 0.1, 0.2), ("c", 0.3, 0.05, 0.4)])
    warnings = sample_warnings(indices, "sobol", 8)
    assert len(warnings) == 2
    assert "samples = 8 is too small" in warnings[0] and str(ENOUGH_SAMPLES["sobol"]) in warnings[0]
    assert "S1 above 1 (1 of 3)" in warnings[1]
    assert "negative S1 (1 of 3)" in warnings[1]
    assert "S1 above ST (1 of 3)" in warnings[1]


def test_a_large_sample_with_sensible_indices_gets_no_warning():
    indices = _sobol([("a", 0.6, 0.05, 0.7), ("b", -0.01, 0.05, 0.1)])  # 0 within the interval
    assert sample_warnings(indices, "sobol", 1024) == []
    morris = pd.DataFrame([{"outcome": "o", "parameter": "a", "mu_star": 1.0}])
    assert sample_warnings(morris, "morris", 20) == []
    assert "too small" in sample_warnings(morris, "morris", 4)[0]
