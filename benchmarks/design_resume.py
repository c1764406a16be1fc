"""Does `govsim optimise` lose anything when it is killed? (issue 13: "resumes after a kill
with nothing lost", on the example itself)

Run: `python benchmarks/design_resume.py [--spec experiments/design_example.toml]
[--out results/design_killed] [--kill-after 50] [--workers 2]`.

Removes OUT, starts `govsim optimise SPEC --out OUT` as its own process group, kills it with
SIGKILL once `--kill-after` trials are complete in its study, then runs the same command again.
Prints how many trials and stored runs there were at the kill, and after the resumed run:
whether every trial finished before the kill kept its values, whether every stored run is still
there, and whether the finished search holds `trials` distinct packages.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from experiments.search_folder import completed_trials

ROOT = Path(__file__).resolve().parent.parent


def finished(out: Path) -> dict[int, tuple[float, ...]]:
    return completed_trials(out / "study.sqlite")


def stored_runs(out: Path) -> set[str]:
    return {p.name for p in (out / "runs").glob("*.json")} if (out / "runs").exists() else set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="experiments/design_example.toml")
    parser.add_argument("--out", default="results/design_killed")
    parser.add_argument("--kill-after", type=int, default=50, help="complete trials")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    out = Path(args.out)
    command = [sys.executable, "-m", "cli", "optimise", args.spec, "--out", str(out)]
    command += ["--workers", str(args.workers)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    # (a folder left by an earlier call would be read as this one's progress)
    shutil.rmtree(out, ignore_errors=True)
    started = time.monotonic()
    first = subprocess.Popen(
        command,
        start_new_session=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while len(finished(out)) < args.kill_after:
        if first.poll() is not None:
            raise SystemExit(f"the search ended (code {first.returncode}) before the kill")
        time.sleep(0.5)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    before, runs_before = finished(out), stored_runs(out)
    print(
        f"killed after {time.monotonic() - started:.0f} s: {len(before)} trials complete,"
        f" {len(runs_before)} runs stored"
    )

    resumed = time.monotonic()
    again = subprocess.run(command, capture_output=True, text=True, env=env)
    if again.returncode != 0:
        raise SystemExit(f"the resumed search failed:\n{again.stderr[-2000:]}")
    after, runs_after = finished(out), stored_runs(out)
    kept = all(after.get(n) == values for n, values in before.items())
    trials = pd.read_parquet(out / "trials.parquet")
    print(f"resumed: {time.monotonic() - resumed:.0f} s, {len(after)} trials complete")
    print(f"trials finished before the kill kept their values: {kept}")
    print(f"runs stored before the kill still stored: {runs_before <= runs_after}")
    print(
        f"trials.parquet: {len(trials)} packages, all distinct: {trials['package'].is_unique};"
        f" {len(runs_after)} runs stored"
    )


if __name__ == "__main__":
    main()
