"""The dashboard's live views: one solara component per chart, each redrawn after every step.

Each view takes the DashboardModel, subscribes to Mesa's `update_counter` (so it redraws when the
model steps), to the language and to the "compare with baseline" switch, and draws a Vega-Lite
spec from `viz.specs`.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import solara
from mesa.visualization.utils import update_counter

from model.outcomes import DOING_BUSINESS_REFERENCES, OUTCOME_BY_NAME, format_value
from viz import state
from viz.dashboard_model import DashboardModel
from viz.i18n import city_label, office_label, series_label, t, unit_label
from viz.network_view import cached_citizen_sample, cached_office_layout
from viz.specs import bar_chart, line_chart, localised, network_chart
from viz.vega_widget import Chart

logger = logging.getLogger("govsim.dashboard")

MAX_POINTS = 150  # per series: longer runs are thinned (a 30-day trailing window is smooth)


def _vega(spec: dict[str, Any], model: DashboardModel, name: str) -> Any:
    """The chart, marked with the day it shows (tests and the benchmark wait for the mark); its
    menu ("…": save as PNG or SVG) in the page's language."""
    return Chart(localised(spec, state.language.value), mark=f"day {model.day + 1}", name=name)


def _frames(model: DashboardModel) -> list[tuple[str, Any]]:
    """(kind, time series) to draw: the run's, and the baseline's when comparing."""
    frames = [("run", model.timeseries())]
    if state.compare.value and model.compares:
        base = model.baseline_timeseries()
        if base is not None:
            frames.append(("baseline", base))
    return frames


def series_rows(
    model: DashboardModel, outcomes: Sequence[str], lang: str, by_city_only: bool = False
) -> tuple[list[dict[str, Any]], list[str]]:
    """Long rows {day, series, value, kind} for `outcomes`, per city, with the baseline's rows
    (kind 'baseline') when comparing; and the series names in drawing order."""
    names = [c.name for c in model.sim.cities]
    multi = len(names) > 1

    def series_name(name: str, city: str) -> str:
        if by_city_only:
            return city_label(city, lang)
        label = series_label(name, lang)
        return f"{label} · {city_label(city, lang)}" if multi else label

    order = [series_name(name, city) for city in names for name in outcomes]
    rows: list[dict[str, Any]] = []
    for kind, frame in _frames(model):
        if frame.empty:
            continue
        for city in names:
            part = frame[frame["city"] == city] if multi else frame
            days = part["day"].to_numpy()
            stride = max(1, math.ceil(len(days) / MAX_POINTS))
            keep = np.arange(len(days) - 1, -1, -stride)[::-1]  # always keep the last day
            for name in outcomes:
                values = part[name].to_numpy(dtype=float)
                series = series_name(name, city)
                rows.extend(
                    {"day": int(days[i]), "series": series, "value": float(values[i]), "kind": kind}
                    for i in keep
                )
    return rows, order


def _subtitle(model: DashboardModel, lang: str) -> str | None:
    if state.compare.value and model.compares:
        return t("baseline_note", lang)
    return None


def _y_title(key: str, outcomes: Sequence[str], lang: str) -> str:
    """An axis title with the outcomes' unit: 'Satisfaction (share)' / '满意度（比例）'."""
    unit = unit_label(OUTCOME_BY_NAME[outcomes[0]].unit, lang)
    return f"{t(key, lang)}（{unit}）" if lang == "zh" else f"{t(key, lang)} ({unit})"


def _line(
    model: DashboardModel,
    outcomes: Sequence[str],
    title_key: str,
    y_title: str,
    *,
    y_domain: Sequence[float] | None = None,
    height: int = 215,
    by_city_only: bool = False,
    subtitle: bool = True,
    last: bool = True,
    zero: bool = True,
) -> Any:
    """A line chart of `outcomes`. Charts stacked three to a cell show their x-axis title and
    legend only on the `last`; a legend is drawn only when it tells several series apart."""
    lang = state.language.value
    rows, order = series_rows(model, outcomes, lang, by_city_only)
    return _vega(
        line_chart(
            rows,
            title=t(title_key, lang),
            subtitle=_subtitle(model, lang) if subtitle else None,
            y_title=y_title,
            x_title=t("day", lang) if last else "",
            legend=len(order) > 1 and last,
            days=model.days,
            series_order=order,
            empty_text=t("run_note", lang),
            y_domain=y_domain,
            height=height,
            run_label=t("this_run", lang),
            baseline_label=t("baseline_legend", lang),
            dash_legend=last,
            zero=zero,
        ),
        model,
        "+".join(outcomes),
    )


