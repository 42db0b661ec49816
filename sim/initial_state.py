"""The system as it stands when the simulation starts: residents already in care homes and
already receiving home care, chosen with probability proportional to their referral hazard.
"""

from __future__ import annotations

import numpy as np

from models.vocabulary import DAYS_PER_YEAR
from sim.population import HOME, NURSING, RESIDENTIAL
from sim.settings import Settings
from sim.streams import Streams


def _pick(rng: np.random.Generator, weight: np.ndarray, k: int) -> np.ndarray:
    k = min(k, int(np.count_nonzero(weight > 0)))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    return rng.choice(weight.size, size=k, replace=False, p=weight / weight.sum())


def populate(
    settings: Settings,
    care_home_weight: np.ndarray,
    package_weight: np.ndarray,
    death_hazard: np.ndarray,
    streams: Streams,
) -> None:
    """Fill care homes and home-care markets to the model's starting levels. Each choice has a
    stream of its own, so the rows reserved for newcomers (weight nil) move none of them."""
    rng = streams["initial_state:care_homes"]
    s = settings.system
    pop, m = s.pop, s.model
    init = m.initial_state
    ch = settings.care_homes
    eligible = (pop.setting == HOME) & (pop.age >= m.care_homes.min_age.value)
    for kind in (RESIDENTIAL, NURSING):
        home = ch.homes[kind]
        if home is None:
            continue
        k = round(init.care_home_occupancy.value * home.sample_capacity)
        who = _pick(rng, np.where(eligible, care_home_weight, 0.0), k)
        ch.fill_at_start(who, kind)
        if hasattr(home, "fill"):  # the rest of the population's residents, beside the sample's
            # those placed need 24-hour care: they die at least at that rate (the hazards given
            # here were set before anyone was placed)
            floor = m.mortality.dependent_death_rate.value
            hazard = float(np.maximum(death_hazard[who], floor).mean()) if len(who) else 0.0
            stay = DAYS_PER_YEAR / hazard if hazard > 0 else None
            home.fill(round(init.care_home_occupancy.value * home.capacity) - len(who), stay)
        eligible[who] = False

    eligible &= pop.age >= 18
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
