"""Issue 12's scale targets, each as a ratio measured in this run: `python benchmarks/scale.py`.

Every figure comes from a fresh one-thread process, so peak memory is that run's alone:
- the empty-Mesa agent-step rate: agents whose `step` does nothing, activated in random order
  by `model.agents.shuffle_do("step")` (Mesa's floor for per-agent work);
- a `baseline` city-year (build and 365 days; enterprises 5% of the citizens) at the small and
  the large size (full: 100,000 and 1,000,000 citizens; `--quick`: 30,000 and 300,000);
- one city and three identical cities of the small size, run back to back in each repeat, and
  the same two stepped in turns of `--turn` days in two processes built side by side.
Each is run `--repeats` times, interleaved, and the median taken: the machine is shared, so a
busy moment should hurt every measurement alike. The targets:
- large city-year at least 6x the empty-Mesa rate (citizen-days per second over that rate);
- large / small time and peak memory at most 10 (for 10x the citizens), and peak memory at
  most 1 GiB per million citizens;
- build at most 10% of a city-year, at each size;
- three cities at most 3.2x one city, from the turns: whole runs a few seconds apart read
  2.5-3.9 on the same code within minutes on this shared machine, while the turns put both
  models under the same load within a second (docs/performance.md); both are printed.

`--shanghai` runs instead a 25,000,000-resident, 1,250,000-firm `baseline` city for a year with
agent weight `--weight` (each agent stands for that many residents or firms; 25M/k citizen
agents) and prints its build and run time, peak memory and a few outcomes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import statistics
import subprocess
import sys
import time

FULL = (100_000, 1_000_000)
QUICK = (30_000, 300_000)
DAYS = 365
MESA_AGENTS, MESA_STEPS = 100_000, 20
SHANGHAI = {"n_citizens": 25_000_000, "n_enterprises": 1_250_000}
SHANGHAI_WEIGHT = 10
# every measured process runs numpy on one thread, as the model's batch workers do
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
TURN_DAYS = 30  # days each model runs in its turn: a turn starts with the other's data cached


def empty_mesa_rate(n: int, steps: int) -> dict:
    import mesa

    class Empty(mesa.Agent):
        def step(self) -> None:
            pass

    class Model(mesa.Model):
        def step(self) -> None:
            self.agents.shuffle_do("step")

    model = Model(rng=0)
    Empty.create_agents(model, n)
    t0 = time.perf_counter()
    for _ in range(steps):
        model.step()
    return {"rate": n * steps / (time.perf_counter() - t0)}


def build_model(n: int, cities: int, weight: int = 1):
    """A `baseline` city of n citizens (enterprises 5% of them), or `cities` identical ones."""
    from model import CityModel, Parameters
    from model.city import CitySpec
    from scenarios import load_catalogue, load_preset

    size = {"n_citizens": n, "n_enterprises": n // 20}
    if weight != 1:
        size["agent_weight"] = weight
    if cities == 1:
        return load_preset("baseline").with_overrides(size).build(0)
    cat, params = load_catalogue(), Parameters(**size)
    return CityModel(cities=[CitySpec(f"c{k}", params, cat) for k in range(cities)], rng=0)


def city_year(n: int, cities: int, days: int, weight: int = 1) -> dict:
    from experiments.one_run import advance

    t0, c0 = time.perf_counter(), time.process_time()
    model = build_model(n, cities, weight)
    t1 = time.perf_counter()
    advance(model, days)
    t2 = time.perf_counter()
    out = {
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "total_s": t2 - t0,
        "cpu_s": time.process_time() - c0,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if weight != 1:
        city = model.city
        out["agents"] = city.citizens.n_active + city.enterprises.n_active
        out["summary"] = {k: v for k, v in city.summary().items() if k in SHANGHAI_OUTCOMES}
    return out


SHANGHAI_OUTCOMES = (
    "residents",
    "enterprises",
    "firm_births_per_year",
    "cases_per_day",
    "days_per_case",
    "hours_queued_per_case",
    "satisfaction_citizens",
    "cost_per_case",
)


def shanghai(weight: int, days: int) -> None:
    n = SHANGHAI["n_citizens"]
    r = child({"kind": "city", "n": n, "cities": 1, "weight": weight}, days)
    print(
        f"Shanghai scale: {n:,} residents, {n // 20:,} firms, agent weight {weight}"
        f" ({r['agents']:,} agents at the end), {days} days, one thread"
    )
    print(
        f"  build {r['build_s']:.1f} s  run {r['run_s']:.1f} s  total {r['total_s']:.1f} s"
        f"  peak {r['peak_mib']:.0f} MiB  (CPU {r['cpu_s']:.1f} s: the machine is shared)"
    )
    for k, v in r["summary"].items():
        print(f"  {k:<28} {v:,.4g}")


def child(what: dict, days: int) -> dict:
    """One measurement in a fresh one-thread process."""
    env = {**os.environ, **ONE_THREAD}
    cmd = [sys.executable, __file__, "--child", json.dumps(what), "--days", str(days)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


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


def paired(n: int, cities: int, days: int, turn: int) -> tuple[float, float]:
    """(seconds for one city, seconds for `cities` cities), each its build and `days` days,
    the two models built side by side in fresh one-thread processes and stepped in turns of
    `turn` days, so a neighbour's load falls on both alike."""
    os.environ.update(ONE_THREAD)  # the spawned children inherit it before numpy loads
    ctx = mp.get_context("spawn")
    ends = []
    for k in (1, cities):
        parent, child_end = ctx.Pipe()
        proc = ctx.Process(target=_stepper, args=(child_end, n, k))
        proc.start()
        ends.append((parent, proc))
    totals = [parent.recv() for parent, _ in ends]
    done = 0
    while done < days:
        d = min(turn, days - done)
        for i, (parent, _) in enumerate(ends):
            parent.send(d)
            totals[i] += parent.recv()
        done += d
    for parent, proc in ends:
        parent.send(0)
        proc.join()
    return totals[0], totals[1]


