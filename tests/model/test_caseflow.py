"""The case flow (model/caseflow.py) driven directly, one visit or one event at a time.

A tiny city is built but never stepped: no arrivals, so the only cases are the ones a test makes
by hand (`model.case.Case`) and hands to the flow. Day 0 is a Monday; `City.start_day` opens the
counters as the model's first phase would.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from model import CityModel, Parameters
from model.case import ABANDONED, CITIZEN, COMPLETED, ENTERPRISE, OPEN, Case
from model.caseflow import APPROVAL_DONE, PATIENCE_END, CaseFlow, document_return_probability
from model.city import City
from model.day_record import DayRecord
from world.calendar import is_working_day
from world.catalogue import Catalogue, ServiceSpec
from world.parameters import REFERENCE_DOCUMENTS

TINY = {"n_citizens": 200, "n_enterprises": 20}
MONDAY, SATURDAY, NEXT_MONDAY = 0, 5, 7


def build(catalogue: Catalogue, **overrides) -> City:
    """A tiny city, its counters open on day 0."""
    city = CityModel(Parameters(**TINY, **overrides), catalogue, rng=0).city
    city.start_day(MONDAY)
    return city


@pytest.fixture
def city(catalogue) -> City:
    return build(catalogue)


def service(city: City, key: str) -> tuple[int, ServiceSpec]:
    (found,) = [(i, s) for i, s in enumerate(city.env.catalogue.services) if s.key == key]
    return found


def new_case(
    city: City,
    key: str,
    *,
    req: int = 0,
    day: int = MONDAY,
    one_stop: bool = False,
    parallel: bool = False,
    digital: bool = False,
    seed: int = 1,
) -> Case:
    """A case of service `key`, as `CaseFlow.start_cases` would open it (no patience deadline)."""
    si, s = service(city, key)
    kind = CITIZEN if s.requester == "citizen" else ENTERPRISE
    todo = city.env.approvals(si)
    return Case(kind, req, si, day, todo, one_stop, parallel, False, digital, seed)


def office_of(city: City, approval) -> int:
    return city.env.catalogue.office_index()[approval.office]


def queued(city: City, day: int) -> list:
    """Every visit waiting in an office's inbox for `day`."""
    return [job for o in city.offices for job in o.inbox.get(day, [])]


# --- submitting visits ----------------------------------------------------------------------------
def test_an_in_person_submission_is_one_trip_and_one_visit(city) -> None:
    case = new_case(city, "marriage_registration")
    (a,) = case.todo
    office = office_of(city, a)
    city.flow.submit(case, a, office, MONDAY, True, -1)
    assert (case.trips, city.today.visits) == (1, 1)
    (job,) = city.offices[office].inbox[MONDAY]
    assert job.case is case and job.approval is a and job.in_person and job.work > 0
    # a visit that is not in person (online, handed over) is a visit but no trip
    city.flow.submit(case, a, office, MONDAY, False, -1)
    assert (case.trips, city.today.visits) == (1, 2)


def test_a_visit_submitted_on_a_weekend_queues_on_monday(city) -> None:
    case = new_case(city, "marriage_registration")
    (a,) = case.todo
    office = office_of(city, a)
    city.flow.submit(case, a, office, SATURDAY, True, -1)
    assert SATURDAY not in city.offices[office].inbox
    assert [job.case for job in city.offices[office].inbox[NEXT_MONDAY]] == [case]


def test_a_sequential_case_submits_its_first_approval_only(city) -> None:
    case = new_case(city, "residence_registration")
    assert len(case.todo) == 2
    city.flow.dispatch(case, MONDAY)
    assert (case.next, case.outstanding, case.trips, city.today.visits) == (1, 1, 1, 1)
    (job,) = queued(city, MONDAY)
    assert job.approval is case.todo[0] and job.in_person


