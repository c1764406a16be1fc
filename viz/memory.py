"""Giving a closed session's memory back to the machine.

When a session closes, its city (tens of megabytes of numpy arrays and Python objects) becomes
garbage, in reference cycles that wait for a collection, and glibc's allocator keeps freed pages
in its per-thread arenas (each city is built in a thread of its own). `release_memory` runs a
garbage collection and asks glibc to hand free pages back (`malloc_trim`), a couple of seconds
after a session closes. (The leak of issue 14, 1.1 GB after 8 sessions, was another matter:
`solara.lab.use_task` kept each session's city alive after the session closed; the dashboard
builds in its own thread now, `viz.player.CurrentModel.build`.)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import threading
from collections.abc import Callable

logger = logging.getLogger("govsim.dashboard")

RELEASE_DELAY_S = 2.0  # after a session's close: its render tree and widgets are gone by then

_libc = None
_timer_lock = threading.Lock()
_timer: threading.Timer | None = None


def _trim() -> bool:
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(_libc.malloc_trim(0))
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        return False


def release_memory() -> None:
    """Collect garbage now and return the allocator's free pages to the system."""
    gc.collect()
    _trim()


def release_memory_soon(delay: float = RELEASE_DELAY_S) -> None:
    """`release_memory` in `delay` seconds, once for several sessions closing together."""
    global _timer
    with _timer_lock:
        if _timer is not None and _timer.is_alive():
            return
        _timer = threading.Timer(delay, release_memory)
        _timer.daemon = True
        _timer.start()


def on_session_start() -> Callable[[], None]:
    """For `solara.lab.on_kernel_start`: what to do when this session closes."""
    return release_memory_soon
