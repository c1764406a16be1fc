"""The classroom game (viz/classroom.py, viz/classroom_pages.py): joining, the reform fund,
advancing, the league, thirty students at once; and one real classroom in chromium: a teacher
page and thirty student browser contexts on loopback.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from agents.government import ENDED, STARTED
from tests.viz.browser import CHROMIUM, CHROMIUM_FLAGS, choose
from tests.viz.test_glance import VISIBLE_LABELS, ascii_only
from viz import classroom
from viz.classroom import (
    CUSHION_DAYS,
    DORMANT,
    Game,
    GameError,
    Registry,
    Settings,
    default_settings,
)
from viz.classroom_pages import POLL_S
from viz.i18n import UI, t, zh_punctuation
from world.interventions import REGISTRY

SMALL = Settings(cities=3, residents=1000, budget=40_000.0, days=60)


@pytest.fixture
def game() -> Game:
    return Registry().create(SMALL)


def events(game: Game, city: int) -> list[tuple[int, str, str]]:
    return list(game.model.cities[city].government.events)


# --- joining ------------------------------------------------------------------------------------
def test_students_claim_free_cities_or_the_one_they_choose(game):
    a = game.join("  Ann  Lee ")
    c = game.join("Cai", city=2)
    b = game.join("")
    assert (a.city, b.city, c.city) == (0, 1, 2)
    assert a.name == "Ann Lee" and b.name == ""
    assert len({a.key, b.key, c.key}) == 3
    assert game.seat(c.key) is c and game.seat("nobody") is None
    with pytest.raises(GameError) as full:
        game.join("Dan")
    assert full.value.key == "class_full"
    assert full.value.text("en") == "All 3 cities are taken."
    assert game.free_cities() == []


def test_a_taken_or_missing_city_is_refused_with_its_number(game):
    game.join("Ann", city=1)
    with pytest.raises(GameError) as taken:
        game.join("Bob", city=1)
    assert taken.value.text("en") == "City 2 is taken: choose another city."
    assert taken.value.text("zh") == "城市 2 已有人治理：请另选一座城市。"
    with pytest.raises(GameError) as missing:
        game.join("Bob", city=7)
    assert missing.value.key == "class_no_city"
    assert game.free_cities() == [0, 2]
    # a second Ann could not be told from the first in the league: asked to add something
    with pytest.raises(GameError) as twice:
        game.join(" ann ")
    assert twice.value.key == "class_name_taken" and "ann is already playing" in twice.value.text(
        "en"
    )
    assert game.join("Ann B").city == 0 and game.join("").city == 2  # no name: no clash


def test_the_teacher_frees_a_city_whose_student_lost_the_link(game):
    lost = game.join("Ann")
    game.choose(lost.key, "transparency", True)
    game.advance(2)
    game.release(lost.city)
    assert game.seat(lost.key) is None and game.free_cities() == [0, 1, 2]
    with pytest.raises(GameError) as gone:
        game.choose(lost.key, "one_stop", True)
    assert gone.value.key == "class_no_seat"
    again = game.join("Ann again")  # the city as it was: its reforms and its fund
    assert again.city == lost.city and again.key != lost.key
    assert next(r for r in game.reforms(again.city) if r.key == "transparency").active
    game.release(2)  # a free city: nothing happens


def test_thirty_students_at_once_get_thirty_different_cities():
    game = Registry().create(Settings(cities=30, residents=1000, budget=40_000.0, days=30))
    barrier = threading.Barrier(40)
    seats, refused = [], []

    def student(n: int) -> None:
        barrier.wait()
        try:
            seats.append(game.join(f"student {n}"))
        except GameError as exc:
            refused.append(exc.key)

    threads = [threading.Thread(target=student, args=(n,)) for n in range(40)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert sorted(s.city for s in seats) == list(range(30))
    assert len({s.key for s in seats}) == 30
    assert refused == ["class_full"] * 10
    assert {r.player for r in game.league()} == {s.name for s in seats}


# --- the reform fund ------------------------------------------------------------------------------
def test_a_reform_the_fund_cannot_pay_is_refused_with_what_it_needs(game):
    seat = game.join("Ann")
    online = next(r for r in game.reforms(0) if r.key == "online_24_7")
    need = online.setup + CUSHION_DAYS * online.daily
    assert need > 0
    poor = Registry().create(Settings(cities=2, residents=1000, budget=need - 1, days=60))
    s = poor.join("Bob")
    version = poor.version
    with pytest.raises(GameError) as refused:
        poor.choose(s.key, "online_24_7", True)
    text = refused.value.text("en")
    assert text.startswith("Not adopted: Online and hotline, 24/7 needs")
    assert f"{need:,.0f} CNY" in text and f"{need - 1:,.0f} CNY available" in text
    zh = refused.value.text("zh")
    assert "未采纳" in zh and zh_punctuation(zh) == zh
    assert not next(r for r in poor.reforms(0) if r.key == "online_24_7").chosen
    assert poor.version == version  # nothing changed
    game.choose(seat.key, "online_24_7", True)  # the richer city can
    assert next(r for r in game.reforms(0) if r.key == "online_24_7").chosen


def test_reforms_adopted_the_same_day_share_the_fund(game):
    seat = game.join("Ann")
    costs = {r.key: r.setup + CUSHION_DAYS * r.daily for r in game.reforms(0)}
    fund = game.fund(0)
    assert costs["one_stop"] < fund < costs["one_stop"] + costs["online_24_7"]
    game.choose(seat.key, "one_stop", True)
    assert game.available(0) == pytest.approx(fund - costs["one_stop"])
    with pytest.raises(GameError):
        game.choose(seat.key, "online_24_7", True)
    game.choose(seat.key, "one_stop", False)  # changed her mind before the day ran: no cost
    assert game.available(0) == pytest.approx(fund)
    assert next(r for r in game.reforms(0) if r.key == "one_stop").since is None
    game.choose(seat.key, "online_24_7", True)


def test_only_a_seated_student_chooses_and_only_known_reforms(game):
    seat = game.join("Ann")
    with pytest.raises(GameError) as no_seat:
        game.choose("forged", "one_stop", True)
    assert no_seat.value.key == "class_no_seat"
    with pytest.raises(GameError) as unknown:
        game.choose(seat.key, "free_lunch", True)
    assert unknown.value.key == "class_no_reform"


# --- days -----------------------------------------------------------------------------------------
def test_a_reform_chosen_mid_game_takes_effect_from_the_next_day_and_stops_when_told(game):
    seat = game.join("Ann")
    assert game.advance(5) == 4  # days 0-4 simulated
    game.choose(seat.key, "transparency", True)
    state = next(r for r in game.reforms(0) if r.key == "transparency")
    assert state.chosen and not state.active and state.since == 5
    fund = game.fund(0)
    game.advance(1)
    assert (5, "transparency", STARTED) in events(game, 0)
    assert "transparency" in game.model.cities[0].government.active_policies
    spent = fund - game.fund(0)  # set-up and a day, less a share of the day's tax
    assert spent > 0.9 * state.setup
    assert events(game, 1) == [] and events(game, 2) == []  # the other cities: nothing
    game.advance(3)
    game.choose(seat.key, "transparency", False)
    game.advance(1)
    assert (9, "transparency", ENDED) in events(game, 0)
    assert "transparency" not in game.model.cities[0].government.active_policies
    # adopted again: no second set-up
    game.choose(seat.key, "transparency", True)
    assert next(r for r in game.reforms(0) if r.key == "transparency").setup == 0.0
    game.advance(1)
    assert "transparency" in game.model.cities[0].government.active_policies


def test_a_city_nobody_reformed_runs_as_a_city_without_reforms():
    game = Registry().create(Settings(cities=2, residents=1000, budget=40_000.0, days=30))
    for i in game.model.cities[0].government.policy:
        assert i.start == DORMANT and not i.due(10**6)
    game.advance(3)
    assert game.model.cities[0].government.active_policies == []
    assert all(r.setup > 0 or REGISTRY[r.key]().setup_cost == 0 for r in game.reforms(0))


def test_advancing_stops_at_the_last_day_and_one_advance_runs_at_a_time(game):
    version = game.version
    assert game.advance_in_background(50)
    assert not game.advance_in_background(1)  # one at a time
    assert game.advancing_to == 49
    seat = game.join("during")  # a click waits for a day, not for the whole advance
    game.choose(seat.key, "transparency", True)
    assert game.advancing_to is not None and game.day < 40, game.day
    deadline = time.monotonic() + 60
    while game.advancing_to is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert game.day == 49 and game.version > version + 49
    assert game.advance(100) == SMALL.days - 1  # never past the last day
    assert game.over and not game.advance_in_background(1)
    with pytest.raises(GameError) as over:
        game.choose(seat.key, "one_stop", True)
    assert over.value.key == "class_over"


def test_the_league_ranks_by_competitiveness_with_every_city_once(game):
    seat = game.join("Ann", city=1)
    before = game.league()
    assert [r.rank for r in before] == [1, 2, 3]
    assert all(math.isnan(r.satisfaction_residents) for r in before)  # nothing judged yet
    assert [r.firms for r in before] == [50.0] * 3 and before[0].residents == 1000.0
    game.choose(seat.key, "one_stop", True)
    game.advance(20)
    league = game.league()
    assert sorted(r.city for r in league) == [0, 1, 2]
    index = [r.competitiveness for r in league]
    assert index == sorted(index, reverse=True)
    assert all(0 <= r.satisfaction_firms <= 1 for r in league)
    assert game.standing(1).player == "Ann" and game.standing(1).reforms == 1
    assert game.league() is league  # computed once per version


# --- the registry ---------------------------------------------------------------------------------
def test_games_are_found_by_code_and_memory_stays_bounded():
    registry = Registry(max_games=2, idle_s=3600)
    a = registry.create(SMALL)
    b = registry.create(SMALL)
    assert a.code != b.code and len(a.code) == classroom.CODE_LENGTH
    assert registry.get(f" {a.code.lower()} ") is a
    a.touched -= 10  # b is the more recent
    b.touch()
    c = registry.create(SMALL)  # full: the game idle longest goes
    assert registry.get(a.code) is None and a.ended
    assert registry.get(b.code) is b and registry.get(c.code) is c
    registry.end(b.code)
    assert registry.get(b.code) is None and b.ended and len(registry) == 1
    with pytest.raises(GameError) as ended:
        b.join("x")
    assert ended.value.key == "class_no_game"
    c.touched -= 7200
    registry.idle_s = 3600
    assert registry.get(c.code) is None and len(registry) == 0  # idle too long: dropped


def test_settings_are_checked_with_messages_and_default_to_the_default_fund():
    with pytest.raises(GameError) as many:
        Settings(cities=41).check()
    assert many.value.text("en") == "A game has between 2 and 40 cities."
    with pytest.raises(GameError):
        Settings(residents=1234).check()
    with pytest.raises(GameError):
        Settings(budget=float("nan")).check()
    s = default_settings(cities=30)
    assert s.cities == 30 and s.budget == pytest.approx(400_000 * s.residents / 10_000)


def test_the_league_table_escapes_what_students_type(game):
    from viz.classroom_pages import league_html

    seat = game.join('<img src=x onerror="alert(1)">')
    page = league_html(game, "en", own=seat.city)
    assert "<img" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert page.count("<tr data-city=") == 3 and 'class="govsim-own"' in page
    assert 'data-day="0"' in page and "<th>Firms</th>" in page
    assert "<th>企业数</th>" in league_html(game, "zh")


def test_every_classroom_label_has_both_languages_in_full_width_punctuation():
    keys = [k for k in UI if k.startswith("class_")]
    assert len(keys) > 40
    for k in keys:
        en, zh = UI[k]
        assert en and zh and zh_punctuation(zh) == zh, k
    assert t("class_day", "zh", day=3, days=30) == "第 3 天 / 共 30 天"


# --- a real classroom in chromium ----------------------------------------------------------------
STUDENTS = 30
CITIZENS_PER_CITY = "1000"  # the smallest city: thirty of them step a day in about 0.1 s
SEE_WITHIN_S = 90.0  # generous: every page sees the teacher's advance within this on a busy machine
ADOPTERS = range(0, STUDENTS, 3)  # every third student adopts a reform before the advance


def watch_console(page, errors: list[str], who: str) -> None:
    page.on("console", lambda m: errors.append(f"{who}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{who}: page error: {e}\n{e.stack}"))
    page.on(
        "response",
        lambda r: errors.append(f"{who}: {r.status} {r.url}") if r.status >= 400 else None,
    )


# Thirty pages in a few renderer processes rather than thirty: the pages of one process share its
# compiled JavaScript, and the thirty load in 57 s instead of 93 s on this busy 2-core machine. The
# contexts stay apart (their own cookies and storage: thirty solara sessions).
RENDERER_PROCESSES = 2


@pytest.fixture(scope="module")
def classroom_browser():
    from playwright.sync_api import sync_playwright

    flags = [*CHROMIUM_FLAGS, f"--renderer-process-limit={RENDERER_PROCESSES}"]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=flags, timeout=60_000)
        yield b
        b.close()


@pytest.mark.slow
def test_a_teacher_and_thirty_students_play_one_game(classroom_browser, server, tmp_path):
    """A teacher page creates a game of 30 cities; 30 browser contexts (one chromium) join it,
    every third adopts a reform (one over budget is refused with its message), the teacher
    advances 7 days, and every student page shows day 7, its city's row and the whole league
    within SEE_WITHIN_S. No page logs a console error."""
    started, cpu = time.monotonic(), server.cpu_seconds()
    errors: list[str] = []
    contexts = []

    def new_page(who: str):
        context = classroom_browser.new_context(viewport={"width": 1200, "height": 900})
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost")
                else route.abort()
            ),
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(90_000)
        watch_console(page, errors, who)
        return page

    try:
        teacher = new_page("teacher")
        teacher.goto(server.url + "/classroom")
        new = teacher.locator(".govsim-class-new")
        new.get_by_role("textbox").first.wait_for()
        _set_cities(teacher, STUDENTS)
        choose(teacher, "Residents per city", CITIZENS_PER_CITY)
        teacher.get_by_role("button", name="Create the game").click()
        teacher.locator(".govsim-class-code").wait_for(timeout=120_000)
        code = teacher.locator(".govsim-class-code").inner_text().split(":")[-1].strip()
        assert len(code) == classroom.CODE_LENGTH, code
        created, cpu_created = time.monotonic(), server.cpu_seconds()

        students = []
        for n in range(STUDENTS):
            page = new_page(f"student {n}")
            # not waiting for each page to load: thirty sessions start side by side
            page.goto(f"{server.url}/classroom?game={code}", wait_until="commit")
            students.append(page)
        for n, page in enumerate(students):
            page.get_by_label("Your name (shown in the league)").fill(f"S{n:02d}")
            page.get_by_role("button", name="Join", exact=True).click()
        for page in students:
            page.locator(".govsim-class-me").wait_for()
        teacher.locator(".govsim-class-players").get_by_text(
            f"Students joined: {STUDENTS} of {STUDENTS}"
        ).wait_for()
        joined, cpu_joined = time.monotonic(), server.cpu_seconds()

        for n in ADOPTERS:
            row = students[n].locator(".govsim-one_stop")
            row.get_by_role("button", name="Adopt").click()
            row.get_by_text("adopted: from day 1", exact=False).wait_for()
        refused = students[0].locator(".govsim-online_24_7")
        refused.get_by_role("button", name="Adopt").click()
        message = students[0].locator(".govsim-class-message")
        message.get_by_text("Not adopted: Online and hotline, 24/7 needs", exact=False).wait_for()

        teacher.get_by_role("button", name="+7 days").click()
        clicked = time.monotonic()
        for page in students:
            page.locator(".govsim-class-day").get_by_text("Day 7 of", exact=False).wait_for(
                timeout=SEE_WITHIN_S * 1000
            )
        seen = time.monotonic() - clicked
        cities = set()
        for n, page in enumerate(students):
            league = page.locator("table.govsim-league")
            assert league.get_attribute("data-day") == "7"
            assert league.locator("tbody tr").count() == STUDENTS
            own = league.locator("tr.govsim-own")
            city = int(own.get_attribute("data-city"))
            cities.add(city)
            title = page.locator(".govsim-class-me").inner_text()
            assert f"You govern City {city + 1}\n" in title, (n, city, title[:80])
            assert f"S{n:02d}" in own.inner_text()
            if n in ADOPTERS:
                students[n].locator(".govsim-one_stop").get_by_text(
                    "in force since day 1"
                ).wait_for()
        assert cities == set(range(STUDENTS))
        teacher.locator("table.govsim-league").get_by_text("S29").wait_for()
        teacher.get_by_role("button", name="中文").click()  # and in Chinese, no English left
        teacher.get_by_text("排行榜", exact=True).wait_for()
        teacher.locator(".govsim-class-day").get_by_text("第 7 天 / 共 730 天").wait_for()
        teacher.get_by_text(t("class_league_note", "zh"), exact=True).wait_for()
        time.sleep(1.0)
        left = ascii_only(teacher.evaluate(VISIBLE_LABELS))
        assert left == [], f"English left on the teacher's page in Chinese: {left}"
        teacher.screenshot(path=str(tmp_path / "teacher.png"), full_page=True)
        student = students[0]  # the student's page too, its refusal message included
        student.get_by_role("button", name="中文").click()
        student.locator(".govsim-class-message").get_by_text("未采纳", exact=False).wait_for()
        student.get_by_text("你的改革", exact=True).wait_for()
        student.get_by_text(t("class_league_note", "zh"), exact=True).wait_for()  # the last text
        time.sleep(1.0)  # the browser applies a redraw of the whole page in parts
        left = ascii_only(student.evaluate(VISIBLE_LABELS))
        assert left == [], f"English left on a student's page in Chinese: {left}"
        students[0].screenshot(path=str(tmp_path / "student0.png"), full_page=True)
        # the students close their tabs: their sessions, and the threads watching the game, end
        watching = threads(server)
        for page in students:
            page.close(run_before_unload=True)
        deadline = time.monotonic() + 60
        while server.kernels()["total"] > 1 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert server.kernels()["total"] == 1, server.kernels()  # the teacher's
        time.sleep(2 * POLL_S)
        assert threads(server) <= watching - STUDENTS, (watching, threads(server))
        print(
            f"classroom of {STUDENTS}: game built in {created - started:.1f} s, all joined in"
            f" {joined - created:.1f} s, day 7 seen by every student {seen:.1f} s after the"
            f" click, {time.monotonic() - started:.1f} s in all; server CPU:"
            f" {cpu_created - cpu:.1f} s building, {cpu_joined - cpu_created:.1f} s joining,"
            f" {server.cpu_seconds() - cpu:.1f} s in all (screenshots in {tmp_path})"
        )
    finally:
        for context in contexts:
            context.close()
    assert errors == [], f"browser console errors: {errors[:10]}"


def threads(server) -> int:
    """The server process's threads now, from /proc."""
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise RuntimeError("no Threads in /proc status")


def _set_cities(page, n: int) -> None:
    """The 'Cities' slider to `n` (the keyboard on its thumb: End, then Left down to n)."""
    thumb = page.get_by_role("slider", name="Cities (one per student)")
    thumb.focus()
    page.keyboard.press("End")  # the most
    for _ in range(classroom.MAX_CITIES - n):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "(n) => document.querySelector('.govsim-class-new [role=slider]')"
        ".getAttribute('aria-valuenow') === String(n)",
        arg=n,
    )