def test_an_online_approval_of_a_digital_requester_takes_no_trip(city) -> None:
    first = new_case(city, "start_business").todo[0]
    assert first.online, "the test needs an online-eligible first approval"
    city.env.online_share = 1.0
    online = new_case(city, "start_business", digital=True)
    city.flow.dispatch(online, MONDAY)
    assert (online.trips, city.today.visits) == (0, 1)
    assert queued(city, MONDAY) == []  # not at the counters: the back office decides it
    (office,) = [o for o in city.offices if o.back_inbox]
    (job,) = office.back_inbox[MONDAY]
    assert not job.in_person and job.online
    # not digital: in person, even with every channel open
    offline = new_case(city, "start_business", digital=False)
    city.flow.dispatch(offline, MONDAY)
    assert offline.trips == 1


def test_the_back_office_decides_online_submissions_on_any_day(city) -> None:
    """全天候: an online submission made on a Saturday is decided that Saturday, and its lead
    time runs in calendar days."""
    city.env.online_share = 1.0
    saturday = MONDAY + 5
    case = new_case(city, "start_business", digital=True)
    city.flow.dispatch(case, saturday)
    (office,) = [o for o in city.offices if o.back_inbox]
    city.flow.back_office(office, saturday)
    assert not office.back_inbox
    decided = [d for d, events in city.flow.agenda.items() for _, c in events if c is case]
    returned = case.returns or case.bounces
    assert decided or returned, "the case was neither decided nor sent back"
    if decided:
        lead = case.todo[0].lead_days * city.env.lead_factor
        assert decided[0] - saturday <= int(lead) + 1 + city.p.rent_delay_days


def test_no_online_channel_no_online_visit(city) -> None:
    city.env.online_share = 0.0
    case = new_case(city, "start_business", digital=True)
    city.flow.dispatch(case, MONDAY)
    assert case.trips == 1


def test_an_approval_that_cannot_go_online_takes_a_trip(city) -> None:
    city.env.online_share = 1.0
    case = new_case(city, "start_business", digital=True)
    case.next = next(i for i, a in enumerate(case.todo) if not a.online)
    city.flow.dispatch(case, MONDAY)
    assert case.trips == 1


def _no_prerequisites(catalogue: Catalogue) -> Catalogue:
    """The catalogue with every approval's `after` cleared: all steps independent."""
    data = catalogue.model_dump()
    for s in data["services"]:
        for a in s["approvals"]:
            a["after"] = ()
    return Catalogue.model_validate(data)


def test_parallel_approval_dispatches_all_independent_approvals_at_once(catalogue) -> None:
    city = build(_no_prerequisites(catalogue))
    case = new_case(city, "start_business", parallel=True)
    todo = case.todo
    offices = {a.office for a in todo}
    assert len(todo) > len(offices) > 1, "the test needs several approvals at one office"
    city.flow.dispatch(case, MONDAY)
    assert case.next == case.outstanding == len(todo)
    assert city.today.visits == len(todo) == len(queued(city, MONDAY))
    # one trip per office: the other approvals of that office are handed in on the same visit
    assert case.trips == len(offices)


def test_one_stop_and_parallel_is_one_trip(catalogue) -> None:
    city = build(_no_prerequisites(catalogue))
    case = new_case(city, "start_business", parallel=True, one_stop=True)
    city.flow.dispatch(case, MONDAY)
    assert case.outstanding == len(case.todo)
    assert case.trips == 1


def test_parallel_approval_waits_for_what_a_step_needs(city) -> None:
    # The capital deposit needs the approved name, so parallel approval submits the name
    # pre-approval alone; once it is decided, the next group runs up to the first step that
    # needs something decided in that group.
    case = new_case(city, "start_business", parallel=True)
    todo = case.todo
    city.flow.dispatch(case, MONDAY)
    assert case.outstanding == case.next == 1
    assert todo[1].after == ("name_preapproval",)
    case.outstanding = 0
    city.flow.dispatch(case, MONDAY + 1)
    group = todo[1 : case.next]
    keys = {a.key for a in group}
    assert all(keys.isdisjoint(a.after) for a in group)
    assert not keys.isdisjoint(todo[case.next].after)


