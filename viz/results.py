"""The experiment results page: a result folder of `govsim experiment run`, as a summary table,
each reform's paired differences against the reference (`viz.effects`, the numbers of `govsim
experiment summarize`) and charts with 95% confidence bands; or the folder of a calibration
(`viz.calibration_view`) or of a policy design (`viz.design_view`).

A result folder holds `runs.parquet` (one row per run: run_id, preset, replicate, seed, status,
...), `outcomes.parquet` (one row per run and city, one column per outcome),
`timeseries.parquet` (the same per day) and `manifest.json`. Each .parquet may be one file or a
folder of parts. The folder is read by `experiments.result_folder.ResultFolder` and the numbers
(Student-t intervals over replicates) come from `experiments.statistics`, as for `govsim
experiment summarize` and the HTML report; this page adds only the presentation.
"""

from __future__ import annotations

import html
import math
import os
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pandas as pd
import solara

from experiments.result_folder import ResultFolder
from experiments.statistics import bands as band_table
from experiments.statistics import intervals
from experiments.summary import clip_intervals
from model.outcomes import HEADLINE_OUTCOMES, OUTCOME_BY_NAME, OUTCOMES, format_value
from viz import state
from viz.calibration_view import Calibration, CalibrationView, is_calibration, read_calibration
from viz.design_view import Design, DesignView, is_design, read_design
from viz.effects import effects_html, paired_effects, reference_of
from viz.i18n import city_label, outcome_label, preset_label, t, unit_label
from viz.panels import AppBarLinks
from viz.specs import band_chart, localised
from viz.vega_widget import Chart

BOUNDED_UNITS = ("share", "0-1")  # outcomes that live in [0, 1]: their bands are clipped there
# More sweep points than this are pooled per preset on the page (a column and a line each would
# not be read; the CLI's summary --full and --csv give every point).
MAX_POINTS_SHOWN = 8


class Results(ResultFolder):
    """One result folder, read, with the page's grouping and labels."""

    def group_keys(self) -> list[str]:
        """preset, and the sweep point and city when the folder has more than one (the sweep
        points pooled when there are more than a page can show side by side)."""
        keys = ["preset"]
        for extra in ("point", "city"):
            varies = extra in self.outcomes and self.outcomes[extra].nunique() > 1
            if varies and not (extra == "point" and self.pooled_points()):
                keys.append(extra)
        return keys

    def pooled_points(self) -> int:
        """How many sweep points the page pools per preset (0: it shows each)."""
        if "point" not in self.outcomes:
            return 0
        points = int(self.outcomes["point"].nunique())
        return points if points > MAX_POINTS_SHOWN else 0

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
        chosen = self.spec_names("outcomes")
        return [n for n in names if n in chosen] or names

    @property
    def description(self) -> str:
        return self.spec_text("description")

    def several_city_presets(self) -> set[str]:
        return self._several_city_presets

    @cached_property
    def _several_city_presets(self) -> set[str]:
        if "city" not in self.outcomes:
            return set()
        counts = self.outcomes.groupby("preset")["city"].nunique()
        return set(counts[counts > 1].index)


RESULTS_ROOT_ENV = "GOVSIM_RESULTS_ROOT"  # set by `govsim dashboard --results-root`
NOT_FOUND = (
    "no finished experiment, calibration or policy design by that name in the results folder"
)


def folder_kind(folder: Path) -> str | None:
    """'experiment' (`govsim experiment run`), 'calibration' (`govsim calibrate`), 'design'
    (`govsim optimise`), or None for any other folder."""
    if (folder / "runs.parquet").exists():
        return "experiment"
    if is_calibration(folder):
        return "calibration"
    if is_design(folder):
        return "design"
    return None


def results_root() -> Path:
    """The one folder the page may open experiments from (default: results/ of the working
    directory), symlinks resolved."""
    return Path(os.environ.get(RESULTS_ROOT_ENV) or "results").expanduser().resolve()


def locate(name: str, root: Path | None = None) -> Path:
    """The result folder (an experiment, a calibration or a policy design) a visitor asked
    for, confined to the results root.

    `name` is relative to the root. Whatever is wrong (outside the root by '..', an absolute
    path or a symlink; not there; not an experiment folder) the answer is the same ValueError,
    so the page tells a visitor nothing about the rest of the disk.
    """
    try:
        root = (root or results_root()).resolve()
        folder = (root / name.strip()).resolve()
        inside = folder == root or folder.is_relative_to(root)
        if not name.strip() or not inside or folder_kind(folder) is None:
            raise ValueError(NOT_FOUND)
        # every file the page would read must be inside the root too (no symlink out)
        for path in [*folder.glob("*"), *folder.glob("*/*")]:
            if (path.exists() or path.is_symlink()) and not path.resolve().is_relative_to(root):
                raise ValueError(NOT_FOUND)
    except (OSError, RuntimeError, ValueError):
        raise ValueError(NOT_FOUND) from None
    return folder


