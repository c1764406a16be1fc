"""City government (政府): holds the policy package and the budget, and keeps the city's image."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import mesa

from world.calendar import is_working_day
from world.environment import ServiceEnvironment
from world.interventions import Intervention
from world.parameters import COST_UNIT_RESIDENTS

# What `CityGovernment.events` records, as (day, reform, event).
STARTED, ENDED, RESUMED = "started", "ended", "resumed"
START_DEFERRED = "start deferred: reform fund short"
RESUMPTION_DEFERRED = "resumption deferred: reform fund short"
SUSPENDED = "suspended: reform fund empty"
FUND_SHORT = (START_DEFERRED, RESUMPTION_DEFERRED, SUSPENDED)


@dataclass
class PolicyRun:
    """What one entry of the package has done in this city's run (the intervention is data)."""

    original: dict[str, Any] = field(default_factory=dict)  # its knobs before any reform
    active: bool = False  # its settings are in the environment now
    set_up: bool = False  # its set-up cost has been paid (it is never paid twice)
    short: bool = False  # waiting for money: a deferral or suspension already logged


class CityGovernment(mesa.Agent):
    """Applies its reforms on their days, paid from a reform fund; collects tax, pays staff.

    Reforms are paid from a reform fund: a reserve at the start plus a share of each day's tax.
    A city cannot spend what it does not have: a reform whose start (set-up plus the first day)
    the fund cannot pay is deferred until it can; a running reform whose daily cost the fund
    cannot pay is suspended (its effect reverts) and resumes, without paying set-up again, once
    the fund can pay a day. Every such event is logged in `events`.

    The interventions are immutable specifications, shared with whoever built them; the run state
    of each entry of the package (a `PolicyRun`: original knob values, on or off, set up, short of
    funds) is the government's.
    """

    def __init__(
        self,
        model: mesa.Model,
        name: str,
        policy: Sequence[Intervention],
        residents: int,
        reserve: float = 0.0,
        budget_share: float = 0.0,
        amortisation_days: float = 1.0,
        resume_days: float = 0.0,
    ) -> None:
        super().__init__(model)
        self.name = name
        self.policy: tuple[Intervention, ...] = tuple(policy)
        self.cost_scale = residents / COST_UNIT_RESIDENTS  # reform costs are declared per unit
        self.reform_fund = reserve * self.cost_scale
        self.budget_share = budget_share
        self.budget = 0.0
        self.reform_spending = 0.0
        self.amortisation_days = amortisation_days
        self.resume_days = resume_days
        self._set_ups: list[tuple[int, float]] = []  # (last day it is charged, CNY per day)
        self.events: list[tuple[int, str, str]] = []
        self._runs: list[PolicyRun] | None = None

    def bind(self, env: ServiceEnvironment) -> None:
        """Remember, before any reform applies, the values each entry's knobs will return to."""
        self._runs = [
            PolicyRun(original={k: getattr(env, k) for k in i.knobs}) for i in self.policy
        ]

    def is_active(self, index: int) -> bool:
        """Whether entry `index` of the package is on (its settings are in the environment)."""
        return self._bound()[index].active

    @property
    def active_policies(self) -> list[str]:
        """The keys of the reforms that are on, in package order."""
        runs = self._bound()
        return [i.key for i, run in zip(self.policy, runs, strict=True) if run.active]

    def _bound(self) -> list[PolicyRun]:
        if self._runs is None:
            raise RuntimeError(f"government of {self.name!r}: bind(env) before running reforms")
        return self._runs

    def _switch_on(self, n: int, env: ServiceEnvironment) -> None:
        """Entry n takes effect: its settings into the environment; a process change disrupts
        the first time (a reform resumed after a shortage brings back procedures staff know)."""
        intervention = self.policy[n]
        for k, v in intervention.settings().items():
            setattr(env, k, v)
        if intervention.disrupts and intervention.intensity > 0 and not self._bound()[n].set_up:
            env.disruptions += 1
        self._bound()[n].active = True

    def _switch_off(self, n: int, env: ServiceEnvironment) -> None:
        """Entry n stops: its knobs return to the values `bind` saw."""
        run = self._bound()[n]
        for k, v in run.original.items():
            setattr(env, k, v)
        run.active = False

    def apply_policies(self, env: ServiceEnvironment, day: int) -> float:
        """Start, end, defer or suspend today's reforms (paid from the fund, set-up at once);
        returns the reforms' share of today's cost of service, in CNY: running costs, and set-ups
        spread over `amortisation_days`."""
        runs = self._bound()
        spent = running = 0.0
        due = [i.due(day) for i in self.policy]
        for n, i in enumerate(self.policy):  # ends first, so a successor starting today stays on
            if runs[n].active and not due[n]:
                self._switch_off(n, env)
                self.events.append((day, i.key, ENDED))
        for n, i in enumerate(self.policy):
            if not due[n]:
                continue
            run = runs[n]
            daily = i.daily_cost * self.cost_scale
            if not run.active:
                setup = 0.0 if run.set_up else i.setup_cost * self.cost_scale
                # a suspended reform waits until the fund holds a cushion of running costs
                cushion = daily * max(1.0, self.resume_days) if run.set_up else daily
                if self.reform_fund < setup + cushion:
                    if not run.short:
                        run.short = True
                        what = RESUMPTION_DEFERRED if run.set_up else START_DEFERRED
                        self.events.append((day, i.key, what))
                    continue
                self._switch_on(n, env)
                self.events.append((day, i.key, RESUMED if run.set_up else STARTED))
                run.set_up = True
                run.short = False
                self.reform_fund -= setup
                spent += setup
                if setup > 0:
                    days = max(1, round(self.amortisation_days))
                    self._set_ups.append((day + days - 1, setup / days))
            if self.reform_fund < daily:
                self._switch_off(n, env)
                run.short = True
                self.events.append((day, i.key, SUSPENDED))
                continue
            self.reform_fund -= daily
            spent += daily
            running += daily
        self.reform_spending += spent
        # The cost of service counts each set-up spread evenly over `amortisation_days` from the
        # day it was paid (the fund pays it at once): a window of outcomes then carries its share.
        self._set_ups = [(last, per_day) for last, per_day in self._set_ups if last >= day]
        return running + sum(per_day for _, per_day in self._set_ups)

    def account(
        self, day: int, income: float, staff_on_duty: float, wage: float, reforms: float
    ) -> float:
        """Book the day's tax revenue and spending; returns the cost of service for the day."""
        wages = staff_on_duty * wage if is_working_day(day) else 0.0
        cost = wages + reforms
        self.reform_fund += self.budget_share * income
        self.budget += income - cost
        return cost
