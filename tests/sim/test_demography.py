"""Business as usual's population follows the projection: births, moves in and out by age band,
and newcomers who arrive with no history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.demography import move_out_chance, resident_bands
from sim.population import NOT_ARRIVED
from sim.replication import Replication, run_replication
from tests.sim.synthetic import population_hazards


def _system(result) -> pd.DataFrame:
    r = result.results
    s = r[(r.stratum == "all") & (r.borough == "all") & (r.intervention == "all")]
    return s.pivot_table(index="year", columns="measure", values="value")


def _check_projection(baseline, scale: float, years: int, seed: int) -> None:
    rep = Replication(baseline, 0, seed, years=years, scale=scale)
    start = rep.demography.projection(0)
    res = rep.run()
    s = _system(res)
    names = list(resident_bands(baseline.population.age_band_lower.value))
    got = s[names].to_numpy() * res.stats["scale"]
    warm = baseline.run.warmup_years.value
    want = np.vstack([rep.demography.projection(y + warm) for y in range(1, years + 1)])
    assert got.sum(axis=1) == pytest.approx(want.sum(axis=1), rel=0.01), "the total within 1% each year"
    # the groups: under 18, 18-64, 65-74, 75-84, 85+
    groups = [[0], [1, 2], [3], [4], [5]]
    for g in groups:
        # within 3%, or three binomial sds of a year's deaths and moves where a sample's band is small
        w = want[:, g].sum(axis=1)
        tol = np.maximum(0.03, 3 * np.sqrt(0.25 * w) / w)
        assert np.all(np.abs(got[:, g].sum(axis=1) / w - 1) <= tol), (g, got[:, g].sum(axis=1), w)

    def faster(counts: np.ndarray) -> float:
        """How much faster a year the 75+ grow than the rest."""
        older, rest = counts[:, 4:].sum(axis=1), counts[:, :4].sum(axis=1)
        return (older[-1] / older[0]) ** (1 / (years - 1)) - (rest[-1] / rest[0]) ** (1 / (years - 1))

    assert faster(want) == pytest.approx(0.01, abs=0.005), "the projection: about 1% a year faster (seed 000)"
    # the band (a point either side of 1%), and the projection's own figure within half a
    # point (selection and a sample's noise keep the simulated 75+ 0.2 to 0.4 points behind it)
    assert faster(got) == pytest.approx(0.01, abs=0.01)
    assert faster(got) == pytest.approx(faster(want), abs=0.005), (faster(got), faster(want))
    drift = np.diff(s["mean_age"].to_numpy())
    assert np.all(np.abs(drift) <= 0.2), drift
    assert start.sum() == pytest.approx(rep.initial_residents, rel=0.01)


def test_business_as_usual_follows_the_projection_over_two_years(baseline):
    _check_projection(baseline, 0.05, 3, 2)


@pytest.mark.slow
def test_business_as_usual_follows_the_projection_over_five_years(baseline):
    _check_projection(baseline, 0.1, 5, 7)


@pytest.mark.slow
def test_people_move_out_at_their_band_s_rate_and_the_dependent_stay(baseline):
    rep = Replication(baseline, 0, 3, years=1, scale=0.1)
    pop = rep.sys.pop
    res = rep.run().results  # the warm-up year and one more: moves out come at the second year start
    s = res[(res.stratum == "all") & (res.borough == "all") & (res.intervention == "all")]
    moved = s[s.measure == "moves_out"].value.sum()
    residents = s[s.measure.str.startswith("residents_")].value.sum()
    rates = np.asarray(baseline.demography.out_migration_rate.value)
    share = np.asarray(baseline.population.age_band_share.value)
    expected = float(share @ rates) * residents
    assert moved == pytest.approx(expected, rel=0.1)
    moved_out = ~np.isnan(pop.moved_time)
    assert moved_out.any()
    assert not (pop.dependent & moved_out).any(), "nobody who needs 24-hour care moves out"


def test_newcomers_start_with_no_history(baseline):
    rep = Replication(baseline, 0, 4, years=2, scale=0.02)
    forgotten: list[np.ndarray] = []
    iv = rep.sys.interventions
    forget = iv.forget
    iv.forget = lambda rows: (forgotten.append(np.asarray(rows).copy()), forget(rows))[1]
    rep.env.run(until=rep.env.process(_one_year(rep)))
    taken = rep.sys.pop.setting != NOT_ARRIVED  # rows never held keep their first numbers
    arrived = np.flatnonzero(taken & (rep.sys.pop.person >= rep.initial_residents))
    assert arrived.size > 0
    for use in rep.prior.values():
        assert np.all(use[arrived] == 0), "the risk score sees no use for a newcomer"
    # every newcomer's row is handed to Interventions.forget (tested below) as they arrive
    assert forgotten, "Interventions.forget was called for the newcomers"
    assert set(arrived.tolist()) <= set(np.concatenate(forgotten).tolist())


def test_a_newcomer_s_row_keeps_nothing_of_the_last_resident_s_enrolment():
    """Rows are reused: Interventions.forget, called for every newcomer's row, clears the last
    resident's enrolment, wait and target there and nowhere else."""
    from models.loader import load_model
    from tests.conftest import ROOT

    wsic = load_model(ROOT / "models" / "wsic.toml").model
    rep = Replication(wsic, 0, 4, years=1, scale=0.02)
    iv = rep.sys.interventions
    iv.assess(1)
    iv.fill(rep.sys.group, rep.sys.pop.risk_score)
    act = next(a for a in iv.active if a.enrolled.sum() > 5)
    rows = np.flatnonzero(act.enrolled)[:5]
    act.waiting[rows] = True
    kept = {a.name: (a.enrolled.copy(), a.target.copy()) for a in iv.active}
    iv.enrolment.stale = False
    iv.forget(rows)
    assert iv.enrolment.stale, "the enrolment's counts are recomputed before they are next read"
    for a in iv.active:
        assert not (a.enrolled[rows].any() or a.waiting[rows].any() or a.target[rows].any()), a.name
        enrolled, target = kept[a.name]
        enrolled[rows] = target[rows] = False
        np.testing.assert_array_equal(a.enrolled, enrolled)
        np.testing.assert_array_equal(a.target, target)


