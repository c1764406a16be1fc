"""The results page in a real browser: an experiment's paired differences are the numbers of
`govsim experiment summarize --reference baseline` (run as a command), a calibration shows its
targets against the model and its held-out coverage, and a policy design its Pareto front, whose
"run this package against the baseline" button opens the dashboard running that package."""

from __future__ import annotations

import io
import subprocess
import sys
import time

import pandas as pd
import pytest

from tests.viz.browser import REPO, canvas_ink, chart_data, choose, status_day, step, wait_day
from tests.viz.command_folders import (
    write_calibration_folder,
    write_design_folder,
    write_experiment_folder,
)
from tests.viz.test_glance import VISIBLE_LABELS, ascii_only

pytestmark = pytest.mark.slow

EFFECT_ROWS = """() => [...document.querySelectorAll('.govsim-effect')].map(e => ({
    preset: e.dataset.preset, outcome: e.dataset.outcome, diff: parseFloat(e.dataset.diff),
    low: parseFloat(e.dataset.low), high: parseFloat(e.dataset.high),
    verdict: parseInt(e.dataset.verdict), change: e.querySelector('.change').innerText}))"""


def _summarize(folder, *extra: str, reference: str = "baseline") -> str:
    command = [sys.executable, "-m", "cli", "experiment", "summarize", str(folder)]
    r = subprocess.run(
        [*command, "--reference", reference, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def _chart_drawn(page, name: str, tmp_path) -> None:
    page.wait_for_function(
        """(name) => document.querySelector(`.govsim-chart > div[data-chart="${name}"]`)
            ?.getAttribute('data-mark')""",
        arg=name,
    )
    time.sleep(0.5)
    canvas = page.locator(f'.govsim-chart > div[data-chart="{name}"] canvas')
    shot = tmp_path / f"{name}.png"
    assert canvas_ink(canvas, shot) > 0.01, f"chart {name} looks empty: {shot}"


def _chinese(page, text: str, tmp_path) -> None:
    """Switch to Chinese: `text` appears, and no English label is left."""
    page.get_by_role("button", name="中文").click()
    page.get_by_text(text, exact=False).first.wait_for()
    time.sleep(1.0)  # the charts redraw with their Chinese titles on their own
    left = ascii_only(page.evaluate(VISIBLE_LABELS))
    shot = tmp_path / "zh.png"
    page.locator(".govsim-results").screenshot(path=str(shot))
    assert left == [], f"English left in Chinese mode: {left} (screenshot {shot})"


def test_the_paired_differences_are_the_command_s(page, server, tmp_path):
    folder = write_experiment_folder(server.results_root / "tiny")
    page.goto(f"{server.url}/results?folder=tiny")
    page.locator(".govsim-effects").wait_for()
    rows = page.evaluate(EFFECT_ROWS)
    cli = pd.read_csv(io.StringIO(_summarize(folder, "--csv"))).set_index(["preset", "outcome"])
    text = _summarize(folder)
    assert len(rows) >= 4 and {r["preset"] for r in rows} == {"one_stop", "transparency"}
    for r in rows:
        want = cli.loc[(r["preset"], r["outcome"])]
        got = (r["diff"], r["low"], r["high"])
        assert got == pytest.approx((want["diff"], want["diff_low"], want["diff_high"]), rel=1e-12)
        assert r["change"] in text, (r, text)  # the command's own words for the change
    for preset in ("one_stop", "transparency"):
        clear = [r for r in rows if r["preset"] == preset]
        better = sum(r["verdict"] > 0 for r in clear)
        worse = sum(r["verdict"] < 0 for r in clear)
        line = f"{preset} against baseline: {better} better, {worse} worse"
        assert line in text and line in page.locator(".govsim-effects").inner_text()
    page.locator(".govsim-effects").screenshot(path=str(tmp_path / "effects_en.png"))
    # another reference, picked on the page: the command's numbers with --reference one_stop
    choose(page, "Reference preset", "one_stop")
    page.locator(".govsim-effects").get_by_text("baseline against one_stop", exact=False).wait_for()
    cli = pd.read_csv(io.StringIO(_summarize(folder, "--csv", reference="one_stop")))
    cli = cli.set_index(["preset", "outcome"])
    other = page.evaluate(EFFECT_ROWS)
    assert {r["preset"] for r in other} == {"baseline", "transparency"}
    for r in other:
        want = cli.loc[(r["preset"], r["outcome"])]
        got = (r["diff"], r["low"], r["high"])
        assert got == pytest.approx((want["diff"], want["diff_low"], want["diff_high"]), rel=1e-12)
    choose(page, "Reference preset", "baseline")
    page.locator(".govsim-effects").get_by_text("one_stop against baseline", exact=False).wait_for()
    page.get_by_role("button", name="中文").click()
    page.locator(".govsim-effects").get_by_text("项改善", exact=False).first.wait_for()
    page.locator(".govsim-effects").screenshot(path=str(tmp_path / "effects_zh.png"))
    assert page.evaluate(EFFECT_ROWS)[0]["diff"] == rows[0]["diff"]
    _chinese(page, "项改善", tmp_path)


def test_a_calibration_opens_with_its_targets_and_coverage(page, server, tmp_path):
    write_calibration_folder(server.results_root / "cal")
    page.goto(f"{server.url}/results?folder=cal")
    coverage = page.locator(".govsim-coverage")
    coverage.wait_for()
    assert "Held-out coverage: 0 of 1 held-out points" in coverage.inner_text()
    assert page.locator(".govsim-targets tbody tr").count() == 2
    _chart_drawn(page, "calibration-start_business_days", tmp_path)
    rows = chart_data(page, "calibration-start_business_days")
    assert [r["edition"] for r in rows] == ["DB2006", "DB2007"]
    assert all(r["low"] <= r["model"] <= r["high"] for r in rows)
    _chart_drawn(page, "calibration-path", tmp_path)
    page.locator(".govsim-results").screenshot(path=str(tmp_path / "calibration.png"))
    _chinese(page, "留出检验覆盖率", tmp_path)


def test_a_pareto_package_runs_against_the_baseline(page, server, tmp_path):
    write_design_folder(server.results_root / "design")
    page.goto(f"{server.url}/results?folder=design")
    _chart_drawn(page, "pareto-front", tmp_path)
    assert page.locator(".govsim-front").get_by_text("Transparency 1.00").count() >= 1
    page.locator(".govsim-results").screenshot(path=str(tmp_path / "design.png"))
    _chinese(page, "运行此组合并与基线比较", tmp_path)
    page.get_by_role("button", name="English").click()
    page.get_by_text("Run this package against the baseline", exact=False).first.wait_for()
    page.locator(".govsim-run-package-1").click()
    page.wait_for_url(f"{server.url}/", timeout=20_000)
    wait_day(page, 0, timeout=60)
    status = page.locator(".govsim-status")
    status.get_by_text("Pareto package 1", exact=False).wait_for()
    step(page, 3)
    assert status_day(page) == 3
    trips = chart_data(page, "trips_per_case")
    kinds = {r["kind"] for r in trips}
    assert kinds == {"run", "baseline"}, kinds  # the package beside the same city without it
    page.screenshot(path=str(tmp_path / "package_in_dashboard.png"), full_page=True)
