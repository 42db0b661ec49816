"""The start sits where business as usual's dynamics keep frailty within age: deaths take the
frailest old and the healthier young move out more than newcomers replace them, so with frailty
drawn alike at every age each band's mean drifted for years (issue 16, stationary within age)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.population import age_band
from sim.replication import Replication


def _band_z(rep: Replication) -> np.ndarray:
    pop, m = rep.sys.pop, rep.model
    sf = m.need.frailty_sigma.value
    z = (np.log(np.maximum(pop.frailty, 1e-300)) + 0.5 * sf * sf) / sf
    band = age_band(pop.age, np.asarray(m.population.age_band_lower.value))
    return np.array([z[pop.alive & (band == b)].mean() for b in range(6)])


def _drift(model, scale: float) -> np.ndarray:
    rep = Replication(model, 0, 17, years=5, scale=scale)
    start = _band_z(rep)
    rep.run()
    return _band_z(rep) - start


@pytest.mark.slow
def test_each_age_band_s_frailty_holds_over_five_years(baseline):
    # full population: at a quarter the 85+'s mean (about 1,800 people) moves by 0.07 by chance
    assert np.abs(_drift(baseline, 1.0)).max() < 0.05


@pytest.mark.slow
def test_without_the_shift_the_old_s_frailty_falls_and_the_young_s_rises(baseline):
    data = baseline.model_dump()
    data["need"]["frailty_start_shift"] = None
    drift = _drift(type(baseline).model_validate(data), 0.25)
    # expected about -0.17 and +0.11; the 85+'s chance at a quarter is about 0.07
    assert drift[5] < -0.08 and drift[1] > 0.06


def test_the_shift_moves_only_the_starting_residents(baseline):
    rep = Replication(baseline, 0, 17, years=1, scale=0.02)
    data = baseline.model_dump()
    data["need"]["frailty_start_shift"] = None
    plain = Replication(type(baseline).model_validate(data), 0, 17, years=1, scale=0.02)
    n = rep.initial_residents
    sf = baseline.need.frailty_sigma.value
    shift = np.asarray(baseline.need.frailty_start_shift.value)
    band = age_band(plain.sys.pop.age[:n], np.asarray(baseline.population.age_band_lower.value))
    assert rep.sys.pop.frailty[:n] == pytest.approx(plain.sys.pop.frailty[:n] * np.exp(sf * shift[band]))
    assert np.array_equal(rep.sys.pop.frailty[n:], plain.sys.pop.frailty[n:])
    # need follows the shifted frailty from the first day
    assert rep.sys.pop.need[:n] == pytest.approx(plain.sys.pop.need[:n] * np.exp(sf * shift[band]))


def test_a_shift_of_the_wrong_length_is_refused(baseline):
    data = baseline.model_dump()
    data["need"]["frailty_start_shift"]["value"] = [0.1, 0.2]
    with pytest.raises(ValueError, match=r"need\.frailty_start_shift has 2 values; expected 6"):
        type(baseline).model_validate(data)