def verdict(ok: bool) -> str:
    return "pass" if ok else "MISS"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="30,000 and 300,000 citizens")
    ap.add_argument("--repeats", type=int, default=1, help="median of this many runs each")
    ap.add_argument("--days", type=int, default=DAYS)
    ap.add_argument(
        "--turn", type=int, default=TURN_DAYS, help="days per turn of the paired three-city run"
    )
    ap.add_argument(
        "--shanghai", action="store_true", help="a 25M-resident city-year with agent weights"
    )
    ap.add_argument(
        "--weight", type=int, default=SHANGHAI_WEIGHT, help="agent weight of --shanghai"
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        what = json.loads(args.child)
        if what["kind"] == "mesa":
            print(json.dumps(empty_mesa_rate(MESA_AGENTS, MESA_STEPS)))
        else:
            out = city_year(what["n"], what["cities"], args.days, what.get("weight", 1))
            print(json.dumps(out))
        return
    if min(args.repeats, args.days, args.turn, args.weight) < 1:
        ap.error("--repeats, --days, --turn and --weight must be at least 1")
    if args.shanghai:
        shanghai(args.weight, args.days)
        return

    small, large = QUICK if args.quick else FULL
    # One city and three cities run back to back, so each repeat's ratio of the two is taken
    # at one moment of a shared machine's load (below).
    jobs = {
        "mesa": {"kind": "mesa"},
        "large": {"kind": "city", "n": large, "cities": 1},
        "small": {"kind": "city", "n": small, "cities": 1},
        "three": {"kind": "city", "n": small, "cities": 3},
    }
    runs: dict[str, list[dict]] = {k: [] for k in jobs}
    turns: list[float] = []  # three cities / one, stepped in turns
    for _ in range(args.repeats):  # interleaved
        for name, what in jobs.items():
            runs[name].append(child(what, args.days))
        one, three = paired(small, 3, args.days, args.turn)
        turns.append(three / one)

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    rate = med("mesa", "rate")
    mode = "quick" if args.quick else "full"
    print(
        f"issue 12 targets ({mode}: {small:,} and {large:,} citizens, {args.days} days,"
        f" median of {args.repeats}; one thread per run on a shared machine)"
    )
    print(f"empty Mesa agent step: {rate / 1e6:.2f} M agent-steps/s")
    for name, n in (("small", small), ("large", large), ("three", small)):
        label = f"{n:,} citizens" + (" x 3 cities" if name == "three" else "")
        print(
            f"  {label:<28} build {med(name, 'build_s'):6.2f} s  run {med(name, 'run_s'):6.2f} s"
            f"  total {med(name, 'total_s'):6.2f} s  peak {med(name, 'peak_mib'):6.0f} MiB"
        )
    rows = []
    speed = args.days * large / med("large", "total_s") / rate
    rows.append((f"{large:,}-citizen city-year vs empty-Mesa rate", speed, ">= 6", speed >= 6))
    t_ratio = med("large", "total_s") / med("small", "total_s")
    rows.append(("time large / small (10x citizens)", t_ratio, "<= 10", t_ratio <= 10))
    m_ratio = med("large", "peak_mib") / med("small", "peak_mib")
    rows.append(("peak memory large / small", m_ratio, "<= 10", m_ratio <= 10))
    gib_per_m = med("large", "peak_mib") / 1024 / (large / 1e6)
    # The target is set for a city of 1,000,000: below that, the interpreter and its libraries
    # (about 150 MiB, whatever the city) make the figure per million larger.
    per_m_ok = gib_per_m <= 1 if large >= 1_000_000 else None
    rows.append(("peak GiB per million citizens", gib_per_m, "<= 1", per_m_ok))
    for name, n in (("small", small), ("large", large)):
        share = med(name, "build_s") / med(name, "total_s")
        rows.append((f"build share of a city-year, {n:,}", share, "<= 0.10", share <= 0.10))
    # The median of each repeat's ratio, from the turns; a neighbour's load slows three cities
    # more than one (their data outgrows a shared cache: docs/performance.md), so each repeat
    # and the whole runs' ratios are printed too.
    pairs = [t["total_s"] / o["total_s"] for t, o in zip(runs["three"], runs["small"], strict=True)]
    three = statistics.median(turns)
    rows.append((f"three cities of {small:,} / one city", three, "<= 3.2", three <= 3.2))
    for label, value, target, ok in rows:
        word = verdict(ok) if ok is not None else "(the target is for 1,000,000 citizens)"
        print(f"{label:<52} {value:8.3f}  target {target:<8} {word}")
    rates = [r["rate"] / 1e6 for r in runs["mesa"]]
    busy = max(rates) > 1.15 * min(rates)  # arithmetic: beyond a quiet machine's spread
    print(
        f"  three cities / one in turns of {args.turn} days: "
        + ", ".join(f"{x:.2f}" for x in turns)
        + f"; in whole runs one after the other: {', '.join(f'{x:.2f}' for x in pairs)}"
        + f" (median {statistics.median(pairs):.2f})"
    )
    print(
        f"  empty Mesa {min(rates):.2f}-{max(rates):.2f} M agent-steps/s"
        + (" (the machine's load changed during the run)" if busy else "")
    )


if __name__ == "__main__":
    main()
