"""City competition: logit choice, conservation of firms and residents, and its headline claims."""

from __future__ import annotations

import functools
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, chisquare, ttest_1samp

from agents import Citizen, Enterprise
from model import CityModel, Parameters
from model.city import CitySpec
from model.competition import (
    choose,
    firm_utilities,
    logit_probabilities,
    resident_utilities,
)
from scenarios import load_preset
from scenarios.loader import CityPlan
from world.interventions import build_intervention
from world.parameters import RegionParameters

SMALL = {"n_citizens": 6000, "n_enterprises": 300}


# --- the choice model ---------------------------------------------------------------------------
def test_logit_probabilities_match_the_formula_by_hand() -> None:
    # V = (1, 2, 3): p_j = e^j / (e + e^2 + e^3) = (0.0900, 0.2447, 0.6652)
    p = logit_probabilities(np.array([1.0, 2.0, 3.0]))
    assert p == pytest.approx([0.09003057, 0.24472847, 0.66524096], abs=1e-8)
    # adding a constant changes nothing; huge utilities do not overflow
    assert logit_probabilities(np.array([1001.0, 1002.0, 1003.0])) == pytest.approx(p)


def test_firm_utilities_by_hand() -> None:
    rp = RegionParameters(
        beta_environment=2.0,
        beta_market=1.0,
        beta_tax=10.0,
        firm_inertia=3.0,
        firm_moving_cost=1.0,
        startup_home_bias=0.5,
    )
    image = np.array([0.4, 0.8])
    market = np.array([0.0, math.log(2.0)])
    tax = np.array([0.25, 0.20])
    # a firm in city 0 that rates its own city 0.5:
    # V0 = 2*0.5 + 0 - 2.5 + 3 = 1.5 ; V1 = 2*0.8 + ln 2 - 2.0 - 1 = -1.4 + ln 2
    v = firm_utilities(np.array([0.5]), np.array([0]), image, market, tax, rp)
    assert v[0] == pytest.approx([1.5, -1.4 + math.log(2.0)])
    p_move = 1 / (1 + math.exp(1.5 - (-1.4 + math.log(2.0))))
    assert logit_probabilities(v)[0, 1] == pytest.approx(p_move)
    # a founder from city 1 judges both by their image, with a home bias
    f = firm_utilities(np.zeros(1), np.array([1]), image, market, tax, rp, founding=True)
    assert f[0] == pytest.approx([0.8 - 2.5, 1.6 + math.log(2.0) - 2.0 + 0.5])


def test_resident_utilities_by_hand() -> None:
    rp = RegionParameters(beta_jobs=2.0, beta_service=3.0, resident_inertia=4.0)
    v = resident_utilities(np.array([1]), np.array([0.5, 0.7]), np.array([0.1, -0.1]), rp)
    assert v[0] == pytest.approx([2 * 0.1 + 1.5 - 1.0, -0.2 + 2.1 + 4.0])


@pytest.mark.parametrize("firms", [0, 1, 7])
@pytest.mark.parametrize("founding", [False, True])
def test_utilities_are_the_whole_matrix_formula_bit_for_bit(firms, founding) -> None:
    """The cell-by-cell utilities give the numbers of the matrix expressions they replaced,
    bit for bit (the model's choices and golden files depend on it), with odd parameters."""
    rng = np.random.default_rng(firms + 10 * founding)
    k = 4
    rp = RegionParameters(
        beta_environment=1.3,
        beta_market=0.7,
        beta_tax=3.1,
        firm_inertia=0.9,
        firm_moving_cost=1.7,
        startup_home_bias=0.4,
        beta_jobs=1.1,
        beta_service=2.3,
        resident_inertia=0.6,
        resident_moving_cost=0.35,
    )
    view, current = rng.random(firms), rng.integers(0, k, firms)
    image, market, tax = rng.random(k), rng.normal(size=k), rng.random(k) * 0.3
    here = np.zeros((firms, k), dtype=bool)
    here[np.arange(firms), current] = True
    env = np.broadcast_to(image, (firms, k)).copy()
    if not founding:
        env[here] = view
    v = rp.beta_environment * env + rp.beta_market * market - rp.beta_tax * tax
    if founding:
        matrix = v + rp.startup_home_bias * here
    else:
        matrix = v + rp.firm_inertia * here - rp.firm_moving_cost * ~here
    got = firm_utilities(view, current, image, market, tax, rp, founding=founding)
    assert got.shape == (firms, k) and got.dtype == np.float64
    assert np.array_equal(got, matrix)
    jobs = rng.normal(size=k)
    base = rp.beta_jobs * jobs + rp.beta_service * image
    residents = base[None, :] + rp.resident_inertia * here - rp.resident_moving_cost * ~here
    assert np.array_equal(resident_utilities(current, image, jobs, rp), residents)


