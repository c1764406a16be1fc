"""Tasks that kill their own worker process, for the fault-injection tests.

They run in real worker processes (imported there by name), so they stand for a worker killed by
`kill -9` or by the kernel's out-of-memory killer in the middle of a run.
"""

from __future__ import annotations

import os
from pathlib import Path

from experiments.task import execute

DOOMED = "one_stop~p0000~r0000"  # the run whose worker dies


def dies_once(run, spec_data, store_root=None, presets=None):
    """The doomed run's worker dies the first time it runs it (a marker file beside the result
    folder counts tries; local workers are given the folder)."""
    if run.run_id == DOOMED:
        marker = Path(store_root).parent / "tried"
        if not marker.exists():
            marker.write_text("1")
            os._exit(137)
    return execute(run, spec_data, store_root, presets)


def always_dies(run, spec_data, store_root=None, presets=None):
    """The doomed run's worker dies every time: the run must be recorded as failed."""
    if run.run_id == DOOMED:
        os._exit(137)
    return execute(run, spec_data, store_root, presets)
