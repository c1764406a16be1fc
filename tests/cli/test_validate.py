"""`govsim validate` as a user runs it: a real subprocess, a tiny city, and bad input refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_bad_input import assert_one_line_error

ROOT = Path(__file__).resolve().parents[2]
# This tree's code, whatever folder the command runs in (and whichever checkout is installed).
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
}

TINY = """
[[fact]]
key = "tiny_returns"
statement = "Publishing the documents needed means fewer trips home for a missing paper."
kind = "relative_change"
preset = "transparency"
reference = "baseline"
outcome = "document_returns_per_case"
high = 0
days = 60
window = 60
overrides = { n_citizens = 2000, n_enterprises = 100 }
source = "a test"
note = "only the sign"

[[fact]]
key = "tiny_level"
statement = "The traditional office needs a dozen procedures to start a business."
kind = "level"
preset = "baseline"
outcome = "start_business_procedures"
low = 12
high = 14
days = 60
window = 60
overrides = { n_citizens = 2000, n_enterprises = 100 }
source = "a test"
note = "a range"
"""


def govsim(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
    )


@pytest.fixture
def facts(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.mark.slow
def test_validate_runs_one_fact_and_prints_its_verdict(facts: Path, tmp_path: Path) -> None:
    out = tmp_path / "scorecard.md"
    args = ["validate", "--facts", str(facts), "--only", "tiny_returns", "--replicates", "2"]
    r = govsim(Path.cwd(), *args, "--quick", "--workers", "2", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "tiny_returns" in r.stdout and "tiny_level" not in r.stdout
    assert "pass" in r.stdout or "miss" in r.stdout
    assert "Scorecard: " in r.stdout
    text = out.read_text(encoding="utf-8")
    assert "| `tiny_returns` |" in text and "--only tiny_returns --replicates 2 --quick" in text

    r = govsim(Path.cwd(), *args, "--quick", "--workers", "1", "--json")
    assert r.returncode == 0, r.stderr
    (record,) = json.loads(r.stdout)
    assert record["key"] == "tiny_returns" and record["verdict"] in ("pass", "miss")
    assert record["n"] == 2 and record["ci_low"] <= record["value"] <= record["ci_high"]
    # the fact sets its own size, so quick mode does not change it
    assert "n_citizens=2000" in record["run_command"]
    assert "n_citizens=10000" not in record["run_command"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--only", "tiny_retrns"], "--only: unknown fact 'tiny_retrns'; did you mean"),
        (["--facts", "missing.toml"], "missing.toml: no such facts file"),
        (["--out", "."], "--out .: name a Markdown file, not a folder"),
        (["--out", "nowhere/x.md"], "no such folder nowhere"),
        (["--replicates", "0"], "--replicates"),
    ],
)
def test_bad_input_is_one_line_before_anything_runs(
    facts: Path, args: list[str], expected: str
) -> None:
    if "--facts" not in args:
        args = ["--facts", str(facts), *args]
    assert_one_line_error(govsim(facts.parent, "validate", *args), expected)


def test_a_bad_facts_file_names_its_line(facts: Path) -> None:
    facts.write_text(TINY.replace('"document_returns_per_case"', '"document_returns"'))
    result = govsim(facts.parent, "validate", "--facts", str(facts))
    assert_one_line_error(result, "tiny.toml:8: fact[0].outcome: unknown outcome")


# The reduced scorecard of `make test`: the shipped facts that a small city answers in seconds,
# on 3 seeds. Each passes with room at full size (docs/validation.md §4); the quick city is
# a fifth of the default and the 95 % interval of 3 seeds is wide, so only facts whose mean sits
# well inside its range are here: a miss is a change of the model's behaviour, not chance.
# zhejiang_one_trip_share is not: the share falls with the city's size (0.99 at 10,000 citizens,
# 0.94 at the preset's 50,000), so the quick size cannot answer it.
REDUCED = (
    "baseline_start_procedures",
    "full_reform_start_procedures",
    "full_reform_start_days",
    "full_reform_one_trip",
    "one_stop_registration_days_cut",
    "transparency_document_returns",
)


@pytest.mark.slow
def test_the_reduced_scorecard_passes() -> None:
    only = ",".join(REDUCED)
    r = govsim(ROOT, "validate", "--quick", "--only", only, "--replicates", "3", "--json")
    assert r.returncode == 0, r.stderr
    records = {rec["key"]: rec for rec in json.loads(r.stdout)}
    assert set(records) == set(REDUCED)
    missed = {
        k: (rec["value"], rec["target"]) for k, rec in records.items() if rec["verdict"] != "pass"
    }
    assert not missed, missed
