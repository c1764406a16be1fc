"""The results page's paired differences: each reform's effects against the reference preset, as
`govsim experiment summarize DIR --reference REF` prints them, in English or Chinese.

The numbers are `experiments.summary.summarize` (the CLI's own call): per preset, sweep point,
city and outcome the mean with its 95% interval and the paired difference against the reference
in the same replicate (same seed) with its interval. This module only words them: an outcome is
"better" or "worse" when the difference's interval excludes 0 (and the outcome has a better
direction), ▲▼ its direction, shares as percentages and their changes in percentage points, other
units with the change in per cent of the reference's level. `cli.show` prints
the same words from here (`level_text`, `change_text`, `from_to`, `verdict`).
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from experiments.result_folder import ResultFolder
from experiments.summary import summarize
from model.outcomes import WHOLE_UNITS
from viz.i18n import city_label, outcome_label, preset_label, t, unit_label


def reference_of(results: ResultFolder) -> str:
    """The reference preset, as the CLI picks it: the experiment file's `reference`, else
    'baseline'."""
    reference = results.spec.get("reference") if isinstance(results.spec, dict) else None
    return reference if isinstance(reference, str) else "baseline"


def paired_effects(
    results: ResultFolder, reference: str, *, pool_points: bool = False
) -> pd.DataFrame:
    """The CLI's summary table (`summarize`, its sweep points pooled with `pool_points`), with
    each row's verdict: +1 clearly better, -1 clearly worse, 0 no clear change."""
    table = summarize(results, reference, pool_points=pool_points)
    table["verdict"] = [
        verdict(r.better, r.diff, r.diff_low, r.diff_high) for r in table.itertuples()
    ]
    return table


def verdict(direction: str, diff: float, low: float, high: float) -> int:
    """+1 clearly better, -1 clearly worse, 0 no clear change (the interval holds 0, or none)."""
    if not (math.isfinite(low) and math.isfinite(high)) or low <= 0 <= high:
        return 0
    if direction == "neutral":
        return 0
    return 1 if (diff > 0) == (direction == "higher") else -1


# ---- numbers as people read them (as cli.show words them) -----------------------------------


def _decimals(x: float, digits: int) -> int:
    if not math.isfinite(x) or x == 0:
        return 0
    return max(0, min(6, digits - 1 - math.floor(math.log10(abs(x)))))


def _num(x: float, decimals: int, sign: bool = False) -> str:
    if not math.isfinite(x):
        return "—"
    text = f"{x:{'+' if sign else ''},.{decimals}f}"
    if sign and float(text.replace(",", "")) == 0:
        text = f"{0:.{decimals}f}"
    return text.replace("-", "−")


def _unit_text(unit: str, lang: str) -> str:
    return "(0-1)" if unit == "0-1" else unit_label(unit, lang)


def level_text(
    mean: float, low: float, high: float, unit: str, lang: str = "en", extra: int = 0
) -> str:
    """'40% [38, 42]', '10.4 [10.1, 10.7] days': shares as percentages, three significant
    figures otherwise (whole numbers for counts and money; `extra` more), the interval, the
    unit; '—' when there is no value."""
    if not math.isfinite(mean):
        return "—"
    if unit == "share":
        mean, low, high = 100 * mean, 100 * low, 100 * high
        d = _decimals(mean, 2 + extra)
        interval = f" [{_num(low, d)}, {_num(high, d)}]" if math.isfinite(low) else ""
        return f"{_num(mean, d)}%{interval}"
    d = extra if unit in WHOLE_UNITS else _decimals(mean, 3 + extra)
    interval = f" [{_num(low, d)}, {_num(high, d)}]" if math.isfinite(low) else ""
    return f"{_num(mean, d)}{interval} {_unit_text(unit, lang)}"


def change_text(
    diff: float, low: float, high: float, unit: str, reference: float, lang: str = "en"
) -> str:
    """'−1.8 [−1.9, −1.7] trips (−60%)', '+29 [+25, +33] pp': two significant figures (no more
    than the interval supports), percentage points for shares, else the change in per cent."""
    scale = 100 if unit == "share" else 1
    diff, low, high = scale * diff, scale * low, scale * high
    half = (high - low) / 2 if math.isfinite(low) and math.isfinite(high) else math.nan
    d = _decimals(diff, 2) if diff else _decimals(half, 2)
    if math.isfinite(half) and half > 0:
        d = min(d, _decimals(half, 2))
    interval = f" [{_num(low, d, True)}, {_num(high, d, True)}]" if math.isfinite(half) else ""
    unit_text = t("effects_pp", lang) if unit == "share" else _unit_text(unit, lang)
    text = f"{_num(diff, d, True)}{interval} {unit_text}"
    if unit not in ("share", "0-1") and reference and math.isfinite(reference):
        relative = 100 * diff / scale / reference
        digits = 0 if abs(relative) >= 1 or not relative else 1
        text += (
            f" ({_num(relative, digits, True)}%)"
            if lang == "en"
            else (f"（{_num(relative, digits, True)}%）")
        )
    return text


def from_to(before: float, after: float, unit: str, lang: str = "en") -> str:
    """'40% → 69%', '10.4 → 9.88 days': the reference's level and the reform's, with more
    figures when the usual ones would print a change as no change (0.485 → 0.4847)."""
    for extra in range(4):  # arithmetic: up to three more significant figures
        first = level_text(before, math.nan, math.nan, unit, lang, extra)
        second = level_text(after, math.nan, math.nan, unit, lang, extra)
        if first != second or before == after:
            break
    unit_part = "" if unit == "share" else f" {_unit_text(unit, lang)}"
    return f"{first.removesuffix(unit_part)} → {second}"


