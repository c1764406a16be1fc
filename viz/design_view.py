"""A policy-design folder (`govsim optimise SPEC --out DIR`) on the results page: the Pareto front
as a chart and a table, and per package a button that runs it in the dashboard against the
baseline.

The folder is read as the optimiser wrote it: the spec from `optimise.json`, the front from
`pareto.parquet` (in the order `experiments.optimise_report.write_results` numbered it), every
package tried from `trials.parquet`, and Pareto package k's preset from
`packages/package_kk.toml` (`experiments.optimise.write_packages`). The button loads that preset
file as the session's preset (`viz.panels.load_scenario`, as the preset picker does) and opens
the dashboard, which draws the same city without reforms beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import solara

from experiments.optimise import FINGERPRINT, DesignSpec, direction
from model.outcomes import OUTCOME_BY_NAME, format_value
from viz.calibration_view import report_title
from viz.i18n import outcome_label, preset_label, t, unit_label
from viz.specs import _layered, localised
from viz.vega_widget import Chart

FRONT = "pareto.parquet"
TRIALS = "trials.parquet"


def is_design(folder: Path) -> bool:
    return (folder / FINGERPRINT).is_file() and (folder / FRONT).exists()


def package_file(folder: Path, number: int) -> Path:
    """Pareto package `number`'s preset, as `write_packages` names it (numbered from 1)."""
    return folder / "packages" / f"package_{number:02d}.toml"


@dataclass(frozen=True)
class Design:
    folder: Path
    spec: DesignSpec
    front: pd.DataFrame
    trials: pd.DataFrame | None

    @property
    def description(self) -> str:
        return report_title(self.folder, "Policy design: ")

    @property
    def objectives(self) -> list[str]:
        return list(self.spec.objectives)

    def packages(self) -> list[Path | None]:
        """Each Pareto package's preset file (None when it is missing)."""
        out = []
        for k in range(1, len(self.front) + 1):
            path = package_file(self.folder, k)
            out.append(path if path.is_file() else None)
        return out


def read_design(folder: Path) -> Design:
    """A finished policy-design folder; anything missing or foreign is a ValueError."""
    made = json.loads((folder / FINGERPRINT).read_text(encoding="utf-8"))
    if not isinstance(made, dict) or not isinstance(made.get("spec"), dict):
        raise ValueError(f"{folder}: {FINGERPRINT} does not hold a design spec")
    spec = DesignSpec.model_validate({**made["spec"], "description": folder.name})
    front = pd.read_parquet(folder / FRONT)
    missing = [n for n in spec.objectives if n not in front.columns] if len(front) else []
    if missing:
        raise ValueError(f"{folder}: {FRONT} has no column {missing[0]}")
    trials = pd.read_parquet(folder / TRIALS) if (folder / TRIALS).exists() else None
    return Design(folder, spec, front, trials)


def _objective_head(design: Design, name: str, lang: str) -> str:
    unit = unit_label(OUTCOME_BY_NAME[name].unit, lang)
    better = t(f"design_{direction(design.spec, name)}", lang)
    if lang == "zh":
        return f"{outcome_label(name, lang)}（{unit}，{better}）"
    return f"{outcome_label(name, lang)} ({unit}, {better})"


def _value(row: Any, name: str) -> str:
    unit = OUTCOME_BY_NAME[name].unit
    low, high = format_value(row[f"{name}.low"], unit), format_value(row[f"{name}.high"], unit)
    return f"{format_value(row[name], unit)} [{low}, {high}]"


def front_spec(design: Design, lang: str) -> dict[str, Any]:
    """The first two objectives: every package tried within budget in grey, the Pareto packages
    numbered, with their 5-95% intervals (one objective: against the cost)."""
    names = design.objectives
    x_name, y_name = (names[0], names[1]) if len(names) > 1 else ("cost", names[0])

    def title(name: str) -> str:
        return t("design_cost", lang) if name == "cost" else _objective_head(design, name, lang)

    def interval(row: Any, name: str) -> tuple[float, float]:
        if name == "cost":
            return float(row["cost"]), float(row["cost"])
        return float(row[f"{name}.low"]), float(row[f"{name}.high"])

    front = [
        {
            "package": str(k),
            "x": float(row[x_name]),
            "y": float(row[y_name]),
            "x_low": interval(row, x_name)[0],
            "x_high": interval(row, x_name)[1],
            "y_low": interval(row, y_name)[0],
            "y_high": interval(row, y_name)[1],
            "reforms": str(row["package"]),
        }
        for k, (_, row) in enumerate(design.front.iterrows(), start=1)
    ]
    tried = []
    if design.trials is not None and len(design.trials):
        ok = design.trials[design.trials["feasible"] & design.trials["simulated"]]
        ok = ok.dropna(subset=[x_name, y_name])
        pairs = zip(ok[x_name], ok[y_name], strict=True)
        tried = [{"x": float(a), "y": float(b)} for a, b in pairs]
    x_title, y_title = title(x_name), title(y_name)
    x = {"field": "x", "type": "quantitative", "title": x_title, "scale": {"zero": False}}
    y = {"field": "y", "type": "quantitative", "title": y_title, "scale": {"zero": False}}
    red = "#c0392b"
    layers = [
        {
            "data": {"values": tried},
            "mark": {"type": "point", "filled": True, "color": "#bbbbbb", "size": 30},
            "encoding": {"x": x, "y": y},
        },
        {
            "data": {"values": front},
            "mark": {"type": "rule", "color": "#e6a39a"},
            "encoding": {"x": {**x, "field": "x_low"}, "x2": {"field": "x_high"}, "y": y},
        },
        {
            "data": {"values": front},
            "mark": {"type": "rule", "color": "#e6a39a"},
            "encoding": {"x": x, "y": {**y, "field": "y_low"}, "y2": {"field": "y_high"}},
        },
        {
            "data": {"values": front},
            "mark": {"type": "point", "filled": True, "color": red, "size": 60},
            "encoding": {
                "x": x,
                "y": y,
                "tooltip": [
                    {"field": "package", "type": "nominal", "title": t("design_package", lang)},
                    {"field": "reforms", "type": "nominal", "title": t("design_reforms", lang)},
                    {"field": "x", "type": "quantitative", "format": ".4~g", "title": x_title},
                    {"field": "y", "type": "quantitative", "format": ".4~g", "title": y_title},
                ],
            },
        },
        {
            "data": {"values": front},
            "mark": {"type": "text", "dx": 8, "dy": -8, "color": red, "fontSize": 12},
            "encoding": {"x": x, "y": y, "text": {"field": "package"}},
        },
    ]
    return localised(_layered(None, layers, t("design_chart", lang), None, 320), lang)


