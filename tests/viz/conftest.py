"""Fixtures of the browser tests: one dashboard server per test module, one chromium, a fresh page
(a fresh session) per test. See test_dashboard.py for what every page is checked for."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.viz.browser import CHROMIUM, CHROMIUM_FLAGS, Server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
            "(or run `apt-get install chromium`)"
        )
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    srv = Server(log)
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()
    assert "Traceback" not in log.read_text(errors="replace"), srv.log()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, timeout=60_000)
        yield b
        b.close()


@pytest.fixture
def page(browser, server, tmp_path):
    """A fresh page; afterwards: a screenshot in tmp_path (its path printed, so shown when the test
    fails), no console errors, nothing fetched from outside."""
    context = browser.new_context(viewport={"width": 1400, "height": 1700})
    outside: list[str] = []

    def only_localhost(route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_localhost)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # the stack too: a page error from the widget manager names the widget it failed on only there
    pg.on("pageerror", lambda e: errors.append(f"page error: {e}\n{e.stack}"))
    pg.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    yield pg
    shot = tmp_path / "page.png"
    pg.screenshot(path=str(shot), full_page=True)
    print(f"screenshot of the page at the end of the test: {shot}")
    context.close()
    assert errors == [], f"browser console errors: {errors} (screenshot: {shot})"
    assert outside == [], f"requests left localhost: {outside} (screenshot: {shot})"
