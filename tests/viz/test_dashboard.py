"""The dashboard in a real browser: Playwright drives Debian's chromium against the real server.

One server per test module (a free loopback port), one fresh page (a fresh session) per test.
Every test also checks that the browser console shows no error and that no request left
localhost (they are blocked, as in a classroom with no internet). Screenshots go to the test's
tmp_path (pytest's temporary folder, kept after the run): each test's whole page as page.png,
printed on failure, and the charts a test looked at, named in its failure messages.
"""

from __future__ import annotations

import time

import pytest

from tests.viz.browser import (
    canvas_ink,
    chart_data,
    choose,
    open_dashboard,
    status_day,
    step,
    wait_day,
)
from tests.viz.synthetic import write_result_folder

pytestmark = pytest.mark.slow

SINGLE_CITY_VIEWS = 8  # satisfaction, four, case burden, start-up, queues, informal, skill, network


def test_charts_are_really_drawn(page, server, tmp_path):
    open_dashboard(page, server)
    items = page.locator(".vue-grid-item:not(.vue-grid-placeholder)")
    assert items.count() == SINGLE_CITY_VIEWS
    for i in range(items.count()):
        box = items.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 200, box
    step(page, 5)
    canvases = page.locator(".govsim-chart canvas")
    assert canvases.count() >= 9  # three small charts in one cell, two networks in another
    for i in range(canvases.count()):
        canvas = canvases.nth(i)
        box = canvas.bounding_box()
        assert box and box["width"] > 150 and box["height"] > 80, box
        shot = tmp_path / f"canvas{i}.png"
        assert canvas_ink(canvas, shot) > 0.02, f"canvas {i} looks empty: {shot}"
    trips = chart_data(page, "trips_per_case")
    assert [r["day"] for r in trips if r["kind"] == "run"] == [0, 1, 2, 3, 4]
    big = page.locator(".govsim-start-business")
    assert "Doing Business" in big.inner_text() and "DB2019" in big.inner_text()