def test_choose_draws_with_the_given_probabilities() -> None:
    p = np.array([0.2, 0.5, 0.3])
    n = 20_000
    picks = choose(np.tile(p, (n, 1)), np.random.default_rng(5))
    counts = np.bincount(picks, minlength=3)
    # Chi-square goodness of fit at alpha = 0.001: a correct sampler fails 1 time in 1000.
    assert chisquare(counts, n * p).pvalue > 0.001


def test_one_row_with_n_draws_is_n_copies_of_the_row() -> None:
    """Founders (and residents) of one city weigh the cities alike: drawing n times from their
    one row must give exactly what the n-row matrix gave, so the model's draws are unchanged."""
    p = logit_probabilities(np.array([0.3, -1.2, 2.0]))
    tiled = choose(np.tile(p, (500, 1)), np.random.default_rng(9))
    single = choose(p, np.random.default_rng(9), 500)
    assert np.array_equal(tiled, single)
    assert len(set(single.tolist())) == 3  # the draws do differ: the comparison is not empty


# --- one city is one city -----------------------------------------------------------------------
def test_a_one_city_model_is_the_same_whichever_way_it_is_built(catalogue) -> None:
    params = Parameters(**SMALL)
    policy = [{"type": "one_stop", "start": 10}]
    plain = CityModel(params, catalogue, [build_intervention(d) for d in policy], rng=4)
    spec = CitySpec("city", params, catalogue, [build_intervention(d) for d in policy])
    listed = CityModel(cities=[spec], rng=4)
    for _ in range(120):
        plain.step()
        listed.step()
    pd.testing.assert_frame_equal(plain.timeseries(), listed.timeseries())


def test_the_first_city_of_a_region_runs_as_it_would_alone_until_firms_move(catalogue) -> None:
    """Spawning streams city by city: city 0 of a region starts exactly like the city alone."""
    params = Parameters(**SMALL)
    alone = CityModel(params, catalogue, [], rng=9)
    pair = CityModel(
        cities=[CitySpec("a", params, catalogue), CitySpec("b", params, catalogue)], rng=9
    )
    for col in ("digital", "patience", "expectation", "margin"):
        np.testing.assert_array_equal(
            alone.enterprises.column(col), pair.cities[0].enterprises.column(col)
        )
    first, second = (c.citizens.column("expectation") for c in pair.cities)
    np.testing.assert_array_equal(alone.citizens.column("expectation"), first)
    assert not np.array_equal(first, second)


