"""Rotas: whole staff by hour that keep the FTE's hours, shift changes that follow them, and a
two-hour response at night that depends on who is on at night."""

from __future__ import annotations

import numpy as np
import pytest
import simpy
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models.schema import CareModel, RotaSpec
from models.vocabulary import HOURS_PER_DAY
from sim.rotas import WEEK_HOURS, on_duty_by_hour, week_weights
from sim.sample_load import SampleLoad
from sim.streams import Streams
from sim.workforce import Pool
from tests.conftest import changed_data

DAYS_ONLY = [0.0] * 8 + [1.0] * 12 + [0.0] * 4  # 08:00 to 20:00
ROUND_THE_CLOCK = [1.0] * 24


def rota(weekday: list[float], weekend: list[float] | None = None) -> RotaSpec:
    doc = {"unit": "relative staff on duty", "source": "test"}
    return RotaSpec(weekday={"value": weekday, **doc}, weekend={"value": weekend or weekday, **doc})


def _shifts(w: np.ndarray) -> list[tuple[int, int]]:
    """Each day's runs of hours with the same weight: the shifts a rota's staff are rounded over."""
    out = []
    for day in range(7):
        h, end = day * 24, day * 24 + 24
        while h < end:
            k = h
            while k < end and w[k] == w[h]:
                k += 1
            out.append((h, k))
            h = k
    return out


@settings(max_examples=60, deadline=None)
@given(
    servers=st.floats(0.005, 30.0),
    weekday=st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0]), min_size=24, max_size=24),
    weekend=st.lists(st.sampled_from([0.0, 1.0, 3.0]), min_size=24, max_size=24),
)
@example(servers=7.3, weekday=DAYS_ONLY, weekend=[0.0] * 24)
@example(servers=2.6, weekday=ROUND_THE_CLOCK, weekend=ROUND_THE_CLOCK)
@example(servers=0.01, weekday=DAYS_ONLY, weekend=DAYS_ONLY)  # under half an hour's work in every shift
def test_rota_keeps_the_hours_of_work(servers, weekday, weekend):
    """Whole staff by hour whose hours over each shift are the shift's share of the FTE's hours
    to within half an hour (its fractional staff rounded once over the shift), nobody where the
    rota has nobody; below half an hour's work in every shift, one server at the busiest hour."""
    if sum(weekday) * 5 + sum(weekend) * 2 == 0:
        weekday = ROUND_THE_CLOCK
    r = rota(weekday, weekend)
    by_hour = on_duty_by_hour(servers, r)
    w = week_weights(r)
    target = servers * WEEK_HOURS * w / w.sum()
    assert by_hour.shape == (WEEK_HOURS,)
    assert (by_hour >= 0).all()
    shifts = _shifts(w)
    if all(target[a:b].sum() <= 0.5 for a, b in shifts):  # every shift rounds to nobody
        assert by_hour.sum() == 1 and w[int(np.argmax(by_hour))] == w.max()
        return
    assert (by_hour[w == 0] == 0).all()
    for a, b in shifts:
        assert abs(by_hour[a:b].sum() - target[a:b].sum()) <= 0.5 + 1e-9, (a, b)


def test_shift_changes_set_the_servers_on_duty():
    env = simpy.Environment()
    load = SampleLoad(env, 1.0, Streams(1, 0).__getitem__)
    r = rota(DAYS_ONLY, [0.0] * 24)
    pool = Pool(load, 10.0, 1500.0, "rapid_response_nurse:0", 1.0 / 24, r)
    by_hour = on_duty_by_hour(10.0 * 1500.0 / 8760.0, r)
    seen = []
    for h in range(2 * WEEK_HOURS):
        env.run(until=(h + 0.5) / HOURS_PER_DAY)
        seen.append(pool.resource.capacity)
    assert seen == list(by_hour) * 2
    assert by_hour[:8].sum() == 0 and by_hour[8:20].min() >= 1 and by_hour[5 * 24 :].sum() == 0


def night_response_rate(weekday: list[float], seed: int = 3) -> tuple[float, float]:
    """Calls round the clock at a pool of the same weekly hours; the share answered within two
    hours among calls made between midnight and 06:00, and among calls 10:00 to 16:00."""
    env = simpy.Environment()
    load = SampleLoad(env, 1.0, Streams(seed, 0).__getitem__)
    job = 1.0 / HOURS_PER_DAY  # an hour's visit
    pool = Pool(load, 12.0, 1460.0, "rapid_response_nurse:0", job, rota(weekday))  # 2 on duty on average
    rng = np.random.default_rng(seed)
    calls = np.cumsum(rng.exponential(1.0 / 20.0, 20 * 120))  # 20 calls a day (0.83 an hour) for 120 days
    answered: list[tuple[float, float]] = []

    def call(t):
        with pool.resource.request() as req:
            yield req
            answered.append((t, env.now - t))
            yield env.timeout(job * pool.time_factor)

    def arrivals():
        for t in calls:
            yield env.timeout(t - env.now)
            env.process(call(t))

    env.process(arrivals())
    env.run(until=130)
    t, wait = np.array(answered).T
    hour = (t * HOURS_PER_DAY) % HOURS_PER_DAY
    within = wait <= 2.0 / HOURS_PER_DAY
    return float(within[hour < 6].mean()), float(within[(hour >= 10) & (hour < 16)].mean())


def test_a_days_only_rota_misses_the_night_that_round_the_clock_meets():
    night_247, day_247 = night_response_rate(ROUND_THE_CLOCK)
    night_days, day_days = night_response_rate(DAYS_ONLY)
    assert night_247 >= 0.9 and day_247 >= 0.9  # 24/7 meets the standard at any hour
    assert night_days < 0.1  # nobody on before 08:00: a call at 03:00 waits five hours
    assert day_days >= 0.9  # the same hours by day: the day is served


def test_model_rota_changes_the_two_hour_rate(baseline):
    """The whole system: a days-only rota of the same FTE answers fewer crises within two hours."""
    from sim.replication import run_replication

    rates = {}
    for name, weekday in (("24/7", ROUND_THE_CLOCK), ("days", DAYS_ONLY)):
        doc = {"unit": "relative staff on duty", "source": "test"}
        data = changed_data()
        data["workforce"]["rapid_response_nurse"]["rota"] = {
            "weekday": {"value": weekday, **doc},
            "weekend": {"value": weekday, **doc},
        }
        model = CareModel.model_validate(data)
        res = run_replication(model, 0, 5, 1, 0.02).results
        people = res[res.stratum != "all"].groupby("measure").value.sum()
        rates[name] = people["rr_within_2h"] / people["rr_episodes"]
    assert rates["days"] < rates["24/7"] - 0.15


def test_rota_refusals():
    doc = {"unit": "relative staff on duty", "source": "test"}
    with pytest.raises(ValidationError, match="expected 24"):
        RotaSpec(weekday={"value": [1.0] * 23, **doc}, weekend={"value": [1.0] * 24, **doc})
    with pytest.raises(ValidationError, match="all zero"):
        RotaSpec(weekday={"value": [0.0] * 24, **doc}, weekend={"value": [0.0] * 24, **doc})
    data = changed_data()
    data["workforce"]["gp"]["rota"] = {"weekday": {"value": [1.0] * 24, **doc}, "weekend": {"value": [1.0] * 24, **doc}}
    with pytest.raises(ValidationError, match=r"workforce\.gp\.rota: only roles simulated visit by visit"):
        CareModel.model_validate(data)
