"""Play and pause for one dashboard session: a play loop that never runs ahead of the page.

Mesa's SolaraViz plays in a thread that steps, asks for a redraw and sleeps a fixed interval,
whether or not the last redraw is finished. On a busy machine a redraw takes longer than the
interval, so every render pass sees a new request from the play thread; after 100 passes reacton
gives up ("Too many renders triggered"), the page shows a traceback and the session is lost, and a
click on pause waits behind the queue (issue 14).

`Player` plays one frame at a time, in its own thread:

1. step the model one day (more when frames are slow: frames are skipped, up to
   `MAX_DAYS_PER_FRAME` days a redraw, so the simulated speed holds on a slow machine);
2. ask for a redraw (`force_update`) and wait until it is done (`drawn`, called by a component's
   effect after the render pass that drew it);
3. rest at least `PLAY_INTERVAL_S` from the frame's start, and at least `REST_SHARE` of the
   frame's duration, so the page's own events (a click on pause) are served between frames.

The stop flag is a `threading.Event`, looked at between days and while waiting, so pause takes
effect within the frame being drawn. The loop also stops when no page of the session is connected
any more (a closed tab, a lost network), when the model has run its horizon, and on an error,
which is logged (the server log) and handed to `on_error` to be shown on the page.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from mesa.visualization.utils import force_update, update_counter

from viz import session_threads
from viz.session_threads import entered, page_connected, session_context, unregistered

logger = logging.getLogger("govsim.dashboard")

PLAY_INTERVAL_S = 0.15  # at most about 7 frames a second on a quiet machine
MAX_DAYS_PER_FRAME = 5  # a slow redraw is followed by up to this many days before the next one
REST_SHARE = 0.5  # after a frame, rest at least half as long as it took (a busy machine)
FRAME_TIMEOUT_S = 30.0  # a redraw not done by then is given up on (the loop goes on, never hangs)
WAIT_SLICE_S = 0.05  # how often a waiting loop looks at the stop flag and the page


class Player:
    """One session's play loop (see the module docstring). Thread-safe; `stop` never blocks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._drawn = threading.Condition()
        self._drawn_frame = -1
        self.frames = 0  # redraws asked for while playing (for tests and the benchmark)
        self.days_per_frame = 1

    # --- what the page calls ------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        with self._lock:
            return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def play(
        self,
        model: Any,
        *,
        on_end: Callable[[], None] = lambda: None,
        on_error: Callable[[BaseException], None] = lambda exc: None,
        redraw: Callable[[], int] | None = None,
    ) -> None:
        """Start playing `model` (a no-op when already playing). `on_end` is called in the play
        thread when the loop ends for any reason; `redraw` asks for a redraw and returns the
        frame number that `drawn` will be called with (default: Mesa's update counter)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and not self._stop.is_set():
                return
            previous = self._thread
            self._stop = threading.Event()
            thread = unregistered(  # (the loop enters the session itself: viz.session_threads)
                threading.Thread(
                    target=self._run,
                    args=(model, previous, self._stop, session_context(), on_end, on_error, redraw),
                    name="govsim-play",
                    daemon=True,
                )
            )
            self._thread = thread
        thread.start()

    def stop(self) -> None:
        """Pause: the loop stops after the day or the wait it is in. Returns at once."""
        with self._lock:
            self._stop.set()
        with self._drawn:
            self._drawn.notify_all()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the loop has ended (tests); whether it has."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def drawn(self, frame: int) -> None:
        """A render pass that drew `frame` is done (called from a component's effect)."""
        with self._drawn:
            self._drawn_frame = max(self._drawn_frame, frame)
            self._drawn.notify_all()

    # --- the loop -----------------------------------------------------------------------------
    def _wait_drawn(self, frame: int, stop: threading.Event, context: Any) -> None:
        deadline = time.monotonic() + FRAME_TIMEOUT_S
        with self._drawn:
            while self._drawn_frame < frame and not stop.is_set():
                if time.monotonic() > deadline:
                    logger.warning("play: frame %d not drawn after %.0f s", frame, FRAME_TIMEOUT_S)
                    return
                if not page_connected(context):
                    return
                self._drawn.wait(WAIT_SLICE_S)

    def _run(
        self,
        model: Any,
        previous: threading.Thread | None,
        stop: threading.Event,
        context: Any,
        on_end: Callable[[], None],
        on_error: Callable[[BaseException], None],
        redraw: Callable[[], int] | None,
    ) -> None:
        if previous is not None:
            previous.join()  # the last loop's frame ends first: one loop steps the model at a time
        with entered(context):
            try:
                self._loop(model, stop, context, redraw or _redraw)
            except Exception as exc:  # any error: logged, shown, session kept
                logger.exception("the dashboard's play loop stopped on an error")
                try:
                    on_error(exc)
                except Exception:
                    logger.exception("could not show the play loop's error on the page")
            finally:
                stop.set()
                try:
                    on_end()
                except Exception:
                    logger.exception("could not show on the page that play has stopped")

    def _loop(
        self, model: Any, stop: threading.Event, context: Any, redraw: Callable[[], int]
    ) -> None:
        days = 1
        while not stop.is_set() and model.running:
            if not page_connected(context):
                logger.info("play: no page of the session is connected any more, pausing")
                return
            started = time.monotonic()
            for _ in range(days):
                if stop.is_set() or not model.running:
                    break
                model.step()
            frame = redraw()
            self.frames += 1
            self._wait_drawn(frame, stop, context)
            took = time.monotonic() - started
            # skip frames rather than queue them: as many days next time as frames were missed
            days = max(1, min(MAX_DAYS_PER_FRAME, math.ceil(took / PLAY_INTERVAL_S)))
            self.days_per_frame = days
            stop.wait(max(PLAY_INTERVAL_S - took, REST_SHARE * took))


def _redraw() -> int:
    """Ask every view to redraw (Mesa's update counter); the frame number it will draw."""
    force_update()
    return update_counter.value


class CurrentModel:
    """The session's model as the buttons see it, and its building in the background. While a
    preset, lesson or Reset builds a new one, a click on Step or play waits for it rather than
    act on the old one (the page may not yet show the buttons disabled when the click is sent)."""

    BUILD_WAIT_S = 120.0  # the largest preset builds in well under this on a busy 2-core machine

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: Any = None
        self._ready = threading.Event()
        self._latest = 0
        self._closed = False

    def building(self) -> int:
        """A new model is on its way: the token its `built` call must bring."""
        with self._lock:
            self._latest += 1
            self._ready.clear()
            return self._latest

    def built(self, token: int, model: Any) -> bool:
        """The model asked for with `token` is ready; False when an older build was overtaken
        (or the session closed): it is dropped."""
        with self._lock:
            if token != self._latest or self._closed:
                return False
            self._model = model
            self._ready.set()
            return True

    def build(
        self,
        token: int,
        make: Callable[[], Any],
        on_built: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Build a model with `make` in a thread of its own (in the session), then hand it to
        `on_built` unless overtaken; an error is logged and handed to `on_error`.

        A thread, not `solara.lab.use_task`: a task keeps its last result in the session's
        store, which outlived the closed session and kept every session's city in memory."""
        context = session_context()

        def run() -> None:
            try:
                model = make()
            except Exception as exc:  # logged and shown; the session stays
                logger.exception("could not build the dashboard's city")
                if token == self._latest and not self._closed:
                    on_error(exc)
                return
            if self.built(token, model):
                on_built(model)

        session_threads.start(run, "govsim-build", context)

    def close(self) -> None:
        """The session closed: forget the model, drop builds still running."""
        with self._lock:
            self._closed = True
            self._model = None
            self._ready.set()

    def get(self, timeout: float | None = None) -> Any:
        """The model, once built (None if it is not built within `timeout`)."""
        if not self._ready.wait(self.BUILD_WAIT_S if timeout is None else timeout):
            return None
        return self._model
