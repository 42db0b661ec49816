"""simpy's environment with plain calls at a time: most of a replication's events are a function
to run when a stay or a wait ends, which nothing else waits on or yields. A simpy Timeout for each
is an event object, a callback list and a closure; here such a call is one entry in simpy's own
queue, ordered exactly as that Timeout would be (its time, normal priority, the next event id),
so every event runs in the same order as before and only the bookkeeping is lighter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, Event


class Environment(simpy.Environment):
    """A simpy environment whose queue may also hold plain calls (``call_in``), with one more
    held beside it (``resume_in``); ``step`` and ``run`` play all of them in order."""

    def __init__(self, initial_time: float = 0):
        super().__init__(initial_time)
        # one pending call held beside the queue (``resume_in``): when, its event id, what
        self._resume_at = math.inf
        self._resume_eid = 0
        self._resume: Callable[[], Any] | None = None

    def call_in(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call fn(*args) ``delay`` days from now, where a Timeout of that delay would have fired."""
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), fn, args))

    def resume_in(self, delay: float, fn: Callable[[], Any]) -> None:
        """``call_in`` for the one caller that is nearly always pending and is called again as
        soon as it returns (the community events' play): held beside the queue rather than pushed
        onto it and popped off it each time, and played in the same place among the events."""
        if self._resume is not None:
            raise RuntimeError("a resumed call is already pending")
        self._resume_at = self._now + delay
        self._resume_eid = next(self._eid)
        self._resume = fn

    def _resume_first(self) -> bool:
        """Whether the pending resumed call comes before the queue's first entry."""
        at = self._resume_at
        queue = self._queue
        if not queue:
            return at < math.inf
        head = queue[0]
        return at < head[0] or (at == head[0] and (NORMAL, self._resume_eid) < (head[1], head[2]))

    def _play_resume(self) -> None:
        fn = self._resume
        self._now = self._resume_at
        self._resume_at = math.inf
        self._resume = None
        fn()

    def step(self) -> None:
        """Play the next entry: a plain call, or an event as simpy plays it."""
        if self._resume_first():
            self._play_resume()
            return
        try:
            item = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        self._now = item[0]
        if len(item) == 5:
            item[3](*item[4])
            return
        _play_event(self, item[3])

    def run(self, until: float | Event | None = None) -> Any:
        """simpy's run, with its stepping inlined (the plain calls and the resumed call played
        without a call to ``step``)."""
        if until is not None:
            if not isinstance(until, Event):
                return super().run(until)  # a time: simpy's own loop, through step
            if until.callbacks is None:
                return until.value
            until.callbacks.append(StopSimulation.callback)
        queue = self._queue
        try:
            while True:
                at = self._resume_at
                if queue:
                    head = queue[0]
                    if at <= head[0] and (at < head[0] or (NORMAL, self._resume_eid) < (head[1], head[2])):
                        self._play_resume()
                        continue
                    item = heappop(queue)
                elif at < math.inf:
                    self._play_resume()
                    continue
                else:
                    break
                self._now = item[0]
                if len(item) == 5:
                    item[3](*item[4])
                    continue
                _play_event(self, item[3])
        except StopSimulation as exc:
            return exc.args[0]
        if until is not None:
            raise RuntimeError(f'No scheduled events left but "until" event was not triggered: {until}')
        return None


def _play_event(env: simpy.Environment, event: Event) -> None:
    """An event's callbacks, as simpy.Environment.step runs them."""
    callbacks, event.callbacks = event.callbacks, None
    try:
        for callback in callbacks:
            callback(event)
    except StopSimulation:
        event.callbacks = callbacks[callbacks.index(callback) + 1 :]
        env.schedule(event, -1)
        raise
    if not event._ok and not hasattr(event, "_defused"):
        exc = type(event._value)(*event._value.args)
        exc.__cause__ = event._value
        raise exc
