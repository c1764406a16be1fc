"""`RequesterPool.nth_active` picks the rows a scan of the active rows would, without the scan."""

from __future__ import annotations

import numpy as np
import pytest

from agents import requesters
from agents.requesters import RequesterPool


@pytest.mark.parametrize("block", [4096, 7])  # the real block, and one small enough for many
def test_nth_active_is_the_scan_indexed(monkeypatch, block) -> None:
    monkeypatch.setattr(requesters, "_BLOCK", block)
    rng = np.random.default_rng(3)
    pool = RequesterPool("enterprise", 20)
    for _ in range(40):  # grow past the capacity, close and reopen rows at random
        n = int(rng.integers(1, 400))
        pool.append(n, active=rng.random(n) < 0.8)
        for row in rng.integers(0, pool.size, 30).tolist():
            pool.set_active(row, bool(rng.random() < 0.5))
        scan = pool.active_indices()
        assert pool.n_active == len(scan)
        for skip in (-1, int(scan[len(scan) // 2]), int(rng.integers(0, pool.size))):
            expected = scan[scan != skip]
            positions = np.arange(len(expected))
            assert np.array_equal(pool.nth_active(positions, skip=skip), expected)


def test_the_draws_of_a_new_firms_ties_are_unchanged() -> None:
    """City._tie_in draws `choice(n, k)` and maps it; that equals `choice(the rows, k)`."""
    rows = np.array([2, 3, 5, 8, 13, 21, 34, 55, 89, 144])
    for seed in range(50):
        mapped = rows[np.random.default_rng(seed).choice(len(rows), 3, replace=False)]
        direct = np.random.default_rng(seed).choice(rows, 3, replace=False)
        assert np.array_equal(mapped, direct)
