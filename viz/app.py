"""The govsim dashboard (run with `govsim dashboard`, `make dashboard`, or `solara run viz/app.py`).

Composition only: the scenario card, govsim's own Step / Play / Pause / Reset (`viz.player`,
`viz.panels.PlayControls`: a play loop that waits for each redraw and stops with its tab), the
parameter card with controls generated from the declarations (`viz.controls`), the live views
(`viz.views`) in Mesa's grid, the lesson panel, and the experiment results page (`viz.results`).
A preset, a lesson or a Reset builds its city in the background behind a progress bar.
"""

from __future__ import annotations

import logging
from typing import Any

import solara
from mesa.visualization.solara_viz import ComponentsView

from viz import state
from viz.controls import model_params
from viz.dashboard_model import DashboardModel, session_preset
from viz.i18n import t
from viz.panels import (
    AppBarLinks,
    LessonPanel,
    ParameterCard,
    PlayControls,
    ScenarioCard,
    StatusLine,
)
from viz.player import CurrentModel, Player
from viz.results import ResultsPage
from viz.views import components_for, guarded

logger = logging.getLogger("govsim.dashboard")


@solara.component
def Dashboard():
    """The live dashboard: scenario card, controls and parameters, charts, lesson panel."""
    lang = state.language.value
    preset, lesson, generation = state.preset.value, state.lesson.value, state.generation.value
    player = solara.use_memo(Player, [])
    current = solara.use_memo(CurrentModel, [])
    # The tab closed (solara closes the session's render tree) or the page was left: stop playing.
    solara.use_effect(lambda: player.stop, [])
    controls = solara.use_reactive({})  # what the parameter card says, given to Reset
    reset = solara.use_reactive((generation, 0, None))  # (generation, count, controls)

    def build() -> tuple[int, DashboardModel]:
        gen, _, kwargs = reset.value
        if kwargs is not None and gen == generation:
            model = DashboardModel(**kwargs)
        else:
            model = DashboardModel(preset=preset, lesson=lesson)
        current.built(token, model)
        return generation, model

    scenario = [preset, lesson, generation, reset.value]
    token = solara.use_memo(current.building, scenario)  # in this render, before a later click
    task = solara.lab.use_task(build, dependencies=scenario, raise_error=False)
    solara.use_effect(player.stop, scenario)
    base = solara.use_memo(lambda: session_preset(preset, lesson), [preset, lesson])
    params = model_params(
        base, lang, preset_name=preset, lesson=lesson, show_all=state.show_all.value
    )
    built = task.value if task.finished else task.latest
    # a Reset keeps the last city on screen (faded) while it builds; a new preset or lesson does not
    model = built[1] if built is not None and built[0] == generation else None
    building = task.pending

    def on_reset() -> None:
        player.stop()
        _, count, _ = reset.value
        reset.set((state.generation.value, count + 1, dict(controls.value)))

    AppBarLinks()
    with solara.AppBar():
        solara.AppBarTitle(t("title", lang))
    with solara.Sidebar():
        ScenarioCard()
        with solara.Card(t("controls", lang), classes=["govsim-controls"]):
            PlayControls(None if building else model, current, player, on_reset=on_reset)
        with solara.Card(t("parameters", lang)):
            ParameterCard(params, controls).key(f"parameters-{generation}")
    with solara.Column(style={"width": "100%"}):
        if building or task.error or model is None:
            Building(task)
        if model is None:
            return
        faded = {"opacity": "0.4", "pointer-events": "none"} if building else {}
        with solara.Column(style={"width": "100%", **faded}):
            StatusLine(model)
            views = ComponentsView([guarded(v) for v in components_for(model)], model).key(
                f"views-{generation}"
            )
            if lesson:  # the lesson beside the charts, at a width its text can be read in
                with solara.Row(style={"flex-wrap": "nowrap", "align-items": "flex-start"}):
                    solara.Column(children=[views], style={"flex": "1 1 auto", "min-width": "0"})
                    with solara.Column(style={"flex": "0 0 300px", "width": "300px"}):
                        LessonPanel(model, player)
            else:
                solara.Column(children=[views])


@solara.component
def Building(task: Any):
    """While a preset, lesson or Reset builds its city: a progress bar, not stale charts."""
    lang = state.language.value

    def log_error() -> None:
        if task.error:
            logger.error("could not build the dashboard's city", exc_info=task.exception)

    solara.use_effect(log_error, [task.exception])
    if task.error:
        solara.Error(f"{t('build_error', lang)}: {task.exception}")
        return
    with solara.Column(classes=["govsim-building"], style={"padding": "24px"}):
        solara.Text(t("building", lang), style={"font-size": "16px"})
        solara.ProgressLinear(True)


@solara.component
def Layout(children=[]):  # noqa: B006 (solara passes the routed page as `children`)
    """Solara's app layout, without its route tabs: each page shows `AppBarLinks` instead."""
    return solara.AppLayout(children=children, navigation=False)


routes = [
    solara.Route(path="/", component=Dashboard, label="Dashboard", layout=Layout),
    solara.Route(path="results", component=ResultsPage, label="Results"),
]
