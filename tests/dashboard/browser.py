"""Moved to tests/viz/browser.py; this re-export keeps `benchmarks/dashboard_speed.py` working."""

from tests.viz.browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    Server,
    canvas_ink,
    chart_data,
    choose,
    free_port,
    status_day,
    step,
    wait_day,
)

__all__ = [
    "CHROMIUM",
    "CHROMIUM_FLAGS",
    "Server",
    "canvas_ink",
    "chart_data",
    "choose",
    "free_port",
    "status_day",
    "step",
    "wait_day",
]
