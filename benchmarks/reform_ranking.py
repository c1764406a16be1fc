"""Does the reform that pleases most after one year still lead after three? (reform ranking)

Run: `python benchmarks/reform_ranking.py [--seeds 3] [--citizens 20000] [--enterprises 1000]
[--workers 2] [--markdown]`.

Every single-reform preset (the baseline plus one reform) and, as a last row, `full_reform` runs
for three years on the same seeds as `baseline`. Each run's summary is read at day 365 and at day
1095 (the same run, stepped on with `experiments.one_run.advance`). For citizens' and firms'
satisfaction the script prints each reform's gain over the baseline (mean over seeds of the
paired per-seed difference, ± the 95% t half-width), its rank among the single reforms at year 1
and at year 3 (1 = largest gain; `full_reform` is not ranked), and Kendall's tau between the two
rankings: near 1, the first year foretells the third; near 0 or below, it does not.
"""

from __future__ import annotations

import argparse
import math
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from experiments.one_run import advance
from experiments.statistics import t_interval
from scenarios import list_presets, load_preset

YEARS = {1: 365, 3: 1095}  # year -> the day its summary is read
OUTCOMES = {"satisfaction_citizens": "citizens", "satisfaction_enterprises": "firms"}
BASELINE, FULL = "baseline", "full_reform"
NOT_SINGLE = {BASELINE, FULL, "reform_midway"}


def single_reform_presets() -> list[str]:
    """One-city presets with exactly one policy entry, except the baseline and the packages."""
    return [
        p.name
        for p in list_presets()
        if not p.cities and p.name not in NOT_SINGLE and len(p.policy) == 1
    ]


def yearly_summaries(preset: str, seed: int, citizens: int, enterprises: int) -> list[dict]:
    """One run of three years: the summary outcomes at the end of year 1 and of year 3."""
    model = (
        load_preset(preset)
        .with_overrides({"n_citizens": citizens, "n_enterprises": enterprises})
        .build(seed)
    )
    rows, done = [], 0
    for year, day in YEARS.items():
        advance(model, day - done)
        done = day
        summary = model.summary()
        rows.append(
            {"preset": preset, "seed": seed, "year": year} | {o: summary[o] for o in OUTCOMES}
        )
    return rows


def run_all(
    presets: list[str], seeds: int, citizens: int, enterprises: int, workers: int
) -> pd.DataFrame:
    """Every preset x seed, on `workers` processes: one row per preset, seed and year."""
    jobs = [(p, s, citizens, enterprises) for p in presets for s in range(seeds)]
    with ProcessPoolExecutor(workers) as pool:
        parts = pool.map(yearly_summaries, *zip(*jobs, strict=True))
        return pd.DataFrame([row for part in parts for row in part])


def gains(runs: pd.DataFrame, singles: list[str]) -> pd.DataFrame:
    """Per reform, outcome and year: the mean paired gain over the baseline, its half-width, and
    the rank among the single reforms (1 = largest gain)."""
    base = runs[runs["preset"] == BASELINE].set_index(["seed", "year"])
    rows = []
    for preset in [*singles, FULL]:
        mine = runs[runs["preset"] == preset].set_index(["seed", "year"])
        for outcome in OUTCOMES:
            for year in YEARS:
                diff = (mine[outcome] - base[outcome]).xs(year, level="year").to_numpy()
                mean, low, high = t_interval(diff)
                half = (high - low) / 2 if not math.isnan(low) else math.nan
                rows.append(
                    {"preset": preset, "outcome": outcome, "year": year, "gain": mean, "half": half}
                )
    table = pd.DataFrame(rows)
    single = table["preset"] != FULL
    table["rank"] = np.nan
    ranked = table[single].groupby(["outcome", "year"])["gain"].rank(ascending=False, method="min")
    table.loc[single, "rank"] = ranked
    return table


def taus(table: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Kendall's tau (and its p-value) between the year-1 and year-3 ranks, per outcome."""
    out = {}
    for outcome in OUTCOMES:
        mine = table[(table["outcome"] == outcome) & table["rank"].notna()]
        wide = mine.pivot(index="preset", columns="year", values="rank")
        result = kendalltau(wide[1], wide[3])
        out[outcome] = (float(result.statistic), float(result.pvalue))
    return out


def layout(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Header and rows: per reform, each outcome's gain and rank at year 1 and year 3."""
    header = ["reform"]
    for label in OUTCOMES.values():
        for year in YEARS:
            header += [f"{label} y{year} gain", "rank"]
    body = []
    for preset in table["preset"].unique():
        cells = [preset]
        for outcome in OUTCOMES:
            for year in YEARS:
                row = table[
                    (table["preset"] == preset)
                    & (table["outcome"] == outcome)
                    & (table["year"] == year)
                ].iloc[0]
                cells.append(f"{row['gain']:+.4f} ± {row['half']:.4f}")
                cells.append("-" if math.isnan(row["rank"]) else str(int(row["rank"])))
        body.append(cells)
    return header, body


def show(table: pd.DataFrame, as_markdown: bool, settings: str) -> str:
    header, body = layout(table)
    tau = taus(table)
    notes = [
        f"{settings}; gain = reform - baseline, paired per seed, mean ± 95% t half-width;"
        f" rank among the {int(table['rank'].max())} single reforms (1 = largest gain;"
        f" {FULL} not ranked)",
        *(
            f"Kendall's tau, year-1 vs year-3 ranks, {label}:"
            f" {tau[o][0]:+.3f} (p = {tau[o][1]:.3g})"
            for o, label in OUTCOMES.items()
        ),
    ]
    if as_markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join([*lines, "", *(f"- {n}" for n in notes)])
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(header), *(line(c) for c in body), "", *notes])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3, help="Seeds (replicates) per preset")
    ap.add_argument("--citizens", type=int, default=20_000, help="n_citizens of every run")
    ap.add_argument("--enterprises", type=int, default=1_000, help="n_enterprises of every run")
    ap.add_argument("--workers", type=int, default=2, help="Worker processes")
    ap.add_argument("--markdown", action="store_true", help="Print a Markdown table")
    args = ap.parse_args()
    if args.seeds < 2:
        ap.error("--seeds must be at least 2 (an interval needs two)")
    singles = single_reform_presets()
    runs = run_all(
        [BASELINE, *singles, FULL], args.seeds, args.citizens, args.enterprises, args.workers
    )
    settings = (
        f"{args.seeds} seeds (0 to {args.seeds - 1}), {args.citizens:,} citizens and"
        f" {args.enterprises:,} enterprises, summaries at day {YEARS[1]} and day {YEARS[3]}"
    )
    print(show(gains(runs, singles), args.markdown, settings))


if __name__ == "__main__":
    main()
