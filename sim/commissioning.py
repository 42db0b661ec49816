"""What commissioned places cost whether used or not.

Virtual ward, intermediate care and reablement places are commissioned as blocks: a year pays
for every place's days, at the price of a day used, whether residents fill them or not. The days
residents used are already in their own costs (sim/ledger.py); this adds the whole block, and
the used part of it, as system measures, so the economics can count a scenario's added places as
investment rather than pay only for the days they happened to be used.
"""

from __future__ import annotations

import numpy as np

from models.schema import CareModel
from models.vocabulary import DAYS_PER_YEAR
from sim.ledger import COST_ITEMS
from sim.tally import SystemTally

# (model section, the measure a use is counted in, the unit cost of that use)
PLACES = (
    ("virtual_ward", "vw_days", "vw_day"),
    ("intermediate_care", "ic_days", "intermediate_care_day"),
    ("reablement", "reablement_episodes", "reablement_episode"),
)
COLUMN = {measure: column for measure, _key, column in COST_ITEMS}


def place_days_per_use(model: CareModel, section: str) -> float:
    """Place-days one counted use holds: a day, or a reablement episode's length."""
    return model.reablement.duration_days.value if section == "reablement" else 1.0


def tally_commissioned(
    model: CareModel, record: dict[str, np.ndarray], borough: np.ndarray, tally: SystemTally, inv_scale: float
) -> None:
    """Each borough's commissioned place-days and their cost for the year, and the part used
    (the whole population's use: the sample's times 1 / scale; places are full size at any scale).
    At a small sample the used part is an estimate and can pass the block in a borough with few
    places (a 5% sample of 10 places holds about half of one); it is exact at full population. A
    reablement episode holds its place for the whole duration, counted in the year it starts."""
    nb = len(model.population.boroughs)
    for section, measure, key in PLACES:
        places = getattr(model, section).places.value
        unit = getattr(model.unit_costs, key)
        per_use = place_days_per_use(model, section)
        price = unit.value / per_use  # per place-day
        used = np.bincount(borough, weights=record[measure], minlength=nb) * inv_scale * per_use
        payer = "nhs" if unit.payer == "NHS" else "council"
        column = COLUMN[measure].removeprefix("cost_")
        for b in range(nb):
            commissioned = places[b] * DAYS_PER_YEAR
            tally.add(b, f"{section}_place_days", commissioned)
            tally.add(b, f"{section}_place_days_used", used[b])
            tally.add(b, f"cost_places_{payer}", commissioned * price)
            tally.add(b, f"cost_places_used_{payer}", used[b] * price)
            tally.add(b, f"cost_places_used_{column}", used[b] * price)
