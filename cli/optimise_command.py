"""`govsim optimise`: the body of the command (its options are declared in `cli.commands`)."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any


def optimise_command(
    spec_path: Path, out: Path, workers: int | None, scheduler: str | None, fresh: bool
) -> None:
    """Search (or resume), then write the front, the package presets and the report."""
    from experiments import optimise as opt
    from experiments.evaluators import make_evaluator
    from experiments.optimise_report import write_results

    spec = opt.load_spec(spec_path)
    with opt.design_folder(spec, out, fresh), make_evaluator(workers, scheduler) as ev:
        with trial_bar() as update:
            study = opt.optimise(spec, out, ev, update)
        front, hv = write_results(spec, out, study)
    if opt.EXHAUSTED in study.user_attrs:
        sys.stderr.write(
            f"the search stopped at {study.user_attrs[opt.EXHAUSTED]} of {spec.trials} packages:"
            f" the sampler asked only packages it had evaluated, {opt.REPEAT_LIMIT} times in a"
            " row (the space is exhausted, or the search has converged)\n"
        )
    print_front(spec, front, hv)
    for note in front.attrs["notes"]:
        sys.stderr.write(f"note: {note}\n")
    for column, what in (
        ("fund_short", "the city's reform fund held back some of their reforms"),
        ("rival_fund_short", "a rival's fund could not pay for a reform the state drew for it"),
    ):
        held = int((front[column].fillna(0) > 0).sum()) if column in front else 0
        if held:
            sys.stderr.write(f"note: in some runs of {held} Pareto package(s), {what}\n")
    sys.stderr.write(
        f"pareto.parquet, trials.parquet, states.csv, packages/ ({len(front)} presets) and"
        f" report.html written to {out}\n"
    )


class trial_bar:  # noqa: N801 (a context manager read as a phrase)
    """A bar over the trials with the runs done and the hypervolume of the current front."""

    def __enter__(self) -> Any:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        from cli.show import err_console

        self.progress = Progress(
            TextColumn("[bold]optimise[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("trials, {task.fields[runs]} runs, hypervolume {task.fields[hv]}"),
            TimeElapsedColumn(),
            console=err_console,
        )
        self.task = self.progress.add_task("trials", total=None, runs="0", hv="—")
        self.hv = "—"
        return self.update

    def update(self, p: Any) -> None:
        if not self.progress.live.is_started:
            self.progress.start()
        if not math.isnan(p.hypervolume):
            self.hv = f"{p.hypervolume:.4g}"
        runs = f"{p.simulated}" + (f" (+{p.reused} stored)" if p.reused else "")
        total = max(p.total, p.trials)  # a budget lowered below the trials already stored
        self.progress.update(self.task, completed=p.trials, total=total, runs=runs, hv=self.hv)

    def __exit__(self, *exc: object) -> None:
        if self.progress.live.is_started:
            self.progress.stop()


def print_front(spec: Any, front: Any, hv: float) -> None:
    from cli.show import out_console
    from experiments.optimise import measure_word

    measured = f"; hypervolume {hv:.4g}" if not math.isnan(hv) else ""
    out_console.print(f"{len(front)} Pareto package{'s' * (len(front) != 1)}{measured}")
    for k, (_, row) in enumerate(front.iterrows(), start=1):
        values = ", ".join(f"{n} {measure_word(spec, n)}{row[n]:.4g}" for n in spec.objectives)
        if spec.staff_cap is not None:
            values += f", staff peak {row['staff_peak']:.3g} per 10,000"
        out_console.print(f"  {k:2d}. {row['package']}  (cost {row['cost']:,.0f}; {values})")
