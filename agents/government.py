"""City government (政府): holds the policy package and the budget, and keeps the city's image."""

from __future__ import annotations

import mesa

from world.calendar import is_working_day
from world.environment import ServiceEnvironment
from world.interventions import Intervention


class CityGovernment(mesa.Agent):
    """Applies its reforms on their days, paid from a reform fund; collects tax, pays staff.

    Reforms are paid from a reform fund: a reserve at the start plus a share of each day's tax.
    A city cannot spend what it does not have: a reform whose start (set-up plus the first day)
    the fund cannot pay is deferred until it can; a running reform whose daily cost the fund
    cannot pay is suspended (its effect reverts) and resumes, without paying set-up again, once
    the fund can pay a day. Every such event is logged in `events`.
    """

    def __init__(
        self,
        model: mesa.Model,
        name: str,
        policy: list[Intervention],
        residents: int,
        reserve: float = 0.0,
        budget_share: float = 0.0,
    ) -> None:
        super().__init__(model)
        self.name = name
        self.policy = list(policy)
        self.cost_scale = residents / 10_000  # reform costs are declared per 10,000 residents
        self.reform_fund = reserve * self.cost_scale
        self.budget_share = budget_share
        self.budget = 0.0
        self.revenue = 0.0
        self.spending = 0.0
        self.reform_spending = 0.0
        self.events: list[tuple[int, str, str]] = []
        self._set_up: set[int] = set()
        self._short: set[int] = set()

    def bind(self, env: ServiceEnvironment) -> None:
        for intervention in self.policy:
            intervention.bind(env)

    def apply_policies(self, env: ServiceEnvironment, day: int) -> float:
        """Start, end, defer or suspend today's reforms; returns what they cost today, in CNY."""
        spent = 0.0
        due = [i.start <= day and (i.end is None or day < i.end) for i in self.policy]
        for n, i in enumerate(self.policy):  # ends first, so a successor starting today stays on
            if i.active and not due[n]:
                i.revert(env)
                self.events.append((day, i.key, "ended"))
        for n, i in enumerate(self.policy):
            if not due[n]:
                continue
            daily = i.daily_cost * self.cost_scale
            if not i.active:
                setup = 0.0 if n in self._set_up else i.setup_cost * self.cost_scale
                if self.reform_fund < setup + daily:
                    if n not in self._short:
                        self._short.add(n)
                        what = "resumption" if n in self._set_up else "start"
                        self.events.append((day, i.key, f"{what} deferred: reform fund short"))
                    continue
                i.apply(env)
                self.events.append((day, i.key, "resumed" if n in self._set_up else "started"))
                self._set_up.add(n)
                self._short.discard(n)
                self.reform_fund -= setup
                spent += setup
            if self.reform_fund < daily:
                i.revert(env)
                self._short.add(n)
                self.events.append((day, i.key, "suspended: reform fund empty"))
                continue
            self.reform_fund -= daily
            spent += daily
        self.reform_spending += spent
        return spent

    def account(
        self, day: int, income: float, staff_on_duty: float, wage: float, reforms: float
    ) -> float:
        """Book the day's tax revenue and spending; returns the cost of service for the day."""
        wages = staff_on_duty * wage if is_working_day(day) else 0.0
        cost = wages + reforms
        self.reform_fund += self.budget_share * income
        self.revenue += income
        self.spending += cost
        self.budget += income - cost
        return cost

    @property
    def active_policies(self) -> list[str]:
        return [i.key for i in self.policy if i.active]
