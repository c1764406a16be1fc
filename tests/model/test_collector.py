"""The collector pauses of `model.simulation`: what a build or a day switches off comes back,
however they overlap, and the days make no garbage cycles (what makes pausing safe)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from model.simulation import building, collector_paused

advice = np._core.multiarray._set_madvise_hugepage


def _state() -> tuple[bool, bool]:
    was = advice(True)
    advice(was)
    return gc.isenabled(), was


def test_a_build_switches_both_off_and_restores_them():
    before = _state()
    with building():
        assert _state() == (False, False)
    assert _state() == before


def test_overlapping_builds_restore_only_when_the_last_ends():
    before = _state()
    first_in, first_may_go = threading.Event(), threading.Event()
    seen = []

    def first():
        with building():
            first_in.set()
            first_may_go.wait(5)
            seen.append(_state())

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with building():
        pass
    seen.append(_state())  # the first build is still on: both stay off
    first_may_go.set()
    thread.join(5)
    assert seen == [(False, False), (False, False)]
    assert _state() == before


def test_an_error_in_a_build_restores_both():
    before = _state()
    try:
        with building():
            raise ValueError("a bad city")
    except ValueError:
        pass
    assert _state() == before


def test_days_and_builds_overlapping_in_threads_restore_the_collector():
    before = _state()
    go = threading.Event()

    def days():
        go.wait(5)
        for _ in range(200):
            with collector_paused(collect_young_after=True):
                pass

    def builds():
        go.wait(5)
        for _ in range(200):
            with building():
                pass

    threads = [threading.Thread(target=f) for f in (days, builds, days, builds)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(10)
    assert _state() == before


# Run in a fresh interpreter: the test process holds other tests' objects (an SQLAlchemy class
# registry left by a calibration test once put 336 cycles of its own into gc.garbage here).
_CYCLES = """
import gc, json, sys
from experiments.one_run import advance
from model.simulation import CityModel, collector_paused
from scenarios import load_preset

preset, plant = sys.argv[1], sys.argv[2] == "plant"
if plant:  # a day that makes one cycle: the check must see it
    step = CityModel.step
    def planted(self):
        step(self)
        loop = []
        loop.append(loop)
    CityModel.step = planted
model = load_preset(preset).with_overrides({"n_citizens": 3000, "n_enterprises": 150}).build(0)
gc.collect()
gc.set_debug(gc.DEBUG_SAVEALL)
with collector_paused():
    advance(model, 120)
gc.collect()  # (an automatic collection may have come first: both save to gc.garbage)
print(json.dumps([len(gc.garbage), sorted({type(o).__name__ for o in gc.garbage})]))
"""


def _garbage_of_a_run(preset: str, plant: bool = False) -> tuple[int, list[str]]:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", _CYCLES, preset, "plant" if plant else "-"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    found, kinds = json.loads(out.stdout.strip().splitlines()[-1])
    return found, kinds


@pytest.mark.parametrize("preset", ["baseline", "full_reform", "reform_midway", "two_cities"])
def test_a_run_makes_no_garbage_cycles(preset):
    """Batch runs pause the collector for all their days (`collector_paused`): that is only safe
    while the days make no cycles, which would otherwise pile up until the run ends."""
    found, kinds = _garbage_of_a_run(preset)
    assert found == 0, f"{preset}: {found} objects in garbage cycles, of types {kinds}"


def test_the_cycle_check_sees_a_cycle_a_day_makes():
    found, kinds = _garbage_of_a_run("baseline", plant=True)
    assert found == 120 and kinds == ["list"]  # one self-referring list a day, 120 days