def test_catalogue_rejects_a_prerequisite_that_is_not_earlier(catalogue) -> None:
    data = catalogue.model_dump()
    data["services"][0]["approvals"][0]["after"] = ("business_licence",)
    with pytest.raises(ValueError, match="not an earlier approval"):
        Catalogue.model_validate(data)


# --- at the counter -------------------------------------------------------------------------------
def _serve_many(city: City, cases_per_service: int = 20, days: int = 14) -> list[Case]:
    """Citizens' cases of every service, served for `days` days (no decisions handled)."""
    cases = []
    for s in city.env.catalogue.services:
        if s.requester != "citizen":
            continue
        for r in range(cases_per_service):
            case = new_case(city, s.key, req=r, seed=len(cases) + 1)
            city.flow.dispatch(case, MONDAY)
            cases.append(case)
    for day in range(days):
        city.start_day(day)
        city.serve(day)
    return cases


def test_with_first_contact_no_visit_is_bounced(catalogue) -> None:
    city = build(catalogue, bounce_prob=0.9, incomplete_docs_prob=0.0)
    city.env.first_contact = 1.0
    cases = _serve_many(city)
    served = sum(c.contacts for c in cases)
    assert served >= 100, f"only {served} visits served: the test would prove nothing"
    assert sum(c.bounces for c in cases) == 0
    assert city.today.rework_visits == 0


def test_without_first_contact_visits_are_bounced(catalogue) -> None:
    """The control of the test above: the same city does bounce without first contact."""
    city = build(catalogue, bounce_prob=0.9, incomplete_docs_prob=0.0)
    cases = _serve_many(city)
    bounced = sum(c.bounces for c in cases)
    assert bounced > sum(c.contacts for c in cases) / 4
    assert city.today.rework_visits > 0


def test_document_return_probability_by_hand() -> None:
    p = Parameters(incomplete_docs_prob=0.1, error_at_zero_skill=1.5)
    # the reference: the base rate for the reference documents, skill 0.5
    assert document_return_probability(p, REFERENCE_DOCUMENTS, 0.5) == pytest.approx(0.1)
    # 6 documents, skill 0.8: 6 * (0.1 / 3) * (1.5 - 0.8)
    assert document_return_probability(p, 6, 0.8) == pytest.approx(6 * 0.1 / 3 * 0.7)
    assert document_return_probability(p, 0, 0.5) == 0.0


def test_document_returns_fall_with_skill() -> None:
    p = Parameters()
    by_skill = [document_return_probability(p, 4, s) for s in np.linspace(0.05, 1, 6)]
    assert all(a > b for a, b in pairwise(by_skill)), by_skill
    assert all(v >= 0 for v in by_skill)


def test_a_requester_who_read_the_published_rules_is_never_sent_home(catalogue) -> None:
    city = build(catalogue, incomplete_docs_prob=1.0, bounce_prob=0.0)
    cases = _serve_many(city)
    assert sum(c.returns for c in cases) > 0  # the control: unread rules, certain returns
    city = build(catalogue, incomplete_docs_prob=1.0, bounce_prob=0.0)
    cases = []
    for r in range(20):
        case = new_case(city, "travel_documents", req=r, seed=r + 1)
        case.informed = True
        city.flow.dispatch(case, MONDAY)
        cases.append(case)
    for day in range(14):
        city.start_day(day)
        city.serve(day)
    assert sum(c.contacts for c in cases) > 0
    assert sum(c.returns for c in cases) == 0


