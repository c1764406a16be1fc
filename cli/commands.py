"""The `govsim` commands: list presets and parameters, run and compare simulations, check the
model against stylised facts, run and read batch experiments, start the dashboard (the entry
point is `cli.main`).

Every command checks its input first and imports the model, pandas, scipy, matplotlib or SALib
only after that, inside the command: a mistake or `--help` is answered at once.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from world.calendar import MAX_DAYS

LOOPBACK = ("127.0.0.1", "localhost", "::1")
_SCHEDULER = re.compile(r"^((tcp|tls|ws|wss)://)?[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")

app = typer.Typer(
    help="govsim: agent-based simulation of government service reform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class UserError(Exception):
    """Bad input from the person at the keyboard: one line on stderr, exit status 2."""


def parse_assignments(items: list[str]) -> dict[str, str]:
    """['n_citizens=100', ...] -> {'n_citizens': '100'}; names are checked, values parsed later."""
    if not items:
        return {}
    from world.parameters import param_info

    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--set expects name=value, got {item!r}")
        name = name.strip()
        param_info(name)  # unknown names fail here, with the nearest suggested
        out[name] = value
    return out


def check_preset(preset: str) -> None:
    """An unknown preset name, or a preset file that is not there, fails before anything loads."""
    from scenarios.paths import preset_path

    if not preset.strip():
        raise UserError("name a preset (govsim presets lists them) or a TOML file")
    path = preset_path(preset)
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not a preset file")
    if not path.is_file():
        raise UserError(f"{path}: no such preset file")


def check_run_out(out: Path) -> None:
    """`govsim run --out`: a folder this process can create, and not an experiment's."""
    check_out_given(out)
    from experiments.result_folder import check_folder_kind

    try:  # a file, or another command's folder
        check_folder_kind(out, "run")
    except ValueError as exc:
        raise UserError(f"--out {exc}") from None
    if (out / "manifest.json").is_file() and _is_experiment(out):  # its runs not written yet
        raise UserError(
            f"--out {out}: holds an experiment's results (govsim experiment run); use another"
            " folder"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot create the folder ({exc.strerror})") from None
    probe = out / ".govsim-write-test"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write there ({exc.strerror})") from None


def check_out_given(out: Path) -> None:
    """`--out ""` would mean the working folder itself: refused, a folder must be named."""
    if not str(out).strip() or str(out) == ".":
        raise UserError("--out: name a folder for the results (not the current folder)")


def _is_experiment(out: Path) -> bool:
    try:
        return json.loads((out / "manifest.json").read_text()).get("kind") == "govsim experiment"
    except (OSError, ValueError, AttributeError):
        return False


def check_scheduler(scheduler: str | None) -> None:
    if scheduler is not None and scheduler != "local" and not _SCHEDULER.match(scheduler):
        raise UserError(
            f"--scheduler {scheduler!r}: give a Dask scheduler address tcp://HOST:PORT, or 'local'"
        )


def _run_with_progress(preset: str, days: int | None, seed: int, overrides: dict) -> Any:
    from cli.show import day_progress
    from experiments.one_run import run_simulation
    from scenarios.loader import load_preset

    loaded = load_preset(preset)
    if overrides:
        loaded = loaded.with_overrides(overrides)
    progress, update = day_progress(f"{loaded.name} seed {seed}", days or loaded.days)
    with progress:
        return run_simulation(loaded, days, seed, progress=update)


DaysOpt = Annotated[
    int | None,
    typer.Option("--days", min=1, max=MAX_DAYS, help="Days to simulate (default: the preset's)"),
]
SeedOpt = Annotated[
    int, typer.Option("--seed", min=0, max=2**63 - 1, help="Random seed (replicate)")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a parameter: name=value (repeatable)"),
]
MAX_WORKERS = 256  # local processes; more would only fork processes that wait for a core
WorkersOpt = Annotated[
    int | None,
    typer.Option("--workers", min=1, max=MAX_WORKERS, help="Worker processes (default: the cores)"),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler", help="Dask scheduler tcp://HOST:PORT, or 'local' for a LocalCluster"
    ),
]
FreshOpt = Annotated[
    bool,
    typer.Option("--fresh", help="Delete the folder's earlier results first and start over"),
]


