"""A synthetic population and its year's hazards, for tests of what the hazards follow."""

import numpy as np

from models.schema import CareModel
from sim.hazards import Hazards, death_norm, year_hazards
from sim.population import Population, age_band, synthesise


def population_hazards(model: CareModel, n: int, seed: int) -> tuple[Population, Hazards]:
    pop = synthesise(model, n, np.random.default_rng(seed))
    band = age_band(pop.age, np.asarray(model.population.age_band_lower.value))
    return pop, year_hazards(pop, model, band, death_norm(pop, model, band))
