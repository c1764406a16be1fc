"""The HTML report of a policy design (`govsim optimise`): the Pareto front (one scatter for two
objectives, every pair for more), the packages in parallel coordinates, and a table spelling out
each Pareto package with its objective values, their intervals and its preset file."""

from __future__ import annotations

import html
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.atomic import write_parquet, write_text
from experiments.optimise import (
    DesignSpec,
    Problem,
    front_notes,
    hypervolume,
    measure_word,
    pareto_frame,
    resolve,
    sense,
    trials_frame,
    write_packages,
)
from experiments.report import figure_png, plt
from model.outcomes import OUTCOME_BY_NAME, format_value

STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:right}th{background:#f3f3f3}td:first-child,th:first-child,td.l{text-align:left}
img{max-width:100%}"""


def _img(fig: plt.Figure) -> str:
    return f'<img src="data:image/png;base64,{figure_png(fig)}">'


def _bar(problem: Problem, order: pd.DataFrame, name: str) -> list | None:
    """The 5-95% bar of an objective; none for a regret or a share, whose values are not on
    the outcome's scale (the interval is the outcome's)."""
    if problem.spec.objectives[name].robustness in ("regret", "share"):
        return None
    return [order[name] - order[f"{name}.low"], order[f"{name}.high"] - order[name]]


def front_figure(problem: Problem, trials: pd.DataFrame, front: pd.DataFrame) -> plt.Figure:
    """Every pair of objectives: all feasible packages in grey, the Pareto packages numbered,
    with their 5-95% intervals over states and seeds."""
    names = list(problem.spec.objectives)
    pairs = list(itertools.combinations(names, 2)) or [(names[0], names[0])]
    cols = min(2, len(pairs))
    rows = math.ceil(len(pairs) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 4.6 * rows), squeeze=False)
    ok = trials[trials["feasible"] & trials["simulated"]]
    for ax, (x, y) in zip(axes.flat, pairs, strict=False):
        ax.scatter(ok[x], ok[y], s=14, color="#bbbbbb", label="feasible packages tried")
        order = front.sort_values(x)
        ax.errorbar(
            order[x],
            order[y],
            xerr=_bar(problem, order, x),
            yerr=_bar(problem, order, y),
            fmt="o-",
            color="#c0392b",
            ecolor="#e6a39a",
            ms=5,
            lw=1,
            label="Pareto front (5-95% over states and seeds)",
        )
        for k, (_, row) in enumerate(front.iterrows(), start=1):
            ax.annotate(str(k), (row[x], row[y]), textcoords="offset points", xytext=(4, 4))
        ax.set_xlabel(f"{x} ({sense(problem.spec, x)})")
        ax.set_ylabel(f"{y} ({sense(problem.spec, y)})")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(pairs) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def parallel_figure(problem: Problem, front: pd.DataFrame) -> plt.Figure:
    """Parallel coordinates of the Pareto packages: each objective scaled over the front so that
    up is better, then each reform's intensity (0: not chosen), each parameter lever's value
    within its range, and the cost's share of budget."""
    spec = problem.spec
    columns, values = [], []
    for name in spec.objectives:
        v = front[name].to_numpy(dtype=float)
        lo, hi = np.nanmin(v), np.nanmax(v)
        scaled = (v - lo) / (hi - lo) if hi > lo else np.full_like(v, 0.5)
        values.append(1 - scaled if sense(spec, name) == "min" else scaled)
        columns.append(f"{name}\n(up: better)")
    for key in spec.reform_levers:
        values.append(front[f"{key}.intensity"].to_numpy(dtype=float))
        columns.append(f"{key}\nintensity")
    for name, (lo, hi) in spec.parameter_levers.items():
        values.append((front[name].to_numpy(dtype=float) - lo) / (hi - lo))
        columns.append(f"{name}\n{lo:g} to {hi:g}")
    values.append(front["cost"].to_numpy(dtype=float) / problem.budget)
    columns.append("cost /\nbudget")
    data = np.array(values)
    fig, ax = plt.subplots(figsize=(max(7, 1.15 * len(columns)), 4.4))
    colours = plt.cm.viridis(np.linspace(0, 0.9, max(1, len(front))))
    for k in range(data.shape[1]):
        ax.plot(range(len(columns)), data[:, k], "o-", color=colours[k], lw=1.2, label=str(k + 1))
    ax.set_xticks(range(len(columns)), columns, fontsize=7, rotation=0)
    ax.set_ylim(-0.05, 1.05)
    ax.axvline(len(spec.objectives) - 0.5, color="#888", lw=0.8, ls="--")
    ax.grid(alpha=0.3)
    if len(front) <= 15:
        ax.legend(title="package", fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1, 1))
    fig.tight_layout()
    return fig


