"""When in the day and the week crises happen: a crisis's time within its period follows the
model's profile of crises by hour of the day and day of the week (``crisis.timing``), and the
rest of the population's requests at a sample follow the same hours where they come from crises.

Time is warped, not thinned: a uniform u that placed a crisis at the fraction u of its period
places it where the fraction u of the period's crisis intensity has passed, so the same random
numbers give the same crises in the same order whatever the profile (common random numbers), and
a flat profile gives the times it always did. Day 0 of a run is a Monday (sim/rotas.py).
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from models.schema import CrisisTiming
from models.vocabulary import HOURS_PER_DAY

WEEK = 168.0


class ArrivalClock:
    """The cumulative crisis intensity over the week (mean 1 an hour) and its inverse."""

    def __init__(self, timing: CrisisTiming):
        hour = np.asarray(timing.hour.value, dtype=float)
        day = np.asarray(timing.day.value, dtype=float)
        w = (day[:, None] * hour[None, :]).ravel()
        w = w * WEEK / w.sum()
        self.hours = np.arange(int(WEEK) + 1, dtype=float)
        self.cum = np.concatenate([[0.0], np.cumsum(w)])
        self.cum[-1] = WEEK
        self._cum, self._w = self.cum.tolist(), w.tolist()  # for the scalar forms

    def intensity(self, t_days: np.ndarray | float) -> np.ndarray:
        """Crisis-hours passed by time t (days): as many as clock hours over whole weeks."""
        h = np.asarray(t_days, dtype=float) * HOURS_PER_DAY
        weeks = np.floor(h / WEEK)
        return weeks * WEEK + np.interp(h - weeks * WEEK, self.hours, self.cum)

    def time_at(self, passed: np.ndarray | float) -> np.ndarray:
        """The time (days) by which ``passed`` crisis-hours have passed."""
        y = np.asarray(passed, dtype=float)
        weeks = np.floor(y / WEEK)
        return (weeks * WEEK + np.interp(y - weeks * WEEK, self.cum, self.hours)) / HOURS_PER_DAY

    def place(self, t0: float, u: np.ndarray, period_days: float) -> np.ndarray:
        """Times in [t0, t0 + period) for fractions u of the period's crisis intensity."""
        a, b = self.intensity(t0), self.intensity(t0 + period_days)
        return self.time_at(a + u * (b - a))

    def _passed(self, t_days: float) -> float:
        """``intensity`` for one time, in plain Python: the rest's requests ask it per request."""
        h = t_days * HOURS_PER_DAY
        weeks = math.floor(h / WEEK)
        r = h - weeks * WEEK
        k = min(int(r), int(WEEK) - 1)
        return weeks * WEEK + self._cum[k] + (r - k) * self._w[k]

    def _time(self, passed: float) -> float:
        weeks = math.floor(passed / WEEK)
        y = passed - weeks * WEEK
        k = min(max(bisect.bisect_right(self._cum, y) - 1, 0), int(WEEK) - 1)
        w = self._w[k]
        return (weeks * WEEK + k + ((y - self._cum[k]) / w if w > 0 else 0.0)) / HOURS_PER_DAY

    def after(self, t: float, days: float) -> float:
        """The time ``days`` of mean-rate time after t: a Poisson process at a mean rate, stretched
        to the profile (busy hours come sooner, quiet ones later)."""
        return self._time(self._passed(t) + days * HOURS_PER_DAY)

    def remaining(self, now: float, t_next: float) -> float:
        """Mean-rate days from now to t_next (the inverse of ``after``)."""
        return (self._passed(t_next) - self._passed(now)) / HOURS_PER_DAY
