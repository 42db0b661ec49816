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


def test_a_fit_with_a_five_year_row_runs_six_years_and_keys_them_apart(make_data, monkeypatch):
    """A row that reads year 5 (the drift of the delayed share, say) cannot be measured on the fit's
    usual two years, so the fit runs the check's six; its evaluations are not a two-year fit's."""
    import calibration.fit as F
    from calibration import longitudinal
    from calibration.fit import objective_targets

    data = make_data()
    x = start(data)
    plain = Objective(data, FitSpec())
    late = [t for t in longitudinal.load_targets() if t.name == "drift_delayed_points"]
    five = Objective(data, FitSpec(), targets=objective_targets() + late)
    assert (plain.years, five.years) == (longitudinal.YEARS, longitudinal.CHECK_YEARS)
    assert five._key(x) != plain._key(x)
    for name in longitudinal.LATE:  # every late row needs six years; no other row does
        row = [t for t in longitudinal.load_targets() if t.name == name]
        assert row and longitudinal.years_needed(row) == longitudinal.CHECK_YEARS
    assert longitudinal.years_needed(objective_targets()) == longitudinal.YEARS
    asked = []
    monkeypatch.setattr(F, "_evaluate_one", lambda d, x, scale, seed, years=2: asked.append(years) or {})
    monkeypatch.setattr(F, "Parallel", lambda n_jobs: lambda tasks: [f(*a, **kw) for f, a, kw in tasks])
    five.achieved_many([x])
    assert asked and set(asked) == {longitudinal.CHECK_YEARS}


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


def test_the_fit_finds_the_truth_at_its_own_scale_and_runs_each_seed_as_a_task(make_data, monkeypatch):
    """With every target true at one value of a parameter (and the seeds' noise averaging out), the
    fit lands there; every run is at the fit's own scale (no gap to another is measured), each
    (point, seed) is one task and the point's result is the mean over its seeds."""
    import calibration.fit as F
    from calibration.parameters import NAMES, PARAMETERS
    from calibration.targets import load_targets

    data = make_data()
    targets = load_targets()
    k = NAMES.index("nel:log_scale")
    x0 = start(data)
    truth = x0[k] + 0.05
    assert PARAMETERS[k].lower < truth < PARAMETERS[k].upper
    runs = []

    def fake(d, x, scale, seed, years=2):
        runs.append((float(x[k]), scale, seed))
        noise = 0.1 * (seed - 1.5)  # the seeds' mean is the noiseless value
        return {t.name: t.value + t.tolerance * (3 * (x[k] - truth) / PARAMETERS[k].step + noise) for t in targets}

    monkeypatch.setattr(F, "_evaluate_one", fake)
    batches = []

    def parallel(n_jobs):
        def run(tasks):
            tasks = list(tasks)
            batches.append(len(tasks))
            return [f(*a, **kw) for f, a, kw in tasks]

        return run

    monkeypatch.setattr(F, "Parallel", parallel)
    spec = FitSpec(jobs=1, rounds=2, leaf_steps=0, max_evaluations=10, free=(k,), seeds=(1, 2))
    x, obj = F.fit(data, spec, progress=lambda line: None, x0=x0)
    assert abs(x[k] - truth) < 0.01 * PARAMETERS[k].step, (x[k], truth)
    assert all(r[1] == 0.25 for r in runs), "every run at the fit's own scale"
    assert obj.evaluations == len({(r[0], r[1]) for r in runs})
    assert sum(batches) == len(runs) == 2 * obj.evaluations, "one task per (point, seed)"


def test_a_point_the_schema_refuses_scores_out_of_band_instead_of_stopping_the_fit(make_data):
    """At the edge of its range a step can ask for a model the schema refuses (here the resident of
    highest need would have more crises a year than a run can hold): it has no results, and every
    target counts as far out of band."""
    import numpy as np

    from calibration.fit import _evaluate_one, residuals
    from calibration.parameters import NAMES, start
    from calibration.targets import load_targets

    data = make_data()
    x = start(data)
    x[NAMES.index("nel:elasticity_shift")] = 1.5
    x[NAMES.index("nel:log_scale")] = 3.0
    got = _evaluate_one(data, x, 0.002, 1)
    assert got == {}
    r = np.nan_to_num(residuals(got, load_targets()), nan=50.0)
    assert (r == 50.0).all()
    assert _evaluate_one(data, start(data), 0.002, 1), "the start itself is evaluated"
