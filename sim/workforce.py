"""Workforce roles as capacity-limited pools.

Roles that answer events one at a time (rapid-response nurses, social workers doing assessments)
are simpy resources whose servers are the FTE's productive hours spread over the hours of the year,
or over the hours a rota names (sim/rotas.py).
Roles that deliver routine contacts in bulk (GPs, practice and district nurses) are fluid queues:
each period's demand in hours meets the period's supply; what is left waits as a backlog, so a
shortage shows as a growing wait, never silently.
"""

from __future__ import annotations

import math

import numpy as np

from models.schema import CareModel, RotaSpec
from models.vocabulary import BULK_ROLES, HOURS_PER_DAY, HOURS_PER_WEEK, HOURS_PER_YEAR
from sim.capacity import scaled
from sim.rotas import ShiftChanges, on_duty_by_hour, week_weights
from sim.sample_load import Hold, SampleLoad
from sim.tally import SystemTally


def on_duty(fte: float, productive_hours: float, scale: float) -> float:
    """Servers continuously on duty that the FTE provides (fractional)."""
    return max(0.0, fte * productive_hours / HOURS_PER_YEAR * scale)


def servers_on_duty(fte: float, productive_hours: float, rota: RotaSpec | None) -> tuple[np.ndarray, float]:
    """Whole servers on duty in each hour of the week, and the stretch of each job that keeps the
    hours of work those the FTE provide. Without a rota, or with one the same in every hour, the
    same servers are on all week: the exact number rounded, at least one where there is any."""
    exact = on_duty(fte, productive_hours, 1.0)
    if exact <= 0:
        return np.zeros(int(HOURS_PER_WEEK), dtype=int), 1.0
    if rota is None or np.ptp(week_weights(rota)) == 0:  # round the clock, the same staff every hour
        n = scaled(exact, 1.0)
        return np.full(int(HOURS_PER_WEEK), n), n / exact
    by_hour = on_duty_by_hour(exact, rota)  # the remainder of each shift's hours is a stretch
    return by_hour, float(by_hour.sum()) / (exact * HOURS_PER_WEEK)


class Pool:
    """A simpy resource for one role in one borough, with its busy time tallied.

    Servers are whole, so a pool whose exact staffing is fractional (small boroughs, small
    --scale) is rounded to whole servers and each job's duration is stretched by
    servers / exact: the hours of work the pool can do per day stay those the FTE provide,
    so a shortage is never hidden by rounding up.
    """

    def __init__(
        self,
        load: SampleLoad,
        fte: float,
        productive_hours: float,
        name: str,
        job_days: float,
        rota: RotaSpec | None = None,
        follows_crises: bool = False,
    ):
        by_hour, self.time_factor = servers_on_duty(fte, productive_hours, rota)
        self.capacity = int(by_hour.max())
        by_hour = by_hour if rota is not None and self.capacity > 0 else None
        self.resource = load.places(
            self.capacity, name, Hold(job_days * self.time_factor), follows_crises=follows_crises
        )
        self.shifts = ShiftChanges(load.env, self.resource, by_hour) if by_hour is not None else None
        self.busy_hours = 0.0

    def hours_worked(self) -> float:
        """The whole system's hours worked since last asked (a period's), and count afresh: the
        sample's and, when only a sample is simulated, the rest of the population's."""
        hours, self.busy_hours = self.busy_hours, 0.0
        if self.resource is not None:
            hours += self.resource.rest_work_days() * HOURS_PER_DAY / self.time_factor
        return hours

    @property
    def available(self) -> bool:
        return self.resource is not None


class FluidQueue:
    """Hours demanded against hours supplied, period by period, first come first served, with a
    carried backlog; with ``give_up_days``, hours still waiting after that long are given up (the
    contacts they were for are not delivered)."""

    def __init__(self, supply_per_period: np.ndarray, period_days: float, give_up_days: float | None = None):
        self.supply = np.asarray(supply_per_period, dtype=float)
        self.period_days = period_days
        # rows of hours by how many periods they have waited, oldest first
        ages = 1 if give_up_days is None else max(1, math.ceil(give_up_days / period_days - 1e-9))
        self.gives_up = give_up_days is not None
        self.waiting = np.zeros((ages, self.supply.size))

    @property
    def backlog(self) -> np.ndarray:
        return self.waiting.sum(axis=0)

    def step(self, demand: np.ndarray) -> dict[str, np.ndarray]:
        """Serve one period's demand; return demand, supply, served, given up and the wait at
        period end."""
        work = np.vstack([self.waiting, np.asarray(demand, dtype=float)[None, :]])
        served_by_now = np.minimum(np.cumsum(work, axis=0), self.supply)
        served = np.diff(served_by_now, axis=0, prepend=0.0)
        left = work - served
        if self.gives_up:
            given_up, self.waiting = left[0], left[1:]
        else:
            given_up, self.waiting = np.zeros_like(self.supply), left.sum(axis=0, keepdims=True)
        backlog = self.backlog
        per_day = np.where(self.supply > 0, self.supply / self.period_days, np.nan)
        wait = np.where(self.supply > 0, backlog / per_day, np.where(backlog > 0, np.inf, 0.0))
        return {
            "demand_hours": np.asarray(demand, dtype=float),
            "supply_hours": self.supply,
            "served_hours": served.sum(axis=0),
            "given_up_hours": given_up,
            "wait_days": wait,
        }


class BulkWorkforce:
    """The bulk roles (GPs, practice and district nurses) of every borough as fluid queues. What
    they deliver in a year is what was asked less what was given up: routine contacts follow it."""

    def __init__(self, model: CareModel, scale: float, periods_per_year: int, period_days: float):
        self.queues = {
            role: FluidQueue(
                np.asarray(model.workforce[role].fte.value)
                * model.workforce[role].productive_hours.value
                * scale
                / periods_per_year,
                period_days,
                None if model.workforce[role].give_up_days is None else model.workforce[role].give_up_days.value,
            )
            for role in BULK_ROLES
        }
        self.asked = {role: np.zeros(q.supply.size) for role, q in self.queues.items()}
        self.given_up = {role: np.zeros(q.supply.size) for role, q in self.queues.items()}

    def step(self, demand: dict[str, np.ndarray], tally: SystemTally, inv_scale: float) -> None:
        """Serve a period's hours demanded by role and borough, and tally them for the whole system."""
        for role, q in self.queues.items():
            r = q.step(demand[role])
            self.asked[role] += r["demand_hours"]
            self.given_up[role] += r["given_up_hours"]
            for b in range(r["demand_hours"].shape[0]):
                for key in ("demand_hours", "supply_hours", "served_hours", "given_up_hours"):
                    tally.add(b, f"{role}_{key}", float(r[key][b]) * inv_scale)
                tally.sample(b, f"{role}_wait_days", float(r["wait_days"][b]))

    def delivered_share(self) -> dict[str, np.ndarray]:
        """Each role's share of the year's asked hours not given up, by borough; and count afresh."""
        out = {}
        for role in self.queues:
            asked = self.asked[role]
            out[role] = np.where(asked > 0, 1.0 - self.given_up[role] / np.maximum(asked, 1e-12), 1.0)
            asked.fill(0.0)
            self.given_up[role].fill(0.0)
        return out
