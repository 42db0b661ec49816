"""Capacity: places (beds, care home places, ward and team places) as a simpy resource with O(1)
release, and the one rule by which a capacity follows --scale.

simpy's Resource keeps its users in a list, so each release searches it: with a thousand beds
that search dominates a full-population run. Here users live in an insertion-ordered dict with
the list methods simpy calls (append, remove, len), and behaviour is otherwise simpy's own.
"""

from __future__ import annotations

import heapq
import math

import simpy


def scaled(capacity: float, scale: float) -> int:
    """Whole units of a capacity for a fraction of the population: none stays none, and anything
    else keeps at least one unit, so a small sample never loses a service the system has."""
    if capacity <= 0:
        return 0
    return max(1, round(capacity * scale))


class _Users(dict):
    def append(self, request) -> None:
        self[request] = None

    def remove(self, request) -> None:
        try:
            del self[request]
        except KeyError:
            raise ValueError("request is not a user") from None


class Held:
    """A place taken without a request event (see ``Places.take``)."""

    __slots__ = ()


class Places(simpy.Resource):
    """A simpy Resource whose release does not scan its users, and whose places can be taken and
    given back without an event when nobody has to wait: most stays find a place free, and a
    request and a release event each would be two of the few events such a stay needs."""

    def __init__(self, env: simpy.Environment, capacity: int = 1):
        super().__init__(env, capacity)
        self.users = _Users()  # type: ignore[assignment]

    def take(self) -> Held | None:
        """A place now if one is free and nobody is queued for one, else None (then request)."""
        if len(self.users) < self._capacity and not self.put_queue:
            held = Held()
            self.users.append(held)
            return held
        return None

    def occupy(self) -> Held:
        """A place for someone already in it when the simulation starts (not a new request)."""
        held = Held()
        self.users.append(held)
        return held

    def has_free(self) -> bool:
        """Whether a unit is free now (whoever is queued)."""
        return len(self.users) < self._capacity

    def in_use(self) -> int:
        """Units in use in the whole system (here the whole population is simulated)."""
        return len(self.users)

    def queued(self) -> int:
        """Requests waiting in the whole system."""
        return len(self.put_queue)

    def rest_work_days(self) -> float:
        """Days of holds by residents outside the sample since last asked: none here."""
        return 0.0

    @property
    def sample_capacity(self) -> float:
        """The sample's share of the capacity: all of it when the whole population is simulated."""
        return self.capacity

    def give_back(self, held, held_for: float | None = None) -> None:
        """Release a place taken or granted; the first in the queue, if any, is granted it now."""
        try:
            self.users.remove(held)
        except ValueError:
            return  # not holding a place (a request withdrawn before it was granted)
        if self.put_queue:  # (with nobody queued, simpy's grant loop has nothing to do)
            self._trigger_put(None)

    def set_capacity(self, units: int) -> None:
        """A rota's shift change: fewer units take no one new until enough are given back; more
        go to whoever is queued, first come first served."""
        self.in_use()  # what holds did by now is played at the old number (a sample's rest, known ends)
        self._capacity = units
        self._grant()

    def _grant(self) -> None:
        while self.put_queue and self.has_free():
            before = len(self.put_queue)
            self._trigger_put(None)
            if len(self.put_queue) == before:
                return

    def release(self, request) -> None:  # type: ignore[override]
        """simpy's release, without its event: every place given back passes to the queue at the
        moment of release, the same way whoever releases it (no caller waits on a release)."""
        self.give_back(request)


def places(env: simpy.Environment, capacity: float, scale: float) -> Places | None:
    """The scaled places of one unit, or None where it has none."""
    n = scaled(capacity, scale)
    return Places(env, capacity=n) if n else None


class TimedPlaces(Places):
    """Places whose holds may end at a time known in advance (``hold_until``): such a hold ends
    then with no event, and whoever waits is woken by one event at the first such end. A&E's
    cubicles: a patient discharged from A&E leaves at a time known when treatment starts."""

    ratio = 0.0  # no rest of the population: the whole population is simulated

    def __init__(self, env: simpy.Environment, capacity: int = 1):
        super().__init__(env, capacity)
        self.ends: list[float] = []
        self.wake_at = math.inf

    def _due(self, now: float) -> None:
        """Holds ended by now give their units back (to whoever waits, at this moment)."""
        ends = self.ends
        while ends and ends[0] <= now:
            heapq.heappop(ends)
            if self.put_queue:
                self._trigger_put(None)

    def free(self) -> bool:
        return len(self.users) + len(self.ends) < self._capacity

    def take(self) -> Held | None:
        ends = self.ends
        if ends and ends[0] <= self._env._now:
            self._due(self._env._now)
        if len(self.users) + len(ends) < self._capacity and not self.put_queue:
            held = Held()
            self.users.append(held)
            return held
        return None

    def free_now(self) -> bool:
        """Whether ``take`` would give a unit now (one free, nobody queued), without taking it."""
        ends = self.ends
        if ends and ends[0] <= self._env._now:
            self._due(self._env._now)
        return len(self.users) + len(ends) < self._capacity and not self.put_queue

    def book_until(self, t_end: float) -> None:
        """``take`` then ``hold_until`` in one, for a unit ``free_now`` found: no hold is made,
        and, as nobody is queued, nobody is to be woken."""
        heapq.heappush(self.ends, t_end)

    def request(self):  # type: ignore[override]
        self._due(self._env._now)
        req = simpy.Resource.request(self)
        if not req.triggered:
            self._arm()
        return req

    def _do_put(self, event) -> None:
        if len(self.users) + len(self.ends) < self._capacity:
            self.users.append(event)
            event.usage_since = self._env._now
            event.succeed()

    def hold_until(self, held, t_end: float) -> None:
        self.users.remove(held)
        heapq.heappush(self.ends, t_end)
        self._arm()

    def give_back(self, held, held_for: float | None = None) -> None:
        self._due(self._env._now)
        super().give_back(held)

    def _arm(self) -> None:
        if self.put_queue and self.ends and self.ends[0] < self.wake_at:
            self.wake_at = self.ends[0]
            self._env.timeout(max(0.0, self.wake_at - self._env._now)).callbacks.append(self._wake)

    def _wake(self, _ev) -> None:
        now = self._env._now
        if now >= self.wake_at:
            self.wake_at = math.inf
        self._due(now)
        self._arm()

    def mirror(self, units: int) -> None:
        """Nothing to mirror: there is no rest of the population."""

    def has_free(self) -> bool:
        self._due(self._env._now)
        return self.free()

    def in_use(self) -> int:
        self._due(self._env._now)
        return len(self.users) + len(self.ends)
