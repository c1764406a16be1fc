"""Sharing a dashboard setup (`viz.share`): the preset file it downloads, the file it loads, the
link that reopens it, and each city's own reform panel. Unit tests first; the browser test at
the end drives the real page (download, upload, the link in a fresh page)."""

from __future__ import annotations

import subprocess
import sys
import time
from urllib.parse import parse_qsl

import pytest

from scenarios import ScenarioError, load_preset
from tests.viz.browser import REPO, open_dashboard, status_day, step, wait_day
from viz.controls import HEADING, model_params
from viz.dashboard_model import (
    DashboardModel,
    city_policy,
    reference_name,
    session_preset,
    split_reference,
)
from viz.share import (
    export_filename,
    open_query,
    preset_toml,
    share_query,
    store_upload,
    with_seed,
)

SMALL = {"n_citizens": 2000, "n_enterprises": 100}


@pytest.fixture(autouse=True)
def shared_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVSIM_SHARED_DIR", str(tmp_path / "shared"))


def same_setup(a: DashboardModel, b: DashboardModel) -> None:
    """Everything that makes a run: seed, days, parameters, region, every city's package."""
    assert b.errors == []
    assert b.seed == a.seed
    assert b.days == a.days
    assert b.config.parameters == a.config.parameters
    assert b.config.region == a.config.region
    assert b.config.policy == a.config.policy
    assert [(c.name, c.parameters, c.policy) for c in b.config.cities] == [
        (c.name, c.parameters, c.policy) for c in a.config.cities
    ]


CHANGED = {  # a setup touching every kind of control, in a several-city preset
    "seed": "7",
    "n_citizens": "3000",  # typed in a text box
    "n_enterprises": 150,
    "corruption_mean": 0.21,
    "one_stop.intensity": 0.55,
    "transparency.on": False,
    "laggard:one_stop.on": True,
    "laggard:one_stop.start": 40,
    "laggard:learning.on": True,
    "laggard:learning.intensity": 0.35,
}


def test_the_file_round_trip_is_exact(tmp_path):
    m = DashboardModel("two_cities", **CHANGED)
    assert m.errors == []
    text = preset_toml(m.config, m.seed, "two_cities")
    reference, seed = store_upload("mine.toml", text.encode())
    assert seed == 7 and reference_name(reference) == "mine"
    same_setup(m, DashboardModel(with_seed(reference, seed)))
    # and the preset loader reads it as any preset (what `govsim run FILE` does)
    path = tmp_path / "two_cities_setup.toml"
    path.write_text(text)
    loaded = load_preset(path)
    assert loaded.parameters == m.config.parameters
    assert [c.policy for c in loaded.cities] == [c.policy for c in m.config.cities]


def test_the_file_round_trip_keeps_odd_numbers_exactly():
    m = DashboardModel("shanghai_2005_2020", **{"one_stop.on": True, "one_stop.start": 3})
    text = preset_toml(m.config, m.seed)
    reference, seed = store_upload("shanghai.toml", text.encode())
    same_setup(m, DashboardModel(with_seed(reference, seed)))


def test_the_link_round_trip_is_exact():
    m = DashboardModel("two_cities", **CHANGED)
    query = share_query(m.preset_name, m.lesson, m.config, m.seed)
    values = dict(parse_qsl(query))
    assert values["preset"] == "two_cities" and values["seed"] == "7"
    assert values["laggard:one_stop.on"] == "1" and values["transparency.on"] == "0"
    assert "one_stop.on" not in values  # unchanged controls stay out of the link
    assert ":" in query and "%3A" not in query  # readable
    reference, lesson = open_query(query)
    assert lesson == ""
    same_setup(m, DashboardModel(reference))


def test_a_lesson_link_reopens_the_lesson():
    m = DashboardModel("baseline", "one_stop", seed="3", **{"transparency.on": True})
    reference, lesson = open_query(share_query(m.preset_name, m.lesson, m.config, m.seed))
    assert lesson == "one_stop"
    same_setup(m, DashboardModel(reference, lesson))


