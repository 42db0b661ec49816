"""Each resident's yearly hazards of the community events: crisis, death at home, referral for
home care and for a care home. Set at each year start from need, age and conditions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.schema import CareModel
from sim.population import Population
from sim.routine import need_rate


@dataclass(frozen=True)
class Hazards:
    """Events per person-year, one entry per resident."""

    crisis: np.ndarray
    death: np.ndarray  # outside a care home; care homes have their own rates
    package_referral: np.ndarray
    care_home_referral: np.ndarray


def year_hazards(pop: Population, model: CareModel, band: np.ndarray) -> Hazards:
    rel = pop.need / model.need.reference.value
    c = model.crisis
    crisis = (
        need_rate(pop, model, c.hazard.rate.value, c.hazard.elasticity.value, c.hazard.leaf_elasticity)
        * np.asarray(c.age_multiplier.value)[band]
    )
    mort = model.mortality
    death = np.asarray(mort.annual_death_rate.value)[band] * (pop.need / pop.base_need) ** mort.need_elasticity.value
    referral = model.home_care.referral
    package = referral.rate.value * rel**referral.elasticity.value
    ch = model.care_homes
    dementia = np.where(pop.dementia, ch.dementia_entry_multiplier.value, 1.0)
    care_home = ch.entry.rate.value * rel**ch.entry.elasticity.value * dementia
    return Hazards(crisis, death, package, care_home)
