"""Dashboard speed as a person sees it: first draw and click-to-redraw, measured in the browser.

Starts the real server on a free loopback port and drives Debian's chromium (as the browser tests
do, with their helpers), at a laptop's window size, for the default city (one city, the
`baseline` preset) and for two cities (`two_cities`), both at the declared default size.

    .venv/bin/python benchmarks/dashboard_browser.py [--steps 30] [--width 1280 --height 800]

- first draw: from opening the page until every chart has drawn day 0;
- preset switch: from choosing `two_cities` until its charts have drawn day 0 (a progress bar
  shows meanwhile);
- step: from the click on Step until every chart has drawn the new day (charts mark the day they
  drew on their element once drawn), median and 90th percentile, against the 300 ms budget.

A benchmark prints figures; the tests never assert wall time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.viz.browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    Server,
    choose,
    status_day,
    wait_day,
)

FIRST_DRAW_BUDGET_S = 5.0
STEP_BUDGET_MS = 300.0
WARM_UP_STEPS = 3  # the first steps re-embed charts as their first data arrives


def step_times(page, steps: int) -> list[float]:
    """ms from each click on Step to every chart showing the new day."""
    button = page.get_by_role("button", name="Step", exact=True)
    times = []
    for i in range(WARM_UP_STEPS + steps):
        day = status_day(page)
        t = time.perf_counter()
        button.click()
        wait_day(page, day + 1)
        if i >= WARM_UP_STEPS:
            times.append((time.perf_counter() - t) * 1000)
    return times


def measure(steps: int, width: int, height: int) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp(prefix="govsim-bench-")) / "server.log"
    out: dict[str, object] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        server = Server(log)
        try:
            out["server_start_s"] = server.wait_ready()
            page = browser.new_page(viewport={"width": width, "height": height})
            t = time.perf_counter()
            page.goto(server.url + "/")
            wait_day(page, 0, timeout=120)
            out["first_draw_s"] = time.perf_counter() - t
            out["one city"] = step_times(page, steps)
            t = time.perf_counter()
            choose(page, "Preset", "two_cities")
            page.wait_for_function(
                """() => document.querySelector('.govsim-chart > div[data-chart="enterprises"]')
                    ?.getAttribute('data-mark') === 'day 0'""",
                timeout=120_000,
            )
            wait_day(page, 0, timeout=120)
            out["switch_s"] = time.perf_counter() - t
            out["two cities"] = step_times(page, steps)
        finally:
            server.stop()
            browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium (make test installs it)")
        return 2
    r = measure(args.steps, args.width, args.height)
    print(
        f"dashboard in the browser ({args.width}x{args.height}, headless chromium),"
        " default city size"
    )
    print(f"  server answered after start:    {r['server_start_s']:5.1f} s")
    first = r["first_draw_s"]
    verdict = "ok" if first <= FIRST_DRAW_BUDGET_S else "OVER"
    print(
        f"  first draw (all charts, day 0): {first:5.2f} s"
        f"  (budget {FIRST_DRAW_BUDGET_S:.0f} s: {verdict})"
    )
    print(f"  switch to two_cities, drawn:    {r['switch_s']:5.2f} s  (a progress bar meanwhile)")
    for name in ("one city", "two cities"):
        times = r[name]
        median = statistics.median(times)
        p90 = sorted(times)[max(0, int(0.9 * len(times)) - 1)]
        verdict = "ok" if median <= STEP_BUDGET_MS else "OVER"
        print(
            f"  step, click to redraw, {name + ':':11s} median {median:4.0f} ms, p90 {p90:4.0f} ms"
            f" over {len(times)} steps  (budget {STEP_BUDGET_MS:.0f} ms: {verdict})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
