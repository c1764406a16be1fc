"""The `govsim` command line: list presets and parameters, run and compare simulations."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from experiments.design import load_spec, param_info
from experiments.evaluators import Evaluator, make_evaluator
from experiments.report import write_report
from experiments.result_folder import is_result_folder
from experiments.run_folder import save_run
from experiments.runner import ExperimentReport, run_experiment
from experiments.sensitivity import (
    METHODS,
    problem,
    run_sensitivity,
    sensitivity_indices,
    write_indices,
)
from experiments.simulate import RunResult, run_simulation
from experiments.summary import summarize
from model.outcomes import DOING_BUSINESS_REFERENCES, OUTCOMES, format_value
from scenarios.loader import list_presets, load_preset
from world.errors import ParameterError
from world.parameters import ROLES, Parameters, RegionParameters

app = typer.Typer(
    help="govsim: agent-based simulation of government service reform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
# Tables are wide: when printing to a file or a pipe, do not squeeze them into 80 columns.
out_console = Console(width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True)


class UserError(Exception):
    """Bad input from the person at the keyboard: one line on stderr, exit status 2."""


def parse_assignments(items: list[str]) -> dict[str, str]:
    """['n_citizens=100', ...] -> {'n_citizens': '100'}; names are checked, values parsed later."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--set expects name=value, got {item!r}")
        name = name.strip()
        param_info(name)  # unknown names fail here, with the nearest suggested
        out[name] = value
    return out


def outcome_table(columns: list[tuple[str, dict]], title: str) -> Table:
    """One row per outcome, one column per (label, summary)."""
    table = Table(title=title)
    table.add_column("outcome")
    table.add_column("unit")
    for label, _ in columns:
        table.add_column(label, justify="right")
    table.add_column("better", justify="center")
    arrows = {"higher": "↑", "lower": "↓", "neutral": ""}
    for o in OUTCOMES:
        cells = [format_value(summary[o.name], o.unit) for _, summary in columns]
        table.add_row(o.name, o.unit, *cells, arrows[o.direction])
    return table


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


def city_table(result: RunResult) -> Table:
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


def _run_with_progress(preset: str, days: int | None, seed: int, overrides: dict) -> RunResult:
    loaded = load_preset(preset)
    if overrides:
        loaded = loaded.with_overrides(overrides)
    progress = Progress(
        TextColumn(f"[bold]{loaded.name}[/] seed {seed}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    with progress:
        task = progress.add_task("run", total=days or loaded.days)
        return run_simulation(
            loaded, days, seed, progress=lambda done, total: progress.update(task, completed=done)
        )


DaysOpt = Annotated[
    int | None, typer.Option("--days", min=1, help="Days to simulate (default: the preset's)")
]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Random seed (replicate)")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a parameter: name=value (repeatable)"),
]


@app.command()
def presets() -> None:
    """List the presets with their one-line descriptions."""
    table = Table(title="govsim presets")
    table.add_column("preset")
    table.add_column("description")
    table.add_column("说明")
    for p in list_presets():
        table.add_row(p.name, p.description, p.description_zh)
    out_console.print(table)


@app.command()
def parameters() -> None:
    """List every parameter: default, range, unit, role and meaning."""
    table = Table(title="govsim parameters (set with --set name=value)")
    for col in ("name", "applies to", "role", "default", "range", "unit", "description"):
        table.add_column(col)
    for scope, declared in (("each city", Parameters), ("the region", RegionParameters)):
        for p in declared.table():
            rng = f"{p.low} .. {p.high}"
            table.add_row(p.name, scope, p.role, str(p.default), rng, p.unit, p.description)
    out_console.print(table)
    roles = "; ".join(f"{role}: {meaning}" for role, meaning in ROLES.items())
    out_console.print(f"roles - {roles}", markup=False)


