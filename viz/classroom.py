"""The classroom game (issue 14, "Beyond any peer"): a region of competing cities shared by a
class. The teacher creates a game and advances the days; each student governs one city, choosing
its reforms within the city's reform fund; everyone sees a live league table.

This module is the game alone, without any page (`viz.classroom_pages` draws it). Solara's
sessions are per browser tab, so a game cannot live in a session: it lives in a process-wide
`Registry`, keyed by a short code that students type or follow as a link. Each `Game` has a lock
of its own, held while one day is simulated or one choice is made, so a choice waits at most one
day's step and a 30-day advance never locks students out for its whole length. Every change
(a day stepped, a student joined, a reform adopted) raises the game's `version`; pages watch it.

A game's model is one `CityModel` with one city per student, built from the shared parameters of
the several-city presets (scenarios/presets/two_cities.toml), small enough that a day of 30 cities
is stepped in about a tenth of a second. Each city's package holds every reform of the registry,
dormant (`start` = `DORMANT`): the government binds them all when the city is built (their knobs'
original values are remembered then), and a student's choice replaces the entry with the same
reform starting (or ending) on the next day to be simulated, exactly as a preset's `start` day
would. A reform is paid from the city's reform fund by the model itself (set-up at once, running
costs daily, deferred or suspended when the fund is short, `agents/government.py`); the game
refuses, with a message, a reform whose set-up and `CUSHION_DAYS` of running costs the fund
cannot pay beyond what reforms adopted today already need.

Memory is bounded: at most `MAX_GAMES` games are kept; a game untouched (no page watching it, no
click) for `IDLE_S` is dropped, and creating a game when the registry is full drops the one idle
longest. The teacher may end a game at once.
"""

from __future__ import annotations

import dataclasses
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agents.government import FUND_SHORT, STARTED
from model.simulation import CityModel
from scenarios import load_preset
from scenarios.loader import CityPlan
from viz import session_threads
from viz.i18n import policy_label, t
from world.interventions import REGISTRY, Intervention, build_intervention
from world.parameters import COST_UNIT_RESIDENTS, Parameters

STRUCTURE_PRESET = "two_cities"  # the several-city preset whose shared parameters a game uses
DORMANT = 10**9  # arithmetic: a start day never reached (a reform not chosen)
CUSHION_DAYS = 30  # a reform is adopted only if the fund pays its set-up and this many days
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in a classroom
CODE_LENGTH = 5
KEY_BYTES = 8  # the teacher's key and the students' seat keys (unguessable links)
MAX_GAMES = 6  # games kept at once: 30 cities of 2,000 residents take 45 MB, 80 MB a year on
IDLE_S = 3 * 3600.0  # a game nobody has looked at for this long is dropped
MIN_CITIES, MAX_CITIES = 2, 40
CITY_SIZES = (1000, 2000, 5000)  # residents per city the teacher may choose
FIRMS_PER_RESIDENT = 0.05  # as in the presets (20,000 residents, 1,000 firms)
ADVANCE_STEPS = (1, 7, 30)  # the teacher's buttons
BETWEEN_DAYS_S = 0.002  # an advance lets go of the game this long between days (see `advance`)


class GameError(Exception):
    """Something a player asked for that the game refuses: an i18n key and its fields."""

    def __init__(self, key: str, **fields: Any) -> None:
        super().__init__(key, fields)
        self.key = key
        self.fields = fields

    def text(self, lang: str) -> str:
        """The message in `lang`."""
        return t(self.key, lang, **self.fields)


@dataclass(frozen=True)
class Settings:
    """What the teacher chooses for a game."""

    cities: int = 6
    residents: int = 2000  # per city
    budget: float = 80_000.0  # each city's reform fund at the start, CNY
    days: int = 730  # the game's last day is days - 1
    seed: int = 0

    def check(self) -> Settings:
        if not MIN_CITIES <= self.cities <= MAX_CITIES:
            raise GameError("class_bad_cities", lo=MIN_CITIES, hi=MAX_CITIES)
        if self.residents not in CITY_SIZES:
            raise GameError("class_bad_size", sizes=", ".join(map(str, CITY_SIZES)))
        if not (math.isfinite(self.budget) and self.budget >= 0):
            raise GameError("class_bad_budget")
        return self

    @property
    def cost_scale(self) -> float:
        """Reform costs are declared per 10,000 residents."""
        return self.residents / COST_UNIT_RESIDENTS