# ---- the section as HTML --------------------------------------------------------------------


def _groups(table: pd.DataFrame, lang: str) -> list[tuple[tuple[Any, Any], str]]:
    """(point, city) and what names the group when the experiment has several (else '')."""
    from experiments.summary import sweep_columns

    sweep = sweep_columns(table)
    groups = table.drop_duplicates(["point", "city"])
    several_points = groups["point"].nunique() > 1
    several_cities = groups["city"].nunique() > 1
    out = []
    for r in groups.to_dict("records"):
        parts = []
        if several_points:
            parts.append(", ".join(f"{k}={r[k]:.4g}" for k in sweep) or f"#{r['point']}")
        if several_cities:
            parts.append(city_label(str(r["city"]), lang))
        out.append(((r["point"], r["city"]), "; ".join(parts)))
    return out


def _attrs(row: Any) -> str:
    """The row's numbers, exactly, for tests and for people who inspect the page."""
    return (
        f" data-preset='{html.escape(str(row.preset))}' data-outcome='{row.outcome}'"
        f" data-diff='{row.diff!r}' data-low='{row.diff_low!r}' data-high='{row.diff_high!r}'"
        f" data-verdict='{row.verdict}'"
    )


STYLE = (
    "<style>.govsim-effects{font-size:13px}.govsim-effects h4{margin:14px 0 4px;font-size:15px;"
    "font-weight:500}.govsim-effects table{border-collapse:collapse}.govsim-effects td{padding:"
    "2px 10px 2px 0;vertical-align:top}.govsim-effects .better{color:#1b7f3b;font-weight:500}"
    ".govsim-effects .worse{color:#b00020;font-weight:500}.govsim-effects .levels,"
    ".govsim-effects .unclear{color:#666}.govsim-effects td.num{text-align:right;"
    "white-space:nowrap}.govsim-effects summary{cursor:pointer;color:#444}</style>"
)


def effects_html(table: pd.DataFrame, reference: str, lang: str) -> str:
    """Per reform (and sweep point and city): its clear effects against the reference, better
    first, with the change, its interval and unit and the levels from → to; then the outcomes it
    does not clearly change; the reference's own levels folded away."""
    sep = "、" if lang == "zh" else ", "
    ref_name = preset_label(reference, lang)
    n = int(table["n"].max()) if len(table) else 0
    parts = [STYLE, "<div class='govsim-effects'>"]
    parts.append(f"<p class='levels'>{html.escape(t('effects_note', lang, n=n))}</p>")
    reforms = [p for p in dict.fromkeys(table["preset"]) if p != reference]
    for (point, city), group_name in _groups(table, lang):
        group = table[(table["point"] == point) & (table["city"] == city)]
        suffix = f" ({group_name})" if group_name else ""
        ref = group[group["preset"] == reference]
        ref_mean = dict(zip(ref["outcome"], ref["mean"], strict=True))
        for preset in reforms:
            rows = group[group["preset"] == preset]
            if rows.empty:
                continue
            better = int((rows["verdict"] > 0).sum())
            worse = int((rows["verdict"] < 0).sum())
            head = t(
                "effects_against",
                lang,
                reform=preset_label(str(preset), lang),
                reference=ref_name,
                better=better,
                worse=worse,
            )
            parts.append(
                f"<h4 class='govsim-effect-head' data-preset='{html.escape(str(preset))}'>"
                f"{html.escape(head + suffix)}</h4><table><tbody>"
            )
            clear = rows[rows["verdict"] != 0]
            clear = clear.sort_values("verdict", ascending=False, kind="stable")
            for r in clear.itertuples():
                word = t("effects_better" if r.verdict > 0 else "effects_worse", lang)
                arrow = "▲" if r.diff > 0 else "▼"
                before = ref_mean.get(r.outcome, math.nan)
                change = change_text(r.diff, r.diff_low, r.diff_high, r.unit, before, lang)
                parts.append(
                    f"<tr class='govsim-effect'{_attrs(r)}>"
                    f"<td class='{'better' if r.verdict > 0 else 'worse'}'>{word} {arrow}</td>"
                    f"<td>{html.escape(outcome_label(r.outcome, lang))}</td>"
                    f"<td class='num change'>{html.escape(change)}</td>"
                    f"<td class='num levels'>{html.escape(from_to(before, r.mean, r.unit, lang))}"
                    "</td></tr>"
                )
            parts.append("</tbody></table>")
            unclear = [outcome_label(o, lang) for o in rows.loc[rows["verdict"] == 0, "outcome"]]
            if unclear:
                parts.append(
                    f"<p class='unclear'>{html.escape(t('effects_unclear', lang))}"
                    f"{html.escape(sep.join(unclear))}</p>"
                )
        levels = "".join(
            f"<tr><td>{html.escape(outcome_label(r.outcome, lang))}</td>"
            f"<td class='num'>{html.escape(level_text(r.mean, r.ci_low, r.ci_high, r.unit, lang))}"
            "</td></tr>"
            for r in ref.itertuples()
        )
        title = t("effects_reference", lang, reference=ref_name) + suffix
        parts.append(
            f"<details><summary>{html.escape(title)}</summary><table><tbody>{levels}</tbody>"
            "</table></details>"
        )
    parts.append("</div>")
    return "".join(parts)
