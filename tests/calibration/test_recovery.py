"""Calibration recovers known parameters: simulate with chosen values, fit from the priors.

Social care's scale is left out: most social care spend is capacity-bound (home care, care homes),
so on a small population the other-social-care scale is weakly identified (recovered to about
0.25 in log scale in trials). Social work and reablement are made ample: at 0.06 of the
population a borough's social work and reablement are a server or two, whose queues jam (Erlang C)
and make the objective rough. Home care and care homes keep their modelled capacity: made ample,
the fitted model's demand for them runs to five times the table's social care spend, which then
decides who is in each stratum and turns the strata's costs on single placements (the fit stayed
at its start in trials). So set, on four seeds, they came back to 0.036, 0.022 and 0.008 on the
committed fit (0.031, 0.028 and 0.021 on the fit before it). Two seeds are too few: on the committed
fit other hospital's scale came back 0.111 off. It is the weakest identified, since on a small
population outpatient and elective counts also move residents between the low and moderate
strata."""

from __future__ import annotations

import numpy as np
import pytest

from calibration.fit import FitSpec, Objective, fit
from calibration.parameters import NAMES, start
from calibration.targets import Target

CHOSEN = {"nel:log_scale": 0.3, "other_hospital:log_scale": 0.2, "ooh:log_scale": -0.25}


@pytest.mark.slow
def test_fit_recovers_chosen_parameters_on_a_small_population(make_data, ample):
    # downstream care ample: on a few thousand people the social care queues fill (README, Scale),
    # the beds with them, and A&E's trolley waits then cap admissions, so the NEL rate's scale
    # would hardly move the NEL cost
    # and the beds and A&E too: with a third more crises the hospital's beds fill, trolley waits
    # cap admissions, and the NEL rate's scale would no longer move its cost
    room = {"hospital.beds": 100_000, "emergency_department.majors_cubicles": 100_000}
    data = make_data(**ample, **room, **{"emergency_department.majors_clinician_hours": 100_000_000})
    x0 = start(data)
    truth = x0.copy()
    free = tuple(NAMES.index(n) for n in CHOSEN)
    for name, value in CHOSEN.items():
        truth[NAMES.index(name)] = value
    scale, seeds = 0.06, (9, 10, 11, 12)
    observed = Objective(data, FitSpec(scale=scale, seeds=seeds, jobs=2)).achieved_many([truth])[0]
    # the whole population's columns and the two big strata: on a few thousand people the top
    # strata hold tens, and who is in them turns on single admissions
    names = [
        f"{s}:{c}"
        for s in ("all", "moderate", "low")
        for c in ("nel_cost", "other_hospital_cost", "ooh_cost", "sc_cost")
    ] + ["total_spend"]
    targets = [Target(n, observed[n], max(0.05 * abs(observed[n]), 1.0), "recovery") for n in names if observed[n] > 0]
    spec = FitSpec(scale=scale, seeds=seeds, jobs=2, max_evaluations=20, free=free, rounds=1, leaf_steps=0)
    found, obj = fit(data, spec, x0=x0, targets=targets, progress=lambda line: None)
    error = np.abs(found[list(free)] - truth[list(free)])
    assert error.max() < 0.1, dict(zip(CHOSEN, error.round(3), strict=True))
    assert obj.best[0] < 0.5 * len(targets), "the targets are back within their bands on average"
