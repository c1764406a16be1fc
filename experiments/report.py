"""A self-contained HTML report of an experiment: charts (embedded PNG) and the summary table."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from experiments.result_folder import ResultFolder
from experiments.statistics import bands
from experiments.summary import outcome_bounds, summarize, sweep_columns
from model.outcomes import HEADLINE_OUTCOMES, OUTCOME_BY_NAME

DIFF_OUTCOMES = (
    "satisfaction_citizens",
    "satisfaction_enterprises",
    "days_per_case",
    "trips_per_case",
    "procedures_per_case",
    "informal_payment_rate",
    "hours_queued_per_case",
    "cost_per_case",
)
CITY_OUTCOMES = ("competitiveness_index", "enterprises", "business_reputation", "residents")
SETTLE_DAYS = 14  # the y axis ignores the bands of the first days (few cases: very wide bands)


def figure_png(fig: plt.Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


# Okabe-Ito's colour-blind-safe colours; with more series than colours, the line style changes
# too (solid, dashed, dotted, dash-dot), so up to 28 series stay distinct. The reference is black.
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]
COLOURS[6] = "#B8A000"  # Okabe-Ito's yellow, darkened to read on white
STYLES = ["-", "--", ":", "-."]


def series_styles(labels: list[str], reference: str | None = None) -> dict[str, dict]:
    """A distinct (colour, line style) per label; the reference solid black and thicker."""
    out, i = {}, 0
    for label in labels:
        if reference is not None and label.split("/")[0] == reference:
            out[label] = {"color": "black", "linestyle": "-", "lw": 2.0}
            continue
        out[label] = {
            "color": COLOURS[i % len(COLOURS)],
            "linestyle": STYLES[(i // len(COLOURS)) % len(STYLES)],
            "lw": 1.4,
        }
        i += 1
    return out


def _grid(n: int, cols: int = 2, height: float = 3.0) -> tuple[plt.Figure, list]:
    cols = cols if n > 1 else 1
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(
        rows, cols, figsize=(6.2 * cols, height * rows), squeeze=False, layout="constrained"
    )
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def series_figure(
    series: pd.DataFrame,
    outcomes: list[str],
    city: str | None = None,
    reference: str | None = None,
) -> str:
    """Mean and 95% band per preset over time, one panel per outcome, one legend outside the
    panels; bands clipped to what each outcome can be, and the y axis set by the means and the
    bands after the first two weeks (over the first days few cases end: wide bands, odd means)."""
    fig, axes = _grid(len(outcomes))
    handles: dict[str, object] = {}
    styles: dict[str, dict] = {}
    for ax, name in zip(axes, outcomes, strict=True):
        b = bands(series, ["preset", "city"], name)
        if city is not None:
            b = b[b["city"] == city]
        low_bound, high_bound = outcome_bounds(name)
        b = b.assign(
            low=b["low"].clip(low_bound, high_bound), high=b["high"].clip(low_bound, high_bound)
        )
        several = city is None and b["city"].nunique() > 1
        labels = [
            f"{p}/{c}" if several else p
            for p, c in dict.fromkeys(zip(b["preset"], b["city"], strict=True))
        ]
        if not styles:
            styles = series_styles(labels, reference)
        settled = b[b["day"] >= min(SETTLE_DAYS, b["day"].max() / 4)]
        for (preset, where), g in b.groupby(["preset", "city"], sort=False):
            label = f"{preset}/{where}" if several else preset
            style = styles.get(label) or series_styles([label])[label]
            line = ax.plot(g["day"], g["mean"], label=label, **style)[0]
            ax.fill_between(g["day"], g["low"], g["high"], color=style["color"], alpha=0.12, lw=0)
            handles.setdefault(label, line)
        values = pd.concat([settled["low"], settled["high"], settled["mean"]]).dropna()
        if len(values):
            lo, hi = float(values.min()), float(values.max())
            pad = (hi - lo) * 0.05 or 0.01
            ax.set_ylim(max(lo - pad, low_bound), min(hi + pad, high_bound))
        o = OUTCOME_BY_NAME[name]
        better = {"higher": " (higher is better)", "lower": " (lower is better)"}.get(
            o.direction, ""
        )
        ax.set_title(f"{name}{better}", fontsize=9)
        ax.set_ylabel(o.unit, fontsize=8)
        ax.set_xlabel("day", fontsize=8)
        ax.tick_params(labelsize=7)
    ncol = min(len(handles), 5)
    fig.legend(
        list(handles.values()), list(handles), loc="outside lower center", ncols=ncol, fontsize=8,
        frameon=False,
    )  # fmt: skip
    return figure_png(fig)


def diff_figure(summary: pd.DataFrame, reference: str, outcomes: list[str]) -> str:
    """Paired differences against the reference, with 95% error bars, one panel per outcome:
    green better, orange worse, grey when the interval holds 0 (long sweep labels: one column
    of panels)."""
    data = summary[(summary["preset"] != reference) & summary["outcome"].isin(outcomes)]
    sweep = sweep_columns(summary)
    bars = max(1, int(data.groupby("outcome").size().max())) if len(data) else 1
    long_labels = bool(sweep)  # "preset (name=value, ...)" labels need the full width
    fig, axes = _grid(len(outcomes), cols=1 if long_labels else 2, height=0.9 + 0.22 * bars)
    for ax, name in zip(axes, outcomes, strict=True):
        d = data[data["outcome"] == name]
        labels = [_label(row, sweep) for _, row in d.iterrows()]
        err = [
            (d["diff"] - d["diff_low"]).clip(lower=0),
            (d["diff_high"] - d["diff"]).clip(lower=0),
        ]
        better = OUTCOME_BY_NAME[name].direction
        good = (d["diff"] > 0) if better == "higher" else (d["diff"] < 0)
        clear = ~((d["diff_low"] <= 0) & (d["diff_high"] >= 0))  # the interval excludes 0
        colors = [
            ("#009E73" if g else "#D55E00") if c else "#BBBBBB"
            for g, c in zip(good, clear, strict=True)
        ]
        ax.barh(labels, d["diff"], xerr=err, color=colors, capsize=2)
        ax.axvline(0, color="black", lw=0.8)
        ax.invert_yaxis()  # the experiment's order, top down
        unit = OUTCOME_BY_NAME[name].unit
        ax.set_title(f"{name}: change vs {reference} ({better} is better)", fontsize=9)
        ax.set_xlabel(f"difference ({unit})", fontsize=8)
        ax.tick_params(labelsize=7)
    return figure_png(fig)


def write_report(folder: str | Path, reference: str = "baseline", out: Path | None = None) -> Path:
    """Write `report.html` (charts and tables, nothing external) into the result folder."""
    results = ResultFolder(folder)
    spec = results.spec
    runs = results.runs
    summary = summarize(results, reference)
    series = results.timeseries
    named = results.spec_names("outcomes")
    kept = [o for o in dict.fromkeys([*HEADLINE_OUTCOMES, *named]) if o in series.columns]
    diffs = [o for o in dict.fromkeys([*DIFF_OUTCOMES, *named]) if o in set(summary["outcome"])]
    cities = (
        sorted(c for c in series["city"].unique() if c not in ("city", "all"))
        if "city" in series.columns
        else []
    )
    days = runs_days = spec.get("days")
    replicates = spec.get("replicates")
    if not (isinstance(runs_days, int) and isinstance(replicates, int)):
        days, replicates = "?", "?"
    failed = results.failed_runs
    parts = [
        f"<h1>govsim experiment: {html.escape(results.spec_text('description'))}</h1>",
        f"<p>{len(runs)} runs ({len(failed)} failed); presets "
        f"{', '.join(html.escape(p) for p in dict.fromkeys(runs['preset']))}; "
        f"{replicates} replicates of {days} days; "
        f"95% Student-t intervals over replicates; differences are paired by seed.</p>",
    ]
    unfinished = results.unfinished_note()
    if unfinished:
        parts += [f"<p class='warning'><strong>{html.escape(unfinished)}</strong></p>"]
    if kept:
        figure = series_figure(series, kept, reference=reference)
        parts += ["<h2>Over time (mean and 95% band)</h2>", _img(figure)]
    if diffs:
        parts += [f"<h2>Paired differences against {html.escape(reference)}</h2>"]
        parts += [_img(diff_figure(summary, reference, diffs))]
    city_kept = [o for o in CITY_OUTCOMES if o in series.columns]
    if cities and city_kept:
        parts += ["<h2>City competition</h2>"]
        parts += [
            _img(series_figure(series[series["city"] != "all"], city_kept, reference=reference))
        ]
    constant = [c for c in ("point", "city") if summary[c].nunique() <= 1]
    table = summary.drop(columns=["unit", *constant]).round(4)
    parts += ["<h2>Summary</h2>", table.to_html(index=False, na_rep="-", border=0)]
    if len(failed):
        parts += ["<h2>Failed runs</h2>", failed[["run_id", "error"]].to_html(index=False)]
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>govsim report</title><style>"
        "body{font-family:sans-serif;margin:2em;max-width:1400px}"
        "table{border-collapse:collapse;font-size:12px}td,th{padding:2px 6px;text-align:right}"
        "tr:nth-child(even){background:#f3f3f3}img{max-width:100%}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>"
    )
    target = out or results.root / "report.html"
    target.write_text(page, encoding="utf-8")
    return target


def _label(row: pd.Series, sweep: list[str]) -> str:
    """'preset', or 'preset/city', with the sweep point's values when there is a sweep."""
    label = row["preset"] if row["city"] in ("city", "all") else f"{row['preset']}/{row['city']}"
    point = ", ".join(f"{k}={row[k]:.4g}" for k in sweep)
    return f"{label} ({point})" if point else label


def _img(data: str) -> str:
    return f"<img alt='chart' src='data:image/png;base64,{data}'>"
