"""Routine contacts accrued in bulk: GP, practice nurse, district nurse, other community health,
outpatient, elective, minor A&E and other social care. Each resident's expected contacts follow
their need and the days they spent at home or in a care home, and a kind no workforce delivers may
also follow each of the year's elective admissions; counts are drawn once a year, and the
workforce hours they need once a period.
"""

from __future__ import annotations

import numpy as np

from models.schema import CareModel
from models.vocabulary import CONTACT_MEASURES, CONTACTS, DAYS_PER_YEAR, PLANNED_CONTACTS, ROLE_CONTACTS
from sim.ledger import Ledger
from sim.population import CARE_HOME, HOME, REABLEMENT, VIRTUAL_WARD, Population, frailty_normal
from sim.row_draws import poisson_from_uniform, uniform_columns

# each kind with the index of its uniforms' columns, elective admissions first, as contacts may
# follow them
DRAW_ORDER = tuple(sorted(enumerate(CONTACT_MEASURES.items()), key=lambda kind: kind[1][0] != "elective"))


def annual_rates(pop: Population, model: CareModel) -> dict[str, np.ndarray]:
    """Contacts per person-year at home for each contact type, from current need."""
    out = {}
    for name in CONTACTS:
        c = getattr(model.routine_contacts, name)
        out[name] = need_rate(pop, model, c.rate.value, c.elasticity.value, c.leaf_elasticity)
    sigma = model.need.planned_care_sigma
    if sigma is not None and sigma.value > 0:
        z = planned_care_normal(pop, model)
        propensity = np.exp(sigma.value * z - 0.5 * sigma.value**2)  # lognormal, mean one
        for name in PLANNED_CONTACTS:
            out[name] = out[name] * propensity
    return out


def planned_care_normal(pop: Population, model: CareModel) -> np.ndarray:
    """The standard normal behind each resident's planned-care propensity: their own draw, or, with
    a correlation rho with frailty, rho x frailty's standard normal + sqrt(1 - rho^2) x their own.
    Frailty is lognormal (of mean one before the start's shift by age band), so its normal is
    (log frailty + sd^2 / 2) / sd."""
    rho = model.need.planned_care_frailty_correlation
    sf = model.need.frailty_sigma.value
    if rho is None or rho.value == 0 or sf == 0:
        return pop.planned
    frail = frailty_normal(pop.frailty, sf)
    return rho.value * frail + np.sqrt(1.0 - rho.value**2) * pop.planned


def need_rate(pop: Population, model: CareModel, rate: float, elasticity: float, leaf_elasticity) -> np.ndarray:
    """A rate per person-year from need: rate x (need / reference) ** elasticity, or, with a leaf
    elasticity, rate x (leaf need / reference) ** leaf x (need / leaf need) ** elasticity."""
    ref = model.need.reference.value
    if leaf_elasticity is None:
        return rate * (pop.need / ref) ** elasticity
    return rate * (pop.base_need / ref) ** leaf_elasticity.value * (pop.need / pop.base_need) ** elasticity


def draw_year(
    ledger: Ledger,
    rates: dict[str, np.ndarray],
    model: CareModel,
    rng: np.random.Generator,
    delivered: dict[str, np.ndarray] | None = None,
    borough: np.ndarray | None = None,
) -> None:
    """Add the year's routine contacts to the ledger, given days at home and in care homes. A
    bulk role delivers only its ``delivered`` share (by borough) of the contacts asked of it: a
    Poisson count thinned is a Poisson count of the thinned mean. Electives are drawn first, so
    contacts that follow them (``per_elective``) follow those of this year."""
    m = ledger.m
    home_years = m["community_days"] / DAYS_PER_YEAR
    care_home_years = (m["care_home_days_residential"] + m["care_home_days_nursing"]) / DAYS_PER_YEAR
    # two uniforms per resident and contact, as one call draws them: a resident's counts take the
    # same numbers whatever anyone else's days came to (sim/row_draws.py). They go into the ledger's
    # buffer, kept from year to year, as a fresh array of this size is slow to allocate.
    if ledger.routine_uniforms is None:
        ledger.routine_uniforms = np.empty((2 * len(CONTACT_MEASURES), home_years.size))
    u = uniform_columns(rng, home_years.size, 2 * len(CONTACT_MEASURES), ledger.routine_uniforms)
    for k, (name, measure) in DRAW_ORDER:
        contact = getattr(model.routine_contacts, name)
        mean = rates[name] * (home_years + contact.care_home_multiplier.value * care_home_years)
        if contact.per_elective is not None and contact.per_elective.value > 0:  # the year's electives, drawn above
            mean = mean + contact.per_elective.value * m["elective"]
        if delivered is not None and name in delivered:
            mean = mean * delivered[name][borough]
        m[measure] += episode_counts(mean, contact.episode_size, u[2 * k], u[2 * k + 1])
    m["ae_attendances"] += m["ae_minor"]


def episode_counts(mean: np.ndarray, episode_size, u_episodes: np.ndarray, u_more: np.ndarray) -> np.ndarray:
    """Contacts with the given means, each count by inversion of one uniform: plain Poisson, or
    Poisson episodes of mean size k, each one contact plus Poisson(k - 1) more (a compound Poisson
    count with the same mean)."""
    if episode_size is None or episode_size.value <= 1.0:
        return poisson_from_uniform(u_episodes, mean)
    k = episode_size.value
    episodes = poisson_from_uniform(u_episodes, mean / k)
    return episodes + poisson_from_uniform(u_more, (k - 1.0) * episodes)


def period_demand_hours(
    pop: Population, rates: dict[str, np.ndarray], model: CareModel, period_days: float, n_boroughs: int
) -> dict[str, np.ndarray]:
    """Hours each role is asked for in a period, by borough, from who is where now."""
    s = pop.setting
    home = (s == HOME) | (s == REABLEMENT) | (s == VIRTUAL_WARD)
    care = s == CARE_HOME
    out = {}
    for name in ROLE_CONTACTS:
        c = getattr(model.routine_contacts, name)
        weight = rates[name] * (home + c.care_home_multiplier.value * care)
        contacts = np.bincount(pop.borough, weights=weight, minlength=n_boroughs) * period_days / DAYS_PER_YEAR
        out[name] = contacts * c.minutes.value / 60.0
    return out
