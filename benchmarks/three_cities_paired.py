"""Three cities against one, stepped in turns, at any turn length: `python
benchmarks/three_cities_paired.py --chunk 30`.

Builds one `baseline` city and three identical cities (100,000 citizens each by default) in two
fresh one-thread processes, then steps them in turn, `--chunk` days at a time, until each has
run `--days`; each model's time is its build plus its turns (`scale.paired`, which
`benchmarks/scale.py` uses for its three-city target with turns of 30 days). A neighbour's load
on this shared machine then falls on both alike within a second. Very short turns bias the ratio
down (each turn starts with caches filled by the other model, which costs the one-city model
relatively more: 5-day turns read about 0.1 lower), whole years (`--chunk 365`) are the whole
runs' exposure to the machine again; this script shows both (docs/performance.md).
"""

from __future__ import annotations

import argparse
import statistics

from scale import paired


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
