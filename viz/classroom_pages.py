"""The classroom game's page (`/classroom`): the teacher's and the students' views of a game of
`viz.classroom`.

One route, three views, chosen by the address:

- `/classroom`: start a game (teacher) or type a game code (student);
- `/classroom?game=CODE&key=KEY`: the teacher's view (the key is in the link only the teacher
  gets): the code to give the class, +1 / +7 / +30 days, the players, the league table;
- `/classroom?game=CODE`: a student's join form; `...&seat=KEY` after joining: the student's
  city, its reforms within the fund, its standing and the league table.

The addresses carry everything, so a reload (or a dropped classroom Wi-Fi) comes back to the same
view. Every view of a game watches its `version` in a thread of the session (`use_live`), every
`POLL_S`, and redraws when it changed: the teacher's advances, other students' joins and the league
reach every page within about a second. The thread ends when its view leaves the page or its
session closes (the tab closed), like the dashboard's play loop (`viz.player`).
"""

from __future__ import annotations

import html
import logging
import math
import threading
from urllib.parse import parse_qs, urlencode

import solara

from viz import session_threads, state
from viz.classroom import (
    ADVANCE_STEPS,
    CITY_SIZES,
    GAMES,
    MAX_CITIES,
    MIN_CITIES,
    Game,
    GameError,
    ReformState,
    Settings,
    default_settings,
)
from viz.i18n import policy_label, t
from viz.panels import AppBarLinks
from viz.session_threads import page_connected, session_context
from world.interventions import REGISTRY

logger = logging.getLogger("govsim.dashboard")

POLL_S = 0.5  # how often a view looks at its game's version
PATH = "/classroom"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")

CSS = """
.govsim-league{border-collapse:collapse;font-size:14px;width:100%}
.govsim-league th,.govsim-league td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
.govsim-league th:nth-child(2),.govsim-league td:nth-child(2),
.govsim-league th:nth-child(3),.govsim-league td:nth-child(3){text-align:left}
.govsim-league tr.govsim-own td{background:#fff3c4;font-weight:bold}
.govsim-class-code{font-size:40px;letter-spacing:6px;font-weight:bold}
"""


def link(**query: str) -> str:
    return f"{PATH}?{urlencode(query)}"


def _host() -> str:
    """The host (and port) the page was loaded from, as the browser asked for it ("" unknown)."""
    headers = solara.lab.headers.value or {}
    values = headers.get("host") or headers.get("Host") or [""]
    return values[0]


def address(path: str) -> str:
    """The full address of a path on this server, as this page's browser reaches it."""
    host = _host()
    return f"http://{host}{path}" if host else path


def shown(error: GameError | str, lang: str) -> str:
    """A refusal in the page's language now (it follows the language switch)."""
    return error.text(lang) if isinstance(error, GameError) else error


def city_label(index: int, lang: str) -> str:
    return t("class_city_n", lang, n=index + 1)


def use_live(game: Game | None) -> int:
    """The game's version as this view last saw it; a session thread looks every `POLL_S` and
    sets it when it changed (a redraw). The thread ends with the view or the session."""
    seen = solara.use_reactive(-1)

    def watch():
        if game is None:
            return None
        stop = threading.Event()
        context = session_context()

        def run() -> None:
            while not stop.wait(POLL_S):
                if context is not None and context.closed_event.is_set():
                    return
                if not page_connected(context):
                    continue  # a page gone for a moment: no redraws until it is back
                game.touch()
                version = game.version
                if version != seen.value:
                    try:
                        seen.set(version)
                    except Exception:  # a view torn down meanwhile: nothing to draw
                        logger.exception("classroom: could not redraw a view")
                        return

        session_threads.start(run, "govsim-class-watch", context)
        return stop.set

    solara.use_effect(watch, [game])
    return seen.value


def _number(x: float, digits: int = 0) -> str:
    return "—" if x != x or math.isinf(x) else f"{x:,.{digits}f}"


def _share(x: float) -> str:
    return "—" if x != x else f"{100 * x:.1f}%"


