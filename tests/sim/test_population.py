import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sim.population import (
    DEAD,
    HOME,
    OLDEST_AGE,
    advance_year,
    age_band,
    age_within_band,
    band_bounds,
    band_mids,
    by_age,
    cost_tree_leaf,
    death_rate_at,
    synthesise,
    update_need,
)
from sim.risk import risk_score, stratify


@pytest.fixture(scope="module")
def pop(baseline):
    return synthesise(baseline, 200_000, np.random.default_rng(7))


def test_everyone_starts_alive_at_home(pop):
    assert pop.size == 200_000
    assert np.all(pop.setting == HOME)
    assert not np.any(pop.setting == DEAD)


def test_ages_within_a_band_follow_survival_not_a_flat_spread(pop, baseline):
    """In the oldest band the density falls with survival (about 0.8 a year of age past 90): the
    85-89s outnumber the 90-94s about two to one, as in England's population, where a flat spread
    put as many of 95 as of 86 and the band's age mix moved 60% in six simulated years. The
    working ages, with small death rates, stay about flat."""
    old = pop.age[pop.age >= 85]
    n = [np.sum((old >= lo) & (old < lo + 5)) for lo in (85, 90, 95)]
    assert 1.6 < n[0] / n[1] < 2.6 and n[1] > n[2] > 0
    assert old.max() > 97 and old.max() < OLDEST_AGE
    working = pop.age[(pop.age >= 18) & (pop.age < 45)]
    assert working.mean() == pytest.approx((18 + 45) / 2, abs=0.3)


@given(u=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=40), band=st.integers(0, 5))
@settings(max_examples=50, deadline=None)
def test_age_within_band_is_monotone_in_its_draw_and_stays_in_the_band(baseline, u, band):
    """Each band's ages are the inverse of a distribution function: a larger draw, an older
    resident, always within the band (the oldest band's up to OLDEST_AGE)."""
    u = np.sort(np.asarray(u))
    age = age_within_band(baseline, np.full(u.size, band), u)
    lower, upper = band_bounds(baseline.population)
    top = OLDEST_AGE if band == lower.size - 1 else upper[band]
    assert np.all(np.diff(age) >= 0)
    assert np.all((age >= lower[band]) & (age <= top))


def test_death_rate_by_age_meets_each_band_s_rate_at_its_mid_age(baseline):
    mids = band_mids(baseline.population)
    rate = np.asarray(baseline.mortality.annual_death_rate.value)
    np.testing.assert_allclose(death_rate_at(baseline, mids), rate, rtol=1e-12)
    assert np.all(np.diff(death_rate_at(baseline, np.arange(10.0, 110.0))) > 0)


def test_a_resident_gaining_an_ltc_gains_cancer_so_the_share_at_each_count_holds(baseline):
    """Cancer's share at each LTC count stays the table's as counts rise (no one dies here): drawn
    only at the start, it left the old as the deaths it hastens took them."""
    pop = synthesise(baseline, 100_000, np.random.default_rng(3))
    start_ltc = pop.ltc.copy()
    rng = np.random.default_rng(4)
    for _ in range(5):
        advance_year(pop, baseline, rng)
    assert (pop.ltc > start_ltc).mean() > 0.03, "enough gained conditions to see it"
    by_ltc = np.asarray(baseline.population.cancer_by_ltc.value)
    for k in range(1, 5):
        here = np.minimum(pop.ltc, 4) == k
        assert pop.cancer[here].mean() == pytest.approx(by_ltc[k], abs=max(0.006, 3 * np.sqrt(by_ltc[k] / here.sum())))


def test_ages_shaped_within_a_band_keep_each_band_s_conditions(baseline, monkeypatch):
    """The tables' rows are pinned at each band's mean age, so shaping ages within a band keeps
    each band's mix as flat ages gave it. Pinned at the mid-ages (91 for the 85+, whose mean age is
    about 89.8), the 85+'s recorded dementia fell from 10.7% to 10.1% and the 75-84s' from 4.1% to
    3.9%."""
    import sim.population as population

    def shares(model):
        big = synthesise(model, 600_000, np.random.default_rng(11))
        bands = age_band(big.age, np.asarray(model.population.age_band_lower.value))
        return np.array([[big.dementia[bands == b].mean(), big.ltc[bands == b].mean()] for b in (3, 4, 5)])

    shaped = shares(baseline)
    lower, upper = band_bounds(baseline.population)
    monkeypatch.setattr(population, "age_within_band", lambda m, band, u: lower[band] + u * (upper[band] - lower[band]))
    monkeypatch.setattr(population, "band_mean_ages", lambda m: band_mids(m.population))
    flat = shares(baseline)
    np.testing.assert_allclose(shaped[:, 0], flat[:, 0], atol=0.003)  # dementia, 3 sd at the 85+
    np.testing.assert_allclose(shaped[:, 1], flat[:, 1], rtol=0.01)  # mean LTC count