def package_table(problem: Problem, front: pd.DataFrame, files: list[Path]) -> str:
    spec = problem.spec
    head = ["#", "reforms (intensity, start day)", "cost (CNY)"]
    head += [
        f"{n}: {measure_word(spec, n)}[its 5-95%]" if measure_word(spec, n) else f"{n} [5-95%]"
        for n in spec.objectives
    ] + ["preset"]
    rows = []
    for k, ((_, row), path) in enumerate(zip(front.iterrows(), files, strict=True), start=1):
        cells = [str(k), html.escape(row["package"]), f"{row['cost']:,.0f}"]
        for n in spec.objectives:
            unit = OUTCOME_BY_NAME[n].unit
            word = measure_word(spec, n)
            value = f"{row[n]:.0%}" if word == "share " else format_value(row[n], unit)
            cells.append(
                f"{word}{value} [{format_value(row[n + '.low'], unit)},"
                f" {format_value(row[n + '.high'], unit)}]"
            )
        cells.append(html.escape(f"packages/{path.name}"))
        rows.append(
            "<tr>"
            + "".join(
                f'<td class="l">{c}</td>' if i in (1, len(cells) - 1) else f"<td>{c}</td>"
                for i, c in enumerate(cells)
            )
            + "</tr>"
        )
    header = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
    return f"<table>{header}{''.join(rows)}</table>"


