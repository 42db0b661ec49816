"""The community events of each period (crises, deaths outside hospital, referrals for care,
packages ending), drawn in bulk for everyone and played in time order by one chain of timeouts.

A resident gets a process of their own only when one of these events starts something that
waits (a call in a queue, a stay, a referral). Each event kind and period has a stream of its own,
so a difference between scenarios in one period cannot shift the draws of the next.
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from models.vocabulary import DAYS_PER_YEAR, DIVERT_TARGETS
from sim.draws import (
    C_DIVERT,
    C_EOL,
    C_FALL,
    D_DECLINE,
    D_TERMINAL,
    D_WITH_CRISIS,
    DEATH_COLUMNS,
    DRAW_COLUMNS,
    NORMAL_COLUMNS,
)
from sim.hazards import DeathNorm, Hazards, death_hazard, may_need_24_hour_care
from sim.population import DEAD, HOME
from sim.row_draws import keyed_uniforms, normal_from_uniform, poisson_from_uniform
from sim.settings import Settings
from sim.streams import Streams
from sim.system import System

CRISIS, DEATH, PACKAGE_REFERRAL, CARE_HOME_REFERRAL, PACKAGE_END, LATE_REFERRAL = range(6)
# assumption: needs for 24-hour care counted as expected on both sides of the onset correction, so
# a tenth's first few months (a score of onsets) do not swing it, nor its mean sit above one
ONSET_PRIOR = 50.0


def _below(u: np.ndarray, rate: np.ndarray, years: float, eligible: np.ndarray, mult: np.ndarray | None = None):
    """Where u < 1 - exp(-rate x mult x years) among the eligible: an event in the period. That
    probability is at most rate x mult x years, so the exponential is taken only where u is below
    that (with a margin far wider than its rounding), the same comparisons on fewer rows."""
    bound = years * (1.0 + 1e-9)
    x = rate * bound if mult is None else rate * mult * bound
    rows = np.flatnonzero(eligible & (u <= x))
    r = -rate[rows] if mult is None else -rate[rows] * mult[rows]
    hit = np.zeros(u.size, dtype=bool)
    hit[rows] = u[rows] < -np.expm1(r * years)
    return hit


def _each_crisis(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each crisis's resident and its number within that resident's, from the period's counts
    (built over the few residents with a crisis, not every row)."""
    rows = np.flatnonzero(counts)
    k = counts[rows]
    c_all = np.repeat(rows, k)
    return c_all, np.arange(c_all.size) - np.repeat(np.cumsum(k) - k, k)


