"""Speed and memory of one simulated year: `python benchmarks/city_year.py`.

Runs `baseline` and `full_reform` for 10,000 and 100,000 citizens (enterprises 5% of that), each
in a fresh process pinned to one thread, and prints wall time (build and run), cases finished per
second and the process's peak memory. Floor (issue 2): 100,000 citizens for a year in at most
10 s and 1.5 GiB on one core.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

SIZES = (10_000, 100_000)
PRESETS = ("baseline", "full_reform")


def one(preset: str, n: int, days: int, seed: int) -> dict:
    from experiments.one_run import advance
    from scenarios import load_preset

    t0 = time.perf_counter()
    p = load_preset(preset).with_overrides({"n_citizens": n, "n_enterprises": n // 20})
    model = p.build(seed)
    t1 = time.perf_counter()
    advance(model, days)
    t2 = time.perf_counter()
    ended = float(model.ledger.tally["ended_citizens"].sum())
    ended += float(model.ledger.tally["ended_enterprises"].sum())
    return {
        "preset": preset,
        "citizens": n,
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "cases": ended,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    ap.add_argument("--presets", nargs="*", default=list(PRESETS))
    ap.add_argument("--one", nargs=2, metavar=("PRESET", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), args.days, args.seed)))
        return
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    header = f"{'preset':<12} {'citizens':>9} {'build s':>8} {'run s':>7} {'total s':>8}"
    print(header + f" {'cases':>8} {'cases/s':>9} {'peak MiB':>9}")
    for n in args.sizes:
        for preset in args.presets:
            cmd = [sys.executable, __file__, "--one", preset, str(n), "--days", str(args.days)]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            r = json.loads(out.stdout)
            total = r["build_s"] + r["run_s"]
            print(
                f"{preset:<12} {n:>9,} {r['build_s']:>8.2f} {r['run_s']:>7.2f} {total:>8.2f}"
                f" {r['cases']:>8,.0f} {r['cases'] / r['run_s']:>9,.0f} {r['peak_mib']:>9.0f}"
            )


if __name__ == "__main__":
    main()
