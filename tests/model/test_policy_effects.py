"""What an intervention does to a city (model/): nothing before `start`, something after.

Same seed in both arms (common random numbers), so the two cities are the same city until the
policy starts, and differ once it is on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import CityModel, Parameters
from model.day_record import LEVEL_NAMES, TALLY_NAMES
from world.catalogue import Catalogue
from world.interventions import REGISTRY, build_intervention

KEYS = sorted(REGISTRY)
SMALL_CITY = {"n_citizens": 3000, "n_enterprises": 150}


def _model(
    catalogue: Catalogue, policy: list[dict], seed: int = 0, size: dict = SMALL_CITY
) -> CityModel:
    return CityModel(
        Parameters(**size), catalogue, [build_intervention(d) for d in policy], rng=seed
    )


@pytest.mark.parametrize("key", KEYS)
def test_no_effect_before_start(key, catalogue) -> None:
    # Same seed in both arms (common random numbers): until `start` the two cities must be the
    # same city, day by day, in every tally, level and time-series cell.
    start, seed = 20, 3
    # Staffing cuts need offices above the one-counter minimum: a city of 30,000 has them.
    size = {"n_citizens": 30000, "n_enterprises": 1500} if key == "lean_staffing" else SMALL_CITY
    base = _model(catalogue, [], seed, size)
    arm = _model(catalogue, [{"type": key, "start": start}], seed, size)
    for _ in range(start + 5):
        base.step()
        arm.step()
    for name in TALLY_NAMES:
        np.testing.assert_array_equal(
            arm.ledger.tally[name][:start], base.ledger.tally[name][:start], err_msg=name
        )
    for name in LEVEL_NAMES:
        np.testing.assert_array_equal(
            arm.ledger.level[name][:start], base.ledger.level[name][:start], err_msg=name
        )
    ts_base, ts_arm = base.timeseries(), arm.timeseries()
    before = ts_base["day"] < start
    assert before.sum() == start
    pd.testing.assert_frame_equal(ts_arm[before], ts_base[before], check_exact=True)


@pytest.mark.parametrize("key", KEYS)
def test_changes_the_city_after_start(key, catalogue) -> None:
    # The counterpart of the test above: the same comparison does see the policy once it is on,
    # so "identical before start" is not identical for want of an effect.
    start, seed = 20, 3
    # Staffing cuts need offices above the one-counter minimum: a city of 30,000 has them.
    size = {"n_citizens": 30000, "n_enterprises": 1500} if key == "lean_staffing" else SMALL_CITY
    base = _model(catalogue, [], seed, size)
    arm = _model(catalogue, [{"type": key, "start": start}], seed, size)
    for _ in range(start + 20):
        base.step()
        arm.step()
    ts_base, ts_arm = base.timeseries(), arm.timeseries()
    after = ts_base["day"] >= start
    assert not ts_arm[after].equals(ts_base[after]), f"{key} changed nothing in 20 days"
