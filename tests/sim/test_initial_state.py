"""The system at the start: who already holds a package of home care or a care home place."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.hazards import Hazards
from sim.initial_state import package_stock_weight
from sim.population import CARE_HOME, HOME
from sim.replication import Replication
from tests.sim.synthetic import population_hazards


def _band(model, pop):
    return np.searchsorted(np.asarray(model.population.age_band_lower.value), pop.age, side="right") - 1


def test_the_stock_is_the_inflow_times_the_stay(baseline):
    pop, hz = population_hazards(baseline, 2000, seed=3)
    band = _band(baseline, pop)
    w = package_stock_weight(baseline, band, hz)
    hosp = baseline.hospital
    to = np.asarray(hosp.discharge.value)[band]
    inflow = hz.package_referral + hz.crisis * np.asarray(hosp.p_admit.value)[band] * (
        to[:, 1] + to[:, 2] * baseline.reablement.p_package.value
    )
    stay = 1.0 / (baseline.home_care.end_rate.value + hz.death + hz.care_home_referral)
    np.testing.assert_allclose(w, inflow * stay)
    assert (w > 0).all()


@settings(max_examples=30, deadline=None)
@given(factor=st.floats(1.5, 20.0))
def test_a_shorter_stay_holds_fewer_packages(baseline, factor):
    pop, hz = population_hazards(baseline, 300, seed=5)
    band = _band(baseline, pop)
    w = package_stock_weight(baseline, band, hz)
    dying = Hazards(hz.crisis, hz.death * factor + 1.0, hz.package_referral, hz.care_home_referral)
    assert (package_stock_weight(baseline, band, dying) < w).all()


def test_discharges_start_packages_for_those_never_referred(baseline):
    pop, hz = population_hazards(baseline, 300, seed=7)
    band = _band(baseline, pop)
    none = Hazards(hz.crisis, hz.death, np.zeros_like(hz.package_referral), hz.care_home_referral)
    w = package_stock_weight(baseline, band, none)
    adults = pop.age >= 45  # bands whose discharges start packages
    assert (w[adults] > 0).all()


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
    young = np.count_nonzero(holds & (pop.age < 65))
    # the model's own flows put about two fifths of the packages on the under-65s (a discharge
    # with a package, reablement then a package, or a referral; the young's packages last longer)
    assert 0.25 < young / np.count_nonzero(holds) < 0.6
