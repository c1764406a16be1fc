"""Side by side (issue 14): two to four packages on one seed, in the real browser, and the
comparison itself (identical packages give identical series; a reform changes them)."""

from __future__ import annotations

import time

import pytest

from tests.viz.browser import chart_data, page_text, step, wait_day
from tests.viz.test_glance import VISIBLE_LABELS, ascii_only
from viz.comparison import Comparison, Package, check_packages
from world.errors import ParameterError

SMALL = "baseline"


def test_identical_packages_run_identically_and_a_reform_differs():
    c = Comparison([Package("A"), Package("A2"), Package("B", ("one_stop",))], seed=5)
    for _ in range(40):
        c.step()
    frame = c.timeseries()
    a = frame[frame["package"] == "A"].drop(columns="package").reset_index(drop=True)
    a2 = frame[frame["package"] == "A2"].drop(columns="package").reset_index(drop=True)
    b = frame[frame["package"] == "B"].drop(columns="package").reset_index(drop=True)
    assert a.equals(a2)  # the same seed and reforms: the same city, number for number
    assert not a["trips_per_case"].equals(b["trips_per_case"])
    latest = c.latest(["trips_per_case"])
    assert list(latest.index) == ["A", "A2", "B"]
    assert latest.loc["B", "trips_per_case"] < latest.loc["A", "trips_per_case"]


def test_a_package_sets_its_reforms_start_and_intensity():
    tuned = Package("late", ("one_stop", "transparency"), (("one_stop", 30, 0.5),))
    c = Comparison([Package("plain", ("one_stop",)), tuned], seed=1)
    plain = {i.key: (i.start, i.intensity) for i in c.configs[0].policy}
    late = {i.key: (i.start, i.intensity) for i in c.configs[1].policy}
    assert plain == {"one_stop": (0, 1.0)}  # as the preset (or the declaration) has it
    assert late["one_stop"] == (30, 0.5) and set(late) == {"one_stop", "transparency"}
    assert tuned.with_setting("one_stop", 60, 0.7).setting("one_stop", 0, 1.0) == (60, 0.7)
    with pytest.raises(ParameterError, match="package 'bad'"):
        Comparison([Package("ok"), Package("bad", ("one_stop",), (("one_stop", 0, 7.0),))])


@pytest.mark.parametrize(
    ("packages", "message"),
    [
        ([Package("A")], "compare 2 to 4 packages, got 1"),
        ([Package(x) for x in "ABCDE"], "compare 2 to 4 packages, got 5"),
        ([Package("A"), Package("A")], "two packages are both called 'A'"),
        ([Package("A"), Package(" ")], "every package needs a name"),
        ([Package("A"), Package("B", ("one_stopp",))], "unknown reform 'one_stopp'"),
    ],
)
def test_bad_packages_get_one_line_errors(packages, message):
    with pytest.raises(ParameterError, match=message) as info:
        check_packages(packages)
    assert "\n" not in str(info.value)


@pytest.mark.slow
def test_packages_run_side_by_side_in_the_browser(page, server):
    page.goto(server.url + "/compare")
    wait_day(page, 0, timeout=90)
    step(page, 3)
    series = {r["series"] for r in chart_data(page, "trips_per_case")}
    assert series == {"A", "B"}
    # B's one-stop starts later: its start-day slider, moved with the keyboard, says so
    b = page.locator(".govsim-package").nth(1)
    b.get_by_text("One-stop service centre: start day: 0").wait_for()
    b.get_by_role("slider").first.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    b.get_by_text("One-stop service centre: start day: 3").wait_for()
    # a third package with transparency: applied by Reset
    page.get_by_role("button", name="Add a package").click()
    cards = page.locator(".govsim-package")
    cards.nth(2).wait_for()
    cards.nth(2).get_by_label("Package name").fill("open")
    cards.nth(2).get_by_label("Package name").press("Enter")
    cards.nth(2).get_by_text("Transparency", exact=False).first.click()
    page.get_by_role("button", name="Reset", exact=True).click()
    # the new packages are built: the table has a column for the third
    page.locator("th").get_by_text("open", exact=True).wait_for(timeout=90_000)
    page.locator(".govsim-building").wait_for(state="detached", timeout=90_000)
    wait_day(page, 0, timeout=90)
    step(page, 2)
    series = {r["series"] for r in chart_data(page, "trips_per_case")}
    assert series == {"A", "B", "open"}
    text = page_text(page)
    assert "difference from the first package" in text
    # a slip in a name is a note beside the setup, and the comparison on screen stays
    cards.nth(2).get_by_label("Package name").fill("A")
    cards.nth(2).get_by_label("Package name").press("Enter")
    page.get_by_role("button", name="Reset", exact=True).click()
    note = page.locator(".govsim-compare-problem")
    note.wait_for(timeout=30_000)
    assert "Not applied: two packages are both called 'A'" in note.inner_text()
    page.locator("th").get_by_text("open", exact=True).wait_for()  # the three still shown
    cards.nth(2).get_by_label("Package name").fill("open")
    cards.nth(2).get_by_label("Package name").press("Enter")
    # in Chinese: nothing left in English but the packages' own names (typed by people)
    page.get_by_role("button", name="中文").click()
    page.get_by_text("方案名称", exact=True).first.wait_for()
    page.locator("th").get_by_text("结果指标", exact=True).wait_for()
    time.sleep(1.0)  # the charts redraw on their own
    left = [s for s in ascii_only(page.evaluate(VISIBLE_LABELS)) if s not in {"A", "B", "open"}]
    assert left == [], f"English left in Chinese mode: {left}"
