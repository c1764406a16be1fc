"""Judging finished cases (model/satisfaction.py): the satisfaction formula, expectations, the
nominal burden, and CaseJudge.evaluate on cases made by hand."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest

from model import CityModel, Parameters
from model.case import ABANDONED, CITIZEN, COMPLETED, ENTERPRISE, Case
from model.city import City
from model.day_record import TALLY_NAMES, DayRecord
from model.satisfaction import CaseJudge, case_satisfaction, expectation_offset, nominal_burden
from world.calendar import DAYS_PER_YEAR
from world.catalogue import ApprovalSpec, ServiceSpec

TINY = {"n_citizens": 200, "n_enterprises": 20}


def _sat(
    p: Parameters, rel=0.0, expectation=0.0, courtesy=None, demanded=False, demand_expected=0.0
) -> float:
    courtesy = p.courtesy_reference if courtesy is None else courtesy
    value = case_satisfaction(
        np.array([rel]),
        np.array([expectation]),
        np.array([courtesy]),
        np.array([demanded]),
        p,
        demand_expected=demand_expected,
    )
    return float(value[0])


# --- the formula ----------------------------------------------------------------------------------
def test_no_disconfirmation_reference_courtesy_no_demand_is_one_half() -> None:
    p = Parameters()
    assert _sat(p) == 0.5
    assert _sat(p, rel=1.3, expectation=1.3) == pytest.approx(0.5)


def test_satisfaction_by_hand() -> None:
    p = Parameters(
        satisfaction_sensitivity=2.0,
        courtesy_weight=3.0,
        informal_demand_penalty=1.0,
        courtesy_reference=0.5,
    )
    # burden a third below expectation on the log scale, courteous, asked for a bribe:
    # z = 2 * (0 - (-1/3)) + 3 * (0.8 - 0.5) - 1 = 2/3 + 0.9 - 1
    z = 2 / 3 + 0.9 - 1.0
    assert _sat(p, rel=-1 / 3, courtesy=0.8, demanded=True) == pytest.approx(1 / (1 + math.exp(-z)))


def test_a_lighter_burden_than_expected_and_courtesy_please_a_demand_displeases() -> None:
    p = Parameters()
    neutral = _sat(p)
    assert _sat(p, rel=-0.5) > neutral > _sat(p, rel=0.5)
    assert _sat(p, expectation=0.5) > neutral  # expected worse than it was
    assert _sat(p, courtesy=p.courtesy_reference + 0.3) > neutral
    assert _sat(p, courtesy=p.courtesy_reference - 0.3) < neutral
    assert _sat(p, demanded=True) < neutral
    lighter = [_sat(p, rel=r) for r in np.linspace(-2, 2, 9)]
    assert all(a > b for a, b in pairwise(lighter))
    assert all(0 < s < 1 for s in lighter)


def test_expectation_offset_grows_linearly_at_the_yearly_drift() -> None:
    p = Parameters(expectation_drift=0.2)
    assert expectation_offset(p, 0) == 0.0
    assert expectation_offset(p, DAYS_PER_YEAR) == pytest.approx(0.2)
    assert expectation_offset(p, 2 * DAYS_PER_YEAR) == pytest.approx(0.4)
    assert expectation_offset(p, 100) == pytest.approx(0.2 * 100 / DAYS_PER_YEAR)
    assert expectation_offset(Parameters(expectation_drift=0.0), 1000) == 0.0


def _approval(key: str, lead_days: float) -> ApprovalSpec:
    return ApprovalSpec(
        key=key, name_en=key, name_zh=key, office="o", effort_hours=1.0, lead_days=lead_days
    )


def test_nominal_burden_by_hand() -> None:
    s = ServiceSpec(
        key="two_steps",
        name_en="Two steps",
        name_zh="两步",
        requester="citizen",
        annual_rate=1.0,
        time_limit_days=10,
        approvals=[_approval("a", 2), _approval("b", 3)],
    )
    # two trips; (2 + 1) + (3 + 1) = 7 working days = 7 * 7 / 5 = 9.8 calendar days
    p = Parameters(trip_hours=2.0, waiting_day_hours=1.0)
    assert nominal_burden(s, p) == pytest.approx(2 * 2.0 + 9.8 * 1.0)
    p = Parameters(trip_hours=3.0, waiting_day_hours=0.5)
    assert nominal_burden(s, p) == pytest.approx(2 * 3.0 + 9.8 * 0.5)


# --- judging cases --------------------------------------------------------------------------------
DAY = 20


def _city(catalogue, **overrides) -> City:
    return CityModel(Parameters(**TINY, **overrides), catalogue, rng=0).city


def _judge(city: City) -> tuple[CaseJudge, DayRecord]:
    """A judge of the city's requesters with its own day record and no word of mouth."""
    today = DayRecord()
    judge = CaseJudge(
        city.p,
        city.env,
        (city.citizens, city.enterprises),
        (None, None),
        city.offices,
        today,
        np.random.default_rng(0),
    )
    return judge, today


