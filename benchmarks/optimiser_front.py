"""Does `govsim optimise` find the exact Pareto front? (optimiser against enumeration)

Run: `python benchmarks/optimiser_front.py [--reforms 12] [--citizens 1000] [--days 180]
[--seeds 1] [--share 0.10] [--repeats 5] [--sampler nsga2|tpe] [--population 20] [--workers 2]
[--simulate] [--fresh]`.

The problem is small enough to enumerate: `--reforms` on/off levers (the first K of REFORMS, each
at intensity 1 from day 0), a city of `--citizens` residents for `--days` days, `--seeds` common
seeds, the reference state of the world, two objectives (citizens' satisfaction, maximised; cost
per case, minimised: reforms please citizens but cost money), and a budget that affords every
package (so the front is about the objectives, not the constraint). Every one of the 2^K packages
is evaluated once, with the optimiser's own code (`simulate_package` for each run, `evaluate` for
the package's objectives), and stored in `results/benchmarks/optimiser_front/K.../`
(`exhaustive.parquet`, one row per package; the exact front as `exact_front.parquet` and
`exact_front.csv`; the runs, reused by the next call unless `--fresh`).

The default is all twelve reforms, 2^12 = 4,096 packages: on an idle 2-core machine a run of
1,000 residents for 180 days takes 0.2-0.3 s of CPU, and the enumeration took 619 s on two
workers, each search of 409 packages about 67 s (16 minutes in all; the runs are cached, so a
second call takes only the searches). `--reforms 10` (1,024 packages) is the quicker check.

Then the optimiser (`experiments.optimise.optimise`, the sampler `govsim optimise` uses) runs on
the same spec with `trials` = `--share` x 2^K, `--repeats` times with sampler seeds 0, 1, ... Its
run folder is seeded with the enumeration's runs (the same run key: package, state, seed), so the
optimiser reads exactly the simulations the enumeration made rather than making them again;
`--simulate` makes it simulate its own instead (slower; the values must then agree, which the
script checks either way). Printed per seed: the hypervolume ratio (the optimiser's front over
the exact front, both against the same reference point: the worst value over all packages plus a
tenth of the range, each objective scaled by its range) and the evaluations (distinct packages
the optimiser simulated, out of 2^K); then the smallest and the median over the seeds. The
target is a ratio of at least 0.98 with at most 10% of the evaluations, on every seed.
"""

from __future__ import annotations

import argparse
import itertools
import math
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.evaluators import make_evaluator
from experiments.optimise import (
    DesignSpec,
    Package,
    _losses,
    _numbered,
    evaluate,
    nondominated,
    optimise,
    package_cost,
    package_runs,
    pareto_frame,
    resolve,
    trials_frame,
)

REFORMS = (
    "fewer_approvals",
    "transparency",
    "first_contact",
    "parallel_approval",
    "service_standards",
    "online_24_7",
    "reengineering",
    "one_stop",
    "feedback",
    "learning",
    "green_channel",
    "lean_staffing",
)
OBJECTIVES = {"satisfaction_citizens": "max", "cost_per_case": "min"}
CACHE = Path("results/benchmarks/optimiser_front")
TARGET_RATIO, TARGET_SHARE = 0.98, 0.10


