"""The dashboard's session state: solara reactive variables, one value per browser session."""

from __future__ import annotations

import solara

from viz.dashboard_model import DEFAULT_PRESET

language = solara.reactive("en")  # "en" or "zh": every label, lesson text and chart title
compare = solara.reactive(True)  # draw the baseline (no reforms, same seed) beside each chart
show_all = solara.reactive(False)  # every declared parameter in the sidebar, not only the key ones
preset = solara.reactive(DEFAULT_PRESET)
lesson = solara.reactive("")  # a key of viz.lessons.LESSONS, or "" outside teaching mode
lesson_step = solara.reactive(0)  # index into the lesson's steps; len(steps) = the question
lesson_done = solara.reactive(False)
generation = solara.reactive(0)  # bumped whenever a new scenario is loaded (new controls, charts)
