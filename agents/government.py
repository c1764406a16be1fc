"""City government (政府): holds the policy package and the budget, and keeps the city's image."""

from __future__ import annotations

import mesa

from model.calendar import is_working_day
from model.environment import ServiceEnvironment
from model.interventions import Intervention

REPUTATION_MEMORY = 0.02  # daily weight of today's public satisfaction in the city's reputation


class CityGovernment(mesa.Agent):
    """Applies its reforms on their days, collects tax, pays staff and reforms."""

    def __init__(
        self, model: mesa.Model, name: str, policy: list[Intervention], residents: int
    ) -> None:
        super().__init__(model)
        self.name = name
        self.policy = list(policy)
        self.cost_scale = residents / 10_000  # reform costs are declared per 10,000 residents
        self.budget = 0.0
        self.revenue = 0.0
        self.spending = 0.0
        self.reform_spending = 0.0
        self.reputation = 0.5

    def bind(self, env: ServiceEnvironment) -> None:
        for intervention in self.policy:
            intervention.bind(env)

    def apply_policies(self, env: ServiceEnvironment, day: int) -> float:
        """Start and end interventions due today; returns their cost for the day, in CNY."""
        cost = self.cost_scale * sum(i.update(env, day) for i in self.policy)
        self.reform_spending += cost
        return cost

    def account(
        self, day: int, income: float, staff_on_duty: float, wage: float, reforms: float
    ) -> float:
        """Book the day's tax revenue and spending; returns the cost of service for the day."""
        wages = staff_on_duty * wage if is_working_day(day) else 0.0
        cost = wages + reforms
        self.revenue += income
        self.spending += cost
        self.budget += income - cost
        return cost

    def update_reputation(self, public_satisfaction: float) -> None:
        if public_satisfaction == public_satisfaction:  # not NaN
            self.reputation += REPUTATION_MEMORY * (public_satisfaction - self.reputation)

    @property
    def active_policies(self) -> list[str]:
        return [i.key for i in self.policy if i.active]
