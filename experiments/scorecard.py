"""The scorecard: run every stylised fact's simulations and judge each fact pass or miss.

Facts (`scenarios.facts`) share runs: each distinct (preset, overrides, days, window, seed) is
run once. Replicate i uses seed i in every preset, so an effect is paired: per seed, the arm's
outcome against the reference's (arm / reference - 1, or arm - reference), then the mean over
seeds with a 95% t-interval. A fact passes when that mean lies within its target range.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.evaluators import WorkerLost, make_evaluator
from experiments.statistics import t_interval
from model.outcomes import OUTCOMES
from scenarios.facts import DEFAULT_FACTS, WINDOW, Fact

REPLICATES = 5
OUTCOME_UNITS = {o.name: o.unit for o in OUTCOMES}
QUICK_REPLICATES = 3
QUICK_SIZE = {"n_citizens": 10_000, "n_enterprises": 500}  # unless a fact sets the size itself
PASS, MISS = "pass", "miss"
# `--out` into a file holding these two lines replaces only what lies between them.
BEGIN_MARK = "<!-- scorecard:begin -->"
END_MARK = "<!-- scorecard:end -->"
COLUMNS = [
    "key",
    "statement",
    "kind",
    "preset",
    "reference",
    "outcome",
    "measure",
    "target",
    "target_low",
    "target_high",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "verdict",
    "command",
    "run_command",
    "reference_run_command",
    "source",
    "note",
]

Progress = Callable[[int, int], None]


@dataclass(frozen=True, order=True)
class RunKey:
    """One simulation the scorecard needs; facts that need the same one share it."""

    preset: str
    overrides: tuple[tuple[str, int | float], ...]  # sorted by name; the window included
    days: int
    seed: int

    def command(self) -> str:
        """The `govsim run` command that gives this run's outcomes."""
        parts = ["govsim", "run", self.preset, "--days", str(self.days), "--seed", str(self.seed)]
        for name, value in self.overrides:
            parts += ["--set", f"{name}={value}"]
        return shlex.join([*parts, "--json"])


def run_overrides(fact: Fact, quick: bool) -> dict[str, int | float]:
    """The parameters a fact's runs change: the quick size (unless the fact sets a size), the
    fact's own overrides, and its summary window."""
    sized = any(name in fact.overrides for name in QUICK_SIZE)
    base = QUICK_SIZE if quick and not sized else {}
    assert fact.window is not None, "facts come resolved from load_facts"
    return {**base, **fact.overrides, WINDOW: fact.window}


def fact_runs(fact: Fact, seed: int, quick: bool) -> tuple[RunKey, RunKey | None]:
    """The arm's run and (for an effect) the reference's run of one seed: same city, same days."""
    overrides = tuple(sorted(run_overrides(fact, quick).items()))
    assert fact.days is not None, "facts come resolved from load_facts"
    arm = RunKey(fact.preset, overrides, fact.days, seed)
    ref = None if fact.reference is None else RunKey(fact.reference, overrides, fact.days, seed)
    return arm, ref


def plan_runs(facts: Iterable[Fact], replicates: int, quick: bool) -> list[RunKey]:
    """Every distinct run the facts need, each once, in the order first needed."""
    runs: dict[RunKey, None] = {}
    for fact in facts:
        for seed in range(replicates):
            for key in fact_runs(fact, seed, quick):
                if key is not None:
                    runs.setdefault(key)
    return list(runs)


def summarise_run(key: RunKey) -> tuple[RunKey, dict[str, float]]:
    """Run one simulation and return its summary outcomes (in a worker process)."""
    from experiments.one_run import run_simulation

    result = run_simulation(key.preset, key.days, key.seed, dict(key.overrides))
    return key, dict(result.summary)


def summarise_runs(
    runs: list[RunKey], workers: int | None = 1, progress: Progress | None = None
) -> dict[RunKey, dict[str, float]]:
    """The summaries of `runs`: serially with one worker, else on local processes."""
    summaries: dict[RunKey, dict[str, float]] = {}
    if progress is not None:
        progress(0, len(runs))
    with make_evaluator(workers, None) as evaluator:
        for item in evaluator.map_unordered(summarise_run, runs):
            if isinstance(item, WorkerLost):
                raise RuntimeError(f"{item.item.command()}: {item.reason}")
            key, summary = item
            summaries[key] = summary
            if progress is not None:
                progress(len(summaries), len(runs))
    return summaries


