"""Direction tests: each reform moves its outcome the way the essay says, on paired seeds.

Design. Replicate i runs with seed i in both arms (common random numbers): the two cities have
the same citizens, firms, networks, staff and request stream, and differ only by what the policy
does once it is on, so the within-pair difference carries the policy's effect without the
between-city noise.

Statistic. A one-sided exact sign test on the paired summaries (scipy.stats.binomtest), asking
for p <= 0.05. With REPLICATES = 10 that means at least 9 of the 10 pairs in the claimed
direction (9/10: p = 0.011; 8/10: p = 0.055). Ties count against the claim: a tie means the
policy did nothing in that pair. Why the sign test and not a paired t-test: the outcomes are
ratios over a few hundred cases in a 90-day window (rates near 0, per-case counts, queue hours
that blow up when a counter saturates), so their differences are skewed and occasionally
extreme, and normality cannot be checked on 10 pairs; the sign test assumes nothing about their
distribution, is unchanged by any monotone transform of the outcome, and is not carried by one
wild pair. Why 10 replicates rather than 5: with 5 only 5/5 is significant (p = 1/32), so a
single odd pair would fail a real effect; a 5000-citizen, 200-day run takes about 0.2 s, so 10
pairs cost little.
"""

from __future__ import annotations

import functools
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, wilcoxon

from experiments.one_run import run_simulation
from model import Parameters
from scenarios import load_preset

REPLICATES = 10
SEEDS = tuple(range(REPLICATES))
DAYS = 200  # the summary reads the last 90 days: days 110-199, well after every start at day 0
CITY = (("n_citizens", 5000), ("n_enterprises", 250))  # enterprises: 5% of citizens
# Staffing claims need offices with more than the minimum of one full-time counter, or there is
# nothing to cut and nobody waits long enough to be overtaken: a city of 30,000 has that.
STAFFED = (("n_citizens", 30000), ("n_enterprises", 1500))
BUSY = (*STAFFED, ("staffing_utilisation", 0.85))  # counters sized for 85% load, not 70%
ALPHA = 0.05

pytestmark = pytest.mark.slow  # every test here runs tens of simulations (seconds each test)


class Run(NamedTuple):
    summary: dict[str, float]
    series: pd.DataFrame


@functools.cache
def _preset(name: str):
    return load_preset(name)


@functools.cache
def _runs(
    preset: str,
    extra: tuple[tuple[str, float], ...] = (),
    days: int = DAYS,
    seeds: tuple[int, ...] = SEEDS,
) -> tuple[Run, ...]:
    """One run per replicate of `preset` in the test city; cached, since runs are pure."""
    chosen = _preset(preset).with_overrides(dict(CITY + extra))
    results = (run_simulation(chosen, days, seed) for seed in seeds)
    return tuple(Run(r.summary, r.timeseries()) for r in results)


def _values(runs: tuple[Run, ...], outcome: str) -> np.ndarray:
    return np.array([r.summary[outcome] for r in runs])


def assert_direction(
    outcome: str,
    direction: Literal["lower", "higher"],
    base: np.ndarray,
    arm: np.ndarray,
    what: str,
    signed_rank: bool = False,
) -> None:
    """One-sided exact sign test on paired values; ties and NaN count against the claim.

    `signed_rank`: the one-sided Wilcoxon signed-rank test instead, for a modest effect. The
    sign test counts a pair that barely moves the wrong way as much as one that moves far the
    right way, and with a per-pair win rate near 0.8 it has little power (at 10 pairs, 9/10 wins
    happen only 38 % of the time). The signed-rank test weighs each pair by the size of its
    difference; it assumes the differences symmetric about their median, which paired runs of
    the same city on the same seed make plausible."""
    diff = arm - base if direction == "higher" else base - arm
    wins = int(np.sum(diff > 0))
    if signed_rank:
        p, test = wilcoxon(diff, alternative="greater").pvalue, "signed-rank"
    else:
        p, test = binomtest(wins, len(diff), 0.5, alternative="greater").pvalue, "sign test"
    assert p <= ALPHA, (
        f"{what}: {outcome} {direction} in only {wins}/{len(diff)} pairs ({test} p={p:.3f})"
        f"\n  baseline: {np.round(base, 4).tolist()}\n  policy:   {np.round(arm, 4).tolist()}"
    )


def check_claim(
    policy: str,
    outcome: str,
    direction: Literal["lower", "higher"],
    extra: tuple[tuple[str, float], ...] = (),
    days: int = DAYS,
    seeds: tuple[int, ...] = SEEDS,
    signed_rank: bool = False,
) -> None:
    base = _values(_runs("baseline", extra, days, seeds), outcome)
    arm = _values(_runs(policy, extra, days, seeds), outcome)
    assert_direction(outcome, direction, base, arm, f"{policy} vs baseline", signed_rank)


# Claims of the issue: (preset, outcome, direction against the baseline). Each single-policy
# preset is the baseline plus that one policy at intensity 1 from day 0.
CLAIMS = [
    ("one_stop", "trips_per_case", "lower"),
    ("online_24_7", "trips_per_case", "lower"),
    ("fewer_approvals", "procedures_per_case", "lower"),
    ("parallel_approval", "days_per_case", "lower"),
    ("transparency", "informal_payment_rate", "lower"),
    ("transparency", "informal_demand_rate", "lower"),
    ("transparency", "document_returns_per_case", "lower"),
    ("service_standards", "civil_servant_courtesy", "higher"),
    ("learning", "civil_servant_skill", "higher"),
    ("full_reform", "satisfaction_citizens", "higher"),
    ("full_reform", "satisfaction_enterprises", "higher"),
    # The defining mechanisms in DESIGN.md's policy table, for the two policies the issue
    # lists no claim for: re-engineering cuts lead times; acted-on complaints deter demands.
    ("reengineering", "days_per_case", "lower"),
]


