"""How a case flows through offices: trips, queues, returns, bounces, rent-seeking, approvals.

The flow reads the service environment (which reforms have set) and never asks which policy is
on. It is given what it works on explicitly (the parameters, the environment, the requester
pools, the offices, the city's day record, and two callbacks for start-ups); it writes each
day's tallies to that record and hands the cases that ended to the judge (`model.satisfaction`).
Its cost grows with the number of cases: requesters with no open case are never touched.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from operator import attrgetter

import numpy as np

from agents.office import Office, detection_probability
from agents.requesters import RequesterPool
from model.case import ABANDONED, CITIZEN, COMPLETED, ENTERPRISE, OPEN, Case, Job
from model.day_record import DayRecord
from world.calendar import DAYS_PER_YEAR, add_working_days, calendar_days, working_index
from world.catalogue import ApprovalSpec
from world.environment import ServiceEnvironment
from world.parameters import REFERENCE_DOCUMENTS, Parameters

APPROVAL_DONE, PATIENCE_END = 0, 1
_FORGOTTEN = (PATIENCE_END, None)  # the patience entry of a case that has ended
_by_t = attrgetter("t")

# Where a day's new cases of one service open: (flow of a city, requester rows there, which of
# the day's draws they take; None: all of them).
Placement = list[tuple["CaseFlow", np.ndarray, np.ndarray | None]]


def document_return_probability(p: Parameters, documents: int, skill: float) -> float:
    """Chance that a visit by a requester who has not read published requirements is sent home
    for missing documents (one who has brings them complete).

    The one home of the rule: the counter applies it to each visit, the city sizes its staff
    for the traditional workload with it.
    """
    per_document = p.incomplete_docs_prob / REFERENCE_DOCUMENTS
    return documents * per_document * (p.error_at_zero_skill - skill)


class CaseFlow:
    """Creates cases, routes their visits to offices, applies what happens at the counter."""

    def __init__(
        self,
        p: Parameters,
        env: ServiceEnvironment,
        pools: Sequence[RequesterPool],
        offices: Sequence[Office],
        today: DayRecord,
        arrivals_rng: np.random.Generator,
        online_rng: np.random.Generator,
        place_startups: Callable[[int], Placement],
        startup_ended: Callable[[int, bool], None],
    ) -> None:
        self.p = p
        self.env = env
        self.pools = pools  # indexed by CITIZEN, ENTERPRISE
        self.offices = offices
        self.today = today
        self.place_startups = place_startups  # founders choose where to register
        self.startup_ended = startup_ended  # (row, completed): the firm opens or never does
        # Each day's requests per service come from their own generator, so one service's
        # draws never shift another's, whatever reforms do to the flow.
        self.arrival_seed = int(arrivals_rng.integers(0, 2**62))  # arithmetic: a seed
        cat = env.catalogue
        idx = cat.office_index()
        self.office_of: dict[int, int] = {}
        self.online_rank: dict[int, float] = {}
        # A misrouted visit is sent on to another office the service involves (推 stays inside
        # the service's own offices); a service with one office cannot bounce.
        self.partners: list[dict[int, tuple[int, ...]]] = []
        for s in cat.services:
            involved = sorted({idx[a.office] for a in s.approvals})
            self.partners.append({o: tuple(x for x in involved if x != o) for o in involved})
            for a in s.approvals:
                self.office_of[id(a)] = idx[a.office]
                # Fixed per approval, so a larger online share always adds to the same set; an
                # approval that cannot go online ranks above every share.
                self.online_rank[id(a)] = float(online_rng.random()) if a.online else 2.0
        # The start-up time would-be founders hear of (calendar days), starting from what the
        # rules promise for a traditional registration.
        self.startup_days_heard = [
            calendar_days(sum(a.lead_days + 1 for a in s.approvals)) for s in cat.services
        ]
        self.startup_days_promised = list(self.startup_days_heard)
        self.agenda: dict[int, list[tuple[int, Case]]] = defaultdict(list)
        self.ended: list[Case] = []
        self.open_cases = 0
        self.created = 0

    # --- arrivals ------------------------------------------------------------------------------
    def arrivals(self, day: int) -> None:
        """New requests of the day: Poisson counts per service, requesters drawn at random."""
        p, env = self.p, self.env
        counts: dict[int, int | None] = {CITIZEN: None, ENTERPRISE: None}  # active, today
        for si, s in enumerate(env.catalogue.services):
            rng = np.random.default_rng((self.arrival_seed, day, si))
            kind = CITIZEN if s.requester == "citizen" else ENTERPRISE
            pool = self.pools[kind]
            if counts[kind] is None:
                counts[kind] = pool.n_active
            count = counts[kind]
            scale = p.citizen_request_scale if kind == CITIZEN else p.enterprise_request_scale
            rate = s.annual_rate * scale * count / DAYS_PER_YEAR
            if s.creates_enterprise:
                rate *= self.entry_response(si)
            n = rng.poisson(rate)
            if n == 0 or count == 0:
                continue
            if s.creates_enterprise:
                targets = self.place_startups(n)
            else:
                targets = [(self, pool.active_at(rng.integers(0, count, n)), None)]
            # arithmetic: four draws per case (channel, lane, order, reads the published rules)
            u = rng.random((n, 4))
            keys = np.asarray(rng.integers(0, 2**63, n, dtype=np.uint64))  # arithmetic: keys
            for flow, reqs, which in targets:
                if which is None:
                    flow.start_cases(kind, si, reqs, day, u, keys)
                else:
                    flow.start_cases(kind, si, reqs, day, u[which], keys[which])

    def entry_response(self, si: int) -> float:
        """Would-be founders start more firms when starting is heard to be quicker: the
        start-up rate relative to the traditional one, at a constant elasticity to days."""
        heard = max(self.startup_days_heard[si], 1.0)
        promised = max(self.startup_days_promised[si], 1.0)
        return (heard / promised) ** -self.p.entry_elasticity

    def start_cases(self, kind, si, reqs, day, u, keys) -> None:
        """Open one case per requester in `reqs` and submit its first approvals."""
        env, pool = self.env, self.pools[kind]
        todo = env.approvals(si)
        one_stop = (u[:, 0] < env.one_stop_share).tolist()
        parallel = (u[:, 1] < env.parallel_share).tolist()
        priority = ((u[:, 2] < env.green_channel_share) & (kind == ENTERPRISE)).tolist()
        reads = env.transparency * self.p.published_rules_use
        informed = (u[:, 3] < reads).tolist()  # arithmetic: the fourth draw
        digital = pool.digital[reqs].tolist()
        deadline = (day + np.ceil(pool.patience[reqs])).astype(np.int64).tolist()
        keys = keys.tolist()
        for j, r in enumerate(reqs.tolist()):
            case = Case(
                kind,
                r,
                si,
                day,
                todo,
                one_stop[j],
                parallel[j],
                priority[j],
                digital[j],
                keys[j],
                informed[j],
            )
            waiting = self.agenda[deadline[j]]
            case.patience_day, case.patience_slot = deadline[j], len(waiting)
            waiting.append((PATIENCE_END, case))
            self.dispatch(case, day)
        self.open_cases += len(reqs)
        self.created += len(reqs)

    # --- routing ---------------------------------------------------------------------------------
    def dispatch(self, case: Case, day: int) -> None:
        """Submit the case's next approval; under parallel approval, every following one that
        does not need the output of another in the same group (the licence before the seal)."""
        todo = case.todo
        stop = case.next + 1
        if case.parallel:
            group_keys = {todo[case.next].key}
            while stop < len(todo) and group_keys.isdisjoint(todo[stop].after):
                group_keys.add(todo[stop].key)
                stop += 1
        group = todo[case.next : stop]
        case.next += len(group)
        case.outstanding += len(group)
        visited: set[int] = set()
        for a in group:
            o = self.office_of[id(a)]
            online = self._online(case, a)
            if online:
                in_person = False
            elif (case.one_stop and case.submitted) or o in visited:
                in_person = False  # handed over by the service centre, or same visit
            else:
                in_person = True
                visited.add(o)
                case.submitted = True
            self.submit(case, a, o, day, in_person, -1, online=online)

    def _online(self, case: Case, a: ApprovalSpec) -> bool:
        return case.digital and self.online_rank[id(a)] < self.env.online_share

    def submit(
        self, case, a, office, day, in_person, bounce_home, triage=1.0, online=False
    ) -> None:
        """Queue a visit at `office` on the first day from `day` that it opens; an online
        submission goes to the office's back office, which decides on any day (全天候)."""
        target = self.offices[office]
        work = a.effort_hours * self.env.effort_factor * triage
        work *= case.gamma(self.p.service_time_shape)
        job = Job(case, a, work / target.familiarity, in_person, bounce_home)
        if online:
            target.work_arrived += work * self.p.online_effort_share
            job.online = True
            target.back_inbox.setdefault(day, []).append(job)
            self.today.visits += 1
            return
        target.work_arrived += work
        d = target.next_open_day(day)
        inbox = target.inbox
        if d in inbox:
            inbox[d].append(job)
        else:
            inbox[d] = [job]
        if in_person:
            case.trips += 1
        self.today.visits += 1

    # --- counters --------------------------------------------------------------------------------
    def serve(self, office: Office, day: int) -> None:
        """One working day at an office's counters, and what each served visit leads to."""
        p, env = self.p, self.env
        hours = p.opening_hours
        t_open = working_index(day) * hours
        jobs = office.inbox.pop(day, [])
        if office.on_duty == 0:  # closed after all (staffing changed): come on the next open day
            if jobs:
                office.inbox.setdefault(office.next_open_day(day + 1), []).extend(jobs)
            return
        opened = office.days_open
        for job in jobs:
            job.t = t_open + job.case.u() * hours
            job.opened = opened
        jobs.sort(key=_by_t)
        served = office.queue.serve_window(jobs, t_open, t_open + hours, office.speeds(env))
        if not served:
            return
        # A priority lane served today is seen by everyone who queued in person here today.
        lane_seen = any(job.priority for job, *_ in served)
        oi = office.index
        terms = self._terms()
        skill = office.skill.tolist()
        courtesy = office.courtesy.tolist()
        demand = office.demand_probabilities()
        handled = office.handled_today
        for job, k, start, _end in served:
            case = job.case
            handled[k] += 1
            if job.in_person:
                # Not served by closing time: come back the next day the office opens.
                came_back = office.days_open - job.opened
                closed_days = int(start // hours) - int(job.t // hours) - came_back
                case.hours += start - job.t - closed_days * hours
                case.trips += came_back
            if lane_seen and job.in_person and not job.priority:
                case.passed_over = True
            self._decide(job, oi, k, day, skill[k], courtesy[k], demand[k], terms, False)

    def back_office(self, office: Office, day: int) -> None:
        """Online submissions (全天候): decided the day they arrive, any day of the week, by one
        of the office's staffed servants, with no counter queue; their lead times run in
        calendar days. Back-office work is paid by the online channel's running cost."""
        jobs = office.back_inbox.pop(day, None)
        if not jobs:
            return
        posts = max(1, office.posts(self.env))
        terms = self._terms()
        demand = office.demand_probabilities()
        for job in jobs:
            if job.case.status != OPEN:
                continue
            k = int(job.case.u() * posts)
            office.handled_today[k] += 1
            self._decide(
                job,
                office.index,
                k,
                day,
                float(office.skill[k]),
                float(office.courtesy[k]),
                demand[k],
                terms,
                True,
            )

    def _terms(self) -> tuple[float, tuple[float, float], int, float]:
        """The day's odds that do not depend on the visit (the environment is fixed within a
        day): bounce probability, the chance each requester kind pays, and the days to come
        back with documents, and the deterrence of asking an informed requester. Computed once
        per office and day."""
        p, env = self.p, self.env
        p_bounce = p.bounce_prob * (1 - env.first_contact)
        pay = (p.pay_propensity_citizen, p.pay_propensity_enterprise)
        return p_bounce, pay, round(p.doc_return_days), self.informed_deterrence()

    def informed_deterrence(self) -> float:
        """How much less often a servant on the take asks a requester who has read the
        published fees: that requester is likelier to report it, and the servant weighs the
        added chance of detection with the same deterrence as in choosing to take at all."""
        p, response = self.p, self.env.complaint_response
        extra = detection_probability(p, 1.0, response) - detection_probability(p, 0.0, response)
        return math.exp(-p.sanction_weight * max(extra, 0.0))

    def _decide(self, job, oi, k, day, skill, courtesy, demand, terms, calendar) -> None:
        """What a servant's handling of a visit leads to: a return for missing documents, a
        bounce (推), an informal demand (by a servant on the take), or acceptance and the
        decision's date."""
        p, env, today = self.p, self.env, self.today
        p_bounce, pay, return_days, informed_deterrence = terms
        case = job.case
        u = case.u
        case.courtesy += courtesy
        case.contacts += 1
        a = job.approval
        online = job.online
        if job.bounce_home >= 0:
            today.rework_visits += 1
            self.submit(case, a, job.bounce_home, day + 1, job.in_person, -1, online=online)
            return
        if not case.informed and u() < document_return_probability(p, a.documents, skill):
            case.returns += 1
            today.rework_visits += 1
            again_online = self._online(case, a)
            self.submit(case, a, oi, day + return_days, not again_online, -1, online=again_online)
            return
        if u() < p_bounce and (others := self.partners[case.service].get(oi)):
            case.bounces += 1
            other = others[int(u() * len(others))]
            triage = p.bounce_triage_share
            self.submit(case, a, other, day + 1, job.in_person, oi, triage, online=online)
            return
        delay = 0.0
        if case.informed:
            demand *= informed_deterrence
        demanded = u() < demand
        if demanded:
            case.demanded = True
            if u() < pay[case.kind]:
                case.paid += p.bribe_hours
            else:
                delay = p.rent_delay_days
        case.handlers.append((oi, k, demanded))
        case.fees += a.fee
        lead = a.lead_days * env.lead_factor / self.offices[oi].familiarity + delay
        whole = int(lead)
        if u() < lead - whole:
            whole += 1
        decided = day + whole if calendar else add_working_days(day, whole)
        self.agenda[decided].append((APPROVAL_DONE, case))

    # --- cases moving on and ending ----------------------------------------------------------
    def handle_events(self, day: int) -> None:
        """Approvals decided today move cases on; patience running out ends them."""
        for what, case in self.agenda.pop(day, ()):
            if case is None or case.status != OPEN:
                continue
            if what == APPROVAL_DONE:
                case.outstanding -= 1
                case.procedures += 1
                if case.outstanding == 0:
                    if case.next < len(case.todo):
                        self.dispatch(case, day + 1)
                    else:
                        self.finish(case, COMPLETED, day)
            else:
                self.finish(case, ABANDONED, day)

    def finish(self, case: Case, status: int, day: int) -> None:
        case.status = status
        if case.patience_day > day:
            # The patience entry would keep the ended case alive until that day, only to be
            # skipped: an agenda held several times as many ended cases as open ones.
            self.agenda[case.patience_day][case.patience_slot] = _FORGOTTEN
        self.ended.append(case)
        self.open_cases -= 1
        si = case.service
        if self.env.catalogue.services[si].creates_enterprise:
            if status == COMPLETED:
                days = day - case.created + 1
                heard = self.startup_days_heard[si]
                self.startup_days_heard[si] = heard + (days - heard) / self.p.entry_news_startups
            self.startup_ended(case.req, status == COMPLETED)

    def take_ended(self) -> list[Case]:
        """The cases that ended since the last call, for judging."""
        cases, self.ended = self.ended, []
        return cases
