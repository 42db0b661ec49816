"""The fit's cache: a rerun resumes from it, and a cache left by a fit from another start is never
read as this one's (the vector is relative to the start's priors)."""

from __future__ import annotations

import json

import numpy as np

from calibration.fit import FitSpec, Objective
from calibration.parameters import start


def test_cache_keys_name_the_start_the_seeds_and_the_scale(make_data):
    data = make_data()
    x = start(data)
    key = Objective(data, FitSpec())._key(x)
    assert Objective(make_data(), FitSpec())._key(x) == key, "the same start resumes"
    assert Objective(make_data(**{"hospital.beds": 1}), FitSpec())._key(x) != key
    assert Objective(data, FitSpec(seeds=(1, 2)))._key(x) != key
    assert Objective(data, FitSpec(scale=0.5))._key(x) != key


def test_a_rerun_reads_the_cached_evaluation_instead_of_simulating(make_data, tmp_path):
    data = make_data()
    x = start(data)
    path = tmp_path / "fit.cache.json"
    first = Objective(data, FitSpec(), path)
    marker = {"total_spend": 123.0}
    path.write_text(json.dumps({first._key(x): marker}))
    again = Objective(data, FitSpec(), path)
    assert again.achieved_many([np.array(x)]) == [marker]
    assert again.evaluations == 0


def test_a_round_aims_at_the_larger_scale_by_the_gap_measured_at_its_start(make_data):
    """The gap between scales, measured at the round's start, is added to every evaluation of the
    round: at the start the fit sees the larger scale's results, elsewhere its own plus the gap."""
    data = make_data()
    x = start(data)
    moved = x.copy()
    moved[0] += 0.1
    obj = Objective(data, FitSpec(correct_to_scale=1.0))
    obj.progress = lambda line: None
    obj.cache = {
        obj._key(x): {"total_spend": 500.0, "high:nel_admissions": 0.80},
        obj._key(x, 1.0): {"total_spend": 520.0, "high:nel_admissions": 0.85},
        obj._key(moved): {"total_spend": 510.0, "high:nel_admissions": 0.90},
    }
    obj.correct(x)
    assert obj.evaluations == 0
    here, there = obj.corrected_many([x, moved])
    assert here["total_spend"] == 520.0 and np.isclose(here["high:nel_admissions"], 0.85)
    assert there["total_spend"] == 530.0 and np.isclose(there["high:nel_admissions"], 0.95)
    assert obj.achieved_many([moved])[0]["total_spend"] == 510.0, "the cache keeps raw results"
    # off by default, and off when the scale aimed at is the fit's own
    for spec in (FitSpec(), FitSpec(correct_to_scale=0.25)):
        plain = Objective(data, spec)
        plain.cache = dict(obj.cache)
        plain.correct(x)
        assert plain.corrected_many([moved])[0]["total_spend"] == 510.0
