"""The rest of the population, when only a sample of residents is simulated: how often they ask
for a unit of capacity (the sample's own rate), how long they hold one (the sample's own holds),
and, for clinicians whose every job's length is known, their bookings between the sample's."""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from models.vocabulary import DAYS_PER_YEAR

MEMORY = 500  # recent holds of sampled residents that the rest's holds are drawn from
MIN_HOLDS = 20  # fewer than this and the rest hold for the prior length
RATE_WINDOW_DAYS = DAYS_PER_YEAR  # the sample's requests over this long give the rest's rate
# ... or over as many of its last requests, where a year holds fewer. Demand grows (business as
# usual's social work assessments about 3% a year, as the population grows and ages), and a rate
# over a span lags it by half the span: over the last 400, about three years of a tenth's social
# work in one borough, the rest asked 1-4% too little and the waits ran 8-21% short of the whole
# population's. A hundred keep the rate's Poisson noise near 10%, and a tenth's social work (110
# to 160 requests a year in each borough) is then taken over the last year.
MIN_ASKS = 100
# care home places: requests of both kinds shared, over as many per kind (sim/social_care.py)
MIN_CARE_HOME_ASKS = 400
START_DAYS = 60.0  # the shortest span a rate is taken over (the warm-up's first weeks ramp up)
MIN_RECENT = 100  # events a recent rate holds at the least (RecentRate)


@dataclass(frozen=True)
class Hold:
    """How long the rest of the population holds a unit: drawn from the sample's recent holds
    (``mean_days`` is then only the prior until there are enough), or exponential with a known
    mean (a care home place, held until its holder's death: at the sample's holders' mean death
    hazard, sim/social_care.py)."""

    mean_days: float
    exponential: bool = False  # ends at a constant hazard: the sample's own (units held / ended)
    queues: bool = True  # False where the sample's requests do not queue either (step-up care)


class SampleRate:
    """The rate of the sample's requests: over the last year, or over its last MIN_ASKS requests
    where a year holds fewer (a tenth's social work in a borough; care homes ask for their own
    number, sim/social_care.py), so the rest's rate is not the noise of a handful; before a year
    has run, the rate the starting state implies fills the part not run."""

    def __init__(self, min_asks: int = MIN_ASKS, min_span: float = START_DAYS) -> None:
        self.asks: deque[float] = deque()
        self.prior_rate = 0.0
        self.min_asks = min_asks
        self.factor: Callable[[], float] | None = None  # multiplies the rate (care homes: sim/social_care.py)
        self.min_span = min_span  # the shortest span the rate is taken over

    def asked(self, now: float) -> float:
        """Note a request now; the sample's requests a day."""
        asks = self.asks
        asks.append(now)
        while len(asks) > self.min_asks and asks[0] < now - RATE_WINDOW_DAYS:
            asks.popleft()
        span = now - asks[0] if asks[0] < now - RATE_WINDOW_DAYS else min(RATE_WINDOW_DAYS, now)
        prior_span = max(0.0, RATE_WINDOW_DAYS - now) if self.prior_rate > 0 else 0.0
        # over no less than min_span: the first few requests, over a few days, would make the rest
        # ask at many times their rate, and a queue so made near saturation takes months to clear
        total = max(span + prior_span, self.min_span)
        asked = len(asks) if self.factor is None else len(asks) * self.factor()  # the prior is expected already
        return (asked + self.prior_rate * prior_span) / total


class RecentRate:
    """Events over exposure (units x days), each weighted by how recent it is (exponentially,
    over about RATE_WINDOW_DAYS), so a rate follows the sample as who holds a unit, or waits for
    one, changes; where a year holds fewer than MIN_RECENT events (a small sample's care homes)
    the window stretches to hold that many, as SampleRate's does, so it is not a handful's noise.

    Who holds a care home place changes over the years (those placed at the start are frailer; in
    a long queue the frailest die waiting), and in a growing queue the longest waits have not yet
    ended. Averaged since the start and counted as waits ended, the sample's hazard ran high by up
    to two fifths and its giving up ran high too, so the rest turned over and gave up faster than
    the sample, which came to hold more than its share of the places, and a quarter's placement
    waits ran at half the whole population's. So exposure counts those still waiting as they wait."""

    def __init__(self) -> None:
        self.events = 0.0
        self.exposure = 0.0
        self.since = 0.0  # the time both are brought up to

    def advance(self, now: float, units: int) -> None:
        """Bring both up to now; ``units`` were exposed since the last call (so call it before
        they change)."""
        dt = now - self.since
        if dt > 0:
            kept = math.exp(-dt / RATE_WINDOW_DAYS)
            if self.events * kept < MIN_RECENT:  # decay no further than to MIN_RECENT events
                kept = min(1.0, MIN_RECENT / self.events) if self.events > 0 else 1.0
            if kept < 1.0:  # units exposed over the interval, weighted as the decay weighs each moment
                self.exposure = self.exposure * kept + units * (-dt / math.log(kept)) * (1.0 - kept)
                self.events *= kept
            else:
                self.exposure += units * dt
            self.since = now

    def per_day(self, prior_events: float = 0.0, prior_days: float = 0.0) -> float:
        """Events a unit-day, with ``prior_events`` of mean length ``prior_days`` standing in
        until the window holds MIN_RECENT events."""
        prior = prior_events * max(0.0, 1.0 - self.events / MIN_RECENT)
        exposure = self.exposure + prior * prior_days
        return (self.events + prior) / exposure if exposure > 0 else 0.0


BLOCK = 4096  # draws taken from a generator at a time


