"""The govsim dashboard (run with `govsim dashboard`, `make dashboard`, or `solara run viz/app.py`).

Composition only: the scenario card, govsim's own Step / Play / Pause / Reset (`viz.player`,
`viz.panels.PlayControls`: a play loop that waits for each redraw and stops with its tab), the
parameter card with controls generated from the declarations (`viz.controls`), the live views
(`viz.views`) in Mesa's grid, the lesson panel, and the experiment results page (`viz.results`).
A preset, a lesson or a Reset builds its city in the background behind a progress bar.
"""

from __future__ import annotations

import logging

import solara
from mesa.visualization.solara_viz import ComponentsView

from viz import state
from viz.building import Building
from viz.classroom_pages import ClassroomPage
from viz.compare_page import ComparePage
from viz.controls import model_params
from viz.dashboard_model import DashboardModel, session_preset
from viz.i18n import t
from viz.memory import on_session_start
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
# When a session closes (its tab closed, or its page gone for the disconnected timeout), solara
# tears down its render tree, which stops its play loop (the cleanup below); then its memory goes
# back to the machine (`viz.memory`).
solara.lab.on_kernel_start(on_session_start)


# Mesa's page tabs ("PAGE 0") mean nothing with one page of views: hidden. A cell of Mesa's grid
# has a fixed height: a view taller than its cell (three cities' stacked charts and legends)
# scrolls inside it instead of drawing over the next cell's title.
VIEWS_CSS = ".govsim-views .v-tabs{display:none}.govsim-views .vue-grid-item{overflow:hidden auto}"
MIN_CHARTS_PX = 760  # two charts side by side, each wide enough for its plot and legend


@solara.component
def Dashboard():
    """The live dashboard: scenario card, controls and parameters, charts, lesson panel."""
    lang = state.language.value
    preset, lesson, generation = state.preset.value, state.lesson.value, state.generation.value
    player = solara.use_memo(Player, [])
    current = solara.use_memo(CurrentModel, [])

    def closed() -> None:  # the tab closed (solara tears the session down) or the page was left
        player.stop()
        current.close()

    solara.use_effect(lambda: closed, [])
    controls = solara.use_reactive({})  # what the parameter card says, given to Reset
    reset = solara.use_reactive((generation, 0, None))  # (generation, count, controls)
    built = solara.use_reactive(None)  # (token, generation, model) of the last finished build
    failed = solara.use_reactive(None)  # (token, exception) of a build that failed

    scenario = [preset, lesson, generation, reset.value]
    token = solara.use_memo(current.building, scenario)  # in this render, before a later click

    def build() -> None:
        gen, _, kwargs = reset.value
        if kwargs is not None and gen == generation:
            args = dict(kwargs)
        else:
            args = {"preset": preset, "lesson": lesson}
        current.build(
            token,
            lambda: DashboardModel(**args),
            on_built=lambda model: built.set((token, generation, model)),
            on_error=lambda exc: failed.set((token, exc)),
        )

    solara.use_effect(build, scenario)
    solara.use_effect(player.stop, scenario)
    base = solara.use_memo(lambda: session_preset(preset, lesson), [preset, lesson])
    params = model_params(
        base, lang, preset_name=preset, lesson=lesson, show_all=state.show_all.value
    )
    last = built.value
    # a Reset keeps the last city on screen (faded) while it builds; a new preset or lesson does not
    model = last[2] if last is not None and last[1] == generation else None
    error = failed.value[1] if failed.value is not None and failed.value[0] == token else None
    building = error is None and (last is None or last[0] != token)

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
        Building(error is None and (building or model is None), error)
        if model is None:
            return
        faded = {"opacity": "0.4", "pointer-events": "none"} if building else {}
        solara.Style(VIEWS_CSS)
        with solara.Column(style={"width": "100%", **faded}, classes=["govsim-views"]):
            StatusLine(model)
            views = ComponentsView([guarded(v) for v in components_for(model)], model).key(
                f"views-{generation}"
            )
            if lesson:  # the lesson beside the charts, at a width its text can be read in;
                # when the charts would be narrower than MIN_CHARTS_PX, the lesson goes above
                # them (wrap-reverse puts the second line first)
                with solara.Row(
                    style={"flex-wrap": "wrap-reverse", "align-items": "flex-end"},
                    classes=["govsim-lesson-row"],
                ):
                    solara.Column(
                        children=[views],
                        style={"flex": f"1000 1 {MIN_CHARTS_PX}px", "min-width": "0"},
                    )
                    with solara.Column(style={"flex": "1 0 300px", "max-width": "100%"}):
                        LessonPanel(model, player)
            else:
                solara.Column(children=[views])


@solara.component
def Layout(children=[]):  # noqa: B006 (solara passes the routed page as `children`)
    """Solara's app layout, without its route tabs: each page shows `AppBarLinks` instead."""
    return solara.AppLayout(children=children, navigation=False)


routes = [
    solara.Route(path="/", component=Dashboard, label="Dashboard", layout=Layout),
    solara.Route(path="results", component=ResultsPage, label="Results"),
    solara.Route(path="compare", component=ComparePage, label="Side by side"),
    solara.Route(path="classroom", component=ClassroomPage, label="Classroom"),
]
