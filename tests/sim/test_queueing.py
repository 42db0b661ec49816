"""The capacity primitives agree with queueing theory where it applies."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_a_backlog_is_served_oldest_first_and_given_up_after_its_time():
    q = FluidQueue(np.array([100.0]), period_days=10.0, give_up_days=20.0)  # two periods more
    r = q.step(np.array([400.0]))
    assert r["served_hours"][0] == 100.0 and q.waiting[:, 0].tolist() == [0.0, 300.0]
    r = q.step(np.array([50.0]))  # the oldest are served first; the new hours wait behind them
    assert r["served_hours"][0] == 100.0 and q.waiting[:, 0].tolist() == [200.0, 50.0]
    r = q.step(np.array([0.0]))  # of the 200 that have waited two periods, 100 are given up
    assert r["served_hours"][0] == 100.0 and r["given_up_hours"][0] == 100.0
    assert q.waiting[:, 0].tolist() == [50.0, 0.0]


@given(
    st.lists(st.floats(0, 500), min_size=1, max_size=24),
    st.floats(1, 300),
    st.one_of(st.none(), st.floats(5, 100)),
)
@settings(max_examples=80, deadline=None)
def test_a_fluid_queue_loses_no_hours_and_never_serves_more_than_its_supply(demands, supply, give_up):
    q = FluidQueue(np.array([supply]), period_days=10.0, give_up_days=give_up)
    served = given_up = 0.0
    for d in demands:
        r = q.step(np.array([d]))
        assert r["served_hours"][0] <= supply + 1e-9
        served += r["served_hours"][0]
        given_up += r["given_up_hours"][0]
    assert sum(demands) == pytest.approx(served + given_up + q.backlog[0], abs=1e-6)
    if give_up is None:
        assert given_up == 0.0


@pytest.mark.slow
def test_half_the_gps_deliver_fewer_contacts_and_carry_a_backlog(make_variant, baseline):
    from sim.replication import run_replication

    def gp(model):
        r = run_replication(model, 0, 3, years=1, scale=0.05).results
        people = r[(r.stratum != "all") & (r.intervention == "all")].groupby("measure").value.sum()
        system = r[(r.stratum == "all") & (r.borough != "all") & (r.intervention == "all")]
        return people, system.groupby("measure").value.sum()

    fte = np.asarray(baseline.workforce["gp"].fte.value)
    full_people, full_system = gp(baseline)
    half_people, half_system = gp(make_variant(**{"workforce.gp.fte": (fte / 2).tolist()}))
    assert full_system["gp_given_up_hours"] == 0
    assert half_system["gp_given_up_hours"] > 0.05 * half_system["gp_demand_hours"]
    assert half_system["gp_wait_days"] > full_system["gp_wait_days"]
    assert half_people["gp_contacts"] < 0.95 * full_people["gp_contacts"], "fewer contacts delivered"
    assert half_people["cost_ooh"] < full_people["cost_ooh"], "and cost follows delivery"
    assert half_people["district_nurse_contacts"] == pytest.approx(full_people["district_nurse_contacts"], rel=0.02)
