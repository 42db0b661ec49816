"""The system at the start: who already holds a package of home care or a care home place."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.demography import move_out_chance
from sim.hazards import Hazards, sex_factor
from sim.initial_state import care_home_stock_weight, package_stock_weight
from sim.population import CARE_HOME, HOME
from sim.replication import Replication
from tests.sim.synthetic import population_hazards


def _band(model, pop):
    return np.searchsorted(np.asarray(model.population.age_band_lower.value), pop.age, side="right") - 1


def _weight(model, pop, band, hz):
    """The weight with each resident's own chance of moving out, as the start computes it."""
    return package_stock_weight(model, band, hz, move_out_chance(pop, model, band, pop.alive))


def test_the_weight_is_a_chance_and_follows_the_stay(baseline):
    pop, hz = population_hazards(baseline, 2000, seed=3)
    band = _band(baseline, pop)
    w = _weight(baseline, pop, band, hz)
    assert ((w > 0) & (w < 1)).all(), "a long-run share of time, never more than all of it"
    # with no way out but the end rate, the chance is start / (start + end rate): a resident whose
    # packages start at the end rate holds one half the time
    staying = _moving_out_at(baseline)
    mu = baseline.home_care.end_rate.value
    none = np.zeros_like(hz.death)
    even = Hazards(np.zeros_like(hz.crisis), none, np.full_like(hz.death, mu), none)
    still = np.zeros_like(hz.death)
    np.testing.assert_allclose(package_stock_weight(staying, band, even, still), 0.5)
    # a hundredfold start rate is held nearly all the time, not a hundredfold more often
    busy = Hazards(np.zeros_like(hz.crisis), none, np.full_like(hz.death, 100 * mu), none)
    np.testing.assert_allclose(package_stock_weight(staying, band, busy, still), 100 / 101)
    # moving out ends a package too, at the resident's own chance a year as a hazard
    moving = move_out_chance(pop, baseline, band, pop.alive)
    moves = -np.log1p(-moving)
    np.testing.assert_allclose(package_stock_weight(baseline, band, even, moving), mu / (2 * mu + moves))


def _moving_out_at(model, factor: float = 0.0):
    """The model with every band's rate of moving out times ``factor`` (none by default)."""
    data = model.model_dump()
    rates = data["demography"]["out_migration_rate"]["value"]
    data["demography"]["out_migration_rate"]["value"] = [factor * r for r in rates]
    return type(model).model_validate(data)


@settings(max_examples=20, deadline=None)
@given(factor=st.floats(1.05, 3.0))
def test_a_band_that_moves_out_more_holds_fewer_packages(baseline, factor):
    pop, hz = population_hazards(baseline, 300, seed=11)
    band = _band(baseline, pop)
    w = _weight(baseline, pop, band, hz)
    more = _weight(_moving_out_at(baseline, factor), pop, band, hz)
    moving = np.asarray(baseline.demography.out_migration_rate.value)[band] > 0
    assert (more[moving & (w > 0)] < w[moving & (w > 0)]).all()


@settings(max_examples=30, deadline=None)
@given(factor=st.floats(1.5, 20.0))
def test_a_shorter_stay_holds_fewer_packages(baseline, factor):
    pop, hz = population_hazards(baseline, 300, seed=5)
    band = _band(baseline, pop)
    w = _weight(baseline, pop, band, hz)
    dying = Hazards(hz.crisis, hz.death * factor + 1.0, hz.package_referral, hz.care_home_referral)
    assert (_weight(baseline, pop, band, dying) < w).all()


def test_discharges_start_packages_for_those_never_referred(baseline):
    pop, hz = population_hazards(baseline, 300, seed=7)
    band = _band(baseline, pop)
    none = Hazards(hz.crisis, hz.death, np.zeros_like(hz.package_referral), hz.care_home_referral)
    w = _weight(baseline, pop, band, none)
    adults = pop.age >= 18  # every adult band's discharges start packages (none of children's)
    assert (w[adults] > 0).all()
    assert (w[pop.age < 18] == 0).all()


@pytest.fixture(scope="module")
def started(baseline):
    return Replication(baseline, replication=0, seed=19, years=1, scale=0.05, event_log=False, person_log=False)


def test_adults_of_every_age_hold_the_starting_packages(started):
    pop = started.sys.pop
    holds = pop.package_hours > 0
    assert holds.any()
    assert not (holds & (pop.age < 18)).any(), "no child holds a package"
    assert not (holds & (pop.setting == CARE_HOME)).any(), "nobody placed in a care home holds one"
    assert (pop.setting[holds] == HOME).all()
    assert (holds & (pop.age >= 65)).any() and (holds & (pop.age < 45)).any(), "the young and the old"
    young = np.count_nonzero(holds & (pop.age < 65))
    # the model's own flows put about two fifths of the packages on the under-65s (a discharge
    # with a package, reablement then a package, or a referral; the young's packages last longer)
    assert 0.25 < young / np.count_nonzero(holds) < 0.6


@settings(max_examples=50, deadline=None)
@given(
    entry=st.lists(st.floats(0.0, 1.0, allow_subnormal=False), min_size=2, max_size=30),
    death=st.lists(st.floats(0.4, 5.0), min_size=2, max_size=30),
)
def test_a_care_home_place_is_held_in_proportion_to_entry_over_death(entry, death):
    """The steady state's stock: entry times the mean stay (one over the death hazard once placed),
    so of two residents who enter alike the one who dies twice as fast holds half the places."""
    n = min(len(entry), len(death))
    e, d = np.asarray(entry[:n]), np.asarray(death[:n])
    w = care_home_stock_weight(e, d)
    np.testing.assert_allclose(w, e / d)
    np.testing.assert_allclose(care_home_stock_weight(e, 2 * d), w / 2)
    assert (care_home_stock_weight(e, np.zeros(n)) == 0).all(), "no hazard, no weight (not a division by nil)"


def test_the_starting_care_home_residents_are_those_who_stay_not_those_who_die_soonest(started, baseline):
    """Chosen by entry alone, the starting residents were those who also die fastest, so the stock
    fell in the warm-up year and rose for five after as longer-lived entrants replaced them. Chosen
    by entry over death, their expected stays (the mean of 1 / hazard once placed) are about 2.4
    years against 1.3-1.6 for a choice by entry (a twentieth, seed 19, on and before the start's
    burn-in of deaths). Read as stays, not mean hazards: one placed resident dying at 45 a year
    (a shock, at 90) moved the mean hazard of 87 from 0.5 to 1.0."""
    pop, hz = started.sys.pop, started.community.hazards
    m = baseline
    placed = pop.setting == CARE_HOME
    could = (pop.setting == HOME) & pop.alive & (pop.age >= m.care_homes.min_age.value)
    death = np.maximum(hz.death, m.mortality.dependent_death_rate.value * sex_factor(pop, m))
    entry = hz.care_home_referral
    stay_by_entry = (entry[could] / death[could]).sum() / entry[could].sum()
    stay = (1 / death[placed]).mean()
    assert placed.sum() > 50
    assert stay > 1.3 * stay_by_entry
    assert stay > 2.0, "stays of over two years on average, as the steady state's"
