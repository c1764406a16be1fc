"""The experiment results page: a result folder of `govsim experiment run`, as a summary table
and charts with 95% confidence bands.

A result folder holds `runs.parquet` (one row per run: run_id, preset, replicate, seed, status,
...), `outcomes.parquet` (one row per run and city, one column per outcome),
`timeseries.parquet` (the same per day) and `manifest.json`. Each .parquet may be one file or a
folder of parts. Intervals are Student-t intervals over replicates (mean +/- t * sd / sqrt(n)).
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import numpy as np
import pandas as pd
import solara

from model.outcomes import OUTCOME_BY_NAME, OUTCOMES
from viz import state
from viz.i18n import outcome_label, t, unit_label
from viz.panels import AppBarLinks
from viz.specs import band_chart
from viz.vega_widget import Chart

DEFAULT_CHARTS = (
    "satisfaction_citizens",
    "satisfaction_enterprises",
    "days_per_case",
    "trips_per_case",
    "informal_payment_rate",
    "civil_servant_skill",
)
BOUNDED_UNITS = ("share", "0-1")  # outcomes that live in [0, 1]: their bands are clipped there
# Two-sided 95% Student-t quantiles t(0.975, df): exact table values, interpolated in 1/df beyond.
_T975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
    10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110,
    18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060,
    26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980,
}  # fmt: skip
_Z975 = 1.959964


def t975(df: int) -> float:
    """t(0.975, df), the multiplier of a 95% two-sided interval (NaN for df < 1)."""
    if df < 1:
        return math.nan
    if df in _T975:
        return _T975[df]
    keys = sorted(_T975)
    if df > keys[-1]:
        lo_df, lo_t, hi_inv, hi_t = keys[-1], _T975[keys[-1]], 0.0, _Z975
    else:
        lo_df = max(k for k in keys if k < df)
        hi_df = min(k for k in keys if k > df)
        lo_t, hi_inv, hi_t = _T975[lo_df], 1.0 / hi_df, _T975[hi_df]
    w = (1.0 / lo_df - 1.0 / df) / (1.0 / lo_df - hi_inv)
    return lo_t + w * (hi_t - lo_t)


@dataclass
class Results:
    """One result folder, read."""

    folder: Path
    runs: pd.DataFrame
    outcomes: pd.DataFrame
    timeseries: pd.DataFrame
    manifest: dict[str, Any]

    @property
    def ok_runs(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] == "ok"] if "status" in self.runs else self.runs

    def group_keys(self) -> list[str]:
        """preset, and the sweep point and city when the folder has more than one."""
        keys = ["preset"]
        for extra in ("point", "city"):
            if extra in self.outcomes and self.outcomes[extra].nunique() > 1:
                keys.append(extra)
        return keys

    def label(self, values: dict[str, Any]) -> str:
        """'one_stop', 'two_cities · reformer': the city only for presets with several."""
        parts = [str(values["preset"])]
        if "point" in values:
            parts.append(str(values["point"]))
        if "city" in values and values["preset"] in self.several_city_presets():
            parts.append(str(values["city"]))
        return " · ".join(parts)

    def focus_outcomes(self) -> list[str]:
        """The outcomes the experiment names in its spec (all outcomes when it names none)."""
        names = [o.name for o in OUTCOMES if o.name in self.outcomes.columns]
        chosen = (self.manifest.get("spec") or {}).get("outcomes") or []
        return [n for n in names if n in chosen] or names

    @property
    def description(self) -> str:
        return str((self.manifest.get("spec") or {}).get("description", ""))

    def several_city_presets(self) -> set[str]:
        if "city" not in self.outcomes:
            return set()
        counts = self.outcomes.groupby("preset")["city"].nunique()
        return set(counts[counts > 1].index)


def read_results(folder: str | Path) -> Results:
    """Read a result folder; a missing or foreign folder is one clear ValueError."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such folder")
    for name in ("runs", "outcomes"):
        if not (folder / f"{name}.parquet").exists():
            raise ValueError(f"{folder}: no {name}.parquet (is it a govsim experiment folder?)")
    runs = pd.read_parquet(folder / "runs.parquet")
    outcomes = pd.read_parquet(folder / "outcomes.parquet")
    ts_path = folder / "timeseries.parquet"
    timeseries = pd.read_parquet(ts_path) if ts_path.exists() else pd.DataFrame()
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if runs.empty:
        raise ValueError(f"{folder}: no finished runs")
    ok = set(runs.loc[runs["status"] == "ok", "run_id"]) if "status" in runs else set(runs.run_id)
    outcomes = outcomes[outcomes["run_id"].isin(ok)]
    if not timeseries.empty:
        timeseries = timeseries[timeseries["run_id"].isin(ok)]
    return Results(folder, runs, outcomes.reset_index(drop=True), timeseries, manifest)


