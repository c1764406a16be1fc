"""The HTML report of a calibration: each target against the model's interval, the predicted
path of start-up days through the dated reforms, and what the data say about each parameter
(marginals and pairs of the ABC posterior, or the loss against each parameter for a point fit).
"""

from __future__ import annotations

import datetime as dt
import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.atomic import write_text
from experiments.calibration import (
    CalibrationSpec,
    bounds,
    reform_starts,
    shape_check,
    targets,
)
from experiments.report import figure_png, plt

# A parameter is "pinned" when its posterior spread is under half its prior's (a uniform prior
# over [lo, hi] has sd (hi - lo)/sqrt(12)); "narrowed" under 80 %; else the data leave it open.
PINNED, NARROWED = 0.5, 0.8
LEVEL = 0.9
STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.miss{color:#b00020;font-weight:bold}.ok{color:#1b7f3b}img{max-width:100%}"""


def _short(kinds: str) -> str:
    """A reform line's label: the first reform, and how many more start that day."""
    names = kinds.split(", ")
    more = f" +{len(names) - 1}" if len(names) > 1 else ""
    return " " + names[0].replace("_", " ") + more


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cum = np.cumsum(w[order])
    return float(x[order][min(np.searchsorted(cum, q * cum[-1]), len(x) - 1)])


def parameter_table(spec: CalibrationSpec, posterior: pd.DataFrame) -> pd.DataFrame:
    """Per free parameter: prior range, posterior mean, sd and 90% interval, the posterior sd as a
    share of the prior's, and whether the data pin it down."""
    w = posterior["weight"].to_numpy()
    rows = []
    for name, (lo, hi) in bounds(spec).items():
        x = posterior[name].to_numpy(dtype=float)
        mean = float(np.sum(w * x))
        sd = math.sqrt(float(np.sum(w * (x - mean) ** 2)))
        share = sd / ((hi - lo) / math.sqrt(12))
        verdict = "pinned" if share < PINNED else "narrowed" if share < NARROWED else "not pinned"
        rows.append(
            {
                "parameter": name,
                "prior low": lo,
                "prior high": hi,
                "mean": mean,
                "sd": sd,
                "5%": _weighted_quantile(x, w, (1 - LEVEL) / 2),
                "95%": _weighted_quantile(x, w, (1 + LEVEL) / 2),
                "sd / prior sd": share,
                "the data": verdict,
            }
        )
    return pd.DataFrame(rows)


def path_figure(spec: CalibrationSpec, check: pd.DataFrame, path: pd.DataFrame) -> str:
    """The predicted start-up days over the calendar (median and 90% band of the runs), the
    observed editions (fitted filled, held out open) and the dated reforms."""
    fig, ax = plt.subplots(figsize=(10, 4.2))
    by_day = path.groupby("day")["start_business_days"]
    days = np.array(sorted(path["day"].unique()))
    dates = [spec.day_zero + dt.timedelta(days=int(d)) for d in days]
    lo = by_day.quantile((1 - LEVEL) / 2).reindex(days)
    hi = by_day.quantile((1 + LEVEL) / 2).reindex(days)
    ax.fill_between(dates, lo, hi, color="#9ecae1", alpha=0.6, label=f"model, {LEVEL:.0%} of runs")
    ax.plot(dates, by_day.median().reindex(days), color="#08519c", lw=1.6, label="model, median")
    # the targets file is read once: each edition's measured day
    day_of = {(t.edition, t.outcome): t.day for t in targets(spec, (*spec.fit, *spec.holdout))}
    for label, marker, face in (("fit", "o", "#d95f02"), ("held out", "o", "white")):
        rows = check[check["set"] == label]
        when = [
            spec.day_zero + dt.timedelta(days=day_of[(r.edition, r.outcome)])
            for r in rows.itertuples()
        ]
        ax.scatter(
            when,
            rows["observed"],
            marker=marker,
            s=46,
            facecolor=face,
            edgecolor="#d95f02",
            zorder=3,
            label=f"Doing Business, {label}",
        )
    top = float(np.nanmax([hi.max(), check["observed"].max()])) * 1.08
    for day, kinds in reform_starts(spec.preset):
        when = spec.day_zero + dt.timedelta(days=day)
        ax.axvline(when, color="#999", lw=0.8, ls="--")
        ax.text(when, top, _short(kinds), rotation=90, va="top", fontsize=7)
    ax.set_ylim(0, top * 1.02)
    ax.set_ylabel("start-up time (calendar days)")
    ax.set_xlabel("date a start-up begins")
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    return figure_png(fig)


def posterior_figures(spec: CalibrationSpec, posterior: pd.DataFrame) -> str:
    """Weighted marginals on the diagonal, pairs below it (dot size by weight)."""
    ranges = bounds(spec)
    names = list(ranges)
    n = len(names)
    fig, axes = plt.subplots(n, n, figsize=(2.4 * n, 2.2 * n), squeeze=False)
    w = posterior["weight"].to_numpy()
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            ax = axes[i][j]
            if j > i:
                ax.set_visible(False)
                continue
            if i == j:
                ax.hist(posterior[a], bins=12, range=ranges[a], weights=w, color="#4292c6")
                ax.set_xlim(ranges[a])
                ax.set_yticks([])
            else:
                ax.scatter(posterior[b], posterior[a], s=8 + 300 * w, alpha=0.6, color="#08519c")
                ax.set_xlim(ranges[b])
                ax.set_ylim(ranges[a])
            if i == n - 1:
                ax.set_xlabel(b, fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(a, fontsize=8)
            ax.tick_params(labelsize=7)
    fig.tight_layout()
    return figure_png(fig)


def loss_figures(spec: CalibrationSpec, trials: pd.DataFrame) -> str:
    """A point fit's trials: the loss against each parameter (what the fit is sensitive to)."""
    ranges = bounds(spec)
    fig, axes = plt.subplots(1, len(ranges), figsize=(3.2 * len(ranges), 2.8), squeeze=False)
    for ax, (name, lim) in zip(axes[0], ranges.items(), strict=True):
        ax.scatter(trials[name], trials["loss"], s=10, color="#08519c", alpha=0.7)
        ax.set_xlim(lim)
        ax.set_yscale("log")
        ax.set_xlabel(name, fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0][0].set_ylabel("loss")
    fig.tight_layout()
    return figure_png(fig)


def _table(frame: pd.DataFrame) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, bool | np.bool_):
            return '<td class="ok">yes</td>' if v else '<td class="miss">no</td>'
        if isinstance(v, float):
            return f"<td>{v:.3g}</td>"
        return f"<td>{html.escape(str(v))}</td>"

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in frame.values)
    return f"<table><tr>{head}</tr>{body}</table>"


