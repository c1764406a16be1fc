"""A calibration folder (`govsim calibrate SPEC --out DIR`) on the results page: each target
against the model's predictive interval (a table and a chart) and the held-out coverage.

The folder is read as `govsim calibrate --report-only` reads it: the spec from the folder's
`calibration.json`, the check, path and posterior (or trials) by
`experiments.calibration.stored_results`; the interval level is the report's
(`experiments.calibration_report.LEVEL`). Nothing is recomputed here.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import solara

from experiments.calibration import (
    FINGERPRINT,
    CalibrationSpec,
    reform_starts,
    stored_results,
    targets,
)
from experiments.calibration_report import LEVEL
from model.outcomes import OUTCOME_BY_NAME, format_value
from viz.i18n import outcome_label, policy_label, t, unit_label
from viz.specs import _layered, clean, localised
from viz.vega_widget import Chart
from world.interventions import REGISTRY

MARKERS = ("holdout.csv", "path.parquet")  # with calibration.json: a finished calibration
# the observations' legend: circles, filled for fitted, open for held out
LEGEND = {"symbolType": "circle", "symbolStrokeColor": "#d95f02", "symbolStrokeWidth": 2}


def is_calibration(folder: Path) -> bool:
    return (folder / FINGERPRINT).is_file() and all((folder / m).is_file() for m in MARKERS)


def report_title(folder: Path, prefix: str) -> str:
    """The description the search's report.html gives after `prefix` (the fingerprint leaves
    the description out), or the folder's name."""
    try:
        text = (folder / "report.html").read_text(encoding="utf-8")
    except OSError:
        return folder.name
    found = re.search(f"<h1>{re.escape(prefix)}(.*?)</h1>", text)
    return html.unescape(found.group(1)) if found else folder.name


@dataclass(frozen=True)
class Calibration:
    folder: Path
    spec: CalibrationSpec
    check: pd.DataFrame  # holdout.csv: edition, outcome, set, observed, model, low, high, covered
    path: pd.DataFrame
    posterior: pd.DataFrame | None

    @property
    def description(self) -> str:
        return report_title(self.folder, "Calibration: ")

    def coverage(self) -> tuple[int, int]:
        """(held-out points inside the model's interval, held-out points)."""
        held = self.check[self.check["set"] == "held out"]
        return int(held["covered"].astype(bool).sum()), len(held)


def read_calibration(folder: Path) -> Calibration:
    """A finished calibration folder; anything missing or foreign is a ValueError."""
    made = json.loads((folder / FINGERPRINT).read_text(encoding="utf-8"))
    if not isinstance(made, dict) or not isinstance(made.get("spec"), dict):
        raise ValueError(f"{folder}: {FINGERPRINT} does not hold a calibration spec")
    spec = CalibrationSpec.model_validate({**made["spec"], "description": folder.name})
    check, path, posterior, _ = stored_results(spec, folder)
    return Calibration(folder, spec, check, path, posterior)


def _set_label(name: str, lang: str) -> str:
    return t("calibration_fit" if name == "fit" else "calibration_held_out", lang)


