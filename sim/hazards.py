"""Each resident's yearly hazards of the community events: crisis, death, referral for home care
and for a care home. Set at each year start from need, age, sex and conditions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from models.schema import CareModel
from models.vocabulary import OLDER_AGE
from sim.population import Population, band_mids
from sim.routine import need_rate


@dataclass(frozen=True)
class Hazards:
    """Events per person-year, one entry per resident."""

    crisis: np.ndarray
    death: np.ndarray  # the resident's own, in whatever setting they are
    package_referral: np.ndarray
    care_home_referral: np.ndarray


def _sex_factor(pop: Population, model: CareModel, band: np.ndarray, pick=slice(None)) -> np.ndarray:
    """Each resident's hazard relative to their band's, by sex: one on average for an even mix."""
    female = model.population.female_share.value
    male = np.asarray(model.mortality.male_multiplier.value)[band[pick]]
    return np.where(pop.female[pick], 1.0, male) / (female + (1.0 - female) * male)


def within_band_age_factor(pop: Population, model: CareModel, band: np.ndarray, pick=slice(None)) -> np.ndarray:
    """Each resident's death rate relative to their band's, by single age: log-linear between the
    bands' mid-ages (the rate at a band's mid-age is its cited rate) and on the end slopes past the
    first and last, so that the rate rises through a band instead of stepping up x3 at 85 and
    selecting the frailest of the band at once. Each band's mean is kept by the norm."""
    mid = band_mids(model.population)
    log_rate = np.log(np.asarray(model.mortality.annual_death_rate.value))
    slope = np.diff(log_rate) / np.diff(mid)
    age = pop.age[pick]
    # the segment each age falls in: the first and last extend past their mid-ages
    seg = np.clip(np.searchsorted(mid, age, side="right") - 1, 0, mid.size - 2)
    log_at_age = log_rate[seg] + slope[seg] * (age - mid[seg])
    return np.exp(log_at_age - log_rate[band[pick]])


def death_norm(pop: Population, model: CareModel, band: np.ndarray) -> np.ndarray:
    """What the death hazard divides need ** elasticity by, per age band, so that the band's mean
    hazard among those alive at the year start is its cited rate, those needing 24-hour care (at
    their own rate) included. Set each year start from need alone, which no scenario changes, so
    it is the same in every scenario and no avoided crisis moves anyone's hazard."""
    mort = model.mortality
    e = mort.need_elasticity.value
    rates = np.asarray(mort.annual_death_rate.value)
    floor = mort.dependent_death_rate.value
    sex = _sex_factor(pop, model, band)
    age = within_band_age_factor(pop, model, band)
    norm = np.ones(rates.size)
    for b in range(rates.size):
        rows = np.flatnonzero(pop.alive & (band == b))
        if not rows.size or rates[b] <= 0:
            continue
        sex_b = sex[rows]
        weight = sex_b * age[rows] * pop.need[rows] ** e
        dependent = np.flatnonzero(pop.dependent[rows])  # those needing 24-hour care: at least their rate
        lowest = floor * sex_b[dependent]
        rated = rates[b] * weight  # the root-finder's every step divides this

        def excess(log_norm: float, rate: float = rates[b], rated=rated, dependent=dependent, lowest=lowest) -> float:
            hazard = rated / np.exp(log_norm)
            hazard[dependent] = np.maximum(hazard[dependent], lowest)
            return float(hazard.mean() - rate)

        # the band's mean hazard falls as the divisor rises; where those needing 24-hour care
        # alone die faster than the band's rate, the others' hazard is as small as it can be
        lo, hi = np.log(max(weight.mean(), 1e-300)) - 40.0, np.log(max(weight.mean(), 1e-300)) + 40.0
        norm[b] = np.exp(hi if excess(hi) > 0 else brentq(excess, lo, hi, xtol=1e-12, rtol=1e-12))
    return norm


def death_hazard(
    pop: Population, model: CareModel, band: np.ndarray, norm: np.ndarray, rows: np.ndarray | None = None
) -> np.ndarray:
    """Deaths per person-year: the band's rate at the resident's age times need relative to the band, or, once the
    resident needs 24-hour care, the rate of those who do (if higher); split by sex. ``rows``:
    only these residents' (in their order)."""
    mort = model.mortality
    pick = slice(None) if rows is None else rows
    b = band[pick]
    sex = _sex_factor(pop, model, band, pick)
    rate = np.asarray(mort.annual_death_rate.value)[b] * pop.need[pick] ** mort.need_elasticity.value / norm[b]
    rate = rate * within_band_age_factor(pop, model, band, pick)
    return sex * np.where(pop.dependent[pick], np.maximum(rate, mort.dependent_death_rate.value), rate)


def may_need_24_hour_care(pop: Population, model: CareModel) -> np.ndarray:
    """Who can come to need 24-hour care now: alive, not yet needing it, of the care homes' ages."""
    return pop.alive & ~pop.dependent & (pop.age >= model.care_homes.min_age.value)


def frequent_multiplier(pop: Population, model: CareModel) -> np.ndarray | float:
    """The frequent attenders' crisis multiplier while they are of its ages; one for the rest."""
    fa = model.crisis.frequent_attenders
    if fa is None:
        return 1.0
    of_age = (pop.age >= fa.min_age.value) & (pop.age < fa.max_age.value)
    return np.where(pop.frequent & of_age, fa.multiplier.value, 1.0)


def year_hazards(pop: Population, model: CareModel, band: np.ndarray, norm: np.ndarray) -> Hazards:
    rel = pop.need / model.need.reference.value
    c = model.crisis
    crisis = (
        need_rate(pop, model, c.hazard.rate.value, c.hazard.elasticity.value, c.hazard.leaf_elasticity)
        * np.asarray(c.age_multiplier.value)[band]
        * frequent_multiplier(pop, model)
    )
    shift = c.under_65_leaf_shift
    if shift is not None and shift.value:
        leaf = pop.base_need / model.need.reference.value
        crisis = crisis * np.where(pop.age < OLDER_AGE, leaf**shift.value, 1.0)
    death = death_hazard(pop, model, band, norm)
    referral = model.home_care.referral
    package = referral.rate.value * rel**referral.elasticity.value
    ch = model.care_homes
    dementia = np.where(pop.dementia, ch.dementia_entry_multiplier.value, 1.0)
    age = np.asarray(ch.entry_age_multiplier.value)[band]
    care_home = ch.entry.rate.value * rel**ch.entry.elasticity.value * dementia * age
    return Hazards(crisis, death, package, care_home)
