"""Decommissioning: beds closed once a scenario frees enough of them, which is how bed days freed
become cash.

A bed day freed by a shorter stay or a shorter delay is capacity, not cash: the tariff pays per
spell, and the trust's costs fall only if beds close. With ``hospital.decommission`` set, a
reported year whose mean occupancy falls below the stated level closes the beds above what would
run at that level, from the start of the year ``lag_years`` later; they stay closed, so the
system then runs on fewer beds (and may queue for them). Each closed bed releases a year at
unit_costs.bed_day, to the NHS.
"""

from __future__ import annotations

import math

from models.schema import CareModel
from models.vocabulary import DAYS_PER_YEAR
from sim.capacity import Places
from sim.tally import SystemTally


class Decommissioning:
    def __init__(self, model: CareModel, beds: Places):
        self.spec = model.hospital.decommission
        self.bed_day = model.unit_costs.bed_day.value
        self.beds = beds
        self.occupied: list[int] = []  # beds in use at each period's end
        self.pending: dict[int, int] = {}  # reported year -> beds to close at its start
        self.closed = 0

    def period(self) -> None:
        if self.spec is not None:
            self.occupied.append(self.beds.in_use())

    def year_start(self, year: int) -> None:
        """Close the beds a closure decided ``lag_years`` ago takes out from this (1-based) year."""
        self.occupied.clear()
        n = self.pending.pop(year, 0)
        if n:
            self.closed += n
            self.beds._capacity -= n  # simpy's own attribute: a closed bed empties and is not reused

    def year_end(self, year: int, tally: SystemTally) -> None:
        """Record the year's closed beds and their cash; decide the closures the year's occupancy allows."""
        if self.spec is None:
            return
        occupied = self.occupied
        if year < 1:
            return
        tally.add(-1, "beds_decommissioned", self.closed)
        tally.add(-1, "decommissioned_beds_cash", self.closed * DAYS_PER_YEAR * self.bed_day)
        if not occupied:
            return
        level = self.spec.below_occupancy.value
        open_then = self.beds.capacity - sum(self.pending.values())
        mean = sum(occupied) / len(occupied)
        if level > 0 and mean < level * open_then:
            surplus = open_then - max(1, math.ceil(mean / level))  # one bed stays, whatever the use
            if surplus > 0:
                at = year + int(self.spec.lag_years.value)
                self.pending[at] = self.pending.get(at, 0) + surplus
