"""A resident's random numbers are their own: they do not move with the horizon, with the rows
reserved for newcomers, or with what happens to anyone else."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.population import DEAD, HOSPITAL, synthesise
from sim.replication import Replication, run_replication
from sim.row_draws import BLOCK_ROWS, NORMAL_ABOVE, keyed_uniforms, poisson_from_uniform, uniform_columns
from sim.streams import Streams


def test_keyed_uniforms_are_uniform_and_independent_across_rows_and_columns():
    rows = np.arange(200_000)
    u = keyed_uniforms(Streams(1, 0).key("test"), rows, np.zeros(rows.size), 3)
    for c in range(3):
        assert stats.kstest(u[:, c], "uniform").pvalue > 1e-3
    assert np.all((u >= 0) & (u < 1))
    corr = np.corrcoef(np.column_stack([u[:-1], u[1:, :1]]).T)
    assert np.abs(corr[np.triu_indices(4, 1)]).max() < 0.01, "columns and neighbouring rows uncorrelated"
    # the event index gives another resident-event its own numbers
    v = keyed_uniforms(Streams(1, 0).key("test"), rows, np.ones(rows.size), 3)
    assert abs(np.corrcoef(u[:, 0], v[:, 0])[0, 1]) < 0.01


@given(st.lists(st.integers(0, 10**7), min_size=1, max_size=50, unique=True), st.integers(0, 3))
@settings(max_examples=40, deadline=None)
def test_a_keyed_draw_depends_on_its_own_row_only(rows, index):
    key = Streams(2, 1).key("crisis_draws:7")
    rows = np.asarray(rows)
    together = keyed_uniforms(key, rows, np.full(rows.size, index), 5)
    alone = np.vstack([keyed_uniforms(key, rows[k : k + 1], np.array([index]), 5) for k in range(rows.size)])
    assert np.array_equal(together, alone)
    other_period = keyed_uniforms(Streams(2, 1).key("crisis_draws:8"), rows, np.full(rows.size, index), 5)
    assert not np.array_equal(together, other_period)


@given(st.integers(1, 3 * BLOCK_ROWS + 5), st.integers(1, 40), st.integers(0, 2**32 - 1))
@settings(max_examples=25, deadline=None)
def test_uniform_columns_are_the_row_major_draws_transposed(rows, columns, seed):
    """Drawn a block at a time, the numbers are those of one call, so a resident's row is the same."""
    expected = np.random.default_rng(seed).random((rows, columns)).T
    got = uniform_columns(np.random.default_rng(seed), rows, columns)
    assert np.array_equal(got, expected)
    assert got[0].flags.c_contiguous
    # into a buffer kept between calls: the same numbers, in that buffer
    out = np.full((columns, rows), np.nan)
    assert uniform_columns(np.random.default_rng(seed), rows, columns, out) is out
    assert np.array_equal(out, expected)


def test_uniform_columns_refuse_a_buffer_of_another_shape():
    with pytest.raises(ValueError, match=r"out has shape \(3, 10\), expected \(2, 10\)"):
        uniform_columns(np.random.default_rng(0), 10, 2, np.empty((3, 10)))


