"""`model.simulation.building`: what a build switches off comes back, however builds overlap."""

from __future__ import annotations

import gc
import threading

import numpy as np

from model.simulation import building

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
