"""`RequesterPool.nth_active` picks the rows a scan of the active rows would, without the scan;
`active_indices` and `mean_satisfaction` agree with a fresh scan whatever opened, closed or
changed its satisfaction, in a pool and in whole runs."""

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
        scan = np.flatnonzero(pool.active[: pool.size])
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


@pytest.mark.parametrize("closing", [0.0005, 0.3])  # a few movers (no scan), many closed
def test_active_at_is_the_scan_indexed(closing) -> None:
    rng = np.random.default_rng(11)
    pool = RequesterPool("citizen", 16)
    pool.append(20_000, active=np.ones(20_000, bool))
    for _ in range(20):  # close and reopen rows, and add rows open and closed
        for row in rng.integers(0, pool.size, int(closing * pool.size) + 1).tolist():
            pool.set_active(row, False)
        for row in rng.integers(0, pool.size, 3).tolist():
            pool.set_active(row, True)
        n = int(rng.integers(1, 40))
        pool.append(n, active=rng.random(n) < 0.7)
        pool._active_rows = None  # as after any opening or closing: nothing kept from a scan
        scan = np.flatnonzero(pool.active[: pool.size])
        positions = np.concatenate([[0, len(scan) - 1], rng.integers(0, len(scan), 50)])
        assert np.array_equal(pool.active_at(positions), scan[positions])
        if closing < 0.01:
            assert pool._active_rows is None  # answered from the closed rows, not a scan
        assert pool._closed == np.flatnonzero(~pool.active[: pool.size]).tolist()


def test_kept_active_rows_follow_every_opening_and_closing() -> None:
    rng = np.random.default_rng(5)
    pool = RequesterPool("citizen", 8)
    pool.append(50, active=np.ones(50, bool), satisfaction=rng.random(50))
    for step in range(60):
        kept = pool.active_indices()
        assert not kept.flags.writeable  # callers share it: nobody may change it
        assert pool.active_indices() is kept  # nothing changed: no new scan
        what = step % 6
        rows = rng.integers(0, pool.size, 12)  # repeats, and closed rows among them
        if what == 4:  # judged: the last write of a repeated row stands
            with pool.changing_satisfaction(rows):
                pool.satisfaction[rows] += 0.3 * (rng.random(12) - pool.satisfaction[rows])
        elif what == 5:  # told: every write of a repeated row adds up
            with pool.changing_satisfaction(rows):
                np.add.at(pool.satisfaction, rows, 0.1 * (rng.random(12) - 0.5))
        elif what == 0:
            pool.set_active(int(rng.integers(0, pool.size)), False)
        elif what == 1:
            pool.set_active(int(rng.integers(0, pool.size)), True)
        elif what == 2:
            n = int(rng.integers(1, 20))
            pool.append(n, active=rng.random(n) < 0.5, satisfaction=rng.random(n))
        else:
            row = int(pool.active_indices()[0])
            pool.set_active(row, True)  # already active: nothing changes
        scan = np.flatnonzero(pool.active[: pool.size])
        assert np.array_equal(pool.active_indices(), scan)
        assert pool.n_active == len(scan)
        # the mean of the active rows: summed in another order when some are closed, so equal
        # to the last bits of a double (a relative 1e-12 is thousands of times those)
        masked = pool.satisfaction[: pool.size][pool.active[: pool.size]]
        assert pool.mean_satisfaction() == pytest.approx(masked.mean(), rel=1e-12)
    whole = RequesterPool("citizen", 4)
    whole.append(30, active=np.ones(30, bool), satisfaction=rng.random(30))
    assert whole.mean_satisfaction() == whole.satisfaction[:30].mean()  # every row: bit for bit
    assert np.isnan(RequesterPool("citizen", 4).mean_satisfaction())


@pytest.mark.parametrize("preset", ["baseline", "two_cities"])
def test_the_kept_mean_follows_a_whole_run(preset) -> None:
    """Every write of satisfaction in a run (judging, word of mouth, founding, moving between
    cities) keeps the sum `mean_satisfaction` divides: one that bypassed it would drift."""
    from experiments.one_run import advance
    from scenarios import load_preset

    model = load_preset(preset).with_overrides({"n_citizens": 3000, "n_enterprises": 150}).build(2)
    advance(model, 150)
    pools = [pool for city in model.cities for pool in (city.citizens, city.enterprises)]
    assert any(pool.n_active < pool.size for pool in pools)  # firms closed, or someone moved
    for pool in pools:
        fresh = pool.satisfaction[: pool.size][pool.active[: pool.size]].mean()
        # summed in another order: equal to the last bits (1e-12 is thousands of them)
        assert pool.mean_satisfaction() == pytest.approx(fresh, rel=1e-12)