class Draws:
    """A generator's uniforms and unit exponentials, drawn a block at a time: the rest of the
    population's jobs are many, and one numpy call per job would cost more than the job."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self._u: list[float] = []
        self._e: list[float] = []

    def uniform(self) -> float:
        if not self._u:
            self._u = self.rng.random(BLOCK).tolist()
        return self._u.pop()

    def exponential(self) -> float:
        if not self._e:
            self._e = self.rng.standard_exponential(BLOCK).tolist()
        return self._e.pop()


def after(clock, t: float, days: float) -> float:
    """The time ``days`` of mean-rate time after t: on the crisis profile's clock where requests
    follow crises (sim/arrival_clock.py), else the same days."""
    return t + days if clock is None else clock.after(t, days)


def rescaled(now: float, next_ask: float, old_rate: float, new_rate: float, draws: Draws, clock=None) -> float:
    """The next of the rest's requests when their rate changes at ``now``: the exponential time
    still to run is rescaled, not drawn afresh (a Poisson process's remaining time is memoryless),
    so two scenarios whose sample ask a little differently keep the same draws in step (common
    random numbers), and a rate change costs no draw."""
    if new_rate <= 0:
        return math.inf
    if old_rate <= 0 or next_ask == math.inf:
        return after(clock, now, draws.exponential() / new_rate)
    if clock is None:
        return now + (next_ask - now) * old_rate / new_rate
    return clock.after(now, clock.remaining(now, next_ask) * old_rate / new_rate)


class RestHolds:
    """The units the rest hold: each until a drawn time (a heap of ends), or, for holds that end
    at a hazard, a count whose next end is redrawn whenever the count or the hazard changes."""

    def __init__(self, at_hazard: bool, draws: Draws, draw: Callable[[], float], hazard):
        self.at_hazard = at_hazard
        self.draws = draws
        self.draw = draw
        self.hazard = hazard
        self.ends: list[float] = []
        self.counted = 0  # units held at a hazard
        self.next_hazard_end = math.inf
        self.work_days = 0.0  # days of drawn holds begun since last asked (a pool's work)
        self.on_start: Callable[[float], None] | None = None  # told of each hold the rest begin

    def __len__(self) -> int:
        return len(self.ends) + self.counted

    def start(self, t: float) -> None:
        """One of the rest takes a unit at t."""
        if self.on_start is not None:
            self.on_start(t)
        if self.at_hazard:
            self.counted += 1
            self.redraw(t)
        else:
            days = self.draw()
            self.work_days += days
            heapq.heappush(self.ends, t + days)

    def until(self, t_end: float) -> None:
        """A unit held to a known time (a sampled resident's, handed over to end without an event)."""
        heapq.heappush(self.ends, t_end)

    def redraw(self, t: float) -> None:
        if not self.counted:
            return
        rate = self.counted * self.hazard()
        self.next_hazard_end = t + self.draws.exponential() / rate if rate > 0 else math.inf

    def next_end(self) -> float:
        return min(self.ends[0] if self.ends else math.inf, self.next_hazard_end if self.counted else math.inf)

    def end(self, t: float) -> None:
        if self.counted and self.next_hazard_end <= (self.ends[0] if self.ends else math.inf):
            self.counted -= 1
            self.redraw(t)
            if not self.counted:
                self.next_hazard_end = math.inf
        else:
            heapq.heappop(self.ends)


class Rota:
    """Clinicians on duty whose every job's length is known when it starts: first come first
    served, each job starts when the earliest clinician is free (Kiefer-Wolfowitz), worked out
    when the job is asked for, so a rota needs no event. At a sample the rest of the population's
    jobs are booked in between, at the sample's own rate over the last year and with lengths
    drawn from the sample's own."""

    def __init__(self, servers: int, scale: float, rng: np.random.Generator, clock=None):
        self.free_at = [0.0] * servers
        self.clock = clock  # the rest's requests follow the hours of crises
        self.fed = False  # True once the rest's jobs come from the capacity in front (``feed``)
        self.prior_days = 0.0  # a job's length before the sample has booked any
        self.ratio = (1.0 - scale) / scale
        self.draws = Draws(rng)
        self.flow = SampleRate()
        self.jobs: deque[float] = deque(maxlen=MEMORY)
        self.rate = 0.0
        self.next_ask = math.inf

    def book(self, now: float, days: float) -> float:
        """When a job asked for now starts."""
        if self.ratio > 0:
            if not self.fed:
                self._play(now)
                self._asked(now)
            self.jobs.append(days)
        return self._start(now, days)

    def feed(self, t: float) -> None:
        """One of the rest's jobs asked for at t, by the capacity in front of this one: A&E's
        clinicians see the rest when the rest take a cubicle, as they see the sample, so their
        queue is held to the cubicles' as the whole population's is. Called in time order, before
        any of the sample's bookings at a later time (the cubicles are played forward first)."""
        self.fed = True
        self._start(t, self.jobs[int(self.draws.uniform() * len(self.jobs))] if self.jobs else self.prior_days)

    def _start(self, t: float, days: float) -> float:
        start = max(t, self.free_at[0])
        heapq.heapreplace(self.free_at, start + days)
        return start

    def _asked(self, now: float) -> None:
        rate = self.ratio * self.flow.asked(now)
        self.next_ask = rescaled(now, self.next_ask, self.rate, rate, self.draws, self.clock)
        self.rate = rate

    def _play(self, now: float) -> None:
        while self.next_ask <= now:
            t = self.next_ask
            jobs = self.jobs
            self._start(t, jobs[int(self.draws.uniform() * len(jobs))])
            self.next_ask = after(self.clock, t, self.draws.exponential() / self.rate)