def test_a_loaded_files_link_carries_the_file():
    m = DashboardModel("one_stop", seed="5", **SMALL)
    reference, seed = store_upload("class.toml", preset_toml(m.config, 5).encode())
    loaded = DashboardModel(with_seed(reference, seed), **{"one_stop.start": 30})
    values = dict(parse_qsl(share_query(loaded.preset_name, "", loaded.config, loaded.seed)))
    assert values["name"] == "class" and "file" in values
    again, _ = open_query("&".join(f"{k}={v}" for k, v in values.items()))
    assert reference_name(again) == "class"
    same_setup(loaded, DashboardModel(again))


def test_the_panel_starts_from_the_shared_setup():
    reference, _ = open_query("preset=one_stop&seed=9&one_stop.start=30&n_citizens=4000")
    params = model_params(session_preset(reference), "en", preset_name=reference)
    assert params["seed"]["value"] == "9"
    assert params["one_stop.start"]["value"] == 30
    assert params["n_citizens"]["value"] == "4000"
    m = DashboardModel(reference)  # the first build, before the panel says anything
    assert m.seed == 9 and city_policy(m.config)[0].start == 30


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("description = 'x'\n[parameters\n", "mine.toml: malformed TOML"),
        ("description = 'x'\n[parameters]\nn_citizen = 5\n", "mine.toml:3: parameters.n_citizen"),
        (
            "description = 'x'\n[parameters]\nn_citizens = -5\n",
            "mine.toml:3: parameters.n_citizens",
        ),
        ("description = 'x'\n[[policy]]\ntype = 'one_stopp'\n", "mine.toml:3: policy[0].type"),
        ("description = 'x'\n[[policy]]\ntype = 'one_stop'\nintensity = 9\n", "mine.toml:4"),
        ("days = 10\n", "mine.toml: a preset needs a one-line 'description'"),
        ("\xff\xfe", "mine.toml: not UTF-8 text"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_file(text, message, tmp_path):
    with pytest.raises(ScenarioError) as caught:
        store_upload("mine.toml", text.encode("latin-1") if "\xff" in text else text.encode())
    msg = str(caught.value)
    assert msg.startswith(message), msg
    assert "\n" not in msg and str(tmp_path) not in msg  # not where the server keeps it
    # the same words as the preset loader's, for the same file on disk
    path = tmp_path / "mine.toml"
    path.write_bytes(text.encode("latin-1") if "\xff" in text else text.encode())
    with pytest.raises(ScenarioError) as direct:
        load_preset(path)
    assert str(direct.value).replace(str(path), "mine.toml") == msg


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('catalogue = "/etc/passwd"', "cannot name a catalogue file"),
        ('catalogue = "../scenarios/catalogue.toml"', "cannot name a catalogue file"),
        ('parameter_set = "/work/main/pyproject.toml"', "only a parameter set that comes with"),
        ('parameter_set = "../../x.toml"', "only a parameter set that comes with"),
        ('parameter_set = "nosuchset"', "only a parameter set that comes with"),
    ],
)
def test_a_loaded_file_cannot_make_the_server_read_another(line, words, monkeypatch):
    """An uploaded preset or a link's file names no path on the server: refused before any is
    opened (the loader's errors would tell what the file there holds)."""
    opened = []
    monkeypatch.setattr("scenarios.loader.load_catalogue", lambda *a: opened.append(a))
    with pytest.raises(ScenarioError) as caught:
        store_upload("mine.toml", f'description = "x"\n{line}\n'.encode())
    msg = str(caught.value)
    assert msg.startswith("mine.toml: ") and words in msg and "passwd" not in msg, msg
    assert not opened


def test_a_shipped_parameter_set_by_name_still_loads():
    reference, _ = store_upload(
        "mine.toml", b'description = "x"\nparameter_set = "shanghai_db2006_2014"\n'
    )
    assert load_preset(reference).parameters.n_citizens > 0


