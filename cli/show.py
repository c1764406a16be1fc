"""How the command line shows things: rich tables of outcomes, cities and summaries, and
progress bars. Imported only by the commands that print them."""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from model.outcomes import OUTCOMES, format_value
from viz.effects import change_text, from_to, level_text, verdict  # one wording, two screens

# Tables are wide: when printing to a file or a pipe, do not squeeze them into 80 columns.
# A terminal's own width, or COLUMNS; else (a pipe, a log) lines of at most 120 columns.
out_console = Console(
    width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 120  # arithmetic
)
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


WIDTH = 100  # the summary's lines fit in this many columns
VERDICTS = {1: ("better", "green"), -1: ("worse", "red")}


def _pad(text: str, width: int) -> str:
    """`text` cut or padded to `width` terminal columns (CJK characters take two)."""
    while cell_len(text) > width:
        text = text[:-2] + "…"
    return text + " " * (width - cell_len(text))


def _group_names(table: Any) -> dict[tuple, str]:
    """(point, city) -> what distinguishes the group: the sweep values and the city, when the
    experiment has more than one of them ('' otherwise)."""
    from experiments.summary import sweep_columns

    sweep = sweep_columns(table)
    groups = table.drop_duplicates(["point", "city"])
    several_points = groups["point"].nunique() > 1
    several_cities = groups["city"].nunique() > 1
    names = {}
    for r in groups.to_dict("records"):
        parts = []
        if several_points:
            parts.append(", ".join(f"{k}={r[k]:.4g}" for k in sweep) or f"point {r['point']}")
        if several_cities:
            parts.append(f"city {r['city']}")
        names[(r["point"], r["city"])] = "; ".join(parts)
    return names


def _wrapped(head: str, text: str, indent: int = 4) -> list[str]:
    """`head` + `text` in lines of at most WIDTH columns, continued `indent` columns in."""
    lines, line = [], head
    for word in text.split(" "):
        if cell_len(line) + 1 + cell_len(word) > WIDTH and line.strip():
            lines.append(line.rstrip())
            line = " " * indent
        line += word + " "
    return [*lines, line.rstrip()]


def _headed(preset: str, group: str, rest: str) -> list[str]:
    """A group's heading (rich markup): the preset in bold, its sweep point or city, `rest`; the
    point on lines of its own when the heading would be wider than WIDTH."""
    plain = f"{preset}{group}{rest}"
    if cell_len(Text.from_markup(plain).plain) <= WIDTH:
        return [f"[bold]{escape(preset)}[/]{group}{rest}"]
    return [
        f"[bold]{escape(preset)}[/]{rest}",
        *(escape(x) for x in _wrapped("    at ", Text.from_markup(group).plain.strip(" ()"), 7)),
    ]


def headline_lines(table: Any, reference: str) -> list[str]:
    """What a policymaker asks of an experiment, in lines of at most WIDTH columns (rich
    markup): the reference's levels, then per reform its clear effects against the reference
    (better first), and the outcomes it does not clearly change."""
    from viz.i18n import outcome_label

    n = int(table["n"].max()) if len(table) else 0
    fewest = int(table["n"].min()) if len(table) else 0
    replicates = (
        f"{n} replicates"
        if fewest == n
        else f"{fewest}-{n} replicates (a value a run could not measure is left out)"
    )
    reforms = [p for p in dict.fromkeys(table["preset"]) if p != reference]
    lines = [
        *map(
            escape,
            _wrapped(
                "",
                f"{len(reforms)} reform(s) against {reference}: means over {replicates} with"
                " 95% intervals; changes paired by seed.",
                0,
            ),
        ),
        "[green]better[/] or [red]worse[/]: the change's interval excludes 0;"
        " ▲▼ its direction; pp: percentage points.",
    ]
    label_width = 28
    for (point, city), group_name in _group_names(table).items():
        group = table[(table["point"] == point) & (table["city"] == city)]
        suffix = escape(f" ({group_name})" if group_name else "")
        ref = group[group["preset"] == reference]
        ref_mean = dict(zip(ref["outcome"], ref["mean"], strict=True))
        lines += ["", *_headed(reference, suffix, ", the reference:")]
        for r in ref.itertuples():
            label = _pad(outcome_label(r.outcome, "en"), label_width + 9)
            level = level_text(r.mean, r.ci_low, r.ci_high, r.unit)
            lines.append(escape(f"  {label}  {level}"))
        for preset in reforms:
            rows = group[group["preset"] == preset]
            if rows.empty:
                continue
            scored = [
                (verdict(r.better, r.diff, r.diff_low, r.diff_high), r) for r in rows.itertuples()
            ]
            better = sum(v > 0 for v, _ in scored)
            worse = sum(v < 0 for v, _ in scored)
            tally = (
                f" against {escape(reference)}: [green]{better} better[/], [red]{worse} worse[/]"
            )
            lines += ["", *_headed(preset, suffix, tally)]
            for v, r in sorted((x for x in scored if x[0]), key=lambda x: -x[0]):
                word, colour = VERDICTS[v]
                arrow = "▲" if r.diff > 0 else "▼"
                before = ref_mean.get(r.outcome, math.nan)
                change = change_text(r.diff, r.diff_low, r.diff_high, r.unit, before)
                levels = from_to(before, r.mean, r.unit)
                label = _pad(outcome_label(r.outcome, "en"), label_width)
                head = f"  [{colour}]{word:<6} {arrow}[/] {escape(label)}  "
                if cell_len(f"  {word:<6} {arrow} {label}  {change:<35}  {levels}") <= WIDTH:
                    lines.append(head + escape(f"{change:<35}  {levels}"))
                else:
                    lines.append(head + escape(change))
                    lines.append(" " * (label_width + 13) + escape(levels))
            unclear = [outcome_label(r.outcome, "en") for v, r in scored if not v]
            if unclear:
                lines += [escape(x) for x in _wrapped("  no clear change: ", ", ".join(unclear))]
    return lines