@app.command()
def presets() -> None:
    """List the presets with their one-line descriptions."""
    from rich.table import Table

    from cli.show import out_console
    from scenarios.loader import list_presets

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
    from rich.table import Table

    from cli.show import out_console
    from world.parameters import ROLES, Parameters, RegionParameters

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
    check_preset(preset)
    if out is not None:
        check_run_out(out)
    overrides = parse_assignments(set_ or [])
    result = _run_with_progress(preset, days, seed, overrides)
    if out is not None:
        from experiments.run_folder import save_run

        save_run(result, out)
    if as_json:
        sys.stdout.write(json.dumps(result.outcomes_json(), ensure_ascii=False) + "\n")
        return
    from cli.show import city_table, out_console, outcome_table

    title = f"{result.preset.name}: {result.days} days, seed {seed}"
    cities = result.city_summaries()
    if len(cities) > 1:
        out_console.print(city_table(result))
        columns = [(c["name"], c) for c in cities] + [("all cities", result.summary)]
        out_console.print(outcome_table(columns, title))
    else:
        out_console.print(outcome_table([(result.preset.name, result.summary)], title))
    out_console.print(f"{result.preset.description}\nwall time {result.wall_seconds:.2f} s")
    for line in result.fund_shortfalls():
        out_console.print(f"[bold yellow]reform fund:[/] {line}")
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
    twice = sorted({p for p in presets_ if presets_.count(p) > 1})
    if twice:
        raise UserError(f"{', '.join(twice)}: named twice; name each preset once")
    for preset in presets_:
        check_preset(preset)
    overrides = parse_assignments(set_ or [])
    results = [_run_with_progress(p, days, seed, overrides) for p in presets_]
    from cli.show import out_console, outcome_table
    from model.outcomes import DOING_BUSINESS_REFERENCES

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
    results_root: Annotated[
        Path,
        typer.Option(
            "--results-root",
            help="The only folder whose experiments the results page may open (default: results/)",
        ),
    ] = Path("results"),
) -> None:
    """Start the interactive dashboard (Solara) at http://HOST:PORT/; works offline."""
    warning = network_warning(host, results_root)
    if warning:
        sys.stderr.write(warning + "\n")
    from viz.server import serve  # the dashboard's heavy imports only when asked for

    serve(host, port, results_root)


def network_warning(host: str, results_root: Path) -> str | None:
    """What to tell whoever binds the dashboard to an address other machines can reach."""
    if host in LOOPBACK:
        return None
    return (
        f"govsim: warning: --host {host} makes the dashboard reachable from the network: anyone"
        f" who can reach this machine can use it and read the results under"
        f" {results_root.resolve()}"
    )


@app.command()
def validate(
    facts: Annotated[
        Path | None,
        typer.Option("--facts", help="Facts file (default: scenarios/facts.toml)"),
    ] = None,
    replicates: Annotated[
        int | None,
        typer.Option("--replicates", min=1, max=1000, help="Seeds per run (default 5; quick 3)"),
    ] = None,
    workers: WorkersOpt = None,
    quick: Annotated[
        bool,
        typer.Option("--quick", help="A smaller city (10,000 citizens, 500 firms) and 3 seeds"),
    ] = False,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Check only this fact (repeatable, or KEY,KEY)"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the scorecard as JSON records on stdout")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the scorecard as Markdown (e.g. docs/validation.md)"),
    ] = None,
) -> None:
    """Check the model against stylised facts: a scorecard of pass / miss (docs/validation.md)."""
    if out is not None:
        check_markdown_out(out)
    from scenarios.facts import DEFAULT_FACTS, load_facts

    chosen = load_facts(facts or DEFAULT_FACTS)  # a bad file fails here, before any run
    chosen = select_facts(chosen, only or [])
    from cli.show import out_console, run_progress, scorecard_table
    from experiments.scorecard import markdown, records, run_scorecard, write_markdown

    with run_progress("validate", failures=False) as update:
        frame = run_scorecard(
            chosen,
            replicates,
            quick,
            workers,
            lambda done, total: update(done, total, 0),
            facts or DEFAULT_FACTS,
        )
    if out is not None:
        write_markdown(out, markdown(frame))
    if as_json:
        sys.stdout.write(json.dumps(records(frame), ensure_ascii=False, indent=1) + "\n")
    else:
        out_console.print(scorecard_table(frame))
    if out is not None:
        sys.stderr.write(f"scorecard written to {out}\n")


