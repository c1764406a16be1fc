"""Vega-Lite chart specifications as plain dicts (no browser, no solara: easy to test).

Written by hand rather than through altair so that a redraw costs well under a millisecond per
chart. Inline `data.values` are split off into named datasets by `viz.vega_widget.Chart`, so a
step sends only new data to the browser.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.2.0.json"  # the bundled Vega-Lite
BASELINE_OPACITY = 0.4
BASELINE_DASH = [5, 4]
FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


EMBED_ZH = {  # vega-embed's menu texts
    "CLICK_TO_VIEW_ACTIONS": "点击查看操作",
    "PNG_ACTION": "保存为 PNG",
    "SVG_ACTION": "保存为 SVG",
    "SOURCE_ACTION": "查看源代码",
    "COMPILED_ACTION": "查看编译结果",
    "EDITOR_ACTION": "在编辑器中打开",
}


FIRST_MONTH = 30  # days: the x-axis spans at least this much, then grows with the run


def localised(spec: dict[str, Any], lang: str) -> dict[str, Any]:
    """`spec` with vega-embed's chart menu in `lang` (its texts are English otherwise)."""
    if lang != "zh":
        return spec
    return {**spec, "usermeta": {"embedOptions": {"i18n": EMBED_ZH}}}


def _config() -> dict[str, Any]:
    return {
        "font": FONT,
        "view": {"stroke": None},
        "axis": {"labelFontSize": 11, "titleFontSize": 11, "grid": True, "gridOpacity": 0.4},
        "legend": {
            "labelFontSize": 11,
            "titleFontSize": 11,
            "orient": "bottom",
            "columns": 2,
            # two columns fit a chart a third of a laptop screen wide, and hold "Grassroots
            # (基层) • reformer" (several cities) whole
            "labelLimit": 160,
            "symbolType": "stroke",
            "symbolOpacity": 1,
            "symbolStrokeWidth": 2.5,
            "symbolDash": [],
        },
        "title": {"fontSize": 13, "anchor": "start", "subtitleFontSize": 10},
    }


def _title(title: str, subtitle: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"text": title}
    if subtitle:
        out["subtitle"] = subtitle
    return out


def _colour(field: str, order: Sequence[str]) -> dict[str, Any]:
    """One palette colour per value of `field`, in `order`; no legend title."""
    return {
        "field": field,
        "type": "nominal",
        "title": None,
        "scale": {"domain": list(order), "range": PALETTE},
    }


