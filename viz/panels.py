"""The dashboard's own panels around SolaraViz: language switch, scenario card, status line and
the lesson panel of teaching mode."""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import ipywidgets
import solara
from mesa.visualization.solara_viz import split_model_params
from mesa.visualization.utils import force_update, update_counter

from scenarios import ScenarioError, preset_names
from viz import state
from viz.controls import HEADING
from viz.dashboard_model import DashboardModel, reference_name
from viz.i18n import LANGUAGE_NAMES, LANGUAGES, city_label, preset_description, preset_label, t
from viz.lessons import LESSONS
from viz.player import CurrentModel, Player
from viz.share import export_filename, open_query, preset_toml, share_query, store_upload, with_seed

logger = logging.getLogger("govsim.dashboard")
share_error = solara.reactive("")  # why a loaded file or an opened link was not used (one line)
opened_link = solara.reactive("")  # the share link's query this session has opened already


@solara.component
def LanguageSwitch():
    """English / 中文, in the app bar: changes every label, lesson text and chart title."""
    names = [LANGUAGE_NAMES[code] for code in LANGUAGES]

    def choose(name: str) -> None:
        for code in LANGUAGES:
            if LANGUAGE_NAMES[code] == name:
                state.language.set(code)

    solara.ToggleButtonsSingle(
        value=LANGUAGE_NAMES[state.language.value],
        values=names,
        on_value=choose,
        classes=["govsim-language"],
        style={"margin-left": "12px"},
    )


# A slider's label above its track, not beside it: beside a long label ("Green channel for
# enterprises: intensity: 1.00") the sidebar left the track a few pixels, or none, to drag.
SLIDER_CSS = (
    ".v-input__slider .v-input__slot{flex-wrap:wrap}"
    ".v-input__slider .v-input__slot>.v-label{flex:1 0 100%!important;max-width:100%!important;"
    "white-space:normal;margin:0 0 2px 0!important}"
)


@solara.component
def AppBarLinks():
    """Links to the pages and the language switch, in the app bar; and the pages' slider
    layout (every page has this bar)."""
    lang = state.language.value
    solara.Style(SLIDER_CSS)
    with solara.AppBar():
        with solara.Link("/"):
            solara.Button(t("nav_dashboard", lang), text=True, dark=True, classes=["govsim-nav"])
        with solara.Link("/results"):
            solara.Button(t("nav_results", lang), text=True, dark=True, classes=["govsim-nav"])
        with solara.Link("/compare"):
            solara.Button(t("nav_compare", lang), text=True, dark=True, classes=["govsim-nav"])
        with solara.Link("/classroom"):
            solara.Button(t("nav_classroom", lang), text=True, dark=True, classes=["govsim-nav"])
        LanguageSwitch()


def load_scenario(preset: str, lesson: str = "") -> None:
    """Switch the session to another preset or lesson: a fresh model and fresh controls."""
    state.preset.set(preset)
    state.lesson.set(lesson)
    state.lesson_step.set(0)
    state.lesson_done.set(False)
    if lesson and LESSONS[lesson].compare:
        state.compare.set(True)
    state.generation.set(state.generation.value + 1)


@solara.component
def ScenarioCard():
    """Preset picker, lesson picker (teaching mode) and the view switches."""
    lang = state.language.value
    titles = {LESSONS[k].title(lang): k for k in LESSONS}
    none = t("no_lesson", lang)
    current_lesson = state.lesson.value
    presets = {preset_label(name, lang): name for name in preset_names()}
    current = reference_name(state.preset.value)
    if current not in preset_names():  # a loaded preset file: listed under its own name
        presets[preset_label(current, lang)] = state.preset.value
    router = solara.use_router()

    def open_link() -> None:
        """A share link (`viz.share`) opens its setup once, when the page is opened with it."""
        search = router.search or ""
        keys = {k for k, _ in parse_qsl(search)}
        if search == opened_link.value or not keys & {"preset", "file"}:
            return
        opened_link.set(search)
        try:
            reference, link_lesson = open_query(search)
        except ScenarioError as exc:
            share_error.set(str(exc))
            return
        share_error.set("")
        load_scenario(reference, link_lesson)

    solara.use_effect(open_link, [router.search])
    with solara.Card(t("scenario", lang), classes=["govsim-scenario"]):
        solara.Select(
            label=t("preset", lang),
            value=preset_label(current, lang),
            values=list(presets),
            on_value=lambda label: load_scenario(presets.get(label, label)),
        )
        solara.Select(
            label=t("lesson", lang),
            value=LESSONS[current_lesson].title(lang) if current_lesson else none,
            values=[none, *titles],
            on_value=lambda title: load_scenario(
                LESSONS[titles[title]].preset if title in titles else state.preset.value,
                titles.get(title, ""),
            ),
        )
        solara.Checkbox(label=t("compare", lang), value=state.compare)
        solara.Checkbox(label=t("all_parameters", lang), value=state.show_all)


