"""Queueing theory's bound: Erlang C's known values, its chance of a short wait against a simulated
M/M/c queue, the two-moment correction against an M/D/c one, and a rota's hour-by-hour form."""

from __future__ import annotations

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.erlang import erlang_c, mean_wait, p_within, p_within_by_hour
from sim.capacity import Places


def test_erlang_c_known_values():
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: the chance of waiting is rho
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(3, 3.0) == 1.0 and erlang_c(0, 0.1) == 1.0
    assert erlang_c(5, 0.0) == 0.0


@settings(max_examples=80, deadline=None)
@given(c=st.integers(1, 60), rho=st.floats(0.05, 0.97))
def test_erlang_c_is_a_probability_falling_with_servers(c, rho):
    a = rho * c
    p = erlang_c(c, a)
    assert 0.0 <= p <= 1.0
    assert erlang_c(c + 1, a) <= p + 1e-12


def simulate_waits(lam: float, service: float, c: int, fixed: bool, n: int = 60_000, seed: int = 2) -> np.ndarray:
    env = simpy.Environment()
    places = Places(env, capacity=c)
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / lam, n)
    lengths = np.full(n, service) if fixed else rng.exponential(service, n)
    waits = np.zeros(n)

    def job(k):
        t0 = env.now
        with places.request() as req:
            yield req
            waits[k] = env.now - t0
            yield env.timeout(lengths[k])

    def arrivals():
        for k in range(n):
            yield env.timeout(gaps[k])
            env.process(job(k))

    env.process(arrivals())
    env.run()
    return waits[n // 10 :]


@pytest.mark.parametrize(("lam", "c"), [(0.6, 1), (1.5, 2), (2.4, 3)])
def test_p_within_matches_a_simulated_mmc(lam, c):
    waits = simulate_waits(lam, 1.0, c, fixed=False)
    for t in (0.25, 1.0):
        assert (waits <= t).mean() == pytest.approx(p_within(c, lam, 1.0, t), abs=0.025)
    assert waits.mean() == pytest.approx(mean_wait(c, lam, 1.0), rel=0.1)


@pytest.mark.parametrize(("lam", "c"), [(0.6, 1), (1.5, 2), (2.4, 3)])
def test_two_moment_correction_for_fixed_jobs(lam, c):
    """Fixed-length jobs wait about half as long as exponential ones: the correction follows an
    M/D/c queue's mean wait (where Erlang C alone doubles it) and its chance of a short wait to
    within six points (a wait is taken as exponential once it happens, which overstates short ones)."""
    waits = simulate_waits(lam, 1.0, c, fixed=True)
    assert waits.mean() == pytest.approx(mean_wait(c, lam, 1.0, scv=0.0), rel=0.15)
    t = 0.5
    simulated = (waits <= t).mean()
    assert simulated == pytest.approx(p_within(c, lam, 1.0, t, scv=0.0), abs=0.06)
    assert abs(waits.mean() - mean_wait(c, lam, 1.0)) > 3 * abs(waits.mean() - mean_wait(c, lam, 1.0, scv=0.0))


def test_rota_form_is_the_steady_state_when_flat_and_nothing_when_nobody_is_on():
    flat = np.full(168, 3)
    lam = np.full(168, 1.2)
    assert p_within_by_hour(flat, lam, 2.0, 1.0) == pytest.approx(p_within(3, 1.2, 2.0, 1.0))
    nights_off = flat.copy()
    nights_off[np.arange(168) % 24 < 8] = 0
    assert p_within_by_hour(nights_off, lam, 2.0, 1.0) == pytest.approx(p_within(3, 1.2, 2.0, 1.0) * 16 / 24)