def _one_year(rep: Replication):
    """The warm-up year and the next year's start, as Replication.main plays them."""
    main = rep.main()
    for ev in main:
        yield ev
        if rep.env.now >= 365.25 * 1 + 1:
            return


@pytest.mark.slow
def test_the_same_seed_gives_the_same_newcomers_whatever_the_scenario(baseline):
    """Who arrives and which row they take does not depend on what the care system did."""
    from models.loader import load_model
    from tests.conftest import ROOT

    wsic = load_model(ROOT / "models" / "wsic.toml").model
    a = run_replication(baseline, 0, 6, years=2, scale=0.02)
    b = run_replication(wsic, 0, 6, years=2, scale=0.02)
    sa, sb = _system(a), _system(b)
    for m in ("births", "moves_in", "moves_out", *resident_bands(baseline.population.age_band_lower.value)):
        assert np.array_equal(sa[m].to_numpy(), sb[m].to_numpy()), m


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_each_band_moves_out_at_its_rate_and_the_more_in_need_less(baseline, seed):
    """The chance is the band's cited rate on average over those who can move, and falls as need
    rises above the resident's base (the starting packages' weight reads it per resident)."""
    pop, _ = population_hazards(baseline, 400, seed=seed)
    lower = np.asarray(baseline.population.age_band_lower.value)
    band = np.searchsorted(lower, pop.age, side="right") - 1
    can = pop.alive.copy()
    p = move_out_chance(pop, baseline, band, can)
    rates = np.asarray(baseline.demography.out_migration_rate.value)
    for b in np.unique(band[can]):
        inside = can & (band == b)
        if (p[inside] < 1.0).all():
            assert p[inside].mean() == pytest.approx(rates[b], rel=1e-9)
    rel = pop.need / pop.base_need
    same = can & (band == band[can][0]) & (pop.base_need > 0)
    order = np.argsort(rel[same])
    assert (np.diff(p[same][order]) <= 1e-15).all(), "the more in need, the less likely to move"
