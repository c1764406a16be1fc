"""Which parameters the dashboard shows as sliders, and their steps."""

from __future__ import annotations

import math

from world.parameters import ParameterInfo

SLIDER_STEPS = 100  # a slider moves in steps of 1/100 of its range (rounded to a nice number)
MAX_SLIDER_SPAN = 20.0  # a range wider than this many times the default gets a text box


def _nice_step(span: float) -> float:
    """1, 2 or 5 times a power of ten, near span / SLIDER_STEPS."""
    raw = span / SLIDER_STEPS
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def uses_slider(info: ParameterInfo) -> bool:
    """A slider when the declared range is finite and not too wide for the default."""
    if info.low is None or info.high is None:
        return False
    scale = max(abs(float(info.default)), 1.0 if info.type is int else 0.05)
    return (info.high - info.low) <= MAX_SLIDER_SPAN * scale


def slider_step(info: ParameterInfo) -> float | None:
    """A parameter's slider step, or None when it gets a text box instead."""
    if not uses_slider(info):
        return None
    return 1.0 if info.type is int else _nice_step(info.high - info.low)