def test_ltc_mix_follows_the_cost_tree(pop):
    # cost tree (REFERENCE.md section 3): 80.3% with 0 LTCs, 10.2% with 1, 8.1% with 2-3, 1.5% with 4+
    share = lambda mask: mask.mean()  # noqa: E731
    assert share(pop.ltc == 0) == pytest.approx(0.803, abs=0.015)
    assert share(pop.ltc == 1) == pytest.approx(0.102, abs=0.01)
    assert share((pop.ltc >= 2) & (pop.ltc <= 3)) == pytest.approx(0.081, abs=0.01)
    assert share(pop.ltc >= 4) == pytest.approx(0.015, abs=0.005)


def test_age_mix_and_elderly_share(pop, baseline):
    assert np.mean(pop.age >= 75) == pytest.approx(0.05, abs=0.003)
    bands = age_band(pop.age, np.asarray(baseline.population.age_band_lower.value))
    shares = np.bincount(bands, minlength=6) / pop.size
    assert shares == pytest.approx(baseline.population.age_band_share.value, abs=0.004)


def test_need_is_the_leaf_mean_on_average(pop, baseline):
    leaf = cost_tree_leaf(pop.age, pop.ltc, pop.dementia, pop.cancer, pop.learning_disability)
    assert leaf.min() >= 0, "every resident falls in a cost-tree leaf"
    means = np.asarray(baseline.need.segment_mean_cost.value)
    plain = ~pop.smi & (leaf == 0)
    ratio = pop.need[plain].mean() / means[0]
    assert ratio == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize(
    ("age", "ltc", "dementia", "cancer", "ld", "leaf"),
    [
        (30, 0, False, False, False, 0),
        (30, 0, False, True, False, 1),
        (30, 0, False, False, True, 2),
        (80, 0, False, False, False, 3),
        (90, 0, False, False, False, 4),
        (60, 1, False, False, False, 5),
        (60, 1, False, True, False, 6),
        (80, 1, False, False, False, 7),
        (88, 1, False, False, False, 8),
        (70, 2, False, False, False, 9),
        (70, 2, False, True, False, 10),
        (70, 3, False, False, False, 11),
        (70, 3, False, True, False, 12),
        (70, 3, True, False, False, 13),
        (70, 4, False, False, False, 14),
        (70, 5, False, False, False, 15),
        (80, 4, False, False, False, 16),
        (50, 6, False, False, False, 17),
    ],
)
def test_cost_tree_leaves(age, ltc, dementia, cancer, ld, leaf):
    got = cost_tree_leaf(
        np.array([age], float), np.array([ltc]), np.array([dementia]), np.array([cancer]), np.array([ld])
    )
    assert got[0] == leaf


def test_stratify_gives_exact_shares_and_ranks_by_score(baseline):
    rng = np.random.default_rng(1)
    n = 100_000
    score = np.round(rng.random(n), 2)  # many ties
    alive = rng.random(n) > 0.01
    shares = np.asarray(baseline.risk.strata_share.value)
    strata = stratify(score, alive, shares, np.random.default_rng(2))
    assert np.all(strata[~alive] == -1)
    counts = np.bincount(strata[alive], minlength=5)
    expected = np.diff(np.concatenate([[0], np.rint(np.cumsum(shares) * alive.sum())]))
    assert np.array_equal(counts, expected)
    # everyone in a higher stratum scores at least as high as anyone in a lower one
    for k in range(4):
        assert score[alive & (strata == k)].min() >= score[alive & (strata == k + 1)].max()


