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
from experiments.summary import summarize, sweep_columns
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


def figure_png(fig: plt.Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _grid(n: int) -> tuple[plt.Figure, list]:
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 3.3 * rows), squeeze=False)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def series_figure(series: pd.DataFrame, outcomes: list[str], city: str | None = None) -> str:
    """Mean and 95% band per preset over time, one panel per outcome."""
    fig, axes = _grid(len(outcomes))
    for ax, name in zip(axes, outcomes, strict=True):
        b = bands(series, ["preset", "city"], name)
        if city is not None:
            b = b[b["city"] == city]
        for (preset, where), g in b.groupby(["preset", "city"], sort=False):
            label = preset if city is not None or b["city"].nunique() == 1 else f"{preset}/{where}"
            line = ax.plot(g["day"], g["mean"], label=label, lw=1.4)[0]
            ax.fill_between(g["day"], g["low"], g["high"], color=line.get_color(), alpha=0.2)
        ax.set_title(f"{name} ({OUTCOME_BY_NAME[name].unit})", fontsize=10)
        ax.set_xlabel("day")
    axes[0].legend(fontsize=7, ncols=2)
    return figure_png(fig)


def diff_figure(summary: pd.DataFrame, reference: str, outcomes: list[str]) -> str:
    """Paired differences against the reference, with 95% error bars, one panel per outcome."""
    data = summary[(summary["preset"] != reference) & summary["outcome"].isin(outcomes)]
    sweep = sweep_columns(summary)
    fig, axes = _grid(len(outcomes))
    for ax, name in zip(axes, outcomes, strict=True):
        d = data[data["outcome"] == name]
        labels = [_label(row, sweep) for _, row in d.iterrows()]
        err = [d["diff"] - d["diff_low"], d["diff_high"] - d["diff"]]
        better = OUTCOME_BY_NAME[name].direction
        good = (d["diff"] > 0) if better == "higher" else (d["diff"] < 0)
        colors = ["#2a9d8f" if g else "#e76f51" for g in good]
        ax.barh(labels, d["diff"], xerr=err, color=colors, capsize=2)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(f"{name}: difference vs {reference} ({better} is better)", fontsize=9)
        ax.tick_params(labelsize=7)
    return figure_png(fig)


def write_report(folder: str | Path, reference: str = "baseline", out: Path | None = None) -> Path:
    """Write `report.html` (charts and tables, nothing external) into the result folder."""
    results = ResultFolder(folder)
    spec = results.spec
    runs = results.runs
    summary = summarize(results, reference)
    series = results.timeseries
    kept = [o for o in HEADLINE_OUTCOMES if o in series.columns]
    diffs = [o for o in DIFF_OUTCOMES if o in set(summary["outcome"])]
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
    if kept:
        parts += ["<h2>Over time (mean and 95% band)</h2>", _img(series_figure(series, kept))]
    if diffs:
        parts += [f"<h2>Paired differences against {html.escape(reference)}</h2>"]
        parts += [_img(diff_figure(summary, reference, diffs))]
    city_kept = [o for o in CITY_OUTCOMES if o in series.columns]
    if cities and city_kept:
        parts += ["<h2>City competition</h2>"]
        parts += [_img(series_figure(series[series["city"] != "all"], city_kept))]
    table = summary.drop(columns=["unit"]).round(4)
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
