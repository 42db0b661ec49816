"""A role's rota: whole staff on duty in each hour of the week, and the shift changes that set
a pool's servers to them as the simulation runs.

Day 0 of a run is a Monday and each day starts at midnight (an assumption: the model has no
calendar). A rota's weights spread the FTE's productive hours over the week; within each run of
hours of equal weight on a day (a shift), the fractional staff left after whole servers become
one more server for as many hours as they make, at the shift's start, so the hours of work stay
those the FTE provide, to within an hour a shift (the remainder stretches each job, as a
round-the-clock pool's rounding does in sim/workforce.py).
"""

from __future__ import annotations

import numpy as np
import simpy

from models.schema import RotaSpec
from models.vocabulary import HOURS_PER_DAY, HOURS_PER_WEEK

DAY_HOURS, WEEK_HOURS = int(HOURS_PER_DAY), int(HOURS_PER_WEEK)  # as indices
WEEKDAYS = 5  # Monday to Friday use the weekday hours; Saturday and Sunday the weekend's


def week_weights(rota: RotaSpec) -> np.ndarray:
    """The rota's weight in each hour of the week, Monday 00:00 first."""
    days = [rota.weekday.value] * WEEKDAYS + [rota.weekend.value] * (7 - WEEKDAYS)
    return np.asarray(days, dtype=float).ravel()


def on_duty_by_hour(servers: float, rota: RotaSpec) -> np.ndarray:
    """Whole servers on duty in each of the week's 168 hours for ``servers`` on duty on average."""
    w = week_weights(rota)
    target = servers * WEEK_HOURS * w / w.sum()
    out = np.floor(target).astype(int)
    frac = target - out
    for day in range(7):
        h = day * DAY_HOURS
        end = h + DAY_HOURS
        while h < end:
            k = h
            while k < end and w[k] == w[h]:
                k += 1
            extra = round(float(frac[h:k].sum()))
            out[h : h + extra] += 1
            h = k
    if out.sum() == 0 and servers > 0:  # less than an hour's work a shift: one server at the busiest hour
        out[int(np.argmax(w))] = 1
    return out


class ShiftChanges:
    """Sets a pool's servers to the rota's at each hour the number on duty changes. A server going
    off duty finishes the job in hand; a server coming on takes the first in the queue."""

    def __init__(self, env: simpy.Environment, resource, by_hour: np.ndarray):
        self.env = env
        self.resource = resource
        n = by_hour.size
        self.changes = [(h, int(by_hour[h])) for h in range(n) if by_hour[h] != by_hour[h - 1]]
        if not self.changes:  # the same staff all week
            resource.set_capacity(int(by_hour[0]))
            return
        resource.set_capacity(int(by_hour[0]))
        self.k = 0
        self._next()

    def _next(self) -> None:
        now_hour = self.env._now * HOURS_PER_DAY
        week = int(now_hour // HOURS_PER_WEEK)
        hour, _ = self.changes[self.k]
        at = (week * HOURS_PER_WEEK + hour) / HOURS_PER_DAY
        if at < self.env._now - 1e-12:
            at += HOURS_PER_WEEK / HOURS_PER_DAY
        self.env.timeout(at - self.env._now).callbacks.append(self._change)

    def _change(self, _ev) -> None:
        _, servers = self.changes[self.k]
        self.resource.set_capacity(servers)
        self.k = (self.k + 1) % len(self.changes)
        self._next()
