"""The dashboard's "Side by side" page: two to four reform packages, live, on one seed.

The sidebar holds the preset, the seed, the shared Step / Play / Pause / Reset and one reform
panel per package (its name and a switch per reform); Reset builds every package's city from the
same seed (`viz.comparison`) in the background. The main column draws each headline outcome with
one line per package, and a table of today's values against the first package.
"""

from __future__ import annotations

import html
import math
from dataclasses import replace
from typing import Any

import numpy as np
import solara
from mesa.visualization.utils import update_counter

from model.outcomes import HEADLINE_OUTCOMES, OUTCOME_BY_NAME, format_value
from scenarios import Preset, load_preset, preset_names
from viz import state
from viz.building import Building
from viz.comparison import MAX_PACKAGES, MIN_PACKAGES, Comparison, Package, check_packages
from viz.dashboard_model import DEFAULT_PRESET, parse_seed, reform_defaults, session_preset
from viz.i18n import outcome_label, policy_label, preset_label, t, unit_label
from viz.panels import AppBarLinks, PlayControls
from viz.player import CurrentModel, Player
from viz.specs import line_chart, localised
from viz.vega_widget import Chart
from world.errors import ParameterError
from world.interventions import REGISTRY

MAX_POINTS = 150  # per series, as the dashboard's charts
DEFAULT_PACKAGES = (Package("A"), Package("B", ("one_stop",)))


def single_city_presets() -> list[str]:
    """The presets the page offers: one city each (a package is one city's reforms)."""
    return [name for name in preset_names() if not load_preset(name).cities]


def package_rows(comparison: Comparison, outcome: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Long rows {day, series, value, kind} of one outcome, a series per package (thinned to
    MAX_POINTS a series, the last day always kept), and the packages in drawing order."""
    frame = comparison.timeseries()
    order = [p.name for p in comparison.packages]
    rows: list[dict[str, Any]] = []
    if frame.empty:
        return rows, order
    for name in order:
        part = frame[frame["package"] == name]
        days = part["day"].to_numpy()
        values = part[outcome].to_numpy(dtype=float)
        stride = max(1, math.ceil(len(days) / MAX_POINTS))
        keep = np.arange(len(days) - 1, -1, -stride)[::-1]
        rows.extend(
            {"day": int(days[i]), "series": name, "value": float(values[i]), "kind": "run"}
            for i in keep
            if math.isfinite(values[i])
        )
    return rows, order


def signed(diff: float, unit: str) -> str:
    """A difference at the outcome's own precision with its sign; '±0' when it rounds to none."""
    text = format_value(abs(diff), unit)
    if not any(c in "123456789" for c in text):
        return "±0"
    return ("+" if diff > 0 else "−") + text


def today_table(comparison: Comparison, lang: str) -> list[dict[str, str]]:
    """One row per headline outcome: its value under each package, and each package's
    difference from the first package (the same seed, so the difference is the reforms')."""
    latest = comparison.latest(HEADLINE_OUTCOMES)
    first = comparison.packages[0].name
    rows = []
    for name in HEADLINE_OUTCOMES:
        unit = OUTCOME_BY_NAME[name].unit
        label, unit_text = outcome_label(name, lang), unit_label(unit, lang)
        title = f"{label}（{unit_text}）" if lang == "zh" else f"{label} ({unit_text})"
        row = {t("cmp_outcome", lang): title}
        for p in comparison.packages:
            value = latest.loc[p.name, name]
            text = format_value(value, unit)
            if p.name != first and value is not None and math.isfinite(value):
                base = latest.loc[first, name]
                if math.isfinite(base):
                    change = signed(value - base, unit)
                    text += f"（{change}）" if lang == "zh" else f" ({change})"
            row[p.name] = text
        rows.append(row)
    return rows


def table_html(rows: list[dict[str, str]]) -> str:
    """`today_table`'s rows as an HTML table (package names escaped: they are typed by people)."""
    head = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row.values()) + "</tr>"
        for row in rows
    )
    style = (
        "<style>.govsim-compare-table table{border-collapse:collapse;margin:4px 12px}"
        ".govsim-compare-table td,.govsim-compare-table th{padding:2px 10px;"
        "border-bottom:1px solid #ddd;text-align:right}"
        ".govsim-compare-table td:first-child,.govsim-compare-table th:first-child"
        "{text-align:left}</style>"
    )
    return f"{style}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@solara.component
