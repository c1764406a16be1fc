"""Threads that work for one dashboard session (a play loop, a build, a page watching a game).

Solara patches `threading.Thread`: a thread started inside a session is registered with it and
unregistered when the thread ends. That unregistering races with the session's own close (solara
1.58, `VirtualKernelContext.close` deletes every registration it copied a moment before, and one
that a thread ending meanwhile removed raises KeyError, logged as a server traceback). A closing
session is exactly when our threads end, told to stop. So `start` unregisters the thread from
solara's patch before it runs, and the thread enters the session itself (`with context`), whose
exit resets its registration instead of deleting it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def session_context() -> Any:
    """solara's kernel context of the session calling (None outside a session: unit tests)."""
    try:
        from solara.server import kernel_context

        return kernel_context.get_current_context()
    except Exception:  # no session: plain Python, the thread runs without one
        return None


def page_connected(context: Any) -> bool:
    """Whether a browser page of the session is still connected (True outside a session)."""
    if context is None:
        return True
    from solara.server.kernel_context import PageStatus

    if context.closed_event.is_set():
        return False
    statuses = list(context.page_status.values())
    return not statuses or PageStatus.CONNECTED in statuses


class NoContext:
    """Stands in for a session context outside a session."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def start(target: Callable[[], None], name: str, context: Any = None) -> threading.Thread:
    """Run `target` in a daemon thread inside `context` (a session's, or None for work that
    belongs to no session, e.g. a classroom game's days), not registered by solara's patch."""

    def run() -> None:
        with context if context is not None else NoContext():
            target()

    thread = unregistered(threading.Thread(target=run, name=name, daemon=True))
    thread.start()
    return thread


def unregistered(thread: threading.Thread) -> threading.Thread:
    """`thread`, not yet started, kept out of solara's registration (its target enters the
    session itself, if it needs one)."""
    thread.current_context = None  # type: ignore[attr-defined]  # (solara's patch reads this)
    return thread