class _CoarseUniforms:
    """Stands in for a generator whose tie-breaks themselves tie (three values), so the order
    falls through to the row, as np.lexsort leaves equal keys."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def random(self, n: int) -> np.ndarray:
        return self.rng.integers(0, 3, n) / 3.0


@given(
    st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, np.nan]) | st.floats(0, 1), min_size=1, max_size=80),
    st.lists(st.floats(0, 1), min_size=1, max_size=6),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_stratify_cuts_where_a_full_sort_by_score_then_tie_break_then_row_would(values, shares, seed, coarse):
    """The cuts are found by selection; the strata are those of the order np.lexsort gives."""
    score = np.asarray(values, dtype=float)
    shares = np.asarray(shares)
    assume(shares.sum() > 0)
    alive = np.random.default_rng(seed).random(score.size) < 0.85
    make = _CoarseUniforms if coarse else np.random.default_rng
    got = stratify(score, alive, shares, make(seed))
    idx = np.flatnonzero(alive)
    expected = np.full(score.size, -1, dtype=np.int8)
    if idx.size:
        tie = make(seed).random(score.size)[idx]
        order = np.lexsort((tie, -score[idx]))
        bounds = np.rint(np.cumsum(shares) / shares.sum() * idx.size).astype(int)
        bounds[-1] = idx.size
        expected[idx[order]] = np.searchsorted(bounds, np.arange(idx.size), side="right")
    assert np.array_equal(got, expected)


def test_unobserved_risk_spreads_the_score_of_alike_residents(pop, make_variant):
    """Off, residents alike in what the simulation holds score alike; on, their log odds spread by
    the set sd and no more (what the score sees of use is the same)."""
    prior: dict[str, np.ndarray] = {}
    alike = (pop.ltc == 0) & (pop.age >= 30) & (pop.age < 40) & ~pop.smi & ~pop.learning_disability & ~pop.cancer

    def score(sigma: float) -> np.ndarray:
        node = {"value": sigma, "unit": "sd of log odds", "source": "assumption"}
        return risk_score(pop, prior, make_variant(**{"risk.unobserved_sigma": node}))

    assert np.ptp(score(0.0)[alike]) == 0
    sigma = 0.6
    on = score(sigma)
    log_odds = np.log(on / (1 - on))
    assert np.std(log_odds[alike]) == pytest.approx(sigma, rel=0.03)
    assert np.corrcoef(log_odds, pop.unobserved)[0, 1] > 0.3


def test_planned_care_propensity_spreads_planned_care_alone(pop, make_variant):
    """On, outpatient and elective rates of alike residents spread by the set sd of log, with the
    mean kept (the propensity has mean one); the other contacts do not move."""
    from sim.routine import annual_rates

    def rates(sigma: float) -> dict[str, np.ndarray]:
        node = {"value": sigma, "unit": "sd of log", "source": "assumption"}
        # the propensity alone, not following frailty
        return annual_rates(
            pop, make_variant(**{"need.planned_care_sigma": node, "need.planned_care_frailty_correlation": 0.0})
        )

    off, on = rates(0.0), rates(0.8)
    for name in ("outpatient", "elective"):
        ratio = np.log(on[name] / off[name])
        assert np.std(ratio) == pytest.approx(0.8, rel=0.02)
        assert on[name].sum() / off[name].sum() == pytest.approx(1.0, abs=0.03)
    for name in ("gp", "ae_minor", "other_community", "other_social_care"):
        assert np.array_equal(on[name], off[name])


def test_conditions_rise_with_age_within_a_band_and_keep_the_band_s_mix(pop, baseline):
    """Conditions and dementia follow age inside a band (linear between the bands' mid-ages), so
    residents just either side of 65 are alike, while each band keeps about its table's mix."""
    p = baseline.population
    tab = np.asarray(p.ltc_by_age.value)
    bands = age_band(pop.age, np.asarray(p.age_band_lower.value))
    groups = np.choose(np.minimum(pop.ltc, 4), [0, 1, 2, 2, 3])
    for b in range(tab.shape[0]):
        here = bands == b
        got = np.bincount(groups[here], minlength=4) / here.sum()
        np.testing.assert_allclose(got, tab[b], atol=0.03, err_msg=f"band {b}")
    near = lambda lo, hi: pop.ltc[(pop.age >= lo) & (pop.age < hi)].mean()  # noqa: E731
    assert abs(near(63, 65) - near(65, 67)) < 0.15, "no step of a band's size at 65"
    assert near(65, 67) < near(72, 74), "older within the band, more conditions"
    mids = band_mids(p)
    np.testing.assert_allclose(by_age(np.cumsum(tab, axis=1), mids, mids), np.cumsum(tab, axis=1))


@given(ages=st.lists(st.floats(0.0, 110.0), min_size=1, max_size=50))
@settings(max_examples=50, deadline=None)
def test_conditions_by_age_are_a_distribution_at_every_age(baseline, ages):
    """Between two bands' rows the interpolated cumulative shares stay ordered and within [0, 1],
    so every age draws its conditions from a real distribution."""
    p = baseline.population
    cum = by_age(np.cumsum(np.asarray(p.ltc_by_age.value), axis=1), np.asarray(ages), band_mids(p))
    assert np.all(np.diff(cum, axis=1) >= -1e-12)
    assert np.all((cum >= -1e-12) & (cum <= 1 + 1e-9))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), share=st.floats(0.0, 1.0))
def test_need_of_some_rows_is_what_recomputing_everyone_gives(baseline, seed, share):
    """Newcomers taking rows have their need computed alone (the others' are unchanged): the
    result is the whole population's recomputed, to the last bit, and the arrays are new ones
    (a cache keyed on them sees the change)."""
    rng = np.random.default_rng(seed)
    pop = synthesise(baseline, 3000, rng)
    rows = np.flatnonzero(rng.random(pop.size) < share)
    pop.frailty[rows] *= rng.lognormal(0.0, 0.5, rows.size)
    pop.ltc[rows] = rng.integers(0, 4, rows.size)
    pop.age[rows] = rng.uniform(0.0, 100.0, rows.size)
    before = pop.need
    update_need(pop, baseline, rows)
    some_base, some_need = pop.base_need, pop.need
    assert some_need is not before
    update_need(pop, baseline)
    np.testing.assert_array_equal(some_base, pop.base_need)
    np.testing.assert_array_equal(some_need, pop.need)
