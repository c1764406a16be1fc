"""The day record, the ledger, its windows and the pooling of cities (model/day_record.py,
model/ledger.py), with numbers worked out by hand; and every outcome on an empty ledger."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model.day_record import LEVEL_NAMES, LEVELS, TALLY_NAMES, DayRecord
from model.ledger import Ledger, Window, combine
from model.outcomes import OUTCOMES


# --- the day record -------------------------------------------------------------------------------
def test_a_day_record_starts_at_zero_and_has_every_declared_tally() -> None:
    record = DayRecord()
    assert record.tallies() == dict.fromkeys(TALLY_NAMES, 0.0)
    assert record.db_days == []


def test_a_misspelt_tally_is_an_error_not_a_new_name() -> None:
    record = DayRecord()
    with pytest.raises(AttributeError):
        record.vists = 1  # a typo of `visits`
    with pytest.raises(AttributeError):
        record.vists += 1
    assert "vists" not in record.tallies()


def test_clear_zeroes_every_tally_and_the_start_up_durations() -> None:
    record = DayRecord()
    for k, name in enumerate(TALLY_NAMES, start=1):
        setattr(record, name, float(k))
    record.db_days.extend([3, 8])
    record.clear()
    assert all(v == 0.0 for v in record.tallies().values())
    assert record.db_days == []


def test_tally_and_level_names_are_declared_once() -> None:
    assert len(set(TALLY_NAMES)) == len(TALLY_NAMES)
    assert len(set(LEVEL_NAMES)) == len(LEVEL_NAMES)
    assert not set(TALLY_NAMES) & set(LEVEL_NAMES)
    assert {level.pooled for level in LEVELS} <= {
        "sum",
        "resident_mean",
        "enterprise_mean",
        "staff_mean",
    }


# --- booking days ---------------------------------------------------------------------------------
def _record(**tallies: float) -> DayRecord:
    record = DayRecord()
    for name, value in tallies.items():
        setattr(record, name, value)
    return record


def test_add_day_books_tallies_start_up_durations_and_levels() -> None:
    ledger = Ledger(capacity=10)
    record = _record(visits=3.0, trips=2.0)
    record.db_days.extend([5, 9])
    ledger.add_day(2, record, {"skill": 0.4, "queue": 7.0})
    assert ledger.tally["visits"][2] == 3.0 and ledger.tally["trips"][2] == 2.0
    assert ledger.tally["visits"].sum() == 3.0  # no other day touched
    assert ledger.tally["completed"].sum() == 0.0
    assert ledger.db_days[2] == [5, 9] and ledger.db_days[1] == []
    assert ledger.level["skill"][2] == 0.4 and ledger.level["queue"][2] == 7.0
    assert math.isnan(ledger.level["skill"][1])  # a day not booked has no level
    assert math.isnan(ledger.level["budget"][2])  # a level not given stays unknown
    # booking the same day again adds the tallies (several writers of one day)
    ledger.add_day(2, _record(visits=1.0), {})
    assert ledger.tally["visits"][2] == 4.0
    assert ledger.sum("visits", 0, 3) == 4.0 and ledger.sum("visits", -5, 2) == 0.0


def test_the_ledger_grows_and_keeps_what_it_had() -> None:
    ledger = Ledger(capacity=4)
    ledger.add_day(1, _record(visits=2.0), {"skill": 0.5})
    ledger.add_day(10, _record(visits=5.0), {"skill": 0.6})
    assert ledger.capacity >= 11
    assert all(len(a) == ledger.capacity for a in ledger.tally.values())
    assert all(len(a) == ledger.capacity for a in ledger.level.values())
    assert len(ledger.db_days) == ledger.capacity
    assert ledger.tally["visits"][[1, 10]].tolist() == [2.0, 5.0]
    assert ledger.level["skill"][1] == 0.5 and ledger.level["skill"][10] == 0.6
    assert math.isnan(ledger.level["skill"][5])


def test_an_undeclared_level_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        Ledger().add_day(0, DayRecord(), {"no_such_level": 1.0})


# --- windows --------------------------------------------------------------------------------------
@pytest.fixture
def ledger() -> Ledger:
    """Ten days: `completed` = day, `days` = 2 x day, skill known on some days only."""
    led = Ledger(capacity=10)
    for day in range(10):
        record = _record(completed=float(day), days=2.0 * day)
        if day in (3, 5):
            record.db_days.extend({3: [4, 10], 5: [6]}[day])
        levels = {"skill": 0.1 * day} if day % 2 == 0 else {}
        led.add_day(day, record, levels)
    return led


def test_window_bounds_and_sum(ledger) -> None:
    w = Window(ledger, end_day=5, length=3)  # days 3, 4, 5
    assert (w.lo, w.hi, w.days) == (3, 6, 3)
    assert w.sum("completed") == 3 + 4 + 5
    early = Window(ledger, end_day=1, length=5)  # clipped at day 0: days 0, 1
    assert (early.lo, early.days) == (0, 2)
    assert early.sum("completed") == 1


def test_window_ratio(ledger) -> None:
    assert Window(ledger, 5, 3).ratio("days", "completed") == 2.0
    assert math.isnan(Window(ledger, 0, 1).ratio("days", "completed"))  # 0 / 0
    assert math.isnan(Window(ledger, 9, 10).ratio("days", "visits"))  # nothing to divide by


def test_window_level_ignores_unknown_days(ledger) -> None:
    # days 3..6: skill known on days 4 and 6 (0.4, 0.6), unknown on 3 and 5
    assert Window(ledger, 6, 4).level("skill") == pytest.approx(0.5)
    assert math.isnan(Window(ledger, 5, 1).level("skill"))  # only an unknown day
    assert math.isnan(Window(ledger, 9, 10).level("budget"))  # never known


def test_window_median_of_start_up_durations(ledger) -> None:
    assert Window(ledger, 5, 3).median_db_days() == 6.0  # 4, 10, 6
    assert Window(ledger, 3, 1).median_db_days() == 7.0  # 4, 10
    assert math.isnan(Window(ledger, 9, 3).median_db_days())


def test_start_ups_by_the_day_they_began() -> None:
    led = Ledger(capacity=10)
    for day, durations in ((4, [3, 5]), (6, [1, 6]), (9, [2])):
        record = DayRecord()
        record.db_days = durations
        led.add_day(day, record, {})
    # a case's days count its first and last day: finished on 4 after 3 days, it began on 2;
    # the others began on 0 (4, 5 days), 6 (6, 1 day), 1 (6, 6 days) and 8 (9, 2 days)
    assert sorted(led.db_days_begun(0, 3)) == [3, 5, 6]
    assert sorted(led.db_days_begun(6, 9)) == [1, 2]
    assert led.db_days_begun(3, 6) == []


def test_an_empty_window_is_nan_not_an_error() -> None:
    w = Window(Ledger(), end_day=0, length=90)
    assert w.days == 1 and w.sum("completed") == 0.0
    assert math.isnan(w.ratio("days", "completed"))
    assert math.isnan(w.level("skill"))
    assert math.isnan(w.median_db_days())


# --- pooling cities -------------------------------------------------------------------------------
def test_combine_sums_tallies_and_weights_each_mean_by_whom_it_averages() -> None:
    small, large = Ledger(capacity=4), Ledger(capacity=8)
    a = _record(visits=2.0, completed=1.0)
    a.db_days.append(12)
    b = _record(visits=5.0, completed=3.0)
    b.db_days.append(30)
    small.add_day(
        0,
        a,
        {"residents": 100.0, "enterprises": 10.0, "staff": 1.0, "skill": 0.2, "queue": 3.0,
         "public": 0.9, "grassroots": 0.3},
    )  # fmt: skip
    large.add_day(
        0,
        b,
        {"residents": 300.0, "enterprises": 40.0, "staff": 3.0, "skill": 0.6, "queue": 4.0,
         "public": 0.5, "grassroots": 0.8},
    )  # fmt: skip
    large.add_day(6, _record(visits=1.0), {"residents": 300.0})
    pooled = {level.name: level.pooled for level in LEVELS}
    assert (pooled["public"], pooled["grassroots"], pooled["skill"]) == (
        "resident_mean",
        "enterprise_mean",
        "staff_mean",
    )
    assert (pooled["queue"], pooled["residents"]) == ("sum", "sum")

    region = combine([small, large])
    assert region.capacity == 8
    assert region.tally["visits"][0] == 7.0 and region.tally["completed"][0] == 4.0
    assert region.tally["visits"][6] == 1.0  # beyond the small ledger's days
    assert region.level["queue"][0] == 7.0
    assert region.level["residents"][0] == 400.0
    # by hand: public by residents (0.9 * 100 + 0.5 * 300) / 400 = 0.6; grassroots by firms
    # (0.3 * 10 + 0.8 * 40) / 50 = 0.7; skill by staff (0.2 * 1 + 0.6 * 3) / 4 = 0.5
    assert region.level["public"][0] == pytest.approx(0.6)
    assert region.level["grassroots"][0] == pytest.approx(0.7)
    assert region.level["skill"][0] == pytest.approx(0.5)
    assert region.db_days[0] == [12, 30]
    # the inputs are left as they were (the small one only grown)
    assert small.tally["visits"][0] == 2.0 and large.tally["visits"][0] == 5.0


def test_combine_of_one_ledger_is_that_ledger() -> None:
    led = Ledger(capacity=5)
    led.add_day(
        1, _record(visits=3.0), {"residents": 50.0, "staff": 2.0, "skill": 0.3, "queue": 2.0}
    )
    region = combine([led])
    for name in TALLY_NAMES:
        np.testing.assert_array_equal(region.tally[name], led.tally[name], err_msg=name)
    assert region.level["skill"][1] == pytest.approx(0.3)
    assert region.level["queue"][1] == 2.0


# --- outcomes -------------------------------------------------------------------------------------
@pytest.mark.parametrize("outcome", OUTCOMES, ids=[o.name for o in OUTCOMES])
def test_every_outcome_computes_on_an_empty_ledger(outcome) -> None:
    """A KeyError here is an outcome reading a tally or level nobody declared."""
    for end_day, length in ((0, 90), (30, 7)):
        value = outcome.compute(Window(Ledger(), end_day, length))
        assert isinstance(value, float), (outcome.name, value)
        assert math.isnan(value) or math.isfinite(value), (outcome.name, value)


def test_the_docs_count_the_outcomes_there_are() -> None:
    """docs/model.md and docs/experiments.md give the number of outcomes: it is the model's."""
    import re
    from pathlib import Path

    from model.outcomes import OUTCOMES

    docs = Path(__file__).resolve().parents[2] / "docs"
    said = re.findall(r"Each of the (\d+) outcomes", (docs / "model.md").read_text())
    said += re.findall(r"\| all of them \((\d+)\) \|", (docs / "experiments.md").read_text())
    assert said and all(int(n) == len(OUTCOMES) for n in said), (said, len(OUTCOMES))