def read_results(folder: str | Path) -> Results:
    """Read a result folder; a missing or foreign folder is one clear ValueError."""
    results = Results(folder)
    if results.outcomes.empty:
        raise ValueError(f"{results.root}: no successful runs")
    results.timeseries  # noqa: B018 - read now: a broken dataset fails here, not in a chart
    return results


def read_folder(folder: Path) -> Results | Calibration | Design:
    """Whatever the folder holds: an experiment's results, a calibration or a policy design."""
    kind = folder_kind(folder)
    if kind == "calibration":
        return read_calibration(folder)
    if kind == "design":
        return read_design(folder)
    return read_results(folder)


def find_result_folders(root: Path | None = None) -> list[str]:
    """Result folders in the results root (experiments, calibrations, policy designs), by
    their names there, newest first, for the page's picker (folders that lead outside the root
    by a symlink are left out)."""
    root = root or results_root()
    if not root.is_dir():
        return []
    found = []
    for p in root.iterdir():
        try:
            found.append((locate(p.name, root).stat().st_mtime, p.name))
        except (ValueError, OSError):
            continue
    return [name for _, name in sorted(found, reverse=True)]


def _labels(results: Results, frame: pd.DataFrame, keys: list[str]) -> list[str]:
    return [results.label(r) for r in frame[keys].to_dict("records")]


def summary_table(results: Results, outcomes: list[str] | None = None) -> pd.DataFrame:
    """One row per group (preset, point, city) and outcome: n, mean and the 95% interval
    (clipped to what the outcome can be)."""
    table = results.outcomes
    keys = results.group_keys()
    names = [o for o in (outcomes or [o.name for o in OUTCOMES]) if o in table.columns]
    out = clip_intervals(intervals(table, keys, names))  # in bounds, as the CLI's summary
    out.insert(0, "series", _labels(results, out, keys))
    return out[["series", "outcome", "n", "mean", "low", "high"]]


def bands(results: Results, outcome: str) -> pd.DataFrame:
    """Mean and 95% band per group and day, for one outcome's time series."""
    ts = results.timeseries
    if ts.empty or outcome not in ts.columns:
        return pd.DataFrame(columns=["series", "day", "mean", "low", "high"])
    keys = [k for k in results.group_keys() if k in ts.columns]
    band = band_table(ts, keys, outcome)
    out = pd.DataFrame(
        {
            "series": _labels(results, band, keys),
            "day": band["day"].astype(int),
            "mean": band["mean"],
            "low": band["low"],
            "high": band["high"],
        }
    )
    return out.sort_values(["series", "day"], kind="stable").reset_index(drop=True)


def series_text(label: str, lang: str) -> str:
    """A group's label ('one_stop', 'two_cities · reformer') in the page's language."""
    preset, *rest = label.split(" · ")
    return " · ".join([preset_label(preset, lang), *(city_label(r, lang) for r in rest)])


