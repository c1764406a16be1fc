"""Small experiment, calibration and policy-design folders, written by the code the real
commands use.

`write_experiment_folder`: a real `govsim experiment run` in miniature (three presets, four
replicates of 40 days in a city of 800: a few seconds), through the command itself.

`write_design_folder`: a real `govsim optimise` in miniature (400 residents, 40 days, 4 trials on
2 states and 1 seed: about ten seconds), through `design_folder`, `optimise` and `write_results`
as `cli.optimise_command` calls them.

`write_calibration_folder`: an ABC calibration's outputs through `calibration_folder`,
`posterior_predictive`, `write_parquet` and the calibration report's `write_report`, as `govsim
calibrate` calls them; only the timeline simulation is replaced by a fast stand-in (a real one
takes minutes), so the model's intervals are known: every draw gives 40-49 start-up days.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from unittest import mock

import pandas as pd

from tests.experiments.test_optimise import SPEC as DESIGN_SPEC

CALIBRATION_SPEC = """
description = "tiny calibration for the results page"
preset = "shanghai_2005_2020"
day_zero = 2005-01-01
fit = ["DB2006"]
holdout = ["DB2007"]
indicators = ["Doing Business starting a business: time (days)"]
method = "abc"
population = 5
generations = 1
predictive = 10
window_days = 120

[parameters]
doc_return_days = [1.0, 5.0]

[overrides]
n_citizens = 1000
n_enterprises = 50
"""

# One real optimisation per test process, copied where asked; its spec files beside it, outside
# any results folder (removed when the process ends).
_SCRATCH = tempfile.TemporaryDirectory(prefix="govsim-search-folders-")
_DESIGNS: dict[int, Path] = {}
_EXPERIMENTS: list[Path] = []

EXPERIMENT_SPEC = """
description = "tiny experiment for the results page"
presets = ["baseline", "one_stop", "transparency"]
replicates = 4
days = 40
timeseries_every = 5

[parameters]
n_citizens = 800
n_enterprises = 50
"""


def write_experiment_folder(folder: Path) -> Path:
    """A finished `govsim experiment run` folder at `folder` (made once per test process)."""
    from cli.main import main

    if not _EXPERIMENTS:
        made = Path(_SCRATCH.name) / "experiment"
        spec_path = Path(_SCRATCH.name) / "experiment.toml"
        spec_path.write_text(EXPERIMENT_SPEC, encoding="utf-8")
        main(["experiment", "run", str(spec_path), "--out", str(made), "--workers", "1"])
        _EXPERIMENTS.append(made)
    shutil.copytree(_EXPERIMENTS[0], folder, dirs_exist_ok=True)
    return folder


def write_design_folder(folder: Path, trials: int = 4) -> Path:
    """A finished `govsim optimise` folder at `folder`."""
    from experiments.evaluators import SerialEvaluator
    from experiments.optimise import design_folder, load_spec, optimise
    from experiments.optimise_report import write_results

    if trials not in _DESIGNS:
        made = Path(_SCRATCH.name) / f"design-{trials}"
        spec_path = Path(_SCRATCH.name) / f"design-{trials}.toml"
        spec_path.write_text(DESIGN_SPEC.replace("trials = 6", f"trials = {trials}"), "utf-8")
        spec = load_spec(spec_path)
        with design_folder(spec, made, fresh=True), SerialEvaluator() as ev:
            study = optimise(spec, made, ev)
            write_results(spec, made, study)
        _DESIGNS[trials] = made
    shutil.copytree(_DESIGNS[trials], folder, dirs_exist_ok=True)
    return folder


def fake_timeline(preset, overrides, seed, days, window):
    """The stand-in for `simulate_targets`: 40 + seed mod 10 start-up days on every day."""
    days_taken = 40.0 + seed % 10
    return {d: {"start_business_days": days_taken, "start_business_procedures": 9.0} for d in days}


def write_calibration_folder(folder: Path) -> Path:
    """A finished ABC calibration folder at `folder`: DB2006 (48 days, fitted) and DB2007 (35,
    held out) against a model interval of about 40-49 days: the first inside, the second not."""
    import experiments.calibration as cal
    from experiments.atomic import write_parquet
    from experiments.calibration_report import write_report
    from experiments.evaluators import SerialEvaluator

    folder.mkdir(parents=True, exist_ok=True)
    spec_path = Path(_SCRATCH.name) / "calibration.toml"
    spec_path.write_text(CALIBRATION_SPEC, encoding="utf-8")
    spec = cal.load_spec(spec_path)
    posterior = pd.DataFrame(
        {
            "doc_return_days": [2.0, 2.5, 3.0, 3.5, 4.0],
            "weight": [0.1, 0.2, 0.4, 0.2, 0.1],
            "generation": [0] * 5,
        }
    )
    with (
        cal.calibration_folder(spec, folder, fresh=True),
        SerialEvaluator() as ev,
        mock.patch.object(cal, "simulate_targets", fake_timeline),
    ):
        write_parquet(folder / "posterior.parquet", posterior)
        check, path = cal.posterior_predictive(spec, posterior, ev, folder)
        check.to_csv(folder / "holdout.csv", index=False)
        write_parquet(folder / "path.parquet", path)
        write_report(folder / "report.html", spec, check, path, posterior=posterior)
    return folder