@solara.component
def StatusLine(model: DashboardModel):
    """What is running: the preset's description, the day, and any input that was not used."""
    update_counter.get()
    lang = state.language.value
    m = model
    with solara.Column(gap="2px", classes=["govsim-status"], style={"padding": "0 12px"}):
        name = preset_label(reference_name(m.preset_name), lang)
        if m.lesson:  # the lesson changes its preset: name the lesson, not the preset's text
            title = LESSONS[m.lesson].title(lang)
            text = f"{title}（{name}）" if lang == "zh" else f"{title} ({name})"
        else:
            text = named_description(name, preset_description(m.config, lang), lang)
        day = max(m.day + 1, 0)
        solara.Text(
            f"{text} — {t('day_of', lang, day=day, days=m.days)}",
            style={"font-size": "15px", "font-weight": "500"},
        )
        changes = solara.use_memo(lambda: setup_changes(m, lang), [m, lang])  # fixed per model
        if changes:
            sep = "；" if lang == "zh" else "; "
            solara.Text(
                t("setup_changed", lang) + sep.join(changes),
                style={"font-size": "13px", "color": "#1f4e79"},
                classes=["govsim-setup"],
            )
        hint = t("apply_hint", lang)
        if m.config.cities:
            hint += " " + t("reforms_per_city", lang)
        solara.Text(hint, style={"font-size": "13px", "color": "#666"})
        for error in m.errors:
            solara.Warning(f"{t('input_error', lang)}: {error}", dense=True)
        SharePanel(m)


@solara.component
def SharePanel(model: DashboardModel):
    """Share the running setup: download it as a preset file, a link that reopens it, and load a
    preset file (checked like any preset; a bad one is named here, the session keeps running)."""
    lang = state.language.value
    m = model

    def export() -> tuple[str, str]:
        try:
            text = preset_toml(m.config, m.seed, reference_name(m.preset_name))
            return text, "?" + share_query(m.preset_name, m.lesson, m.config, m.seed)
        except ScenarioError as exc:
            return "", str(exc)

    text, link = solara.use_memo(export, [m])

    def uploaded(files: Any) -> None:
        if not files:
            return
        file = files[0]
        try:
            reference, seed = store_upload(file["name"], bytes(file["content"]))
        except ScenarioError as exc:
            share_error.set(str(exc))
            return
        share_error.set("")
        load_scenario(with_seed(reference, seed))

    with solara.Row(classes=["govsim-share"], style={"align-items": "center", "flex-wrap": "wrap"}):
        if text:
            solara.FileDownload(
                text,
                filename=export_filename(m.preset_name),
                label=t("share_download", lang),
                mime_type="application/toml",
            )
            solara.HTML(
                tag="span",
                unsafe_innerHTML=(
                    f'<a class="govsim-share-link" href="{html.escape(link)}" target="_blank"'
                    f' rel="noopener">{html.escape(t("share_link", lang))}</a>'
                ),
            )
        ipywidgets.FileUpload.element(
            accept=".toml",
            multiple=False,
            description=t("share_upload", lang),
            tooltip=t("share_upload_tip", lang),
            layout={"width": "auto"},
            on_value=uploaded,
        )
    if share_error.value:
        solara.Error(
            t("share_error", lang) + ("：" if lang == "zh" else ": ") + share_error.value,
            dense=True,
            classes=["govsim-share-error"],
        )
    elif not text:
        solara.Warning(link, dense=True)


