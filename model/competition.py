"""Competition between cities: where firms start, stay or move, and where residents live.

"客户选企业、企业选城市、市民选政府": choices are conditional (multinomial) logit choices
(McFadden 1974) over cities, "voting with feet" (Tiebout 1956). A decision-maker picks city j with
probability exp(V_j) / sum_k exp(V_k), where V_j adds the perceived business environment (or
service quality), market size, tax, and an inertia bonus for staying / a cost for moving.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.case import CITIZEN, ENTERPRISE
from world.calendar import DAYS_PER_YEAR
from world.parameters import COMPETITIVENESS_AVERAGE, COMPETITIVENESS_WEIGHTS, RegionParameters


def logit_probabilities(utilities: np.ndarray) -> np.ndarray:
    """Choice probabilities exp(V_j) / sum_k exp(V_k) along the last axis (numerically stable)."""
    v = np.asarray(utilities, dtype=np.float64)
    z = np.exp(v - v.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def choose(probabilities: np.ndarray, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
    """One draw per row of a probability matrix: the chosen column index. A single row with
    `n` draws from it gives what n copies of the row would (the same draws, without the matrix)."""
    cum = np.cumsum(probabilities, axis=-1)
    rows = probabilities.shape[0] if probabilities.ndim == 2 else n
    u = rng.random(rows)[:, None]
    return np.minimum((u > cum).sum(axis=-1), probabilities.shape[-1] - 1)


def firm_utilities(
    own_view: np.ndarray,
    current: np.ndarray,
    image: np.ndarray,
    market: np.ndarray,
    tax: np.ndarray,
    rp: RegionParameters,
    *,
    founding: bool = False,
) -> np.ndarray:
    """V[f, j] for firms f located in `current[f]` (or founders from there) over cities j.

    Firms judge their own city by `own_view` (their experience and their contacts' reports) and
    other cities by their image; market is log relative size; tax a rate. V is
    beta_environment * env + beta_market * market - beta_tax * tax, plus the inertia for staying
    and minus the cost of moving (founders: plus the home bias at home).

    Worked out cell by cell in plain floats, in the order a whole-matrix numpy expression takes
    (the same numbers, bit for bit): a day asks it for a handful of firms and a few cities,
    where numpy's cost per call was most of the competition phase.
    """
    b_env, b_mkt, b_tax = rp.beta_environment, rp.beta_market, rp.beta_tax
    others = image.tolist()
    terms = list(zip(market.tolist(), tax.tolist(), strict=True))
    # a founder has no move to pay for: less 0.0, the same number as no term at all
    stay, move = (rp.startup_home_bias, 0.0) if founding else (rp.firm_inertia, rp.firm_moving_cost)
    rows = []
    for view, here in zip(own_view.tolist(), current.tolist(), strict=True):
        row = []
        for j, (m, t) in enumerate(terms):
            env = view if j == here and not founding else others[j]
            row.append(_staying(b_env * env + b_mkt * m - b_tax * t, j == here, stay, move))
        rows.append(row)
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(terms))


def _staying(v: float, at_home: bool, stay: float, move: float) -> float:
    """v plus `stay` for the city where the chooser is, less `move` for every other, in the
    operations of `v + stay * here - move * ~here` on arrays (the same number)."""
    return v + stay * (1.0 if at_home else 0.0) - move * (0.0 if at_home else 1.0)


def resident_utilities(
    current: np.ndarray,
    service_image: np.ndarray,
    jobs: np.ndarray,
    rp: RegionParameters,
) -> np.ndarray:
    """V[c, j] for residents of `current[c]`: jobs (log firms per resident) and service quality,
    plus the inertia for staying and minus the cost of moving. Cell by cell in plain floats,
    as `firm_utilities` (a day asks it for one row)."""
    base = [
        rp.beta_jobs * b + rp.beta_service * s
        for b, s in zip(jobs.tolist(), service_image.tolist(), strict=True)
    ]
    stay, move = rp.resident_inertia, rp.resident_moving_cost
    rows = [
        [_staying(b, j == here, stay, move) for j, b in enumerate(base)]
        for here in current.tolist()
    ]
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(base))


class Competition:
    """The region's phase of the day: images update, firms and residents choose their city.

    With a single city nothing is chosen and no random number is drawn, so a one-city model runs
    exactly as if there were no competition at all.
    """

    def __init__(self, model: Any, rng: np.random.Generator) -> None:
        self.model = model
        self.rng = rng
        self.business_image: np.ndarray | None = None
        self.public_image: np.ndarray | None = None

    @property
    def cities(self) -> list:
        return self.model.cities

    # --- images -----------------------------------------------------------------------------------
    def _update_images(self) -> None:
        """Images follow each city's reality with a lag (word of mouth, media, across cities)."""
        unjudged = self.model.region.unjudged_image
        business = np.array(
            [_nan_to(c.enterprises.mean_satisfaction(), unjudged) for c in self.cities]
        )
        public = np.array([_nan_to(c.public_satisfaction(), unjudged) for c in self.cities])
        if self.business_image is None:
            self.business_image, self.public_image = business, public
            return
        rate = 1.0 / self.model.region.reputation_lag_days
        self.business_image += rate * (business - self.business_image)
        self.public_image += rate * (public - self.public_image)

    def _market(self) -> np.ndarray:
        residents = np.array([max(c.citizens.n_active, 1) for c in self.cities], dtype=float)
        return np.log(residents / residents.mean())

    def _tax(self) -> np.ndarray:
        return np.array([c.p.tax_rate for c in self.cities])

    # --- start-ups --------------------------------------------------------------------------------
    def startup_cities(self, origin: int, n: int) -> np.ndarray:
        """Where n founders from city `origin` register their firms (logit, home bias)."""
        if len(self.cities) == 1:
            return np.zeros(n, dtype=np.int64)
        if self.business_image is None:
            self._update_images()
        rp = self.model.region
        # every founder from `origin` weighs the cities alike: one row of utilities, n draws
        v = firm_utilities(
            np.zeros(1),
            np.full(1, origin),
            self.business_image,
            self._market(),
            self._tax(),
            rp,
            founding=True,
        )
        return choose(logit_probabilities(v[0]), self.rng, n)

    # --- the day ----------------------------------------------------------------------------------
    def step(self, day: int) -> list[dict[str, float]]:
        """Firms and residents reconsider where they are; returns per-city levels to record."""
        self._update_images()
        if len(self.cities) > 1:
            self._relocate_firms()
            self._migrate_residents()
        index = self._competitiveness(day)
        return [
            {
                "business_image": float(self.business_image[k]),
                "public_image": float(self.public_image[k]),
                "competitiveness": float(index[k]),
            }
            for k in range(len(self.cities))
        ]

    def _relocate_firms(self) -> None:
        rp, rng = self.model.region, self.rng
        market, tax = self._market(), self._tax()
        for city in self.cities:
            pool = city.enterprises
            active = pool.active_indices()
            n = rng.binomial(len(active), rp.firm_review_rate / DAYS_PER_YEAR) if len(active) else 0
            if n == 0:
                continue
            rows = rng.choice(active, n, replace=False)
            own = pool.satisfaction[rows]
            heard = _mean_of_ties(city.enterprise_network, rows, pool.satisfaction, own)
            view = (1 - rp.network_weight) * own + rp.network_weight * heard
            v = firm_utilities(view, np.full(n, city.index), self.business_image, market, tax, rp)
            choice = choose(logit_probabilities(v), rng)
            for row, target in zip(rows.tolist(), choice.tolist(), strict=True):
                if target != city.index:
                    self.model.move(ENTERPRISE, city, row, self.cities[target])

    def _migrate_residents(self) -> None:
        rp, rng = self.model.region, self.rng
        firms = np.array([c.enterprises.n_active for c in self.cities], dtype=float)
        people = np.array([max(c.citizens.n_active, 1) for c in self.cities], dtype=float)
        ratio = firms / people
        jobs = np.log(np.maximum(ratio, 1e-9) / max(ratio.mean(), 1e-9))  # arithmetic: no log(0)
        for city in self.cities:
            pool = city.citizens
            count = pool.n_active
            n = rng.binomial(count, rp.resident_review_rate / DAYS_PER_YEAR) if count else 0
            if n == 0:
                continue
            rows = pool.sample_active(n, rng)
            # every resident of a city weighs the cities alike: one row of utilities, n draws
            v = resident_utilities(np.full(1, city.index), self.public_image, jobs, rp)
            choice = choose(logit_probabilities(v[0]), rng, n)
            for row, target in zip(rows.tolist(), choice.tolist(), strict=True):
                if target != city.index:
                    self.model.move(CITIZEN, city, row, self.cities[target])

    def _competitiveness(self, day: int) -> np.ndarray:
        """The documented index: 100 for an average city with a steady firm stock."""
        w = COMPETITIVENESS_WEIGHTS
        firms = np.array([c.enterprises.n_active for c in self.cities], dtype=float)
        people = np.array([c.citizens.n_active for c in self.cities], dtype=float)
        tax = np.array([c.tax_revenue() for c in self.cities])
        image = self.business_image
        span = min(DAYS_PER_YEAR, day)
        growth = np.zeros(len(self.cities))
        inflow = np.zeros(len(self.cities))
        if span > 0:
            for k, c in enumerate(self.cities):
                led, k_w = c.ledger, c.weight  # the ledger books counts times the weight
                before = led.level["enterprises"][day - span] / k_w
                if before > 0:
                    growth[k] = (firms[k] / before - 1.0) * DAYS_PER_YEAR / span
                lo = day - span + 1
                today = c.today  # today's moves are not booked yet
                firm_net = (
                    (
                        led.tally["firm_moves_in"][lo:day].sum()
                        - led.tally["firm_moves_out"][lo:day].sum()
                    )
                    / k_w
                    + today.firm_moves_in
                    - today.firm_moves_out
                )
                people_net = (
                    (
                        led.tally["resident_moves_in"][lo:day].sum()
                        - led.tally["resident_moves_out"][lo:day].sum()
                    )
                    / k_w
                    + today.resident_moves_in
                    - today.resident_moves_out
                )
                scale = DAYS_PER_YEAR / span
                inflow[k] = scale * (firm_net / max(firms[k], 1) + people_net / max(people[k], 1))
        return COMPETITIVENESS_AVERAGE * (
            w["firms"] * _relative(firms)
            + w["tax_base"] * _relative(tax)
            + w["reputation"] * _relative(image)
            + (1 - w["firms"] - w["tax_base"] - w["reputation"])
            + w["growth"] * growth
            + w["inflow"] * inflow
        )


def _relative(x: np.ndarray) -> np.ndarray:
    m = x.mean()
    return x / m if m > 0 else np.ones_like(x)


def _nan_to(x: float, default: float) -> float:
    return default if x != x else x


def _mean_of_ties(
    network: Any, rows: np.ndarray, values: np.ndarray, own: np.ndarray
) -> np.ndarray:
    """Mean of `values` over each row's ties; a row with no ties hears only itself."""
    pos, nbr = network.ties_of(rows)
    total = np.bincount(pos, weights=values[nbr], minlength=len(rows))
    count = np.bincount(pos, minlength=len(rows))
    return np.where(count > 0, total / np.maximum(count, 1), own)