def clean(value: Any) -> Any:
    """A JSON-safe number: NaN and infinities become None (a gap in a line)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def line_chart(
    rows: Sequence[dict[str, Any]],
    *,
    title: str,
    y_title: str,
    x_title: str,
    days: int,
    series_order: Sequence[str],
    subtitle: str | None = None,
    empty_text: str = "",
    y_domain: Sequence[float] | None = None,
    height: int = 190,
    legend: bool = True,
    zero: bool = True,
    run_label: str = "this run",
    baseline_label: str = "baseline (no reforms)",
    dash_legend: bool | None = None,
) -> dict[str, Any]:
    """Lines of `value` against `day` coloured by `series`; rows with kind 'baseline' are drawn
    faint and dashed in the same colour (with a legend entry saying so), so the reform's effect
    shows at a glance."""
    colour = {**_colour("series", series_order), "sort": list(series_order)}
    if not legend:
        colour["legend"] = None
    has_baseline = any(r.get("kind") == "baseline" for r in rows)
    dash = {  # solid: this run; dashed: the baseline, with its own legend entry
        "field": "kind",
        "type": "nominal",
        "title": None,
        "scale": {"domain": ["run", "baseline"], "range": [[1, 0], BASELINE_DASH]},
        "legend": {
            "labelExpr": f"datum.label === 'baseline' ? {baseline_label!r} : {run_label!r}",
            "symbolType": "stroke",
            "symbolStrokeColor": "#555",
            "symbolDash": None,
            "columns": 2,
            "orient": "top",  # above the plot: beside the colour legend it would squeeze it
            "labelLimit": 220,
        }
        if (legend if dash_legend is None else dash_legend)
        else None,
    }
    x = {
        "field": "day",
        "type": "quantitative",
        "title": x_title or None,
        # the axis follows the run (the days drawn so far, at least the first month) instead
        # of squeezing the first weeks into the left edge of the whole horizon
        "scale": {"domain": {"unionWith": [0, min(FIRST_MONTH, max(days - 1, 1))]}, "nice": False},
    }
    y: dict[str, Any] = {"field": "value", "type": "quantitative", "title": y_title}
    if y_domain is not None:
        y["scale"] = {"domain": list(y_domain)}
    elif not rows:
        y["scale"] = {"domain": [0, 1]}
    elif not zero:  # the axis spans the lines, not 0 to their top: a gap between them shows
        y["scale"] = {"zero": False}
    # The run first: the merged legend takes its solid symbols from the first layer.
    layers: list[dict[str, Any]] = [
        {
            "transform": [{"filter": "datum.kind !== 'baseline'"}],
            "mark": {"type": "line", "strokeWidth": 2, "interpolate": "linear"},
            "encoding": {
                "x": x,
                "y": y,
                "color": colour,
                **({"strokeDash": dash} if has_baseline else {}),
                "tooltip": [
                    {"field": "series", "type": "nominal", "title": y_title},
                    {"field": "day", "type": "quantitative", "title": x_title},
                    {"field": "value", "type": "quantitative", "format": ".3~g"},
                ],
            },
        }
    ]
    if has_baseline:
        layers.append(
            {
                "transform": [{"filter": "datum.kind === 'baseline'"}],
                "mark": {"type": "line", "opacity": BASELINE_OPACITY, "strokeWidth": 1.5},
                "encoding": {"x": x, "y": y, "color": colour, "strokeDash": dash},
            }
        )
    if not rows:
        layers.append(
            {
                # in the middle of the first month, the axis before any day is drawn
                "data": {"values": [{"day": min(FIRST_MONTH, max(days - 1, 1)) / 2, "value": 0.5}]},
                # clipped to the plot: Vega's "fit" counts an unclipped text's overhang as
                # part of the chart and shrank the plot around it to a sliver (day 0)
                "mark": {"type": "text", "fontSize": 12, "color": "#888", "clip": True},
                "encoding": {
                    "x": {"field": "day", "type": "quantitative"},
                    "y": {"field": "value", "type": "quantitative"},
                    "text": {"value": empty_text},
                },
            }
        )
    return _layered(rows, layers, title, subtitle, height)


def bar_chart(
    rows: Sequence[dict[str, Any]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    category_order: Sequence[str],
    subtitle: str | None = None,
    group_order: Sequence[str] = (),
    height: int = 250,
) -> dict[str, Any]:
    """Horizontal bars of `value` per `category` (one bar per `group` when several), with the
    baseline's value drawn as a dark tick on each bar."""
    y = {
        "field": "category",
        "type": "nominal",
        "title": y_title,
        "sort": list(category_order),
        "axis": {"labelLimit": 150, "labelFontSize": 10},
    }
    x = {"field": "value", "type": "quantitative", "title": x_title}
    encoding: dict[str, Any] = {
        "y": y,
        "x": x,
        "tooltip": [
            {"field": "category", "type": "nominal", "title": y_title},
            {"field": "value", "type": "quantitative", "title": x_title},
        ],
    }
    if len(group_order) > 1:
        encoding["color"] = _colour("group", group_order)
        encoding["yOffset"] = {"field": "group", "type": "nominal", "sort": list(group_order)}
        encoding["tooltip"].append({"field": "group", "type": "nominal"})
    else:
        encoding["color"] = {"value": PALETTE[0]}
    layers: list[dict[str, Any]] = [
        {
            "transform": [{"filter": "datum.kind !== 'baseline'"}],
            "mark": {"type": "bar"},
            "encoding": encoding,
        }
    ]
    if any(r.get("kind") == "baseline" for r in rows):
        tick_enc = {k: v for k, v in encoding.items() if k not in ("color", "tooltip")}
        layers.append(
            {
                "transform": [{"filter": "datum.kind === 'baseline'"}],
                "mark": {"type": "tick", "orient": "vertical", "color": "#333", "thickness": 2},
                "encoding": {**tick_enc, "opacity": {"value": 0.7}},
            }
        )
    return _layered(rows, layers, title, subtitle, height)