def PackageCard(
    index: int,
    package: Package,
    on_change: Any,
    on_remove: Any | None,
    base: Preset,
) -> None:
    """One package's reform panel: its name, a switch per reform and, for a reform switched on,
    its start day and intensity (as the preset has them until moved)."""
    lang = state.language.value
    defaults = reform_defaults(base)

    def rename(text: str) -> None:
        on_change(index, replace(package, name=text))

    def switch(key: str, on: bool) -> None:
        keys = set(package.reforms) | {key} if on else set(package.reforms) - {key}
        on_change(index, replace(package, reforms=tuple(k for k in REGISTRY if k in keys)))

    def tune(key: str, start: int, intensity: float) -> None:
        on_change(index, package.with_setting(key, start, intensity))

    with solara.Card(classes=["govsim-package"], style={"padding": "4px 8px"}):
        solara.InputText(t("cmp_package_name", lang), value=package.name, on_value=rename)
        for key, cls in REGISTRY.items():
            label = policy_label(cls, lang)
            solara.Checkbox(
                label=label,
                value=key in package.reforms,
                on_value=lambda on, key=key: switch(key, on),
                style="margin: 0; height: 28px",
            )
            if key not in package.reforms:
                continue
            given = defaults[key][1]
            start, intensity = package.setting(key, given.start, given.intensity)
            colon = "：" if lang == "zh" else ": "
            with solara.Column(gap="0px", style={"padding-left": "32px"}):
                solara.SliderInt(
                    f"{t('reform_start', lang, label=label)}{colon}{start}",
                    value=start,
                    min=0,
                    max=max(base.days - 1, start),
                    on_value=lambda v, key=key, i=intensity: tune(key, v, i),
                )
                solara.SliderFloat(
                    f"{t('reform_intensity', lang, label=label)}{colon}{intensity:.2f}",
                    value=intensity,
                    min=0.05,
                    max=1.0,
                    step=0.05,
                    on_value=lambda v, key=key, s=start: tune(key, s, round(v, 2)),
                )
        if on_remove is not None:
            solara.Button(t("cmp_remove", lang), text=True, on_click=lambda: on_remove(index))


@solara.component
def ComparisonCharts(comparison: Comparison) -> None:
    """A chart per headline outcome, a line per package, and today's table."""
    update_counter.get()  # redraw after every step
    lang = state.language.value
    with comparison.lock:
        day = comparison.day
        charts = []
        for name in HEADLINE_OUTCOMES:
            rows, order = package_rows(comparison, name)
            unit = unit_label(OUTCOME_BY_NAME[name].unit, lang)
            spec = line_chart(
                rows,
                title=outcome_label(name, lang),
                y_title=f"{unit}",
                x_title=t("day", lang),
                days=comparison.days,
                series_order=order,
                empty_text=t("run_note", lang),
                height=190,
            )
            charts.append((name, spec))
        table = today_table(comparison, lang)
    solara.Text(
        t("cmp_status", lang, day=max(day + 1, 0), days=comparison.days, seed=comparison.seed),
        classes=["govsim-status", "govsim-compare-status"],
        style={"font-size": "15px", "font-weight": "500", "padding": "0 12px"},
    )
    with solara.GridFixed(columns=2):
        for name, spec in charts:
            Chart(localised(spec, lang), mark=f"day {day + 1}", name=name)
    solara.Text(t("cmp_table_note", lang), style={"padding": "0 12px", "font-size": "13px"})
    solara.HTML(tag="div", unsafe_innerHTML=table_html(table), classes=["govsim-compare-table"])