def city_name(index: int) -> str:
    return f"City {index + 1}"


def dormant_package() -> tuple[Intervention, ...]:
    """Every reform, none of them due: the package each city is built with."""
    return tuple(cls(start=DORMANT) for cls in REGISTRY.values())


def build_model(settings: Settings) -> CityModel:
    """The game's region: `settings.cities` identical cities with dormant reform packages."""
    base = load_preset(STRUCTURE_PRESET)
    preset = base.with_overrides(
        {
            "n_citizens": settings.residents,
            "n_enterprises": max(1, round(settings.residents * FIRMS_PER_RESIDENT)),
            "reform_reserve": settings.budget / settings.cost_scale,
        },
        "classroom",
    )
    package = dormant_package()
    plans = tuple(CityPlan(city_name(k), {}, package) for k in range(settings.cities))
    return dataclasses.replace(preset, cities=plans).build(settings.seed)


@dataclass
class Seat:
    """A student's claim on a city: the city's index, the key in the student's link, a name."""

    city: int
    key: str
    name: str  # as the student typed it ("" for none)


@dataclass(frozen=True)
class ReformState:
    """One reform of one city as a student sees it."""

    key: str
    chosen: bool  # on in the package from some day (now or from the next day)
    active: bool  # its settings are in force now
    since: int | None  # the day it was chosen to start from
    setup: float  # CNY still to pay to start it (0 once paid)
    daily: float  # CNY a day while on
    short: bool  # deferred or suspended: the fund is short


@dataclass(frozen=True)
class Standing:
    """One city's row of the league table."""

    rank: int
    city: int
    name: str
    player: str
    firms: float
    residents: float
    satisfaction_residents: float  # 百姓满意, 0-1 (NaN before any case is judged)
    satisfaction_firms: float  # 基层满意, 0-1
    competitiveness: float
    fund: float
    reforms: int


