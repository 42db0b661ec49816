"""A sample's queues as the whole system's: full-size capacity loaded with the demand of the
residents outside the sample.

At --scale s below one, a pool or a set of places keeps its full size, and besides the sampled
residents' requests it meets (1 - s) / s requests of the rest of the population for each of
theirs: jobs with no resident behind them that arrive at the rate the sample's own requests
arrive at (over the last year), hold a unit for a time drawn from the sample's own recent holds
(or, for care home places, until an end at the hazard the sample's holders are expected to end
at: sim/social_care.py), wait first
come first served with everyone else, and leave the queue at the rate sampled residents leave it
unserved (death, mostly). So a
sampled resident meets the queue the whole population makes, not a small pool's: a fraction of a
social worker rounded up to one whose work is stretched, or 5% of the beds whose fill swings
twenty times as much.

Those jobs never pass through simpy. Between two requests or releases of sampled residents they
are played forward in a plain loop (they cannot change anything a resident sees until one asks or
waits), and a resident waiting behind them is woken by one event at the first time one of them
gives a unit back.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import replace

import numpy as np
import simpy

from sim.arrival_clock import ArrivalClock
from sim.capacity import Places, TimedPlaces, scaled
from sim.rest_of_population import (
    MEMORY,
    MIN_HOLDS,
    Draws,
    Hold,
    RecentRate,
    RestHolds,
    Rota,
    SampleRate,
    after,
    rescaled,
)

__all__ = ["Hold", "LoadedPlaces", "Rota", "SampleLoad"]


class _Queue(list):
    """The requests waiting; one withdrawn unserved (a resident who died waiting) is counted."""

    def __init__(self, owner: LoadedPlaces):
        super().__init__()
        self.owner = owner

    def remove(self, request) -> None:  # simpy calls this only to cancel
        super().remove(request)
        self.owner.withdrawn(request)


class LoadedPlaces(Places):
    """Places at full size that also serve the rest of the population's requests."""

    def __init__(
        self, env: simpy.Environment, capacity: int, scale: float, hold: Hold, rng: np.random.Generator, clock=None
    ):
        super().__init__(env, capacity)
        self.clock = clock  # where the rest's requests follow the hours of crises, else None
        self.put_queue = self.queue = _Queue(self)  # type: ignore[assignment]
        self.scale = scale
        self.ratio = (1.0 - scale) / scale  # none at full population: then only known-end holds
        self.hold = hold
        self.rng = rng
        self.draws = Draws(rng)
        self.rest = RestHolds(hold.exponential, self.draws, self._hold_days, self._hazard)
        self.mirrored = 0  # units the rest hold as long as the sample's like holds last
        self.waiting: deque[tuple[float, float]] = deque()  # the rest waiting: (asked, leaves)
        self.next_ask, self.rate, self.wake_at = math.inf, 0.0, math.inf  # rate: the rest's requests a day
        self.flow = SampleRate()  # the sample's own flow, which the rest's follows
        self.asked: dict = {}
        self.since: dict = {}
        self.holds: deque[float] = deque(maxlen=MEMORY)
        self.gave_up, self.ended = RecentRate(), RecentRate()  # given up a day waited, ended a unit-day

    # ----- the sample's requests (simpy's interface) ---------------------------------------------
    @property
    def sample_capacity(self) -> float:
        return self.capacity * self.scale

    def take(self):
        now = self._env._now
        self.advance(now)
        if self.free() and not self.put_queue and not self._rest_waiting(now):
            self._asked(now)
            self._count_held(now)
            held = super().take()
            if held is not None:
                self.since[held] = now
            return held
        return None

    def request(self):  # type: ignore[override]
        now = self._env._now
        self.advance(now)
        self._asked(now)
        req = simpy.Resource.request(self)
        if not req.triggered:
            self.gave_up.advance(now, len(self.asked))
            self.asked[req] = now
            self._arm()
        return req

    def _count_held(self, now: float) -> None:
        self.ended.advance(now, len(self.users))  # before the units held change

    def occupy(self):
        self._count_held(self._env._now)
        held = super().occupy()
        self.since[held] = self._env._now
        return held

    def _do_put(self, event) -> None:
        now = self._env._now
        asked = self.asked.get(event, now)
        if self.free() and not (self.waiting and self.waiting[0][0] < asked):
            self._count_held(now)
            self.users.append(event)
            event.usage_since = now
            if event in self.asked:
                self.gave_up.advance(now, len(self.asked))
                del self.asked[event]
            self.since[event] = now
            event.succeed()

    def give_back(self, held, held_for: float | None = None) -> None:
        """``held_for``: the part of the hold the rest's holds are drawn from, if not all of it."""
        now = self._env._now
        self.advance(now)
        self._count_held(now)
        try:
            self.users.remove(held)
        except ValueError:
            return
        self.ended.events += 1
        start = self.since.pop(held, None)
        if start is not None:
            self.holds.append(now - start if held_for is None else held_for)
        self.rest.redraw(now)  # the sample's hazard changed
        self._serve(now)
        self._arm()

    def hold_until(self, held, t_end: float) -> None:
        """A sampled resident's hold whose end is known now: it ends then with no event (a unit
        given back is passed on at that moment all the same, waking whoever waits for it)."""
        now = self._env._now
        self._count_held(now)
        self.users.remove(held)
        start = self.since.pop(held, now)
        self.holds.append(t_end - start)
        self.ended.events += 1
        self.rest.until(t_end)
        self._arm()

    def withdrawn(self, request) -> None:
        if request in self.asked:
            self.gave_up.advance(self._env._now, len(self.asked))
            del self.asked[request]
            self.gave_up.events += 1

    def free(self) -> bool:
        rest = self.rest
        return len(self.users) + len(rest.ends) + rest.counted + self.mirrored < self._capacity

    def _in_use(self) -> int:
        """The sample's and the rest's, the mirrored as far as units are left for them."""
        held = len(self.users) + len(self.rest)
        return held + max(0, min(self.mirrored, self.capacity - held))

    def mirror(self, units: int) -> None:
        """Units the rest hold as long as the sample's like holds last: A&E's trolley waits, which
        end when beds free (a drawn length could not know when)."""
        now = self._env._now
        self.advance(now)
        fewer = units < self.mirrored
        self.mirrored = units
        if fewer:
            self._serve(now)
        self._arm()

    def has_free(self) -> bool:
        self.advance(self._env._now)
        return self.free()

    def _grant(self) -> None:
        self._serve(self._env._now)
        self._arm()

    # ----- the rest of the population -------------------------------------------------------------
    def _rest_waiting(self, t: float) -> bool:
        waiting = self.waiting
        while waiting and waiting[0][1] <= t:
            waiting.popleft()
        return bool(waiting)

    def _asked(self, now: float) -> None:
        """The sample asked now: the rest ask at ratio times the sample's rate."""
        rate = self.ratio * self.flow.asked(now)
        if rate != self.rate:
            self.next_ask = rescaled(now, self.next_ask, self.rate, rate, self.draws, self.clock)
            self.rate = rate

    def fill(self, units: int, mean_days: float | None = None) -> None:
        """The rest's share of what is in use at the start, beside the sample's; at a steady state
        the sample asks at its units in use over the mean hold (``mean_days``, where known)."""
        now = self._env._now
        if mean_days is not None and mean_days > 0:
            self.hold = replace(self.hold, mean_days=mean_days)
        for _ in range(max(0, min(units, self.capacity - len(self.users)))):
            self.rest.start(now)
        if self.hold.mean_days > 0:
            self.flow.prior_rate = len(self.users) / self.hold.mean_days
            self.rate = self.ratio * self.flow.prior_rate
            self.next_ask = after(self.clock, now, self.draws.exponential() / self.rate) if self.rate > 0 else math.inf

    def _hold_days(self) -> float:
        if len(self.holds) >= MIN_HOLDS:
            return self.holds[int(self.draws.uniform() * len(self.holds))]
        return self.hold.mean_days

    def _hazard(self) -> float:
        """Holds end at the sample's own recent rate (memoryless, so the rest's holds follow the
        estimate as it improves; rest_of_population.RecentRate says why recent)."""
        self._count_held(self._env._now)
        return self.ended.per_day(MIN_HOLDS, self.hold.mean_days)

    def _leaves(self, now: float) -> float:
        """When one of the rest who must wait gives up: at the rate sampled residents do now."""
        self.gave_up.advance(now, len(self.asked))
        rate = self.gave_up.per_day()
        return now + self.draws.exponential() / rate if rate > 0 else math.inf

    def advance(self, now: float) -> None:
        """Play the rest's requests and releases forward to now."""
        self._play(now)
        self._arm()

    def _play(self, now: float) -> None:
        rest, ends, draws = self.rest, self.rest.ends, self.draws
        while True:  # the hot loop of a sample's run: kept to plain operations
            t_end = ends[0] if ends else math.inf
            if rest.counted and rest.next_hazard_end < t_end:
                t_end = rest.next_hazard_end
            t_ask = self.next_ask
            if t_end <= t_ask:
                if t_end > now:
                    return
                rest.end(t_end)
                if self.waiting or self.put_queue:
                    self._serve(t_end)
            else:
                if t_ask > now:
                    return
                self.next_ask = after(self.clock, t_ask, draws.exponential() / self.rate)
                if self.free() and not self.put_queue and not (self.waiting and self._rest_waiting(t_ask)):
                    rest.start(t_ask)
                elif self.hold.queues:
                    self.waiting.append((t_ask, self._leaves(t_ask)))

    def _serve(self, t: float) -> None:
        """Units free at t go to whoever asked first, of the rest still waiting and the sample."""
        while self.free():
            rest = self._rest_waiting(t)
            first_real = self.asked.get(self.put_queue[0], t) if self.put_queue else math.inf
            if rest and self.waiting[0][0] <= first_real:
                self.waiting.popleft()
                self.rest.start(t)
            elif self.put_queue:
                before = len(self.put_queue)
                self._trigger_put(None)
                if len(self.put_queue) == before:
                    return
            else:
                return

    def _arm(self) -> None:
        """A sampled resident waits: wake at the first time one of the rest gives a unit back."""
        t = self.rest.next_end()
        if not self.put_queue or t == math.inf:
            return
        if t < self.wake_at:
            self.wake_at = t
            self._env.timeout(max(0.0, t - self._env._now)).callbacks.append(self._wake)

    def _wake(self, _ev) -> None:
        if self._env._now >= self.wake_at:
            self.wake_at = math.inf
        self.advance(self._env._now)

    def in_use(self) -> int:
        """Units in use by the sample and the rest: the whole system's."""
        self.advance(self._env._now)
        return self._in_use()

    def queued(self) -> int:
        self.advance(self._env._now)
        return len(self.put_queue) + len(self.waiting)

    def rest_work_days(self) -> float:
        days, self.rest.work_days = self.rest.work_days, 0.0
        return days


