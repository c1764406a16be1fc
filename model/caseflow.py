"""How a case flows through offices: trips, queues, returns, bounces, rent-seeking, approvals.

The flow reads the service environment (which reforms have set) and never asks which policy is
on. Its cost grows with the number of cases: requesters with no open case are never touched.
"""

from __future__ import annotations

import math
from collections import defaultdict
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np

from model.satisfaction import case_satisfaction, expectation_offset
from world.calendar import add_working_days, working_index

if TYPE_CHECKING:
    from agents.office import Office
    from agents.requesters import RequesterPool
    from model.city import City
    from world.catalogue import ApprovalSpec, ServiceSpec

OPEN, COMPLETED, ABANDONED = 0, 1, 2
CITIZEN, ENTERPRISE = 0, 1
APPROVAL_DONE, PATIENCE_END = 0, 1
BOUNCE_TRIAGE_SHARE = 0.25  # share of an approval's counter work spent on a misrouted visit
_by_t = attrgetter("t")


_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_TO_UNIT = 2.0**-26


def _splitmix64(x: int) -> int:
    """SplitMix64 finaliser: a well-mixed 64-bit number from a counter (Steele et al. 2014)."""
    z = (x + _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class CaseRandom:
    """A case's own random numbers: a counter-based stream keyed by the case.

    What happens at the counter is drawn from the case, not from a stream shared by all cases,
    so that two runs with the same seed but different reforms give the same case the same luck
    (common random numbers at the level of the case, which keeps paired comparisons sharp).
    """

    __slots__ = ("count", "key", "spare")

    def __init__(self, key: int) -> None:
        self.key = key
        self.count = 0
        self.spare = -1.0

    def u(self) -> float:
        """A uniform number in [0, 1), 26-bit resolution; each hash gives two."""
        if self.spare >= 0.0:
            x, self.spare = self.spare, -1.0
            return x
        self.count += 1
        z = _splitmix64((self.key + self.count * _GOLDEN) & _MASK)
        self.spare = (z & 0x3FFFFFF) * _TO_UNIT
        return (z >> 38) * _TO_UNIT

    def gamma(self, shape: float) -> float:
        """Gamma(shape, scale 1/shape): mean 1; exponential at shape 1 (Marsaglia-Tsang)."""
        if shape == 1.0:
            return -math.log(1.0 - self.u())
        boost = 1.0
        k = shape
        if k < 1.0:
            boost = (1.0 - self.u()) ** (1.0 / k)
            k += 1.0
        d = k - 1.0 / 3.0
        c = 1.0 / math.sqrt(9.0 * d)
        while True:
            r = math.sqrt(-2.0 * math.log(1.0 - self.u()))
            x = r * math.cos(2.0 * math.pi * self.u())
            v = (1.0 + c * x) ** 3
            if v > 0 and math.log(1.0 - self.u()) < 0.5 * x * x + d - d * v + d * math.log(v):
                return boost * d * v / shape


class Case(CaseRandom):
    """One service request, from asking to completion or abandonment, with its own luck."""

    __slots__ = (
        "bounces",
        "contacts",
        "courtesy",
        "created",
        "demanded",
        "digital",
        "handlers",
        "hours",
        "kind",
        "next",
        "one_stop",
        "outstanding",
        "paid",
        "parallel",
        "priority",
        "procedures",
        "req",
        "returns",
        "service",
        "status",
        "submitted",
        "todo",
        "trips",
    )

    def __init__(
        self, kind, req, service, created, todo, one_stop, parallel, priority, digital, key
    ):
        CaseRandom.__init__(self, key)
        self.kind = kind
        self.req = req
        self.service = service
        self.created = created
        self.todo = todo
        self.one_stop = one_stop
        self.parallel = parallel
        self.priority = priority
        self.digital = digital
        self.next = 0
        self.outstanding = 0
        self.trips = 0
        self.hours = 0.0
        self.procedures = 0
        self.returns = 0
        self.bounces = 0
        self.paid = 0.0
        self.demanded = False
        self.courtesy = 0.0
        self.contacts = 0
        self.handlers: list[tuple[int, int, bool]] = []
        self.status = OPEN
        self.submitted = False


class Job:
    """One visit or submission of a case to an office's counter."""

    __slots__ = ("approval", "bounce_home", "case", "in_person", "opened", "priority", "t", "work")

    def __init__(self, case, approval, work, in_person, bounce_home):
        self.case = case
        self.approval = approval
        self.work = work
        self.priority = case.priority
        self.in_person = in_person
        self.bounce_home = bounce_home
        self.t = 0.0
        self.opened = 0

    def live(self) -> bool:
        return self.case.status == OPEN


class CaseFlow:
    """Creates cases, routes their visits to offices, applies what happens at the counter."""

    def __init__(
        self,
        model: City,
        rng: np.random.Generator,
        arrivals_rng: np.random.Generator,
        online_rng: np.random.Generator,
    ) -> None:
        self.m = model
        self.p = model.p
        self.env = model.env
        self.rng = rng  # word of mouth and complaints
        # Each day's requests per service come from their own generator, so one service's
        # draws never shift another's, whatever reforms do to the flow.
        self.arrival_seed = int(arrivals_rng.integers(0, 2**62))
        cat = self.env.catalogue
        idx = cat.office_index()
        self.db_service = next(
            i for i, s in enumerate(cat.services) if s.key == cat.doing_business_service
        )
        self.office_of: dict[int, int] = {}
        self.online_rank: dict[int, float] = {}
        for s in cat.services:
            for a in s.approvals:
                self.office_of[id(a)] = idx[a.office]
                # Fixed per approval, so a larger online share always adds to the same set.
                self.online_rank[id(a)] = float(online_rng.random()) if a.online else 2.0
        self.nominal_burden = np.array([self._nominal_burden(s) for s in cat.services])
        self.agenda: dict[int, list[tuple[int, Case]]] = defaultdict(list)
        self.ended: list[Case] = []
        self.sums: dict[str, float] = defaultdict(float)
        self.open_cases = 0
        self.created = 0
        self.media_image = 0.5

    def _nominal_burden(self, s: ServiceSpec) -> float:
        """Burden of a traditional case done at face value: one trip and the lead time per step."""
        days = sum(a.lead_days + 1 for a in s.approvals) * 7 / 5
        return len(s.approvals) * self.p.trip_hours + days * self.p.waiting_day_hours

    # --- arrivals ------------------------------------------------------------------------------
    def arrivals(self, day: int) -> None:
        """New requests of the day: Poisson counts per service, requesters drawn at random."""
        m, env = self.m, self.env
        active = {CITIZEN: None, ENTERPRISE: None}
        for si, s in enumerate(env.catalogue.services):
            rng = np.random.default_rng((self.arrival_seed, day, si))
            kind = CITIZEN if s.requester == "citizen" else ENTERPRISE
            pool = m.pool(kind)
            if active[kind] is None:
                active[kind] = pool.active_indices()
            scale = (
                self.p.citizen_request_scale if kind == CITIZEN else self.p.enterprise_request_scale
            )
            n = rng.poisson(s.annual_rate * scale * len(active[kind]) / 365.0)
            if n == 0 or len(active[kind]) == 0:
                continue
            if s.creates_enterprise:
                targets = m.model.place_startups(m, n)
            else:
                targets = [(m, active[kind][rng.integers(0, len(active[kind]), n)], None)]
            u = rng.random((n, 3))
            keys = np.asarray(rng.integers(0, 2**63, n, dtype=np.uint64))
            for city, reqs, which in targets:
                if which is None:
                    city.flow.start_cases(kind, si, reqs, day, u, keys)
                else:
                    city.flow.start_cases(kind, si, reqs, day, u[which], keys[which])

    def start_cases(self, kind, si, reqs, day, u, keys) -> None:
        """Open one case per requester in `reqs` and submit its first approvals."""
        env, pool = self.env, self.m.pool(kind)
        todo = env.approvals(si)
        one_stop = (u[:, 0] < env.one_stop_share).tolist()
        parallel = (u[:, 1] < env.parallel_share).tolist()
        priority = ((u[:, 2] < env.green_channel_share) & (kind == ENTERPRISE)).tolist()
        digital = pool.digital[reqs].tolist()
        deadline = (day + np.ceil(pool.patience[reqs])).astype(np.int64).tolist()
        keys = keys.tolist()
        for j, r in enumerate(reqs.tolist()):
            case = Case(
                kind, r, si, day, todo, one_stop[j], parallel[j], priority[j], digital[j], keys[j]
            )
            self.agenda[deadline[j]].append((PATIENCE_END, case))
            self.dispatch(case, day)
        self.open_cases += len(reqs)
        self.created += len(reqs)

    # --- routing ---------------------------------------------------------------------------------
    def dispatch(self, case: Case, day: int) -> None:
        """Submit the case's next approval, or all remaining ones under parallel approval."""
        stop = len(case.todo) if case.parallel else case.next + 1
        group = case.todo[case.next : stop]
        case.next += len(group)
        case.outstanding += len(group)
        visited: set[int] = set()
        for a in group:
            o = self.office_of[id(a)]
            if self._online(case, a):
                in_person = False
            elif (case.one_stop and case.submitted) or o in visited:
                in_person = False  # handed over by the service centre, or same visit
            else:
                in_person = True
                visited.add(o)
                case.submitted = True
            self.submit(case, a, o, day, in_person, -1)

    def _online(self, case: Case, a: ApprovalSpec) -> bool:
        return case.digital and self.online_rank[id(a)] < self.env.online_share

    def submit(self, case, a, office, day, in_person, bounce_home, triage=1.0) -> None:
        """Queue a visit at `office` on the first day from `day` that it opens."""
        target = self.m.offices[office]
        d = target.next_open_day(day)
        work = a.effort_hours * self.env.effort_factor * triage
        work *= case.gamma(self.p.service_time_shape)
        job = Job(case, a, work, in_person, bounce_home)
        inbox = target.inbox
        if d in inbox:
            inbox[d].append(job)
        else:
            inbox[d] = [job]
        if in_person:
            case.trips += 1
        self.sums["visits"] += 1

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
        oi = office.index
        skill = office.skill.tolist()
        courtesy = office.courtesy.tolist()
        corruption = office.corruption.tolist()
        handled = office.handled_today
        doc_factor = p.incomplete_docs_prob * (1 - p.transparency_effect * env.transparency) / 3
        p_bounce = p.bounce_prob * (1 - env.first_contact)
        opportunity = (1 - p.transparency_effect * env.transparency) * (
            1 - p.feedback_deterrence * env.complaint_response
        )
        n_offices = len(self.m.offices)
        pay = (p.pay_propensity_citizen, p.pay_propensity_enterprise)
        return_days = round(p.doc_return_days)
        sums = self.sums
        for job, k, start, _end in served:
            case = job.case
            u = case.u
            handled[k] += 1
            if job.in_person:
                # Not served by closing time: come back the next day the office opens.
                came_back = office.days_open - job.opened
                closed_days = int(start // hours) - int(job.t // hours) - came_back
                case.hours += start - job.t - closed_days * hours
                case.trips += came_back
            case.courtesy += courtesy[k]
            case.contacts += 1
            a = job.approval
            if job.bounce_home >= 0:
                sums["rework_visits"] += 1
                self.submit(case, a, job.bounce_home, day + 1, job.in_person, -1)
                continue
            if u() < a.documents * doc_factor * (1.5 - skill[k]):
                case.returns += 1
                sums["rework_visits"] += 1
                self.submit(case, a, oi, day + return_days, not self._online(case, a), -1)
                continue
            if u() < p_bounce and n_offices > 1:
                case.bounces += 1
                other = int(u() * (n_offices - 1))
                other += other >= oi
                self.submit(case, a, other, day + 1, job.in_person, oi, BOUNCE_TRIAGE_SHARE)
                continue
            delay = 0.0
            demanded = u() < corruption[k] * opportunity
            if demanded:
                case.demanded = True
                if u() < pay[case.kind]:
                    case.paid += p.bribe_hours
                else:
                    delay = p.rent_delay_days
            case.handlers.append((oi, k, demanded))
            lead = a.lead_days * env.lead_factor + delay
            whole = int(lead)
            if u() < lead - whole:
                whole += 1
            self.agenda[add_working_days(day, whole)].append((APPROVAL_DONE, case))

    # --- requesters ------------------------------------------------------------------------------
    def handle_events(self, day: int) -> None:
        """Approvals decided today move cases on; patience running out ends them."""
        for what, case in self.agenda.pop(day, ()):
            if case.status != OPEN:
                continue
            if what == APPROVAL_DONE:
                case.outstanding -= 1
                case.procedures += 1
                if case.outstanding == 0:
                    if case.next < len(case.todo):
                        self.dispatch(case, day + 1)
                    else:
                        self.finish(case, COMPLETED)
            else:
                self.finish(case, ABANDONED)

    def finish(self, case: Case, status: int) -> None:
        case.status = status
        self.ended.append(case)
        self.open_cases -= 1
        if self.env.catalogue.services[case.service].creates_enterprise:
            self.m.enterprise_founded(case.req, status == COMPLETED)

    def evaluate(self, day: int) -> None:
        """Judge today's finished cases, update requesters, spread the word, file complaints."""
        cases, self.ended = self.ended, []
        if not cases:
            return
        p, sums, cat = self.p, self.sums, self.env.catalogue
        n = len(cases)
        kind = np.fromiter((c.kind for c in cases), np.int64, n)
        req = np.fromiter((c.req for c in cases), np.int64, n)
        svc = np.fromiter((c.service for c in cases), np.int64, n)
        done = np.fromiter((c.status == COMPLETED for c in cases), bool, n)
        days = day - np.fromiter((c.created for c in cases), np.int64, n) + 1
        trips = np.fromiter((c.trips for c in cases), np.float64, n)
        hours = np.fromiter((c.hours for c in cases), np.float64, n)
        paid_hours = np.fromiter((c.paid for c in cases), np.float64, n)
        demanded = np.fromiter((c.demanded for c in cases), bool, n)
        contacts = np.fromiter((c.contacts for c in cases), np.float64, n)
        courtesy = np.where(
            contacts > 0,
            np.fromiter((c.courtesy for c in cases), np.float64, n) / np.maximum(contacts, 1),
            0.5,
        )
        procedures = np.fromiter((c.procedures for c in cases), np.float64, n)
        limit = np.array([s.time_limit_days for s in cat.services])[svc]

        burden = (
            trips * p.trip_hours
            + hours
            + days * p.waiting_day_hours
            + paid_hours
            + (~done) * p.abandon_penalty_hours
        )
        rel = np.log(np.maximum(burden, 1e-3) / self.nominal_burden[svc])
        offset = expectation_offset(p, day)
        sat = np.empty(n)
        for k, pool in ((CITIZEN, self.m.citizens), (ENTERPRISE, self.m.enterprises)):
            mask = kind == k
            if not mask.any():
                continue
            r = req[mask]
            s = case_satisfaction(
                rel[mask], pool.expectation[r] - offset, courtesy[mask], demanded[mask], p
            )
            sat[mask] = s
            self._update_requesters(pool, r, s, rel[mask] + offset)
            if k == ENTERPRISE:
                self._charge_red_tape(pool, r, burden[mask], days[mask])
            self._word_of_mouth(self.m.network(k), pool, r, s, rel[mask] + offset)
        self._complaints(cases, sat)

        weights = np.where(sat < 0.5, p.media_negativity, 1.0)
        self.media_image += 0.1 * (float((weights * sat).sum() / weights.sum()) - self.media_image)

        cit, ent = kind == CITIZEN, kind == ENTERPRISE
        sums["ended_citizens"] += int(cit.sum())
        sums["ended_enterprises"] += int(ent.sum())
        sums["satisfaction_citizens"] += float(sat[cit].sum())
        sums["satisfaction_enterprises"] += float(sat[ent].sum())
        sums["abandoned"] += int((~done).sum())
        sums["paid"] += int((paid_hours > 0).sum())
        sums["demanded"] += int(demanded.sum())
        d = done
        sums["completed"] += int(d.sum())
        sums["completed_citizens"] += int((d & cit).sum())
        sums["completed_enterprises"] += int((d & ent).sum())
        sums["days"] += float(days[d].sum())
        sums["days_citizens"] += float(days[d & cit].sum())
        sums["days_enterprises"] += float(days[d & ent].sum())
        sums["trips"] += float(trips[d].sum())
        sums["hours"] += float(hours[d].sum())
        sums["hours_citizens"] += float(hours[d & cit].sum())
        sums["hours_enterprises"] += float(hours[d & ent].sum())
        sums["procedures"] += float(procedures[d].sum())
        sums["returns"] += float(sum(c.returns for c in cases if c.status == COMPLETED))
        sums["bounces"] += float(sum(c.bounces for c in cases if c.status == COMPLETED))
        sums["on_time"] += int((d & (days <= limit)).sum())
        db = d & (svc == self.db_service)
        if db.any():
            sums["db_completed"] += int(db.sum())
            sums["db_procedures"] += float(procedures[db].sum())
            self.m.ledger.ensure(day)
            self.m.ledger.db_days[day].extend(days[db].tolist())

    def _update_requesters(self, pool: RequesterPool, r, s, rel_stored) -> None:
        p = self.p
        pool.satisfaction[r] += p.satisfaction_memory * (s - pool.satisfaction[r])
        pool.expectation[r] += p.expectation_adaptation * (rel_stored - pool.expectation[r])
        np.add.at(pool.cases, r, 1)

    def _charge_red_tape(self, pool: RequesterPool, r, burden_hours, days) -> None:
        """A firm's case costs it its time and lost business while the case is open."""
        p = self.p
        cost = burden_hours * pool.value_of_time[r] + days * p.delay_cost_share * pool.margin[r]
        np.add.at(pool.red_tape, r, cost / p.cost_memory_days)
        self.sums["red_tape_cost"] += float(cost.sum())

    def _word_of_mouth(self, net, pool: RequesterPool, r, s, rel_stored) -> None:
        """Each finished case is told to a share of the requester's ties."""
        p = self.p
        if p.wom_reach <= 0 or net is None:
            return
        pos, nbr = net.ties_of(r)
        if len(nbr) == 0:
            return
        told = self.rng.random(len(nbr)) < p.wom_reach
        pos, nbr = pos[told], nbr[told]
        np.add.at(pool.satisfaction, nbr, p.wom_weight * (s[pos] - pool.satisfaction[nbr]))
        np.add.at(
            pool.expectation,
            nbr,
            p.peer_expectation_weight * (rel_stored[pos] - pool.expectation[nbr]),
        )

    def _complaints(self, cases: list[Case], sat: np.ndarray) -> None:
        """Dissatisfied requesters complain; an open feedback channel corrects the servants."""
        p, env = self.p, self.env
        prob = min(1.0, p.complaint_propensity * (1 + 9 * env.complaint_response))
        unhappy = np.flatnonzero(sat < p.complaint_threshold)
        if len(unhappy) == 0:
            return
        filed = unhappy[self.rng.random(len(unhappy)) < prob]
        self.sums["complaints"] += len(filed)
        if env.complaint_response <= 0:
            return
        for i in filed.tolist():
            for o, k, demanded in cases[i].handlers:
                self.m.offices[o].correct(k, demanded, env.complaint_response)

    def flush(self) -> dict[str, float]:
        """The day's tallies, handed to the ledger."""
        sums, self.sums = self.sums, defaultdict(float)
        return sums
