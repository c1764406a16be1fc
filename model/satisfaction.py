"""Judging finished cases: satisfaction, word of mouth, complaints and the media's image.

Satisfaction is expectation-disconfirmation (Oliver 1980; Van Ryzin 2004, 2006), treated alike
on every dimension of a case: its burden in hours of the requester's time (trips, queueing, days
open, fees, informal payments, abandonment; on a log scale relative to the service's traditional
burden), the courtesy met at the counter, and whether a payment was demanded. Each is compared
with what the requester expected; better than expected raises satisfaction. All three
expectations then move toward what was experienced at the same rate, and the expected burden
also tightens over time (demands keep rising). Each case is
told to some of the requester's ties; the dissatisfied may complain and those asked for a payment
may report it; complaints acted on correct a servant, demands found out get one disciplined;
the media report cases, bad news louder.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agents.office import Office, complaint_channel
from agents.requesters import RequesterPool
from model.case import CITIZEN, COMPLETED, ENTERPRISE, Case
from model.day_record import DayRecord
from model.networks import SocialNetwork
from world.calendar import DAYS_PER_YEAR, calendar_days
from world.catalogue import ServiceSpec
from world.environment import ServiceEnvironment
from world.parameters import Parameters


def case_satisfaction(
    relative_burden: np.ndarray,
    expectation: np.ndarray,
    courtesy: np.ndarray,
    demanded: np.ndarray,
    p: Parameters,
    passed_over: np.ndarray | None = None,
    courtesy_expected: np.ndarray | float | None = None,
    demand_expected: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Satisfaction in (0, 1): a logistic function of the disconfirmation of burden, courtesy
    and informal demands, and of unequal treatment (seeing the priority lane served first,
    一视同仁 broken).

    `relative_burden` and `expectation` are log(burden / the service's nominal traditional burden);
    `courtesy_expected` (default: the reference) and `demand_expected` are the requester's
    expected courtesy and chance of a demand.
    """
    if courtesy_expected is None:
        courtesy_expected = p.courtesy_reference
    z = (
        p.satisfaction_sensitivity * (expectation - relative_burden)
        + p.courtesy_weight * (courtesy - courtesy_expected)
        - p.informal_demand_penalty * (demanded - demand_expected)
    )
    if passed_over is not None:
        z = z - p.unequal_treatment_penalty * passed_over
    return 1.0 / (1.0 + np.exp(-z))


# What a requester expects of a case, one column per dimension it is judged on: the burden (log,
# before the drift offset), the courtesy at the counter, and the chance of a demand.
EXPECTATIONS = ("expectation", "courtesy_expectation", "demand_expectation")


def expectation_offset(p: Parameters, day: int) -> float:
    """How much expectations have tightened since day 0 ("要求越来越苛刻")."""
    return p.expectation_drift * day / DAYS_PER_YEAR


def nominal_burden(s: ServiceSpec, p: Parameters) -> float:
    """Burden of a traditional case done at face value: one trip and the lead time per step,
    and the official fees in hours of the requester's time."""
    days = calendar_days(sum(a.lead_days + 1 for a in s.approvals))
    time_value = p.value_of_time_citizen if s.requester == "citizen" else p.value_of_time_enterprise
    fees = sum(a.fee for a in s.approvals)
    fee_hours = fees / time_value if time_value > 0 else 0.0
    return len(s.approvals) * p.trip_hours + days * p.waiting_day_hours + fee_hours