class SampleLoad:
    """Builds each capacity of a replication: scaled places at full population, or full-size
    places loaded with the rest's demand when only a sample is simulated."""

    def __init__(self, env: simpy.Environment, scale: float, rng_for, clock: ArrivalClock | None = None):
        self.env = env
        self.clock = clock  # when in the day crises happen (None: uniformly)
        self.scale = scale
        self.rng_for = rng_for
        self.loaded: list[LoadedPlaces] = []

    def rota(self, servers: int, name: str) -> Rota:
        """Clinicians whose jobs' lengths are known; their requests come from crises."""
        return Rota(max(1, servers), self.scale, self.rng_for(f"rest_of_population:{name}"), self.clock)

    def places(
        self, capacity: float, name: str, hold: Hold, known_ends: bool = False, follows_crises: bool = False
    ) -> Places | None:
        """The places of one unit (a ward, a team, a pool's servers), or None where it has none.
        ``known_ends``: holds may end at a time known in advance without an event (``hold_until``);
        ``follows_crises``: the rest's requests come at the hours crises do (triage, rapid
        response, A&E), where holds are short enough for the hour to matter."""
        n = scaled(capacity, 1.0)
        if n == 0:
            return None
        if self.scale >= 1.0:
            return TimedPlaces(self.env, capacity=n) if known_ends else Places(self.env, capacity=n)
        clock = self.clock if follows_crises else None
        p = LoadedPlaces(self.env, n, self.scale, hold, self.rng_for(f"rest_of_population:{name}"), clock)
        self.loaded.append(p)
        return p
