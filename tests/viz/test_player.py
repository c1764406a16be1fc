"""The play loop (viz.player) without a browser: one frame at a time, prompt pause, errors kept."""

from __future__ import annotations

import logging
import threading
import time

from viz import player as player_module
from viz.player import CurrentModel, Player


class FakeModel:
    def __init__(self, days: int = 10_000, fail_on: int | None = None) -> None:
        self.day, self.days, self.fail_on = 0, days, fail_on

    @property
    def running(self) -> bool:
        return self.day < self.days

    def step(self) -> None:
        if self.day == self.fail_on:
            raise ValueError("a broken day")
        self.day += 1


class SlowPage:
    """A page whose redraws take `seconds`: records how many are outstanding at once."""

    def __init__(self, player: Player, seconds: float) -> None:
        self.player, self.seconds = player, seconds
        self.frame = 0
        self.outstanding = 0
        self.most_outstanding = 0
        self.lock = threading.Lock()

    def redraw(self) -> int:
        with self.lock:
            self.frame += 1
            self.outstanding += 1
            self.most_outstanding = max(self.most_outstanding, self.outstanding)
            frame = self.frame

        def draw() -> None:
            time.sleep(self.seconds)
            with self.lock:
                self.outstanding -= 1
            self.player.drawn(frame)

        threading.Thread(target=draw, daemon=True).start()
        return frame


def test_play_waits_for_each_redraw_and_skips_days_when_slow():
    p = Player()
    page = SlowPage(p, seconds=0.4)
    model = FakeModel()
    started = time.monotonic()
    p.play(model, redraw=page.redraw)
    deadline = started + 60  # frames counted, not seconds slept: a busy machine is slow
    while page.frame < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    days_per_frame = p.days_per_frame  # (the frame cut short by pause plays one day)
    p.stop()
    assert p.join(5.0)
    elapsed = time.monotonic() - started
    assert page.most_outstanding == 1, "a redraw was asked for before the last one was drawn"
    # one frame per 0.4 s redraw (+ rest), not one per 0.15 s play interval
    assert 3 <= page.frame <= elapsed / 0.4 + 1, (page.frame, elapsed)
    assert days_per_frame > 1  # frames skipped: several days a redraw
    assert model.day > page.frame


def test_pause_ends_the_loop_within_a_frame():
    p = Player()
    page = SlowPage(p, seconds=0.2)
    p.play(FakeModel(), redraw=page.redraw)
    time.sleep(0.5)
    p.stop()
    assert p.join(2.0), "the loop went on after pause"  # a frame is 0.2 s
    assert not p.playing


def test_an_error_is_logged_and_handed_on_and_the_loop_ends(caplog):
    p = Player()
    page = SlowPage(p, seconds=0.0)
    errors, ended = [], threading.Event()
    with caplog.at_level(logging.ERROR, logger="govsim.dashboard"):
        p.play(FakeModel(fail_on=3), redraw=page.redraw, on_error=errors.append, on_end=ended.set)
        assert ended.wait(5.0)
    assert [str(e) for e in errors] == ["a broken day"]
    assert "play loop stopped on an error" in caplog.text
    assert not p.playing


def test_play_stops_at_the_horizon():
    p = Player()
    page = SlowPage(p, seconds=0.0)
    model = FakeModel(days=4)
    ended = threading.Event()
    p.play(model, redraw=page.redraw, on_end=ended.set)
    assert ended.wait(5.0)
    assert model.day == 4


def test_play_stops_when_no_page_is_connected(monkeypatch):
    connected = [True]
    monkeypatch.setattr(player_module, "page_connected", lambda context: connected[0])
    p = Player()
    page = SlowPage(p, seconds=0.05)
    p.play(FakeModel(), redraw=page.redraw)
    time.sleep(0.3)
    connected[0] = False
    assert p.join(1.0), "a session with no page kept playing"


def test_a_click_waits_for_the_model_being_built_and_old_builds_are_dropped():
    current = CurrentModel()
    first = current.building()
    second = current.building()
    assert current.get(timeout=0.05) is None  # still building
    assert not current.built(first, "old city")  # overtaken
    assert current.built(second, "new city")
    assert current.get(timeout=0.05) == "new city"
    current.close()
    assert current.get(timeout=0.05) is None
