"""One city: its citizens, enterprises, offices, government, case flow, judge and ledger.

A City is not a Mesa model: the Mesa model (`model.simulation.CityModel`) holds one or several
cities and runs their days in fixed phases. The city's agents are registered with that model.
The city owns its day record: the case flow, the judge, the competition and moves between
cities write the day's tallies there, and the city books it into its ledger at the day's end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import mesa
import numpy as np

from agents.citizen import Citizen
from agents.enterprise import Enterprise, profit
from agents.government import CityGovernment
from agents.office import Office, counter_speed, min_staff
from agents.requesters import Requester, RequesterPool
from model.case import CITIZEN, ENTERPRISE
from model.caseflow import CaseFlow, Placement, document_return_probability
from model.day_record import LEVELS, TALLY_NAMES, DayRecord
from model.ledger import Ledger
from model.networks import SocialNetwork
from model.outcomes import OUTCOMES, series_value, summary_value
from model.satisfaction import CaseJudge
from world.calendar import DAYS_PER_YEAR, WORKING_DAY_HOURS, calendar_days, is_working_day
from world.catalogue import Catalogue
from world.environment import ServiceEnvironment
from world.interventions import Intervention
from world.parameters import (
    FIRM_SECTORS,
    FIRM_SIZE_MARGIN,
    FIRM_SIZE_SHARES,
    FIRM_SIZE_TIME_VALUE,
    Parameters,
)

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
        self,
        model: mesa.Model,
        index: int,
        spec: CitySpec,
        rngs: Sequence[np.random.Generator],
        place_startups: Callable[[City, int], Placement],
    ) -> None:
        self.model = model
        self.index = index
        self.name = spec.name
        # Run in agents: with agent weight k each agent stands for k residents or firms; the
        # ledger books counts multiplied back by k (`close_day`).
        self.p = p = spec.parameters.agent_scale()
        self.weight = p.agent_weight
        catalogue = spec.catalogue
        streams = dict(zip(STREAMS, rngs, strict=True))
        self._streams = streams
        self.env = ServiceEnvironment(catalogue)
        self.ledger = Ledger()
        self.today = DayRecord()
        self.day = -1
        self._public: tuple[int, float] = (-2, 0.0)

        self.citizens = self._make_pool("citizen", p.n_citizens, streams["population"])
        self.enterprises = self._make_pool("enterprise", p.n_enterprises, streams["population"])
        self.citizen_agents: list[Citizen | None] = list(
            Citizen.create_rows(model, self.citizens, range(p.n_citizens), self)
        )
        self.enterprise_agents: list[Enterprise | None] = list(
            Enterprise.create_rows(model, self.enterprises, range(p.n_enterprises), self)
        )
        net_rng = streams["network"]
        net_seeds = net_rng.integers(0, 2**31, 2)  # arithmetic: two seeds (the second: firms')
        self.citizen_network = SocialNetwork.small_world(
            p.n_citizens, p.citizen_network_degree, p.citizen_network_rewiring, net_rng
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
            p.setup_amortisation_days,
            p.reform_resume_days,
        )
        self.government.bind(self.env)
        pools = (self.citizens, self.enterprises)
        self.flow = CaseFlow(
            p,
            self.env,
            pools,
            self.offices,
            self.today,
            streams["arrivals"],
            streams["online"],
            place_startups=lambda n: place_startups(self, n),
            startup_ended=self.enterprise_founded,
        )
        self.judge = CaseJudge(
            p,
            self.env,
            pools,
            (self.citizen_network, self.enterprise_network),
            self.offices,
            self.today,
            streams["word_of_mouth"],
        )

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
            size = rng.choice(len(FIRM_SIZE_SHARES), n, p=FIRM_SIZE_SHARES)
            time_value = np.asarray(FIRM_SIZE_TIME_VALUE)[size]
            spread = p.firm_margin_spread
            extra = {
                "sector": rng.integers(0, len(FIRM_SECTORS), n),
                "size_class": size,
                "value_of_time": p.value_of_time_enterprise * time_value,
                "margin": p.firm_margin
                * np.asarray(FIRM_SIZE_MARGIN)[size]
                * rng.lognormal(-0.5 * spread**2, spread, n),  # arithmetic: a mean of one
            }
            digital, patience = p.digital_access_enterprises, p.patience_days_enterprise
        floor = p.patience_floor_share
        return pool.append(
            n,
            digital=rng.random(n) < digital,
            patience=floor * patience + rng.exponential((1 - floor) * patience, n),
            expectation=rng.normal(p.expectation_mean, p.expectation_sd, n),
            courtesy_expectation=np.full(n, p.courtesy_reference),
            demand_expectation=np.full(n, p.demand_expectation_mean),
            satisfaction=np.full(n, p.initial_satisfaction),
            active=np.full(n, active),
            **extra,
        )

    def _resize_staff(self, day: int) -> None:
        """Every `staff_review_days`, each office's counter staff is re-sized to the work that
        arrived since the last review (counter visits, served or not, and the back-office share
        of online submissions), at the planned utilisation: fewer approvals save staff, more
        demand needs more, and an overloaded office is not cut for what it failed to serve."""
        p = self.p
        if day == 0 or day % p.staff_review_days:
            return
        working = sum(is_working_day(d) for d in range(day - p.staff_review_days, day))
        if working == 0:
            return
        rng = self._streams["staff"]
        for office in self.offices:
            per_day = office.work_arrived / working
            speed = counter_speed(float(office.skill.mean()), p)
            need = per_day / (speed * p.opening_hours * p.staffing_utilisation)
            need = max(min_staff(office.spec, p), need)
            if abs(need - office.staff) > p.staff_review_tolerance * office.staff:
                office.resize(need, p, rng)
            office.work_arrived = 0.0

    def _staffing(self, catalogue: Catalogue) -> list[float]:
        """Counter staff per office (full-time equivalents) for the traditional workload."""
        p = self.p
        work = np.zeros(len(catalogue.offices))
        idx = catalogue.office_index()
        rework = 1 + p.bounce_prob * (1 + p.bounce_triage_share)
        for s in catalogue.services:
            if s.requester == "citizen":
                per_day = s.annual_rate * p.citizen_request_scale * p.n_citizens / DAYS_PER_YEAR
            else:
                per_day = (
                    s.annual_rate * p.enterprise_request_scale * p.n_enterprises / DAYS_PER_YEAR
                )
            per_working_day = calendar_days(per_day)
            for a in s.approvals:
                returns = document_return_probability(p, a.documents, p.skill_mean)
                work[idx[a.office]] += per_working_day * a.effort_hours * (rework + returns)
        mean_speed = counter_speed(p.skill_mean, p)
        return (work / (mean_speed * p.opening_hours * p.staffing_utilisation)).tolist()

    # --- requesters ------------------------------------------------------------------------------
    def found_enterprises(self, n: int) -> np.ndarray:
        """Would-be firms applying to start a business: inactive until the case completes."""
        rows = self._fill_rows(self.enterprises, n, self._streams["demography"], active=False)
        self.enterprise_agents.extend(
            Enterprise.create_rows(self.model, self.enterprises, rows.tolist(), self)
        )
        return rows

    def enterprise_founded(self, row: int, completed: bool) -> None:
        """A start-up's registration ended: the firm opens, or the founders give up."""
        if completed:
            self.enterprises.set_active(row, True)
            self.today.firm_births += 1
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
        """A newcomer befriends a few residents (a share of the usual number of ties)."""
        ties = max(1, int(self.p.citizen_network_degree * self.p.newcomer_tie_share))
        self._tie_in(self.citizens, self.citizen_network, row, ties)

    def leave(self, kind: int, row: int) -> tuple[Requester, dict[str, object]]:
        """A requester moves away: its row closes here; returns its agent and its attributes."""
        pool, agents = self._requesters(kind)
        values = pool.row_values(row)
        pool.set_active(row, False)
        agent = agents[row]
        agents[row] = None
        assert agent is not None
        if kind == ENTERPRISE:
            values["red_tape"] = 0.0  # red tape felt in the old city stays behind
            self.today.firm_moves_out += 1
        else:
            self.today.resident_moves_out += 1
        return agent, values

    def arrive(self, kind: int, agent: Requester, values: dict[str, object]) -> None:
        """A requester moves in with its attributes: a new row, ties to people already here."""
        pool, agents = self._requesters(kind)
        row = int(pool.append(1, **values)[0])
        agent.pool, agent.row, agent.city = pool, row, self
        agents.append(agent)
        if kind == ENTERPRISE:
            self.today.firm_moves_in += 1
            self.tie_in_enterprise(row)
        else:
            self.today.resident_moves_in += 1
            self.tie_in_citizen(row)

    def _requesters(self, kind: int) -> tuple[RequesterPool, list]:
        if kind == CITIZEN:
            return self.citizens, self.citizen_agents
        return self.enterprises, self.enterprise_agents

    def _tie_in(self, pool: RequesterPool, network: SocialNetwork, row: int, ties: int) -> None:
        others = pool.n_active - int(pool.active[row])
        k = min(ties, others)
        if k > 0:
            # the draws of `choice(active rows but this one, k)`, mapped to rows without a scan
            picks = self._streams["demography"].choice(others, size=k, replace=False)
            network.join(row, pool.nth_active(picks, skip=row))

    def _firm_exits(self) -> int:
        """Red tape fades from memory; firms close, faster while they make a loss."""
        pool, p = self.enterprises, self.p
        active = pool.active_indices()
        pool.red_tape[active] *= 1.0 - 1.0 / p.cost_memory_days
        losing = profit(pool, active, p.tax_rate) < 0
        hazard = p.firm_exit_rate + p.low_profit_exit_rate * losing
        draws = self._streams["demography"].random(len(active))
        leaving = active[draws < hazard / DAYS_PER_YEAR]
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
        self._resize_staff(day)
        reform_cost = self.government.apply_policies(self.env, day)
        for office in self.offices:
            office.prepare(self.env, day)
        return reform_cost

    def serve(self, day: int) -> None:
        """Phase 3: on working days every office serves its counter queue; every day its back
        office decides the day's online submissions."""
        if is_working_day(day):
            for office in self.offices:
                self.flow.serve(office, day)
        for office in self.offices:
            self.flow.back_office(office, day)

    def requesters(self, day: int) -> None:
        """Phase 4: decided approvals move cases on; finished cases are judged and told."""
        self.flow.handle_events(day)
        self.judge.evaluate(self.flow.take_ended(), day)

    def learn_and_close(self, day: int) -> int:
        """Phase 5: civil servants learn (working days); firms close. Returns the closures."""
        if is_working_day(day):
            means = np.array([o.skill.mean() for o in self.offices])
            taking = np.array([o.on_take_count(o.posts(self.env)) for o in self.offices])
            rng = self._streams["learning"]
            for office in self.offices:
                nbrs = list(self.office_network.neighbors(office.index))
                around = taking[[office.index, *nbrs]].sum(axis=0)
                office.learn(
                    self.env,
                    self.p,
                    rng,
                    float(means[nbrs].mean()) if nbrs else None,
                    float(around[0] / around[1]),
                )
        return self._firm_exits()

    def public_satisfaction(self) -> float:
        """百姓满意: citizens' satisfaction memory, with the media image mixed in.

        Measured once a day, after the day's cases are judged (before anyone moves away).
        """
        if self._public[0] != self.day:
            p = self.p
            value = (1 - p.media_weight) * self.citizens.mean_satisfaction() + (
                p.media_weight * self.judge.media_image
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
        today = self.today
        # a counter post open H hours is paid H / 8 working days (shifts or overtime)
        wage = p.wage_per_day * p.opening_hours / WORKING_DAY_HOURS
        today.cost = self.government.account(day, tax, staff, wage, reform_cost)
        today.firm_exits = exits
        public = self.public_satisfaction()
        posts = [o.posts(env) for o in self.offices]  # servants at the counters, per office
        at_counters = list(zip(self.offices, posts, strict=True))
        levels = {
            "skill": float(np.concatenate([o.skill[:n] for o, n in at_counters]).mean()),
            "courtesy": float(np.concatenate([o.courtesy[:n] for o, n in at_counters]).mean()),
            "on_take": float(np.concatenate([o.on_take[:n] for o, n in at_counters]).mean()),
            "staff": staff,
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
        if self.weight != 1:
            self._weigh(today, levels)
        self.ledger.add_day(day, today, levels)
        today.clear()

    def _weigh(self, today: DayRecord, levels: dict[str, float]) -> None:
        """Counts in agents to counts in residents, firms and cases: every tally (each case
        stands for `weight` cases) and every level that adds up over cities (firms, residents,
        staff, queue, money) is multiplied by the weight; means and shares are left alone."""
        k = self.weight
        for name in TALLY_NAMES:
            setattr(today, name, getattr(today, name) * k)
        for r in LEVELS:
            if r.pooled == "sum" and r.name in levels:
                levels[r.name] *= k

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