@solara.component
def ComparePage():
    """Side by side: the packages' cities stepped together on one seed."""
    lang = state.language.value
    player = solara.use_memo(Player, [])
    current = solara.use_memo(CurrentModel, [])

    def closed() -> None:
        player.stop()
        current.close()

    solara.use_effect(lambda: closed, [])
    preset = solara.use_reactive(DEFAULT_PRESET)
    seed_text = solara.use_reactive("0")
    packages = solara.use_reactive(list(DEFAULT_PACKAGES))
    applied = solara.use_reactive((DEFAULT_PRESET, "0", tuple(DEFAULT_PACKAGES), 0))
    built = solara.use_reactive(None)  # (token, Comparison)
    failed = solara.use_reactive(None)  # (token, exception)
    problem = solara.use_reactive("")  # why the last Reset was not applied
    token = solara.use_memo(current.building, [applied.value])
    offered = solara.use_memo(single_city_presets, [])  # (reads every preset file once)
    base = solara.use_memo(lambda: session_preset(preset.value), [preset.value])

    def build() -> None:
        name, seed, chosen, _ = applied.value

        def make() -> Comparison:
            return Comparison(list(chosen), preset=name, seed=parse_seed(seed))

        current.build(
            token,
            make,
            on_built=lambda c: built.set((token, c)),
            on_error=lambda exc: failed.set((token, exc)),
        )

    solara.use_effect(build, [applied.value])
    solara.use_effect(player.stop, [applied.value])
    comparison = built.value[1] if built.value is not None else None
    error = failed.value[1] if failed.value is not None and failed.value[0] == token else None
    building = error is None and (built.value is None or built.value[0] != token)

    def apply() -> None:
        try:  # a slip in the setup is a note beside it; the comparison on screen stays
            check_packages(packages.value)
            parse_seed(seed_text.value)
        except ParameterError as exc:
            problem.set(str(exc))
            return
        problem.set("")
        player.stop()
        _, _, _, count = applied.value
        applied.set((preset.value, seed_text.value, tuple(packages.value), count + 1))

    def change(index: int, package: Package) -> None:
        chosen = list(packages.value)
        chosen[index] = package
        packages.set(chosen)

    def remove(index: int) -> None:
        packages.set([p for i, p in enumerate(packages.value) if i != index])

    def add() -> None:
        taken = {p.name for p in packages.value}
        name = next(c for c in "ABCDEFGH" if c not in taken)
        packages.set([*packages.value, Package(name)])

    AppBarLinks()
    with solara.AppBar():
        solara.AppBarTitle(t("cmp_title", lang))
    with solara.Sidebar():
        with solara.Card(t("cmp_setup", lang), classes=["govsim-compare-setup"]):
            labels = {preset_label(n, lang): n for n in offered}
            solara.Select(
                label=t("preset", lang),
                value=preset_label(preset.value, lang),
                values=list(labels),
                on_value=lambda label: preset.set(labels.get(label, label)),
            )
            solara.InputText(t("seed", lang), value=seed_text.value, on_value=seed_text.set)
            solara.Text(t("cmp_apply_hint", lang), style={"font-size": "13px", "color": "#666"})
            if problem.value:
                solara.Text(
                    t("cmp_not_applied", lang) + ("：" if lang == "zh" else ": ") + problem.value,
                    classes=["govsim-compare-problem"],
                    style={"font-size": "13px", "color": "#b00020"},
                )
        with solara.Card(t("controls", lang), classes=["govsim-controls"]):
            PlayControls(None if building else comparison, current, player, on_reset=apply)
        removable = len(packages.value) > MIN_PACKAGES
        for i, p in enumerate(packages.value):
            PackageCard(i, p, change, remove if removable else None, base).key(f"package-{i}")
        if len(packages.value) < MAX_PACKAGES:
            solara.Button(t("cmp_add", lang), on_click=add, classes=["govsim-add-package"])
    with solara.Column(style={"width": "100%"}):
        Building(building, error)
        if comparison is not None:
            faded = {"opacity": "0.4", "pointer-events": "none"} if building else {}
            with solara.Column(style={"width": "100%", **faded}):
                ComparisonCharts(comparison)
