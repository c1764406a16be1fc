"""Regenerate the screenshots in docs/img from the current app (not a test):

    python -m tests.viz.screenshots [RESULT_FOLDER]

Starts the dashboard (tests.viz.browser.Server), drives Debian's chromium at 1400x1050 and writes
dashboard.png (full_reform against its baseline, day 150), dashboard_zh.png (the same in
Chinese), lesson.png (the one-stop lesson at day 180), compare.png (side by side, day 120) and,
given the result folder of an experiment (e.g. results/standard from `make run`), results.png
(its results page, 1400x1500).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from tests.viz.browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    REPO,
    Server,
    choose,
    open_dashboard,
    status_day,
    wait_day,
)

DOCS_IMG = REPO / "docs" / "img"
SIZE = {"width": 1400, "height": 1050}


def play_to(page, day: int) -> None:
    page.get_by_role("button", name="▶").click()
    deadline = time.monotonic() + 300
    while status_day(page) < day and time.monotonic() < deadline:
        time.sleep(0.3)
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="Step", exact=True).wait_for()
    time.sleep(1.0)
    wait_day(page, status_day(page), timeout=60)


def main(results: Path | None) -> None:
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="govsim-shots-"))
    if results is not None:
        shutil.copytree(results, work / "results" / results.name)
    server = Server(work / "server.log", results_root=work / "results")
    server.wait_ready()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport=SIZE)
            page.set_default_timeout(60_000)
            open_dashboard(page, server)
            choose(page, "Preset", "full_reform")
            page.locator(".govsim-status").get_by_text("full_reform", exact=False).wait_for()
            wait_day(page, 0, timeout=60)
            play_to(page, 150)
            page.screenshot(path=str(DOCS_IMG / "dashboard.png"))
            page.get_by_role("button", name="中文").click()
            page.locator(".govsim-status").get_by_text("全面改革", exact=False).wait_for()
            time.sleep(2.0)
            page.screenshot(path=str(DOCS_IMG / "dashboard_zh.png"))
            page.get_by_role("button", name="English").click()
            page.get_by_text("Scenario", exact=True).wait_for()
            choose(page, "Teaching mode: lesson", "One-stop service: fewer trips")
            panel = page.locator(".govsim-lesson")
            panel.get_by_text("Step 1 of 3").wait_for()
            for day in (60, 180):
                panel.get_by_role("button", name=f"Run to day {day}").click()
                wait_day(page, day, timeout=120)
                panel.get_by_role("button", name="Next").click()
            time.sleep(1.0)
            page.screenshot(path=str(DOCS_IMG / "lesson.png"))
            page.goto(f"{server.url}/compare")  # one-stop (B) against no reform (A)
            wait_day(page, 0, timeout=120)
            play_to(page, 120)
            page.screenshot(path=str(DOCS_IMG / "compare.png"))
            if results is not None:
                page.set_viewport_size({"width": 1400, "height": 1500})
                page.goto(f"{server.url}/results?folder={results.name}")
                page.locator(".govsim-summary").wait_for()
                time.sleep(3.0)
                page.screenshot(path=str(DOCS_IMG / "results.png"))
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"screenshots written to {DOCS_IMG}/")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
