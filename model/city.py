"""The Mesa model of one city: citizens, enterprises, offices and their government."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import mesa
import numpy as np

from agents.citizen import Citizen
from agents.enterprise import SECTORS, SIZE_MARGIN, SIZE_SHARES, SIZE_TIME_VALUE, Enterprise, profit
from agents.government import CityGovernment
from agents.office import Office
from agents.requesters import RequesterPool
from model.calendar import is_working_day
from model.caseflow import CITIZEN, CaseFlow
from model.catalogue import Catalogue
from model.environment import ServiceEnvironment
from model.interventions import Intervention
from model.networks import SocialNetwork
from model.outcomes import OUTCOMES, Ledger, series_value, summary_value
from model.parameters import Parameters

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


def _series(outcome, model: CityModel) -> float:
    return series_value(outcome, model.ledger, model.day, model.p.series_window_days)


class CityModel(mesa.Model):
    """One city under a policy package; one step is one day.

    `step()` runs fixed phases, in this order:
    1. interventions: the government starts and ends reforms due today (they set the environment);
    2. arrivals: citizens and enterprises with a life event open cases;
    3. offices: on working days each office serves its counter queue;
    4. requesters: decided approvals move cases on, cases end, requesters judge them;
    5. learning and word of mouth: finished cases are told along the networks; civil servants
       learn, forget, are trained and replaced; firms close;
    6. outcomes: the government books revenue and cost; the DataCollector records the day.
    """

    def __init__(
        self,
        parameters: Parameters | None = None,
        catalogue: Catalogue | None = None,
        policy: Sequence[Intervention] = (),
        rng: int | None = 0,
        name: str = "city",
    ) -> None:
        super().__init__(rng=rng)
        if catalogue is None:
            raise ValueError("CityModel needs a catalogue (scenarios.load_catalogue())")
        self.p = p = parameters or Parameters()
        self.name = name
        streams = dict(zip(STREAMS, self.rng.spawn(len(STREAMS)), strict=True))
        self._streams = streams
        self.env = ServiceEnvironment(catalogue)
        self.ledger = Ledger(capacity=400)

        self.citizens = self._make_pool("citizen", p.n_citizens, streams["population"])
        self.enterprises = self._make_pool("enterprise", p.n_enterprises, streams["population"])
        self.citizen_agents = [Citizen(self, self.citizens, i) for i in range(p.n_citizens)]
        self.enterprise_agents = [
            Enterprise(self, self.enterprises, i) for i in range(p.n_enterprises)
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
            Office(self, i, spec, staffing[i], p, streams["staff"])
            for i, spec in enumerate(catalogue.offices)
        ]
        self.office_network = catalogue.office_network()
        self.government = CityGovernment(self, name, list(policy), p.n_citizens)
        self.government.bind(self.env)
        self.flow = CaseFlow(self, streams["word_of_mouth"], streams["arrivals"], streams["online"])
        self.datacollector = mesa.DataCollector(
            model_reporters={"day": lambda m: m.day}
            | {o.name: partial(_series, o) for o in OUTCOMES}
        )
        self.day = -1

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
            patience=rng.exponential(patience, n) + 0.5 * patience,
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
        self.enterprise_agents.extend(Enterprise(self, self.enterprises, int(i)) for i in rows)
        return rows

    def enterprise_founded(self, row: int, completed: bool) -> None:
        """A start-up's registration ended: the firm opens, or the founders give up."""
        if completed:
            self.enterprises.active[row] = True
            self.flow.sums["firm_births"] += 1
            active = self.enterprises.active_indices()
            rng = self._streams["demography"]
            k = min(self.p.enterprise_network_links, len(active) - 1)
            if k > 0:
                partners = rng.choice(active, size=k, replace=False)
                self.enterprise_network.join(row, partners)
        else:
            self.enterprise_agents[row].remove()

    def _firm_exits(self) -> int:
        """Red tape fades from memory; firms close, faster while they make a loss."""
        pool, p = self.enterprises, self.p
        active = pool.active_indices()
        pool.red_tape[active] *= 1.0 - 1.0 / p.cost_memory_days
        losing = profit(pool, active, p.tax_rate) < 0
        hazard = p.firm_exit_rate + p.low_profit_exit_rate * losing
        leaving = active[self._streams["demography"].random(len(active)) < hazard / 365.0]
        for row in leaving.tolist():
            pool.active[row] = False
            self.enterprise_agents[row].remove()
        return len(leaving)

    # --- the day ----------------------------------------------------------------------------------
    def step(self) -> None:
        self.day = day = round(self.time) - 1
        env, p = self.env, self.p
        reform_cost = self.government.apply_policies(env, day)
        for office in self.offices:
            office.prepare(env, day)

        self.flow.arrivals(day)

        working = is_working_day(day)
        if working:
            for office in self.offices:
                self.flow.serve(office, day)

        self.flow.handle_events(day)
        self.flow.evaluate(day)

        if working:
            means = np.array([o.skill.mean() for o in self.offices])
            rng = self._streams["learning"]
            for office in self.offices:
                nbrs = list(self.office_network.neighbors(office.index))
                office.learn(env, p, rng, float(means[nbrs].mean()) if nbrs else None)
        exits = self._firm_exits()

        staff = sum(o.staff_on_duty(env) for o in self.offices)
        active = self.enterprises.active_indices()
        n_firms = len(active)
        tax = p.tax_rate * float(self.enterprises.margin[active].sum())
        cost = self.government.account(day, tax, staff, p.wage_per_day, reform_cost)
        sums = self.flow.flush()
        sums["cost"] = cost
        sums["firm_exits"] = exits
        public = (1 - p.media_weight) * self.citizens.mean_satisfaction() + (
            p.media_weight * self.flow.media_image
        )
        self.government.update_reputation(public)
        levels = {
            "skill": float(np.concatenate([o.skill for o in self.offices]).mean()),
            "courtesy": float(np.concatenate([o.courtesy for o in self.offices]).mean()),
            "queue": float(sum(o.queue_length for o in self.offices)),
            "enterprises": float(n_firms),
            "open_cases": float(self.flow.open_cases),
            "public": public,
            "grassroots": self.enterprises.mean_satisfaction(),
            "budget": self.government.budget,
        }
        self.ledger.add_day(day, sums, levels)
        self.datacollector.collect(self)

    # --- results ----------------------------------------------------------------------------------
    def summary(self) -> dict[str, float]:
        """Every outcome over the last `summary_window_days` (or its last value, by its rule)."""
        w = self.p.summary_window_days
        return {o.name: summary_value(o, self.ledger, self.day, w) for o in OUTCOMES}

    def timeseries(self):
        """The DataCollector's table: one row per day, one column per outcome."""
        return self.datacollector.get_model_vars_dataframe()

    @property
    def offices_by_key(self) -> dict[str, Office]:
        return {o.spec.key: o for o in self.offices}