def league_html(game: Game, lang: str, own: int | None = None) -> str:
    """The league table as HTML (students' names escaped), one row per city, best first."""
    heads = [
        "class_rank",
        "class_city_choice",
        "class_player",
        "class_firms",
        "class_residents",
        "class_sat_residents",
        "class_sat_firms",
        "class_competitiveness",
        "class_fund",
        "class_reforms_on",
    ]
    head = "".join(f"<th>{html.escape(t(h, lang))}</th>" for h in heads)
    rows = []
    for r in game.league():
        cells = [
            str(r.rank),
            html.escape(city_label(r.city, lang)),
            f'<span class="govsim-user-text">{html.escape(r.player) or "—"}</span>',
            _number(r.firms),
            _number(r.residents),
            _share(r.satisfaction_residents),
            _share(r.satisfaction_firms),
            _number(r.competitiveness, 1),
            _number(r.fund),
            str(r.reforms),
        ]
        mine = ' class="govsim-own"' if r.city == own else ""
        rows.append(
            f'<tr data-city="{r.city}"{mine}>' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
        )
    return (
        f'<table class="govsim-league" data-day="{game.day + 1}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


@solara.component
def League(game: Game, version: int, own: int | None = None):
    """The league table (`version`: the game's version drawn, so a change redraws it)."""
    lang = state.language.value
    with solara.Card(t("class_league", lang)):
        solara.HTML(tag="div", unsafe_innerHTML=league_html(game, lang, own))
        solara.Text(t("class_league_note", lang), style={"font-size": "12px", "color": "#666"})


@solara.component
def DayLine(game: Game, version: int):
    """'Day N of D', and the day an advance is on its way to (`version`: as `League`)."""
    lang = state.language.value
    text = t("class_day", lang, day=game.day + 1, days=game.settings.days)
    if game.advancing_to is not None:
        text += " · " + t("class_advancing", lang, day=game.advancing_to + 1)
    solara.Text(
        text,
        classes=["govsim-class-day"],
        style={"font-size": "20px", "font-weight": "bold", "display": "block"},
    )


def Paragraph(text: str, cls: str = "") -> None:
    """A line of text as its own paragraph (no Markdown: its math renderer is not served)."""
    solara.Text(text, classes=[cls] if cls else [], style={"display": "block", "margin": "6px 0"})


# --- the teacher ---------------------------------------------------------------------------------
@solara.component
def NewGame():
    """The teacher's form: how many cities, how big, how much money; Create builds the region."""
    lang = state.language.value
    router = solara.use_router()
    defaults = default_settings()
    cities = solara.use_reactive(defaults.cities)
    size = solara.use_reactive(str(defaults.residents))
    budget = solara.use_reactive(round(defaults.budget))  # whole yuan
    seed = solara.use_reactive(0)
    building = solara.use_reactive(False)
    error = solara.use_reactive(None)  # a GameError (shown in the page's language) or a text

    def create() -> None:
        settings = Settings(
            cities=int(cities.value),
            residents=int(size.value),
            budget=float(budget.value if budget.value is not None else -1),
            seed=abs(int(seed.value or 0)),
        )
        try:
            settings.check()
        except GameError as exc:
            error.set(exc)
            return
        context = session_context()
        building.set(True)
        error.set(None)

        def run() -> None:
            try:
                game = GAMES.create(settings)
            except GameError as exc:
                error.set(exc)
                return
            except Exception as exc:  # logged and shown; the page stays
                logger.exception("classroom: could not build a game")
                error.set(f"{type(exc).__name__}: {exc}")
                return
            finally:
                building.set(False)
            router.push(link(game=game.code, key=game.teacher_key))

        session_threads.start(run, "govsim-class-build", context)

    with solara.Card(t("class_new", lang), classes=["govsim-class-new"]):
        solara.SliderInt(
            f"{t('class_cities', lang)}{'：' if lang == 'zh' else ': '}{cities.value}",
            value=cities,
            min=MIN_CITIES,
            max=MAX_CITIES,
            thumb_label=True,
        )

        def resize(residents: str) -> None:  # the fund follows the size (per resident)
            size.set(residents)
            budget.set(round(default_settings(residents=int(residents)).budget))

        solara.Select(
            t("class_size", lang),
            value=size.value,
            values=[str(s) for s in CITY_SIZES],
            on_value=resize,
        )
        solara.InputInt(t("class_budget", lang), value=budget)  # whole yuan
        solara.InputInt(t("class_seed", lang), value=seed)
        solara.Button(
            t("class_create", lang), on_click=create, disabled=building.value, color="primary"
        )
        # always on the page, hidden when idle (as the dashboard's `Building`): a bar created and
        # closed within milliseconds fails in a busy browser ("widget model not found")
        # a Div: a Column's `d-flex` class would override `display: none` (it is !important)
        with solara.Div(
            classes=["govsim-class-building" if building.value else "govsim-class-building-idle"],
            style={} if building.value else {"display": "none"},
        ):
            solara.Text(t("class_building", lang))
            solara.ProgressLinear(building.value)
        if error.value is not None:
            solara.Error(shown(error.value, lang))


@solara.component
def TeacherView(game: Game):
    lang = state.language.value
    version = use_live(game)
    router = solara.use_router()
    if game.ended:
        solara.Warning(t("class_ended", lang))
        return
    with solara.Card(t("class_title", lang)):
        solara.Text(t("class_code_is", lang, code=game.code), classes=["govsim-class-code"])
        Paragraph(
            t("class_students_open", lang, path=address(link(game=game.code))),
            "govsim-class-join-path",
        )
        if _host().split(":")[0] in LOOPBACK:
            Paragraph(t("class_loopback", lang), "govsim-class-loopback")
        Paragraph(
            t("class_teacher_link", lang, path=address(link(game=game.code, key=game.teacher_key))),
            "govsim-class-teacher-path",
        )
        seats = len(game.seats)
        solara.Text(
            t("class_players", lang, n=seats, cities=game.settings.cities),
            classes=["govsim-class-players"],
            style={"display": "block"},
        )
        DayLine(game, version)
        busy = game.advancing_to is not None or game.over
        with solara.Row():
            for n in ADVANCE_STEPS:
                label = t("class_advance_one", lang) if n == 1 else t("class_advance", lang, n=n)
                solara.Button(
                    label,
                    on_click=lambda n=n: game.advance_in_background(n),
                    disabled=busy,
                    color="primary",
                    classes=[f"govsim-class-advance-{n}"],
                )

            def end() -> None:
                GAMES.end(game.code)
                router.push(PATH)

            solara.Button(t("class_end", lang), on_click=end, outlined=True)
        Release(game, tuple(sorted(game.seats)))
    League(game, version)


@solara.component
def Release(game: Game, taken: tuple[int, ...]):
    """Free a taken city, for a student who lost the link (they join again and may take it)."""
    lang = state.language.value
    chosen = solara.use_reactive("")
    names = {city_label(k, lang): k for k in taken}
    if not names:
        return

    def release() -> None:
        if chosen.value in names:
            game.release(names[chosen.value])
            chosen.set("")

    with solara.Row(style={"align-items": "center"}, classes=["govsim-class-release"]):
        solara.Select(
            t("class_release_city", lang),
            value=chosen.value if chosen.value in names else None,
            values=list(names),
            on_value=chosen.set,
            style={"max-width": "260px"},
        )
        solara.Button(
            t("class_release", lang),
            on_click=release,
            disabled=chosen.value not in names,
            text=True,
        )


# --- a student -----------------------------------------------------------------------------------
@solara.component
def JoinForm(code: str = "", show_league: bool = False):
    """The code, a name, a free city (or any), Join; the league below when `show_league`."""
    lang = state.language.value
    router = solara.use_router()
    typed = solara.use_reactive(code)
    name = solara.use_reactive("")
    city = solara.use_reactive("")
    error = solara.use_reactive(None)  # a GameError
    game = GAMES.get(typed.value) if typed.value.strip() else None
    version = use_live(game)
    any_city = t("class_any_city", lang)
    free = {city_label(k, lang): k for k in game.free_cities()} if game else {}

    def join() -> None:
        found = GAMES.get(typed.value)
        if found is None:
            error.set(GameError("class_no_game", code=typed.value.strip().upper()))
            return
        try:
            seat = found.join(name.value, free.get(city.value))
        except GameError as exc:
            error.set(exc)
            return
        router.push(link(game=found.code, seat=seat.key))

    with solara.Card(t("class_join_title", lang), classes=["govsim-class-join"]):
        solara.InputText(t("class_code", lang), value=typed, continuous_update=True)
        solara.InputText(t("class_your_name", lang), value=name, continuous_update=True)
        if game is not None:
            solara.Select(
                t("class_city_choice", lang),
                value=city.value if city.value in free else any_city,
                values=[any_city, *free],
                on_value=city.set,
            )
        solara.Button(t("class_join", lang), on_click=join, color="primary")
        if error.value is not None:
            solara.Error(shown(error.value, lang), classes=["govsim-class-message"])
    if game is not None and show_league:
        League(game, version)


@solara.component
def StudentView(game: Game, seat_key: str):
    lang = state.language.value
    version = use_live(game)
    message = solara.use_reactive(None)  # the last choice refused: a GameError
    seat = game.seat(seat_key)
    if game.ended:
        solara.Warning(t("class_ended", lang))
        return
    if seat is None:
        solara.Error(t("class_no_seat", lang))
        JoinForm(game.code)
        return
    standing = game.standing(seat.city)
    with solara.Card(
        t("class_you_govern", lang, city=city_label(seat.city, lang)), classes=["govsim-class-me"]
    ):
        DayLine(game, version)
        solara.Text(
            t("class_standing", lang, rank=standing.rank, n=game.settings.cities),
            classes=["govsim-class-rank"],
            style={"font-size": "18px", "display": "block"},
        )
        solara.Text(
            t(
                "class_fund_now",
                lang,
                fund=_number(game.fund(seat.city)),
                available=_number(max(game.available(seat.city), 0.0)),
            ),
            style={"display": "block"},
        )
        if message.value is not None:
            solara.Error(shown(message.value, lang), classes=["govsim-class-message"])
    Reforms(game, seat_key, tuple(game.reforms(seat.city)), game.next_day, game.over, message)
    League(game, version, own=seat.city)


@solara.component
def Reforms(
    game: Game,
    seat_key: str,
    states: tuple[ReformState, ...],
    next_day: int,
    over: bool,
    message: solara.Reactive[GameError | None],
):
    """The city's reforms, each with Adopt or Stop. Its arguments are what it shows, so another
    student's join or a league change does not redraw it (30 pages redraw at every change)."""
    lang = state.language.value

    def choose(reform: str, on: bool) -> None:
        try:
            game.choose(seat_key, reform, on)
        except GameError as exc:
            message.set(exc)
            return
        message.set(None)

    with solara.Card(t("class_reforms", lang), classes=["govsim-class-reforms"]):
        solara.Text(t("class_reforms_hint", lang, day=next_day + 1), style={"color": "#555"})
        for r in states:
            if r.short:
                status = t("class_state_short", lang)
            elif r.active:
                status = t("class_state_on", lang, day=r.since + 1)
            elif r.chosen:
                status = t("class_state_from", lang, day=r.since + 1)
            else:
                status = t("class_state_off", lang)
            cost = t("class_cost", lang, setup=_number(r.setup), daily=_number(r.daily))
            with solara.Row(
                style={"align-items": "center"}, classes=["govsim-class-reform", f"govsim-{r.key}"]
            ):
                solara.Button(
                    t("class_stop", lang) if r.chosen else t("class_adopt", lang),
                    on_click=lambda k=r.key, on=not r.chosen: choose(k, on),
                    disabled=over,
                    outlined=r.chosen,
                    color="primary",
                    style={"min-width": "90px"},
                )
                solara.Text(policy_label(REGISTRY[r.key], lang), style={"font-weight": "bold"})
                solara.Text(f"{cost} · {status}", style={"color": "#555"})


# --- the page ------------------------------------------------------------------------------------
@solara.component
def ClassroomPage():
    """`/classroom`: the view the address asks for (see the module docstring)."""
    lang = state.language.value
    router = solara.use_router()
    query = {k: v[0] for k, v in parse_qs(router.search or "").items()}
    AppBarLinks()
    with solara.AppBar():
        solara.AppBarTitle(t("class_title", lang))
    solara.Style(CSS)
    code = query.get("game", "")
    game = GAMES.get(code) if code else None
    with solara.Column(style={"width": "100%", "max-width": "1200px"}):
        if code and game is None:
            solara.Error(t("class_no_game", lang, code=code.upper()))
        if game is not None and query.get("key") == game.teacher_key:
            TeacherView(game)
        elif game is not None and "seat" in query:
            StudentView(game, query["seat"])
        elif game is not None:
            JoinForm(game.code, show_league=True)
        else:
            Paragraph(t("class_intro", lang))
            with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}):
                JoinForm(code)
                NewGame()
