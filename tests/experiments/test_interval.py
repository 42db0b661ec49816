"""The one 95% interval rule: Student t over replications, which covers the mean 95% of the time
even for the few replications a run has, where 1.96 does not."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from experiments.interval import half_width


def test_half_width_is_student_t_over_the_replications():
    # with 2 degrees of freedom t has a closed form: (2p - 1) / sqrt(2p(1 - p)) at p = 0.975
    t2 = 0.95 / math.sqrt(2 * 0.975 * 0.025)
    assert half_width(1.0, 3) == pytest.approx(t2 / math.sqrt(3), rel=1e-12)
    assert half_width(2.0, 8) == pytest.approx(2 * 2.364624251592784 / math.sqrt(8), rel=1e-12)  # t(0.975, 7)
    assert half_width(1.0, 100_000) == pytest.approx(1.959963984540054 / math.sqrt(100_000), rel=1e-4)


def test_one_replication_has_no_interval():
    assert math.isnan(half_width(float("nan"), 1))
    assert math.isnan(half_width(0.0, 1))


def test_arrays_and_series_are_taken_element_by_element():
    sd = pd.Series([1.0, 1.0, np.nan, 3.0])
    n = pd.Series([3, 8, 1, 5])
    got = half_width(sd, n)
    assert isinstance(got, np.ndarray)
    want = [half_width(float(s), int(k)) for s, k in zip(sd, n, strict=True)]
    np.testing.assert_allclose(got, want, rtol=0, atol=0)
    assert np.isnan(got[2])


def test_t_covers_the_mean_as_claimed_where_196_falls_short():
    rng = np.random.default_rng(7)
    n, trials = 3, 40_000
    samples = rng.normal(10.0, 2.0, size=(trials, n))
    mean, sd = samples.mean(axis=1), samples.std(axis=1, ddof=1)
    covered_t = np.abs(mean - 10.0) <= half_width(sd, np.full(trials, n))
    covered_normal = np.abs(mean - 10.0) <= 1.96 * sd / math.sqrt(n)
    assert covered_t.mean() == pytest.approx(0.95, abs=0.005)
    assert covered_normal.mean() < 0.83  # about 0.81 with three replications