# --- conservation -------------------------------------------------------------------------------
@pytest.mark.parametrize("preset", ["two_cities", "three_cities"])
def test_no_firm_or_resident_is_lost_or_duplicated(preset) -> None:
    # Fast movers, so that many moves happen in a short run.
    p = load_preset(preset).with_overrides(
        {
            **SMALL,
            "firm_review_rate": 6.0,
            "resident_review_rate": 2.0,
            "firm_inertia": 0.5,
            "resident_inertia": 0.5,
        }
    )
    m = p.build(seed=2)
    firms = [c.enterprises.n_active for c in m.cities]
    people = [c.citizens.n_active for c in m.cities]
    total_people = sum(people)
    moved = 0
    for _ in range(150):
        m.step()
        d = m.day
        ins = outs = 0
        for k, c in enumerate(m.cities):
            t = c.ledger.tally
            births, exits = t["firm_births"][d], t["firm_exits"][d]
            f_in, f_out = t["firm_moves_in"][d], t["firm_moves_out"][d]
            r_in, r_out = t["resident_moves_in"][d], t["resident_moves_out"][d]
            now = c.enterprises.n_active
            assert births - exits + f_in - f_out - (now - firms[k]) == 0, (c.name, d)
            assert r_in - r_out - (c.citizens.n_active - people[k]) == 0, (c.name, d)
            firms[k], people[k] = now, c.citizens.n_active
            ins += f_in + r_in
            outs += f_out + r_out
            moved += f_in + r_in
            # every active row has exactly one agent, and the agent points back at it
            pools = ((c.enterprises, c.enterprise_agents), (c.citizens, c.citizen_agents))
            for pool, agents in pools:
                for row in pool.active_indices()[:50].tolist():
                    a = agents[row]
                    assert a is not None and a.pool is pool and a.row == row and a.city is c
        assert ins == outs
        assert sum(people) == total_people
        n_firm_agents = sum(1 for a in m.agents_by_type[Enterprise] if a.active)
        assert n_firm_agents == sum(firms)
        assert len(m.agents_by_type[Citizen]) == total_people
    assert moved > 100


# --- budget -------------------------------------------------------------------------------------
def test_a_city_cannot_spend_what_it_does_not_have(catalogue) -> None:
    poor = Parameters(**SMALL, reform_reserve=0.0, reform_budget_share=0.001)
    policy = [build_intervention({"type": "online_24_7"})]
    m = CityModel(poor, catalogue, policy, rng=0)
    for _ in range(60):
        m.step()
        assert m.government.reform_fund >= 0
    assert m.env.online_share == 0.0  # never started
    assert m.government.events[0][1:] == ("online_24_7", "start deferred: reform fund short")
    assert m.government.reform_spending == 0


def test_a_reform_is_suspended_when_the_fund_runs_dry_and_resumes(catalogue) -> None:
    # Enough to start, too little income to keep paying: suspended, then resumed as tax comes in.
    # (Resumes as soon as a day can be paid: no cushion.)
    params = Parameters(
        **SMALL, reform_reserve=5_000.0, reform_budget_share=0.002, reform_resume_days=1.0
    )
    policy = [build_intervention({"type": "feedback", "setup_cost": 1000.0, "daily_cost": 2000.0})]
    m = CityModel(params, catalogue, policy, rng=0)
    for _ in range(40):
        m.step()
        assert m.government.reform_fund >= -1e-9
    kinds = [what for _, _, what in m.government.events]
    assert kinds[0] == "started"
    assert "suspended: reform fund empty" in kinds
    assert "resumed" in kinds


def test_a_cushion_before_resuming_stops_a_reform_flipping_day_by_day(catalogue) -> None:
    """A reform the fund cannot sustain waits for `reform_resume_days` of running cost before it
    resumes, so it is suspended a few times, not every other day; resuming costs no relearning."""
    policy = [build_intervention({"type": "one_stop", "setup_cost": 1000.0, "daily_cost": 2000.0})]

    def events(cushion: float) -> tuple[int, int]:
        params = Parameters(
            **SMALL, reform_reserve=5_000.0, reform_budget_share=0.002, reform_resume_days=cushion
        )
        m = CityModel(params, catalogue, policy, rng=0)
        for _ in range(200):
            m.step()
        kinds = [what for _, _, what in m.government.events]
        return kinds.count("suspended: reform fund empty"), m.env.disruptions

    flips, disruptions = events(1.0)
    calm, _ = events(30.0)
    assert flips > 5 and calm < flips / 3, (flips, calm)
    assert disruptions == 1  # one start, however often it resumed


# --- the claims ---------------------------------------------------------------------------------
REPLICATES = 10


def _share(m: CityModel) -> float:
    a, b = (c.enterprises.n_active for c in m.cities)
    return a / (a + b)


@functools.cache
def _symmetric_shares() -> tuple[float, ...]:
    p = load_preset("symmetric_cities").with_overrides(SMALL)
    out = []
    for seed in range(12):
        m = p.build(seed)
        for _ in range(730):
            m.step()
        out.append(_share(m))
    return tuple(out)