def test_loaded_files_are_bounded_and_a_refused_one_leaves_nothing(monkeypatch):
    import os
    import time

    from viz import share

    monkeypatch.setattr(share, "MAX_SHARED_FILES", 3)
    for k in range(5):
        store_upload(f"p{k}.toml", f"description = 'preset {k}'\n".encode())
        folder = next(f for f in share.shared_dir().iterdir() if (f / f"p{k}.toml").exists())
        earlier = time.time() - 100 + k  # loaded in this order (whatever the clock's grain)
        os.utime(folder, (earlier, earlier))
    kept = sorted(f.name for f in share.shared_dir().rglob("*.toml"))
    assert kept == ["p2.toml", "p3.toml", "p4.toml"]
    with pytest.raises(ScenarioError):
        store_upload("bad.toml", b"description = 'x'\n[parameters]\nn_citizen = 5\n")
    assert len([f for f in share.shared_dir().iterdir()]) == 3  # no empty folder left


def test_unknown_parameter_suggests_the_name():
    with pytest.raises(ScenarioError, match="n_citizens"):
        store_upload("mine.toml", b"description = 'x'\n[parameters]\nn_citizen = 5\n")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("preset=one_stp", "link: unknown preset 'one_stp'"),
        ("preset=one_stop&n_citizen=5", "link: unknown control 'n_citizen'"),
        ("preset=one_stop&corruption_mean=7", "link: corruption_mean"),
        ("preset=one_stop&seed=x", "link: seed must be a whole number"),
        ("preset=one_stop&one_stop.on=maybe", "link: reform panel: one_stop"),
        ("preset=one_stop&one_stop.intensity=3", "link: reform panel"),
        ("preset=two_cities&nowhere:one_stop.on=1", "link: unknown control"),
        ("file=AAAA", "link: the preset file in it is damaged"),
        ("preset=baseline&n_citizens=999999999", "link: n_citizens=999999999: input should be"),
    ],
)
def test_a_bad_link_is_one_line(query, message):
    with pytest.raises(ScenarioError) as caught:
        open_query(query)
    msg = str(caught.value)
    assert msg.startswith(message), msg
    assert "\n" not in msg and "; using" not in msg  # a link not opened uses none of its values


@pytest.mark.parametrize("days", ["1000000000", "-5", "0", "2.5"])
def test_days_out_of_range_say_the_range(days):
    with pytest.raises(ScenarioError) as caught:
        store_upload("mine.toml", f'description = "x"\ndays = {days}\n'.encode())
    assert "give a whole number of days from 1 to" in str(caught.value), str(caught.value)