def summary_table(table: Any, reference: str) -> Table:
    """The full summary (--full): every preset and outcome, its level and paired change; the
    sweep point and city only when the experiment has more than one."""
    names = _group_names(table)
    several = any(names.values())
    shown = Table(title=f"Summary (95% CI over replicates; differences paired against {reference})")
    columns = ["preset", *(["group"] if several else []), "outcome", "mean [95% CI]"]
    columns += ["change [95% CI]", "better if"]
    for col in columns:
        shown.add_column(col, justify="right" if "[" in col else "left")
    for r in table.itertuples():
        value = level_text(r.mean, r.ci_low, r.ci_high, r.unit)
        diff = (
            ""
            if r.preset == reference
            else change_text(r.diff, r.diff_low, r.diff_high, r.unit, math.nan)
        )
        group = [names[(r.point, r.city)]] if several else []
        shown.add_row(r.preset, *group, r.outcome, value, diff, ARROWS[r.better])
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


PLAIN_EVERY_SECONDS = 30.0  # without a terminal: a line at least this often while runs go on
PLAIN_EVERY_SHARE = 0.1  # ... and whenever another tenth of the runs is done


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}m {seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class PlainProgress:
    """Progress for a log, a pipe or CI (no terminal, so no bar): one plain line on stderr when
    another tenth of the runs is done and at least every `every` seconds while they go on (a
    background timer), with the time so far and an estimate of the time left."""

    def __init__(self, label: str, failures: bool, every: float = PLAIN_EVERY_SECONDS) -> None:
        self.label, self.failures, self.every = label, failures, every
        self.start = time.monotonic()
        self.state: tuple[int, int, int] | None = None
        self.first_done: int | None = None
        self.shown_tenth = -1
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.timer = threading.Thread(target=self._tick, daemon=True)

    def update(self, done: int, total: int, failed: int) -> None:
        with self.lock:
            first = self.state is None
            self.state = (done, total, failed)
            if first:
                self.first_done = done
                self.timer.start()
            tenth = int(done / total / PLAIN_EVERY_SHARE) if total else 0
            if tenth > self.shown_tenth:
                self.shown_tenth = tenth
                self._print()

    def _tick(self) -> None:
        while not self.stop.wait(self.every):
            with self.lock:
                self._print()

    def _print(self) -> None:
        assert self.state is not None
        done, total, failed = self.state
        elapsed = time.monotonic() - self.start
        share = f" ({done / total:.0%})" if total else ""
        parts = [f"{self.label}: {done} of {total} runs{share}"]
        if self.failures:
            parts.append(f"{failed} failed")
        parts.append(f"{_duration(elapsed)} so far")
        new = done - (self.first_done or 0)
        if new > 0 and done < total:
            parts.append(f"about {_duration(elapsed / new * (total - done))} left")
        sys.stderr.write(", ".join(parts) + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        self.stop.set()
        if self.timer.is_alive():
            self.timer.join()


@contextmanager
def run_progress(label: str, failures: bool = True) -> Iterator[Callable[[int, int, int], None]]:
    """A bar over the runs of an experiment, with the failures counted (unless `failures` is
    False: a run that fails stops the command); yields its update.

    It appears with the first report of progress (after the folder and design are checked), so
    a refusal is the only thing on the screen, and it is gone when the block ends. Without a
    terminal (a log, a pipe, CI) it prints plain lines instead (`PlainProgress`).
    """
    if not err_console.is_terminal:
        plain = PlainProgress(label, failures)
        try:
            yield plain.update
        finally:
            plain.close()
        return
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
