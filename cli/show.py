"""How the command line shows things: rich tables of outcomes, cities and summaries, and
progress bars. Imported only by the commands that print them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from model.outcomes import OUTCOMES, format_value

# Tables are wide: when printing to a file or a pipe, do not squeeze them into 80 columns.
out_console = Console(width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True)

CITY_COLUMNS = (  # outcome, short header
    ("competitiveness_index", "index"),
    ("enterprises", "firms"),
    ("net_firm_inflow", "firms in/yr"),
    ("residents", "residents"),
    ("business_reputation", "image"),
    ("satisfaction_citizens", "sat. cit."),
    ("satisfaction_enterprises", "sat. firms"),
    ("days_per_case", "days"),
    ("trips_per_case", "trips"),
    ("informal_payment_rate", "informal"),
)
ARROWS = {"higher": "↑", "lower": "↓", "neutral": ""}


def outcome_table(columns: list[tuple[str, dict]], title: str) -> Table:
    """One row per outcome, one column per (label, summary)."""
    table = Table(title=title)
    table.add_column("outcome")
    table.add_column("unit")
    for label, _ in columns:
        table.add_column(label, justify="right")
    table.add_column("better", justify="center")
    for o in OUTCOMES:
        cells = [format_value(summary[o.name], o.unit) for _, summary in columns]
        table.add_row(o.name, o.unit, *cells, ARROWS[o.direction])
    return table


def city_table(result: Any) -> Table:
    """One row per city: the competition at a glance."""
    table = Table(
        title=f"{result.preset.name}: cities after {result.days} days, seed {result.seed}",
        caption="full names and units in the table below",
    )
    table.add_column("city", no_wrap=True)
    units = {o.name: o.unit for o in OUTCOMES}
    for _, header in CITY_COLUMNS:
        table.add_column(header, justify="right", no_wrap=True)
    for c in result.city_summaries():
        table.add_row(c["name"], *(format_value(c[name], units[name]) for name, _ in CITY_COLUMNS))
    return table


def summary_table(table: Any, reference: str) -> Table:
    """The summary for a person: value with CI, and difference with CI, per outcome."""
    shown = Table(title=f"Summary (95% CI over replicates; differences paired against {reference})")
    for col in ("preset", "point", "city", "outcome", "mean [95% CI]", "diff [95% CI]"):
        shown.add_column(col, justify="right" if "[" in col else "left")
    for r in table.itertuples():
        value = f"{r.mean:.4g} [{r.ci_low:.4g}, {r.ci_high:.4g}]"
        diff = (
            ""
            if r.preset == reference
            else f"{r.diff:+.4g} [{r.diff_low:+.4g}, {r.diff_high:+.4g}]"
        )
        shown.add_row(r.preset, str(r.point), r.city, r.outcome, value, diff)
    return shown


def scorecard_table(frame: Any) -> Table:
    """The scorecard of `govsim validate`: one row per fact, its value and verdict."""
    from experiments.scorecard import PASS, settings_text, value_text

    passed = int((frame["verdict"] == PASS).sum())
    table = Table(
        title=f"Scorecard: {passed} of {len(frame)} facts pass",
        caption=settings_text(frame) + " Statements and sources: --out FILE.md or --json.",
    )
    table.add_column("fact", no_wrap=True)
    table.add_column("measure")
    table.add_column("target", justify="right", no_wrap=True)
    table.add_column("value [95% CI]", justify="right")
    table.add_column("verdict", justify="center", no_wrap=True)
    for _, row in frame.iterrows():
        colour = "green" if row["verdict"] == PASS else "red"
        cells = (row["key"], row["measure"], row["target"], value_text(row))
        table.add_row(*(escape(c) for c in cells), f"[{colour}]{row['verdict']}[/]")
    return table


def indices_table(indices: Any, method: str) -> Table:
    table = Table(title=f"{method} sensitivity indices (± 95% confidence)")
    for col in indices.columns:
        table.add_column(col, justify="left" if col in ("outcome", "parameter") else "right")
    for row in indices.itertuples(index=False):
        table.add_row(*(v if isinstance(v, str) else f"{v:.4g}" for v in row))
    return table


def day_progress(label: str, total: int) -> tuple[Progress, Callable[[int, int], None]]:
    """A transient bar over the days of one run."""
    progress = Progress(
        TextColumn(f"[bold]{label}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    task = progress.add_task("run", total=total)
    return progress, lambda done, _total: progress.update(task, completed=done)


@contextmanager
def run_progress(label: str, failures: bool = True) -> Iterator[Callable[[int, int, int], None]]:
    """A bar over the runs of an experiment, with the failures counted (unless `failures` is
    False: a run that fails stops the command); yields its update.

    It appears with the first report of progress (after the folder and design are checked), so
    a refusal is the only thing on the screen, and it is gone when the block ends.
    """
    failed = [TextColumn("{task.fields[failed]} failed")] if failures else []
    progress = Progress(
        TextColumn(f"[bold]{label}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs"),
        *failed,
        TimeRemainingColumn(),
        console=err_console,
    )
    task = progress.add_task("runs", total=None, failed=0)

    def update(done: int, total: int, failed: int) -> None:
        if not progress.live.is_started:
            progress.start()
        progress.update(task, completed=done, total=total, failed=failed)

    try:
        yield update
    finally:
        if progress.live.is_started:
            progress.stop()
