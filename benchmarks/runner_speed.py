"""Batch-runner speed: `python benchmarks/runner_speed.py`.

Runs the same set of simulations (a) directly in one process, (b) through `run_experiment` with
one worker (the serial evaluator: the runner's own overhead of writing results and bookkeeping)
and (c) with two worker processes, and prints wall time and throughput.
Floors (issue 4): runner overhead at most 10%; two workers at least 1.8x one worker.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from experiments.design import ExperimentSpec, expand
from experiments.evaluators import ProcessEvaluator, SerialEvaluator
from experiments.one_run import run_simulation
from experiments.runner import run_experiment


def spec(runs: int, citizens: int, days: int) -> ExperimentSpec:
    return ExperimentSpec(
        description="runner benchmark",
        presets=["baseline", "full_reform"],
        replicates=runs // 2,
        days=days,
        parameters={"n_citizens": citizens, "n_enterprises": citizens // 20},
    )


def direct(s: ExperimentSpec) -> float:
    t = time.perf_counter()
    for r in expand(s):
        run_simulation(r.preset, s.days, r.seed, dict(s.parameters))
    return time.perf_counter() - t


def through_runner(s: ExperimentSpec, evaluator) -> float:
    out = Path(tempfile.mkdtemp(prefix="govsim-bench-"))
    try:
        t = time.perf_counter()
        run_experiment(s, out, evaluator)
        return time.perf_counter() - t
    finally:
        shutil.rmtree(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=16)
    ap.add_argument("--citizens", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    args = ap.parse_args()
    s = spec(args.runs, args.citizens, args.days)
    n = len(expand(s))
    t_direct = direct(s)
    t_one = through_runner(s, SerialEvaluator())
    t_two = through_runner(s, ProcessEvaluator(2))
    t_one_proc = through_runner(s, ProcessEvaluator(1))
    print(f"{n} runs of {args.citizens:,} citizens x {args.days} days")
    print(f"{'how':<34} {'wall s':>7} {'runs/min':>9}")
    for label, t in (
        ("directly, one process", t_direct),
        ("runner, serial (1 worker)", t_one),
        ("runner, 1 worker process", t_one_proc),
        ("runner, 2 worker processes", t_two),
    ):
        print(f"{label:<34} {t:>7.1f} {60 * n / t:>9.1f}")
    print(f"runner overhead (serial vs direct): {100 * (t_one / t_direct - 1):+.1f}%")
    print(f"2 workers vs 1 worker process: {t_one_proc / t_two:.2f}x throughput")


if __name__ == "__main__":
    main()
