"""City competition's cost: `python benchmarks/cities_year.py`.

One year of one city of 100,000 citizens, against one year of three such cities competing (the
`three_cities` preset, and three identical baseline cities), each in a fresh one-thread process.
Floor (issue 3): three cities within 3.5x the time of one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def one(kind: str, n: int, days: int, seed: int) -> dict:
    from experiments.one_run import advance
    from model import CityModel, Parameters
    from model.city import CitySpec
    from scenarios import load_catalogue, load_preset

    size = {"n_citizens": n, "n_enterprises": n // 20}
    t0 = time.perf_counter()
    if kind == "one city":
        model = load_preset("baseline").with_overrides(size).build(seed)
    elif kind == "three_cities preset":
        model = load_preset("three_cities").with_overrides(size).build(seed)
    else:
        cat, params = load_catalogue(), Parameters(**size)
        specs = [CitySpec(name, params, cat) for name in ("a", "b", "c")]
        model = CityModel(cities=specs, rng=seed)
    t1 = time.perf_counter()
    advance(model, days)
    t2 = time.perf_counter()
    return {
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--citizens", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeats", type=int, default=3, help="median of this many runs each")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.citizens, args.days, 0)))
        return
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    kinds = ("one city", "three identical cities", "three_cities preset")
    results: dict[str, list[dict]] = {k: [] for k in kinds}
    for _ in range(args.repeats):  # interleaved, so a busy moment hurts every model alike
        for kind in kinds:
            cmd = [sys.executable, __file__, "--one", kind, "--citizens", str(args.citizens)]
            cmd += ["--days", str(args.days)]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            results[kind].append(json.loads(out.stdout))
    print(
        f"median of {args.repeats} runs each, {args.citizens:,} citizens per city, {args.days} days"
    )
    print(f"{'model':<28} {'build s':>8} {'run s':>7} {'total s':>8} {'x one':>6} {'peak MiB':>9}")
    base = None
    for kind in kinds:
        rs = results[kind]
        build = statistics.median(r["build_s"] for r in rs)
        run = statistics.median(r["run_s"] for r in rs)
        total = statistics.median(r["build_s"] + r["run_s"] for r in rs)
        base = base or total
        peak = max(r["peak_mib"] for r in rs)
        print(
            f"{kind:<28} {build:>8.2f} {run:>7.2f} {total:>8.2f} {total / base:>6.2f} {peak:>9.0f}"
        )


if __name__ == "__main__":
    main()