@app.command()
def calibrate(
    spec: Annotated[
        Path,
        typer.Argument(help="Calibration spec (TOML), e.g. experiments/calibrate_shanghai.toml"),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for trials, the calibrated set and the check")
    ],
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    fresh: FreshOpt = False,
    trials: Annotated[
        int | None,
        typer.Option("--trials", min=1, max=100_000, help="Trials (default: the spec's)"),
    ] = None,
    report_only: Annotated[
        bool,
        typer.Option(
            "--report-only",
            help="Run nothing: print the stored check and rewrite report.html from DIR's files",
        ),
    ] = False,
) -> None:
    """Fit the spec's free parameters to its targets on a historical timeline (Optuna point fit,
    or ABC-SMC posterior; both resume after a kill), test on the held-out targets and write
    report.html."""
    from experiments import calibration as cal
    from experiments.atomic import write_parquet
    from experiments.calibration_report import write_report
    from experiments.evaluators import make_evaluator

    chosen = cal.load_spec(spec)
    if trials is not None:
        if chosen.method == "abc":
            raise UserError(
                "--trials: for method 'optuna'; this spec's method is 'abc' (its budget:"
                " population, generations, max_simulations)"
            )
        chosen = chosen.model_copy(update={"trials": trials})
    check_preset(chosen.preset)
    from cli.show import out_console, run_progress

    def bar(label: str) -> Any:
        return run_progress(label, failures=False)

    if report_only:
        check, path, posterior, frame = cal.stored_results(chosen, out)
        write_report(out / "report.html", chosen, check, path, posterior=posterior, trials=frame)
        print_calibration_check(chosen, check, path)
        sys.stderr.write(f"report.html rewritten in {out} from its stored results\n")
        return
    with cal.calibration_folder(chosen, out, fresh), make_evaluator(workers, scheduler) as ev:
        posterior = frame = None
        if chosen.method == "abc":
            with bar("ABC-SMC simulations (of the budget)") as update:
                posterior = cal.abc_calibrate(
                    chosen, out, ev, lambda done, total, _: update(min(done, total), total, 0)
                )
            write_parquet(out / "posterior.parquet", posterior)
            values = cal.posterior_values(chosen, posterior)
            cal.write_parameter_set(out / "calibrated.toml", chosen, values, float("nan"))
            out_console.print(
                f"posterior: {len(posterior)} particles of generation"
                f" {posterior['generation'].iloc[0]}"
            )
            if posterior.attrs.get("stopped"):
                sys.stderr.write(f"ABC-SMC {posterior.attrs['stopped']}\n")
            for name, value in values.items():
                column = posterior[name]
                out_console.print(
                    f"  {name}: mean {value:.4g}, range {column.min():.4g} to {column.max():.4g}"
                )
            with bar("posterior predictive runs") as update:
                check, path = cal.posterior_predictive(
                    chosen, posterior, ev, out, progress=counted(update)
                )
        else:
            with bar("calibrate") as update:
                frame = cal.calibrate(
                    chosen, out, ev, lambda done, total, _: update(done, total, 0)
                )
            write_parquet(out / "trials.parquet", frame)
            values = cal.best_parameters(chosen, frame)
            cal.write_parameter_set(
                out / "calibrated.toml", chosen, values, float(frame["loss"].iloc[0])
            )
            out_console.print(f"best of {len(frame)} trials: loss {frame['loss'].iloc[0]:.3f}")
            for name, value in values.items():
                out_console.print(f"  {name} = {value:.4g}")
            with bar("held-out check runs") as update:
                check, path = cal.holdout_check(chosen, values, ev, out, progress=counted(update))
        check.to_csv(out / "holdout.csv", index=False)
        write_parquet(out / "path.parquet", path)
        write_report(out / "report.html", chosen, check, path, posterior=posterior, trials=frame)
    print_calibration_check(chosen, check, path)
    sys.stderr.write(
        f"calibrated.toml, holdout.csv, path.parquet and report.html written to {out}\n"
    )


