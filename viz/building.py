"""The progress bar shown while a page builds its city (or cities) in the background, or why the
build failed."""

from __future__ import annotations

import solara

from viz import state
from viz.i18n import t


@solara.component
def Building(active: bool, error: BaseException | None):
    """While a preset, lesson or Reset builds its city: a progress bar, not stale charts; or why
    it could not be built (logged by `CurrentModel.build`).

    The progress bar's widgets stay on the page, hidden when idle: a build that ends (or fails)
    within milliseconds would otherwise create and close them faster than a busy browser applies
    the page's updates, and the browser then fails on the closed widget ("widget model not
    found")."""
    lang = state.language.value
    if error is not None:
        solara.Error(f"{t('build_error', lang)}: {type(error).__name__}: {error}")
    # a Div: a Column's `d-flex` class would override `display: none` (it is !important)
    with solara.Div(
        classes=["govsim-building" if active else "govsim-building-idle"],
        style={"padding": "24px"} if active else {"display": "none"},
    ):
        solara.Text(t("building", lang), style={"font-size": "16px"})
        solara.ProgressLinear(active)
