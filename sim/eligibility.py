"""Who is eligible for an intervention (models.schema.Eligibility) at a year start."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from models.schema import CareModel, Eligibility
from models.vocabulary import STRATA
from sim.population import CARE_HOME, HOME, REABLEMENT, Population, has_condition
from sim.risk import top_risk


def _part(parts: dict | None, key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
    """One part of a rule, made once per assessment where ``parts`` keeps them: the interventions
    share most of theirs (the same strata, ages, settings), each a pass over every row."""
    if parts is None:
        return make()
    mask = parts.get(key)
    if mask is None:
        mask = parts[key] = make()
    return mask


def _in_settings(pop: Population, settings: list[str]) -> np.ndarray:
    where = np.zeros(pop.size, dtype=bool)
    if "home" in settings:
        where |= (pop.setting == HOME) | (pop.setting == REABLEMENT)
    if "care_home" in settings:
        where |= pop.setting == CARE_HOME
    return where


def eligible(
    pop: Population, model: CareModel, el: Eligibility, prior_admissions: np.ndarray, parts: dict | None = None
) -> np.ndarray:
    """Each row's eligibility under the rule ``el`` (alive or not: the caller takes the living)."""
    strata = tuple(STRATA.index(s) for s in el.strata)
    mask = _part(parts, ("strata", strata), lambda: np.isin(pop.stratum, strata))
    mask = mask & _part(parts, ("min_age", el.min_age), lambda: pop.age >= el.min_age)
    mask &= _part(parts, ("max_age", el.max_age), lambda: pop.age <= el.max_age)
    if el.min_prior_admissions > 0:
        mask &= prior_admissions >= el.min_prior_admissions
    if el.boroughs:
        mask &= np.isin(pop.borough, [model.population.boroughs.index(b) for b in el.boroughs])
    if el.networks:
        mask &= np.isin(pop.network, el.networks)
    if el.top_risk_share is not None:
        share = el.top_risk_share
        mask &= _part(parts, ("top_risk", share), lambda: top_risk(pop.risk_score, pop.alive, share))
    mask &= _part(parts, ("settings", tuple(sorted(el.settings))), lambda: _in_settings(pop, el.settings))
    if el.conditions:
        cond = np.zeros(pop.size, dtype=bool)
        for c in el.conditions:
            cond |= _part(
                parts,
                ("condition", c),
                lambda c=c: has_condition(c, pop.ltc, pop.dementia, pop.cancer, pop.learning_disability, pop.smi),
            )
        mask &= cond
    return mask
