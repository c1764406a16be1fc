"""Office (政府部门/窗口) and its civil servants (公务员).

Civil servants are arrays owned by their office (skill, courtesy, inclination to corruption,
whether on the take, experience) so that a day's learning is a few vector operations;
`Office.civil_servants` gives inspectable CivilServant records.

Petty corruption is a choice with a social norm (after Hammond 2000): from time to time each
servant reconsiders being on the take, weighing its own inclination, the share of colleagues on
the take, and the chance of detection the office has seen. With a strong norm an office has two
stable states, mostly honest and mostly corrupt, and a reform that raises detection enough tips
it from one to the other (or fails to).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np

from world.calendar import (
    WORKING_DAYS_PER_YEAR,
    is_working_day,
    next_working_day,
    working_index,
)
from world.catalogue import OfficeSpec
from world.environment import ServiceEnvironment
from world.parameters import INTEGRITY_SETTLING_ROUNDS, Parameters
from world.queueing import CounterQueue


@dataclass(frozen=True)
class CivilServant:
    """A snapshot of one civil servant, for inspection (the office holds the live arrays)."""

    office: str
    position: int
    on_duty: bool
    skill: float
    courtesy: float
    inclination: float  # logit: attraction of being on the take before norm and deterrence
    on_take: bool  # demands informal payments (吃拿卡要) now and then
    cases_handled: int


def _clip01(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0.0, 1.0)


def _logit(probability: float) -> float:
    q = min(max(probability, 1e-9), 1 - 1e-9)  # arithmetic: keep the logit finite
    return math.log(q / (1 - q))


def _logistic(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # arithmetic: 1 / (1 + e^-x), without overflow


def complaint_channel(p: Parameters, response: float) -> tuple[float, float]:
    """How many times more often complaints and reports are made, and the chance one is acted
    on, with the feedback channel open to `response` (0-1)."""
    invited = 1 + (p.feedback_complaint_multiplier - 1) * response
    acted_on = p.complaint_action_prob + (p.feedback_action_prob - p.complaint_action_prob) * (
        response
    )
    return invited, acted_on


def detection_probability(p: Parameters, informed: float, response: float) -> float:
    """The chance a demand is found out: by superiors' own checks, or reported by the requester
    (more often by one who read the published rules and fees: `informed` is the share who did,
    and more often still when the feedback channel invites it), acted on and proven."""
    report = informed * p.report_propensity_informed + (1 - informed) * p.report_propensity
    invited, acted_on = complaint_channel(p, response)
    return p.audit_detection + min(1.0, report * invited) * acted_on * p.report_proof_prob


def counter_speed(skill: Any, p: Parameters, training_share: float = 0.0) -> Any:
    """Work done per counter hour by a servant of `skill`, less the time spent training.

    The one home of the rule: the office serves with it, the city sizes its staff with it.
    """
    return (p.speed_at_zero_skill + skill) * (1.0 - training_share)


def min_staff(spec: OfficeSpec, p: Parameters) -> float:
    """The office's fewest counter staff in this run: the catalogue's minimum is for the whole
    city, so with agent weight k (the city run at 1/k of its people) it is 1/k of it."""
    return spec.min_staff / p.agent_weight


class Office(mesa.Agent):
    """A department with counters: a queue, civil servants, an inbox of visits by day."""

    def __init__(
        self,
        model: mesa.Model,
        index: int,
        spec: OfficeSpec,
        staff: float,
        p: Parameters,
        rng: np.random.Generator,
    ) -> None:
        super().__init__(model)
        self.index = index
        self.spec = spec
        self.staff = max(min_staff(spec, p), staff)  # full-time equivalents at the counters
        self.establishment = n = math.ceil(self.staff)  # civil servants on the payroll
        self.p = p
        self.skill = self._hire_skill(n, p, rng)
        self.own_courtesy = _clip01(rng.normal(p.courtesy_mean, p.courtesy_sd, n))
        self.courtesy = self.own_courtesy.copy()
        self.inclination = rng.normal(_logit(p.corruption_mean), p.corruption_inclination_sd, n)
        # The chance of detection per demand the office's servants perceive.
        self.detection = detection_probability(p, 0.0, 0.0)
        self.on_take = rng.random(n) < self._settled_take_probability(p)
        self.suspended = np.zeros(n)  # working days a disciplined servant stays off the take
        self.handled = np.zeros(n, dtype=np.int64)
        self.handled_today = np.zeros(n, dtype=np.int64)
        self.on_duty = n  # counters open today
        self.days_open = 0  # working days this office has opened so far
        self._open_days: dict[int, int] = {}  # day -> next open day, for the current staffing
        self._open_days_fte = -1.0
        self.queue = CounterQueue(n)
        self.inbox: dict[int, list] = {}  # counter visits by day
        self.back_inbox: dict[int, list] = {}  # online submissions by day (decided any day)
        self.disruptions_seen = 0
        self.familiarity = 1.0  # command of the current procedures (falls when they change)
        # Work that arrived since the last re-sizing, staff hours at full familiarity: counter
        # visits (served, still queued or later given up) and online submissions' back-office
        # share. What the office is asked to do, not what it managed to do.
        self.work_arrived = 0.0

    @staticmethod
    def _hire_skill(n: int, p: Parameters, rng: np.random.Generator) -> np.ndarray:
        return np.clip(rng.normal(p.skill_mean, p.skill_sd, n), p.skill_floor, 1.0)

    def take_probability(self, share_on_take: float) -> np.ndarray:
        """Each servant's chance of choosing to be on the take, given the share of colleagues
        who are and the office's perceived chance of detection (a logit choice)."""
        p = self.p
        return _logistic(
            self.inclination
            + p.corruption_norm_weight * share_on_take
            - p.sanction_weight * self.detection
        )

    def _settled_take_probability(self, p: Parameters) -> np.ndarray:
        """The traditional office at the start: the corrupt state the norm settles in when
        everyone starts on the take (if the norm is weak, the only state there is)."""
        share = 1.0
        for _ in range(INTEGRITY_SETTLING_ROUNDS):
            share = float(self.take_probability(share).mean())
        return self.take_probability(share)

    def on_take_count(self, posts: int) -> tuple[int, int]:
        """Servants at the counters whom colleagues count as on the take (a disciplined servant
        still is: deterred for a while, not converted), and servants at the counters."""
        n = max(posts, 1)
        return int((self.on_take[:n] | (self.suspended[:n] > 0)).sum()), n

    def demand_probabilities(self) -> list[float]:
        """Each servant's chance of demanding an informal payment in a decision."""
        return (self.on_take * self.p.demand_rate_on_take).tolist()

    # --- the day's work ------------------------------------------------------------------------
    def staff_on_duty(self, env: ServiceEnvironment) -> float:
        """Full-time equivalents at the counters under the current staffing policy: lean
        staffing cuts even an office at its minimum (its counter then opens on fewer days)."""
        return self.staff * env.staff_factor

    def posts(self, env: ServiceEnvironment) -> int:
        """Civil servants at the counters under the current staffing (the rest are off duty:
        posts lean staffing has cut)."""
        return min(self.establishment, math.ceil(self.staff_on_duty(env) - 1e-9))  # arithmetic

    @staticmethod
    def counters_on(fte: float, day: int) -> int:
        """Counters open on a working day: the full-time posts, plus the part-time post on an
        evenly spread share of days equal to its fraction (0.4 FTE: open two days in five)."""
        full = math.floor(fte + 1e-9)  # arithmetic: rounding guard
        part = fte - full
        if part <= 1e-9:  # arithmetic: rounding guard
            return full
        w = working_index(day)
        return full + int(math.floor((w + 1) * part) > math.floor(w * part))

    def next_open_day(self, day: int) -> int:
        """The first working day from `day` on which this office opens a counter.

        Uses the staffing set by today's `prepare` (reforms change it only at the day's start).
        """
        found = self._open_days.get(day)
        if found is None:
            fte = self._open_days_fte
            found = next_working_day(day)
            while self.counters_on(fte, found) == 0:
                found = next_working_day(found + 1)
            self._open_days[day] = found
        return found

    def speeds(self, env: ServiceEnvironment) -> list[float]:
        """Work done per counter hour by each servant on duty: skill, less time spent training."""
        training = env.training_time(self.p.max_training_share)
        return counter_speed(self.skill[: self.on_duty], self.p, training).tolist()

    def prepare(self, env: ServiceEnvironment, day: int) -> None:
        """Open today's counters, as staffing allows; closed on weekends and off-days. A process
        reform started today costs the office part of its command of the procedures (several
        started together, or while the office is still learning, cost no more than one)."""
        if self.disruptions_seen < env.disruptions:
            self.familiarity = min(self.familiarity, 1.0 - self.p.reform_disruption)
            self.disruptions_seen = env.disruptions
        fte = self.staff_on_duty(env)
        if fte != self._open_days_fte:
            self._open_days.clear()
            self._open_days_fte = fte
        n = self.counters_on(fte, day) if is_working_day(day) else 0
        self.on_duty = n
        if n > 0:
            self.days_open += 1
            if n != self.queue.n_servers:
                self.queue.resize(n)

    @property
    def queue_length(self) -> int:
        return len(self.queue)

    # --- learning, courtesy, integrity ------------------------------------------------------------
    def learn(
        self,
        env: ServiceEnvironment,
        p: Parameters,
        rng: np.random.Generator,
        neighbour_skill: float | None,
        norm_share: float,
    ) -> None:
        """One working day of learning by doing, training, diffusion, forgetting and turnover;
        some servants reconsider being on the take, seeing `norm_share` of the servants around
        them (this office's and those it works with) on the take."""
        s = self.skill
        s += p.learning_by_doing * (1.0 - s) * self.handled_today
        s += env.training_rate * (1.0 - s)
        if neighbour_skill is not None and env.diffusion_rate > 0:
            s += env.diffusion_rate * np.maximum(neighbour_skill - s, 0.0)
        s -= p.skill_forgetting * s
        np.clip(s, p.skill_floor, 1.0, out=s)
        self.familiarity += p.familiarisation_rate * (1.0 - self.familiarity)
        self.handled += self.handled_today
        self.handled_today[:] = 0

        speed = p.courtesy_training_speed * env.courtesy_training
        if env.courtesy_target is not None and speed > 0:
            self.courtesy += speed * (env.courtesy_target - self.courtesy)
        else:
            self.courtesy += p.courtesy_relaxation * (self.own_courtesy - self.courtesy)

        self._review_integrity(env, p, rng, norm_share)

        leaving = rng.random(len(s)) < p.staff_turnover / WORKING_DAYS_PER_YEAR
        if leaving.any():
            k = int(leaving.sum())
            s[leaving] = self._hire_skill(k, p, rng)
            self.own_courtesy[leaving] = _clip01(rng.normal(p.courtesy_mean, p.courtesy_sd, k))
            share = p.new_hire_training_share
            self.courtesy[leaving] = (
                self.own_courtesy[leaving]
                if env.courtesy_target is None
                else (1 - share) * self.own_courtesy[leaving] + share * env.courtesy_target
            )
            self.inclination[leaving] = rng.normal(
                _logit(p.corruption_mean), p.corruption_inclination_sd, k
            )
            # A new hire joins the office's culture as it is now.
            take = self.take_probability(norm_share)[leaving]
            self.on_take[leaving] = rng.random(k) < take
            self.suspended[leaving] = 0.0
            self.handled[leaving] = 0

    def _review_integrity(
        self,
        env: ServiceEnvironment,
        p: Parameters,
        rng: np.random.Generator,
        norm_share: float,
    ) -> None:
        """Servants' sense of the chance of detection moves toward the chance in force; some
        reconsider being on the take today, seeing the servants around them."""
        informed = env.transparency * p.published_rules_use
        in_force = detection_probability(p, informed, env.complaint_response)
        self.detection += (in_force - self.detection) / p.detection_learning_days
        n = len(self.on_take)
        reviewing = rng.random(n) < 1.0 / p.integrity_review_days
        reviewing &= self.suspended <= 0
        np.maximum(self.suspended - 1.0, 0.0, out=self.suspended)
        if not reviewing.any():
            return
        chance = self.take_probability(norm_share)[reviewing]
        self.on_take[reviewing] = rng.random(int(reviewing.sum())) < chance

    def sanction(self, servant: int) -> None:
        """A demand found out (有错必纠): the servant is disciplined and stays off the take for
        `sanction_days` working days before it reconsiders. A servant whose post was cut since
        has left: nothing to do."""
        if servant >= self.establishment:
            return
        self.on_take[servant] = False
        self.suspended[servant] = self.p.sanction_days

    def correct(self, servant: int) -> None:
        """A complaint acted on: the servant complained about becomes more courteous for a while
        (the correction fades as courtesy relaxes to the servant's own manner); a servant whose
        post was cut since has left."""
        if servant >= self.establishment:
            return
        step = self.p.correction_courtesy_step
        self.courtesy[servant] += step * (1.0 - self.courtesy[servant])

    # --- staffing -------------------------------------------------------------------------------
    def resize(self, staff: float, p: Parameters, rng: np.random.Generator) -> None:
        """Set the counter staff (full-time equivalents, at least the office's minimum): new
        hires are drawn as at the start and join the office's culture; cuts take the most
        recently placed posts."""
        self.staff = max(min_staff(self.spec, p), staff)
        n = math.ceil(self.staff - 1e-9)  # arithmetic: rounding guard
        have = self.establishment
        if n > have:
            k = n - have
            share = float(self.on_take.mean()) if have else 0.0
            own = _clip01(rng.normal(p.courtesy_mean, p.courtesy_sd, k))
            inclination = rng.normal(_logit(p.corruption_mean), p.corruption_inclination_sd, k)
            self.skill = np.concatenate([self.skill, self._hire_skill(k, p, rng)])
            self.own_courtesy = np.concatenate([self.own_courtesy, own])
            self.courtesy = np.concatenate([self.courtesy, own])
            self.inclination = np.concatenate([self.inclination, inclination])
            take = self.take_probability(share)[have:]
            self.on_take = np.concatenate([self.on_take, rng.random(k) < take])
            self.suspended = np.concatenate([self.suspended, np.zeros(k)])
            self.handled = np.concatenate([self.handled, np.zeros(k, np.int64)])
            self.handled_today = np.concatenate([self.handled_today, np.zeros(k, np.int64)])
        elif n < have:
            for name in (
                "skill",
                "own_courtesy",
                "courtesy",
                "inclination",
                "on_take",
                "suspended",
                "handled",
                "handled_today",
            ):
                setattr(self, name, getattr(self, name)[:n].copy())
        self.establishment = n

    # --- inspection ------------------------------------------------------------------------------
    @property
    def civil_servants(self) -> list[CivilServant]:
        return [
            CivilServant(
                self.spec.key,
                k,
                k < self.on_duty,  # at a counter today
                float(self.skill[k]),
                float(self.courtesy[k]),
                float(self.inclination[k]),
                bool(self.on_take[k]),
                int(self.handled[k] + self.handled_today[k]),
            )
            for k in range(self.establishment)
        ]

    def __repr__(self) -> str:
        return f"Office({self.spec.key}, counters={self.on_duty}, queue={self.queue_length})"