def _stacked(
    model: DashboardModel,
    charts: Sequence[tuple[str, str]],
    *,
    by_city_only: bool = False,
    unzeroed: Sequence[str] = (),
) -> Any:
    """Small line charts stacked in one cell, one outcome and one scale each, given as
    (outcome, title key): the first carries the subtitle, the last the x-axis title and legend;
    the outcomes in `unzeroed` get an axis that spans their lines rather than starting at 0."""
    with solara.Column(gap="0px") as main:
        for i, (name, key) in enumerate(charts):
            _line(
                model,
                [name],
                key,
                unit_label(OUTCOME_BY_NAME[name].unit, state.language.value),
                height=62,
                by_city_only=by_city_only,
                subtitle=i == 0,
                last=i == len(charts) - 1,
                zero=name not in unzeroed,
            )
    return main


@solara.component
def SatisfactionView(model: DashboardModel):
    """Satisfaction of citizens' and enterprises' finished cases."""
    update_counter.get()
    lang = state.language.value
    outcomes = ["satisfaction_citizens", "satisfaction_enterprises"]
    return _line(
        model,
        outcomes,
        "chart_satisfaction",
        _y_title("satisfaction", outcomes, lang),
        y_domain=[0, 1],
    )


@solara.component
def FourSatisfactionsView(model: DashboardModel):
    """The essay's four satisfactions (四满意): grassroots, public, peers, superiors."""
    update_counter.get()
    lang = state.language.value
    outcomes = [
        "satisfaction_grassroots",
        "satisfaction_public",
        "satisfaction_peers",
        "satisfaction_superiors",
    ]
    return _line(
        model, outcomes, "chart_four", _y_title("satisfaction", outcomes, lang), y_domain=[0, 1]
    )


@solara.component
def CaseBurdenView(model: DashboardModel):
    """Days, trips and procedures per case: three small charts, one scale each."""
    update_counter.get()
    return _stacked(
        model,
        [
            ("days_per_case", "chart_days"),
            ("trips_per_case", "chart_trips"),
            ("procedures_per_case", "chart_procedures"),
        ],
    )


@solara.component
def QueueView(model: DashboardModel):
    """Visits waiting at each office at the end of the day (the baseline's as dark ticks)."""
    update_counter.get()
    lang = state.language.value
    cities = model.sim.cities
    specs = {o.spec.key: o.spec for o in cities[0].offices}
    labels = {k: office_label(s, lang) for k, s in specs.items()}
    kinds = ["run", "baseline"] if state.compare.value and model.compares else ["run"]
    rows = [
        {"category": labels[k], "group": city_label(c, lang), "value": q, "kind": kind}
        for kind in kinds
        for c, k, q in model.office_queues(baseline=kind == "baseline")
    ]
    spec = bar_chart(
        rows,
        title=t("chart_queues", lang),
        subtitle=_subtitle(model, lang),
        x_title=_y_title("visits_waiting", ["queue_length"], lang),
        y_title="",
        category_order=list(labels.values()),
        group_order=[city_label(c.name, lang) for c in cities],
        height=260,
    )
    return _vega(spec, model, "office_queues")


@solara.component
def InformalPaymentsView(model: DashboardModel):
    """Share of finished cases with an informal payment, and with a demand for one."""
    update_counter.get()
    lang = state.language.value
    outcomes = ["informal_payment_rate", "informal_demand_rate"]
    return _line(model, outcomes, "chart_informal", _y_title("share_of_cases", outcomes, lang))


@solara.component
def SkillView(model: DashboardModel):
    """Civil servants' mean skill and courtesy."""
    update_counter.get()
    lang = state.language.value
    outcomes = ["civil_servant_skill", "civil_servant_courtesy"]
    return _line(
        model, outcomes, "chart_skill", _y_title("mean_level", outcomes, lang), y_domain=[0, 1]
    )


@solara.component
def CitiesView(model: DashboardModel):
    """Several cities: firms, residents and competitiveness, one colour per city."""
    update_counter.get()
    return _stacked(
        model,
        [
            ("enterprises", "chart_cities_firms"),
            ("residents", "chart_cities_residents"),
            ("competitiveness_index", "chart_cities_competitiveness"),
        ],
        by_city_only=True,
        # thousands of firms in each city, a gap of tens: from 0 the two lines would overlap
        unzeroed=("enterprises", "residents"),
    )


@solara.component
def NetworkView(model: DashboardModel):
    """The office network (colour: skill, size: queue) and a sample of citizens' ties
    (colour: satisfaction), for the first city."""
    update_counter.get()
    lang = state.language.value
    city = model.sim.cities[0]
    o_edges, o_pos = cached_office_layout(model, city)
    offices = [
        {
            "x": o_pos[i][0],
            "y": o_pos[i][1],
            "label": office_label(o.spec, lang),
            "colour": float(np.mean(o.skill)),
            "size": int(o.queue_length),
        }
        for i, o in enumerate(city.offices)
    ]
    rows, c_edges, c_pos = cached_citizen_sample(model, city)
    sat = city.citizens.satisfaction
    active = city.citizens.active
    citizens = [
        {
            "x": c_pos[r][0],
            "y": c_pos[r][1],
            "label": f"#{r}",
            "colour": float(sat[r]) if active[r] else None,
        }
        for r in rows
    ]
    with solara.Column(gap="0px") as main:
        _vega(
            network_chart(
                offices,
                o_edges,
                title=t("network_offices", lang),
                colour_title=t("skill", lang),
                size_title=t("queue", lang),
                labels=True,
                legend=False,
            ),
            model,
            "office_network",
        )
        _vega(
            network_chart(
                citizens,
                c_edges,
                title=t("network_citizens", lang, n=len(rows)),
                colour_title=t("satisfaction", lang),
            ),
            model,
            "citizen_network",
        )
    return main