@app.command()
def optimise(
    spec: Annotated[
        Path, typer.Argument(help="Design spec (TOML), e.g. experiments/design_example.toml")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the study, the front, presets and report")
    ],
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    fresh: FreshOpt = False,
) -> None:
    """Search for the Pareto-best reform packages under a budget (Optuna's TPE or NSGA-II,
    resumes after a kill); write pareto.parquet, one preset per package in packages/ and
    report.html."""
    from cli.optimise_command import optimise_command

    check_out_given(out)
    check_scheduler(scheduler)
    optimise_command(spec, out, workers, scheduler, fresh)


@app.command()
def discover(
    folder: Annotated[Path, typer.Argument(help="Result folder of an experiment with a sweep")],
    outcome: Annotated[str, typer.Option("--outcome", help="The outcome to explain")],
    threshold: Annotated[float, typer.Option("--threshold", help="The outcome's threshold")],
    cases: Annotated[
        str, typer.Option("--cases", help="above or below: the runs of interest")
    ] = "above",
    preset: Annotated[str | None, typer.Option("--preset", help="Preset to analyse")] = None,
    boxes: Annotated[int, typer.Option("--boxes", min=1, max=10, help="Boxes at most")] = 2,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Default FOLDER/discover-OUTCOME-PRESET-CASES-THRESHOLD"),
    ] = None,
) -> None:
    """Scenario discovery (PRIM): the swept conditions under which the outcome ends above (or
    below) the threshold; writes boxes.csv, boxes.txt, trajectory.csv and trajectory.png."""
    if cases not in ("above", "below"):
        raise UserError(f"--cases must be above or below, got {cases!r}")
    _check_result_folder(folder)
    from cli.show import out_console
    from experiments.discover import discover as run_prim

    found = run_prim(
        folder, outcome, threshold, cases, preset, boxes, out=out, labels=discover_labels()
    )
    left_out = (
        f" ({found.without_value} run(s) without a value of it left out)"
        if found.without_value
        else ""
    )
    out_console.print(
        f"{found.cases} of {found.runs} runs have {outcome} {cases} {threshold:g}{left_out};"
        f" {len(found.boxes)} box(es)",
        markup=False,
        highlight=False,
    )
    for k, (en, zh) in enumerate(zip(found.english, found.chinese, strict=True), start=1):
        out_console.print(f"box {k}: {en}\n       {zh}", markup=False, highlight=False)
    sys.stderr.write(f"written to {found.folder}: {', '.join(found.written)}\n")


def discover_labels() -> Any:
    """The sentences' names for parameters, outcomes and presets: the dashboard's labels."""
    from experiments.discover import Labels
    from viz.i18n import OUTCOMES, PARAMETERS, PRESETS_ZH

    names = {**PARAMETERS, **OUTCOMES}
    names.update({name: (name, zh) for name, zh in PRESETS_ZH.items()})
    return Labels({k: (en[:1].lower() + en[1:], zh) for k, (en, zh) in names.items()})


def print_calibration_check(chosen: Any, check: Any, path: Any) -> None:
    """The targets against the model's intervals, the path's shape and the held-out coverage."""
    from cli.show import out_console
    from experiments.calibration import shape_check

    out_console.print(check.to_string(index=False, float_format=lambda x: f"{x:.1f}"))
    shape = shape_check(chosen, path)
    if len(shape):
        out_console.print("start-up days in the half-year before and after each dated reform:")
        out_console.print(shape.to_string(index=False, float_format=lambda x: f"{x:.1f}"))
    held = check[check["set"] == "held out"]
    if len(held):
        out_console.print(
            f"held-out coverage of the 90% interval: {int(held['covered'].sum())} of {len(held)}"
            f" ({held['covered'].mean():.0%})"
        )


