"""Death is each resident's own hazard: the boroughs' rates by age band, the same whatever the
care system does (no intervention here acts on death), in whatever setting the resident is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.loader import load_model
from sim.hazards import death_hazard, death_norm, within_band_age_factor
from sim.population import DEAD, age_band
from sim.replication import Replication, run_replication
from tests.conftest import ROOT


def _deaths(model, years: int = 2, scale: float = 0.02) -> pd.Series:
    r = run_replication(model, 0, 4, years=years, scale=scale).results
    people = r[(r.stratum != "all") & (r.measure == "deaths")]
    return people.groupby("year").value.sum()


@pytest.mark.slow
def test_the_wsic_model_has_no_death_mechanism_and_the_same_deaths(baseline):
    """WSIC avoids admissions and care home places but acts on no death: its deaths are business
    as usual's to the last one, so the paired interval of the difference is nil."""
    wsic = load_model(ROOT / "models" / "wsic.toml").model
    assert not any(m.target == "death" for iv in wsic.interventions.values() for m in iv.mechanisms)
    base, with_wsic = _deaths(baseline), _deaths(wsic)
    assert base.sum() > 0
    pd.testing.assert_series_equal(base, with_wsic)


def test_a_band_s_mean_hazard_is_its_cited_rate_and_men_die_more(baseline):
    rep = Replication(baseline, 0, 2, years=1, scale=0.1)
    pop, band = rep.sys.pop, rep.sys.band
    h = death_hazard(pop, baseline, band, death_norm(pop, baseline, band))
    alive = pop.alive
    rates = np.asarray(baseline.mortality.annual_death_rate.value)
    male = np.asarray(baseline.mortality.male_multiplier.value)
    for b in range(rates.size):
        sel = alive & (band == b)
        assert h[sel].mean() == pytest.approx(rates[b], rel=0.05), b
        own = sel & ~pop.dependent  # at the same need a man's hazard is the band's multiple of a woman's
        per_need = h / pop.need**baseline.mortality.need_elasticity.value / within_band_age_factor(pop, baseline, band)
        ratio = per_need[own & ~pop.female].mean() / per_need[own & pop.female].mean()
        assert ratio == pytest.approx(male[b], rel=1e-9), b


def test_the_rate_rises_through_a_band_without_a_step_at_its_edges(baseline):
    """A band's rate at its mid-age, log-linear between mid-ages: at 84.999 and 85 a resident's
    rate is the same, while 97 dies at several times the rate of 85 (the Gompertz slope past 80)."""
    rep = Replication(baseline, 0, 2, years=1, scale=0.01)
    pop, lower = rep.sys.pop, np.asarray(baseline.population.age_band_lower.value)
    rates = np.asarray(baseline.mortality.annual_death_rate.value)
    ages = np.array([9.0, 17.999, 18.0, 44.999, 45.0, 64.999, 65.0, 74.999, 75.0, 84.999, 85.0, 91.0, 97.0])
    pop.age[: ages.size] = ages
    band = age_band(pop.age, lower)
    rows = np.arange(ages.size)
    rate = rates[band[rows]] * within_band_age_factor(pop, baseline, band, rows)
    for k in (1, 3, 5, 7, 9):  # each band edge
        assert rate[k + 1] == pytest.approx(rate[k], rel=1e-3), ages[k]
    assert rate[0] == pytest.approx(rates[0]) and rate[11] == pytest.approx(rates[5])  # mid-ages
    slope = np.log(rates[5] / rates[4]) / (91.0 - 80.0)
    assert rate[12] / rate[10] == pytest.approx(np.exp(12 * slope))


@pytest.mark.slow
def test_simulated_deaths_by_age_band_follow_the_rates(make_variant):
    """Deaths in the first (warm-up) year of those alive at the start, by their age band then,
    against the band's rate (selection: the frailest die first, so a cohort's later years die a
    little less; nobody moves out here)."""
    model = make_variant(**{"demography.out_migration_rate": [0.0] * 6})
    rep = Replication(model, 0, 5, years=1, scale=0.1, event_log=True)
    pop = rep.sys.pop
    start_band = age_band(pop.age.copy(), np.asarray(model.population.age_band_lower.value))
    started = pop.alive.copy()
    events = rep.run().events
    first_year = events[(events.event == "death") & (events.time < 0)]  # times count from year 1
    dead = first_year.person.to_numpy()
    died = np.zeros(pop.size, dtype=bool)
    died[dead[dead < pop.size]] = True  # the starting residents' person numbers are their rows
    rates = np.asarray(model.mortality.annual_death_rate.value)
    for b in (2, 3, 4, 5):  # the bands with enough deaths in a tenth of the population
        sel = started & (start_band == b)
        expected = sel.sum() * (1 - np.exp(-rates[b]))
        got = np.count_nonzero(died & sel)
        assert abs(got - expected) < max(0.15 * expected, 3 * np.sqrt(expected)), (b, got, expected)


def test_each_year_start_holds_every_band_to_its_rate(baseline):
    """The normalisation is set again at each year start, so ageing and the last year's deaths
    (the frailest first) do not drift a band's mean hazard off its rate."""
    rep = Replication(baseline, 0, 5, years=2, scale=0.05)
    pop, rates = rep.sys.pop, np.asarray(baseline.mortality.annual_death_rate.value)
    # a year passes: the frailest fifth of the 75+ die, and everyone ages
    frailest = pop.alive & (pop.age >= 75) & (pop.frailty > np.quantile(pop.frailty, 0.8))
    pop.death_time[frailest] = 0.0
    pop.setting[frailest] = DEAD
    rep.start_year(1)
    h = rep.community.hazards.death
    band = rep.sys.band
    for b in range(rates.size):
        here = pop.alive & (band == b)
        assert h[here].mean() == pytest.approx(rates[b], rel=1e-6), b
