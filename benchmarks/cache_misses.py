"""Instructions and simulated cache misses of some days: `python benchmarks/cache_misses.py`.

Runs the model under valgrind's callgrind (`apt-get install valgrind`) with its cache simulation
and a last-level cache of `--ll-mib` MiB, counting only the `--days` days that follow a
`--warm-up`: the counts are the same whatever else the machine runs, so one city against three
can be compared where timings on a shared machine cannot (docs/performance.md). About 50 times
slower than a plain run: a few minutes for three cities of 100,000.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scale import ONE_THREAD, build_model

COUNTS = ("Ir", "DLmr", "DLmw")  # instructions, last-level read and write misses


def _child(n: int, cities: int, warm_up: int, days: int, marks: Path) -> None:
    """Under valgrind: build, warm up, then run the measured days between the driver's marks."""
    from experiments.one_run import advance

    model = build_model(n, cities)
    advance(model, warm_up)
    (marks / "ready").touch()
    while not (marks / "counting").exists():  # the driver switches counting on
        time.sleep(0.1)
    advance(model, days)
    (marks / "done").touch()
    while not (marks / "stopped").exists():
        time.sleep(0.1)


def _wait_for(path: Path, proc: subprocess.Popen) -> None:
    while not path.exists():
        if proc.poll() is not None:
            sys.exit(f"the run under valgrind ended early (exit {proc.returncode})")
        time.sleep(0.2)


def counts(n: int, cities: int, warm_up: int, days: int, ll_mib: int) -> dict[str, int]:
    """Callgrind's totals over the measured days."""
    with tempfile.TemporaryDirectory() as tmp:
        marks, out = Path(tmp), Path(tmp) / "callgrind.out"
        cmd = [
            "valgrind",
            "--tool=callgrind",
            "--cache-sim=yes",
            f"--LL={ll_mib * 2**20},16,64",  # arithmetic: bytes, 16-way, 64-byte lines
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--child",
            f"{n},{cities},{warm_up},{days},{tmp}",
        ]
        env = {**os.environ, **ONE_THREAD}
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(marks / "ready", proc)
        subprocess.run(
            ["callgrind_control", "-i", "on", str(proc.pid)], check=True, capture_output=True
        )
        (marks / "counting").touch()
        _wait_for(marks / "done", proc)
        subprocess.run(
            ["callgrind_control", "-i", "off", str(proc.pid)], check=True, capture_output=True
        )
        (marks / "stopped").touch()
        proc.wait()
        report = subprocess.run(
            ["callgrind_annotate", str(out)], check=True, capture_output=True, text=True
        ).stdout
    header = re.search(r"^Events shown:\s+(.*)$", report, re.M).group(1).split()
    totals = next(line for line in report.splitlines() if "PROGRAM TOTALS" in line)
    values = [int(v.replace(",", "")) for v in re.findall(r"([\d,]+) \(", totals)]
    return {name: values[header.index(name)] for name in COUNTS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--citizens", type=int, default=100_000, help="per city")
    ap.add_argument("--cities", type=int, nargs="+", default=[1, 3], help="models to compare")
    ap.add_argument("--warm-up", type=int, default=40, help="days run before counting")
    ap.add_argument("--days", type=int, default=30, help="days counted")
    ap.add_argument("--ll-mib", type=int, default=8, help="simulated last-level cache")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        n, cities, warm_up, days, marks = args.child.split(",")
        _child(int(n), int(cities), int(warm_up), int(days), Path(marks))
        return
    if min(args.citizens, *args.cities, args.days, args.ll_mib) < 1 or args.warm_up < 0:
        ap.error("sizes and days must be positive (the warm-up may be 0)")
    missing = [
        t for t in ("valgrind", "callgrind_control", "callgrind_annotate") if not shutil.which(t)
    ]
    if missing:
        sys.exit(f"{', '.join(missing)} not found: install valgrind (apt-get install valgrind)")
    print(
        f"{args.days} days after {args.warm_up}, {args.citizens:,} citizens per city,"
        f" a {args.ll_mib} MiB last-level cache (valgrind callgrind)"
    )
    base = None
    for k in args.cities:
        c = counts(args.citizens, k, args.warm_up, args.days, args.ll_mib)
        base = base or c
        print(
            f"  {k} {'city' if k == 1 else 'cities'}: instructions {c['Ir'] / 1e9:.2f} G"
            f" ({c['Ir'] / base['Ir']:.2f}x), last-level misses read {c['DLmr']:,}"
            f" ({c['DLmr'] / base['DLmr']:.1f}x), write {c['DLmw']:,}"
            f" ({c['DLmw'] / base['DLmw']:.1f}x)"
        )


if __name__ == "__main__":
    main()
