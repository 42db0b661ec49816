"""Births and moves in and out of the tri-borough at each year start, holding each age band to
the projection.

Who moves out is drawn for every resident alike (the healthier move more; those who need 24-hour
care or are dying stay), as many are born as the birth rate gives, and as many move into each
band as the projection then wants, so that the population follows it whatever the care system
does. Newcomers take the rows that the dead and departed left at least a year before (by then
nothing of theirs is still pending) and then rows held in reserve, in row order, so the same
newcomer takes the same row in every scenario and at every horizon. A newcomer has no history:
the risk score sees their attributes and no use.
"""

from __future__ import annotations

import itertools

import numpy as np

from models.schema import CareModel
from models.vocabulary import DAYS_PER_YEAR
from sim.population import DEAD, NOT_ARRIVED, Population, age_band, synthesise, take_rows
from sim.streams import Streams
from sim.system import System


def resident_bands(lower: list[float]) -> tuple[str, ...]:
    """The measures counting each year's starting residents by age band: residents_0_17 ...
    residents_85_plus for the baseline's bands."""
    lo = [int(x) for x in lower]
    return (*(f"residents_{a}_{b - 1}" for a, b in itertools.pairwise(lo)), f"residents_{lo[-1]}_plus")


class Demography:
    def __init__(self, model: CareModel, pop: Population):
        d = model.demography
        self.model = model
        self.lower = np.asarray(model.population.age_band_lower.value)
        band = age_band(pop.age, self.lower)
        self.start = np.bincount(band[pop.alive], minlength=self.lower.size).astype(float)
        self.growth = np.asarray(d.growth.value)
        # newcomers' person numbers follow the starting residents' (their rows), whatever the reserve
        self.next_person = int(np.count_nonzero(pop.setting != NOT_ARRIVED))
        self.short = 0  # newcomers the reserve had no row for

    @staticmethod
    def leaving_share(model: CareModel) -> float:
        """Rows for newcomers per starting resident, beyond those the net growth needs: a first
        year's moves in and births (and a tenth more), as a row is reused a year after it is left."""
        share = np.asarray(model.population.age_band_share.value)
        out = float(share @ np.asarray(model.demography.out_migration_rate.value) / share.sum())
        return 1.1 * (out + model.demography.birth_rate.value)

    def projection(self, y: int) -> np.ndarray:
        """Residents by age band that the projection wants at the start of year y (of the run)."""
        return self.start * (1.0 + self.growth) ** y

    def year_start(self, y: int, s: System, streams: Streams, dying: np.ndarray) -> dict[str, np.ndarray]:
        """Moves out, births and moves in for year y (after the year's ageing): the rows of those
        who left and of those who came, by kind."""
        pop, d = s.pop, self.model.demography
        band = age_band(pop.age, self.lower)
        u = streams[f"moves_out:{y}"].random(pop.size)
        can = pop.alive & ~pop.dependent & ~dying
        leaving = np.flatnonzero(can & (u < move_out_chance(pop, self.model, band, can)))
        s.move_out_many(leaving)
        alive = pop.alive
        counts = np.bincount(band[alive], minlength=self.lower.size)
        births = round(d.birth_rate.value * np.count_nonzero(alive))
        counts[0] += births
        wanted = np.maximum(0, np.rint(self.projection(y) - counts)).astype(int)
        rows = self._rows(pop, s.env._now, births + int(wanted.sum()))
        born, moved = rows[:births], rows[births:]
        taken = {"births": born, "moves_in": moved, "moves_out": leaving}
        newborn = synthesise(self.model, born.size, streams[f"births:{y}"], np.zeros(born.size, dtype=int), True)
        movers = synthesise(
            self.model, moved.size, streams[f"moves_in:{y}"], np.repeat(np.arange(wanted.size), wanted)[: moved.size]
        )
        movers.frailty *= d.in_migrant_frailty.value
        for group, people in ((born, newborn), (moved, movers)):
            ids = np.arange(self.next_person, self.next_person + group.size, dtype=np.int64)
            self.next_person += group.size
            take_rows(pop, group, people, ids, self.model)
            s.arrive_many(group)
            if group.size:
                s.rows_in_use = max(s.rows_in_use, int(group.max()) + 1)
        return taken

    def _rows(self, pop: Population, now: float, k: int) -> np.ndarray:
        """k rows for newcomers: those left a year or more ago, then unused ones, in row order."""
        left = np.fmax(pop.death_time, pop.moved_time)
        free = np.flatnonzero((pop.setting == DEAD) & (left <= now - DAYS_PER_YEAR + 1e-6))  # the clock's rounding
        unused = np.flatnonzero(pop.setting == NOT_ARRIVED)
        rows = np.concatenate([free, unused])[:k]
        self.short += k - rows.size
        return rows


def move_out_chance(pop: Population, model: CareModel, band: np.ndarray, can: np.ndarray) -> np.ndarray:
    """Each resident's chance of moving out of the tri-borough in a year: their band's rate, lower
    as their need stands above their own base (the ill move less), the factor divided by its mean
    over the band's residents who ``can`` move so that each band moves out at its cited rate
    whatever its frailty (which is not of mean 1 within a band)."""
    d = model.demography
    lower = np.asarray(model.population.age_band_lower.value)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(pop.base_need > 0, pop.need / pop.base_need, 1.0)
    factor = rel**d.mover_need_elasticity.value
    n = np.bincount(band[can], minlength=lower.size)
    mean = np.bincount(band[can], weights=factor[can], minlength=lower.size) / np.maximum(n, 1)
    return np.minimum(1.0, np.asarray(d.out_migration_rate.value)[band] * factor / np.where(n > 0, mean, 1.0)[band])