def find_result_folders(root: Path | None = None) -> list[str]:
    """Result folders under `results/` of the working directory (where `govsim experiment run`
    writes by default), newest first, for the page's picker."""
    root = root or Path.cwd() / "results"
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if (p / "runs.parquet").exists()]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [str(p) for p in found]


def _interval(values: np.ndarray) -> tuple[int, float, float, float]:
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return 0, math.nan, math.nan, math.nan
    mean = float(values.mean())
    if n < 2:
        return n, mean, math.nan, math.nan
    half = t975(n - 1) * float(values.std(ddof=1)) / math.sqrt(n)
    return n, mean, mean - half, mean + half


def summary_table(results: Results, outcomes: list[str] | None = None) -> pd.DataFrame:
    """One row per group (preset, point, city) and outcome: n, mean and the 95% interval."""
    table = results.outcomes
    keys = results.group_keys()
    names = [o for o in (outcomes or [o.name for o in OUTCOMES]) if o in table.columns]
    rows = []
    for group, part in table.groupby(keys, sort=False):
        group = group if isinstance(group, tuple) else (group,)
        label = results.label(dict(zip(keys, group, strict=True)))
        for name in names:
            n, mean, low, high = _interval(part[name].to_numpy(dtype=float))
            rows.append(
                {"series": label, "outcome": name, "n": n, "mean": mean, "low": low, "high": high}
            )
    return pd.DataFrame(rows, columns=["series", "outcome", "n", "mean", "low", "high"])


def bands(results: Results, outcome: str) -> pd.DataFrame:
    """Mean and 95% band per group and day, for one outcome's time series."""
    ts = results.timeseries
    if ts.empty or outcome not in ts.columns:
        return pd.DataFrame(columns=["series", "day", "mean", "low", "high"])
    keys = [k for k in results.group_keys() if k in ts.columns]
    grouped = ts.groupby([*keys, "day"], sort=False)[outcome]
    stats = grouped.agg(["mean", "std", "count"]).reset_index()
    mult = np.array([t975(int(n) - 1) if n > 1 else math.nan for n in stats["count"]])
    half = mult * stats["std"].to_numpy() / np.sqrt(stats["count"].to_numpy())
    out = pd.DataFrame(
        {
            "series": [results.label(r) for r in stats[keys].to_dict("records")],
            "day": stats["day"].astype(int),
            "mean": stats["mean"],
            "low": stats["mean"] - half,
            "high": stats["mean"] + half,
        }
    )
    return out.sort_values(["series", "day"], kind="stable").reset_index(drop=True)