@app.command()
def run(
    preset: Annotated[str, typer.Argument(help="Preset name (govsim presets) or a TOML file")],
    days: DaysOpt = None,
    seed: SeedOpt = 0,
    set_: SetOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write timeseries.parquet, summary, manifest")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the outcomes as one JSON object on stdout")
    ] = False,
) -> None:
    """Run one simulation and print its outcomes."""
    overrides = parse_assignments(set_ or [])
    result = _run_with_progress(preset, days, seed, overrides)
    if out is not None:
        save_run(result, out)
    if as_json:
        sys.stdout.write(json.dumps(result.outcomes_json(), ensure_ascii=False) + "\n")
        return
    title = f"{result.preset.name}: {result.days} days, seed {seed}"
    cities = result.city_summaries()
    if len(cities) > 1:
        out_console.print(city_table(result))
        columns = [(c["name"], c) for c in cities] + [("all cities", result.summary)]
        out_console.print(outcome_table(columns, title))
    else:
        out_console.print(outcome_table([(result.preset.name, result.summary)], title))
    out_console.print(f"{result.preset.description}\nwall time {result.wall_seconds:.2f} s")
    if out is not None:
        out_console.print(f"results written to {out}/")


@app.command()
def compare(
    presets_: Annotated[list[str], typer.Argument(metavar="PRESET...", help="Presets to compare")],
    days: DaysOpt = None,
    seed: SeedOpt = 0,
    set_: SetOpt = None,
) -> None:
    """Run several presets with the same seed and print their outcomes side by side."""
    overrides = parse_assignments(set_ or [])
    results = [_run_with_progress(p, days, seed, overrides) for p in presets_]
    n_days = results[0].days
    columns = [(r.preset.name, r.summary) for r in results]
    out_console.print(outcome_table(columns, f"{n_days} days, seed {seed} (paired)"))
    out_console.print(
        "Doing Business 'starting a business', China (Shanghai): "
        + "; ".join(
            f"{r} {p} procedures / {d} days" for r, (p, d) in DOING_BUSINESS_REFERENCES.items()
        )
    )