def write_report(
    path: Path,
    problem: Problem,
    trials: pd.DataFrame,
    front: pd.DataFrame,
    files: list[Path],
    hypervolume: float,
) -> None:
    spec = problem.spec
    varied = [f"{n} {v}" for n, v in spec.states.parameters.items()]
    varied += [
        f"the day the rival cities start {k} [{first}, {last}]"
        for k, (first, last) in spec.states.rivals.items()
    ]
    states = (
        "the reference state"
        if not spec.states.sample
        else f"{spec.states.sample} states (Latin hypercube over {', '.join(varied)})"
    )
    city = f", city <b>{html.escape(spec.city)}</b> (the others its rivals)" if spec.city else ""
    objectives = ", ".join(
        f"{n} ({sense(spec, n)}imise, {describe_robustness(o)} over states)"
        for n, o in spec.objectives.items()
    )
    sampler = "NSGA-II" if spec.sampler == "nsga2" else "multi-objective TPE"
    staff_cap = (
        ""
        if spec.staff_cap is None
        else f"; counter staff at most {spec.staff_cap.per_10k_residents:g} per 10,000"
        " residents at any time in any run"
    )
    n_feasible = int((trials["feasible"] & trials["simulated"]).sum()) if len(trials) else 0
    parts = [
        "<!doctype html><meta charset='utf-8'>",
        f"<title>Policy design: {html.escape(spec.description)}</title><style>{STYLE}</style>",
        f"<h1>Policy design: {html.escape(spec.description)}</h1>",
        f"<p>Base preset <b>{html.escape(spec.preset)}</b>{city}, {problem.residents:,}"
        " residents,"
        f" {problem.days} days. Reform budget {problem.budget:,.0f} CNY over the horizon"
        f" (set-up plus running costs){staff_cap}. Objectives: {html.escape(objectives)}."
        " Each package"
        f" run in {html.escape(states)} on seeds {list(problem.seeds)} (the same seeds for every"
        " package: common random numbers).</p>",
        f"<p>{len(trials)} distinct packages tried by {sampler},"
        f" {int(trials['simulated'].sum()) if len(trials) else 0} within budget and simulated,"
        f" {n_feasible} of them feasible{' (within the staff cap)' if spec.staff_cap else ''};"
        f" {len(front)} on the Pareto front. Hypervolume of the front (against the fixed"
        f" reference point, objectives scaled alike): {hypervolume:.4g}.</p>",
    ]
    if spec.states.sample:
        parts += [
            "<details><summary>The states of the world (states.csv)</summary>",
            states_frame(problem).to_html(index=False, border=0, float_format="{:.4g}".format),
            "</details>",
        ]
    if len(front):
        parts += [
            "<h2>Pareto front</h2>",
            "<p>No package on the front can be improved on one objective without losing on"
            " another. Grey: every package tried that kept to the budget.</p>",
            _img(front_figure(problem, trials, front)),
            "<h2>Packages in parallel coordinates</h2>",
            "<p>Left of the dashed line: each objective scaled over the front, up is better."
            " Right: each reform's intensity (0: not chosen), each parameter lever's value within"
            " its range (0: its low end, 1: its high end) and the cost as a share of the"
            " budget.</p>",
            _img(parallel_figure(problem, front)),
            "<h2>The Pareto packages</h2>",
            package_table(problem, front, files),
            "<p>Each package is a preset: <code>govsim run DIR/packages/package_01.toml</code>"
            " (the reference state).</p>",
        ]
        short = front["fund_short"].fillna(0)
        if (short > 0).any():
            parts.append(
                f"<p><b>Note:</b> {(short > 0).sum()} Pareto package(s) had reforms deferred or"
                " suspended for want of money in some runs (fund_short in pareto.parquet).</p>"
            )
        if (trials["rival_fund_short"].fillna(0) > 0).any():
            parts.append(
                "<p><b>Note:</b> in some runs a rival city's fund could not pay for a reform the"
                " state had it start (rival_fund_short in trials.parquet): that state did not"
                " happen as drawn. Give the rivals money (their reform_reserve) for them.</p>"
            )
    else:
        parts.append("<p><b>The front is empty.</b></p>")
    parts += [f"<p><b>Note:</b> {html.escape(n)}.</p>" for n in front.attrs.get("notes", ())]
    write_text(path, "\n".join(parts) + "\n")


def write_results(spec: DesignSpec, out: Path, study: Any) -> tuple[pd.DataFrame, float]:
    """trials.parquet, pareto.parquet, one preset per Pareto package and report.html; returns
    the front (with `attrs["notes"]`: why it is empty or holds only the status quo, for the
    report and the command line alike) and its hypervolume."""
    problem = resolve(spec)
    trials = trials_frame(spec, study)
    front = pareto_frame(spec, trials)
    front.attrs["notes"] = front_notes(problem, trials, front)
    hv = hypervolume(spec, study, trials)
    write_parquet(out / "trials.parquet", trials)
    write_parquet(out / "pareto.parquet", front)
    write_text(out / "states.csv", states_frame(problem).to_csv(index=False))
    files = write_packages(problem, front, out / "packages")
    write_report(out / "report.html", problem, trials, front, files, hv)
    return front, hv


def states_frame(problem: Problem) -> pd.DataFrame:
    """The states of the world every package was run in: one row each, with the value of each
    varied parameter and the day each rival reform starts (rival.KEY); no columns but `state`
    for the reference state alone."""
    return pd.DataFrame([{"state": k, **state} for k, state in enumerate(problem.states)])


def describe_robustness(objective: Any) -> str:
    """The robustness measure in words for the report."""
    if objective.robustness == "regret":
        return "the largest regret against the best package per state"
    if objective.robustness == "share":
        return f"the share of states meeting {objective.threshold:g}"
    return objective.robustness