def reforms_text(row: Any, design: Design, lang: str) -> str:
    """The package's reforms and settings: 'transparency 1.00, parallel_approval 0.80 (day
    12), Counter hours (hours/day): 10', in the page's language."""
    from viz.i18n import parameter_label, policy_label
    from world.interventions import REGISTRY
    from world.parameters import param_info

    parts = []
    for key in design.spec.reform_levers:
        if not bool(row.get(key, False)):
            continue
        name = policy_label(REGISTRY[key], lang) if key in REGISTRY else key
        text = f"{name} {float(row[f'{key}.intensity']):.2f}"
        start = int(row.get(f"{key}.start", -1))
        lever = design.spec.levers[key]
        if lever.start is not None and lever.start[1] > lever.start[0] and start >= 0:
            text += f"（第 {start} 天）" if lang == "zh" else f" (day {start})"
        parts.append(text)
    for name in design.spec.parameter_levers:
        info = param_info(name)
        label = parameter_label(name, info.unit, lang)
        parts.append(f"{label}{'：' if lang == 'zh' else ': '}{float(row[name]):g}")
    return ("、" if lang == "zh" else ", ").join(parts) or "—"


GRID_CSS = (
    ".govsim-front{display:grid;align-items:center;column-gap:14px;row-gap:2px;font-size:13px}"
    ".govsim-front>.head{font-weight:500;border-bottom:1px solid #ccc;padding:4px 0}"
    ".govsim-front>.cell{border-bottom:1px solid #eee;padding:4px 0}"
    ".govsim-front>.num{text-align:right;white-space:nowrap}"
)


@solara.component
def DesignView(design: Design):
    """The Pareto front (chart and table), a button per package."""
    from viz import state
    from viz.panels import load_scenario

    lang = state.language.value
    router = solara.use_router()
    sep = "、" if lang == "zh" else ", "
    solara.Text(
        f"{t('design_title', lang)} — {design.description}",
        style={"font-size": "17px"},
        classes=["govsim-user-text"],
    )
    solara.Text(
        t(
            "design_about",
            lang,
            preset=preset_label(design.spec.preset, lang),
            packages=len(design.front),
            objectives=sep.join(_objective_head(design, n, lang) for n in design.objectives),
        ),
        style={"color": "#555"},
    )
    if design.front.empty:
        solara.Warning(t("design_none", lang))
        return
    with solara.Column(style={"max-width": "760px", "width": "100%"}):
        Chart(front_spec(design, lang), mark="front", name="pareto-front")

    def run(path: Path) -> None:
        # the preset is named by its file, as short as the server's working directory allows
        here = Path.cwd()
        load_scenario(str(path.relative_to(here) if path.is_relative_to(here) else path))
        router.push("/")

    heads = [t("design_package", lang), t("design_reforms", lang), t("design_cost", lang)]
    heads += [_objective_head(design, n, lang) for n in design.objectives] + [""]
    columns = "auto minmax(14em, 2fr) auto " + "auto " * len(design.objectives) + "auto"
    solara.Style(GRID_CSS)
    cells = [solara.Div(children=[h], classes=["head"]) for h in heads]
    for k, ((_, row), path) in enumerate(
        zip(design.front.iterrows(), design.packages(), strict=True), start=1
    ):
        cells += [
            solara.Div(children=[str(k)], classes=["cell", "num"]),
            solara.Div(children=[reforms_text(row, design, lang)], classes=["cell"]),
            solara.Div(children=[format_value(row["cost"], "CNY")], classes=["cell", "num"]),
            *(
                solara.Div(children=[_value(row, n)], classes=["cell", "num"])
                for n in design.objectives
            ),
        ]
        button = (
            solara.Button(
                t("design_run", lang),
                on_click=lambda path=path: run(path),
                color="primary",
                small=True,
                outlined=True,
                classes=[f"govsim-run-package-{k}"],
            )
            if path is not None
            else solara.Text("—")
        )
        cells.append(solara.Div(children=[button], classes=["cell"]))
    solara.Div(
        children=cells,
        classes=["govsim-front"],
        style={"grid-template-columns": columns},
    )