def table_html(summary: pd.DataFrame, lang: str) -> str:
    """The summary as an HTML table: outcomes down, groups across, 'mean [low, high]'."""
    series = list(dict.fromkeys(summary["series"]))
    head = "".join(f"<th>{html.escape(series_text(s, lang))}</th>" for s in series)
    body = []
    for name, part in summary.groupby("outcome", sort=False):
        o = OUTCOME_BY_NAME[name]
        better = t(f"better_{o.direction}", lang)
        unit = unit_label(o.unit, lang)
        label = (
            f"{outcome_label(name, lang)}（{unit}）"
            if lang == "zh"
            else f"{outcome_label(name, lang)} ({unit})"
        )
        cells = []
        # the declaration's description is English: a tooltip in English mode only
        tip = f" title='{html.escape(o.description)}'" if lang == "en" else ""
        by = part.set_index("series")
        for s in series:
            r = by.loc[s]
            low, high = format_value(r["low"], o.unit), format_value(r["high"], o.unit)
            ci = f" [{low}, {high}]" if math.isfinite(r["low"]) else ""
            cells.append(f"<td>{format_value(r['mean'], o.unit)}<span class='ci'>{ci}</span></td>")
        body.append(
            f"<tr><th{tip}>{html.escape(label)}"
            f"<div class='better'>{html.escape(better)}</div></th>{''.join(cells)}</tr>"
        )
    style = (
        "<style>.govsim-summary{border-collapse:collapse;font-size:13px}"
        ".govsim-summary td,.govsim-summary th{border-bottom:1px solid #ddd;padding:4px 10px;"
        "text-align:right;vertical-align:top}.govsim-summary tbody th{text-align:left;"
        "min-width:9em;font-weight:500}.govsim-summary .ci{color:#777;font-size:11px}"
        ".govsim-summary .better{color:#999;font-size:10px;font-weight:400}</style>"
    )
    return (
        f"{style}<table class='govsim-summary'><thead><tr><th>"
        f"{html.escape(t('results_outcome', lang))}</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def band_spec(results: Results, outcome: str, lang: str) -> dict[str, Any]:
    frame = bands(results, outcome)
    frame["series"] = [series_text(s, lang) for s in frame["series"]]
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
    chosen = solara.use_reactive(list(HEADLINE_OUTCOMES))
    every = solara.use_reactive(False)

    def load() -> Results | Calibration | Design | str | None:
        if not opened:
            return None
        try:
            folder = locate(opened)
        except ValueError as exc:
            return str(exc)
        try:
            return read_folder(folder)
        except (ValueError, OSError, RecursionError, TypeError, KeyError) as exc:
            return str(exc).replace(str(folder), opened.strip())

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
            solara.Select(  # the folders' own names
                t("results_recent", lang),
                classes=["govsim-user-text"],
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
        if isinstance(results, Calibration):
            CalibrationView(results)
            return
        if isinstance(results, Design):
            DesignView(results)
            return
        ok = len(results.ok_runs)
        sep = "、" if lang == "zh" else ", "
        presets = sep.join(
            preset_label(p, lang) for p in dict.fromkeys(results.runs["preset"].astype(str))
        )
        if results.description:  # the experiment file's own words, as written
            solara.Text(
                results.description, style={"font-size": "16px"}, classes=["govsim-user-text"]
            )
        solara.Text(
            t("results_runs", lang, ok=ok, failed=len(results.runs) - ok, presets=presets),
            classes=["govsim-runs-line"],
            style={"color": "#555"},
        )
        if results.pooled_points():
            solara.Text(
                t("results_pooled", lang, points=results.pooled_points(), folder=opened),
                classes=["govsim-pooled-line"],
                style={"color": "#555"},
            )
        names = [o.name for o in OUTCOMES if o.name in results.outcomes.columns]
        shown = names if every.value else results.focus_outcomes()
        solara.Text(t("results_table", lang), style={"font-size": "17px", "margin-top": "8px"})
        if len(results.focus_outcomes()) < len(names):
            solara.Checkbox(label=t("results_every", lang), value=every)
        solara.HTML(tag="div", unsafe_innerHTML=table_html(summary_table(results, shown), lang))
        PairedEffects(results)
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
                    Chart(localised(band_spec(results, name, lang), lang), mark=name, name=name)


@solara.component
def PairedEffects(results: Results):
    """Each reform against the reference preset (the experiment's, or one picked here): the
    paired differences of `govsim experiment summarize DIR --reference REF`."""
    lang = state.language.value
    presets = list(dict.fromkeys(results.outcomes["preset"].astype(str)))
    default = reference_of(results)
    picked = solara.use_reactive("")
    chosen = picked.value if picked.value in presets else default
    chosen = chosen if chosen in presets else presets[0]

    def table() -> pd.DataFrame | Exception:
        try:
            return paired_effects(results, chosen, pool_points=bool(results.pooled_points()))
        except (ValueError, KeyError) as exc:  # no successful reference run; a missing column
            return exc

    effects = solara.use_memo(table, [results, chosen])
    if len(presets) < 2:
        return
    solara.Text(
        t("effects_title", lang, reference=preset_label(chosen, lang)),
        style={"font-size": "17px", "margin-top": "12px"},
    )
    if len(presets) > 2:
        labels = {preset_label(p, lang): p for p in presets}
        solara.Select(
            t("effects_pick", lang),
            value=preset_label(chosen, lang),
            values=list(labels),
            on_value=lambda label: picked.set(labels.get(label, chosen)),
        )
    if isinstance(effects, KeyError):  # a folder without a column the summary pairs on
        solara.Error(f"{t('effects_missing', lang)}: {effects}")
        return
    if isinstance(effects, Exception):
        solara.Error(str(effects))
        return
    solara.HTML(tag="div", unsafe_innerHTML=effects_html(effects, chosen, lang))
