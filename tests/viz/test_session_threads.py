"""A session's threads never race the session's close (the CI server traceback of stop 17)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import solara.server.app  # noqa: F401  (applies solara's thread and widget patches)
from solara.server import kernel, kernel_context

from viz import session_threads


class CopyThenWait(dict):
    """solara's `current_context`, whose `copy` (the first thing close does with it) waits for a
    session thread to end before close goes on: the worst timing a busy machine can produce."""

    thread: threading.Thread | None = None

    def copy(self) -> dict:
        snapshot = dict(self)
        if self.thread is not None:
            self.thread.join(1.0)
        return snapshot


@pytest.fixture
def table(monkeypatch):
    slow = CopyThenWait(kernel_context.current_context)
    monkeypatch.setattr(kernel_context, "current_context", slow)
    return slow


def _context(name: str) -> kernel_context.VirtualKernelContext:
    return kernel_context.VirtualKernelContext(
        id=name, kernel=kernel.Kernel(), session_id="s", event_loop=asyncio.new_event_loop()
    )


def test_a_thread_ending_while_its_session_closes_raises_nothing(table):
    context = _context("closing")
    stop = threading.Event()
    context._on_close_callbacks.append(stop.set)  # as a view's cleanup tells its thread to stop
    thread = session_threads.start(stop.wait, "govsim-test-close", context)
    table.thread = thread
    time.sleep(0.05)  # the thread is inside the session
    context.close()  # raised KeyError when the thread removed its own key mid-close
    thread.join(5.0)
    assert not thread.is_alive()
    assert not [key for key in table if key.startswith("govsim-test-close")]


def test_a_thread_ending_in_a_live_session_leaves_no_registration(table):
    context = _context("live")
    seen = []
    thread = session_threads.start(
        lambda: seen.append(kernel_context.get_current_context()), "govsim-test-live", context
    )
    thread.join(5.0)
    assert seen == [context]  # the target ran inside the session
    assert not [key for key in table if key.startswith("govsim-test-live")]
    context.close()


def test_a_thread_without_a_session_runs_outside_one():
    seen = []
    thread = session_threads.start(
        lambda: seen.append(kernel_context.has_current_context()), "govsim-test-none"
    )
    thread.join(5.0)
    assert seen == [False]