def test_the_cli_runs_the_downloaded_file(tmp_path):
    m = DashboardModel("one_stop", seed="4", **SMALL, **{"one_stop.start": 5})
    path = tmp_path / export_filename(m.preset_name)
    assert path.name == "one_stop_setup.toml"
    path.write_text(preset_toml(m.config, m.seed, "one_stop"))
    done = subprocess.run(
        [sys.executable, "-m", "cli", "run", str(path), "--days", "3", "--seed", "4", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("{")


# --- each city's own reform panel ---------------------------------------------------------------


def test_every_city_has_its_own_reform_panel():
    params = model_params(load_preset("three_cities"), "en", preset_name="three_cities")
    headings = [v["label"] for v in params.values() if isinstance(v, dict) and v["type"] == HEADING]
    assert headings == [
        "Reforms below apply to city “one_stop_first”",
        "Reforms below apply to city “transparency_first”",
        "Reforms below apply to city “learning_first”",
    ]
    assert params["one_stop.on"]["value"] is True  # the first city's, as before
    assert params["transparency_first:transparency.on"]["value"] is True
    assert params["transparency_first:one_stop.on"]["value"] is False
    assert params["learning_first:service_standards.start"]["value"] == 180
    one = model_params(load_preset("one_stop"), "zh", preset_name="one_stop")
    assert not any(isinstance(v, dict) and v.get("type") == HEADING for v in one.values())


def test_reset_builds_each_citys_reforms():
    m = DashboardModel(
        "two_cities",
        **SMALL,
        **{"laggard:one_stop.on": True, "laggard:one_stop.start": 12, "one_stop.on": False},
    )
    assert m.errors == []
    reformer, laggard = m.config.cities
    assert "one_stop" not in [i.key for i in reformer.policy]
    assert [(i.key, i.start) for i in laggard.policy] == [("one_stop", 12)]
    city = {c.name: c for c in m.sim.cities}
    assert "one_stop" in [i.key for i in city["laggard"].government.policy]
    assert m.compares


def test_a_bad_city_reform_is_reported_for_that_city():
    m = DashboardModel(
        "two_cities", **SMALL, **{"laggard:one_stop.on": True, "laggard:one_stop.intensity": 5}
    )
    assert m.config.cities[1].policy == ()
    assert any("laggard" in e and "intensity" in e for e in m.errors), m.errors


def test_references_name_their_preset():
    assert split_reference("one_stop?seed=3&a.b=1") == ("one_stop", {"seed": "3", "a.b": "1"})
    assert reference_name("/tmp/x/abc/class.toml?seed=2") == "class"


# --- in the browser -----------------------------------------------------------------------------


def upload(page, path) -> None:
    """Choose `path` in the "Load a preset file" button's file chooser (its input element)."""
    with page.expect_file_chooser() as chooser:
        page.locator(".govsim-share .widget-upload").click()
    chooser.value.set_files(path)


@pytest.mark.slow
def test_share_download_upload_and_link_in_the_browser(page, server, tmp_path):
    open_dashboard(page, server)
    page.get_by_role("button", name="中文").wait_for()
    from tests.viz.browser import choose

    choose(page, "Preset", "two_cities")
    sidebar = page.locator(".v-navigation-drawer")
    sidebar.get_by_text("Reforms below apply to city “laggard”", exact=True).wait_for()
    wait_day(page, 0, timeout=60)
    # the second city's panel: one-stop on from day 20, and a seed
    laggard_on = sidebar.get_by_text("One-stop service centre: on", exact=True).nth(1)
    laggard_on.click()
    seed = page.get_by_label("Seed (a whole number)")
    seed.fill("7")
    seed.press("Enter")
    page.get_by_role("button", name="Reset", exact=True).click()
    setup = page.locator(".govsim-setup")
    setup.get_by_text("+ laggard: One-stop service centre from day 0", exact=False).wait_for()
    wait_day(page, 0, timeout=60)
    step(page, 2)
    before = setup.inner_text()
    assert "seed 7" in before
    assert page.locator(".govsim-status .v-alert").count() == 0  # every control was used

    # download: a preset file the loader reads, with the second city's reform
    with page.expect_download() as info:
        page.get_by_role("button", name="Download this setup").click()
    download = info.value
    assert download.suggested_filename == "two_cities_setup.toml"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    loaded = load_preset(saved)
    assert [i.key for i in loaded.cities[1].policy] == ["one_stop"]
    assert "# seed = 7" in saved.read_text()

    # the link: a fresh session on the same setup
    href = page.locator("a.govsim-share-link").evaluate("a => a.href")
    assert "laggard:one_stop.on=1" in href and "seed=7" in href
    page.goto(href)
    page.locator(".govsim-setup").get_by_text("seed 7", exact=False).wait_for(timeout=60_000)
    wait_day(page, 0, timeout=60)
    assert page.locator(".govsim-setup").inner_text() == before
    assert page.get_by_label("Seed (a whole number)").input_value() == "7"
    assert status_day(page) == 0

    # upload a bad file: one line on the page, the session goes on
    bad = tmp_path / "broken.toml"
    bad.write_text("description = 'x'\n[parameters]\nn_citizen = 5\n")
    upload(page, bad)
    error = page.locator(".govsim-share-error")
    error.get_by_text("broken.toml:3: parameters.n_citizen", exact=False).wait_for()
    step(page)
    assert status_day(page) == 1

    # upload the downloaded file, edited: the city it describes runs
    saved.write_text(saved.read_text().replace("# seed = 7", "# seed = 11"))
    upload(page, saved)
    page.locator(".govsim-status").get_by_text("two_cities_setup:", exact=False).wait_for()
    wait_day(page, 0, timeout=60)
    assert page.locator(".govsim-share-error").count() == 0
    assert page.get_by_label("Seed (a whole number)").input_value() == "11"
    time.sleep(0.3)
    step(page)
    assert status_day(page) == 1
