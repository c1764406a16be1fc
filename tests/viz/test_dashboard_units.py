"""The dashboard's parts without a browser: translations, controls generated from the declarations,
the dashboard model, chart specs, result summaries, lessons, offline assets and the server."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from model.outcomes import OUTCOMES
from scenarios import load_preset, preset_names
from tests.viz.synthetic import PRESETS, REPLICATES, write_result_folder
from viz import (
    controls,
    i18n,
    lessons,
    offline_assets,
    results,
    server,
    specs,
    vega_widget,
    views,
)
from viz.dashboard_model import (
    DashboardModel,
    control_name,
    first_city_policy,
    parse_seed,
    session_preset,
)
from world.interventions import REGISTRY, Intervention, build_intervention
from world.parameters import ParameterError, Parameters

SMALL = {"n_citizens": "2000", "n_enterprises": "100"}


# --- translations ------------------------------------------------------------------------------
def test_every_parameter_unit_and_outcome_has_english_and_chinese_labels():
    for info in Parameters.table():
        en, zh = i18n.PARAMETERS[info.name]
        assert en and zh, info.name
        assert info.unit in i18n.UNITS, info.unit
    for o in OUTCOMES:
        assert all(i18n.OUTCOMES[o.name]), o.name
        assert o.unit in i18n.UNITS, o.unit
    assert set(i18n.PARAMETERS) == set(Parameters.model_fields)
    for key, (en, zh) in i18n.UI.items():
        assert en.strip() or key == "better_neutral"
        assert zh.strip() or key == "better_neutral"


def test_labels_follow_the_language():
    assert i18n.t("chart_trips", "en") == "Trips per case"
    assert i18n.t("chart_trips", "zh") == "每件跑腿次数"
    assert i18n.preset_label("one_stop", "zh") == "行政服务中心、一站式服务"
    assert i18n.preset_label("one_stop", "en") == "one_stop"
    assert i18n.preset_label("my_own.toml", "zh") == "my_own.toml"
    assert i18n.parameter_label("n_citizens", "persons", "zh") == "市民人数（人）"
    assert i18n.parameter_label("n_citizens", "persons", "en") == "Citizens (persons)"
    assert i18n.policy_label(REGISTRY["one_stop"], "zh") == i18n.zh_punctuation(
        REGISTRY["one_stop"].label_zh
    )  # its own name, with full-width punctuation


# --- controls from the declaration -------------------------------------------------------------
def test_controls_come_from_the_declaration_with_the_presets_values():
    preset = load_preset("baseline")
    params = controls.model_params(preset, "en", preset_name="baseline", show_all=True)
    for info in Parameters.table():
        c = params[info.name]
        value = getattr(preset.parameters, info.name)
        if c["type"] == "InputText":
            assert info.type(c["value"]) == value
        else:
            assert c["value"] == value
            assert c["min"] == info.low and c["max"] == info.high
            assert c["type"] == ("SliderInt" if info.type is int else "SliderFloat")
    assert params["n_citizens"]["type"] == "InputText"  # 10..5,000,000: typed, not slid
    assert params["skill_mean"]["type"] == "SliderFloat"
    assert params["preset"] == "baseline"
    assert params["seed"]["type"] == "InputText"


def test_key_parameters_only_unless_asked():
    preset = load_preset("baseline")
    few = controls.model_params(preset, "en", preset_name="baseline")
    assert set(controls.KEY_PARAMETERS) <= set(few)
    assert "wage_per_day" not in few
    assert set(controls.KEY_PARAMETERS) <= set(Parameters.model_fields)


def test_reform_panel_shows_the_presets_package():
    preset = load_preset("reform_midway")
    params = controls.model_params(preset, "zh", preset_name="reform_midway")
    for key in REGISTRY:
        assert control_name(key, "on") in params
    assert params["one_stop.on"]["value"] is True
    assert params["one_stop.start"]["value"] == 182
    assert params["green_channel.on"]["value"] is False
    assert params["lean_staffing.intensity"]["value"] == 0.5
    assert "行政服务中心" in params["one_stop.on"]["label"]


# --- the dashboard model -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "seed"), [(" 42 ", 42), ("42.0", 42), ("1e3", 1000), ("1,000", 1000), (7, 7)]
)
def test_seed_accepts_what_a_person_types(typed, seed):
    assert parse_seed(typed) == seed


@pytest.mark.parametrize("typed", ["abc", "4.5", "-1", "", True])
def test_seed_rejects_nonsense(typed):
    with pytest.raises(ParameterError, match="seed"):
        parse_seed(typed)


def test_bad_seed_is_reported_not_raised():
    m = DashboardModel("baseline", seed="abc", **SMALL)
    assert m.seed == 0
    assert any("seed" in e for e in m.errors)


def test_controls_rebuild_the_model_as_mesa_reset_does():
    from mesa.experimental.scenarios import Scenario

    m = DashboardModel(
        preset="baseline",
        lesson="",
        seed=" 3 ",
        scenario=Scenario(rng=None),
        **{"one_stop.on": True, "one_stop.start": 10, "one_stop.intensity": 0.5},
        **{"n_citizens": "2000", "n_enterprises": 100.0, "skill_mean": 0.6},
    )
    assert m.errors == []
    assert m.seed == 3
    (policy,) = first_city_policy(m.config)
    assert policy == build_intervention({"type": "one_stop", "start": 10, "intensity": 0.5})
    assert m.config.parameters.n_citizens == 2000
    assert m.config.parameters.skill_mean == 0.6
    assert m.compares and not first_city_policy(m.baseline_config)


def test_unusable_parameter_text_keeps_the_presets_value():
    m = DashboardModel("baseline", n_citizens="lots", n_enterprises="100", bounce_prob=7.0)
    assert m.config.parameters.n_citizens == 50_000
    assert m.config.parameters.bounce_prob == Parameters().bounce_prob  # the preset's: default
    assert len(m.errors) == 2
    assert any("n_citizens" in e for e in m.errors)


def test_switching_a_reform_off_removes_it_and_on_adds_it():
    m = DashboardModel("one_stop", **SMALL, **{"one_stop.on": False, "transparency.on": True})
    assert [i.key for i in first_city_policy(m.config)] == ["transparency"]


def test_an_edited_reform_is_a_new_intervention_and_the_rest_are_the_presets():
    preset = load_preset("reform_midway")
    m = DashboardModel(
        "reform_midway", **SMALL, **{"one_stop.start": 30, "transparency.intensity": 0.4}
    )
    before = {i.key: i for i in preset.policy}
    after = {i.key: i for i in first_city_policy(m.config)}
    assert after.keys() == before.keys()
    assert after["one_stop"] == build_intervention({**before["one_stop"].to_dict(), "start": 30})
    assert after["transparency"].intensity == 0.4 and after["transparency"].start == 182
    assert before["one_stop"].start == 182  # the preset's own intervention is untouched
    for key in after.keys() - {"one_stop", "transparency"}:
        assert after[key] == before[key], key


def test_a_bad_reform_edit_is_reported_not_raised():
    m = DashboardModel("baseline", **SMALL, **{"one_stop.on": True, "one_stop.intensity": 3.0})
    assert first_city_policy(m.config) == ()
    assert any("reform panel" in e and "intensity" in e for e in m.errors), m.errors


def test_panel_edits_the_first_city_of_several():
    m = DashboardModel("two_cities", **SMALL, **{"one_stop.on": False})
    reformer, laggard = m.config.cities
    assert "one_stop" not in [i.key for i in reformer.policy]
    assert len(reformer.policy) == len(load_preset("two_cities").cities[0].policy) - 1
    assert laggard.policy == ()


def test_baseline_is_the_same_run_without_reforms():
    m = DashboardModel("one_stop", **SMALL)
    for _ in range(20):
        m.step()
    base = m.baseline_timeseries()
    run = m.timeseries()
    assert list(base["day"]) == list(run["day"]) == list(range(20))
    alone = load_preset("baseline").with_overrides(SMALL).build(0)
    for _ in range(20):
        alone.step()
    np.testing.assert_array_equal(
        base["trips_per_case"].to_numpy(), alone.timeseries()["trips_per_case"].to_numpy()
    )
    assert DashboardModel("baseline", **SMALL).baseline_timeseries() is None


def test_model_stops_at_the_presets_horizon():
    m = DashboardModel("baseline", **SMALL)
    m.days = 5
    m.run_to(100)
    assert m.day == 4 and not m.running


# --- chart specs ---------------------------------------------------------------------------------
def test_line_chart_draws_the_baseline_faint_and_dashed():
    rows = [
        {"day": 0, "series": "A", "value": 1.0, "kind": "run"},
        {"day": 0, "series": "A", "value": 2.0, "kind": "baseline"},
        {"day": 1, "series": "A", "value": math.nan, "kind": "run"},
    ]
    spec = specs.line_chart(
        rows, title="T", y_title="y", x_title="day", days=10, series_order=["A"]
    )
    run, base = spec["layer"]
    assert base["mark"]["opacity"] < 1
    dash = base["encoding"]["strokeDash"]
    assert dash == run["encoding"]["strokeDash"]  # one scale: solid run, dashed baseline
    assert dash["scale"]["domain"] == ["run", "baseline"]
    assert dash["scale"]["range"][1] == specs.BASELINE_DASH
    assert "baseline (no reforms)" in dash["legend"]["labelExpr"]  # a legend entry says so
    assert spec["data"]["values"][2]["value"] is None  # NaN is a gap, not invalid JSON


def test_firms_per_city_are_drawn_on_an_axis_that_shows_their_gap():
    m = DashboardModel("two_cities", n_citizens="2000", n_enterprises="100")
    for _ in range(3):
        m.step()
    lang = "en"
    rows, order = views.series_rows(m, ["enterprises"], lang, by_city_only=True)
    kw = {"title": "T", "y_title": "firms", "x_title": "day", "days": 10, "series_order": order}

    def y_scales(spec):
        return [layer["encoding"]["y"].get("scale") for layer in spec["layer"]]

    assert rows and len(order) == 2
    assert all(sc == {"zero": False} for sc in y_scales(specs.line_chart(rows, zero=False, **kw)))
    assert all(sc is None for sc in y_scales(specs.line_chart(rows, **kw)))  # others: from 0


def test_split_names_the_datasets_stably():
    spec = specs.network_chart(
        [{"x": 0, "y": 0, "label": "a", "colour": 0.5}],
        [{"x": 0, "y": 0, "x2": 1, "y2": 1}],
        title="N",
        colour_title="c",
        labels=True,
    )
    structure, data = vega_widget.split(spec)
    again, _ = vega_widget.split(spec)
    assert structure == again
    assert len(data) == 4 and all(isinstance(v, list) for v in data.values())
    assert "values" not in str(structure)


# --- the results page -----------------------------------------------------------------------------
def test_summary_and_bands_are_t_intervals(tmp_path):
    res = results.read_results(write_result_folder(tmp_path / "exp"))
    assert len(res.runs) == 2 * REPLICATES + 1 and len(res.ok_runs) == 2 * REPLICATES
    table = results.summary_table(res, ["trips_per_case"])
    assert list(table["series"]) == list(PRESETS)
    for _, row in table.iterrows():
        values = res.outcomes.loc[res.outcomes.preset == row.series, "trips_per_case"].to_numpy()
        half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
        assert row["n"] == REPLICATES
        assert row["mean"] == pytest.approx(values.mean())
        assert row["low"] == pytest.approx(values.mean() - half, rel=1e-12)
        assert row["high"] == pytest.approx(values.mean() + half, rel=1e-12)
    band = results.bands(res, "trips_per_case")
    day5 = band[(band.series == "one_stop") & (band.day == 5)].iloc[0]
    ts = res.timeseries
    v = ts.loc[(ts.preset == "one_stop") & (ts.day == 5), "trips_per_case"].to_numpy()
    assert day5["mean"] == pytest.approx(v.mean())
    assert day5["high"] - day5["mean"] == pytest.approx(
        stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)), rel=1e-12
    )
    html_table = results.table_html(table, "zh")
    assert "每件跑腿次数" in html_table and "行政服务中心、一站式服务" in html_table


def test_a_folder_of_parts_needs_the_manifest_that_says_which_runs_belong(tmp_path):
    """Single Parquet files (another tool's) are read as they are; a folder of run parts is
    govsim's layout, and without its experiment manifest nothing says which parts belong."""
    folder = write_result_folder(tmp_path / "exp")
    assert len(results.read_results(folder).outcomes) == 2 * REPLICATES
    for name in ("runs", "outcomes"):
        frame = results.pd.read_parquet(folder / f"{name}.parquet")
        (folder / f"{name}.parquet").unlink()
        (folder / f"{name}.parquet").mkdir()
        half = len(frame) // 2
        frame.iloc[:half].to_parquet(folder / f"{name}.parquet" / "part-a.parquet")
        frame.iloc[half:].to_parquet(folder / f"{name}.parquet" / "part-b.parquet")
    with pytest.raises(ValueError, match="without a govsim experiment manifest"):
        results.read_results(folder)


def test_result_folders_under_results_are_offered(tmp_path):
    write_result_folder(tmp_path / "results" / "exp1")
    (tmp_path / "results" / "not-a-result").mkdir()
    assert results.find_result_folders(tmp_path / "results") == ["exp1"]
    assert results.find_result_folders(tmp_path / "nothing") == []


def test_the_results_page_opens_only_folders_inside_its_root(tmp_path):
    root = tmp_path / "results"
    write_result_folder(root / "mine")
    write_result_folder(tmp_path / "elsewhere")
    (root / "link").symlink_to(tmp_path / "elsewhere")
    assert results.locate("mine", root.resolve()) == (root / "mine").resolve()
    messages = set()
    for name in ("../elsewhere", str(tmp_path / "elsewhere"), "link", "~", "/etc", "nope", ""):
        with pytest.raises(ValueError) as err:
            results.locate(name, root.resolve())
        messages.add(str(err.value))
    # the same answer whatever was wrong: nothing about what exists outside the root
    assert messages == {results.NOT_FOUND}
    assert results.find_result_folders(root.resolve()) == ["mine"]  # the symlink is not offered


def test_a_foreign_folder_is_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no such folder"):
        results.read_results(tmp_path / "nope")
    with pytest.raises(ValueError, match=r"runs\.parquet"):
        results.read_results(tmp_path)


# --- lessons --------------------------------------------------------------------------------------
def test_lessons_are_complete_and_build():
    assert len(lessons.LESSONS) >= 4
    for key, lesson in lessons.LESSONS.items():
        assert lesson.preset in preset_names()
        assert lesson.question("en") and lesson.question("zh")
        assert all(s.text("en") and s.text("zh") for s in lesson.steps)
        preset = session_preset(lesson.preset, key)
        days = [s.run_to_day for s in lesson.steps if s.run_to_day is not None]
        assert days == sorted(days) and all(d <= preset.days for d in days), key


def test_a_lessons_policy_is_built_when_the_file_is_read():
    with_policy = [k for k, lesson in lessons.LESSONS.items() if lesson.policy is not None]
    assert with_policy
    for key in with_policy:
        policy = lessons.LESSONS[key].policy
        assert all(isinstance(i, Intervention) for i in policy)
        assert first_city_policy(session_preset(lessons.LESSONS[key].preset, key)) == policy
    data = tomllib.loads(lessons.LESSON_FILE.read_text(encoding="utf-8"))
    lesson = next(x for x in data["lessons"] if x.get("policy"))
    lesson["policy"][0]["intensity"] = 2.0
    with pytest.raises(lessons.LessonError, match=r"policy\[0\]: intervention .*intensity=2\.0"):
        lessons.parse_lessons(data, "lessons.toml")


def test_a_lesson_typo_is_one_clear_line():
    data = tomllib.loads(lessons.LESSON_FILE.read_text(encoding="utf-8"))
    data["lessons"][0]["titel_en"] = "x"
    with pytest.raises(lessons.LessonError, match="did you mean 'title_en'"):
        lessons.parse_lessons(data, "lessons.toml")


# --- offline assets and the server ----------------------------------------------------------------
def test_offline_assets_resolve_the_names_solara_asks_for(tmp_path):
    target = offline_assets.build(tmp_path / "cdn")
    assert offline_assets.missing(target) == []
    assert (target / "vega@5" / "build" / "vega.min.js").is_file()
    assert offline_assets.build(tmp_path / "cdn") == target  # idempotent
    env = offline_assets.environment(tmp_path / "cdn")
    assert env["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(target)


def test_server_binds_to_loopback_in_production_mode():
    args = server.solara_arguments()
    assert args[args.index("--host") + 1] == "127.0.0.1"
    assert args[args.index("--port") + 1] == "8765"
    assert "--production" in args and "--no-check-version" in args
    assert Path(args[1]).name == "app.py" and Path(args[1]).is_file()


def test_a_send_to_a_tab_just_closed_is_not_reported_as_a_crash():
    """Solara's own report of the closed-tab race is dropped; every other error is kept."""
    import logging

    def record(exc: BaseException | None) -> logging.LogRecord:
        info = (type(exc), exc, None) if exc else None
        return logging.LogRecord("solara.server.kernel", logging.ERROR, "k", 1, "m", (), info)

    race = server.ClosedTabRace()
    assert not race.filter(record(RuntimeError("This portal is not running")))
    assert race.filter(record(RuntimeError("something else broke")))
    assert race.filter(record(ValueError("This portal is not running")))
    assert race.filter(record(None))


def test_chinese_text_takes_full_width_punctuation():
    """Every Chinese string of viz/i18n.py and viz/lessons.toml is written with ，。：；（）！？
    (zh_punctuation changes nothing), and names from elsewhere are converted when shown."""
    zh = [pair[1] for table in (i18n.UI, i18n.PARAMETERS, i18n.OUTCOMES, i18n.SERIES)
          for pair in table.values()]  # fmt: skip
    zh += list(i18n.UNITS.values()) + list(i18n.PRESETS_ZH.values())
    for lesson in lessons.LESSONS.values():
        zh += [lesson.title("zh"), lesson.question("zh"), *(s.text("zh") for s in lesson.steps)]
    wrong = [s for s in zh if i18n.zh_punctuation(s) != s]
    assert wrong == []
    assert (
        i18n.zh_punctuation("行政服务中心(一站式服务):实施") == "行政服务中心（一站式服务）：实施"
    )
    assert i18n.zh_punctuation("{label}:实施，0.5 倍, a.b") == "{label}：实施，0.5 倍， a.b"
    assert i18n.zh_punctuation("plain English (no change).") == "plain English (no change)."
    assert "市民社交网络" in i18n.t("network_citizens", "zh", n=3)


def test_the_status_line_names_a_preset_once():
    from viz.panels import named_description

    assert named_description("全面改革", "全面改革：文中各项改革同时实施", "zh") == (
        "全面改革：文中各项改革同时实施"
    )
    assert named_description("一站式", "行政服务中心", "zh") == "一站式：行政服务中心"
    assert named_description("baseline", "The traditional office", "en") == (
        "baseline: The traditional office"
    )
