"""What `govsim experiment summarize` (and so `make run`) prints: per reform its clear effects
against the reference, with units, better/worse from each outcome's direction, significant
figures a person reads, no constant columns, lines within 100 columns; intervals in bounds."""

from __future__ import annotations

import math

import pandas as pd
from rich.cells import cell_len
from rich.text import Text

from cli.show import (
    WIDTH,
    change_text,
    from_to,
    headline_lines,
    level_text,
    summary_table,
    verdict,
)
from experiments.summary import clip_intervals, outcome_bounds
from model.outcomes import OUTCOME_BY_NAME


def _row(preset, outcome, mean, low, high, diff=0.0, dlow=0.0, dhigh=0.0, point=0, city="city"):
    o = OUTCOME_BY_NAME[outcome]
    return {
        "preset": preset, "point": point, "city": city, "outcome": outcome, "unit": o.unit,
        "better": o.direction, "n": 6, "mean": mean, "sd": 0.1, "ci_low": low, "ci_high": high,
        "diff": diff, "diff_low": dlow, "diff_high": dhigh,
    }  # fmt: skip


def _table() -> pd.DataFrame:
    rows = [
        _row("baseline", "satisfaction_citizens", 0.4047, 0.3822, 0.4273),
        _row("baseline", "days_per_case", 10.39, 10.12, 10.66),
        _row("baseline", "informal_payment_rate", 0.04146, 0.02368, 0.05924),
        _row("baseline", "cost_per_case", 102.1, 99.95, 104.2),
        _row("baseline", "civil_servant_skill", 0.5177, 0.5049, 0.5305),
        _row("a_very_long_reform_name_indeed", "satisfaction_citizens", 0.69, 0.68, 0.70,
             0.2882, 0.263, 0.3134),
        _row("a_very_long_reform_name_indeed", "days_per_case", 9.88, 9.8, 9.9,
             -0.5079, -0.7582, -0.2576),
        _row("a_very_long_reform_name_indeed", "informal_payment_rate", 0.002, 0.0012, 0.0029,
             -0.03942, -0.04146, -0.02212),
        _row("a_very_long_reform_name_indeed", "cost_per_case", 160.3, 157, 163.5,
             58.2, 57.03, 59.37),
        _row("a_very_long_reform_name_indeed", "civil_servant_skill", 0.5178, 0.5051, 0.5306,
             1.616e-05, -0.000104, 0.0001363),
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _plain(lines: list[str]) -> list[str]:
    return [Text.from_markup(line).plain for line in lines]


def test_headline_leads_with_effects_in_words_units_and_arrows() -> None:
    lines = _plain(headline_lines(_table(), "baseline"))
    text = "\n".join(lines)
    assert all(cell_len(line) <= WIDTH for line in lines), text
    # no constant columns, no raw snake_case names, no exponent notation
    assert "point" not in text.replace("percentage points", "") and "city" not in text
    assert "satisfaction_citizens" not in text and "e-0" not in text
    block = text.split("a_very_long_reform_name_indeed against baseline")[1]
    assert block.startswith(": 3 better, 1 worse")
    sat = next(line for line in block.splitlines() if "Citizens' satisfaction" in line)
    assert sat.split()[:2] == ["better", "▲"]
    assert "+29 [+26, +31] pp" in sat and "40% → 69%" in sat  # a share in percentage points
    days = next(line for line in block.splitlines() if "Days per case" in line)
    assert days.split()[:2] == ["better", "▼"] and "days" in days and "(−5%)" in days
    cost = next(line for line in block.splitlines() if "Cost per case" in line)
    assert cost.split()[:2] == ["worse", "▲"] and "+58 [+57, +59] CNY" in cost
    assert "no clear change: Civil servants' skill" in block
    # the reference's levels, with units
    assert "4.1% [2.4, 5.9]" in text and "10.4 [10.1, 10.7] days" in text


def test_full_table_has_no_constant_columns() -> None:
    table = summary_table(_table(), "baseline")
    headers = [c.header for c in table.columns]
    assert "point" not in headers and "city" not in headers
    assert headers[:2] == ["preset", "outcome"]


def test_groups_named_only_when_there_are_several() -> None:
    two = pd.concat([_table(), _table().assign(city="north")], ignore_index=True)
    text = "\n".join(_plain(headline_lines(two, "baseline")))
    assert "baseline (city north), the reference:" in text
    assert "baseline (city city), the reference:" in text


def test_a_long_sweep_point_goes_on_its_own_line_and_varying_counts_are_said() -> None:
    long = _table().assign(
        bounce_prob=0.7207, corruption_mean=0.04, incomplete_docs_prob=0.1624, point=3
    )
    two = pd.concat([_table(), long], ignore_index=True)
    two.loc[two["outcome"] == "days_per_case", "n"] = 5  # a run measured no days
    lines = _plain(headline_lines(two, "baseline"))
    assert all(cell_len(line) <= WIDTH for line in lines), "\n".join(lines)
    assert "means over 5-6 replicates (a value a run could not measure is left out)" in (
        " ".join(lines)
    )
    at = lines.index("a_very_long_reform_name_indeed against baseline: 3 better, 1 worse", 20)
    assert lines[at + 1].startswith("    at bounce_prob=0.7207, corruption_mean=0.04")


def test_numbers_as_people_read_them() -> None:
    # a level with no value; a change the usual figures would print as none
    assert level_text(math.nan, math.nan, math.nan, "share") == "—"
    assert from_to(0.48512, 0.48483, "0-1") == "0.4851 → 0.4848 (0-1)"
    assert from_to(0.4, 0.69, "share") == "40% → 69%"
    assert level_text(0.4047, 0.3822, 0.4273, "share") == "40% [38, 43]"
    assert level_text(0.002042, 0.001193, 0.00289, "share") == "0.20% [0.12, 0.29]"
    assert level_text(13.0, 13.0, 13.0, "procedures") == "13.0 [13.0, 13.0] procedures"
    assert level_text(1234.5, math.nan, math.nan, "CNY") == "1,234 CNY"  # whole money
    assert change_text(-0.5079, -0.7582, -0.2576, "days", 10.39) == (
        "−0.51 [−0.76, −0.26] days (−5%)"
    )
    assert change_text(0.0, 0.0, 0.0, "procedures", 13.0) == "0 [0, 0] procedures (0%)"


def test_verdict_follows_each_outcomes_direction() -> None:
    assert verdict("higher", 0.2, 0.1, 0.3) == 1
    assert verdict("lower", 0.2, 0.1, 0.3) == -1
    assert verdict("lower", -0.2, -0.3, -0.1) == 1
    assert verdict("higher", 0.2, -0.1, 0.3) == 0  # the interval holds 0
    assert verdict("higher", 0.2, math.nan, math.nan) == 0  # one replicate: no interval
    assert verdict("neutral", 0.2, 0.1, 0.3) == 0


def test_bounded_intervals_stay_in_bounds() -> None:
    assert outcome_bounds("informal_payment_rate") == (0.0, 1.0)
    assert outcome_bounds("days_per_case") == (0.0, math.inf)
    assert outcome_bounds("net_firm_inflow") == (-math.inf, math.inf)
    frame = pd.DataFrame(
        {
            "outcome": ["informal_payment_rate", "satisfaction_citizens", "days_per_case",
                        "net_migration"],
            "low": [-0.0001, 0.9, -2.0, -50.0],
            "high": [0.01, 1.2, 3.0, 10.0],
        }
    )  # fmt: skip
    clipped = clip_intervals(frame)
    assert clipped["low"].tolist() == [0.0, 0.9, 0.0, -50.0]
    assert clipped["high"].tolist() == [0.01, 1.0, 3.0, 10.0]


def test_plain_progress_without_a_terminal(capsys) -> None:
    import time

    from cli.show import PlainProgress

    progress = PlainProgress("std", failures=True, every=0.05)
    progress.update(0, 40, 0)
    progress.update(1, 40, 0)  # not yet another tenth: nothing new
    time.sleep(0.2)  # ...but the timer prints while a long run goes on
    progress.update(4, 40, 1)  # a tenth
    progress.update(40, 40, 1)
    progress.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("std: 0 of 40 runs (0%), 0 failed, 0s so far")
    assert any(line.startswith("std: 1 of 40 runs (2%)") and "left" in line for line in lines)
    assert any(line.startswith("std: 4 of 40 runs (10%), 1 failed") for line in lines)
    assert lines[-1].startswith("std: 40 of 40 runs (100%), 1 failed")
    assert "left" not in lines[-1]
