"""Competition between cities: where firms start, stay or move, and where residents live.

"客户选企业、企业选城市、市民选政府": choices are conditional (multinomial) logit choices
(McFadden 1974) over cities, "voting with feet" (Tiebout 1956). A decision-maker picks city j with
probability exp(V_j) / sum_k exp(V_k), where V_j adds the perceived business environment (or
service quality), market size, tax, and an inertia bonus for staying / a cost for moving.
"""

from __future__ import annotations

import numpy as np

from model.parameters import DeclaredParameters
from model.parameters import declare as _p


class RegionParameters(DeclaredParameters):
    """Parameters of the competition between cities, declared once like `Parameters`."""

    firm_review_rate: float = _p(
        0.25, 0.0, 12.0, "1/year", "How often a firm reconsiders where it is located"
    )
    resident_review_rate: float = _p(
        0.03, 0.0, 12.0, "1/year", "How often a resident reconsiders where to live (rarely)"
    )
    beta_environment: float = _p(
        6.0, 0.0, 100.0, "utility/unit", "Weight of the perceived business environment (0-1)"
    )
    beta_market: float = _p(
        1.0, 0.0, 20.0, "utility/log", "Weight of market size (log of relative residents)"
    )
    beta_tax: float = _p(10.0, 0.0, 200.0, "utility/unit", "Weight of the tax rate (a share)")
    firm_inertia: float = _p(
        3.0, 0.0, 50.0, "utility", "Bonus for staying put: relationships, sunk investment"
    )
    firm_moving_cost: float = _p(
        1.5, 0.0, 50.0, "utility", "Cost of relocating a firm to another city"
    )
    startup_home_bias: float = _p(
        1.0, 0.0, 50.0, "utility", "Founders' preference for registering in their own city"
    )
    network_weight: float = _p(
        0.3, 0.0, 1.0, "share", "Weight of business contacts' reports in a firm's own-city view"
    )
    beta_jobs: float = _p(
        2.0, 0.0, 50.0, "utility/log", "Residents: weight of jobs (firms per resident, log)"
    )
    beta_service: float = _p(
        3.0, 0.0, 100.0, "utility/unit", "Residents: weight of perceived public service (0-1)"
    )
    resident_inertia: float = _p(
        4.0, 0.0, 50.0, "utility", "Residents: bonus for staying (family, home, hukou)"
    )
    resident_moving_cost: float = _p(
        1.0, 0.0, 50.0, "utility", "Residents: cost of moving to another city"
    )
    reputation_lag_days: float = _p(
        60.0, 1.0, 3650.0, "days", "Time constant with which a city's image follows its reality"
    )


def logit_probabilities(utilities: np.ndarray) -> np.ndarray:
    """Choice probabilities exp(V_j) / sum_k exp(V_k) along the last axis (numerically stable)."""
    v = np.asarray(utilities, dtype=np.float64)
    z = np.exp(v - v.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def choose(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of a probability matrix: the chosen column index."""
    cum = np.cumsum(probabilities, axis=-1)
    u = rng.random(probabilities.shape[0])[:, None]
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
    other cities by their image; market is log relative size; tax a rate.
    """
    n, k = len(current), len(image)
    env = np.broadcast_to(image, (n, k)).copy()
    here = np.zeros((n, k), dtype=bool)
    here[np.arange(n), current] = True
    if not founding:
        env[here] = own_view
    v = rp.beta_environment * env + rp.beta_market * market - rp.beta_tax * tax
    if founding:
        return v + rp.startup_home_bias * here
    return v + rp.firm_inertia * here - rp.firm_moving_cost * ~here


def resident_utilities(
    current: np.ndarray,
    service_image: np.ndarray,
    jobs: np.ndarray,
    rp: RegionParameters,
) -> np.ndarray:
    """V[c, j] for residents of `current[c]`: jobs (log firms per resident) and service quality."""
    n, k = len(current), len(service_image)
    here = np.zeros((n, k), dtype=bool)
    here[np.arange(n), current] = True
    base = rp.beta_jobs * jobs + rp.beta_service * service_image
    return base[None, :] + rp.resident_inertia * here - rp.resident_moving_cost * ~here