@solara.component
def LessonPanel(model: DashboardModel, player: Player):
    """Teaching mode: the lesson's steps beside the charts, then its question to discuss."""
    update_counter.get()
    lang = state.language.value
    lesson = LESSONS[state.lesson.value]
    i = state.lesson_step.value
    n = len(lesson.steps)
    m = model

    def run_to(day: int) -> None:
        player.stop()
        player.join(5.0)  # the play loop's last day first: one thread steps the model at a time
        model.run_to(day)
        force_update()

    with solara.Card(lesson.title(lang), classes=["govsim-lesson"]):
        if state.lesson_done.value:
            solara.Success(t("lesson_done", lang))
            solara.Button(
                t("lesson_restart", lang),
                on_click=lambda: load_scenario(lesson.preset, lesson.key),
                outlined=True,
            )
            return
        if i < n:
            step = lesson.steps[i]
            solara.Text(t("lesson_step", lang, i=i + 1, n=n), style={"color": "#666"})
            solara.HTML(
                tag="p",
                unsafe_innerHTML=html.escape(step.text(lang)),
                style={"font-size": "15px", "line-height": "1.5"},
                classes=["govsim-lesson-text"],
            )
            target = step.run_to_day
            if target is not None and m.day + 1 < min(target, m.days):
                solara.Button(
                    t("lesson_run_to", lang, day=target),
                    on_click=lambda: run_to(target - 1),
                    color="primary",
                    classes=["govsim-run-to"],
                )
        else:
            solara.Text(t("lesson_question", lang), style={"font-weight": "600"})
            solara.HTML(
                tag="p",
                unsafe_innerHTML=html.escape(lesson.question(lang)),
                style={"font-size": "15px", "line-height": "1.5"},
                classes=["govsim-lesson-question"],
            )
        with solara.Row(justify="space-between"):
            solara.Button(
                t("lesson_back", lang),
                on_click=lambda: state.lesson_step.set(max(0, i - 1)),
                disabled=i == 0,
                text=True,
            )
            if i < n:
                solara.Button(
                    t("lesson_next", lang),
                    on_click=lambda: state.lesson_step.set(i + 1),
                    color="primary",
                    outlined=True,
                )
            else:
                solara.Button(
                    t("lesson_finish", lang),
                    on_click=lambda: state.lesson_done.set(True),
                    color="primary",
                )


@solara.component
def PlayControls(
    model: DashboardModel | None,
    current: CurrentModel,
    player: Player,
    on_reset: Callable[[], None],
) -> None:
    """Reset, play / pause and Step, translated; play runs `player`'s loop (`viz.player`), which
    waits for each redraw, so a click on pause is served within a frame even on a busy machine.
    An error while playing is logged by the player and shown here; the session stays.
    `model` is the one on screen (None while a new one builds); the buttons act on `current`."""
    lang = state.language.value
    frame = update_counter.get()
    playing = solara.use_reactive(False)
    error = solara.use_reactive(None)
    # every render pass that reaches here has drawn the frame the play loop waits for
    solara.use_effect(lambda: player.drawn(frame), [frame])
    running = model is not None and bool(model.running)

    def ended() -> None:
        playing.set(False)
        force_update()  # the last day played is drawn, whenever pause came

    def failed(exc: BaseException) -> None:
        error.set(f"{t('play_error', lang)}: {type(exc).__name__}: {exc}")

    def play_pause() -> None:
        if playing.value or player.playing:
            player.stop()
            playing.set(False)
            return
        now = current.get()
        if now is not None and now.running:
            error.set(None)
            playing.set(True)
            player.play(now, on_end=ended, on_error=failed)

    def step() -> None:
        now = current.get()
        if now is None or player.playing or not now.running:
            return
        try:
            now.step()
        except Exception as exc:  # logged and shown; the session stays
            logger.exception("a step from the dashboard failed")
            failed(exc)
        force_update()

    def reset() -> None:
        player.stop()
        playing.set(False)
        error.set(None)
        on_reset()

    with solara.Row(justify="space-between", classes=["govsim-play"]):
        solara.Button(label=t("reset", lang), color="primary", on_click=reset)
        solara.Button(
            label="❚❚" if playing.value else "▶",
            color="primary",
            on_click=play_pause,
            disabled=not running and not playing.value,
            attributes={"title": t("pause_tip" if playing.value else "play_tip", lang)},
        )
        solara.Button(
            label=t("step", lang),
            color="primary",
            on_click=step,
            disabled=playing.value or not running,
        )
    if error.value:
        solara.Error(error.value, classes=["govsim-play-error"])


