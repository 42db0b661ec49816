"""The starting residents: who holds the first rows, and need as business as usual's deaths keep it.

Synthesis draws frailty and the need shock alike for everyone of an age, independently of their
conditions. But the death hazard rises with need (to the power ``mortality.need_elasticity``), so
year by year the dynamics take the frailest of those with most conditions, and the upper tail of
need that an unselected start carries is gone within a few years. At a quarter (seeds 3001-3002,
the twenty-first refit) the mean need of the 45-64s fell 25% in six years and the 65-74s' 36%
while their medians rose: the packages of home care and the referrals for care homes, which
follow need's upper tail, drifted down with it. ``select_by_survival`` starts each resident from
need as the deaths keep it at their own age and conditions (a burn-in), and the frailty shift by
age then moves each age group's mean to where ageing, moves and newcomers keep it."""

from __future__ import annotations

import numpy as np

from models.schema import CareModel
from sim.hazards import band_factors, sex_factor
from sim.population import NOT_ARRIVED, Population, age_band, death_rate_at, drift_need, need_of, update_need
from sim.row_draws import normal_from_uniform

# assumption: years of the burn-in; frailty's year-on-year correlation is 0.8, so after ten a
# starting draw keeps 0.8 ** 10 = 11% of its weight, so the selection is near its level
SELECTION_YEARS = 10
# what a resident who dies in the burn-in takes on from a survivor like them (their own draws else)
NEED_DRAWS = ("frailty", "shock", "unobserved", "planned")


def _cells(pop: Population, rows: np.ndarray, age: np.ndarray | None = None) -> np.ndarray:
    """Residents alike in all the death hazard reads but need's draws: year of age, sex and base
    need (the cost-tree leaf, with its conditions, and the multipliers on it). By age band
    instead, a resident of 84 took the need of survivors of 75 to 84, less selected than theirs,
    and one of 85 that of survivors up to 100, more so: the start's frailty stepped at 85 by 0.4
    sd (quarter, seeds 2001-2004). By conditions capped at 4 instead of base need, 5.7% of the 65+
    shared a cell with residents of another leaf, whose need differs up to 7.7 times."""
    year = np.floor(pop.age[rows]).astype(np.int64) if age is None else age
    leaf = np.unique(pop.base_need[rows], return_inverse=True)[1].astype(np.int64)
    return (year * (leaf.max() + 1) + leaf) * 2 + pop.female[rows]


class _Cells:
    """Residents grouped by cell (numbered from 0), sorted once for the burn-in's every year."""

    def __init__(self, cell: np.ndarray):
        self.cell = cell
        self.order = np.argsort(cell, kind="stable")
        self.count = np.bincount(cell)
        self.first = np.concatenate([[0], np.cumsum(self.count)[:-1]])

    def survivor(self, rows: np.ndarray, died: np.ndarray, u: np.ndarray) -> np.ndarray:
        """For each of ``rows``, a resident of their cell drawn at random among those who did not
        die (the k-th in the cell's order for k = floor(u x survivors)); -1 where none survived."""
        alive = np.concatenate([[0], np.cumsum(~died[self.order])])  # survivors before each position
        lo = self.first[self.cell[rows]]
        hi = lo + self.count[self.cell[rows]]
        left = alive[hi] - alive[lo]
        k = np.minimum((u * left).astype(np.int64), np.maximum(left - 1, 0))
        at = np.searchsorted(alive, alive[lo] + k + 1) - 1  # the position of that survivor
        return np.where(left > 0, self.order[np.minimum(at, self.order.size - 1)], -1)


def _donors(fine: _Cells, coarse: _Cells, died: np.ndarray, u: np.ndarray) -> np.ndarray:
    """For each resident who died, a survivor of their cell, or where none of it survived (the
    oldest single years at a small scale) one of their band's with the same conditions, or else
    themself. Drawn among all of a cell, survivors or not, a tenth's 95+ kept a third of their own
    draws and the start depended on the scale."""
    dead = np.flatnonzero(died)
    donor = fine.survivor(dead, died, u[dead, 0])
    none = donor < 0
    donor[none] = coarse.survivor(dead[none], died, u[dead[none], 1])
    return np.where(donor < 0, dead, donor)


