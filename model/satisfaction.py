"""Satisfaction by expectation-disconfirmation (Oliver 1980; Van Ryzin 2004, 2006).

A finished case is summed up as a burden in hours of the requester's time (trips, queueing,
days open, informal payments, abandonment), compared on a log scale with the burden the requester
expected for that service. Better than expected raises satisfaction; courtesy adds, being asked for
a bribe subtracts. Expectations then move toward what was experienced and tighten over time.
"""

from __future__ import annotations

import numpy as np

from world.parameters import Parameters


def case_satisfaction(
    relative_burden: np.ndarray,
    expectation: np.ndarray,
    courtesy: np.ndarray,
    demanded: np.ndarray,
    p: Parameters,
) -> np.ndarray:
    """Satisfaction in (0, 1): a logistic function of disconfirmation, courtesy and extortion.

    `relative_burden` and `expectation` are log(burden / the service's nominal traditional burden).
    """
    z = (
        p.satisfaction_sensitivity * (expectation - relative_burden)
        + p.courtesy_weight * (courtesy - 0.5)
        - p.informal_demand_penalty * demanded
    )
    return 1.0 / (1.0 + np.exp(-z))


def expectation_offset(p: Parameters, day: int) -> float:
    """How much expectations have tightened since day 0 ("要求越来越苛刻")."""
    return p.expectation_drift * day / 365.0