def slider_text(value: Any, step: float) -> str:
    """A slider's value as its label shows it: as many decimals as its step has."""
    if step >= 1:
        return f"{round(float(value)):,}"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return f"{float(value):.{decimals}f}"


@solara.component
def ParameterCard(params: dict[str, Any], controls: solara.Reactive[dict[str, Any]]) -> None:
    """The parameter controls; what they say is kept in `controls` for Reset. A slider's label
    shows its value (Mesa's inputs show it only while dragging)."""
    lang = state.language.value
    user, fixed = split_model_params(params)

    def initial() -> None:
        values = {k: v.get("value") for k, v in user.items() if v.get("type") != HEADING}
        controls.set({**fixed, **values})

    solara.use_effect(initial, [])
    colon = "：" if lang == "zh" else ": "
    for name, options in user.items():
        if options.get("type") == HEADING:
            solara.Text(
                options["label"],
                classes=["govsim-city-reforms"],
                style={"font-weight": "600", "margin-top": "12px" if options["index"] else "0"},
            )
            continue
        value = controls.value.get(name, options.get("value"))

        def change(new: Any, name: str = name) -> None:
            controls.set({**controls.value, name: new})

        kind, label = options.get("type"), options.get("label", name)
        if kind in ("SliderInt", "SliderFloat"):
            slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
            slider(
                f"{label}{colon}{slider_text(value, options['step'])}",
                value=value,
                on_value=change,
                min=options["min"],
                max=options["max"],
                step=options["step"],
            )
        elif kind == "Checkbox":
            solara.Checkbox(label=label, value=value, on_value=change)
        else:
            solara.InputText(label=label, value=value, on_value=change)


def setup_changes(model: DashboardModel, lang: str) -> list[str]:
    """What the running city's setup changes from its preset (or lesson): reforms switched on or
    off or moved (with several cities, each named), parameters set, the seed; empty when it is
    the preset as it is. A shared setup (`viz.share`) counts from the preset it names."""
    from viz.dashboard_model import city_policy, reform_cities, session_preset, split_reference
    from viz.i18n import parameter_label, policy_label
    from world.parameters import Parameters

    base = session_preset(split_reference(model.preset_name)[0], model.lesson)
    out = []
    for city in reform_cities(base):
        before = {i.key: i for i in city_policy(base, city)}
        after = {i.key: i for i in city_policy(model.config, city)}
        where = ""
        if base.cities:
            where = city_label(city or base.cities[0].name, lang) + ("：" if lang == "zh" else ": ")
        for key, i in after.items():
            label = policy_label(type(i), lang)
            detail = t("setup_reform", lang, label=label, start=i.start, intensity=i.intensity)
            if key not in before:
                out.append(f"+ {where}{detail}")
            elif (i.start, i.intensity) != (before[key].start, before[key].intensity):
                out.append(where + detail)
        out += [
            f"− {where}{policy_label(type(i), lang)}"
            for key, i in before.items()
            if key not in after
        ]
    for name in Parameters.model_fields:
        now, was = getattr(model.config.parameters, name), getattr(base.parameters, name)
        if now != was:
            info = Parameters.info(name)
            out.append(f"{parameter_label(name, info.unit, lang)} = {now:g}")
    if model.seed:
        out.append(t("setup_seed", lang, seed=model.seed))
    return out


def named_description(name: str, described: str, lang: str) -> str:
    """A preset's name and its description, without the name twice when the description
    already starts with it (全面改革：全面改革：… was shown)."""
    if described.startswith(name):
        return described
    return f"{name}{'：' if lang == 'zh' else ': '}{described}"
