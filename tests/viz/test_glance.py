"""Read at a glance (issue 14), in the real browser: Chinese mode has no English left, the charts
keep a readable width with a lesson open at laptop and desktop sizes, sliders show their values,
the status line names a setup changed by Reset, and Mesa's internals stay hidden."""

from __future__ import annotations

import re
import time

import pytest

from tests.viz.browser import choose, open_dashboard, page_text, step, wait_day
from tests.viz.synthetic import write_result_folder
from viz.lessons import LESSONS

pytestmark = pytest.mark.slow

# Every visible text node, input label, tooltip, and each chart's title, axis titles and series.
VISIBLE_LABELS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const n = walker.currentNode, text = n.textContent.trim(), el = n.parentElement;
    if (!text || !el || el.closest('style,script,.govsim-user-text')) continue;
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || s.visibility === 'hidden') continue;
    out.push(text);
  }
  for (const e of document.querySelectorAll('[title]')) {
    if (e.offsetParent) out.push(e.getAttribute('title'));
  }
  const specOf = (e) => {
    let v = e.__vue__;
    while (v && !v.spec && v.$children && v.$children.length) v = v.$children[0];
    return v && v.spec;
  };
  const walk = (node) => {
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === 'data' || k === 'datasets' || k === 'config' || k === 'usermeta') continue;
      if ((k === 'title' || k === 'subtitle' || k === 'text') && typeof v === 'string') out.push(v);
      else if (k === 'title' && v && typeof v.text === 'string') {
        out.push(v.text); if (v.subtitle) out.push(v.subtitle);
      } else walk(v);
    }
  };
  for (const e of document.querySelectorAll('.govsim-chart')) {
    walk(specOf(e));
    const data = e.firstElementChild && e.firstElementChild.govsimData;
    for (const rows of Object.values(data || {})) for (const r of rows) {
      for (const k of ['series', 'category', 'group']) if (typeof r[k] === 'string') out.push(r[k]);
    }
  }
  return [...new Set(out)];
}"""
# What may stay ASCII in Chinese mode: numbers with their units and signs, the language switch.
NUMBERS_AND_UNITS = re.compile(r"^[\d\s.,:;%+\-−–—/()\[\]·…]*(0-1|days?|PNG|SVG|DB\d{4})?$")
ALLOWED = {"English"}


def ascii_only(labels: list[str]) -> list[str]:
    return [
        s for s in labels if s.isascii() and s not in ALLOWED and not NUMBERS_AND_UNITS.match(s)
    ]


def test_chinese_mode_leaves_no_english_label(page, server, tmp_path):
    open_dashboard(page, server)
    choose(page, "Preset", "one_stop")  # a reform against the baseline: every chart has lines
    page.get_by_text("One-stop service centre from", exact=False).count()  # (none: no change)
    wait_day(page, 0, timeout=60)
    step(page, 3)
    page.get_by_role("button", name="中文").click()
    page.get_by_text("情景", exact=True).wait_for()
    page.locator(".govsim-status").get_by_text("一站式服务", exact=False).first.wait_for()
    page.wait_for_function(
        """() => [...document.querySelectorAll('.govsim-chart > div')]
            .every(e => /[\\u4e00-\\u9fff]/.test(e.getAttribute('data-title') || ''))"""
    )
    time.sleep(1.0)  # the charts' menus and legends redraw on their own
    page.screenshot(path=str(tmp_path / "zh.png"), full_page=True)
    labels = page.evaluate(VISIBLE_LABELS)
    left = ascii_only(labels)
    assert left == [], f"English left in Chinese mode: {left} (screenshot {tmp_path / 'zh.png'})"
    text = "\n".join(labels)
    assert "市民社交网络" in text and "市民社会网络" not in text
    half_width = [
        s for s in labels if re.search(r"[\u4e00-\u9fff][,:;()!?]|[,:;()!?][\u4e00-\u9fff]", s)
    ]
    assert half_width == [], f"half-width punctuation in Chinese text: {half_width}"
    # the results page too: its table, its presets and its charts
    write_result_folder(server.results_root / "experiment")
    page.goto(f"{server.url}/results?folder=experiment")
    page.get_by_role("button", name="中文").click()
    page.locator(".govsim-summary").get_by_text("每件跑腿次数", exact=False).wait_for()
    time.sleep(1.0)
    page.screenshot(path=str(tmp_path / "results_zh.png"), full_page=True)
    left = ascii_only(page.evaluate(VISIBLE_LABELS))
    assert left == [], f"English left on the results page: {left}"
    first = page.locator(".govsim-summary tbody th").first.bounding_box()
    assert first and first["width"] > 90, f"the first column is squeezed: {first}"


# Each chart: its canvas width and, for a Vega view, the plot's own width (axes and legend aside).
CHART_WIDTHS = """() => [...document.querySelectorAll('.govsim-chart')].map(e => {
  let v = e.__vue__;
  while (v && !v.view && v.$children && v.$children.length) v = v.$children[0];
  const canvas = e.querySelector('canvas');
  return {name: e.firstElementChild.getAttribute('data-chart'),
          canvas: canvas ? canvas.getBoundingClientRect().width : 0,
          plot: v && v.view ? v.view.width() : 0};
})"""


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_charts_keep_their_width_with_every_lesson_open(browser, server, tmp_path, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_dashboard(page, server)
        for key, lesson in LESSONS.items():
            choose(page, "Teaching mode: lesson", lesson.title("en"))
            page.locator(".govsim-status").get_by_text(lesson.title("en"), exact=False).wait_for()
            page.locator(".govsim-building").wait_for(state="detached")
            wait_day(page, 0, timeout=60)
            time.sleep(0.5)
            # before any step, too: a first drawing while the page laid out was a sliver
            widths = page.evaluate(CHART_WIDTHS)
            narrow = [w for w in widths if w["canvas"] < 300 or (w["plot"] and w["plot"] < 200)]
            assert narrow == [], f"{key} at {size}, day 0: squeezed charts {narrow}"
            step(page, 2)  # lines, legends and the baseline's dashes drawn
            time.sleep(0.5)
            shot = tmp_path / f"{key}_{size[0]}.png"
            page.screenshot(path=str(shot), full_page=True)
            widths = page.evaluate(CHART_WIDTHS)
            assert len(widths) >= 10, widths
            narrow = [w for w in widths if w["canvas"] < 300 or (w["plot"] and w["plot"] < 200)]
            assert narrow == [], f"{key} at {size}: squeezed charts {narrow} (screenshot {shot})"
            panel = page.locator(".govsim-lesson").bounding_box()
            assert panel and panel["width"] >= 280, f"{key}: lesson panel {panel}"
    finally:
        context.close()


def test_sliders_show_values_and_reset_names_the_new_setup(page, server):
    open_dashboard(page, server)
    sidebar = page.locator(".v-navigation-drawer")
    sidebar.get_by_text("One-stop service centre: start day: 0", exact=True).wait_for()
    sidebar.get_by_text("One-stop service centre: intensity: 1.00", exact=True).wait_for()
    assert "Page 0" not in page_text(page) and "PAGE 0" not in page_text(page)
    assert page.locator(".govsim-setup").count() == 0  # the preset as it is
    page.get_by_text("One-stop service centre: on", exact=True).click()
    page.get_by_role("button", name="Reset", exact=True).click()
    setup = page.locator(".govsim-setup")
    setup.get_by_text("+ One-stop service centre from day 0, intensity 1", exact=False).wait_for()
    wait_day(page, 0, timeout=60)


def test_every_sidebar_slider_has_a_track_to_drag(page, server):
    """full_reform's 32 reform sliders at 1280x800: each label above its track, so no long
    label ('Green channel for enterprises: intensity: 1.00') leaves the track a sliver."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(server.url + "/?preset=full_reform")
    wait_day(page, 0, timeout=90)
    widths = page.evaluate(
        "() => [...document.querySelectorAll('.v-navigation-drawer .v-slider')]"
        ".map(e => e.getBoundingClientRect().width)"
    )
    assert len(widths) >= 30 and min(widths) >= 250, sorted(widths)[:5]