class CaseJudge:
    """Judges a day's finished cases and records what they tell about the city's service."""

    def __init__(
        self,
        p: Parameters,
        env: ServiceEnvironment,
        pools: Sequence[RequesterPool],
        networks: Sequence[SocialNetwork | None],
        offices: Sequence[Office],
        today: DayRecord,
        rng: np.random.Generator,
    ) -> None:
        self.p = p
        self.env = env
        self.pools = pools  # indexed by CITIZEN, ENTERPRISE
        self.networks = networks
        self.offices = offices
        self.today = today
        self.rng = rng  # word of mouth and complaints
        cat = env.catalogue
        self.db_service = next(
            i for i, s in enumerate(cat.services) if s.key == cat.doing_business_service
        )
        self.nominal_burden = np.array([nominal_burden(s, p) for s in cat.services])
        self.time_limit = np.array([s.time_limit_days for s in cat.services])
        self.media_image = p.initial_satisfaction

    def evaluate(self, cases: list[Case], day: int) -> None:
        """Judge today's finished cases, update requesters, spread the word, file complaints."""
        if not cases:
            return
        p, today = self.p, self.today
        n = len(cases)
        kind = np.fromiter((c.kind for c in cases), np.int64, n)
        req = np.fromiter((c.req for c in cases), np.int64, n)
        svc = np.fromiter((c.service for c in cases), np.int64, n)
        done = np.fromiter((c.status == COMPLETED for c in cases), bool, n)
        days = day - np.fromiter((c.created for c in cases), np.int64, n) + 1
        trips = np.fromiter((c.trips for c in cases), np.float64, n)
        hours = np.fromiter((c.hours for c in cases), np.float64, n)
        paid_hours = np.fromiter((c.paid for c in cases), np.float64, n)
        fees = np.fromiter((c.fees for c in cases), np.float64, n)
        passed_over = np.fromiter((c.passed_over for c in cases), bool, n)
        demanded = np.fromiter((c.demanded for c in cases), bool, n)
        contacts = np.fromiter((c.contacts for c in cases), np.float64, n)
        courtesy = np.where(
            contacts > 0,
            np.fromiter((c.courtesy for c in cases), np.float64, n) / np.maximum(contacts, 1),
            p.courtesy_reference,
        )
        procedures = np.fromiter((c.procedures for c in cases), np.float64, n)
        limit = self.time_limit[svc]

        time_value = np.empty(n)
        for k in (CITIZEN, ENTERPRISE):
            mask = kind == k
            time_value[mask] = self.pools[k].value_of_time[req[mask]]
        fee_hours = np.divide(fees, time_value, out=np.zeros(n), where=time_value > 0)
        burden = (
            trips * p.trip_hours
            + hours
            + days * p.waiting_day_hours
            + paid_hours
            + fee_hours
            + (~done) * p.abandon_penalty_hours
        )
        # arithmetic: a floor against log(0) for a case with no burden at all
        rel = np.log(np.maximum(burden, 1e-3) / self.nominal_burden[svc])
        offset = expectation_offset(p, day)
        sat = np.empty(n)
        for k in (CITIZEN, ENTERPRISE):
            mask = kind == k
            if not mask.any():
                continue
            pool = self.pools[k]
            r = req[mask]
            s = case_satisfaction(
                rel[mask],
                pool.expectation[r] - offset,
                courtesy[mask],
                demanded[mask],
                p,
                passed_over[mask],
                pool.courtesy_expectation[r],
                pool.demand_expectation[r],
            )
            sat[mask] = s
            seen = (rel[mask] + offset, courtesy[mask], demanded[mask].astype(np.float64))
            self._update_requesters(pool, r, s, seen)
            if k == ENTERPRISE:
                self._charge_red_tape(pool, r, burden[mask], days[mask])
            self._word_of_mouth(self.networks[k], pool, r, s, seen)
        self._complaints(cases, sat, demanded)

        weights = np.where(sat < p.media_dissatisfied_below, p.media_negativity, 1.0)
        reported = float((weights * sat).sum() / weights.sum())
        self.media_image += p.media_update_rate * (reported - self.media_image)

        cit, ent = kind == CITIZEN, kind == ENTERPRISE
        today.ended_citizens += int(cit.sum())
        today.ended_enterprises += int(ent.sum())
        today.satisfaction_citizens += float(sat[cit].sum())
        today.satisfaction_enterprises += float(sat[ent].sum())
        today.abandoned += int((~done).sum())
        today.paid += int((paid_hours > 0).sum())
        today.fees += float(fees[done].sum())
        today.passed_over += int(passed_over.sum())
        today.demanded += int(demanded.sum())
        d = done
        today.completed += int(d.sum())
        today.completed_citizens += int((d & cit).sum())
        today.completed_enterprises += int((d & ent).sum())
        today.days += float(days[d].sum())
        today.days_citizens += float(days[d & cit].sum())
        today.days_enterprises += float(days[d & ent].sum())
        today.trips += float(trips[d].sum())
        today.one_trip += int((d & (trips <= 1)).sum())
        today.hours += float(hours[d].sum())
        today.hours_citizens += float(hours[d & cit].sum())
        today.hours_enterprises += float(hours[d & ent].sum())
        today.procedures += float(procedures[d].sum())
        today.returns += float(sum(c.returns for c in cases if c.status == COMPLETED))
        today.bounces += float(sum(c.bounces for c in cases if c.status == COMPLETED))
        today.on_time += int((d & (days <= limit)).sum())
        db = d & (svc == self.db_service)
        if db.any():
            today.db_completed += int(db.sum())
            today.db_procedures += float(procedures[db].sum())
            today.db_days.extend(days[db].tolist())

    def _update_requesters(self, pool: RequesterPool, r, s, seen) -> None:
        """Satisfaction memory and every expectation move toward the case just experienced."""
        p = self.p
        with pool.changing_satisfaction(r):
            pool.satisfaction[r] += p.satisfaction_memory * (s - pool.satisfaction[r])
        for column, value in zip(EXPECTATIONS, seen, strict=True):
            expected = getattr(pool, column)
            expected[r] += p.expectation_adaptation * (value - expected[r])
        np.add.at(pool.cases, r, 1)

    def _charge_red_tape(self, pool: RequesterPool, r, burden_hours, days) -> None:
        """A firm's case costs it its time and lost business while the case is open."""
        p = self.p
        cost = burden_hours * pool.value_of_time[r] + days * p.delay_cost_share * pool.margin[r]
        np.add.at(pool.red_tape, r, cost / p.cost_memory_days)
        self.today.red_tape_cost += float(cost.sum())

    def _word_of_mouth(self, net, pool: RequesterPool, r, s, seen) -> None:
        """Each finished case is told to a share of the requester's ties: their satisfaction
        and their expectations move toward the report."""
        p = self.p
        if p.wom_reach <= 0 or net is None:
            return
        pos, nbr = net.ties_of(r)
        if len(nbr) == 0:
            return
        told = self.rng.random(len(nbr)) < p.wom_reach
        pos, nbr = pos[told], nbr[told]
        with pool.changing_satisfaction(nbr):
            np.add.at(pool.satisfaction, nbr, p.wom_weight * (s[pos] - pool.satisfaction[nbr]))
        for column, value in zip(EXPECTATIONS, seen, strict=True):
            expected = getattr(pool, column)
            np.add.at(expected, nbr, p.peer_expectation_weight * (value[pos] - expected[nbr]))

    def _complaints(self, cases: list[Case], sat: np.ndarray, demanded: np.ndarray) -> None:
        """Dissatisfied requesters complain, and requesters asked for a payment may report it;
        a complaint acted on corrects the servant it is about, and a demand found out (by a
        report acted on, or by superiors' own checks) gets its servant disciplined.

        Complaints and reports are acted on with a chance that the feedback reform raises
        (Chen, Pan & Xu 2016; Beijing 12345). Servants are deterred by the chance of detection
        in force (agents/office.py), which these same rates make; a sanction takes its servant
        off the take for a while.
        """
        p, env, rng = self.p, self.env, self.rng
        invited, acted_on = complaint_channel(p, env.complaint_response)
        unhappy = np.flatnonzero(sat < p.complaint_threshold)
        complained = np.zeros(len(cases), dtype=bool)
        if len(unhappy):
            prob = min(1.0, p.complaint_propensity * invited)
            complained[unhappy[rng.random(len(unhappy)) < prob]] = True
        for i in np.flatnonzero(complained).tolist():
            handlers = cases[i].handlers
            if handlers and rng.random() < acted_on:
                o, k, _ = handlers[int(rng.random() * len(handlers))]
                self.offices[o].correct(k)
        for i in np.flatnonzero(demanded).tolist():
            case = cases[i]
            base = p.report_propensity_informed if case.informed else p.report_propensity
            reports = complained[i] or rng.random() < min(1.0, base * invited)
            for o, k, demanded in case.handlers:
                if not demanded:
                    continue
                proven = reports and rng.random() < acted_on * p.report_proof_prob
                found = proven or rng.random() < p.audit_detection
                if found:
                    self.offices[o].sanction(k)
                    self.today.demands_found += 1
            if reports and not complained[i]:
                complained[i] = True
        self.today.complaints += int(complained.sum())
