"""Driving the real dashboard in Debian's chromium: start the server, open pages, read charts.

Bounded waits everywhere: a hung server or page fails the test with what it saw, never hangs.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT = 60.0

# Every chart element once drawn carries data-mark="day N" (N = days simulated).
CHARTS_SHOW_DAY = """(day) => {
    const els = [...document.querySelectorAll('.govsim-chart > div')];
    return els.length > 0 && els.every(e => e.getAttribute('data-mark') === 'day ' + day);
}"""
CHART_DATA = """(name) => {
    const el = document.querySelector(`.govsim-chart > div[data-chart="${name}"]`);
    return el && el.govsimData ? el.govsimData : null;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m viz.server` on a free loopback port, in its own process group."""

    def __init__(
        self, log_path: Path, results_root: Path | None = None, args: tuple[str, ...] = ()
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.results_root = results_root or log_path.parent / "results"
        self.results_root.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "viz.server",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--results-root",
                str(self.results_root),
                *args,
            ],
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self) -> float:
        """Seconds until the server answers; fails with its log if it dies or takes too long."""
        start = time.monotonic()
        while time.monotonic() - start < SERVER_START_TIMEOUT:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"dashboard server exited ({self.proc.returncode}):\n{self.log()}"
                )
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic() - start
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(
            f"dashboard server not answering after {SERVER_START_TIMEOUT}s:\n{self.log()}"
        )

    def log(self) -> str:
        if not self._log.closed:  # (closed once the server is stopped: the file is all there)
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def rss_mb(self) -> float:
        """The server process's resident memory now (MB), from /proc."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS in /proc status")

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system), from /proc."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kernels(self) -> dict:
        """solara's count of live sessions ('total', 'has_connected', ...), from /resourcez."""
        import json

        with urllib.request.urlopen(self.url + "/resourcez", timeout=10) as r:
            return json.load(r)["kernels"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()


def wait_day(page, day: int, timeout: float = 20.0) -> None:
    """Until every chart shows `day` simulated days."""
    page.wait_for_function(CHARTS_SHOW_DAY, arg=day, timeout=timeout * 1000)


def chart_data(page, name: str) -> list[dict]:
    """The rows a chart draws now (all its datasets, concatenated)."""
    data = page.evaluate(CHART_DATA, name)
    assert data is not None, f"no chart {name!r} on the page"
    return [row for rows in data.values() for row in rows]


# The day in the status line, English or Chinese (also read in the page: a JavaScript RegExp).
STATUS_DAY = r"Day (\d+) of|第 (\d+) 天"


def status_day(page) -> int:
    """The day the status line reports ('Day N of D' / '第 N 天')."""
    text = page.locator(".govsim-status").first.inner_text()
    match = re.search(STATUS_DAY, text)
    assert match, text
    return int(match.group(1) or match.group(2))


def step(page, times: int = 1) -> None:
    """Press Step and wait until the charts show the new day, `times` times."""
    for _ in range(times):
        day = status_day(page)
        page.get_by_role("button", name="Step", exact=True).click()
        wait_day(page, day + 1)


def ink_share(png: bytes) -> float:
    """Share of pixels that are not (near) white: 0 for an empty panel."""
    import numpy as np
    from PIL import Image

    grey = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    return float((grey < 235).mean()) if grey.size else 0.0


def canvas_ink(canvas, path: Path) -> float:
    """`ink_share` of a chart's canvas, its screenshot kept at `path` (for a failure message)."""
    return ink_share(canvas.screenshot(path=str(path)))


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the Vuetify select labelled `label`."""
    field = page.locator(".v-select").filter(has=page.get_by_text(label, exact=True))
    field.locator(".v-select__slot").click()
    page.locator(".v-menu__content.menuable__content__active").get_by_text(
        option, exact=True
    ).click()


def open_dashboard(page, server) -> None:
    """Load the dashboard and wait until every chart is drawn (how long it takes: the benchmark)."""
    page.goto(server.url + "/")
    wait_day(page, 0, timeout=60)  # generous: a loaded machine is slow, not broken


SPIN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


class CpuLoad:
    """`n` processes spinning at full speed (a busy machine), for at most `seconds`; a context
    manager that ends them on exit (and they end by themselves if the test process dies)."""

    def __init__(self, n: int = 2, seconds: float = 300.0) -> None:
        self.n, self.seconds = n, seconds
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> CpuLoad:
        code = SPIN.format(seconds=self.seconds)
        self.procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(self.n)]
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            proc.kill()
        for proc in self.procs:
            proc.wait(10)


def page_text(page) -> str:
    return page.locator("body").inner_text()


# What a page shows when its session broke: a traceback from the server, or solara's notice.
BROKEN_SESSION = ("Traceback", "Too many renders", "disconnected", "Could not restore")


def assert_session_alive(page, shot: Path | None = None) -> None:
    text = page_text(page)
    broken = [b for b in BROKEN_SESSION if b in text]
    where = f" (screenshot: {shot})" if shot else ""
    assert not broken, f"the page shows {broken}{where}:\n{text[:2000]}"