def _fmt(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def table_html(summary: pd.DataFrame, lang: str) -> str:
    """The summary as an HTML table: outcomes down, groups across, 'mean [low, high]'."""
    series = list(dict.fromkeys(summary["series"]))
    head = "".join(f"<th>{html.escape(s)}</th>" for s in series)
    body = []
    for name, part in summary.groupby("outcome", sort=False):
        o = OUTCOME_BY_NAME[name]
        better = t(f"better_{o.direction}", lang)
        unit = unit_label(o.unit, lang)
        label = (
            f"{outcome_label(name, lang)}({unit})"
            if lang == "zh"
            else f"{outcome_label(name, lang)} ({unit})"
        )
        cells = []
        by = part.set_index("series")
        for s in series:
            r = by.loc[s]
            ci = f" [{_fmt(r['low'])}, {_fmt(r['high'])}]" if math.isfinite(r["low"]) else ""
            cells.append(f"<td>{_fmt(r['mean'])}<span class='ci'>{ci}</span></td>")
        body.append(
            f"<tr><th title='{html.escape(o.description)}'>{html.escape(label)}"
            f"<div class='better'>{html.escape(better)}</div></th>{''.join(cells)}</tr>"
        )
    style = (
        "<style>.govsim-summary{border-collapse:collapse;font-size:13px}"
        ".govsim-summary td,.govsim-summary th{border-bottom:1px solid #ddd;padding:4px 10px;"
        "text-align:right;vertical-align:top}.govsim-summary tbody th{text-align:left;"
        "font-weight:500}.govsim-summary .ci{color:#777;font-size:11px}"
        ".govsim-summary .better{color:#999;font-size:10px;font-weight:400}</style>"
    )
    return (
        f"{style}<table class='govsim-summary'><thead><tr><th>"
        f"{html.escape(t('results_outcome', lang))}</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def band_spec(results: Results, outcome: str, lang: str) -> dict[str, Any]:
    frame = bands(results, outcome)
    o = OUTCOME_BY_NAME[outcome]
    return band_chart(
        frame.to_dict("records"),
        title=outcome_label(outcome, lang),
        subtitle=t(f"better_{o.direction}", lang) or None,
        y_title=unit_label(o.unit, lang),
        x_title=t("day", lang),
        series_order=list(dict.fromkeys(frame["series"])),
        y_domain=[0, 1] if o.unit in BOUNDED_UNITS else None,
    )


@solara.component
def ResultsPage():
    """Open a result folder and see its summary table and charts with confidence bands."""
    lang = state.language.value
    router = solara.use_router()
    query = parse_qs(router.search or "")
    from_url = query.get("folder", [""])[0]
    opened, set_opened = solara.use_state(from_url)
    typed = solara.use_reactive(from_url)
    chosen = solara.use_reactive(list(DEFAULT_CHARTS))
    every = solara.use_reactive(False)

    def load() -> Results | str | None:
        if not opened:
            return None
        try:
            return read_results(opened)
        except (ValueError, OSError) as exc:
            return str(exc)

    results = solara.use_memo(load, [opened])
    recent = solara.use_memo(find_result_folders, [])

    def pick(folder: str) -> None:
        typed.set(folder)
        set_opened(folder)

    AppBarLinks()
    with solara.AppBar():
        solara.AppBarTitle(t("title", lang))
    with solara.Column(style={"padding": "12px", "width": "100%"}, classes=["govsim-results"]):
        solara.Text(t("results_title", lang), style={"font-size": "22px", "font-weight": "500"})
        with solara.Row(style={"align-items": "center"}):
            solara.InputText(
                t("results_folder", lang),
                value=typed,
                continuous_update=True,
                style={"min-width": "520px"},
            )
            solara.Button(
                t("results_open", lang),
                on_click=lambda: set_opened(typed.value.strip()),
                color="primary",
            )
        if recent:
            solara.Select(
                t("results_recent", lang),
                value=opened if opened in recent else None,
                values=recent,
                on_value=pick,
            )
        if results is None:
            solara.Info(t("results_none", lang))
            return
        if isinstance(results, str):
            solara.Error(f"{t('results_error', lang)}: {results}")
            return
        ok = len(results.ok_runs)
        presets = ", ".join(dict.fromkeys(results.runs["preset"].astype(str)))
        if results.description:
            solara.Text(results.description, style={"font-size": "16px"})
        solara.Text(
            t("results_runs", lang, ok=ok, failed=len(results.runs) - ok, presets=presets),
            style={"color": "#555"},
        )
        names = [o.name for o in OUTCOMES if o.name in results.outcomes.columns]
        shown = names if every.value else results.focus_outcomes()
        solara.Text(t("results_table", lang), style={"font-size": "17px", "margin-top": "8px"})
        if len(results.focus_outcomes()) < len(names):
            solara.Checkbox(label=t("results_every", lang), value=every)
        solara.HTML(tag="div", unsafe_innerHTML=table_html(summary_table(results, shown), lang))
        if results.timeseries.empty:
            return
        solara.Text(t("results_charts", lang), style={"font-size": "17px", "margin-top": "12px"})
        labels = {outcome_label(n, lang): n for n in names}
        solara.SelectMultiple(
            t("results_choose", lang),
            values=[outcome_label(n, lang) for n in chosen.value if n in names],
            all_values=list(labels),
            on_value=lambda picked: chosen.set([labels[p] for p in picked if p in labels]),
        )
        picked = [n for n in chosen.value if n in names]
        for i in range(0, len(picked), 2):
            with solara.Columns([1, 1]):
                for name in picked[i : i + 2]:
                    Chart(band_spec(results, name, lang), mark=name, name=name)
