"""Threads that work for one dashboard session (a play loop, a build, a page watching a game).

A thread inside a session is registered in solara's `current_context` (thread key -> session).
The session's close (solara 1.58, `VirtualKernelContext.close`, under the session's lock) copies
that table and then deletes every key it copied that points to the session; a key removed in
between raises KeyError, logged as a server traceback. A closing session is exactly when our
threads end, told to stop, and solara's own thread patch removes a thread's key when it ends,
outside any lock. So `start` keeps the thread out of solara's registration, and the thread
enters the session with `entered`, which leaves it and removes its key under the session's lock:
either before close copies the table or after close has deleted the key, never in between.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
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


def start(target: Callable[[], None], name: str, context: Any = None) -> threading.Thread:
    """Run `target` in a daemon thread inside `context` (a session's, or None for work that
    belongs to no session, e.g. a classroom game's days), not registered by solara's patch."""

    def run() -> None:
        with entered(context):
            target()

    thread = unregistered(threading.Thread(target=run, name=name, daemon=True))
    thread.start()
    return thread


@contextlib.contextmanager
def entered(context: Any) -> Iterator[None]:
    """The calling thread inside the session `context` (nothing for None); on the way out its
    registration is removed under the session's lock, so it cannot race the session's close."""
    if context is None:
        yield
        return
    from solara.server import kernel_context

    context.__enter__()
    try:
        yield
    finally:
        with context.lock:
            context.__exit__(None, None, None)
            kernel_context.clear_context_for_thread(threading.current_thread())


def unregistered(thread: threading.Thread) -> threading.Thread:
    """`thread`, not yet started, kept out of solara's registration (its target enters the
    session itself, if it needs one)."""
    thread.current_context = None  # type: ignore[attr-defined]  # (solara's patch reads this)
    return thread