# --- cases moving on and ending ------------------------------------------------------------------
def test_finishing_a_start_up_case_calls_the_startup_callback(city) -> None:
    calls: list[tuple[int, bool]] = []
    flow = CaseFlow(
        city.p,
        city.env,
        (city.citizens, city.enterprises),
        city.offices,
        DayRecord(),
        np.random.default_rng(1),
        np.random.default_rng(2),
        place_startups=lambda n: [],
        startup_ended=lambda row, completed: calls.append((row, completed)),
    )
    opened = new_case(city, "start_business", req=7)
    given_up = new_case(city, "start_business", req=8)
    other = new_case(city, "tax_matters", req=9)
    flow.finish(opened, COMPLETED, MONDAY + 40)
    flow.finish(given_up, ABANDONED, MONDAY + 40)
    flow.finish(other, COMPLETED, MONDAY + 40)
    assert calls == [(7, True), (8, False)]
    assert (opened.status, given_up.status, other.status) == (COMPLETED, ABANDONED, COMPLETED)
    assert flow.open_cases == -3  # none was opened through this flow
    assert flow.take_ended() == [opened, given_up, other]
    assert flow.take_ended() == []


def test_the_last_decided_approval_completes_the_case(city) -> None:
    flow = city.flow
    case = new_case(city, "start_business", parallel=True)
    flow.dispatch(case, MONDAY)
    n = len(case.todo)
    flow.agenda[3].extend([(APPROVAL_DONE, case)] * (n - 1))
    flow.handle_events(3)
    assert (case.status, case.procedures, case.outstanding) == (OPEN, n - 1, 1)
    assert flow.take_ended() == []
    flow.agenda[4].append((APPROVAL_DONE, case))
    flow.handle_events(4)
    assert (case.status, case.procedures, case.outstanding) == (COMPLETED, n, 0)
    assert flow.take_ended() == [case]


def test_a_decided_approval_submits_the_next_one(city) -> None:
    flow = city.flow
    case = new_case(city, "residence_registration")
    flow.dispatch(case, MONDAY)
    flow.agenda[2].append((APPROVAL_DONE, case))
    flow.handle_events(2)
    assert (case.status, case.procedures, case.next, case.outstanding) == (OPEN, 1, 2, 1)
    assert city.today.visits == 2
    assert [job.approval for job in queued(city, 3)] == [case.todo[1]]
    flow.agenda[5].append((APPROVAL_DONE, case))
    flow.handle_events(5)
    assert (case.status, case.procedures) == (COMPLETED, 2)


def test_patience_running_out_abandons_and_later_events_are_ignored(city) -> None:
    flow = city.flow
    case = new_case(city, "residence_registration")
    flow.dispatch(case, MONDAY)
    flow.agenda[4].append((PATIENCE_END, case))
    flow.handle_events(4)
    assert case.status == ABANDONED
    assert flow.take_ended() == [case]
    flow.agenda[6].append((APPROVAL_DONE, case))
    flow.handle_events(6)
    assert (case.status, case.procedures) == (ABANDONED, 0)
    assert flow.take_ended() == []
    assert 6 not in flow.agenda and 4 not in flow.agenda


def test_the_tiny_city_opens_on_working_days_only(city) -> None:
    """The premise of the tests above: day 0 is a Monday and every office opens on it."""
    assert is_working_day(MONDAY) and not is_working_day(SATURDAY)
    assert all(o.on_duty >= 1 for o in city.offices)


def test_an_ended_case_is_not_held_until_its_patience_runs_out(catalogue) -> None:
    """A completed case's patience entry is forgotten when it completes: the agenda keeps only
    open cases waiting for their patience to run out (it held several times as many ended ones,
    each alive until its requester's patience would have run out)."""
    model = CityModel(Parameters(n_citizens=3000, n_enterprises=150), catalogue, [], rng=3)
    for _ in range(80):
        model.step()
    flow = model.city.flow
    waiting = [c for events in flow.agenda.values() for what, c in events if what == PATIENCE_END]
    live = [c for c in waiting if c is not None]
    assert len(waiting) > len(live) > 0  # some were forgotten, some still wait
    assert all(c.status == OPEN for c in live)
    assert len(live) == flow.open_cases
