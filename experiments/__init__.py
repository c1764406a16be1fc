"""Running govsim: single simulations, batch experiments (design, evaluators, result folders,
statistics, report, sensitivity). The command line is in `cli`.

`simulate`, `run_simulation` and `RunResult` come from `experiments.one_run`, imported when first
used: reading an experiment file does not bring in the model.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["RunResult", "run_simulation", "simulate"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("experiments.one_run"), name)
    raise AttributeError(f"module 'experiments' has no attribute {name!r}")