def counted(update: Any) -> Any:
    """A run bar's update, for a progress callback that reports (done, total)."""
    return lambda done, total: update(done, total, 0)


def select_facts(facts: list[Any], only: list[str]) -> list[Any]:
    """The facts named by --only (all when none is named), in the file's order."""
    wanted = [key.strip() for item in only for key in item.split(",") if key.strip()]
    if not wanted:
        return facts
    keys = [f.key for f in facts]
    for key in wanted:
        if key not in keys:
            from world.errors import unknown_name_message

            raise UserError("--only: " + unknown_name_message("fact", key, keys))
    return [f for f in facts if f.key in wanted]


def check_markdown_out(out: Path) -> None:
    """`govsim validate --out`: a file (not a folder) in a folder that exists."""
    if not str(out).strip() or out.is_dir():
        raise UserError(f"--out {out}: name a Markdown file, not a folder")
    if not out.parent.is_dir():
        raise UserError(f"--out {out}: no such folder {out.parent}")


experiment_app = typer.Typer(
    help="Batch experiments: presets x sweeps x replicates, summaries, reports, sensitivity.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(experiment_app, name="experiment")

ReferenceOpt = Annotated[
    str | None,
    typer.Option(
        "--reference",
        help="Preset the paired differences are taken against (default: the experiment's)",
    ),
]
MaxRunsOpt = Annotated[
    int,
    typer.Option("--max-runs", min=1, help="Refuse a design with more runs than this"),
]


@experiment_app.command("run")
def experiment_run(
    spec: Annotated[Path, typer.Argument(help="Experiment file (TOML)")],
    out: Annotated[Path, typer.Option("--out", help="Result folder (created or resumed)")],
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    fresh: FreshOpt = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Run the failed runs again")
    ] = False,
    max_runs: MaxRunsOpt = 1_000_000,
) -> None:
    """Run an experiment; rerunning the same command resumes it."""
    check_scheduler(scheduler)
    check_out_given(out)
    from experiments.design import load_spec

    design = load_spec(spec)  # a bad file fails here, before the model is imported
    from cli.show import run_progress
    from experiments.evaluators import make_evaluator
    from experiments.runner import run_experiment

    evaluator = make_evaluator(workers, scheduler)
    with run_progress(spec.stem) as update:
        report = run_experiment(
            design,
            out,
            evaluator,
            update,
            source=str(spec),
            fresh=fresh,
            retry_failed=retry_failed,
            max_runs=max_runs,
        )
    _report_runs(report, evaluator, out)


def _report_runs(report: Any, evaluator: Any, out: Path) -> None:
    repaired = f", {report.repaired} damaged run(s) redone" if report.repaired else ""
    sys.stderr.write(
        f"{report.total} runs: {report.skipped} already done, {report.ran} run now"
        f" ({report.failed} failed{repaired}) in {report.wall_seconds:.1f} s on {evaluator.name}"
        f" x{evaluator.workers}; results in {out}/\n"
    )


@experiment_app.command("summarize")
def experiment_summarize(
    folder: Annotated[Path, typer.Argument(help="Result folder of `govsim experiment run`")],
    reference: ReferenceOpt = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON records on stdout")] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Every preset and outcome in one table")
    ] = False,
) -> None:
    """Each reform's clear effects against the reference (mean, 95% CI, paired by seed); the
    full table with --full, every number with --csv or --json."""
    _check_result_folder(folder)
    if as_csv and as_json:
        raise UserError("--csv and --json: choose one")
    reference = _reference(folder, reference)
    table = _summary(folder, reference)
    if as_csv:
        sys.stdout.write(table.to_csv(index=False))
        return
    if as_json:
        sys.stdout.write(table.to_json(orient="records", indent=1) + "\n")
        return
    from cli.show import headline_lines, out_console, summary_table

    if full:
        out_console.print(summary_table(table, reference))
        return
    for line in headline_lines(table, reference):
        out_console.print(line, highlight=False)
    out_console.print(
        f"\nEvery preset and outcome: govsim experiment summarize {folder} --full (or --csv)"
        f"\ncharts: govsim experiment report {folder}",
        markup=False,
        highlight=False,
    )


