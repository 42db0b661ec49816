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