class Game:
    """One classroom game: a region of cities, the seats of its players, the teacher's key."""

    def __init__(self, code: str, settings: Settings, model: CityModel | None = None) -> None:
        self.code = code
        self.settings = settings.check()
        self.teacher_key = secrets.token_urlsafe(KEY_BYTES)
        self.model = model if model is not None else build_model(settings)
        self.lock = threading.RLock()
        self.seats: dict[int, Seat] = {}
        self._by_key: dict[str, Seat] = {}
        self._pending: list[set[str]] = [set() for _ in range(settings.cities)]
        self.version = 0
        self.advancing_to: int | None = None
        self.ended = False
        self.touched = time.monotonic()
        self._league: tuple[int, list[Standing]] | None = None

    # --- time ---------------------------------------------------------------------------------
    @property
    def day(self) -> int:
        """The last simulated day (-1 before the first)."""
        return self.model.day

    @property
    def next_day(self) -> int:
        """The day a choice made now takes effect from."""
        return self.model.day + 1

    @property
    def over(self) -> bool:
        return self.next_day >= self.settings.days

    def touch(self) -> None:
        self.touched = time.monotonic()

    def _changed(self) -> None:
        self.version += 1
        self.touch()

    # --- players -------------------------------------------------------------------------------
    def join(self, name: str = "", city: int | None = None) -> Seat:
        """Claim a city: `city` if given (and free), else the first free one."""
        name = " ".join(str(name).split())[:40]
        with self.lock:
            if self.ended:
                raise GameError("class_no_game", code=self.code)
            if city is None:
                free = [k for k in range(self.settings.cities) if k not in self.seats]
                if not free:
                    raise GameError("class_full", n=self.settings.cities)
                city = free[0]
            elif not 0 <= city < self.settings.cities:
                raise GameError("class_no_city", city=city + 1)
            elif city in self.seats:
                raise GameError("class_taken", city=city + 1)
            if name and name.casefold() in {s.name.casefold() for s in self.seats.values()}:
                raise GameError("class_name_taken", name=name)  # two rows nobody could tell apart
            seat = Seat(city, secrets.token_urlsafe(KEY_BYTES), name)
            self.seats[city] = seat
            self._by_key[seat.key] = seat
            self._changed()
            return seat

    def seat(self, key: str) -> Seat | None:
        """The seat a student's link names (None if none)."""
        with self.lock:
            return self._by_key.get(key)

    def release(self, city: int) -> None:
        """The teacher frees a city (a student lost the link): its seat's link stops working, and
        the next student to join may take it, with its reforms and its fund as they are."""
        with self.lock:
            seat = self.seats.pop(city, None)
            if seat is not None:
                del self._by_key[seat.key]
                self._changed()

    def free_cities(self) -> list[int]:
        with self.lock:
            return [k for k in range(self.settings.cities) if k not in self.seats]

    # --- reforms ---------------------------------------------------------------------------------
    def _government(self, city: int) -> Any:
        return self.model.cities[city].government

    def reforms(self, city: int) -> list[ReformState]:
        """Every reform of `city`: chosen or not, in force or not, and what it costs."""
        with self.lock:
            gov = self._government(city)
            started = {k for _, k, what in gov.events if what == STARTED}
            last_event = {k: what for _, k, what in gov.events}
            active = set(gov.active_policies)
            out = []
            for i in gov.policy:
                chosen = i.start != DORMANT and (i.end is None or i.end > self.next_day)
                out.append(
                    ReformState(
                        key=i.key,
                        chosen=chosen,
                        active=i.key in active,
                        since=i.start if chosen else None,
                        setup=0.0 if i.key in started else i.setup_cost * gov.cost_scale,
                        daily=i.daily_cost * gov.cost_scale,
                        short=chosen and last_event.get(i.key) in FUND_SHORT,
                    )
                )
            return out

    def fund(self, city: int) -> float:
        """The city's reform fund now, CNY."""
        with self.lock:
            return float(self._government(city).reform_fund)

    def available(self, city: int) -> float:
        """The fund less what reforms adopted since the last day stepped will need first."""
        with self.lock:
            states = {r.key: r for r in self.reforms(city)}
            committed = sum(
                states[k].setup + CUSHION_DAYS * states[k].daily for k in self._pending[city]
            )
            return self.fund(city) - committed

    def choose(self, key: str, reform: str, on: bool) -> None:
        """The student with seat `key` adopts (`on`) or stops a reform, from the next day.

        Adopting is refused (GameError) when the fund cannot pay the set-up and `CUSHION_DAYS` of
        running costs beyond what the city's other reforms adopted today already need."""
        with self.lock:
            seat = self._by_key.get(key)
            if seat is None:
                raise GameError("class_no_seat")
            if self.ended:
                raise GameError("class_no_game", code=self.code)
            if reform not in REGISTRY:
                raise GameError("class_no_reform", reform=reform)
            if self.over:
                raise GameError("class_over", days=self.settings.days)
            gov = self._government(seat.city)
            n = next(k for k, i in enumerate(gov.policy) if i.key == reform)
            state = next(r for r in self.reforms(seat.city) if r.key == reform)
            current, today = gov.policy[n], self.next_day
            if on == state.chosen:
                return
            if on:
                need = state.setup + CUSHION_DAYS * state.daily
                available = self.available(seat.city)
                if need > available:
                    raise GameError(
                        "class_over_budget",
                        reform=policy_label(REGISTRY[reform], "en"),
                        reform_zh=policy_label(REGISTRY[reform], "zh"),
                        need=f"{need:,.0f}",
                        days=CUSHION_DAYS,
                        available=f"{max(available, 0.0):,.0f}",
                    )
                changed = {"start": today, "end": None}
                self._pending[seat.city].add(reform)
            elif current.start >= today:  # chosen today, not yet begun: back to dormant
                changed = {"start": DORMANT, "end": None}
                self._pending[seat.city].discard(reform)
            else:
                changed = {"end": today}
            gov.policy = (
                *gov.policy[:n],
                build_intervention({**current.to_dict(), **changed}, "classroom"),
                *gov.policy[n + 1 :],
            )
            self._changed()

    # --- the teacher -----------------------------------------------------------------------------
    def advance(self, days: int, should_stop: Callable[[], bool] = lambda: False) -> int:
        """Simulate up to `days` more days (never past the game's last), one day per hold of the
        lock; returns the last simulated day."""
        for _ in range(max(0, int(days))):
            with self.lock:
                if self.over or self.ended or should_stop():
                    break
                self.model.step()
                for pending in self._pending:
                    pending.clear()
                self._changed()
            # A lock is not fair: released and taken again at once, it would keep a waiting click
            # out until the whole advance is done. A moment between days lets the click in.
            time.sleep(BETWEEN_DAYS_S)
        return self.day

    def advance_in_background(self, days: int) -> bool:
        """`advance` in a thread of its own; False (nothing done) when one is running already."""
        with self.lock:
            if self.advancing_to is not None or self.over or self.ended:
                return False
            self.advancing_to = min(self.next_day + days, self.settings.days) - 1
            self._changed()

        def run() -> None:
            try:
                self.advance(days, lambda: self.ended)
            finally:
                with self.lock:
                    self.advancing_to = None
                    self._changed()

        # the game's days belong to no session (not the teacher's who clicked): viz.session_threads
        session_threads.start(run, f"govsim-class-{self.code}")
        return True

    def end(self) -> None:
        with self.lock:
            self.ended = True
            self._changed()

    # --- the league ------------------------------------------------------------------------------
    def league(self) -> list[Standing]:
        """Every city, best first: by the competitiveness index (firm stock, tax base, business
        reputation, growth and inflow; 100 = an average city), then firms, then the city's order.
        Computed once per version."""
        with self.lock:
            if self._league is not None and self._league[0] == self.version:
                return self._league[1]
            rows = [self._row(k) for k in range(self.settings.cities)]
            rows.sort(key=lambda r: (-_or(r.competitiveness, 100.0), -r.firms, r.city))
            rows = [dataclasses.replace(r, rank=n + 1) for n, r in enumerate(rows)]
            self._league = (self.version, rows)
            return rows

    def _row(self, k: int) -> Standing:
        city, day = self.model.cities[k], self.model.day
        gov = city.government
        if day >= 0:
            level = city.ledger.level
            values = [float(level[name][day]) for name in ("public", "grassroots")]
            competitiveness = float(level["competitiveness"][day])
        else:
            values, competitiveness = [math.nan, math.nan], math.nan
        seat = self.seats.get(k)
        return Standing(
            rank=0,
            city=k,
            name=city.name,
            player=seat.name if seat else "",
            firms=float(city.enterprises.n_active * city.weight),
            residents=float(city.citizens.n_active * city.weight),
            satisfaction_residents=values[0],
            satisfaction_firms=values[1],
            competitiveness=competitiveness,
            fund=float(gov.reform_fund),
            reforms=len(gov.active_policies),
        )

    def standing(self, city: int) -> Standing:
        return next(r for r in self.league() if r.city == city)