def write_report(
    path: Path,
    spec: CalibrationSpec,
    check: pd.DataFrame,
    runs: pd.DataFrame,
    posterior: pd.DataFrame | None = None,
    trials: pd.DataFrame | None = None,
) -> None:
    """Write the self-contained report (PNG charts embedded) to `path`."""
    held = check[check["set"] == "held out"]
    coverage = (
        f"{int(held['covered'].sum())} of {len(held)} held-out points inside the model's"
        f" {LEVEL:.0%} interval ({held['covered'].mean():.0%})"
        if len(held)
        else "no held-out points"
    )
    kind = (
        f"posterior predictive ({spec.predictive} draws from the ABC-SMC posterior, a fresh seed"
        " each)"
        if posterior is not None
        else f"the best parameter set on {spec.holdout_seeds} seeds"
    )
    parts = [
        f"<h1>Calibration: {html.escape(spec.description)}</h1>",
        f"<p>Timeline <code>{spec.preset}</code> from {spec.day_zero}; fitted on"
        f" {', '.join(spec.fit)}, held out {', '.join(spec.holdout) or 'nothing'}, at"
        f" {html.escape(spec.place)}. Method: {spec.method}. Intervals: {kind}.</p>",
        f"<p><b>Held-out coverage: {coverage}.</b></p>",
        "<h2>Targets against the model</h2>",
        _table(check.rename(columns={"low": "5%", "high": "95%", "model": "model mean"})),
        "<h2>The predicted path</h2>",
        f'<img src="data:image/png;base64,{path_figure(spec, check, runs)}">',
        "<p>The shape: the model's start-up days (median over runs) in the half-year before each"
        " dated reform and in the half-year from it.</p>",
        _table(shape_check(spec, runs)),
        "<p>Each run's start-up time is the median over the start-ups begun in a"
        f" {spec.window_days}-day window from the date (the time a firm starting then takes, as"
        " Doing Business measures it). Dashed lines: dated reforms of the timeline.</p>",
    ]
    if posterior is not None:
        table = parameter_table(spec, posterior)
        pinned = ", ".join(table.loc[table["the data"] == "pinned", "parameter"]) or "none"
        loose = ", ".join(table.loc[table["the data"] == "not pinned", "parameter"]) or "none"
        parts += [
            "<h2>What the data say about each parameter</h2>",
            f"<p>Pinned down (posterior sd under {PINNED:.0%} of the prior's): {pinned}."
            f" Left open (over {NARROWED:.0%}): {loose}.</p>",
            _table(table),
            f'<img src="data:image/png;base64,{posterior_figures(spec, posterior)}">',
        ]
    elif trials is not None:
        parts += [
            "<h2>The point fit's trials</h2>",
            "<p>A point fit gives no posterior; the loss against each parameter shows which the"
            " fit is sensitive to (a flat cloud: the targets do not decide it).</p>",
            f'<img src="data:image/png;base64,{loss_figures(spec, trials)}">',
        ]
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>govsim calibration'
        f"</title><style>{STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )
    write_text(path, page)
