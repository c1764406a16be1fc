"""Offices (agents/office.py): counters open by the staff on duty, part-time counters by share."""

from __future__ import annotations

import math

import pytest

from agents.office import Office
from model import CityModel, Parameters
from world.calendar import is_working_day
from world.interventions import build_intervention


def test_lean_staffing_closes_counters(catalogue) -> None:
    city = Parameters(n_citizens=60_000, n_enterprises=3000)
    base = CityModel(city, catalogue, [], rng=0)
    lean = CityModel(city, catalogue, [build_intervention({"type": "lean_staffing"})], rng=0)
    monday = 0
    base.step()
    lean.step()
    assert base.day == monday
    cut = lean.government.policy[0].max_cut
    for b, o in zip(base.offices, lean.offices, strict=True):
        fte = o.staff * (1 - cut)  # even an office at its minimum is cut (opens fewer days)
        assert o.staff_on_duty(lean.env) == pytest.approx(fte)
        assert b.on_duty == o.counters_on(o.staff, monday) >= o.on_duty
        assert o.on_duty == o.counters_on(fte, monday)
        if o.on_duty:  # a closed office's queue keeps its counters for the next open day
            assert o.queue.n_servers == o.on_duty
    assert sum(o.on_duty for o in lean.offices) < sum(b.on_duty for b in base.offices)


def test_part_time_counters_open_their_share_of_days() -> None:
    for fte in (0.4, 1.25, 2.5, 3.0):
        days = [d for d in range(700) if is_working_day(d)]
        opened = [Office.counters_on(fte, d) for d in days]
        assert set(opened) <= {math.floor(fte), math.ceil(fte)}
        assert sum(opened) / len(days) == pytest.approx(fte, abs=0.01)