@pytest.mark.parametrize(
    ("policy", "outcome", "direction"), CLAIMS, ids=[f"{p}-{o}" for p, o, _ in CLAIMS]
)
def test_policy_moves_outcome(policy, outcome, direction) -> None:
    check_claim(policy, outcome, direction)


def test_feedback_lowers_informal_demands() -> None:
    # Acted-on reports of demands get servants disciplined and make the rest weigh detection
    # (docs/model.md §7.11, §7.13). The effect is modest by design (Olken 2007) and builds up
    # through rare sanctions, each keeping a servant off the take for half a year: in a city of
    # 5,000 over 200 days half the pairs see none at all and tie, and in a city of 30,000 the
    # first year's effect (about -7 %) is within the noise of a 90-day window. Over two years
    # (summary: the last 180 days) sanctions have added up to about -15 %, in about 4 pairs of
    # 5: 20 pairs and the signed-rank test (power about 0.98 at that effect; a sign test on 10
    # pairs had 0.38).
    extra = (*STAFFED, ("summary_window_days", 180))
    seeds = tuple(range(20))
    check_claim("feedback", "informal_demand_rate", "lower", extra, 730, seeds, signed_rank=True)


def test_lean_staffing_lengthens_queues() -> None:
    check_claim("lean_staffing", "hours_queued_per_case", "higher", STAFFED)


def test_first_contact_removes_every_bounce() -> None:
    # At intensity 1 the bounce probability is bounce_prob * (1 - 1) = 0: exact, not statistical.
    base = _values(_runs("baseline"), "bounces_per_case")
    arm = _values(_runs("first_contact"), "bounces_per_case")
    assert (base > 0).all(), base
    assert (arm == 0.0).all(), arm


def test_learning_skill_grows_within_the_run() -> None:
    # Within the learning city the skill of staff on duty at the end is above its day-10 level,
    # in (nearly) every replicate: the same sign test, pairing day 10 and day 199 of one run.
    runs = _runs("learning")
    day10 = np.array(
        [r.series.loc[r.series["day"] == 10, "civil_servant_skill"].item() for r in runs]
    )
    end = _values(runs, "civil_servant_skill")
    assert_direction("civil_servant_skill", "higher", day10, end, "learning, day 199 vs day 10")


# --- green channel: needs busy counters -----------------------------------------------------
# A priority lane only matters when visits wait: with idle counters nobody is overtaken. The
# tests therefore raise the load by sizing staff for 85% utilisation (BUSY) - and first check
# that this does make the counters busier, or the green-channel tests would prove nothing.
def test_high_staffing_utilisation_makes_counters_busier() -> None:
    base = _values(_runs("baseline", STAFFED), "hours_queued_per_case")
    busy = _values(_runs("baseline", BUSY), "hours_queued_per_case")
    assert_direction("hours_queued_per_case", "higher", base, busy, "utilisation 0.85 vs 0.7")


def test_green_channel_cuts_enterprises_queueing() -> None:
    # Queue hours, not days, are what the priority lane acts on directly (days move only when a
    # visit would otherwise be held over to the next working day).
    check_claim("green_channel", "hours_queued_enterprises", "lower", BUSY)


def test_green_channel_makes_citizens_wait_longer() -> None:
    # 一视同仁 lost: every enterprise visit moved forward pushes citizens' visits back.
    check_claim("green_channel", "hours_queued_citizens", "higher", BUSY)


# --- calibration ----------------------------------------------------------------------------
def _calibration(preset: str, outcome: str) -> float:
    # The mean over replicates, not each replicate: start_business_days is, per run, the median
    # of only the 5-15 start-ups finished in the 90-day window, so one run's figure scatters by
    # several days around the model's value. The calibration target is the model's expected
    # figure (what the city would report on average), and the mean over seeds estimates exactly
    # that; demanding every seed fall in the band would test the sampling noise instead.
    return float(np.mean(_calibration_runs(preset)[outcome]))


@functools.cache
def _calibration_runs(preset: str) -> pd.DataFrame:
    chosen = _preset(preset)
    # the default city (a reform package may bring its own budget, which changes nothing else)
    budget = {"reform_reserve", "reform_budget_share"}
    assert chosen.parameters.model_dump(exclude=budget) == Parameters().model_dump(exclude=budget)
    assert chosen.days == 365
    return pd.DataFrame([run_simulation(chosen, seed=seed).summary for seed in range(3)])


def test_calibration_baseline_start_business() -> None:
    procedures = _calibration("baseline", "start_business_procedures")
    days = _calibration("baseline", "start_business_days")
    assert 12 <= procedures <= 14, procedures
    assert 30 <= days <= 50, days


def test_calibration_full_reform_start_business() -> None:
    procedures = _calibration("full_reform", "start_business_procedures")
    days = _calibration("full_reform", "start_business_days")
    assert 3 <= procedures <= 5, procedures
    # DB2019, Shanghai: 4 procedures, 9 days; the remaining steps need each other's output
    assert 7 <= days <= 11, days