def _or(x: float, default: float) -> float:
    return default if x != x else x


class Registry:
    """The process's games, by code (thread-safe). Bounded: see the module docstring."""

    def __init__(self, max_games: int = MAX_GAMES, idle_s: float = IDLE_S) -> None:
        self._lock = threading.Lock()
        self._games: dict[str, Game] = {}
        self.max_games = max_games
        self.idle_s = idle_s

    def _new_code(self) -> str:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if code not in self._games:
                return code

    def _expire(self) -> None:
        now = time.monotonic()
        for code, game in list(self._games.items()):
            if game.ended or now - game.touched > self.idle_s:
                game.ended = True
                del self._games[code]

    def create(
        self, settings: Settings, make: Callable[[Settings], CityModel] = build_model
    ) -> Game:
        """A new game (its region built here: seconds for 30 cities). The registry full, the game
        idle longest is dropped."""
        settings.check()
        model = make(settings)  # outside the registry's lock: other games go on meanwhile
        with self._lock:
            self._expire()
            while len(self._games) >= self.max_games:
                oldest = min(self._games.values(), key=lambda g: g.touched)
                oldest.ended = True
                del self._games[oldest.code]
            game = Game(self._new_code(), settings, model)
            self._games[game.code] = game
            return game

    def get(self, code: str) -> Game | None:
        """The live game of this code (any case, spaces ignored), or None."""
        code = "".join(str(code).split()).upper()
        with self._lock:
            self._expire()
            game = self._games.get(code)
        if game is not None:
            game.touch()
        return game

    def end(self, code: str) -> None:
        with self._lock:
            game = self._games.pop(code, None)
        if game is not None:
            game.end()

    def __len__(self) -> int:
        with self._lock:
            return len(self._games)


GAMES = Registry()  # the server's games


def default_settings(cities: int = 6, residents: int = 2000) -> Settings:
    """Settings with the default reform fund (`reform_reserve` per 10,000 residents)."""
    reserve = Parameters.model_fields["reform_reserve"].default
    return Settings(cities=cities, residents=residents, budget=reserve * residents / 10_000)
