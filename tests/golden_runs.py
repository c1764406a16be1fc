"""Golden-file regression runs: `python tests/golden_runs.py` regenerates tests/golden/*.json.

Regenerate only when a change is *meant* to change the model's numbers, and say so in the commit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "golden"
CASES = {
    "baseline_seed0": ("baseline", 0),
    "full_reform_seed1": ("full_reform", 1),
    "reform_midway_seed2": ("reform_midway", 2),
    "two_cities_seed3": ("two_cities", 3),
}
SIZE = {"n_citizens": 3000, "n_enterprises": 150}
DAYS = 240


def compute(preset: str, seed: int) -> dict[str, float | None]:
    from experiments import simulate

    out = simulate(preset, days=DAYS, seed=seed, **SIZE)
    cities = out.pop("cities")
    if len(cities) > 1:  # several cities: each city's outcomes too, as "name.outcome"
        for city in cities:
            name = city.pop("name")
            out.update({f"{name}.{k}": v for k, v in city.items()})
    return {k: v for k, v in out.items() if v is not None}


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    GOLDEN_DIR.mkdir(exist_ok=True)
    for name, (preset, seed) in CASES.items():
        path = GOLDEN_DIR / f"{name}.json"
        path.write_text(json.dumps(compute(preset, seed), indent=2, sort_keys=True) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
