"""Full-size capacity loaded with the rest of the population's demand (sim/sample_load.py): a
sample's requests meet the queue the whole population makes, whatever the scale."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from models.vocabulary import DAYS_PER_YEAR
from sim.capacity import Places
from sim.community_events import ONSET_PRIOR
from sim.rest_of_population import MIN_ASKS, MIN_RECENT, RecentRate, SampleRate
from sim.sample_load import Hold, LoadedPlaces, SampleLoad
from sim.social_care import REQUESTS_MIN_SPAN_DAYS


def _md1(scale: float, lam: float = 4.0, hold: float = 0.2, servers: int = 1, days: float = 4000.0, seed: int = 1):
    """Poisson requests from the sample at scale x lam, each holding a unit for a fixed time."""
    env = simpy.Environment()
    arrivals = np.random.default_rng(seed)
    if scale < 1:
        res = LoadedPlaces(env, servers, scale, Hold(hold), np.random.default_rng(seed + 1000))
    else:
        res = Places(env, servers)
    waits: list[float] = []
    peak = [0]

    def job():
        t = env.now
        with res.request() as req:
            yield req
            waits.append(env.now - t)
            peak[0] = max(peak[0], res.in_use())
            yield env.timeout(hold)

    def source():
        while True:
            yield env.timeout(arrivals.exponential(1.0 / (lam * scale)))
            env.process(job())

    env.process(source())
    env.run(until=days)
    return float(np.mean(waits[len(waits) // 10 :])), peak[0], res


@pytest.mark.parametrize("scale", [1.0, 0.25, 0.1])
def test_a_sample_waits_as_long_as_the_whole_system_md1(scale):
    """M/D/1 at 80% load waits rho * d / (2 (1 - rho)) = 0.4 days, at any scale; a 10% sample
    with a scaled pool (one server whose jobs last 10 times as long) would wait ten times that."""
    mean, peak, _ = _md1(scale)
    assert mean == pytest.approx(0.8 * 0.2 / (2 * 0.2), rel=0.25)
    assert peak <= 1


def _mmc_wait(seed: int, c: int, lam: float, mean_hold: float, scale: float, days: float) -> float:
    env = simpy.Environment()
    rng = np.random.default_rng(seed)
    res = LoadedPlaces(env, c, scale, Hold(mean_hold, exponential=True), np.random.default_rng(seed + 1))
    waits: list[float] = []

    def job(hold):
        t = env.now
        req = res.request()
        yield req
        waits.append(env.now - t)
        yield env.timeout(hold)
        res.release(req)

    def source():
        while True:
            yield env.timeout(rng.exponential(1.0 / (lam * scale)))
            env.process(job(rng.exponential(mean_hold)))

    env.process(source())
    env.run(until=days)
    return float(np.mean(waits[len(waits) // 10 :]))


def test_a_sample_meets_the_erlang_c_wait_of_a_many_server_pool():
    """M/M/c with c = 20 and rho = 0.9, against Erlang C, from a quarter of the requests: over four
    seeds, as one seed's wait at 90% load swings by a third (the rest's rate is estimated)."""
    c, lam, mean_hold = 20, 18.0, 1.0
    a = lam * mean_hold
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    expected = p_wait / (c / mean_hold - lam)
    waits = [_mmc_wait(seed, c, lam, mean_hold, 0.25, 6000) for seed in (3, 4, 5, 6)]
    assert np.mean(waits) == pytest.approx(expected, rel=0.25)


def test_the_rest_start_with_their_share_of_the_places_in_use():
    env = simpy.Environment()
    res = LoadedPlaces(env, 100, 0.1, Hold(50.0, exponential=True), np.random.default_rng(1))
    for _ in range(8):
        res.occupy()
    res.fill(72)
    assert res.in_use() == 80
    assert res.rate == pytest.approx(0.9 / 0.1 * 8 / 50.0)  # the sample's 8 turning over in 50 days
    assert res.sample_capacity == pytest.approx(10.0)


def test_the_rest_who_wait_leave_at_the_rate_sampled_residents_leave_unserved():
    env = simpy.Environment()
    res = LoadedPlaces(env, 1, 0.5, Hold(10.0), np.random.default_rng(1))
    held = res.occupy()
    reqs = [res.request() for _ in range(4)]
    env.run(until=2.0)
    for r in reqs:
        r.cancel()  # they died waiting, after 2 days each
    # days waited are weighted to the last year (exponentially over 365 days): 8 days less 0.3%
    assert res.gave_up.events == 4 and res.gave_up.exposure == pytest.approx(8.0, rel=0.005)
    patience = [res._leaves(0.0) for _ in range(4000)]
    assert np.mean(patience) == pytest.approx(2.0, rel=0.1)
    res.give_back(held)
    assert res.in_use() <= 1


def test_full_scale_builds_plain_places_and_nothing_where_there_is_no_capacity():
    env = simpy.Environment()
    whole = SampleLoad(env, 1.0, lambda name: np.random.default_rng(0))
    assert type(whole.places(12.4, "x", Hold(1.0))) is Places
    assert whole.places(0, "x", Hold(1.0)) is None
    sample = SampleLoad(env, 0.1, lambda name: np.random.default_rng(0))
    p = sample.places(12.4, "x", Hold(1.0))
    assert isinstance(p, LoadedPlaces) and p.capacity == 12  # full size, not 1
    assert sample.loaded == [p]


@settings(max_examples=30, deadline=None)
@given(
    capacity=st.integers(1, 6),
    scale=st.sampled_from([0.1, 0.25, 0.5]),
    holds=st.lists(st.floats(0.01, 3.0), min_size=1, max_size=40),
    gaps=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=40),
    seed=st.integers(0, 1000),
)
def test_never_more_in_use_than_the_capacity_and_every_sampled_request_is_served(capacity, scale, holds, gaps, seed):
    env = simpy.Environment()
    res = LoadedPlaces(env, capacity, scale, Hold(float(np.mean(holds))), np.random.default_rng(seed))
    served: list[int] = []
    over: list[int] = []

    def job(k, hold):
        req = res.request()
        yield req
        if res.in_use() > capacity:
            over.append(res.in_use())
        served.append(k)
        yield env.timeout(hold)
        res.release(req)

    def source():
        for k, (gap, hold) in enumerate(zip(gaps, holds, strict=False)):
            yield env.timeout(gap)
            env.process(job(k, hold))

    env.process(source())
    env.run(until=10_000)
    assert not over
    assert sorted(served) == list(range(min(len(gaps), len(holds))))


def test_the_rest_s_places_end_at_the_sample_s_hazard_now_not_its_average_since_the_start():
    """Sampled places turn over every 30 days for 3,000 days, then every 120 days for 2,000: the
    rest's hazard is the recent one (an average since the start would be 2.8 times it), so the
    rest do not turn over faster than the sample once those placed change (care homes)."""
    env = simpy.Environment()
    res = LoadedPlaces(env, 2000, 0.25, Hold(50.0, exponential=True), np.random.default_rng(3))
    rng = np.random.default_rng(4)
    ends, unit_days = [0], [0.0]

    def resident():
        while True:
            req = res.request()
            yield req
            held = rng.exponential(30.0 if env.now < 3000 else 120.0)
            yield env.timeout(held)
            res.release(req)
            ends[0] += 1
            unit_days[0] += held

    for _ in range(40):
        env.process(resident())
    env.run(until=5000)
    recent = res._hazard()
    assert recent == pytest.approx(1 / 120, rel=0.15)
    since_start = ends[0] / unit_days[0]
    assert since_start > 2 * recent, "the test can tell a recent hazard from a long-run one"


def test_the_rest_who_wait_leave_at_the_sample_s_rate_while_its_queue_grows():
    """Requests that nothing serves, each withdrawn after an exponential wait of mean 60 days,
    after 30 days: the waits not yet ended count as days waited, so the rest give up at the
    rate the sample does (1 / 60 a day). Counted only as waits ended, the patience would be
    the mean of the short waits ended so far, a fraction of it."""
    env = simpy.Environment()
    res = LoadedPlaces(env, 1, 0.25, Hold(10.0), np.random.default_rng(5))
    res.occupy()  # the one place is held throughout
    rng = np.random.default_rng(6)
    ended: list[float] = []

    def resident():
        t = env.now
        req = res.request()
        patience = rng.exponential(60.0)
        result = yield req | env.timeout(patience)
        if req not in result:
            req.cancel()
            ended.append(env.now - t)

    def source():
        while True:
            yield env.timeout(rng.exponential(1 / 20.0))
            env.process(resident())

    env.process(source())
    env.run(until=30.0)
    mean_patience = res.gave_up.exposure / res.gave_up.events
    assert mean_patience == pytest.approx(60.0, rel=0.25)
    assert np.mean(ended) < 20.0, "the waits ended by now are the short ones"


def test_a_recent_rate_keeps_at_least_min_recent_events():
    """Few events (a small sample's care homes): nothing decays until MIN_RECENT have come, so
    the rate is over all of them; many: a year's window, and a constant rate is met either way."""
    few = RecentRate()
    for k in range(1, 51):  # one end a month among 10 units for 50 months
        few.advance(k * 30.0, 10)
        few.events += 1
    assert few.events == 50 and few.exposure == pytest.approx(10 * 1500.0)
    many = RecentRate()
    for k in range(1, 3001):  # one end a day among 10 units for 3,000 days
        many.advance(float(k), 10)
        many.events += 1
    assert MIN_RECENT < many.events < 1.01 * 365  # about a year's worth
    assert many.events / many.exposure == pytest.approx(0.1, rel=0.01)


# ----- care homes at a sample: the rest follow what the sample was expected to do ---------------
def _care_home_replication(model, scale: float, years: int = 1):
    from sim.replication import Replication

    return Replication(model, 0, 5, years, scale)


def test_the_rest_s_care_home_places_end_at_the_holders_mean_death_hazard(baseline):
    rep = _care_home_replication(baseline, 0.05)
    homes, death = rep.settings.care_homes, rep.community.hazards.death
    for kind, home in homes.homes.items():
        who = [i for i in homes.held if rep.sys.pop.placement[i] == kind]
        assert isinstance(home, LoadedPlaces) and who
        assert home.rest.hazard() == pytest.approx(death[who].mean() / 365.0, rel=1e-12)


def test_the_holders_mean_death_hazard_follows_places_taken_and_given_back(baseline):
    """The running sums behind it (CareHomes._holding), after half a year of places taken and
    given back, against the holders' hazards summed afresh."""
    rep = _care_home_replication(baseline, 0.05)
    homes = rep.settings.care_homes
    at_start = set(homes.held)
    rep.env.process(rep.main())
    rep.env.run(until=rep.env.timeout(180.0))  # half the warm-up year
    assert set(homes.held) - at_start and at_start - set(homes.held), "places were taken and given back"
    death = rep.community.hazards.death
    for kind, home in homes.homes.items():
        who = [i for i in homes.held if rep.sys.pop.placement[i] == kind]
        assert who
        assert home.rest.hazard() == pytest.approx(death[who].mean() / 365.0, rel=1e-9)


def test_the_rest_ask_for_either_kind_from_one_flow_split_as_each_request_is(baseline):
    rep = _care_home_replication(baseline, 0.05)
    homes = rep.settings.care_homes
    res, nur = homes.homes[1], homes.homes[2]
    assert res.flow is nur.flow and res.flow.factor is not None
    whole = (1.0 - rep.scale) / rep.scale
    assert nur.ratio == pytest.approx(whole * homes.p_nursing)
    assert res.ratio + nur.ratio == pytest.approx(whole)


def test_needs_for_24_hour_care_drawn_are_those_their_probabilities_expect(baseline):
    """The correction is expected over drawn: if the expected count were taken over other
    residents or another period than the draws, the two would part by far more than chance."""
    rep = _care_home_replication(baseline, 0.2, years=2)
    rep.run()
    expected, drawn = rep.community.onsets
    assert drawn > 300
    assert abs(drawn - expected) < 4.0 * math.sqrt(expected)
    prior = ONSET_PRIOR
    assert rep.community.onset_factor() == pytest.approx((expected + prior) / (drawn + prior))


def test_at_full_population_nothing_is_tallied_for_the_rest(baseline):
    rep = _care_home_replication(baseline, 1.0)
    assert rep.community.onsets == [0.0, 0]
    assert not any(isinstance(h, LoadedPlaces) for h in rep.settings.care_homes.homes.values())


def test_the_rest_ask_for_care_home_places_only_as_the_sample_does(baseline):
    """No prior: the sample's requests rise from the start while those newly needing 24-hour care
    are assessed and wait, and a rate expected from their needs at once made the rest ask a sixth
    more in the warm-up year than the whole population did. From the sample's first request on,
    the rest ask at its rate (over no less than a week), corrected for its draws."""
    rep = _care_home_replication(baseline, 0.05)
    homes = rep.settings.care_homes.homes
    flow = homes[1].flow
    assert flow.prior_rate == 0.0
    assert all(h.rate == 0.0 and h.next_ask == math.inf for h in homes.values())
    factors, factor = [], flow.factor
    flow.factor = lambda: factors.append(factor()) or factors[-1]
    rep.env.process(rep.main())
    rep.env.run(until=rep.env.timeout(120.0))
    asks = list(flow.asks)
    assert asks, "the sample asked for a place in four months"
    rate = len(asks) * factors[-1] / max(asks[-1], REQUESTS_MIN_SPAN_DAYS)  # the rate as last asked
    # the home asked of last is at its share of it (the other since its own last request)
    assert any(h.rate == pytest.approx(h.ratio * rate, rel=1e-9) for h in homes.values())


def test_a_flow_s_factor_scales_the_requests_it_saw_not_the_prior_that_was_expected():
    corrected, plain = SampleRate(), SampleRate()
    corrected.prior_rate = plain.prior_rate = 1.0
    corrected.factor = lambda: 2.0
    for t in (10.0, 20.0, 100.0):
        got, base = corrected.asked(t), plain.asked(t)
    assert base == pytest.approx((3 + 1.0 * 265.0) / 365.0)
    assert got == pytest.approx((2.0 * 3 + 1.0 * 265.0) / 365.0)


def test_the_rest_s_rate_follows_a_growing_flow_over_the_last_year():
    """A tenth's social work in one borough asks about 120 times a year, growing 3% a year. A
    rate over a span lags a growing flow by about half the span: over the last year it reads
    0.8% under the flow's rate now; over the last 400 requests (about three and a half years of
    them, as the rest's rate was taken before), 4.2% under, which near 70% busy made a tenth's
    assessment waits 8-21% short of the whole population's."""
    per_day, growth = 120.0 / DAYS_PER_YEAR, math.log(1.03) / DAYS_PER_YEAR
    # the k-th request where the flow's cumulative intensity reaches k (evenly spread, no noise),
    # over four years
    times = [math.log1p(growth * k / per_day) / growth for k in range(1, 600)]
    times = [t for t in times if t <= 4 * DAYS_PER_YEAR]
    now_rate = {}
    for flow in (SampleRate(), SampleRate(400)):
        for t in times:
            got = flow.asked(t)
        now_rate[flow.min_asks] = got / (per_day * math.exp(growth * times[-1]))
    assert 0.98 < now_rate[MIN_ASKS] < 1.0
    assert now_rate[400] < 0.97