@pytest.mark.slow
def test_symmetric_cities_keep_equal_shares() -> None:
    shares = np.array(_symmetric_shares())
    # No systematic difference: a two-sided t-test does not reject equal shares at 1%, and the
    # mean share is within 0.03 of one half (an equivalence margin: 3 points of the firm stock,
    # several standard errors of 12 replicates whose shares spread by about 0.02).
    assert ttest_1samp(shares, 0.5).pvalue > 0.01, shares
    assert abs(shares.mean() - 0.5) < 0.03, shares


# The preset's own size: a reform moves a city's share of firms by a point or two in three years
# (registrations +4-5 %, firms seldom relocate), which 300 firms a city cannot resolve.
COMPETING = {"n_citizens": 20000, "n_enterprises": 1000}


@functools.cache
def _reform_then_stop() -> tuple[tuple[dict, dict], ...]:
    """Paired runs: the reformer keeps reforming, or stops after one year (end = 365)."""
    keep = load_preset("two_cities").with_overrides(COMPETING)
    ref = keep.cities[0]
    stopping = CityPlan(
        ref.name,
        ref.parameters,
        tuple(build_intervention({**i.to_dict(), "end": 365}) for i in ref.policy),
    )
    stop = replace(keep, cities=(stopping, keep.cities[1]))
    out = []
    for seed in range(REPLICATES):
        pair = []
        for arm in (keep, stop):
            m = arm.build(seed)
            share = {}
            for _ in range(1095):
                m.step()
                if m.day in (364, 729, 1094):
                    share[m.day] = _share(m)
            image = m.competition.business_image
            pair.append({"share": share, "image_lead": float(image[0] - image[1])})
        out.append(tuple(pair))
    return tuple(out)


def _sign_test(wins: int, n: int) -> float:
    return binomtest(wins, n, 0.5, alternative="greater").pvalue


@pytest.mark.slow
def test_the_reformer_gains_firms_against_the_laggard() -> None:
    runs = _reform_then_stop()
    # After one year and after three, the reformer holds more than half of the firms: a one-sided
    # sign test over paired replicates (9 of 10 needed for p <= 0.05).
    for day in (364, 1094):
        wins = sum(keep["share"][day] > 0.5 for keep, _ in runs)
        assert _sign_test(wins, len(runs)) <= 0.05, (day, [k["share"] for k, _ in runs])


@pytest.mark.slow
def test_a_city_that_stops_reforming_loses_its_lead() -> None:
    runs = _reform_then_stop()
    keep_gain = np.array([k["share"][1094] - k["share"][729] for k, _ in runs])
    stop_gain = np.array([s["share"][1094] - s["share"][729] for _, s in runs])
    # 1. It stops gaining firms: in the third year its share grows less than if it had kept on
    #    reforming, in (nearly) every pair (sign test).
    assert _sign_test(int((stop_gain < keep_gain).sum()), len(runs)) <= 0.05
    # 2. Its image lead is gone: the one who kept reforming leads by a wide margin in every
    #    replicate, the one who stopped ends no better than the laggard (image leads are means
    #    over thousands of firms, so 0.1 is far outside their noise of about 0.03). It may end
    #    below it: its firms have come to expect reformed service on every dimension, and the
    #    old service now disappoints them more than the laggard's firms, who never knew better.
    assert all(k["image_lead"] > 0.15 for k, _ in runs)
    assert all(s["image_lead"] < 0.1 for _, s in runs)
    assert np.mean([s["image_lead"] for _, s in runs]) < 0.05


def test_back_to_back_windows_of_one_policy_stay_on(catalogue) -> None:
    """One window ends the day the next begins, whatever their order in the package."""
    policy = [
        build_intervention({"type": "transparency", "start": 10, "end": 20}),
        build_intervention({"type": "transparency", "start": 0, "end": 10}),
    ]
    m = CityModel(Parameters(**SMALL), catalogue, policy, rng=0)
    for _ in range(25):
        m.step()
        expected = 1.0 if m.day < 20 else 0.0
        assert m.env.transparency == expected, m.day
