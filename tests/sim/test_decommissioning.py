"""Decommissioning (sim/decommissioning.py): beds close once a year's mean occupancy falls below the
stated level, from the year ``lag_years`` later, and each closed bed releases a year at a bed day's
cost."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.replication import run_replication

pytestmark = pytest.mark.slow  # three-year runs with and without closures (about 11 s)

SEED = 3
SCALE = 0.03
YEARS = 3
BEDS = 1400  # the baseline's, at full size at any scale
BED_DAY = 250  # unit_costs.bed_day
MEASURES = ("beds_decommissioned", "decommissioned_beds_cash")


def decommission(level: float, lag: int) -> dict:
    return {
        "below_occupancy": {"value": level, "unit": "share of open beds occupied", "source": "test"},
        "lag_years": {"value": lag, "unit": "years", "source": "test"},
    }


def beds(model, years: int = YEARS) -> pd.DataFrame:
    """The whole system's bed measures, one row a reported year."""
    r = run_replication(model, 0, seed=SEED, years=years, scale=SCALE).results
    whole = r[(r.stratum == "all") & (r.borough == "all") & (r.intervention == "all")]
    return whole.pivot_table(index="year", columns="measure", values="value", aggfunc="sum")


@pytest.fixture(scope="module")
def lag1(make_variant):
    return beds(make_variant(**{"hospital.decommission": decommission(0.9, 1)}))


@pytest.fixture(scope="module")
def lag2(make_variant):
    return beds(make_variant(**{"hospital.decommission": decommission(0.9, 2)}))


def closures(table: pd.DataFrame, level: float, lag: int) -> list[float]:
    """Beds closed by each year by the rule, from the years' mean occupancy as reported."""
    pending: dict[int, int] = {}
    closed, out = 0, []
    for year in table.index:
        closed += pending.pop(year, 0)
        out.append(closed)
        open_then = BEDS - closed - sum(pending.values())
        mean = table.at[year, "beds_occupied"]
        if mean < level * open_then and open_then - math.ceil(mean / level) > 0:
            pending[year + lag] = pending.get(year + lag, 0) + open_then - math.ceil(mean / level)
    return out


def test_without_the_setting_no_bed_closes_and_nothing_is_reported(baseline):
    assert baseline.hospital.decommission is None
    table = beds(baseline, years=2)
    assert not set(MEASURES) & set(table.columns)
    np.testing.assert_array_equal(table["beds_capacity"], [BEDS, BEDS])


def test_beds_close_the_year_after_a_year_below_the_level(lag1):
    closed = lag1["beds_decommissioned"]
    assert closed.loc[1] == 0, "nothing closes in the first reported year"
    assert closed.loc[2] > 0
    assert closed.is_monotonic_increasing
    # the closures follow from the occupancy reported: down to as many beds as would run at 90%
    assert closed.tolist() == closures(lag1, 0.9, 1)
    assert closed.loc[2] == BEDS - math.ceil(lag1.at[1, "beds_occupied"] / 0.9)


def test_a_two_year_lag_closes_nothing_before_the_third_year(lag1, lag2):
    closed = lag2["beds_decommissioned"]
    assert closed.loc[1] == 0 and closed.loc[2] == 0
    assert closed.loc[3] > 0
    assert closed.tolist() == closures(lag2, 0.9, 2)
    # year 1 ran the same with either lag, so its decision is the same, two years on instead of one
    assert lag2.at[1, "beds_occupied"] == lag1.at[1, "beds_occupied"]
    assert closed.loc[3] == lag1.at[2, "beds_decommissioned"]


@pytest.mark.parametrize("which", ["lag1", "lag2"])
def test_each_closed_bed_releases_a_year_at_a_bed_days_cost(which, request):
    table = request.getfixturevalue(which)
    cash = table["decommissioned_beds_cash"]
    np.testing.assert_allclose(cash, table["beds_decommissioned"] * 365 * BED_DAY, rtol=1e-12)
    assert cash.iloc[-1] > 0


@pytest.mark.parametrize("which", ["lag1", "lag2"])
def test_the_system_runs_on_the_beds_left_open(which, request):
    table = request.getfixturevalue(which)
    np.testing.assert_array_equal(table["beds_capacity"], BEDS - table["beds_decommissioned"])
    assert table["beds_capacity"].iloc[-1] < BEDS
    # fewer beds, all the same enough for the mean in use
    assert np.all(table["beds_occupied"] <= table["beds_capacity"])


def test_a_level_below_the_occupancy_closes_nothing(make_variant):
    table = beds(make_variant(**{"hospital.decommission": decommission(0.3, 1)}), years=2)
    assert table["beds_occupied"].min() > 0.3 * BEDS  # the level is never reached
    np.testing.assert_array_equal(table["beds_decommissioned"], [0, 0])
    np.testing.assert_array_equal(table["decommissioned_beds_cash"], [0, 0])
    np.testing.assert_array_equal(table["beds_capacity"], [BEDS, BEDS])
