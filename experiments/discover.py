"""Scenario discovery (`govsim discover EXPERIMENT_DIR --outcome X --threshold T`): under which
sampled conditions does an outcome cross a threshold?

PRIM, the Patient Rule Induction Method (Friedman and Fisher 1999), as scenario discovery uses it
(Bryant and Lempert 2010): the runs of an experiment whose parameters were swept (a Latin
hypercube of uncertainties, or a grid) are the points; the runs whose outcome is on the chosen
side of the threshold are the *cases of interest*. PRIM starts from the box holding every run and
peels: at each step it cuts off the `alpha` share of the runs at the low or the high end of one
parameter, whichever cut leaves the box with the highest share of cases (its *density*), until
the box holds fewer than `min_mass` of the runs. The sequence of boxes is the peeling
trajectory. From it the box with the highest density among those that still hold at least
`min_coverage` of all cases (their *coverage*) is chosen. Further boxes are found the same way
among the runs the earlier boxes left out (the covering approach), while a box is denser than the
runs it was found in.

This is a small, readable implementation (EMA Workbench's PRIM adds pasting, categorical
parameters and significance tests; none of them here). Only numeric swept parameters are used;
an experiment of several presets is analysed one preset at a time (`--preset`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from experiments.atomic import write_text
from world.errors import InputError


class DiscoverError(InputError):
    """An experiment that PRIM cannot analyse (no swept parameters, no cases, ...)."""


@dataclass
class Box:
    """A box: bounds on the restricted parameters, and what it holds."""

    limits: dict[str, tuple[float, float]]  # restricted parameters only
    coverage: float  # cases in the box / all cases
    density: float  # cases in the box / runs in the box
    mass: float  # runs in the box / all runs
    runs: int
    cases: int
    trajectory: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)


def peel(
    x: pd.DataFrame,
    y: np.ndarray,
    alpha: float = 0.05,
    min_mass: float = 0.05,
) -> list[tuple[dict[str, tuple[float, float]], np.ndarray]]:
    """The peeling trajectory: (bounds of every parameter, mask of the runs inside) per step,
    starting from the box of every run."""
    values = x.to_numpy(dtype=float)
    n = len(values)
    inside = np.ones(n, dtype=bool)
    bounds = {c: (float(values[:, j].min()), float(values[:, j].max())) for j, c in enumerate(x)}
    steps = [(dict(bounds), inside.copy())]
    while inside.sum() > 0:
        best = None
        for j, name in enumerate(x.columns):
            col = values[inside, j]
            lo, hi = np.quantile(col, alpha), np.quantile(col, 1 - alpha)
            # Cut the alpha share at one end (with ties at the end, the end's values).
            low = values[:, j] >= lo if lo > col.min() else values[:, j] > col.min()
            high = values[:, j] <= hi if hi < col.max() else values[:, j] < col.max()
            for side, keep in (("low", low), ("high", high)):
                new = inside & keep
                left = int(new.sum())
                if left == 0 or left == int(inside.sum()) or left < min_mass * n:
                    continue
                density = float(y[new].mean())
                if best is None or density > best[0]:
                    best = (density, j, name, side, new)
        if best is None:
            break
        _, j, name, side, new = best
        kept = values[new, j]
        lo, hi = bounds[name]
        bounds[name] = (float(kept.min()), hi) if side == "low" else (lo, float(kept.max()))
        inside = new
        steps.append((dict(bounds), inside.copy()))
    return steps


def simplify(
    x: pd.DataFrame,
    y: np.ndarray,
    bounds: dict[str, tuple[float, float]],
    full: dict[str, tuple[float, float]],
    tolerance: float,
) -> dict[str, tuple[float, float]]:
    """`bounds` without the restrictions that do not matter: one at a time, the restriction
    whose removal costs the least density is dropped while the box's density stays within
    `tolerance` of the peeled box's. Peeling restricts a parameter for a gain of a point or two
    of density; a box of six conditions of which two matter reads as six (Bryant and Lempert
    2010 prune such restrictions for the same reason)."""

    def density(b: dict[str, tuple[float, float]]) -> float:
        mask = np.ones(len(x), dtype=bool)
        for c, (lo, hi) in b.items():
            if (lo, hi) != full[c]:
                mask &= (x[c].to_numpy() >= lo) & (x[c].to_numpy() <= hi)
        return float(y[mask].mean()) if mask.any() else 0.0

    bounds = dict(bounds)
    floor = density(bounds) - tolerance
    while True:
        restricted = [c for c in bounds if bounds[c] != full[c]]
        if len(restricted) <= 1:
            return bounds
        trials = [(density({**bounds, c: full[c]}), c) for c in restricted]
        best, name = max(trials)
        if best < floor:
            return bounds
        bounds[name] = full[name]


def find_boxes(
    x: pd.DataFrame,
    y: np.ndarray,
    boxes: int = 2,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
    tolerance: float = 0.02,
) -> list[Box]:
    """Up to `boxes` PRIM boxes (covering: each among the runs the earlier ones left out), each
    simplified (`simplify`, within `tolerance` of its peeled density)."""
    y = np.asarray(y, dtype=bool)
    total_cases = int(y.sum())
    if total_cases == 0:
        return []
    full = {c: (float(x[c].min()), float(x[c].max())) for c in x}
    remaining = np.ones(len(x), dtype=bool)
    found: list[Box] = []
    for _ in range(boxes):
        xs, ys = x[remaining], y[remaining]
        if ys.sum() == 0:
            break
        steps = peel(xs, ys, alpha, min_mass * len(x) / max(1, len(xs)))
        rows = []
        for k, (bounds, mask) in enumerate(steps):
            cases = int(ys[mask].sum())
            rows.append(
                {
                    "step": k,
                    "coverage": cases / total_cases,
                    "density": cases / max(1, int(mask.sum())),
                    "mass": int(mask.sum()) / len(x),
                    "restricted": sum(bounds[c] != full[c] for c in x),
                }
            )
        trajectory = pd.DataFrame(rows)
        base = float(ys.mean())
        share = ys.sum() / total_cases  # coverage of the whole remaining set
        eligible = trajectory[trajectory["coverage"] >= min_coverage * share - 1e-12]
        pick = int(eligible.loc[eligible["density"].idxmax(), "step"])
        bounds, _ = steps[pick]
        if trajectory.iloc[pick]["density"] <= base + 1e-12:
            break  # no box denser than the runs it was sought in
        bounds = simplify(xs, ys, bounds, full, tolerance)
        limits = {c: bounds[c] for c in x if bounds[c] != full[c]}
        mask = np.ones(len(xs), dtype=bool)
        for c, (lo, hi) in limits.items():
            mask &= (xs[c].to_numpy() >= lo) & (xs[c].to_numpy() <= hi)
        idx = np.flatnonzero(remaining)[mask]
        cases = int(ys[mask].sum())
        found.append(
            Box(
                limits,
                cases / total_cases,
                cases / max(1, int(mask.sum())),
                int(mask.sum()) / len(x),
                int(mask.sum()),
                cases,
                trajectory.assign(box=len(found) + 1, chosen=trajectory["step"] == pick),
            )
        )
        remaining[idx] = False
    return found


def _number(v: float) -> str:
    return f"{v:.3g}"


PERCENT_UNITS = ("share", "probability")  # parameters read as percentages in a sentence


@dataclass(frozen=True)
class Labels:
    """What the sentences call things, in English and Chinese: the parameters, the outcome and
    the preset (by default their own names; `govsim discover` gives the dashboard's labels)."""

    names: dict[str, tuple[str, str]] = field(default_factory=dict)

    def of(self, name: str, zh: bool) -> str:
        pair = self.names.get(name)
        return pair[1 if zh else 0] if pair else name


def _value(name: str, v: float) -> str:
    """A bound as a person reads it: shares and probabilities as percentages."""
    from world.parameters import Parameters

    unit = Parameters.info(name).unit if name in Parameters.model_fields else ""
    return f"{100 * v:.3g}%" if unit in PERCENT_UNITS else _number(v)


def _condition(
    name: str, lo: float, hi: float, full: tuple[float, float], zh: bool, labels: Labels
) -> str:
    label = labels.of(name, zh)
    low, high = _value(name, lo), _value(name, hi)
    if lo > full[0] and hi < full[1]:
        return f"{label}在 {low} 到 {high} 之间" if zh else f"{label} is between {low} and {high}"
    if hi < full[1]:
        return f"{label}不高于 {high}" if zh else f"{label} is at most {high}"
    return f"{label}不低于 {low}" if zh else f"{label} is at least {low}"


def sentences(
    box: Box,
    what: str,
    outcome: str,
    cases: str,
    threshold: float,
    full: dict[str, tuple[float, float]],
    labels: Labels | None = None,
) -> tuple[str, str]:
    """The box in English and in Chinese."""
    labels = labels or Labels()
    en_when = " and ".join(
        _condition(n, lo, hi, full[n], False, labels) for n, (lo, hi) in box.limits.items()
    )
    zh_when = "，且".join(
        _condition(n, lo, hi, full[n], True, labels) for n, (lo, hi) in box.limits.items()
    )
    what_en, what_zh = labels.of(what, False), labels.of(what, True)
    outcome_en, outcome_zh = labels.of(outcome, False), labels.of(outcome, True)
    side_en = "above" if cases == "above" else "below"
    side_zh = "高于" if cases == "above" else "低于"
    en = (
        f"With {what_en}, {outcome_en} ends {side_en} {_number(threshold)} in {box.density:.0%}"
        f" of the runs where {en_when or 'anything holds'} ({box.runs} runs, {box.mass:.0%} of"
        f" all); these hold {box.coverage:.0%} of all runs where it does (coverage)."
    )
    zh = (
        f"在“{what_zh}”下，当{zh_when or '任何条件'}时，{box.density:.0%}的运行中"
        f"{outcome_zh}{side_zh} {_number(threshold)}"
        f"（{box.runs} 次运行，占全部的 {box.mass:.0%}）；"
        f"这些运行占所有此类运行的 {box.coverage:.0%}（覆盖率）。"
    )
    return en, zh


@dataclass
class Discovery:
    boxes: list[Box]
    english: list[str]
    chinese: list[str]
    runs: int
    cases: int
    folder: Path
    written: list[str] = field(default_factory=list)  # the files of this analysis in `folder`
    without_value: int = 0  # runs of the preset whose outcome has no value (left out)


OUTPUTS = ("boxes.csv", "boxes.txt", "trajectory.csv", "trajectory.png")


def load_points(
    folder: Path, outcome: str, preset: str | None
) -> tuple[pd.DataFrame, np.ndarray, str]:
    """The swept parameters (numeric, varying) and the outcome of each successful run of the
    preset (NaN where a run has no value of it)."""
    from experiments.design import ExperimentSpec, expand
    from experiments.result_folder import ResultFolder
    from model.outcomes import OUTCOME_BY_NAME

    results = ResultFolder(folder)
    outcomes = results.outcomes
    if outcome not in OUTCOME_BY_NAME or outcome not in outcomes:
        kept = [c for c in outcomes.columns if c in OUTCOME_BY_NAME]
        what = "a swept parameter, not an outcome" if outcome in outcomes else "not an outcome"
        raise DiscoverError(f"{outcome}: {what} of this experiment (it kept {', '.join(kept)})")
    presets = sorted(outcomes["preset"].unique())
    if preset is None:
        if len(presets) > 1:
            raise DiscoverError(
                f"the experiment has several presets ({', '.join(presets)}): name one with --preset"
            )
        preset = presets[0]
    elif preset not in presets:
        raise DiscoverError(f"--preset {preset}: not in this experiment ({', '.join(presets)})")
    sweep = {r.run_id: dict(r.sweep) for r in expand(ExperimentSpec(**results.spec), 10**7)}
    rows = outcomes[outcomes["preset"] == preset]
    rows = rows.groupby("run_id", sort=True)[outcome].mean()  # one value per run (cities: mean)
    x = pd.DataFrame([sweep[r] for r in rows.index], index=rows.index)
    x = x.select_dtypes(include="number")
    x = x.loc[:, x.nunique() > 1]
    if x.empty:
        raise DiscoverError(
            f"{folder}: no numeric parameter varies between its runs: sweep the uncertainties"
            " (a [sweep.latin_hypercube] table) to discover scenarios"
        )
    return x.astype(float), rows.to_numpy(), preset


def discover(
    folder: str | Path,
    outcome: str,
    threshold: float,
    cases: Literal["above", "below"] = "above",
    preset: str | None = None,
    boxes: int = 2,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
    out: str | Path | None = None,
    labels: Labels | None = None,
    tolerance: float = 0.02,
) -> Discovery:
    """PRIM over an experiment's runs; writes boxes.csv, boxes.txt and, when a box is found,
    trajectory.csv and trajectory.png in `out` (default
    FOLDER/discover-OUTCOME-PRESET-CASES-THRESHOLD, one folder per question), after removing
    an earlier analysis's files there. Runs without a value of the outcome are left out."""
    if not math.isfinite(threshold):
        raise DiscoverError(f"--threshold {threshold}: give a finite number")
    folder = Path(folder)
    x, values, preset = load_points(folder, outcome, preset)
    has_value = ~np.isnan(values)
    without_value = int((~has_value).sum())
    x, values = x[has_value], values[has_value]
    if not len(values):
        raise DiscoverError(f"{outcome}: no run of preset {preset} has a value of it")
    y = values > threshold if cases == "above" else values < threshold
    found = find_boxes(x, y, boxes, alpha, min_mass, min_coverage, tolerance)
    full = {c: (float(x[c].min()), float(x[c].max())) for c in x}
    english, chinese = [], []
    for box in found:
        en, zh = sentences(box, preset, outcome, cases, threshold, full, labels)
        english.append(en)
        chinese.append(zh)
    if out is None:
        out = folder / f"discover-{outcome}-{preset}-{cases}-{threshold:g}"
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:  # one analysis per folder: none of an earlier one's files stay
        (out / name).unlink(missing_ok=True)
    rows = []
    for k, box in enumerate(found, start=1):
        for name, (lo, hi) in box.limits.items():
            rows.append(
                {
                    "box": k,
                    "parameter": name,
                    "low": lo,
                    "high": hi,
                    "coverage": box.coverage,
                    "density": box.density,
                    "mass": box.mass,
                    "runs": box.runs,
                    "cases": box.cases,
                }
            )
    cols = ["box", "parameter", "low", "high", "coverage", "density", "mass", "runs", "cases"]
    write_text(out / "boxes.csv", pd.DataFrame(rows, columns=cols).to_csv(index=False))
    trajectories = [b.trajectory for b in found]
    if trajectories:
        write_text(out / "trajectory.csv", pd.concat(trajectories).to_csv(index=False))
    header = (
        f"PRIM on {folder} (preset {preset}): {outcome} {cases} {_number(threshold)} in"
        f" {int(y.sum())} of {len(y)} runs; parameters {', '.join(x.columns)}"
    )
    if without_value:
        header += f"; {without_value} run(s) without a value of {outcome} left out"
    text = [header, ""] + [
        f"box {k}: {e}\n       {z}"
        for k, (e, z) in enumerate(zip(english, chinese, strict=True), 1)
    ]
    if not found:
        text.append(
            "no box: " + ("no run is a case" if not y.any() else "no box is denser than all runs")
        )
    write_text(out / "boxes.txt", "\n".join(text) + "\n")
    if trajectories:
        plot_trajectory(trajectories, out / "trajectory.png")
    written = [name for name in OUTPUTS if (out / name).exists()]
    return Discovery(found, english, chinese, len(y), int(y.sum()), out, written, without_value)


def plot_trajectory(trajectories: list[pd.DataFrame], path: Path) -> None:
    """Coverage against density along each peeling trajectory, the chosen box ringed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    for t in trajectories:
        k = int(t["box"].iloc[0])
        points = ax.scatter(t["coverage"], t["density"], c=t["restricted"], cmap="viridis", s=18)
        chosen = t[t["chosen"]]
        ax.scatter(
            chosen["coverage"], chosen["density"], s=120, facecolors="none", edgecolors="red"
        )
        ax.annotate(f"box {k}", (chosen["coverage"].iloc[0], chosen["density"].iloc[0]))
    fig.colorbar(points, ax=ax, label="parameters restricted")
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_title("PRIM peeling trajectory")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