def network_chart(
    nodes: Sequence[dict[str, Any]],
    edges: Sequence[dict[str, Any]],
    *,
    title: str,
    colour_title: str,
    size_title: str | None = None,
    labels: bool = False,
    legend: bool = True,
    height: int = 130,
) -> dict[str, Any]:
    """Nodes at fixed (x, y) in [-1, 1] coloured by `colour` (0-1, red to green), optionally
    sized by `size` and labelled outward; edges as straight rules between (x, y) and (x2, y2)."""
    xy = {
        "x": {
            "field": "x",
            "type": "quantitative",
            "axis": None,
            "scale": {"domain": [-2.6, 2.6] if labels else [-1.1, 1.1]},
        },
        "y": {"field": "y", "type": "quantitative", "axis": None, "scale": {"domain": [-1.2, 1.2]}},
    }
    node_rows = [{k: clean(v) for k, v in n.items()} for n in nodes]
    node_enc: dict[str, Any] = {
        **xy,
        "color": {
            "field": "colour",
            "type": "quantitative",
            "title": colour_title,
            "scale": {"scheme": "redyellowgreen", "domain": [0, 1]},
            **({} if legend else {"legend": None}),
        },
        "tooltip": [
            {"field": "label", "type": "nominal", "title": " "},
            {"field": "colour", "type": "quantitative", "title": colour_title, "format": ".2f"},
        ],
    }
    if size_title is not None:
        node_enc["size"] = {
            "field": "size",
            "type": "quantitative",
            "title": size_title,
            "scale": {"range": [40, 500], "zero": True},
            "legend": None,  # the title says so; the tooltip gives the number
        }
        node_enc["tooltip"].append({"field": "size", "type": "quantitative", "title": size_title})
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": list(edges)},
            "mark": {"type": "rule", "color": "#999", "opacity": 0.5, "strokeWidth": 0.8},
            "encoding": {**xy, "x2": {"field": "x2"}, "y2": {"field": "y2"}},
        },
        {
            "data": {"values": node_rows},
            "mark": {"type": "circle", "opacity": 0.95, "stroke": "#444", "strokeWidth": 0.5}
            | ({} if size_title else {"size": 45}),
            "encoding": node_enc,
        },
    ]
    if labels:  # right of the nodes on the right half, left of those on the left half
        for side, align, dx in (("datum.x >= -0.01", "left", 9), ("datum.x < -0.01", "right", -9)):
            layers.append(
                {
                    "data": {"values": node_rows},
                    "transform": [{"filter": side}],
                    "mark": {
                        "type": "text",
                        "align": align,
                        "dx": dx,
                        "fontSize": 10,
                        "limit": 125,
                    },
                    "encoding": {**xy, "text": {"field": "label"}},
                }
            )
    config = {
        **_config(),
        "legend": {"orient": "right", "labelFontSize": 9, "titleFontSize": 10},
        "title": {"fontSize": 12, "anchor": "start", "limit": 420},
    }
    return _layered(None, layers, title, None, height, config)


def band_chart(
    rows: Sequence[dict[str, Any]],
    *,
    title: str,
    y_title: str,
    x_title: str,
    series_order: Sequence[str],
    subtitle: str | None = None,
    y_domain: Sequence[float] | None = None,
    height: int = 220,
) -> dict[str, Any]:
    """Mean lines with a shaded band from `low` to `high` (a confidence interval), per series;
    with `y_domain`, what falls outside (wide early bands) is clipped."""
    colour = _colour("series", series_order)
    x = {"field": "day", "type": "quantitative", "title": x_title}
    scale = {"scale": {"domain": list(y_domain)}} if y_domain is not None else {}
    layers = [
        {
            "mark": {"type": "area", "opacity": 0.2, "clip": True},
            "encoding": {
                "x": x,
                "y": {"field": "low", "type": "quantitative", "title": y_title, **scale},
                "y2": {"field": "high"},
                "color": colour,
            },
        },
        {
            "mark": {"type": "line", "strokeWidth": 2, "clip": True},
            "encoding": {
                "x": x,
                "y": {"field": "mean", "type": "quantitative", "title": y_title, **scale},
                "color": colour,
                "tooltip": [
                    {"field": "series", "type": "nominal"},
                    {"field": "day", "type": "quantitative"},
                    {"field": "mean", "type": "quantitative", "format": ".3~g"},
                    {"field": "low", "type": "quantitative", "format": ".3~g"},
                    {"field": "high", "type": "quantitative", "format": ".3~g"},
                ],
            },
        },
    ]
    return _layered(rows, layers, title, subtitle, height)


def _layered(
    rows: Sequence[dict[str, Any]] | None,
    layers: list[dict[str, Any]],
    title: str,
    subtitle: str | None,
    height: int,
    config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A layered Vega-Lite spec over `rows` (None: each layer brings its own data), on white so
    it reads in the dark theme too."""
    spec: dict[str, Any] = {
        "$schema": SCHEMA,
        "background": "white",
        "description": title,
        "title": _title(title, subtitle),
        "width": "container",
        "height": height,
    }
    if rows is not None:
        spec["data"] = {"values": [{k: clean(v) for k, v in r.items()} for r in rows]}
    spec["layer"] = layers
    spec["config"] = config if config is not None else _config()
    return spec
