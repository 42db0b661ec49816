"""Each resident's yearly hazards of the community events: crisis, death, referral for home care
and for a care home. Set at each year start from need, age, sex and conditions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from models.schema import CareModel
from models.vocabulary import OLDER_AGE
from sim.population import Population, band_mids, death_rate_at
from sim.routine import need_rate


@dataclass(frozen=True)
class Hazards:
    """Events per person-year, one entry per resident."""

    crisis: np.ndarray
    death: np.ndarray  # the resident's own, in whatever setting they are
    package_referral: np.ndarray
    care_home_referral: np.ndarray


def male_multiplier_at(model: CareModel, age: np.ndarray) -> np.ndarray:
    """The male hazard over the female at each age: the bands' multipliers at their mid-ages,
    log-linear between and flat beyond, so that a woman's hazard does not step at 18 (where the
    multiplier goes from 1.14 to 1.88) any more than her rate does."""
    log_male = np.log(np.asarray(model.mortality.male_multiplier.value))
    return np.exp(np.interp(age, band_mids(model.population), log_male))


def sex_factor(pop: Population, model: CareModel, pick=slice(None)) -> np.ndarray:
    """Each resident's hazard relative to their age's, by sex: one on average for an even mix."""
    female = model.population.female_share.value
    male = male_multiplier_at(model, pop.age[pick])
    return np.where(pop.female[pick], 1.0, male) / (female + (1.0 - female) * male)


# passes of the reference need's knots towards each band's deaths: each moves the knots by a
# Newton step on the last pass's, and after five the band factors that remain are within about 0.5% of one
NORM_PASSES = 6


def within_band_age_factor(pop: Population, model: CareModel, band: np.ndarray, pick=slice(None)) -> np.ndarray:
    """Each resident's death rate relative to their band's, by single age (``death_rate_at``), so
    that the rate rises through a band instead of stepping up x3 at 85 and selecting the frailest
    of the band at once. Only each band's deaths over the year are held to its cited rate's (by the
    norm); the mid-ages shape the curve within it."""
    rate = np.asarray(model.mortality.annual_death_rate.value)
    return death_rate_at(model, pop.age[pick]) / rate[band[pick]]


@dataclass(frozen=True)
class DeathNorm:
    """What a resident's rate times need ** elasticity is divided by: a reference need by single
    age (log-linear between the bands' mid-ages, flat beyond), so that the hazard of a resident of
    given need does not step at a band's edge, times a factor per band that holds each band's
    deaths over the year to its rate's (within about 0.5% of one)."""

    mids: np.ndarray
    log_knots: np.ndarray  # log reference need at each mid-age
    band_factor: np.ndarray

    def at(self, age: np.ndarray, band: np.ndarray) -> np.ndarray:
        return np.exp(np.interp(age, self.mids, self.log_knots)) * self.band_factor[band]


def band_factors(
    rates: np.ndarray,
    weight: np.ndarray,
    ref: np.ndarray,
    dependent: np.ndarray,
    lowest: np.ndarray,
    band: np.ndarray,
    alive: np.ndarray,
) -> np.ndarray:
    """Per band, what the weight over the reference need is further divided by so that the band's
    deaths over the year among the living are its rate's, those needing 24-hour care at least
    their rate."""
    factor = np.ones(rates.size)
    for b in range(rates.size):
        rows = np.flatnonzero(alive & (band == b))
        if not rows.size:
            continue
        rated = rates[b] * weight[rows] / ref[rows]  # the root-finder's every step divides this
        dep = np.flatnonzero(dependent[rows])
        low = lowest[rows[dep]]

        def excess(log_f: float, q: float = -np.expm1(-rates[b]), rated=rated, dep=dep, low=low) -> float:
            hazard = rated / np.exp(log_f)
            hazard[dep] = np.maximum(hazard[dep], low)
            return float(-np.expm1(-hazard).mean() - q)

        # the band's deaths fall as the divisor rises; where those needing 24-hour care alone die
        # faster than the band's rate, the others' hazard is as small as it can be
        if not rated.any():
            continue  # no one in the band has any need: nothing to hold (not reachable with need > 0)
        centre = np.log(rated.mean() / rates[b])
        lo, hi = centre - 40.0, centre + 40.0
        if excess(lo) <= 0:
            raise ValueError(
                f"age band {b} ({rows.size} residents, death rate {rates[b]}): even the largest hazards "
                "the norm allows give fewer deaths than the rate; the band's need cannot be normalised"
            )
        factor[b] = np.exp(hi if excess(hi) > 0 else brentq(excess, lo, hi, xtol=1e-12, rtol=1e-12))
    return factor


def death_norm(pop: Population, model: CareModel, band: np.ndarray) -> DeathNorm:
    """The norm of the year's death hazards, so that each band's deaths over the year among those
    alive at the year start are its cited rate's, 1 - exp(-rate) a head, those needing 24-hour care
    (at their own rate) included. Holding the band's mean hazard instead gave fewer deaths the more
    need varies within the band, since the frailest cannot die more than once: at a death
    need-elasticity of 1.3 the 85+ ran 5-8% over the projection within three years.
    Set each year start from need alone, which no scenario changes, so it is the same in every
    scenario and no avoided crisis moves anyone's hazard."""
    mort = model.mortality
    rates = np.asarray(mort.annual_death_rate.value)
    sex = sex_factor(pop, model)
    weight = sex * within_band_age_factor(pop, model, band) * pop.need**mort.need_elasticity.value
    lowest = mort.dependent_death_rate.value * sex
    alive = pop.alive
    mids = band_mids(model.population)
    # the knots start at each band's mean weight (where a band is empty, from its neighbours')
    count = np.bincount(band[alive], minlength=rates.size)
    total = np.bincount(band[alive], weights=weight[alive], minlength=rates.size)
    held = (count > 0) & (total > 0)
    if not held.any():
        return DeathNorm(mids, np.zeros(rates.size), np.ones(rates.size))
    log_knots = np.interp(mids, mids[held], np.log(total[held] / count[held]))
    live, dep = band[alive], pop.dependent[alive]
    rate_of = rates[live]
    # the living's weights, ages and floors, read once for the passes
    weight_of, age_of, lowest_of = weight[alive], pop.age[alive], lowest[alive]
    # deaths a head over the year that each band's rate asks (its residents alive at the start)
    want = -np.expm1(-rates)
    floor_death = -np.expm1(-lowest_of)
    for _ in range(NORM_PASSES - 1):  # quick Newton passes: those at the floor of 24-hour care held there
        h = rate_of * weight_of / np.exp(np.interp(age_of, mids, log_knots))
        floored = dep & (h < lowest_of)
        e = np.exp(-h)
        floor_part = np.bincount(live, weights=np.where(floored, floor_death, 0.0), minlength=rates.size)
        deaths = np.bincount(live, weights=np.where(floored, 0.0, 1.0 - e), minlength=rates.size)
        slope = np.bincount(live, weights=np.where(floored, 0.0, h * e), minlength=rates.size)
        room = want * count - floor_part  # the deaths the others must come to
        ok = held & (room > 0) & (slope > 0)
        # the multiplier of the others' hazards that meets it, to first order
        c = np.where(ok, 1.0 + (room - deaths) / np.where(ok, slope, 1.0), 1.0)
        log_knots = log_knots - np.log(np.clip(c, 0.2, 5.0))
    ref = np.exp(np.interp(pop.age, mids, log_knots))
    factor = band_factors(rates, weight, ref, pop.dependent, lowest, band, alive)
    return DeathNorm(mids, log_knots, factor)


def death_hazard(
    pop: Population, model: CareModel, band: np.ndarray, norm: DeathNorm, rows: np.ndarray | None = None
) -> np.ndarray:
    """Deaths per person-year: the rate at the resident's age times need relative to the
    reference need at that age, or, once the resident needs 24-hour care, the rate of those who
    do (if higher); split by sex. ``rows``: only these residents' (in their order)."""
    mort = model.mortality
    pick = slice(None) if rows is None else rows
    b = band[pick]
    sex = sex_factor(pop, model, pick)
    rate = np.asarray(mort.annual_death_rate.value)[b] * within_band_age_factor(pop, model, band, pick)
    rate = rate * pop.need[pick] ** mort.need_elasticity.value / norm.at(pop.age[pick], b)
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


def year_hazards(pop: Population, model: CareModel, band: np.ndarray, norm: DeathNorm) -> Hazards:
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
