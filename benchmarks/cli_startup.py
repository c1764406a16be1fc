"""How quickly `govsim` answers a mistake or --help: `python benchmarks/cli_startup.py`.

Each command runs `--repeat` times in a fresh process; the median wall time is printed beside the
median of `python -c "import numpy"`, measured in the same run, and their ratio. Target (issue 9):
`govsim run nosuch` at most 1.5x the time of importing numpy.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TARGET = 1.5
COMMANDS = {
    "govsim run nosuch": [str(BIN / "govsim"), "run", "nosuch"],
    "govsim run baseline --days 0": [str(BIN / "govsim"), "run", "baseline", "--days", "0"],
    "govsim --help": [str(BIN / "govsim"), "--help"],
    "govsim experiment run --help": [str(BIN / "govsim"), "experiment", "run", "--help"],
    "govsim experiment run nosuch.toml": [str(BIN / "govsim"), "experiment", "run", "nosuch.toml"],
}
REFERENCE = [sys.executable, "-c", "import numpy"]


def median_seconds(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    median_seconds(REFERENCE, 2)  # warm the file cache for both sides alike
    median_seconds(COMMANDS["govsim --help"], 2)
    reference = median_seconds(REFERENCE, args.repeat)
    print(f"{'command':36} {'median s':>9} {'x numpy':>8}")
    print(f"{'python -c "import numpy"':36} {reference:9.3f} {1.0:8.2f}")
    for label, cmd in COMMANDS.items():
        seconds = median_seconds(cmd, args.repeat)
        ratio = seconds / reference
        verdict = ""
        if label == "govsim run nosuch":
            verdict = "pass" if ratio <= TARGET else "miss"
            verdict = f"  {verdict} (target <= {TARGET}x)"
        print(f"{label:36} {seconds:9.3f} {ratio:8.2f}{verdict}")


if __name__ == "__main__":
    main()