@app.command()
def dashboard(
    host: Annotated[str, typer.Option("--host", help="Address to bind (loopback by default)")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port")] = 8765,
) -> None:
    """Start the interactive dashboard (Solara) at http://HOST:PORT/; works offline."""
    from viz.server import serve  # the dashboard's heavy imports only when asked for

    serve(host, port)


experiment_app = typer.Typer(
    help="Batch experiments: presets x sweeps x replicates, summaries, reports, sensitivity.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(experiment_app, name="experiment")

WorkersOpt = Annotated[
    int | None, typer.Option("--workers", min=1, help="Worker processes (default: the cores)")
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler", help="Dask scheduler tcp://HOST:PORT, or 'local' for a LocalCluster"
    ),
]
ReferenceOpt = Annotated[
    str | None,
    typer.Option(
        "--reference",
        help="Preset the paired differences are taken against (default: the experiment's)",
    ),
]


def _experiment_progress(label: str) -> tuple[Progress, Callable[[int, int, int], None]]:
    progress = Progress(
        TextColumn(f"[bold]{label}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs"),
        TextColumn("{task.fields[failed]} failed"),
        TimeRemainingColumn(),
        console=err_console,
    )
    task = progress.add_task("runs", total=None, failed=0)

    def update(done: int, total: int, failed: int) -> None:
        progress.update(task, completed=done, total=total, failed=failed)

    return progress, update


@experiment_app.command("run")
def experiment_run(
    spec: Annotated[Path, typer.Argument(help="Experiment file (TOML)")],
    out: Annotated[Path, typer.Option("--out", help="Result folder (created or resumed)")],
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Run an experiment; rerunning the same command resumes it."""
    design = load_spec(spec)
    evaluator = make_evaluator(workers, scheduler)
    progress, update = _experiment_progress(spec.stem)
    with progress:
        report = run_experiment(design, out, evaluator, update, source=str(spec))
    _report_runs(report, evaluator, out)


def _report_runs(report: ExperimentReport, evaluator: Evaluator, out: Path) -> None:
    err_console.print(
        f"{report.total} runs: {report.skipped} already done, {report.ran} run now"
        f" ({report.failed} failed) in {report.wall_seconds:.1f} s on {evaluator.name}"
        f" x{evaluator.workers}; results in {out}/",
        markup=False,
    )


@experiment_app.command("summarize")
def experiment_summarize(
    folder: Annotated[Path, typer.Argument(help="Result folder of `govsim experiment run`")],
    reference: ReferenceOpt = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON records on stdout")] = False,
) -> None:
    """Mean, sd and 95% CI per preset and outcome, and the paired difference to a reference."""
    reference = _reference(folder, reference)
    table = _summary(folder, reference)
    if as_csv:
        sys.stdout.write(table.to_csv(index=False))
        return
    if as_json:
        sys.stdout.write(table.to_json(orient="records", indent=1) + "\n")
        return
    out_console.print(summary_table(table, reference))


def _reference(folder: Path, given: str | None) -> str:
    """The reference preset: as given, or the one the experiment file names."""
    if given:
        return given
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        return manifest["spec"]["reference"]
    except (OSError, KeyError, ValueError):
        return "baseline"


def _summary(folder: Path, reference: str):
    if not is_result_folder(folder):
        raise UserError(f"{folder} is not a govsim experiment result folder")
    try:
        return summarize(folder, reference)
    except (ValueError, FileNotFoundError) as exc:
        raise UserError(str(exc)) from None


def summary_table(table, reference: str) -> Table:
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


@experiment_app.command("report")
def experiment_report(
    folder: Annotated[Path, typer.Argument(help="Result folder of `govsim experiment run`")],
    reference: ReferenceOpt = None,
) -> None:
    """Write report.html (charts with uncertainty bands, paired differences, the table)."""
    reference = _reference(folder, reference)
    _summary(folder, reference)
    path = write_report(folder, reference)
    out_console.print(f"report written to {path}")


@experiment_app.command("sensitivity")
def experiment_sensitivity(
    spec: Annotated[Path, typer.Argument(help="Experiment file with a [sensitivity] table")],
    method: Annotated[str, typer.Option("--method", help="morris or sobol")] = "morris",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Result folder (created or resumed; default results/sensitivity-STEM-METHOD)",
        ),
    ] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Global sensitivity analysis (SALib) as a resumable experiment; rerun to resume."""
    if method not in METHODS:
        raise UserError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    design = load_spec(spec)
    problem(design)  # a spec without a [sensitivity] table fails here, before any run
    folder = out or Path("results") / f"sensitivity-{spec.stem}-{method}"
    evaluator = make_evaluator(workers, scheduler)
    progress, update = _experiment_progress(f"{spec.stem} {method}")
    with progress:
        report = run_sensitivity(design, method, folder, evaluator, update, source=str(spec))
    _report_runs(report, evaluator, folder)
    try:
        indices = sensitivity_indices(design, method, folder)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    write_indices(indices, method, folder)
    table = Table(title=f"{method} sensitivity indices (± 95% confidence)")
    for col in indices.columns:
        table.add_column(col, justify="left" if col in ("outcome", "parameter") else "right")
    for row in indices.itertuples(index=False):
        table.add_row(*(v if isinstance(v, str) else f"{v:.4g}" for v in row))
    out_console.print(table)
    out_console.print(f"indices.csv and indices.png written to {folder}/")


def main(argv: list[str] | None = None) -> None:
    """Entry point: bad input becomes one line on stderr and exit status 2, never a traceback."""
    try:
        code = app(args=argv, standalone_mode=False, prog_name="govsim")
    except (UserError, ParameterError) as exc:
        _fail(str(exc))
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("govsim: interrupted", markup=False)
        raise SystemExit(130) from None
    except Exception as exc:
        # Typer's usage errors (bad option, missing argument, wrong type) carry format_message.
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            _fail(exc.format_message())
        raise
    if isinstance(code, int) and code:
        raise SystemExit(code)


def _fail(message: str) -> None:
    err_console.print(f"govsim: error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise SystemExit(2)


if __name__ == "__main__":
    main()
