"""Workforce roles as capacity-limited pools.

Roles that answer events one at a time (rapid-response nurses, social workers doing assessments)
are simpy resources whose servers are the FTE's productive hours spread over the hours of the year.
Roles that deliver routine contacts in bulk (GPs, practice and district nurses) are fluid queues:
each period's demand in hours meets the period's supply; what is left waits as a backlog, so a
shortage shows as a growing wait, never silently.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import simpy

from sim.capacity import Places

HOURS_PER_YEAR = 24 * 365.0


def on_duty(fte: float, productive_hours: float, scale: float) -> float:
    """Servers continuously on duty that the FTE provides (fractional)."""
    return max(0.0, fte * productive_hours / HOURS_PER_YEAR * scale)


class Pool:
    """A simpy resource for one role in one borough, with its busy time tallied.

    Servers are whole, so a pool whose exact staffing is fractional (small boroughs, small
    --scale) is rounded to whole servers and each job's duration is stretched by
    servers / exact: the hours of work the pool can do per day stay those the FTE provide,
    so a shortage is never hidden by rounding up.
    """

    def __init__(self, env: simpy.Environment, fte: float, productive_hours: float, scale: float):
        exact = on_duty(fte, productive_hours, scale)
        self.capacity = max(1, round(exact)) if exact > 0 else 0
        self.time_factor = self.capacity / exact if exact > 0 else 1.0
        self.resource = Places(env, capacity=self.capacity) if self.capacity > 0 else None
        self.busy_hours = 0.0

    @property
    def available(self) -> bool:
        return self.resource is not None


class FluidQueue:
    """Hours demanded against hours supplied, period by period, with a carried backlog."""

    def __init__(self, supply_per_period: np.ndarray, period_days: float):
        self.supply = np.asarray(supply_per_period, dtype=float)
        self.backlog = np.zeros_like(self.supply)
        self.period_days = period_days

    def step(self, demand: np.ndarray) -> dict[str, np.ndarray]:
        """Serve one period's demand; return demand, supply, served and the wait at period end."""
        work = self.backlog + demand
        served = np.minimum(work, self.supply)
        self.backlog = work - served
        per_day = np.where(self.supply > 0, self.supply / self.period_days, np.nan)
        wait = np.where(self.supply > 0, self.backlog / per_day, np.where(self.backlog > 0, np.inf, 0.0))
        return {
            "demand_hours": demand,
            "supply_hours": self.supply,
            "served_hours": served,
            "wait_days": wait,
        }


class SystemTally:
    """Yearly system-level measures keyed by (intervention, borough, measure).

    Borough is an index, or -1 for the whole system; intervention is "all" for measures that
    belong to no intervention.
    """

    def __init__(self) -> None:
        self.sums: dict[tuple[str, int, str], float] = defaultdict(float)
        self.means: dict[tuple[str, int, str], list[float]] = defaultdict(list)

    def add(self, borough: int, measure: str, value: float) -> None:
        self.sums[("all", borough, measure)] += value

    def sample(self, borough: int, measure: str, value: float) -> None:
        """A level observed once a period; reported as the year's mean."""
        self.means[("all", borough, measure)].append(value)

    def add_intervention(self, intervention: str, borough: int, measure: str, value: float) -> None:
        self.sums[(intervention, borough, measure)] += value

    def sample_intervention(self, intervention: str, borough: int, measure: str, value: float) -> None:
        self.means[(intervention, borough, measure)].append(value)

    def rows(self) -> list[tuple[str, int, str, float]]:
        out = [(iv, b, m, v) for (iv, b, m), v in self.sums.items()]
        out += [(iv, b, m, float(np.mean(v))) for (iv, b, m), v in self.means.items()]
        return out

    def reset(self) -> None:
        self.sums.clear()
        self.means.clear()