def test_step_play_and_reset_move_the_model(page, server):
    open_dashboard(page, server)
    step(page)
    assert status_day(page) == 1
    page.get_by_role("button", name="▶").click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('.govsim-chart > div')]
            .every(e => parseInt((e.getAttribute('data-mark') || 'day 0').slice(4)) >= 6)""",
        timeout=30_000,
    )
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="Step", exact=True).wait_for()  # enabled again once paused
    time.sleep(0.6)
    paused = status_day(page)
    assert paused >= 6
    time.sleep(0.8)
    assert status_day(page) == paused, "the model kept running after pause"
    page.get_by_role("button", name="Reset", exact=True).click()
    wait_day(page, 0)
    assert status_day(page) == 0
    step(page, 2)
    assert status_day(page) == 2


def test_switching_a_policy_on_changes_a_chart(page, server):
    open_dashboard(page, server)
    step(page, 25)
    before = [r["value"] for r in chart_data(page, "trips_per_case") if r["kind"] == "run"]
    page.get_by_text("One-stop service centre: on", exact=True).click()
    page.get_by_role("button", name="Reset", exact=True).click()
    wait_day(page, 0)
    step(page, 25)
    rows = chart_data(page, "trips_per_case")
    after = [r["value"] for r in rows if r["kind"] == "run"]
    baseline = [r["value"] for r in rows if r["kind"] == "baseline"]
    assert baseline == pytest.approx(before, nan_ok=True), "baseline = same seed, no reform"
    assert after[-1] < 0.8 * baseline[-1], (after[-1], baseline[-1])
    assert page.locator(".govsim-status .v-alert").count() == 0  # every input was used


def test_seed_field_accepts_what_a_person_types(page, server):
    open_dashboard(page, server)
    seed = page.get_by_label("Seed (a whole number)")
    seed.fill(" 12 ")
    seed.press("Enter")
    page.get_by_role("button", name="Reset", exact=True).click()
    step(page)
    assert page.locator(".govsim-status .v-alert").count() == 0
    seed.fill("twelve")
    seed.press("Enter")
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_text("seed must be a whole number").wait_for()


def test_language_switch_shows_chinese(page, server, tmp_path):
    open_dashboard(page, server)
    step(page, 10)
    page.get_by_role("button", name="中文").click()
    page.get_by_text("情景", exact=True).wait_for()
    for text in (  # sidebar, app bar and reform panel redraw on their own: wait for each
        "预设情景",
        "仪表盘",
        "实验结果",
        "与基线比较（无改革，同一随机种子）",
        "行政服务中心（一站式服务）：实施",
    ):
        page.get_by_text(text, exact=True).filter(visible=True).first.wait_for()
    wanted = ["市民与企业满意度", "四满意", "每件跑腿次数", "今日各部门排队人次"]
    page.wait_for_function(  # each chart redraws with its new title on its own
        """(wanted) => {
            const titles = [...document.querySelectorAll('.govsim-chart > div')]
                .map(e => e.getAttribute('data-title'));
            return wanted.every(w => titles.includes(w));
        }""",
        arg=wanted,
    )
    page.locator(".govsim-status").get_by_text("第 10 天", exact=False).wait_for()
    time.sleep(0.5)
    page.screenshot(path=str(tmp_path / "dashboard_zh.png"))
    page.get_by_role("button", name="English").click()
    page.get_by_text("Scenario", exact=True).wait_for()


def test_a_lesson_can_be_followed_to_its_end(page, server, tmp_path):
    open_dashboard(page, server)
    choose(page, "Teaching mode: lesson", "One-stop service: fewer trips")
    panel = page.locator(".govsim-lesson")
    panel.get_by_text("Step 1 of 3").wait_for()
    for day in (60, 180):
        panel.get_by_role("button", name=f"Run to day {day}").click()
        wait_day(page, day, timeout=60)
        page.screenshot(path=str(tmp_path / f"lesson_day{day}.png"))
        panel.get_by_role("button", name="Next").click()
    panel.get_by_text("Step 3 of 3").wait_for()
    panel.get_by_role("button", name="Next").click()
    panel.get_by_text("To discuss").wait_for()
    # the heading can be drawn a moment before the question replaces the last step's text
    panel.get_by_text("Why does a one-stop centre cut trips", exact=False).wait_for()
    trips = chart_data(page, "trips_per_case")
    run = [r["value"] for r in trips if r["kind"] == "run"]
    base = [r["value"] for r in trips if r["kind"] == "baseline"]
    # the centre opened on day 60: after its learning dip, fewer trips by day 180
    assert run[-1] < base[-1]
    panel.get_by_role("button", name="Finish the lesson").click()
    panel.get_by_text("Lesson complete", exact=False).wait_for()


def test_several_cities_are_compared(page, server, tmp_path):
    open_dashboard(page, server)
    choose(page, "Preset", "two_cities")
    page.get_by_text("Reforms below apply to city “reformer”", exact=False).wait_for()
    page.wait_for_function(  # the grid is rebuilt with the city comparison
        """(n) => document.querySelectorAll('.vue-grid-item:not(.vue-grid-placeholder)')
            .length === n
            && document.querySelector('.govsim-chart > div[data-chart="enterprises"]')""",
        arg=SINGLE_CITY_VIEWS + 1,
    )
    wait_day(page, 0)
    step(page, 3)
    firms = chart_data(page, "enterprises")
    assert {r["series"] for r in firms if r["kind"] == "run"} == {"reformer", "laggard"}
    for name in ("enterprises", "residents", "competitiveness_index"):
        canvas = page.locator(f'.govsim-chart > div[data-chart="{name}"] canvas')
        shot = tmp_path / f"{name}.png"
        assert canvas_ink(canvas, shot) > 0.02, f"chart {name} looks empty: {shot}"


def test_results_page_shows_the_table_and_bands(page, server, tmp_path):
    write_result_folder(server.results_root / "experiment")
    page.goto(f"{server.url}/results?folder=experiment")
    table = page.locator(".govsim-summary")
    table.wait_for()
    text = table.inner_text()
    assert "baseline" in text and "one_stop" in text and "Trips per case" in text
    assert "8 successful runs, 1 failed" in page.locator(".govsim-results").inner_text()
    page.wait_for_function(
        """() => document.querySelector('.govsim-chart > div[data-chart="trips_per_case"]')
            ?.getAttribute('data-mark') === 'trips_per_case'"""
    )
    time.sleep(0.5)
    canvas = page.locator('.govsim-chart > div[data-chart="trips_per_case"] canvas')
    shot = tmp_path / "trips_per_case.png"
    assert canvas_ink(canvas, shot) > 0.02, f"the band chart looks empty: {shot}"
    rows = chart_data(page, "trips_per_case")
    assert all(r["low"] <= r["mean"] <= r["high"] for r in rows)
    page.screenshot(path=str(tmp_path / "results.png"), full_page=True)
    box = page.get_by_label("Result folder (from govsim experiment run)")
    for outside in (str(tmp_path), "../..", "/etc", "no-such-folder"):
        box.fill(outside)  # outside the results root or absent: the same answer
        page.get_by_role("button", name="Open").click()
        page.get_by_text("Cannot open this folder", exact=False).wait_for()
        assert "no finished experiment, calibration or policy design by that name" in (
            page.locator(".govsim-results").inner_text()
        )