def paired_effects(kind: str, arm: np.ndarray, ref: np.ndarray | None) -> np.ndarray:
    """Per-seed values of a fact: the arm's outcome (level), arm / ref - 1 (relative_change; NaN
    where the reference is 0) or arm - ref (difference)."""
    arm = np.asarray(arm, dtype=float)
    if kind == "level":
        return arm
    assert ref is not None, f"a {kind} needs the reference's values"
    ref = np.asarray(ref, dtype=float)
    if kind == "difference":
        return arm - ref
    if kind == "relative_change":
        out = np.full(arm.shape, math.nan)
        np.divide(arm, ref, out=out, where=ref != 0)
        return out - 1.0
    raise ValueError(f"unknown kind {kind!r}")


def feasible(fact: Fact, mean: float, low: float, high: float) -> tuple[float, float, float]:
    """The t-interval cut to what the fact's value can be: a relative change is at least -1, a
    share or a 0-1 level lies in [0, 1] (a symmetric interval can spill over near a bound)."""
    lo, hi = -math.inf, math.inf
    if fact.kind == "relative_change":
        lo = -1.0
    elif fact.kind == "level" and OUTCOME_UNITS.get(fact.outcome) in ("share", "0-1"):
        lo, hi = 0.0, 1.0
    return mean, max(low, lo), min(high, hi)


def judge(value: float, low: float | None, high: float | None) -> str:
    """'pass' if `value` is within [low, high] (a missing bound is no bound), else 'miss'."""
    if math.isnan(value):
        return MISS
    if low is not None and value < low:
        return MISS
    if high is not None and value > high:
        return MISS
    return PASS


def target_text(low: float | None, high: float | None) -> str:
    """'12 to 14', '≥ 0' or '≤ 0.1'."""
    if low is not None and high is not None:
        return f"{low:g} to {high:g}"
    return f"≥ {low:g}" if low is not None else f"≤ {high:g}"


def measure_text(fact: Fact) -> str:
    """What is measured, in a few words: outcome, preset and (for an effect) against what."""
    if fact.kind == "level":
        return f"{fact.outcome} of {fact.preset}"
    how = "relative change" if fact.kind == "relative_change" else "difference"
    return f"{fact.outcome}: {fact.preset} vs {fact.reference}, {how}"


def reproduce_command(
    key: str, replicates: int, quick: bool, facts_file: Path | None = None
) -> str:
    """The `govsim validate` command that recomputes one fact."""
    parts = ["govsim", "validate", "--only", key, "--replicates", str(replicates)]
    if quick:
        parts.append("--quick")
    if facts_file is not None and Path(facts_file).resolve() != DEFAULT_FACTS.resolve():
        parts += ["--facts", str(facts_file)]
    return shlex.join(parts)