def _reference(folder: Path, given: str | None) -> str:
    """The reference preset: as given, or the one the experiment file names."""
    if given:
        return given
    from experiments.result_folder import read_manifest

    manifest = read_manifest(folder) or {}
    spec = manifest.get("spec")
    reference = spec.get("reference") if isinstance(spec, dict) else None
    return reference if isinstance(reference, str) else "baseline"


def _check_result_folder(folder: Path) -> None:
    if not folder.is_dir() or not (folder / "runs.parquet").exists():
        raise UserError(f"{folder} is not a govsim experiment result folder")


def _summary(folder: Path, reference: str) -> Any:
    """The folder's summary table; a line on stderr (not in the table a script reads) when runs
    are missing from the folder."""
    from experiments.result_folder import ResultFolder
    from experiments.summary import summarize

    try:
        results = ResultFolder(folder)
        table = summarize(results, reference)
    except ValueError as exc:  # no successful run, an unknown reference: about this folder
        raise UserError(str(exc)) from None
    note = results.unfinished_note()
    if note:
        sys.stderr.write(f"{note}\n")
    return table


@experiment_app.command("report")
def experiment_report(
    folder: Annotated[Path, typer.Argument(help="Result folder of `govsim experiment run`")],
    reference: ReferenceOpt = None,
) -> None:
    """Write report.html (charts with uncertainty bands, paired differences, the table)."""
    _check_result_folder(folder)
    reference = _reference(folder, reference)
    sys.stderr.write(f"writing the report of {folder}: charts and tables against {reference}…\n")
    from experiments.report import write_report

    try:  # the report summarises the folder itself: one reading, one audit
        path = write_report(folder, reference)
    except ValueError as exc:  # no successful run, an unknown reference: about this folder
        raise UserError(str(exc)) from None
    sys.stdout.write(f"report written to {path}\n")


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
    fresh: FreshOpt = False,
    max_runs: MaxRunsOpt = 1_000_000,
) -> None:
    """Global sensitivity analysis (SALib) as a resumable experiment; rerun to resume."""
    methods = ("morris", "sobol")
    if method not in methods:
        raise UserError(f"--method must be one of {', '.join(methods)}, got {method!r}")
    check_scheduler(scheduler)
    from experiments.design import load_spec

    design = load_spec(spec)  # a bad file fails here, before the model is imported
    if design.sensitivity is None:
        raise UserError(f"{spec}: the experiment file has no [sensitivity] table")
    from cli.show import indices_table, out_console, run_progress
    from experiments.evaluators import make_evaluator
    from experiments.sensitivity import (
        problem,
        run_sensitivity,
        sensitivity_indices,
        write_indices,
    )

    problem(design)
    if out is not None:
        check_out_given(out)
    folder = out or Path("results") / f"sensitivity-{spec.stem}-{method}"
    evaluator = make_evaluator(workers, scheduler)
    with run_progress(f"{spec.stem} {method}") as update:
        report = run_sensitivity(
            design,
            method,
            folder,
            evaluator,
            update,
            source=str(spec),
            fresh=fresh,
            max_runs=max_runs,
        )
    _report_runs(report, evaluator, folder)
    try:
        indices = sensitivity_indices(design, method, folder)
    except ValueError as exc:  # failed or missing runs, an undefined outcome: about the data
        raise UserError(str(exc)) from None
    write_indices(indices, method, folder)
    out_console.print(indices_table(indices, method))
    from experiments.sensitivity import sample_warnings

    for warning in sample_warnings(indices, method, design.sensitivity.samples):
        sys.stderr.write(f"govsim: warning: {warning}\n")
    out_console.print(
        f"indices.csv and indices.png written to {folder}/ (the runs: runs.parquet and"
        " outcomes.parquet there)"
    )