def _case(city: City, key: str, req: int, created: int, status: int, **done) -> Case:
    (si,) = [i for i, s in enumerate(city.env.catalogue.services) if s.key == key]
    s = city.env.catalogue.services[si]
    kind = CITIZEN if s.requester == "citizen" else ENTERPRISE
    case = Case(kind, req, si, created, city.env.approvals(si), False, False, False, False, req)
    case.status = status
    for name, value in done.items():
        setattr(case, name, value)
    return case


def _three_cases(city: City) -> list[Case]:
    return [
        # a citizen's case, 5 days, two trips, one return, two counter contacts
        _case(city, "marriage_registration", 3, DAY - 4, COMPLETED, trips=2, hours=1.5,
              procedures=1, contacts=2, courtesy=1.2, returns=1),
        # a firm gave up after 21 days; it was asked for a payment and paid
        _case(city, "tax_matters", 1, 0, ABANDONED, trips=1, hours=3.0, paid=10.0,
              demanded=True, contacts=1, courtesy=0.2),
        # a start-up registered in 16 days, all online or handed over (no counter contact)
        _case(city, "start_business", 2, DAY - 15, COMPLETED, trips=4, hours=2.0,
              procedures=13, bounces=2),
    ]  # fmt: skip


def test_evaluate_books_the_days_tallies(catalogue) -> None:
    city = _city(catalogue)
    judge, today = _judge(city)
    cases = _three_cases(city)
    startup = city.env.catalogue.services[cases[2].service]
    judge.evaluate(cases, DAY)
    expected = {
        "ended_citizens": 1,
        "ended_enterprises": 2,
        "completed": 2,
        "completed_citizens": 1,
        "completed_enterprises": 1,
        "abandoned": 1,
        "paid": 1,
        "demanded": 1,
        "days": 5 + 16,  # completed cases only; the day it ends counts
        "days_citizens": 5,
        "days_enterprises": 16,
        "trips": 2 + 4,
        "hours": 1.5 + 2.0,
        "hours_citizens": 1.5,
        "hours_enterprises": 2.0,
        "procedures": 1 + 13,
        "returns": 1,
        "bounces": 2,
        "on_time": 1 + int(startup.time_limit_days >= 16),
        "db_completed": 1,
        "db_procedures": 13,
    }
    got = today.tallies()
    for name, value in expected.items():
        assert got[name] == pytest.approx(value), name
    assert today.db_days == [16]
    assert 0 < got["satisfaction_citizens"] < 1
    assert 0 < got["satisfaction_enterprises"] < 2
    assert got["red_tape_cost"] > 0
    untouched = set(TALLY_NAMES) - set(expected) - {
        "satisfaction_citizens", "satisfaction_enterprises", "red_tape_cost", "complaints",
    }  # fmt: skip
    assert all(got[name] == 0 for name in untouched), {n: got[n] for n in untouched}


def test_evaluate_nothing_changes_nothing(catalogue) -> None:
    city = _city(catalogue)
    judge, today = _judge(city)
    image = judge.media_image
    judge.evaluate([], DAY)
    assert all(v == 0 for v in today.tallies().values()) and judge.media_image == image


def test_a_judged_case_updates_its_requesters_memory_by_hand(catalogue) -> None:
    city = _city(catalogue)
    judge, today = _judge(city)
    p, pool, r = city.p, city.citizens, 3
    s0, e0, cases0 = pool.satisfaction[r], pool.expectation[r], pool.cases[r]
    c0, d0 = pool.courtesy_expectation[r], pool.demand_expectation[r]
    (case,) = [c for c in _three_cases(city) if c.kind == CITIZEN]
    spec = city.env.catalogue.services[case.service]
    judge.evaluate([case], DAY)
    # burden: 2 trips, 1.5 hours queued, 5 days open; nominal: its approvals at face value
    burden = 2 * p.trip_hours + 1.5 + 5 * p.waiting_day_hours
    rel = math.log(burden / nominal_burden(spec, p))
    offset = expectation_offset(p, DAY)
    s = _sat(p, rel=rel, expectation=e0 - offset, courtesy=1.2 / 2, demand_expected=d0)
    assert today.satisfaction_citizens == pytest.approx(s)
    assert pool.satisfaction[r] == pytest.approx(s0 + p.satisfaction_memory * (s - s0))
    # every expectation moves the same share of the way toward what the case was
    k = p.expectation_adaptation
    assert pool.expectation[r] == pytest.approx(e0 + k * (rel + offset - e0))
    assert pool.courtesy_expectation[r] == pytest.approx(c0 + k * (1.2 / 2 - c0))
    assert pool.demand_expectation[r] == pytest.approx(d0 + k * (0.0 - d0))
    assert pool.cases[r] == cases0 + 1
    others = np.arange(pool.size) != r
    assert (pool.cases[others] == 0).all()