def make_spec(
    k: int,
    citizens: int,
    days: int,
    seeds: int,
    trials: int,
    population: int,
    sampler_seed: int,
    sampler: str | None = None,
) -> DesignSpec:
    """The enumerable problem as a design spec (budget: exactly what every reform at once costs)."""
    levers = {key: {"intensity": (1.0, 1.0)} for key in REFORMS[:k]}
    base = {
        "description": f"benchmark: {k} on/off reforms, {citizens} residents, {days} days",
        "preset": "baseline",
        "days": days,
        "overrides": {"n_citizens": citizens, "n_enterprises": max(10, citizens // 20)},
        "levers": levers,
        "objectives": OBJECTIVES,
        "seeds": seeds,
        "trials": trials,
        "population": population,
        "sampler_seed": sampler_seed,
    }
    if sampler is not None:
        base["sampler"] = sampler
    probe = DesignSpec(**base, budget={"cny": 1.0})
    problem = resolve(probe)
    everything = Package(tuple((key, 1.0, 0) for key in levers))
    budget = math.ceil(package_cost(problem, everything)) + 1.0
    return DesignSpec(**base, budget={"cny": budget})


def all_packages(spec: DesignSpec) -> list[Package]:
    keys = list(spec.levers)
    return [
        Package(tuple((key, 1.0, 0) for key, on in zip(keys, mask, strict=True) if on))
        for mask in itertools.product([False, True], repeat=len(keys))
    ]


def enumerate_front(spec: DesignSpec, cache: Path, workers: int) -> pd.DataFrame:
    """Every package's objectives (the runs are stored in cache/runs and reused)."""
    from experiments.atomic import write_json

    problem = resolve(spec)
    outcomes = list(spec.objectives)
    runs_dir = cache / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    packages = all_packages(spec)
    found: dict[int, dict] = {}
    jobs = []
    for n, package in enumerate(packages):
        found[n], todo = package_runs(spec, problem, package, runs_dir)
        jobs += [((n, *where), item) for where, item in todo]
    if jobs:
        print(f"enumerating: {len(jobs)} runs to simulate on {workers} worker(s) ...", flush=True)
    with make_evaluator(workers, None) as ev:
        for done, result in enumerate(ev.map_unordered(_numbered, jobs), start=1):
            (n, s, seed), (key, run) = result
            write_json(runs_dir / f"{key}.json", run)
            found[n][(s, seed)] = run
            if done % 200 == 0:
                print(f"  {done}/{len(jobs)} runs", flush=True)
    rows = []
    for n, package in enumerate(packages):
        attrs = evaluate(problem, found[n])
        if attrs is None:
            raise SystemExit(f"package {package.label()}: an objective was not measured")
        chosen = {key for key, _, _ in package.reforms}
        row = {"package": package.label(), "cost": package_cost(problem, package)}
        row |= {key: key in chosen for key in spec.levers}
        row |= {name: attrs[name] for name in outcomes}
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.to_parquet(cache / "exhaustive.parquet", index=False)
    return frame


def reference(spec: DesignSpec, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The reference point and scale, from every package: worst + a tenth of the range."""
    losses = _losses(spec, frame)
    worst, best = losses.max(axis=0), losses.min(axis=0)
    span = np.where(worst > best, worst - best, 1.0)
    return worst + 0.1 * span, span


def hypervolume_of(spec: DesignSpec, frame: pd.DataFrame, point: np.ndarray, span: np.ndarray):
    from optuna._hypervolume import compute_hypervolume

    losses = _losses(spec, frame) / span
    r = point / span
    losses = losses[nondominated(losses)]
    inside = losses[np.all(losses < r, axis=1)]
    return float(compute_hypervolume(inside, r)) if len(inside) else 0.0


def run_optimiser(spec: DesignSpec, cache: Path, workers: int, simulate: bool) -> pd.DataFrame:
    """The optimiser's trials on `spec` (in a throw-away folder, seeded with the enumeration's
    runs unless `simulate`)."""
    with tempfile.TemporaryDirectory(prefix="optimiser_front_") as tmp:
        out = Path(tmp)
        if not simulate:
            shutil.copytree(cache / "runs", out / "runs")
        with make_evaluator(workers, None) as ev:
            study = optimise(spec, out, ev)
        return trials_frame(spec, study)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reforms", type=int, default=12, help="K: 2^K packages (2..12)")
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--share", type=float, default=TARGET_SHARE)
    parser.add_argument(
        "--sampler",
        choices=["nsga2", "tpe"],
        default=None,
        help="default: the spec's default, as govsim optimise uses it",
    )
    parser.add_argument("--population", type=int, default=None, help="default: the spec's default")
    parser.add_argument("--repeats", type=int, default=5, help="sampler seeds 0..R-1")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--simulate", action="store_true", help="the optimiser simulates anew")
    parser.add_argument("--fresh", action="store_true", help="forget the cached enumeration")
    args = parser.parse_args()
    if not 2 <= args.reforms <= len(REFORMS):
        raise SystemExit(f"--reforms: give 2..{len(REFORMS)}")
    n = 2**args.reforms
    trials = max(1, math.floor(args.share * n))
    population = args.population or DesignSpec.model_fields["population"].default
    spec = make_spec(
        args.reforms, args.citizens, args.days, args.seeds, trials, population, 0, args.sampler
    )
    cache = CACHE / f"k{args.reforms}_c{args.citizens}_d{args.days}_s{args.seeds}"
    if args.fresh and cache.exists():
        shutil.rmtree(cache)

    start = time.perf_counter()
    exact = enumerate_front(spec, cache, args.workers)
    took = time.perf_counter() - start
    point, span = reference(spec, exact)
    exact_hv = hypervolume_of(spec, exact, point, span)
    front = exact[nondominated(_losses(spec, exact))]
    front.to_parquet(cache / "exact_front.parquet", index=False)
    front.to_csv(cache / "exact_front.csv", index=False)
    print(
        f"exact: {n} packages x {args.seeds} seed(s) enumerated ({took:.0f} s; cached in"
        f" {cache}); {len(front)} on the exact front (exact_front.parquet, exact_front.csv);"
        f" hypervolume {exact_hv:.4f}"
    )
    if args.reforms < len(REFORMS):
        print(
            f"why 2^{args.reforms} and not 2^{len(REFORMS)}: on this machine (2 cores shared with"
            " other jobs) two workers made about 50 runs of 1,000 residents x 180 days a minute;"
            f" 2^{len(REFORMS)} = {2 ** len(REFORMS)} packages would take about 80 minutes, more"
            f" than the half hour allowed (--reforms {len(REFORMS)} runs it where there is time)"
        )
    print(
        f"optimiser: sampler {spec.sampler}, population {spec.population}, {trials} trials"
        f" (distinct packages) per seed"
    )

    by_label = exact.set_index("package")
    ratios, shares = [], []
    for repeat in range(args.repeats):
        spec_r = spec.model_copy(update={"sampler_seed": repeat})
        t0 = time.perf_counter()
        tried = run_optimiser(spec_r, cache, args.workers, args.simulate)
        secs = time.perf_counter() - t0
        evaluated = tried[tried["simulated"]].drop_duplicates(subset="package")
        # The same simulations: the optimiser's values must be the enumeration's.
        for name in spec.objectives:
            gap = np.abs(evaluated[name].to_numpy() - by_label.loc[evaluated["package"], name])
            if np.nanmax(gap.to_numpy()) > 1e-9:
                raise SystemExit(f"{name}: the optimiser's values differ from the enumeration's")
        found = pareto_frame(spec_r, tried)
        ratio = hypervolume_of(spec_r, found, point, span) / exact_hv
        share = len(evaluated) / n
        ratios.append(ratio)
        shares.append(share)
        on_exact = len(set(found["package"]) & set(front["package"]))
        print(
            f"sampler seed {repeat}: {verdict(ratio, len(evaluated), n)}; {len(tried)} trials"
            f" asked; {on_exact} of its {len(found)} front packages on the exact front of"
            f" {len(front)}; {secs:.0f} s"
        )
    if ratios:
        worst = int(np.argmin(ratios))
        print(
            f"over {args.repeats} sampler seeds: hypervolume ratio min {min(ratios):.4f}, median"
            f" {np.median(ratios):.4f}; evaluations max {max(shares):.1%}; the worst seed:"
            f" {verdict(ratios[worst], round(shares[worst] * n), n)}"
        )
    print(f"total {time.perf_counter() - start:.0f} s")


def verdict(ratio: float, evaluations: int, n: int) -> str:
    share = evaluations / n
    return (
        f"hypervolume ratio {ratio:.4f} (target {TARGET_RATIO}:"
        f" {'pass' if ratio >= TARGET_RATIO else 'MISS'}), evaluations {evaluations} of {n}"
        f" ({share:.1%}, target <= {TARGET_SHARE:.0%}:"
        f" {'pass' if share <= TARGET_SHARE + 1e-12 else 'MISS'})"
    )


if __name__ == "__main__":
    main()
