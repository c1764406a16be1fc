"""One city: its citizens, enterprises, offices, government, case flow and ledger.

A City is not a Mesa model: the Mesa model (`model.simulation.CityModel`) holds one or several
cities and runs their days in fixed phases. The city's agents are registered with that model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import mesa
import numpy as np

from agents.citizen import Citizen
from agents.enterprise import SECTORS, SIZE_MARGIN, SIZE_SHARES, SIZE_TIME_VALUE, Enterprise, profit
from agents.government import CityGovernment
from agents.office import Office
from agents.requesters import RequesterPool
from model.caseflow import CITIZEN, CaseFlow
from model.networks import SocialNetwork
from model.outcomes import OUTCOMES, Ledger, series_value, summary_value
from world.calendar import is_working_day
from world.catalogue import Catalogue
from world.environment import ServiceEnvironment
from world.interventions import Intervention
from world.parameters import Parameters

# Independent random streams, so a reform never changes who lives in the city or who staffs it.
STREAMS = (
    "population",
    "network",
    "staff",
    "arrivals",
    "online",
    "learning",
    "demography",
    "word_of_mouth",
)


@dataclass
class CitySpec:
    """What a city is made of: a name, its parameters, service catalogue and policy package."""

    name: str
    parameters: Parameters
    catalogue: Catalogue
    policy: list[Intervention] = field(default_factory=list)


class City:
    """One city's world; its day is split into the phases the model calls in order."""

    def __init__(
        self, model: mesa.Model, index: int, spec: CitySpec, rngs: Sequence[np.random.Generator]
    ) -> None:
        self.model = model
        self.index = index
        self.name = spec.name
        self.p = p = spec.parameters
        catalogue = spec.catalogue
        streams = dict(zip(STREAMS, rngs, strict=True))
        self._streams = streams
        self.env = ServiceEnvironment(catalogue)
        self.ledger = Ledger(capacity=400)
        self.day = -1
        self._public: tuple[int, float] = (-2, 0.0)

        self.citizens = self._make_pool("citizen", p.n_citizens, streams["population"])
        self.enterprises = self._make_pool("enterprise", p.n_enterprises, streams["population"])
        self.citizen_agents: list[Citizen | None] = [
            Citizen(model, self.citizens, i, self) for i in range(p.n_citizens)
        ]
        self.enterprise_agents: list[Enterprise | None] = [
            Enterprise(model, self.enterprises, i, self) for i in range(p.n_enterprises)
        ]
        net_seeds = streams["network"].integers(0, 2**31, 2)
        self.citizen_network = SocialNetwork.small_world(
            p.n_citizens, p.citizen_network_degree, p.citizen_network_rewiring, int(net_seeds[0])
        )
        self.enterprise_network = SocialNetwork.business(
            p.n_enterprises, p.enterprise_network_links, int(net_seeds[1])
        )

        staffing = self._staffing(catalogue)
        self.offices = [
            Office(model, i, office, staffing[i], p, streams["staff"])
            for i, office in enumerate(catalogue.offices)
        ]
        self.office_network = catalogue.office_network()
        self.government = CityGovernment(
            model,
            self.name,
            list(spec.policy),
            p.n_citizens,
            p.reform_reserve,
            p.reform_budget_share,
        )
        self.government.bind(self.env)
        self.flow = CaseFlow(self, streams["word_of_mouth"], streams["arrivals"], streams["online"])

    # --- construction -----------------------------------------------------------------------------
    def _make_pool(self, kind: str, n: int, rng: np.random.Generator) -> RequesterPool:
        pool = RequesterPool(kind, n)
        if kind == "enterprise":
            pool.add_column("sector", np.int8)
            pool.add_column("size_class", np.int8)
            pool.add_column("margin", np.float64)
            pool.add_column("red_tape", np.float64)
        self._fill_rows(pool, n, rng, active=True)
        return pool

    def _fill_rows(
        self, pool: RequesterPool, n: int, rng: np.random.Generator, active: bool
    ) -> np.ndarray:
        p = self.p
        if pool.kind == "citizen":
            extra = {"value_of_time": np.full(n, p.value_of_time_citizen)}
            digital, patience = p.digital_access_citizens, p.patience_days_citizen
        else:
            size = rng.choice(len(SIZE_SHARES), n, p=SIZE_SHARES)
            extra = {
                "sector": rng.integers(0, len(SECTORS), n),
                "size_class": size,
                "value_of_time": p.value_of_time_enterprise * np.asarray(SIZE_TIME_VALUE)[size],
                "margin": p.firm_margin
                * np.asarray(SIZE_MARGIN)[size]
                * rng.lognormal(-0.5 * p.firm_margin_spread**2, p.firm_margin_spread, n),
            }
            digital, patience = p.digital_access_enterprises, p.patience_days_enterprise
        return pool.append(
            n,
            digital=rng.random(n) < digital,
            patience=0.5 * patience + rng.exponential(0.5 * patience, n),  # mean: `patience`
            expectation=rng.normal(p.expectation_mean, p.expectation_sd, n),
            satisfaction=np.full(n, 0.5),
            active=np.full(n, active),
            **extra,
        )

    def _staffing(self, catalogue: Catalogue) -> list[float]:
        """Counter staff per office (full-time equivalents) for the traditional workload."""
        p = self.p
        work = np.zeros(len(catalogue.offices))
        idx = catalogue.office_index()
        rework = 1 + p.bounce_prob * (1 + 0.25)
        for s in catalogue.services:
            if s.requester == "citizen":
                per_day = s.annual_rate * p.citizen_request_scale * p.n_citizens / 365
            else:
                per_day = s.annual_rate * p.enterprise_request_scale * p.n_enterprises / 365
            per_working_day = per_day * 7 / 5
            for a in s.approvals:
                visits = rework + p.incomplete_docs_prob * a.documents / 3
                work[idx[a.office]] += per_working_day * a.effort_hours * visits
        mean_speed = 0.5 + p.skill_mean
        return (work / (mean_speed * p.opening_hours * p.staffing_utilisation)).tolist()

    # --- requesters, for the case flow ------------------------------------------------------------
    def pool(self, kind: int) -> RequesterPool:
        return self.citizens if kind == CITIZEN else self.enterprises

    def network(self, kind: int) -> SocialNetwork:
        return self.citizen_network if kind == CITIZEN else self.enterprise_network

    def found_enterprises(self, n: int) -> np.ndarray:
        """Would-be firms applying to start a business: inactive until the case completes."""
        rows = self._fill_rows(self.enterprises, n, self._streams["demography"], active=False)
        self.enterprise_agents.extend(
            Enterprise(self.model, self.enterprises, int(i), self) for i in rows
        )
        return rows

    def enterprise_founded(self, row: int, completed: bool) -> None:
        """A start-up's registration ended: the firm opens, or the founders give up."""
        if completed:
            self.enterprises.set_active(row, True)
            self.flow.sums["firm_births"] += 1
            self.tie_in_enterprise(row)
        else:
            agent = self.enterprise_agents[row]
            self.enterprise_agents[row] = None
            agent.remove()

    def tie_in_enterprise(self, row: int) -> None:
        """A new or newly arrived firm makes business ties with firms already here."""
        self._tie_in(
            self.enterprises, self.enterprise_network, row, self.p.enterprise_network_links
        )

    def tie_in_citizen(self, row: int) -> None:
        """A newcomer befriends a few residents (half the usual number of ties)."""
        ties = max(1, self.p.citizen_network_degree // 2)
        self._tie_in(self.citizens, self.citizen_network, row, ties)

    def _tie_in(self, pool: RequesterPool, network: SocialNetwork, row: int, ties: int) -> None:
        active = pool.active_indices()
        active = active[active != row]
        k = min(ties, len(active))
        if k > 0:
            partners = self._streams["demography"].choice(active, size=k, replace=False)
            network.join(row, partners)

    def _firm_exits(self) -> int:
        """Red tape fades from memory; firms close, faster while they make a loss."""
        pool, p = self.enterprises, self.p
        active = pool.active_indices()
        pool.red_tape[active] *= 1.0 - 1.0 / p.cost_memory_days
        losing = profit(pool, active, p.tax_rate) < 0
        hazard = p.firm_exit_rate + p.low_profit_exit_rate * losing
        leaving = active[self._streams["demography"].random(len(active)) < hazard / 365.0]
        for row in leaving.tolist():
            pool.set_active(row, False)
            agent = self.enterprise_agents[row]
            self.enterprise_agents[row] = None
            agent.remove()
        return len(leaving)

    # --- the day, in the phases the model calls -------------------------------------------------
    def start_day(self, day: int) -> float:
        """Phase 1: reforms due today start or end; counters open. Returns the reforms' cost."""
        self.day = day
        reform_cost = self.government.apply_policies(self.env, day)
        for office in self.offices:
            office.prepare(self.env, day)
        return reform_cost

    def serve(self, day: int) -> None:
        """Phase 3: on working days every office serves its counter queue."""
        if is_working_day(day):
            for office in self.offices:
                self.flow.serve(office, day)

    def requesters(self, day: int) -> None:
        """Phase 4: decided approvals move cases on; finished cases are judged and told."""
        self.flow.handle_events(day)
        self.flow.evaluate(day)

    def learn_and_close(self, day: int) -> int:
        """Phase 5: civil servants learn (working days); firms close. Returns the closures."""
        if is_working_day(day):
            means = np.array([o.skill.mean() for o in self.offices])
            rng = self._streams["learning"]
            for office in self.offices:
                nbrs = list(self.office_network.neighbors(office.index))
                office.learn(self.env, self.p, rng, float(means[nbrs].mean()) if nbrs else None)
        return self._firm_exits()

    def public_satisfaction(self) -> float:
        """百姓满意: citizens' satisfaction memory, with the media image mixed in.

        Measured once a day, after the day's cases are judged (before anyone moves away).
        """
        if self._public[0] != self.day:
            p = self.p
            value = (1 - p.media_weight) * self.citizens.mean_satisfaction() + (
                p.media_weight * self.flow.media_image
            )
            self._public = (self.day, value)
        return self._public[1]

    def tax_revenue(self) -> float:
        """Today's tax from the firms operating in the city."""
        active = self.enterprises.active_indices()
        return self.p.tax_rate * float(self.enterprises.margin[active].sum())

    def close_day(self, day: int, reform_cost: float, exits: int, extra: dict) -> None:
        """Phase 6: the government books the day; the ledger records tallies and levels."""
        p, env = self.p, self.env
        staff = sum(o.staff_on_duty(env) for o in self.offices)
        tax = self.tax_revenue()
        cost = self.government.account(day, tax, staff, p.wage_per_day, reform_cost)
        sums = self.flow.flush()
        sums["cost"] = cost
        sums["firm_exits"] = exits
        public = self.public_satisfaction()
        levels = {
            "skill": float(np.concatenate([o.skill for o in self.offices]).mean()),
            "courtesy": float(np.concatenate([o.courtesy for o in self.offices]).mean()),
            "queue": float(sum(o.queue_length for o in self.offices)),
            "enterprises": float(self.enterprises.n_active),
            "open_cases": float(self.flow.open_cases),
            "public": public,
            "grassroots": self.enterprises.mean_satisfaction(),
            "budget": self.government.budget,
            "residents": float(self.citizens.n_active),
            "tax_revenue": tax,
            "reform_fund": self.government.reform_fund,
            **extra,
        }
        self.ledger.add_day(day, sums, levels)

    # --- results ----------------------------------------------------------------------------------
    def summary(self) -> dict[str, float]:
        """Every outcome over the last `summary_window_days` (or its last value, by its rule)."""
        w = self.p.summary_window_days
        return {o.name: summary_value(o, self.ledger, self.day, w) for o in OUTCOMES}

    def series_row(self) -> dict[str, float]:
        """Today's value of every outcome, as the time series records it."""
        w = self.p.series_window_days
        return {o.name: series_value(o, self.ledger, self.day, w) for o in OUTCOMES}

    @property
    def offices_by_key(self) -> dict[str, Office]:
        return {o.spec.key: o for o in self.offices}