def start_business_figures(model: DashboardModel) -> dict[str, float]:
    """The latest 'starting a business' procedures and days, for the run and its baseline."""
    out: dict[str, float] = {}
    city = model.sim.cities[0].name
    for kind, frame in _frames(model):
        mine = frame[frame["city"] == city] if not frame.empty else frame
        last = mine.iloc[-1] if len(mine) else None
        for name in ("start_business_procedures", "start_business_days"):
            out[f"{kind}:{name}"] = float(last[name]) if last is not None else math.nan
    return out


@solara.component
def StartBusinessView(model: DashboardModel):
    """'Starting a business' as big numbers beside the Doing Business references for China."""
    update_counter.get()
    lang = state.language.value
    fig = start_business_figures(model)
    proc, days = fig["run:start_business_procedures"], fig["run:start_business_days"]
    has_base = "baseline:start_business_days" in fig

    def big(value: float, unit: str, base: float | None) -> str:
        shown = format_value(value, "days")
        extra = ""
        if base is not None:
            colon = "：" if lang == "zh" else ": "
            extra = (
                f'<div style="font-size:13px;color:#777">{html.escape(t("baseline", lang))}{colon}'
                f"{format_value(base, 'days')}</div>"
            )
        return (
            f'<div class="govsim-big" style="flex:1;text-align:center">'
            f'<div style="font-size:44px;font-weight:600;line-height:1.1">{shown}</div>'
            f'<div style="font-size:14px">{html.escape(unit)}</div>{extra}</div>'
        )

    refs = "".join(
        f"<li>{html.escape(t('db_line', lang, report=r, procedures=p, days=d))}</li>"
        for r, (p, d) in DOING_BUSINESS_REFERENCES.items()
    )
    city = model.sim.cities[0].name
    where = f" · {html.escape(city_label(city, lang))}" if len(model.sim.cities) > 1 else ""
    note = (
        ""
        if math.isfinite(days)
        else f'<div style="color:#888">{html.escape(t("not_yet", lang))}</div>'
    )
    base_proc = fig.get("baseline:start_business_procedures") if has_base else None
    base_days = fig.get("baseline:start_business_days") if has_base else None
    heading = html.escape(t("start_business", lang)) + where
    body = (
        f'<div class="govsim-start-business" aria-label="start a business — day {model.day + 1}">'
        f'<div style="font-size:15px;font-weight:600;margin-bottom:6px">{heading}</div>'
        f'<div style="font-size:12px;color:#555;margin-bottom:4px">'
        f"{html.escape(t('this_run', lang))}</div>"
        f'<div style="display:flex;gap:12px">'
        f"{big(proc, t('start_procedures', lang), base_proc)}"
        f"{big(days, t('start_days', lang), base_days)}"
        f"</div>{note}"
        f'<div style="margin-top:10px;font-size:13px"><b>{html.escape(t("db_reference", lang))}</b>'
        f'<ul style="margin:4px 0 0 0">{refs}</ul></div></div>'
    )
    return solara.HTML(tag="div", unsafe_innerHTML=body, style={"padding": "8px"})


def components_for(model: DashboardModel) -> list[Any]:
    """The grid's views, in order; the city comparison only when several cities run."""
    views: list[Any] = [SatisfactionView, FourSatisfactionsView]
    if len(model.sim.cities) > 1:
        views.append(CitiesView)
    views += [
        CaseBurdenView,
        StartBusinessView,
        QueueView,
        InformalPaymentsView,
        SkillView,
        NetworkView,
    ]
    return views


_GUARDED: dict[int, Any] = {}  # one boundary component per view, made once (views are module-level)


def guarded(view: Any) -> Any:
    """`view` behind an error boundary: an error while drawing it is logged (the server log) and
    shown in its place, and the rest of the page and the session stay. The model is read under
    its lock, so a redraw started by the page never sees the play loop halfway through a day."""

    @solara.component
    def Locked(model: DashboardModel):
        with model.lock:
            return view.f(model)

    @solara.component
    def Guarded(model: DashboardModel):
        exception, clear = solara.use_exception()
        lang = state.language.value

        def log() -> None:
            if exception is not None:
                logger.error("a dashboard view failed", exc_info=exception)

        solara.use_effect(log, [exception])
        if exception is not None:
            with solara.Column(classes=["govsim-view-error"]):
                solara.Error(f"{t('view_error', lang)}: {type(exception).__name__}: {exception}")
                solara.Button("↻", on_click=clear, text=True)
            return
        Locked(model)

    return _GUARDED.setdefault(id(view), Guarded)