def score(
    facts: list[Fact],
    summaries: dict[RunKey, dict[str, float]],
    replicates: int,
    quick: bool,
    facts_file: Path | None = None,
) -> pd.DataFrame:
    """One row per fact: its value (mean over seeds), 95% interval, verdict, the command that
    recomputes it, and the `govsim run` commands of its seed-0 runs (arm, reference)."""
    rows = []
    for fact in facts:
        arm, ref = [], []
        for seed in range(replicates):
            arm_key, ref_key = fact_runs(fact, seed, quick)
            arm.append(summaries[arm_key][fact.outcome])
            if ref_key is not None:
                ref.append(summaries[ref_key][fact.outcome])
        values = paired_effects(fact.kind, np.array(arm), np.array(ref) if ref else None)
        mean, low, high = feasible(fact, *t_interval(values))
        arm_first, ref_first = fact_runs(fact, 0, quick)
        rows.append(
            {
                "key": fact.key,
                "statement": fact.statement,
                "kind": fact.kind,
                "preset": fact.preset,
                "reference": fact.reference,
                "outcome": fact.outcome,
                "measure": measure_text(fact),
                "target": target_text(fact.low, fact.high),
                "target_low": fact.low,
                "target_high": fact.high,
                "value": mean,
                "ci_low": low,
                "ci_high": high,
                "n": int(np.count_nonzero(~np.isnan(values))),
                "verdict": judge(mean, fact.low, fact.high),
                "command": reproduce_command(fact.key, replicates, quick, facts_file),
                "run_command": arm_first.command(),
                "reference_run_command": None if ref_first is None else ref_first.command(),
                "source": fact.source,
                "note": fact.note,
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.attrs.update(replicates=replicates, quick=quick)
    return frame


def run_scorecard(
    facts: list[Fact],
    replicates: int | None = None,
    quick: bool = False,
    workers: int | None = 1,
    progress: Progress | None = None,
    facts_file: Path | None = None,
) -> pd.DataFrame:
    """Run the facts' simulations (each distinct run once) and score every fact.

    `replicates` defaults to 5, or 3 in `quick` mode (which also runs a smaller city: 10,000
    citizens and 500 enterprises, unless a fact sets the size). `workers` 1 runs serially,
    None uses every core. `progress(done, total)` is called as runs finish.
    """
    if replicates is None:
        replicates = QUICK_REPLICATES if quick else REPLICATES
    if replicates < 1:
        raise ValueError("replicates must be at least 1")
    runs = plan_runs(facts, replicates, quick)
    summaries = summarise_runs(runs, workers, progress)
    frame = score(facts, summaries, replicates, quick, facts_file)
    frame.attrs["runs"] = len(runs)
    return frame


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The scorecard as JSON-ready records (NaN and missing bounds -> None)."""

    def clean(v: Any) -> Any:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        return v.item() if isinstance(v, np.generic) else v

    return [{k: clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def format_number(value: float, signed: bool) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:+.3g}" if signed else f"{value:.3g}"


def value_text(row: Any) -> str:
    """'0.123 [0.1, 0.15]': the mean and its 95% interval (signed for an effect)."""
    signed = row["kind"] != "level"
    text = format_number(row["value"], signed)
    if not math.isnan(row["ci_low"]):
        low, high = format_number(row["ci_low"], signed), format_number(row["ci_high"], signed)
        text += f" [{low}, {high}]"
    return text


def settings_text(frame: pd.DataFrame) -> str:
    """How the scorecard was computed, in one sentence."""
    replicates = frame.attrs.get("replicates", "?")
    size = (
        "quick size (10,000 citizens and 500 enterprises unless a fact sets the size)"
        if frame.attrs.get("quick")
        else "each preset's own city size unless a fact sets one"
    )
    return (
        f"{replicates} seeds (0 to {int(replicates) - 1}) per run, {size}; values are means over"
        " seeds with 95% t-intervals, effects paired on the same seeds."
    )


def markdown(frame: pd.DataFrame) -> str:
    """The scorecard as a Markdown section: a summary line, the table, sources and commands."""
    passed = int((frame["verdict"] == PASS).sum())
    lines = [
        f"**{passed} of {len(frame)} facts pass.** {settings_text(frame)}",
        "",
        "| fact | statement | measure | target | value [95% CI] | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for _, row in frame.iterrows():
        cells = [
            f"`{row['key']}`",
            row["statement"],
            row["measure"],
            row["target"],
            value_text(row),
            f"**{row['verdict']}**" if row["verdict"] == MISS else row["verdict"],
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", "Sources, reasons for the ranges, and how to reproduce each fact:", ""]
    for _, row in frame.iterrows():
        by_hand = f"`{row['run_command']}`"
        if isinstance(row["reference_run_command"], str):  # a level has none (missing: NaN)
            by_hand += f" against `{row['reference_run_command']}`"
        lines.append(
            f"- `{row['key']}`: {row['source']}. *Range:* {row['note']}"
            f" *Reproduce:* `{row['command']}`; seed 0 by hand: {by_hand}."
        )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def write_markdown(path: Path, text: str) -> None:
    """Write the scorecard to `path`; a file with the scorecard markers keeps everything outside
    them (so `--out docs/validation.md` updates only its "Latest scorecard")."""
    path = Path(path)
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    if BEGIN_MARK in old and END_MARK in old.split(BEGIN_MARK, 1)[1]:
        head, rest = old.split(BEGIN_MARK, 1)
        tail = rest.split(END_MARK, 1)[1]
        text = f"{head}{BEGIN_MARK}\n\n{text}\n{END_MARK}{tail}"
    path.write_text(text, encoding="utf-8")