def _mechanisms(s: System, who: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The C_CRISIS_MULT ... C_ENVELOPE columns of these crises (see sim/draws.py)."""
    iv = s.interventions
    is_fall = u[:, C_FALL] < np.asarray(s.fall_share)[s.band[who]]
    fall_mult = np.where(is_fall, iv.mult["fall"][who], 1.0)
    eol = iv.end_of_life[who]
    eol_hit = (eol > 0) & (u[:, C_EOL] < eol)
    # the first divert target whose band of the draw holds it, as the crisis tries them
    chosen = np.full(who.size, -1.0)
    edge = np.zeros(who.size)
    for k, target in enumerate(DIVERT_TARGETS):
        p = iv.divert[target][who]
        hit = (p > 0) & (chosen < 0) & (edge <= u[:, C_DIVERT]) & (u[:, C_DIVERT] < edge + p)
        chosen[hit] = k
        edge = np.where(p > 0, edge + p, edge)
    return np.column_stack([iv.mult["crisis"][who], fall_mult, is_fall, eol_hit, chosen, iv.envelope[who]])


class CommunityEvents:
    def __init__(self, settings: Settings, streams: Streams, period_days: float):
        self.settings = settings
        self.sys = settings.system
        self.model = self.sys.model
        self.streams = streams
        self.period_days = period_days
        self.hazards: Hazards | None = None  # set at each year start
        self.death_norm: DeathNorm | None = None  # and this with them
        self.onsets = [0.0, 0]  # at a sample: needs for 24-hour care expected, and drawn (``onset_factor``)
        self._crisis_mean: tuple = (None, 0, None)  # (hazards, rows in use, each row's mean crises a period)
        mort = self.model.mortality
        self.terminal_share = list(mort.terminal_share.value)
        self.terminal_days = mort.terminal_days.value
        self.onset_with_crisis = self.model.care_homes.onset_with_crisis.value
        # the period's events, in time order, and the next to play
        self._times: list[float] = []
        self._who: list[int] = []
        self._kinds: list[int] = []
        self._rows: list[int] = []
        self._period_draws: dict[int, list[list[float]]] = {}
        self._next = 0

    def _period(self, t0: float) -> int:
        return round(t0 / self.period_days)

    def _stream(self, name: str, t0: float) -> np.random.Generator:
        return self.streams[f"{name}:{self._period(t0)}"]

    def _draw_rows(self, name: str, who: np.ndarray, index: np.ndarray, t0: float, extra: int = 0) -> np.ndarray:
        """The rows of draws (sim/draws.py) of these residents' events, keyed by resident and event
        index, so no resident's draws depend on anyone else's; ``extra`` columns follow."""
        key = self.streams.key(f"{name}:{self._period(t0)}")
        u = keyed_uniforms(key, who, index, DRAW_COLUMNS + extra)
        for c in NORMAL_COLUMNS:
            u[:, c] = normal_from_uniform(u[:, c])
        return u

    def _draws(self, name: str, who: np.ndarray, t0: float) -> list[list[float]]:
        return self._draw_rows(name, who, np.zeros(who.size, dtype=np.int64), t0).tolist()

    def _bernoulli_times(
        self,
        name: str,
        rate: np.ndarray,
        eligible: np.ndarray,
        t0: float,
        target: str | None = None,
        avoided_measure: str | None = None,
        drawn: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Residents with an event this period, and when. With ``target``, the interventions'
        multipliers thin the events drawn at the baseline rate (or, above one, add those the same
        uniforms give at the higher rate), and what they change is credited. ``drawn`` (a mask)
        gets every event drawn at the baseline rate, thinned or not."""
        hi = self.sys.rows_in_use  # rows past it have never held anyone (their draws would follow)
        u = self._stream(name, t0).random(hi)  # one per row, drawn for every row in use
        rate = rate[:hi]
        years = self.period_days / DAYS_PER_YEAR
        hit = _below(u, rate, years, eligible[:hi])
        if drawn is not None:
            drawn[:hi] |= hit
        iv = self.sys.interventions
        if target is not None and iv.any:
            # the multiplier changes the outcome only where it is not one: the enrolled
            acted = iv.acted_on(target)
            acted = acted[: np.searchsorted(acted, hi)]
            own = hit.copy()
            own[acted] = _below(u[acted], rate[acted], years, eligible[acted], iv.mult[target][acted])
            # avoided (+1) or, where a multiplier is above one, added (-1)
            for i in np.flatnonzero(hit != own).tolist():
                iv.share_avoided(i, self.sys.group[i], (target,), {avoided_measure: 1.0 if hit[i] else -1.0})
            hit = own
        who = np.flatnonzero(hit)  # when: keyed to the resident, so only the few with an event draw one
        key = self.streams.key(f"{name}_time:{self._period(t0)}")
        return who, t0 + keyed_uniforms(key, who, np.zeros(who.size, dtype=np.int64), 1)[:, 0] * self.period_days

    def _crises(self, t0: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[list[float]]]:
        """Crises are drawn for every row at a rate that does not depend on the scenario's state
        (the highest a setting allows), so each scenario sees the same candidate crises; the
        setting at the moment, the interventions and being alive then thin them. A resident's
        count takes one uniform and each crisis's time and draws are keyed to the resident."""
        hi = self.sys.rows_in_use
        u_count = self._stream("crisis", t0).random(hi)
        if self._crisis_mean[0] is not self.hazards or self._crisis_mean[1] != hi:  # the year's, until rows are added
            mean = self.hazards.crisis[:hi] * self.sys.crisis_max_factor * (self.period_days / DAYS_PER_YEAR)
            self._crisis_mean = (self.hazards, hi, mean)
        mean = self._crisis_mean[2]
        if self.sys.interventions.raises_crises:  # a higher rate where an intervention raises it
            mean = mean * self.sys.interventions.envelope[:hi]  # (the count's first crises are kept)
        c_all, index = _each_crisis(poisson_from_uniform(u_count, mean))
        u = self._draw_rows("crisis_draws", c_all, index, t0, extra=1)
        clock = self.sys.load.clock  # the hours of the day and days of the week crises come at
        t_all = (
            t0 + u[:, DRAW_COLUMNS] * self.period_days
            if clock is None
            else clock.place(t0, u[:, DRAW_COLUMNS], self.period_days)
        )
        u = u[:, :DRAW_COLUMNS]
        rows = u.tolist()
        iv = self.sys.interventions
        if iv.any:
            # only the crises of residents an intervention acts on carry the mechanisms' columns
            # (about half): the others' would be the defaults, which change nothing (sim/crisis.py)
            acted = np.flatnonzero(iv.crisis_acted[c_all])
            if acted.size:
                for j, extra in zip(
                    acted.tolist(), _mechanisms(self.sys, c_all[acted], u[acted]).tolist(), strict=True
                ):
                    rows[j] += extra
        live = np.flatnonzero(self.sys.pop.alive[c_all])
        return c_all[live], t_all[live], live, rows

    def _become_dependent(self, who: np.ndarray) -> None:
        """The resident now needs 24-hour care (wherever they will live): their death hazard
        rises from now on."""
        if who.size:
            self.sys.pop.dependent[who] = True
            self.hazards.death[who] = death_hazard(self.sys.pop, self.model, self.sys.band, self.death_norm, who)

    def onset_factor(self) -> float:
        """Needs for 24-hour care the sample was expected to have since the start over those drawn
        (ONSET_PRIOR of each beside): how far chance moved its requests for care home places."""
        expected, drawn = self.onsets
        return (expected + ONSET_PRIOR) / (drawn + ONSET_PRIOR)

    def dying_mask(self) -> np.ndarray:
        mask = np.zeros(self.sys.pop.size, dtype=bool)
        if self.sys.dying:
            mask[np.fromiter(self.sys.dying, dtype=np.int64)] = True
        return mask

    def _crisis_rows(self, name: str, who: np.ndarray, t0: float) -> list[list[float]]:
        """Draws of events that may begin with a crisis (a death, a need for 24-hour care): a
        crisis row (with its interventions' mechanisms), then the event's own course (sim/draws.py:
        D_TERMINAL or D_WITH_CRISIS, D_DECLINE)."""
        u = self._draw_rows(name, who, np.zeros(who.size, dtype=np.int64), t0, extra=DEATH_COLUMNS)
        crisis, course = u[:, :DRAW_COLUMNS], u[:, DRAW_COLUMNS:]
        if self.sys.interventions.any:
            crisis = np.hstack([crisis, _mechanisms(self.sys, who, crisis)])
        return np.hstack([crisis, course]).tolist()

    def draw_period(self, t0: float):
        """All community events of the period starting at t0, in time order."""
        pop, m, hz = self.sys.pop, self.model, self.hazards
        at_home = pop.setting == HOME
        c_who, c_t, c_rows, crisis_rows = self._crises(t0)
        # the resident's own hazard in any setting; a death already on its way is not drawn again
        d_who, d_t = self._bernoulli_times(
            "death", hz.death, pop.alive & ~self.dying_mask(), t0, "death", "avoided_deaths"
        )
        free = at_home & (pop.referred == 0) & (pop.placement == 0)
        p_who, p_t = self._bernoulli_times(
            "package_referral", hz.package_referral, free & (pop.package_hours == 0) & (pop.age >= 18), t0
        )
        # a need for 24-hour care begins, in any setting, at the resident's own hazard; an
        # intervention on care home entry may keep the place from following (it is credited)
        dependent = np.zeros(pop.size, dtype=bool)
        can = may_need_24_hour_care(pop, m)
        h_who, h_t = self._bernoulli_times(
            "care_home_referral",
            hz.care_home_referral,
            can,
            t0,
            "care_home_entry",
            "avoided_care_home_admissions",
            dependent,
        )
        self._become_dependent(np.flatnonzero(dependent))
        if self.sys.scale < 1.0:
            p = -np.expm1(-hz.care_home_referral[can] * (self.period_days / DAYS_PER_YEAR))
            self.onsets = [self.onsets[0] + float(p.sum()), self.onsets[1] + int(np.count_nonzero(dependent))]
        # ... and those who need a place, are home, and are not yet referred, are referred now
        waiting = [i for i in self.sys.needs_place if at_home[i] and pop.referred[i] == 0 and not pop.placement[i]]
        late = np.asarray(sorted(set(waiting) - set(h_who.tolist())), dtype=np.int64)
        e_who, e_t = self._bernoulli_times(
            "package_end", np.full(pop.size, m.home_care.end_rate.value), pop.package_hours > 0, t0
        )
        groups = ((CRISIS, c_who), (DEATH, d_who), (PACKAGE_REFERRAL, p_who), (CARE_HOME_REFERRAL, h_who))
        groups += ((PACKAGE_END, e_who), (LATE_REFERRAL, late))
        times = np.concatenate([c_t, d_t, p_t, h_t, e_t, np.full(late.size, t0)])
        who = np.concatenate([a for _, a in groups])
        kind = np.concatenate([np.full(a.size, kd, dtype=np.int8) for kd, a in groups])
        row = np.concatenate([c_rows, *(np.arange(a.size) for a in (d_who, p_who, h_who, e_who, late))])
        order = np.argsort(times, kind="stable")
        draws = {
            CRISIS: crisis_rows,
            DEATH: self._crisis_rows("death_draws", d_who, t0),
            PACKAGE_REFERRAL: self._draws("package_draws", p_who, t0),
            CARE_HOME_REFERRAL: self._crisis_rows("care_home_draws", h_who, t0),
            LATE_REFERRAL: self._draws("care_home_draws", late, t0),
        }
        return times[order].tolist(), who[order].tolist(), kind[order].tolist(), row[order].tolist(), draws

    def _death(self, i: int, row: list[float]) -> None:
        """A death drawn now: sudden, where the resident is, or the start of a terminal decline."""
        s, st = self.sys, self.settings
        if s.is_dead(i) or i in s.dying:
            return
        course = row[-DEATH_COLUMNS:]
        if course[D_TERMINAL] >= self.terminal_share[s.band_of[i]]:
            s.die(i, st.crises.place(i))
            return
        decline = -self.terminal_days * math.log1p(-course[D_DECLINE])
        st.crises.terminal_decline(i, row, s.env._now + decline)

    def start_period(self, t0: float) -> None:
        """Draw the period's events and play them in time order, each as the resident's state is
        by then. At most one timeout is pending at a time, so each event runs exactly when it
        falls, and none is needed where no other event falls first."""
        self._times, self._who, self._kinds, self._rows, self._period_draws = self.draw_period(t0)
        self._next = 0
        self._play()

    def _play(self, _event: simpy.Event | None = None) -> None:
        st, s = self.settings, self.sys
        env = s.env
        setting, pop = s.setting, s.pop
        times, draws = self._times, self._period_draws
        queue = env._queue  # simpy's heap of (time, priority, id, event), read as env.peek() reads it
        who, kinds, rows = self._who, self._kinds, self._rows
        crisis, crisis_rows = st.crises.crisis, draws[CRISIS]
        n = len(times)
        while self._next < n:
            k = self._next
            t = times[k]
            if t > env._now:
                if queue and queue[0][0] <= t:  # something else falls first (or at the same moment): wait for it
                    env.resume_in(t - env._now, self._play)
                    return
                # nothing else falls before this event: move the clock to it as the event queue
                # would on popping its timeout, without the timeout (most events are this case)
                env._now = t
            self._next = k + 1
            i, kd, j = who[k], kinds[k], rows[k]
            if kd == CRISIS:
                crisis(i, crisis_rows[j])
            elif kd == DEATH:
                self._death(i, draws[DEATH][j])
            elif kd == PACKAGE_REFERRAL:
                if setting[i] == HOME and pop.referred[i] == 0 and pop.package_hours[i] == 0:
                    env.process(st.home_care.referral(i, draws[PACKAGE_REFERRAL][j]))
            elif kd == CARE_HOME_REFERRAL:
                row = draws[CARE_HOME_REFERRAL][j]
                st.crises.needs_care(i, row, row[-DEATH_COLUMNS + D_WITH_CRISIS] < self.onset_with_crisis)
            elif kd == LATE_REFERRAL:
                if setting[i] == HOME and pop.referred[i] == 0 and not pop.placement[i] and i in s.needs_place:
                    env.process(st.care_homes.referral(i, draws[LATE_REFERRAL][j]))
            elif kd == PACKAGE_END and setting[i] != DEAD:
                st.home_care.end(i)