def targets_html(cal: Calibration, lang: str) -> str:
    """The targets against the model: edition, indicator, fit or held out, observed, model mean,
    the model's interval and whether the observation falls inside it."""
    level = f"{LEVEL:.0%}"
    head = [
        t("calibration_edition", lang),
        t("calibration_indicator", lang),
        t("calibration_set", lang),
        t("calibration_observed", lang),
        t("calibration_model", lang),
        t("calibration_interval", lang, level=level),
        t("calibration_inside", lang),
    ]
    rows = []
    for r in cal.check.itertuples():
        unit = OUTCOME_BY_NAME[r.outcome].unit
        inside = bool(r.covered)
        word = t("calibration_yes" if inside else "calibration_no", lang)
        cells = [
            html.escape(str(r.edition)),
            html.escape(f"{outcome_label(r.outcome, lang)} ({unit_label(unit, lang)})")
            if lang == "en"
            else html.escape(f"{outcome_label(r.outcome, lang)}（{unit_label(unit, lang)}）"),
            html.escape(_set_label(r.set, lang)),
            format_value(r.observed, unit),
            format_value(r.model, unit),
            f"[{format_value(r.low, unit)}, {format_value(r.high, unit)}]",
            f"<span class='{'ok' if inside else 'miss'}'>{html.escape(word)}</span>",
        ]
        rows.append(
            f"<tr class='govsim-target' data-edition='{html.escape(str(r.edition))}'"
            f" data-observed='{r.observed!r}' data-low='{r.low!r}' data-high='{r.high!r}'>"
            + "".join(f"<td>{c}</td>" for c in cells)
            + "</tr>"
        )
    style = (
        "<style>.govsim-targets{border-collapse:collapse;font-size:13px}.govsim-targets td,"
        ".govsim-targets th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}"
        ".govsim-targets td:nth-child(-n+3),.govsim-targets th:nth-child(-n+3){text-align:left}"
        ".govsim-targets .ok{color:#1b7f3b}.govsim-targets .miss{color:#b00020;"
        "font-weight:bold}</style>"
    )
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return (
        f"{style}<table class='govsim-targets'><thead><tr>{header}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def coverage_text(cal: Calibration, lang: str) -> str:
    covered, total = cal.coverage()
    if not total:
        return t("calibration_no_holdout", lang)
    return t(
        "calibration_coverage",
        lang,
        covered=covered,
        total=total,
        level=f"{LEVEL:.0%}",
        share=f"{covered / total:.0%}",
    )


def observed_layer(
    x: dict[str, Any], size: int, sets: list[str], tooltip: Any, lang: str
) -> dict[str, Any]:
    """The observed points: filled where they were fitted, open where held out."""
    return {
        "mark": {"type": "point", "size": size, "strokeWidth": 2, "color": "#d95f02"},
        "encoding": {
            "x": x,
            "y": {"field": "observed", "type": "quantitative"},
            "shape": {"value": "circle"},
            "fill": {
                "field": "set",
                "type": "nominal",
                "title": t("calibration_observed", lang),
                "scale": {"domain": sets, "range": ["#d95f02", "white"]},
                "legend": LEGEND,
            },
            "tooltip": tooltip,
        },
    }


def targets_spec(cal: Calibration, outcome: str, lang: str) -> dict[str, Any]:
    """Per edition: the model's interval (a bar), its mean (a tick) and the observed value
    (a filled dot when fitted, an open one when held out)."""
    rows = cal.check[cal.check["outcome"] == outcome]
    unit = OUTCOME_BY_NAME[outcome].unit
    fit, held = t("calibration_fit", lang), t("calibration_held_out", lang)
    data = [
        {
            "edition": str(r.edition),
            "set": _set_label(r.set, lang),
            "observed": float(r.observed),
            "model": float(r.model),
            "low": float(r.low),
            "high": float(r.high),
        }
        for r in rows.itertuples()
    ]
    x = {
        "field": "edition",
        "type": "ordinal",
        "title": t("calibration_edition", lang),
        "axis": {"labelAngle": 0},
    }
    y_title = unit_label(unit, lang)
    tooltip = [
        {"field": "edition", "type": "nominal"},
        {"field": "observed", "type": "quantitative", "format": ".3~g"},
        {"field": "model", "type": "quantitative", "format": ".3~g"},
        {"field": "low", "type": "quantitative", "format": ".3~g"},
        {"field": "high", "type": "quantitative", "format": ".3~g"},
    ]
    layers = [
        {
            "mark": {"type": "bar", "color": "#9ecae1", "size": 14},
            "encoding": {
                "x": x,
                "y": {"field": "low", "type": "quantitative", "title": y_title},
                "y2": {"field": "high"},
                "tooltip": tooltip,
            },
        },
        {
            "mark": {"type": "tick", "color": "#08519c", "thickness": 2, "size": 18},
            "encoding": {"x": x, "y": {"field": "model", "type": "quantitative"}},
        },
        observed_layer(x, 70, [fit, held], tooltip, lang),
    ]
    colon = "：" if lang == "zh" else ": "
    title = f"{t('calibration_chart', lang)}{colon}{outcome_label(outcome, lang)}"
    subtitle = t("calibration_chart_model", lang, level=f"{LEVEL:.0%}")
    return localised(_layered(data, layers, title, subtitle, 240), lang)


def path_spec(cal: Calibration, lang: str) -> dict[str, Any]:
    """The predicted start-up days over the calendar (the median and central interval of the
    runs, as the report's path figure draws them), the observations at their dates (filled when
    fitted, open when held out) and the timeline's dated reforms within the path."""
    spec = cal.spec
    by_day = cal.path.groupby("day")["start_business_days"]
    low = by_day.quantile((1 - LEVEL) / 2)
    high = by_day.quantile((1 + LEVEL) / 2)
    median = by_day.median()

    def date(day: int) -> str:
        return (spec.day_zero + dt.timedelta(days=int(day))).isoformat()

    band = [
        {"date": date(d), "low": clean(low[d]), "high": clean(high[d]), "median": clean(median[d])}
        for d in sorted(median.index)
    ]
    chosen = targets(spec, (*spec.fit, *spec.holdout))
    day_of = {(x.edition, x.outcome): x.day for x in chosen}
    observed = [
        {
            "date": date(day_of[(r.edition, r.outcome)]),
            "edition": str(r.edition),
            "set": _set_label(r.set, lang),
            "observed": float(r.observed),
        }
        for r in cal.check.itertuples()
        if r.outcome == "start_business_days" and (r.edition, r.outcome) in day_of
    ]
    sep = "、" if lang == "zh" else ", "
    reforms = [
        {
            "date": date(day),
            "reforms": sep.join(
                policy_label(REGISTRY[k], lang) if k in REGISTRY else k for k in kinds.split(", ")
            ),
        }
        for day, kinds in reform_starts(spec.preset)
        if day <= max(median.index, default=0)  # within the path
    ]
    x = {
        "field": "date",
        "type": "temporal",
        "title": t("calibration_date", lang),
        "axis": {"format": "%Y", "tickCount": "year"},
    }
    y_title = unit_label("days", lang)
    fit, held = t("calibration_fit", lang), t("calibration_held_out", lang)
    reforms_title, edition_title = t("calibration_reforms", lang), t("calibration_edition", lang)
    layers = [
        {
            "data": {"values": band},
            "mark": {"type": "area", "color": "#9ecae1", "opacity": 0.6},
            "encoding": {
                "x": x,
                "y": {"field": "low", "type": "quantitative", "title": y_title},
                "y2": {"field": "high"},
            },
        },
        {
            "data": {"values": band},
            "mark": {"type": "line", "color": "#08519c", "strokeWidth": 1.6},
            "encoding": {"x": x, "y": {"field": "median", "type": "quantitative"}},
        },
        {
            "data": {"values": reforms},
            "mark": {"type": "rule", "color": "#999", "strokeDash": [4, 3]},
            "encoding": {
                "x": x,
                "tooltip": [
                    {"field": "date", "type": "temporal", "title": t("calibration_date", lang)},
                    {"field": "reforms", "type": "nominal", "title": reforms_title},
                ],
            },
        },
        {
            "data": {"values": observed},
            **observed_layer(
                x,
                60,
                [fit, held],
                [
                    {"field": "edition", "type": "nominal", "title": edition_title},
                    {"field": "observed", "type": "quantitative", "format": ".3~g"},
                ],
                lang,
            ),
        },
    ]
    title = t("calibration_path", lang)
    subtitle = t("calibration_path_note", lang, level=f"{LEVEL:.0%}")
    return localised(_layered(None, layers, title, subtitle, 260), lang)


@solara.component
def CalibrationView(cal: Calibration):
    """The calibration's targets against the model, as a table and a chart per indicator, and
    its held-out coverage."""
    from viz import state

    lang = state.language.value
    s = cal.spec
    kind = t("calibration_kind_abc" if s.method == "abc" else "calibration_kind_optuna", lang)
    sep = "、" if lang == "zh" else ", "
    solara.Text(
        t("calibration_title", lang, description=cal.description),
        style={"font-size": "17px"},
        classes=["govsim-user-text"],
    )
    solara.Text(
        t(
            "calibration_about",
            lang,
            preset=s.preset,
            day_zero=str(s.day_zero),
            fit=sep.join(s.fit),
            holdout=sep.join(s.holdout) or "—",
            method=s.method,
            level=f"{LEVEL:.0%}",
            kind=kind,
        ),
        style={"color": "#555"},
    )
    covered, total = cal.coverage()
    good = total and covered == total
    solara.Text(
        coverage_text(cal, lang),
        classes=["govsim-coverage"],
        style={"font-weight": "500", "color": "#1b7f3b" if good else "#b00020"},
    )
    solara.Text(t("calibration_targets", lang), style={"font-size": "17px", "margin-top": "8px"})
    solara.HTML(tag="div", unsafe_innerHTML=targets_html(cal, lang))
    outcomes = list(dict.fromkeys(cal.check["outcome"]))
    for name in outcomes:
        if not cal.check.loc[cal.check["outcome"] == name, "low"].map(math.isfinite).any():
            continue
        with solara.Column(style={"max-width": "720px", "width": "100%"}):
            Chart(targets_spec(cal, name, lang), mark=name, name=f"calibration-{name}")
    if len(cal.path):
        with solara.Column(style={"max-width": "900px", "width": "100%"}):
            Chart(path_spec(cal, lang), mark="path", name="calibration-path")