def year_hazard(
    pop: Population, model: CareModel, band: np.ndarray, need: np.ndarray, by_age_and_sex: np.ndarray | None = None
) -> np.ndarray:
    """The burn-in year's death hazards of the first rows, whose need is given: the model's shape (rate at the single
    age, by sex, need to the death elasticity; sim/hazards.death_hazard) scaled in each band so
    that its deaths over the year are the band's rate's, 1 - exp(-rate) a head, as ``death_norm``
    holds them. Scaled to hold the band's mean hazard instead, the deaths fell short the more need
    varied: the 85+ died at 0.43 of the model's hazard, 0.083 a head against 0.144.
    ``by_age_and_sex``: ``age_and_sex_shape``'s, which the burn-in's ten years share."""
    n = need.size
    rates = np.asarray(model.mortality.annual_death_rate.value)
    base = age_and_sex_shape(pop, model, n) if by_age_and_sex is None else by_age_and_sex
    shape = base * need**model.mortality.need_elasticity.value
    none = np.zeros(n)
    factor = band_factors(rates, shape, rates[band], none.astype(bool), none, band, np.ones(n, bool))
    return shape / factor[band]


def age_and_sex_shape(pop: Population, model: CareModel, n: int) -> np.ndarray:
    """The first n rows' death rate at their single age, by sex: the part of the burn-in's hazard
    its years do not change."""
    rows = slice(n)
    return death_rate_at(model, pop.age[rows]) * sex_factor(pop, model, rows)


def select_by_survival(pop: Population, model: CareModel, n: int, rng: np.random.Generator) -> None:
    """Ten years of deaths and need's drift at fixed age and conditions for the first n rows: each
    year, those the death hazard takes restart from the need draws of a survivor of their cell,
    so the cells keep their counts (the population tables') and need's distribution within each
    becomes the one the deaths keep. One draw of five uniforms a row a year, from its own stream.

    The hazard is ``year_hazard``'s: the model's shape held to each band's deaths, by one factor a
    band where the year's norm (``death_norm``) uses a reference need by single age (an
    approximation). Need's draws that no hazard reads (unobserved, planned) go along with the
    donor's frailty, with which planned care's propensity is correlated."""
    if n == 0:
        return
    rows = np.arange(n)
    lower = np.asarray(model.population.age_band_lower.value)
    band = age_band(pop.age[rows], lower)
    fine = _Cells(np.unique(_cells(pop, rows), return_inverse=True)[1])
    coarse = _Cells(np.unique(_cells(pop, rows, band.astype(np.int64)), return_inverse=True)[1])
    sigma = model.need.shock_sigma.value
    moving = np.zeros(pop.size, dtype=bool)
    moving[:n] = True
    by_age_and_sex = age_and_sex_shape(pop, model, n)
    for _ in range(SELECTION_YEARS):
        u = rng.random((n, 5))
        need = need_of(pop.base_need[:n], pop.frailty[:n], pop.shock[:n], sigma)
        died = u[:, 0] < -np.expm1(-year_hazard(pop, model, band, need, by_age_and_sex))
        donor = _donors(fine, coarse, died, u[:, 3:5])
        dead = np.flatnonzero(died)
        for name in NEED_DRAWS:
            values = getattr(pop, name)
            values[dead] = values[donor]
        eps = np.zeros((pop.size, 2))
        eps[:n] = normal_from_uniform(u[:, 1:3])
        drift_need(pop, model, eps, moving)
    update_need(pop, model, rows)


def start_residents(pop: Population, model: CareModel, n: int, rng: np.random.Generator | None = None) -> None:
    """The first n rows are the starting residents, the rest a reserve for newcomers. With a
    stream, ``select_by_survival`` sets their need as the deaths keep it; then their
    frailty is moved, by single age, to where business as usual's dynamics keep it
    (``need.frailty_start_shift``, in frailty's standard normal): deaths take the frailest old as
    they age, and among the young the healthier move out more than newcomers replace them, so an
    unshifted start drifts for years."""
    pop.setting[n:] = NOT_ARRIVED
    if rng is not None:
        select_by_survival(pop, model, n, rng)
    shift = model.need.frailty_start_shift
    if shift is None or n == 0:
        return
    sf = model.need.frailty_sigma.value
    pop.frailty[:n] *= np.exp(sf * np.interp(pop.age[:n], shift.ages, shift.value))
    update_need(pop, model, np.arange(n))
