"""The govsim dashboard (run with `govsim dashboard`, `make dashboard`, or `solara run viz/app.py`).

Composition only: Mesa's SolaraViz with controls generated from the declarations
(`viz.controls`), the live views (`viz.views`), the dashboard's own panels (`viz.panels`) and the
experiment results page (`viz.results`).
"""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz

from viz import state
from viz.controls import model_params
from viz.dashboard_model import DashboardModel, session_preset
from viz.i18n import t
from viz.panels import AppBarLinks, LessonPanel, ScenarioCard, StatusLine
from viz.results import ResultsPage
from viz.views import components_for

PLAY_INTERVAL_MS = 150  # above the charts' 100 ms redraw debounce, so they update while playing


@solara.component
def Dashboard():
    """The live dashboard: scenario card, SolaraViz (controls and charts), lesson panel."""
    lang = state.language.value
    preset, lesson, generation = state.preset.value, state.lesson.value, state.generation.value
    initial = solara.use_memo(
        lambda: DashboardModel(preset=preset, lesson=lesson), [preset, lesson, generation]
    )
    model = solara.use_reactive(initial)  # Mesa's Reset puts its rebuilt model here
    base = solara.use_memo(lambda: session_preset(preset, lesson), [preset, lesson])
    params = model_params(
        base, lang, preset_name=preset, lesson=lesson, show_all=state.show_all.value
    )
    AppBarLinks()
    with solara.Sidebar():
        ScenarioCard()
    viz = SolaraViz(
        model,
        components=components_for(initial),
        model_params=params,
        name=t("title", lang),
        play_interval=PLAY_INTERVAL_MS,
    ).key(f"viz-{generation}")
    with solara.Column(style={"width": "100%"}):
        StatusLine(model)
        if lesson:  # the lesson beside the charts, at a width its text can be read in
            with solara.Row(style={"flex-wrap": "nowrap", "align-items": "flex-start"}):
                solara.Column(children=[viz], style={"flex": "1 1 auto", "min-width": "0"})
                with solara.Column(style={"flex": "0 0 300px", "width": "300px"}):
                    LessonPanel(model)
        else:
            solara.Column(children=[viz])


@solara.component
def Layout(children=[]):  # noqa: B006 (solara passes the routed page as `children`)
    """Solara's app layout, without its route tabs: each page shows `AppBarLinks` instead."""
    return solara.AppLayout(children=children, navigation=False)


routes = [
    solara.Route(path="/", component=Dashboard, label="Dashboard", layout=Layout),
    solara.Route(path="results", component=ResultsPage, label="Results"),
]