def test_an_abandoned_firms_case_by_hand_with_its_red_tape(catalogue) -> None:
    """Burden: its trip, queueing, 21 days open, the payment and the penalty for giving up."""
    city = _city(catalogue)
    judge, today = _judge(city)
    p, pool, r = city.p, city.enterprises, 1
    s0, e0, red_tape0 = pool.satisfaction[r], pool.expectation[r], pool.red_tape[r]
    d0 = pool.demand_expectation[r]
    (case,) = [c for c in _three_cases(city) if c.status == ABANDONED]
    spec = city.env.catalogue.services[case.service]
    judge.evaluate([case], DAY)
    days = DAY - 0 + 1
    burden = 1 * p.trip_hours + 3.0 + days * p.waiting_day_hours + 10.0 + p.abandon_penalty_hours
    rel = math.log(burden / nominal_burden(spec, p))
    e = e0 - expectation_offset(p, DAY)
    s = _sat(p, rel=rel, expectation=e, courtesy=0.2, demanded=True, demand_expected=d0)
    assert today.satisfaction_enterprises == pytest.approx(s)
    assert pool.satisfaction[r] == pytest.approx(s0 + p.satisfaction_memory * (s - s0))
    # red tape: the firm's time at its value, and a share of its margin for each day open
    cost = burden * pool.value_of_time[r] + days * p.delay_cost_share * pool.margin[r]
    assert today.red_tape_cost == pytest.approx(cost)
    assert pool.red_tape[r] == pytest.approx(red_tape0 + cost / p.cost_memory_days)
    assert (today.completed, today.abandoned, today.days, today.trips) == (0, 1, 0, 0)


def test_the_media_image_moves_toward_the_reported_satisfaction(catalogue) -> None:
    city = _city(catalogue)
    judge, _ = _judge(city)
    p = city.p
    cases = _three_cases(city)
    pools = {CITIZEN: city.citizens, ENTERPRISE: city.enterprises}
    before = [float(pools[c.kind].satisfaction[c.req]) for c in cases]
    image = judge.media_image
    assert image == p.initial_satisfaction
    judge.evaluate(cases, DAY)
    # each case's satisfaction, read back from its requester's memory
    after = [float(pools[c.kind].satisfaction[c.req]) for c in cases]
    sat = np.array(
        [b + (a - b) / p.satisfaction_memory for a, b in zip(after, before, strict=True)]
    )
    assert (sat < p.media_dissatisfied_below).any(), "the test needs a case of bad news"
    weights = np.where(sat < p.media_dissatisfied_below, p.media_negativity, 1.0)
    reported = (weights * sat).sum() / weights.sum()
    assert reported < sat.mean()  # bad news is louder
    assert judge.media_image == pytest.approx(image + p.media_update_rate * (reported - image))


def test_one_case_moves_the_media_image_by_the_update_rate(catalogue) -> None:
    city = _city(catalogue, media_update_rate=0.25)
    judge, today = _judge(city)
    (case,) = [c for c in _three_cases(city) if c.kind == CITIZEN]
    image = judge.media_image
    judge.evaluate([case], DAY)
    s = today.satisfaction_citizens
    assert judge.media_image == pytest.approx(image + 0.25 * (s - image))


def test_every_dissatisfied_requester_complains_when_sure_to(catalogue) -> None:
    city = _city(catalogue, complaint_threshold=1.0, complaint_propensity=1.0)
    judge, today = _judge(city)
    judge.evaluate(_three_cases(city), DAY)
    assert today.complaints == 3
    city = _city(catalogue, complaint_threshold=0.0, complaint_propensity=1.0)
    judge, today = _judge(city)
    judge.evaluate(_three_cases(city), DAY)
    assert today.complaints == 0