@given(st.floats(1e-3, 5000.0), st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_poisson_by_inversion_is_the_poisson_quantile(mean, seed):
    u = np.random.default_rng(seed).random(500)
    got = poisson_from_uniform(u, np.full(500, mean))
    if mean <= 400:
        assert np.array_equal(got, stats.poisson.ppf(u, mean).astype(np.int64))
    else:  # the normal approximation: never more than a count from the quantile
        assert np.abs(got - stats.poisson.ppf(u, mean)).max() <= 1


def test_poisson_by_inversion_has_the_poisson_moments_and_zero_for_zero_mean():
    rng = np.random.default_rng(3)
    mean = rng.gamma(0.5, 6.0, 300_000)
    got = poisson_from_uniform(rng.random(mean.size), mean)
    assert got.mean() == pytest.approx(mean.mean(), rel=0.01)
    assert (got - mean).var() == pytest.approx(mean.mean(), rel=0.02)
    assert poisson_from_uniform(np.array([0.999]), np.array([0.0]))[0] == 0


@given(st.integers(1, 400), st.integers(0, 400))
@settings(max_examples=25, deadline=None)
def test_a_resident_s_attributes_do_not_depend_on_the_rows_after_them(baseline, n, extra):
    a = synthesise(baseline, n, np.random.default_rng(11))
    b = synthesise(baseline, n + extra, np.random.default_rng(11))
    for name in ("age", "female", "borough", "network", "ltc", "dementia", "cancer", "frailty", "shock", "planned"):
        assert np.array_equal(getattr(a, name), getattr(b, name)[:n]), name


def _events(rep: Replication, t0: float) -> dict[int, list]:
    times, who, kinds, rows, draws = rep.community.draw_period(t0)
    out: dict[int, list] = {}
    for t, i, kd, j in zip(times, who, kinds, rows, strict=True):
        row = draws[kd][j] if kd in draws else None
        out.setdefault(i, []).append((t, kd, row))
    return out


def test_what_happens_to_one_resident_leaves_everyone_else_s_events_alone(baseline):
    """Two copies of a replication; in one, some residents are dead or in hospital. Every other
    resident has the same community events, at the same times, with the same draws."""
    a = Replication(baseline, 0, 3, years=1, scale=0.02)
    b = Replication(baseline, 0, 3, years=1, scale=0.02)
    changed = np.flatnonzero(a.sys.pop.need > np.quantile(a.sys.pop.need, 0.99))[:40]
    b.sys.pop.setting[changed[:20]] = DEAD
    b.sys.pop.setting[changed[20:]] = HOSPITAL
    ea, eb = _events(a, 0.0), _events(b, 0.0)
    others = (set(ea) | set(eb)) - set(changed.tolist())
    assert len(others) > 100
    assert all(ea.get(i) == eb.get(i) for i in others)
    assert any(ea.get(i) != eb.get(i) for i in changed.tolist()), "the changed residents' own events do change"


@pytest.mark.slow
def test_a_year_is_the_same_whatever_the_horizon(baseline):
    """Year 1 of a one-year run and of a two-year run agree to the last digit, though the longer
    run reserves more rows for newcomers."""
    one = run_replication(baseline, 0, 1, years=1, scale=0.02)
    two = run_replication(baseline, 0, 1, years=2, scale=0.02)
    assert two.stats["rows"] > one.stats["rows"]
    a = one.results[one.results.year == 1].reset_index(drop=True)
    b = two.results[two.results.year == 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def _plain_recursion(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """The inversion one count at a time, as poisson_from_uniform's packed form must give it."""
    out = np.zeros(u.size, dtype=np.int64)
    first = np.exp(-mean).tolist()  # the vectorised exp, as the function takes it
    for n, (ui, lam) in enumerate(zip(u.tolist(), mean.tolist(), strict=True)):
        if lam <= 0 or lam > NORMAL_ABOVE:
            continue
        p = first[n]
        cdf, j = p, 0
        while ui > cdf and p > 0:
            j += 1
            p *= lam / j
            cdf += p
        out[n] = j
    return out


def test_poisson_by_inversion_counts_as_the_plain_recursion():
    """Bit for bit, including uniforms at 1 - mean, where only the CDF's first term is skipped."""
    rng = np.random.default_rng(5)
    mean = np.concatenate([10.0 ** rng.uniform(-9, 2.5, 4000), np.zeros(50)])
    u = np.concatenate([rng.random(3000), np.clip(1.0 - mean[3000:4000] + rng.normal(0, 1e-12, 1000), 0, 0.999)])
    u = np.concatenate([u, rng.random(50)])
    small = mean <= NORMAL_ABOVE
    assert np.array_equal(poisson_from_uniform(u, mean)[small], _plain_recursion(u, mean)[small])
