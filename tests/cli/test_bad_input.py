"""Every bad input: one line on stderr, exit status 2, no traceback, and nothing simulated first.

Each case runs the real command line in a fresh process, in its own temporary folder.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.experiments.tiny_spec import write_spec

SPEC = """
description = "bad input"
presets = ["baseline"]
replicates = 1
days = 5
[parameters]
n_citizens = 200
n_enterprises = 10
"""
DEEP = 'description = "x"\nx = ' + "[" * 100_000 + "]" * 100_000 + "\n"


def govsim(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *expected: str) -> None:
    err = result.stderr.strip()
    assert result.returncode == 2, (result.returncode, result.stdout[-500:], err[-2000:])
    assert "Traceback" not in err and err.count("\n") == 0, err
    assert err.startswith("govsim: error: "), err
    for text in expected:
        assert text in err, err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def place(tmp_path: Path) -> Path:
    (tmp_path / "a-file").write_text("not a folder")
    write_spec(tmp_path, SPEC, "spec.toml")
    return tmp_path


OUT_CASES = {
    "a file": ("a-file", "is a file"),
    "below a file": ("a-file/sub", "a-file"),
    "an unwritable place": ("/proc/govsim-cannot-be-here", "cannot"),
}


@pytest.mark.parametrize("case", sorted(OUT_CASES))
def test_run_out_that_cannot_be_a_folder_fails_before_simulating(place: Path, case: str) -> None:
    out, expected = OUT_CASES[case]
    result = govsim(place, "run", "baseline", "--days", "400000", "--out", out)
    assert_one_line_error(result)  # --days is checked even before --out
    result = govsim(place, "run", "baseline", "--days", "3650", "--out", out)
    assert_one_line_error(result, expected)  # ten years would take long: refused at once


@pytest.mark.parametrize("case", sorted(OUT_CASES))
def test_experiment_out_that_cannot_be_a_folder_is_refused(place: Path, case: str) -> None:
    out, expected = OUT_CASES[case]
    assert_one_line_error(govsim(place, "experiment", "run", "spec.toml", "--out", out), expected)


def test_run_and_experiment_folders_are_not_confused(place: Path) -> None:
    assert govsim(place, "run", "baseline", "--days", "3", "--set", "n_citizens=200",
                  "--set", "n_enterprises=10", "--out", "single").returncode == 0  # fmt: skip
    assert govsim(place, "experiment", "run", "spec.toml", "--out", "batch").returncode == 0
    assert_one_line_error(
        govsim(place, "experiment", "run", "spec.toml", "--out", "single"), "govsim run"
    )
    assert_one_line_error(govsim(place, "run", "baseline", "--out", "batch"), "experiment")
    # nor with a search's: a calibration's or a design's folder
    (place / "design").mkdir()
    (place / "design" / "optimise.json").write_text("{}")
    assert_one_line_error(
        govsim(place, "experiment", "run", "spec.toml", "--out", "design"), "policy design"
    )
    assert_one_line_error(govsim(place, "run", "baseline", "--out", "design"), "policy design")


def test_compare_names_each_preset_once(tmp_path: Path) -> None:
    assert_one_line_error(
        govsim(tmp_path, "compare", "baseline", "one_stop", "baseline"), "baseline: named twice"
    )


PRESETS = {
    "binary": (b"\xff\xfe\x00\x01\x02", "not UTF-8"),
    "utf-16": ('description = "x"\n'.encode("utf-16"), "not UTF-8"),
    "nested 100,000 deep": (DEEP.encode(), "nested too deeply"),
    "type = 5": (b'description = "x"\n[[policy]]\ntype = 5\n', "policy[0].type"),
    "policy = [1, 2]": (b'description = "x"\npolicy = [1, 2]\n', "policy[0]"),
    "a boolean for a number": (b'description = "x"\n[parameters]\nn_citizens = true\n', "valid"),
    "an infinite cost": (
        b'description = "x"\n[[policy]]\ntype = "one_stop"\nsetup_cost = inf\n',
        "finite",
    ),
    "start after end": (
        b'description = "x"\n[[policy]]\ntype = "one_stop"\nstart = 50\nend = 10\n',
        "policy[0].end",
    ),
    "a city named all": (
        b'description = "x"\n[[cities]]\nname = "all"\n[[cities]]\nname = "b"\n',
        "cities[0].name",
    ),
}


@pytest.mark.parametrize("case", sorted(PRESETS))
def test_a_malformed_preset_is_one_line(tmp_path: Path, case: str) -> None:
    data, expected = PRESETS[case]
    (tmp_path / "p.toml").write_bytes(data)
    assert_one_line_error(govsim(tmp_path, "run", "p.toml", "--days", "1"), "p.toml", expected)


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    text = 'description = "saved by an editor that writes a BOM"\n[parameters]\nn_citizens = 200\n'
    (tmp_path / "bom.toml").write_bytes(text.encode("utf-8-sig"))
    result = govsim(tmp_path, "run", "bom.toml", "--days", "2", "--set", "n_enterprises=10")
    assert result.returncode == 0, result.stderr


SPECS = {
    "base_seed near 2**63": (
        SPEC.replace("replicates = 1", f"replicates = 2\nbase_seed = {2**63 - 1}"),
        "base_seed",
    ),
    "a boolean replicate count": (SPEC.replace("replicates = 1", "replicates = true"), "valid"),
    "a grid value that is not a number": (
        SPEC + '[sweep.grid]\nn_citizens = ["many"]\n',
        "sweep.grid.n_citizens",
    ),
}


@pytest.mark.parametrize("case", sorted(SPECS))
def test_a_malformed_experiment_file_is_one_line(tmp_path: Path, case: str) -> None:
    text, expected = SPECS[case]
    write_spec(tmp_path, text, "bad.toml")
    assert_one_line_error(govsim(tmp_path, "experiment", "run", "bad.toml", "--out", "o"), expected)
    assert not (tmp_path / "o").exists()


def test_a_grid_value_written_as_text_runs_as_its_declared_type(tmp_path: Path) -> None:
    swept = SPEC.replace("n_citizens = 200\n", "")  # set in one place: the sweep
    write_spec(tmp_path, swept + '[sweep.grid]\nn_citizens = ["2e2", "3e2"]\n', "grid.toml")
    result = govsim(tmp_path, "experiment", "run", "grid.toml", "--out", "o", "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert "2 runs: 0 already done, 2 run now (0 failed)" in result.stderr


@pytest.mark.parametrize(
    "address", ["garbage here", "http://x", "tcp://127.0.0.1:notaport", "tcp://127.0.0.1:{free}"]
)
def test_a_scheduler_that_is_not_there_fails_fast(place: Path, address: str) -> None:
    address = address.format(free=free_port())
    result = govsim(place, "experiment", "run", "spec.toml", "--out", "o", "--scheduler", address)
    assert_one_line_error(result, "--scheduler")


@pytest.mark.parametrize("manifest", ["{not json", "[1, 2]"])
def test_a_damaged_manifest_is_one_line_everywhere(place: Path, manifest: str) -> None:
    assert govsim(place, "experiment", "run", "spec.toml", "--out", "o").returncode == 0
    (place / "o" / "manifest.json").write_text(manifest)
    for args in (
        ["experiment", "run", "spec.toml", "--out", "o"],
        ["experiment", "summarize", "o"],
        ["experiment", "report", "o"],
    ):
        assert_one_line_error(govsim(place, *args), "manifest")


def test_a_second_runner_on_the_same_folder_is_one_line(place: Path) -> None:
    long = SPEC.replace("days = 5", "days = 400").replace("replicates = 1", "replicates = 4")
    write_spec(place, long.replace("n_citizens = 200", "n_citizens = 5000"), "long.toml")
    first = subprocess.Popen(
        [sys.executable, "-m", "cli", "experiment", "run", "long.toml", "--out", "o"],
        cwd=place,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        lock = place / "o" / ".govsim.lock"
        for _ in range(600):  # the lock holds the first runner's pid once it has it
            if lock.exists() and lock.read_text().strip() == str(first.pid):
                break
            first.poll()
            assert first.returncode is None, "the first runner ended early"
            subprocess.run(["sleep", "0.1"], check=True)
        second = govsim(place, "experiment", "run", "long.toml", "--out", "o")
        if first.poll() is None:
            assert_one_line_error(second, "another govsim", str(first.pid))
    finally:
        first.kill()
        first.wait()


def test_a_dashboard_open_to_the_network_is_announced(tmp_path: Path) -> None:
    from cli.commands import network_warning

    assert network_warning("127.0.0.1", tmp_path) is None
    assert network_warning("localhost", tmp_path) is None
    for host in ("0.0.0.0", "192.0.2.7", "::"):
        warning = network_warning(host, tmp_path)
        assert warning is not None and "anyone" in warning and str(tmp_path) in warning


def test_the_key_line_finder_reads_a_long_line_once() -> None:
    """A header that never closes, with a long run of spaces, once took time quadratic in its
    length (a regular expression backtracking); now each line is read once."""
    from scenarios.toml_files import key_lines, line_of

    text = 'description = "x"\n[a' + " " * 1_000_000 + "b\n[[policy]]\ntype = 1\n"
    assert line_of(text, ("policy", 0, "type")) == 4
    assert key_lines('[ "q" . r ] # c\nw = 1\n') == {("q", "r"): 1, ("q", "r", "w"): 2}


# --- more inputs, found by trying to break the promises ---------------------------------------
def test_a_preset_that_is_a_pipe_or_a_device_is_refused_not_read(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "fifo.toml")
    (tmp_path / "zero.toml").symlink_to("/dev/zero")
    for name in ("fifo.toml", "zero.toml"):
        spec = SPEC.replace('presets = ["baseline"]', f'presets = ["baseline", "{name}"]')
        write_spec(tmp_path, spec, "spec.toml")
        result = govsim(tmp_path, "experiment", "run", "spec.toml", "--out", "o", timeout=60)
        assert_one_line_error(result, name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("replicates = 1" + "0" * 5000, "malformed TOML"),
        ('outcomes = ["days_per_case", "days_per_case"]', "listed twice"),
    ],
)
def test_odd_experiment_values_are_one_line(tmp_path: Path, text: str, expected: str) -> None:
    write_spec(tmp_path, SPEC.replace("replicates = 1", text), "odd.toml")
    assert_one_line_error(govsim(tmp_path, "experiment", "run", "odd.toml", "--out", "o"), expected)


@pytest.mark.parametrize("command", ["run", "experiment"])
def test_an_out_name_too_long_or_empty_is_one_line(place: Path, command: str) -> None:
    args = (
        ["run", "baseline", "--days", "2"]
        if command == "run"
        else ["experiment", "run", "spec.toml"]
    )
    for out in ("y" * 300, ""):
        assert_one_line_error(govsim(place, *args, "--out", out), "--out" if not out else "")


def test_a_city_named_all_in_any_case_is_refused(tmp_path: Path) -> None:
    data = 'description = "x"\n[[cities]]\nname = "ALL"\n[[cities]]\nname = "b"\n'
    (tmp_path / "p.toml").write_text(data)
    assert_one_line_error(govsim(tmp_path, "run", "p.toml", "--days", "1"), "cities[0].name")


def test_a_reference_may_be_named_by_its_file(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('description = "mine"\n')
    spec = SPEC.replace('presets = ["baseline"]', 'presets = ["baseline", "mine.toml"]')
    write_spec(
        tmp_path,
        spec.replace("replicates = 1", 'replicates = 1\nreference = "mine.toml"'),
        "ref.toml",
    )
    result = govsim(tmp_path, "experiment", "run", "ref.toml", "--out", "o", "--workers", "1")
    assert result.returncode == 0, result.stderr
    write_spec(
        tmp_path,
        SPEC.replace("replicates = 1", 'replicates = 1\nreference = "one_stop"'),
        "noref.toml",
    )
    assert_one_line_error(
        govsim(tmp_path, "experiment", "run", "noref.toml", "--out", "o2"),
        "not one of the experiment's presets",
    )


def test_the_same_experiment_run_from_another_folder_resumes(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "mine.toml").write_text('description = "mine"\n')
    spec = SPEC.replace('presets = ["baseline"]', 'presets = ["baseline", "mine.toml"]')
    write_spec(tmp_path / "a", spec, "s.toml")
    assert govsim(tmp_path, "experiment", "run", "a/s.toml", "--out", "o").returncode == 0
    again = govsim(tmp_path / "a", "experiment", "run", "s.toml", "--out", "../o")
    assert again.returncode == 0, again.stderr
    assert "2 already done, 0 run now" in again.stderr


def test_a_huge_integer_is_kept_exactly_in_the_message(tmp_path: Path) -> None:
    result = govsim(tmp_path, "run", "baseline", "--set", "n_citizens=99999999999999999999999")
    assert_one_line_error(result, "99999999999999999999999")


def test_a_sensitivity_analysis_too_big_is_counted_before_sampling(tmp_path: Path) -> None:
    spec = SPEC + (
        '[sensitivity]\noutcomes = ["days_per_case"]\nsamples = 100000\n'
        '[sensitivity.parameters]\nbounce_prob = "declared"\ncorruption_mean = "declared"\n'
    )
    write_spec(tmp_path, spec, "big.toml")
    result = govsim(tmp_path, "experiment", "sensitivity", "big.toml", "--max-runs", "1000")
    assert_one_line_error(result, "300,000 runs", "--max-runs")


def test_a_scheduler_that_accepts_but_never_answers_is_refused_in_seconds(place: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        result = govsim(
            place, "experiment", "run", "spec.toml", "--out", "o",
            "--scheduler", f"tcp://127.0.0.1:{port}", timeout=60,
        )  # fmt: skip
    finally:
        listener.close()
    assert_one_line_error(result, "--scheduler", "no Dask scheduler answered")
