"""The system as it stands when the simulation starts: residents already in care homes and
already receiving home care, chosen with probability proportional to their referral hazard.
"""

from __future__ import annotations

import numpy as np

from sim.population import CARE_HOME, HOME, NURSING, RESIDENTIAL
from sim.system import System


def _pick(rng: np.random.Generator, weight: np.ndarray, k: int) -> np.ndarray:
    k = min(k, int(np.count_nonzero(weight > 0)))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    return rng.choice(weight.size, size=k, replace=False, p=weight / weight.sum())


def populate(
    system: System, care_home_weight: np.ndarray, package_weight: np.ndarray, rng: np.random.Generator
) -> None:
    """Fill care homes and home-care markets to the model's starting levels."""
    s, pop, m = system, system.pop, system.model
    init = m.initial_state
    ch = s.care_homes
    eligible = (pop.setting == HOME) & (pop.age >= m.care_homes.min_age.value)
    for kind in (RESIDENTIAL, NURSING):
        home = ch.homes[kind]
        if home is None:
            continue
        k = round(init.care_home_occupancy.value * home.capacity)
        who = _pick(rng, np.where(eligible, care_home_weight, 0.0), k)
        for i in who.tolist():
            ch.held[i] = home.request()  # granted at once: the home has room
            pop.placement[i] = kind
            s.community.stop(i, 0.0)
            pop.setting[i] = CARE_HOME
            s.care_home[kind].start(i, 0.0)
        eligible[who] = False

    eligible &= pop.age >= 18
    u = rng.random(pop.size)
    for b, market in enumerate(s.home_care.markets):
        if market is None:
            continue
        target = init.home_care_utilisation.value * market.capacity
        weight = np.where(eligible & (pop.borough == b), package_weight, 0.0)
        mean_hours = s.home_care.mean * 1.0
        candidates = _pick(rng, weight, int(target / max(mean_hours, 1.0)) * 2)
        used = 0
        for i in candidates.tolist():
            hours = s.home_care.package_size(i, float(u[i]))
            if used + hours > target:
                break
            market.get(hours)  # granted at once: the market has the hours
            used += hours
            pop.package_hours[i] = hours
            s.sc.start(i, 0.0, hours / 7.0)
