"""The system as it stands when the simulation starts: residents already in care homes, chosen
in proportion to how long each would hold a place in a steady state (``care_home_stock_weight``),
and residents already
receiving home care, chosen in proportion to how many of the model's own packages each would hold
in a steady state (``package_stock_weight``).
"""

from __future__ import annotations

import numpy as np

from models.schema import CareModel
from models.vocabulary import DAYS_PER_YEAR
from sim.demography import move_out_chance
from sim.hazards import Hazards, sex_factor
from sim.population import HOME, NURSING, RESIDENTIAL
from sim.settings import Settings
from sim.streams import Streams


def _pick(rng: np.random.Generator, weight: np.ndarray, k: int) -> np.ndarray:
    k = min(k, int(np.count_nonzero(weight > 0)))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    return rng.choice(weight.size, size=k, replace=False, p=weight / weight.sum())


def package_stock_weight(model: CareModel, band: np.ndarray, hz: Hazards, moving: np.ndarray) -> np.ndarray:
    """Each resident's chance of holding a package at any moment, had the system run as modelled
    for years: a resident without a package starts one at rate lambda (a referral from the
    community, or a discharge with a new package or reablement then one) and one with a package
    ends it at rate mu (the end rate, death, or a need for 24-hour care), so in the long run they
    hold one lambda / (lambda + mu) of the time.

    The starting packages went to the 65+ only, in proportion to the referral hazard alone: the
    discharges that start most packages, and the longer packages of the young, were missing, so
    from year 1 to year 5 the 65+'s home-care hours a head fell 7% and the under-65s' rose 46%
    (full population, seeds 1001-1005). Crises reaching the access point rather than A&E are
    counted as if at A&E (an assumption: a small share, and the same across ages).

    A package also ends when its holder moves out of the tri-borough, at their own chance a year
    of moving (``moving``: their band's rate, lower as their need is higher; the band's rate alone
    overstated the 18-44 holders' endings by about 0.09 a year). Without it the under-65s, of whom a fifth of the 18-44s
    move out a year, held 442 packages at the start against about 305 their flows keep, and drained
    for three years (quarter scale, seeds 3001-3002; 410 with it, the rest of the excess being
    the start's fill, fitted)."""
    hosp = model.hospital
    p_admit = np.asarray(hosp.p_admit.value)[band]
    to = np.asarray(hosp.discharge.value)[band]  # (home, new package, reablement, care home)
    from_discharge = hz.crisis * p_admit * (to[:, 1] + to[:, 2] * model.reablement.p_package.value)
    starts = hz.package_referral + from_discharge
    moves_out = -np.log1p(-np.minimum(moving, 1.0 - 1e-12))
    ends = model.home_care.end_rate.value + hz.death + hz.care_home_referral + moves_out
    return starts / (starts + ends)


def care_home_stock_weight(entry: np.ndarray, placed_death: np.ndarray) -> np.ndarray:
    """Each resident's chance of being in a care home at any moment, had the system run as modelled
    for years: they enter at their hazard of needing 24-hour care and stay until they die, at their
    hazard once placed, so the stock holds them in proportion to entry / death.

    Chosen in proportion to entry alone, the starting residents were those who also die fastest:
    the stock fell in the warm-up year and then rose 4% a year for five years as the entrants
    outlived them (care-home days a head of the 65+, standardised for age, year 5 over year 1:
    1.18; quarter scale, seeds 3001-3004)."""
    return np.divide(entry, placed_death, out=np.zeros_like(entry, dtype=float), where=placed_death > 0)


def populate(settings: Settings, hz: Hazards, streams: Streams) -> None:
    """Fill care homes and home-care markets to the model's starting levels. Each choice has a
    stream of its own, so the rows reserved for newcomers (weight nil) move none of them."""
    rng = streams["initial_state:care_homes"]
    s = settings.system
    pop, m = s.pop, s.model
    care_home_weight, death_hazard = hz.care_home_referral, hz.death
    moving = move_out_chance(pop, m, s.band, pop.alive & ~pop.dependent)
    package_weight = package_stock_weight(m, s.band, hz, moving)
    init = m.initial_state
    ch = settings.care_homes
    at_home = pop.setting == HOME  # those placed leave it
    old_enough = pop.age >= m.care_homes.min_age.value
    # those placed need 24-hour care: they die at least at that rate, split by sex as their own is
    # (sim/hazards.death_hazard; the hazards given here were set before anyone was placed)
    placed_death = np.maximum(death_hazard, m.mortality.dependent_death_rate.value * sex_factor(pop, m))
    resident_weight = care_home_stock_weight(care_home_weight, placed_death)
    for kind in (RESIDENTIAL, NURSING):
        home = ch.homes[kind]
        if home is None:
            continue
        k = round(init.care_home_occupancy.value * home.sample_capacity)
        who = _pick(rng, np.where(at_home & old_enough, resident_weight, 0.0), k)
        ch.fill_at_start(who, kind)
        if hasattr(home, "fill"):  # the rest of the population's residents, beside the sample's
            hazard = float(placed_death[who].mean()) if len(who) else 0.0
            stay = DAYS_PER_YEAR / hazard if hazard > 0 else None
            home.fill(round(init.care_home_occupancy.value * home.capacity) - len(who), stay)
        at_home[who] = False

    # any adult at home may hold a package (not only those old enough for a care home place)
    eligible = at_home & (pop.age >= 18)
    u = streams["initial_state:package_size"].random(pop.size)
    rng = streams["initial_state:home_care"]
    hc = settings.home_care
    for b, market in enumerate(hc.markets):
        if market is None:
            continue
        target = init.home_care_utilisation.value * market.capacity
        weight = np.where(eligible & (pop.borough == b), package_weight, 0.0)
        mean_hours = hc.mean * 1.0
        candidates = _pick(rng, weight, int(target / max(mean_hours, 1.0)) * 2)
        used = 0
        for i in candidates.tolist():
            hours = hc.package_size(i, float(u[i]))
            if used + hours > target:
                break
            hc.fill_at_start(i, hours)
            used += hours
