"""Three cities against one, paired more tightly than whole runs: `python
benchmarks/three_cities_paired.py`.

Builds one `baseline` city and three identical cities (100,000 citizens each by default) in two
fresh one-thread processes, then steps them in turn, `--chunk` days at a time, until each has
run `--days`; each model's time is its build plus its chunks. A neighbour's load on this shared
machine then falls on both alike within seconds, where `benchmarks/scale.py` runs whole years
one after the other. Short chunks bias the ratio down (each chunk starts with caches filled by
the other model, which costs the one-city model relatively more), so whole years (`--chunk
365`) stay the benchmark's figure; this script shows how much of its spread is the machine
(docs/performance.md).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import time

from scale import build_model


def _stepper(conn, n: int, cities: int) -> None:
    """Builds its model, reports the build time, then runs the days it is sent until 0."""
    from experiments.one_run import advance

    t0 = time.perf_counter()
    model = build_model(n, cities)
    conn.send(time.perf_counter() - t0)
    while days := conn.recv():
        t0 = time.perf_counter()
        advance(model, days)
        conn.send(time.perf_counter() - t0)


def paired(n: int, cities: int, days: int, chunk: int) -> tuple[float, float]:
    """(seconds for one city, seconds for `cities` cities), each build and `days` days."""
    ctx = mp.get_context("spawn")
    ends = []
    for k in (1, cities):
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_stepper, args=(child, n, k))
        proc.start()
        ends.append((parent, proc))
    totals = [parent.recv() for parent, _ in ends]
    done = 0
    while done < days:
        d = min(chunk, days - done)
        for i, (parent, _) in enumerate(ends):
            parent.send(d)
            totals[i] += parent.recv()
        done += d
    for parent, proc in ends:
        parent.send(0)
        proc.join()
    return totals[0], totals[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--citizens", type=int, default=100_000, help="per city")
    ap.add_argument("--cities", type=int, default=3)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--chunk", type=int, default=30, help="days each model runs in its turn")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if min(args.citizens, args.cities, args.days, args.chunk, args.repeats) < 1:
        ap.error("every number must be at least 1")
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"  # the children inherit it before numpy loads
    print(
        f"{args.cities} cities of {args.citizens:,} against one, {args.days} days"
        f" in turns of {args.chunk}"
    )
    ratios = []
    for r in range(args.repeats):
        one, many = paired(args.citizens, args.cities, args.days, args.chunk)
        ratios.append(many / one)
        print(
            f"  repeat {r + 1}: one {one:.2f} s, {args.cities} cities {many:.2f} s,"
            f" ratio {many / one:.3f}"
        )
    print(f"median ratio {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
