"""The capacity primitives agree with queueing theory where it applies."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

from sim.capacity import Places
from sim.sample_load import SampleLoad
from sim.streams import Streams
from sim.workforce import FluidQueue, Pool


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of an M/M/c queue."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def simulate_mmc(lam: float, mu: float, c: int, customers: int, seed: int) -> float:
    env = simpy.Environment()
    beds = Places(env, capacity=c)
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / lam, customers)
    services = rng.exponential(1 / mu, customers)
    waits = np.zeros(customers)

    def patient(k):
        t0 = env.now
        with beds.request() as req:
            yield req
            waits[k] = env.now - t0
            assert beds.count <= c
            yield env.timeout(services[k])

    def arrivals():
        for k in range(customers):
            yield env.timeout(gaps[k])
            env.process(patient(k))

    env.process(arrivals())
    env.run()
    return float(waits[customers // 10 :].mean())  # drop the start-up


@pytest.mark.parametrize(("lam", "mu", "c"), [(0.8, 1.0, 1), (2.4, 1.0, 3), (8.5, 1.0, 10)])
def test_places_match_erlang_c(lam, mu, c):
    simulated = simulate_mmc(lam, mu, c, 200_000, seed=c)
    assert simulated == pytest.approx(erlang_c_wait(lam, mu, c), rel=0.08)


def test_places_release_is_fifo_and_frees_capacity():
    env = simpy.Environment()
    places = Places(env, capacity=2)
    order = []

    def user(name, hold):
        with places.request() as req:
            yield req
            order.append((name, env.now))
            yield env.timeout(hold)

    for name, hold in (("a", 5), ("b", 1), ("c", 1), ("d", 1)):
        env.process(user(name, hold))
    env.run()
    assert order == [("a", 0), ("b", 0), ("c", 1), ("d", 2)]
    assert places.count == 0


def test_fractional_pool_keeps_its_hours_of_work():
    """0.25 of a server on duty: one whole server whose jobs take four times as long."""
    env = simpy.Environment()
    pool = Pool(SampleLoad(env, 1.0, Streams(1, 0).__getitem__), 0.25 * 8760 / 1000, 1000, "team", 0.1)
    assert pool.capacity == 1
    assert pool.time_factor == pytest.approx(4.0)


def test_pool_with_no_staff_is_unavailable():
    env = simpy.Environment()
    assert not Pool(SampleLoad(env, 1.0, Streams(1, 0).__getitem__), 0, 1500, "team", 0.1).available


def test_fluid_queue_carries_backlog_and_reports_wait():
    q = FluidQueue(np.array([100.0, 100.0]), period_days=10.0)
    r1 = q.step(np.array([80.0, 150.0]))
    assert r1["served_hours"].tolist() == [80.0, 100.0]
    assert r1["wait_days"].tolist() == [0.0, 5.0]  # 50 hours of backlog at 10 hours a day
    r2 = q.step(np.array([80.0, 60.0]))
    assert r2["served_hours"].tolist() == [80.0, 100.0]
    assert q.backlog.tolist() == [0.0, 10.0]
