"""The board's economics (experiments/economics.py) on small made-up results whose figures are
worked out by hand: savings in kinds (cash-releasing and capacity-releasing), the commissioned
places as investment, decommissioned beds as cash, bed days freed, discounting and the share of
replications that come out ahead."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.economics import DECOMMISSIONED, POSITIVE, _bed_days_freed, board_figures, paired_yearly, yearly

COLUMNS = ["scenario", "replication", "year", "borough", "stratum", "intervention", "measure", "value"]
REPS, YEARS = (0, 1), (1, 2, 3)
DISCOUNT = 1.035
Z = 1.959963984540054  # the normal's 97.5% point

# One year of a comparator and a scenario, the whole system's figures. Residents' costs add up by
# setting (nel + other hospital + out of hospital + social care = total), by payer (NHS + council)
# and by kind (cash + capacity); the used places (virtual ward days, NHS, out of hospital;
# reablement, council, social care) are inside the residents' capacity-releasing costs.
BASE = {
    "cost_nel": 1000.0,
    "cost_other_hospital": 500.0,
    "cost_ooh": 300.0,
    "cost_sc": 700.0,
    "cost_total": 2500.0,
    "cost_nhs": 1800.0,
    "cost_council": 700.0,
    "cost_cash_releasing": 1600.0,
    "cost_capacity_releasing": 900.0,
    "nel_admissions": 100.0,
    "bed_days": 1000.0,
    "tariff_excess_days": 50.0,
    "bed_days_value": 300_000.0,  # 300 GBP a bed day
    "excess_bed_days": 80.0,
    "ae_attendances": 400.0,
    "care_home_admissions": 10.0,
    "cost_places_nhs": 150.0,
    "cost_places_council": 250.0,
    "cost_places_used_nhs": 100.0,
    "cost_places_used_ooh": 100.0,
    "cost_places_used_council": 200.0,
    "cost_places_used_sc": 200.0,
}
SCENARIO = {
    **BASE,
    "cost_nel": 800.0,
    "cost_other_hospital": 450.0,
    "cost_ooh": 360.0,  # 60 more virtual ward days used, nothing else out of hospital
    "cost_sc": 590.0,
    "cost_total": 2200.0,
    "cost_nhs": 1610.0,
    "cost_council": 590.0,
    "cost_cash_releasing": 1300.0,
    "cost_capacity_releasing": 900.0,
    "nel_admissions": 95.0,
    "bed_days": 900.0,
    "tariff_excess_days": 40.0,
    "bed_days_value": 270_000.0,
    "excess_bed_days": 70.0,
    "care_home_admissions": 8.0,
    "cost_places_nhs": 250.0,  # the virtual ward's block, doubled
    "cost_places_used_nhs": 160.0,
    "cost_places_used_ooh": 160.0,
    "cost_interventions_nhs": 50.0,
    "cost_workforce_council": 30.0,
    DECOMMISSIONED: 40.0,
}
# what the scenario saves each year, worked by hand from the two above
EXPECTED = {
    "nel_admissions_avoided": 5.0,
    "bed_days_avoided": 100.0,
    "ae_attendances_avoided": 0.0,
    "care_home_admissions_avoided": 2.0,
    "excess_bed_days_avoided": 10.0,
    "savings_nel": 200.0,
    "savings_other_hospital": 50.0,
    "savings_ooh": 0.0,  # (300 - 100) - (360 - 160): the extra days used are in the block
    "savings_sc": 110.0,  # (700 - 200) - (590 - 200)
    "savings_nhs": 290.0,  # (1800 - 100) - (1610 - 160) + 40 decommissioned
    "savings_council": 110.0,
    "savings_cash": 340.0,  # 1600 - 1300 + 40 decommissioned
    "savings_capacity": 60.0,  # (900 - 300) - (900 - 360)
    "decommissioned_cash": 40.0,
    "gross_savings": 400.0,  # (2500 - 300) - (2200 - 360) + 40
    "investment": 180.0,  # (250 + 250 + 50 + 30) - (150 + 250)
    "investment_nhs": 150.0,
    "investment_council": 30.0,
    "net_savings": 220.0,
    "net_cash_savings": 160.0,
    # (1000 - 900) - 5 x (1000 - 50) / 100 - (50 - 40) = 42.5 days at 300 (the avoided spells'
    # days up to the trim point, and the excess days, are paid for by the tariff), less the 40 the
    # closed beds turned into cash
    "bed_days_freed_value": 12_710.0,
}
SYSTEM = {
    "cost_places_nhs",
    "cost_places_council",
    "cost_places_used_nhs",
    "cost_places_used_ooh",
    "cost_places_used_council",
    "cost_places_used_sc",
    "cost_workforce_nhs",
    "cost_workforce_council",
}


def rows(scenario: str, rep: int, year: int, figures: dict[str, float]) -> list[tuple]:
    """A year's figures as a replication reports them: residents' measures spread over boroughs
    and strata (with rows that must not be counted among them), the places and the workforce by
    borough, an intervention's costs under its name, decommissioned beds for the whole system."""
    out = []
    for measure, value in figures.items():
        if measure.startswith("cost_interventions_"):
            out.append((scenario, rep, year, "all", "all", "prevent", measure, value))
        elif measure == DECOMMISSIONED:
            out.append((scenario, rep, year, "all", "all", "all", measure, value))
        elif measure in SYSTEM:
            out.append((scenario, rep, year, "westminster", "all", "all", measure, 0.25 * value))
            out.append((scenario, rep, year, "kensington_chelsea", "all", "all", measure, 0.75 * value))
        else:
            out.append((scenario, rep, year, "westminster", "very_high", "all", measure, 0.6 * value))
            out.append((scenario, rep, year, "kensington_chelsea", "low", "all", measure, 0.4 * value))
            # neither a stratum's total nor what an intervention is credited with is a resident's cost
            out.append((scenario, rep, year, "westminster", "all", "all", measure, 1e9))
            out.append((scenario, rep, year, "westminster", "very_high", "prevent", measure, 1e9))
    return out


def frame(worlds: dict[str, object]) -> pd.DataFrame:
    """Results for scenarios each given as a year's figures, or as a function of (rep, year) to them."""
    out = []
    for scenario, world in worlds.items():
        for rep in REPS:
            for year in YEARS:
                figures = world(rep, year) if callable(world) else world
                out += rows(scenario, rep, year, figures)
    return pd.DataFrame(out, columns=COLUMNS)


def figure(board: pd.DataFrame, name: str, scenario: str = "scenario") -> pd.Series:
    got = board[(board.scenario == scenario) & (board.figure == name)]
    assert len(got) == 1, name
    return got.iloc[0]


def cheaper(figures: dict[str, float], cash: float) -> dict[str, float]:
    """A year of the comparator with ``cash`` less spent on emergency spells."""
    out = dict(figures)
    for m in ("cost_nel", "cost_total", "cost_nhs", "cost_cash_releasing"):
        out[m] -= cash
    return out


@pytest.fixture(scope="module")
def paired() -> pd.DataFrame:
    return paired_yearly(frame({"baseline": BASE, "scenario": SCENARIO}))


def test_yearly_takes_the_used_places_out_of_the_residents_spend():
    table = yearly(frame({"baseline": BASE})).set_index(["replication", "year"])
    assert len(table) == 6
    first = table.loc[(0, 1)]
    assert first["cost_total"] == pytest.approx(2500 - 300)
    assert first["cost_ooh"] == pytest.approx(300 - 100)
    assert first["cost_sc"] == pytest.approx(700 - 200)
    assert first["cost_nhs"] == pytest.approx(1800 - 100)
    assert first["cost_council"] == pytest.approx(700 - 200)
    assert first["cost_capacity_releasing"] == pytest.approx(900 - 300)
    assert first["cost_cash_releasing"] == pytest.approx(1600)
    assert first["investment"] == pytest.approx(150 + 250)  # the whole blocks
    assert first["nel_admissions"] == pytest.approx(100)  # the strata's rows only


def test_savings_by_kind_setting_and_payer_are_as_worked_by_hand(paired):
    assert len(paired) == len(REPS) * len(YEARS)
    assert set(paired.scenario) == {"scenario"}
    for column, value in EXPECTED.items():
        np.testing.assert_allclose(paired[column], value, rtol=1e-12, atol=1e-9, err_msg=column)
    # gross savings are the cash-releasing and the capacity-releasing, and come out the same by
    # setting (with the beds decommissioned) and by payer
    np.testing.assert_allclose(paired.gross_savings, paired.savings_cash + paired.savings_capacity)
    settings_ = paired[["savings_nel", "savings_other_hospital", "savings_ooh", "savings_sc"]].sum(axis=1)
    np.testing.assert_allclose(paired.gross_savings, settings_ + paired.decommissioned_cash)
    np.testing.assert_allclose(paired.gross_savings, paired.savings_nhs + paired.savings_council)


def test_places_nobody_uses_cost_their_whole_block():
    idle = {**SCENARIO, "cost_places_nhs": SCENARIO["cost_places_nhs"] + 5000, "cost_places_council": 1250.0}
    before = paired_yearly(frame({"baseline": BASE, "scenario": SCENARIO}))
    after = paired_yearly(frame({"baseline": BASE, "scenario": idle}))
    np.testing.assert_allclose(after.gross_savings, before.gross_savings)
    np.testing.assert_allclose(after.net_savings - before.net_savings, -6000)
    np.testing.assert_allclose(after.investment_nhs - before.investment_nhs, 5000)
    np.testing.assert_allclose(after.investment_council - before.investment_council, 1000)
    np.testing.assert_allclose(after.net_cash_savings, 160 - 6000)


def test_days_used_of_the_places_are_not_paid_for_twice():
    # residents use 70 GBP more of the virtual ward's block: in their own costs and in the block's used part
    busier = dict(SCENARIO)
    for m in ("cost_ooh", "cost_total", "cost_nhs", "cost_capacity_releasing"):
        busier[m] += 70
    for m in ("cost_places_used_nhs", "cost_places_used_ooh"):
        busier[m] += 70
    got = paired_yearly(frame({"baseline": BASE, "scenario": busier}))
    for column in ("gross_savings", "net_savings", "savings_ooh", "savings_nhs", "savings_capacity", "investment"):
        np.testing.assert_allclose(got[column], EXPECTED[column], err_msg=column)


def test_decommissioned_beds_are_cash_for_the_nhs():
    both = paired_yearly(frame({"baseline": {**BASE, DECOMMISSIONED: 10.0}, "scenario": SCENARIO}))
    none = paired_yearly(frame({"baseline": BASE, "scenario": {**SCENARIO, DECOMMISSIONED: 0.0}}))
    np.testing.assert_allclose(both.decommissioned_cash, 30)  # the scenario's beyond the comparator's
    np.testing.assert_allclose(none.decommissioned_cash, 0)
    for column in ("savings_cash", "savings_nhs", "gross_savings", "net_savings"):
        np.testing.assert_allclose(both[column], EXPECTED[column] - 10, err_msg=column)
        np.testing.assert_allclose(none[column], EXPECTED[column] - 40, err_msg=column)
    for column in ("savings_council", "savings_capacity", "investment", "savings_nel"):
        np.testing.assert_allclose(both[column], EXPECTED[column], err_msg=column)
    board = board_figures(frame({"baseline": {**BASE, DECOMMISSIONED: 10.0}, "scenario": SCENARIO}))
    assert figure(board, "gross savings: beds decommissioned")["mean"] == pytest.approx(3 * 30 / 1e6)
    assert figure(board, "gross savings: cash-releasing")["mean"] == pytest.approx(3 * 330 / 1e6)


@pytest.mark.parametrize(
    ("own", "days"),
    [
        ({"bed_days": 900.0, "nel_admissions": 95.0, "tariff_excess_days": 40.0}, 42.5),
        # shorter stays only: every day that fell is freed, less the excess days the tariff paid
        ({"bed_days": 880.0, "nel_admissions": 100.0, "tariff_excess_days": 30.0}, 100.0),
        # admissions avoided with no day saved beyond their own (9.5 each up to the trim): nothing freed
        ({"bed_days": 905.0, "nel_admissions": 90.0, "tariff_excess_days": 50.0}, 0.0),
        # as many days on fewer spells: longer stays take up days
        ({"bed_days": 1000.0, "nel_admissions": 90.0, "tariff_excess_days": 50.0}, -95.0),
    ],
)
def test_bed_days_freed_are_those_no_price_paid_for(own, days):
    base = pd.DataFrame([BASE])
    got = _bed_days_freed(base, pd.DataFrame([{**BASE, **own}]))
    assert got.iat[0] == pytest.approx(days * 300)  # at the comparator's value of a bed day
    paired = paired_yearly(frame({"baseline": BASE, "scenario": {**SCENARIO, **own}}))
    # the scenario's 40 of closed beds are cash only up to the bed days freed, and leave them
    cashed = min(40.0, max(days * 300, 0.0))
    np.testing.assert_allclose(paired.decommissioned_cash, cashed)
    np.testing.assert_allclose(paired.bed_days_freed_value, days * 300 - cashed)
    # capacity, not in the gross savings: they are those of the scenario as it stands, and the cash
    np.testing.assert_allclose(paired.gross_savings, EXPECTED["gross_savings"] - 40 + cashed)


def test_bed_days_freed_are_nothing_where_the_comparator_has_no_stays():
    base = pd.DataFrame([{**BASE, "bed_days": 0.0, "nel_admissions": 0.0, "bed_days_value": 0.0}])
    assert _bed_days_freed(base, pd.DataFrame([BASE])).iat[0] == 0.0


# net savings by replication and year: gross savings (emergency spells less spent) and investment
GROSS = {0: (100.0, 130.0, 140.0), 1: (0.0, 100.0, 203.0)}
INVESTED = {0: (150.0, 100.0, 100.0), 1: (100.0, 100.0, 100.0)}


def ahead_and_behind(rep: int, year: int) -> dict[str, float]:
    return {**cheaper(BASE, GROSS[rep][year - 1]), "cost_interventions_nhs": INVESTED[rep][year - 1]}


@pytest.fixture(scope="module")
def board() -> pd.DataFrame:
    # a scenario named to sort before the comparator, which is named
    results = frame({"a_scenario": ahead_and_behind, "baseline": BASE})
    return board_figures(results, comparator="baseline")


def test_year_one_is_undiscounted_and_later_years_at_three_and_a_half_percent():
    paired = paired_yearly(frame({"baseline": BASE, "scenario": ahead_and_behind}))
    by_year = paired.groupby("year").discount_factor.first()
    np.testing.assert_allclose(by_year, [1.0, 1 / 1.035, 1 / 1.035**2], rtol=1e-12)
    net = {rep: np.subtract(GROSS[rep], INVESTED[rep]) for rep in REPS}
    np.testing.assert_array_equal(net[0], [-50, 30, 40])
    for rep in REPS:
        got = paired[paired.replication == rep].sort_values("year").net_savings.to_numpy()
        np.testing.assert_allclose(got, net[rep])


def test_discounted_figures_per_replication(board):
    disc = np.array([1.0, 1 / DISCOUNT, 1 / DISCOUNT**2])
    net = [np.dot(np.subtract(GROSS[r], INVESTED[r]), disc) for r in REPS]
    assert net[0] == pytest.approx(-50 + 30 / 1.035 + 40 / 1.035**2)  # 16.33: ahead
    assert net[1] == pytest.approx(-100 + 103 / 1.035**2)  # -3.85: behind, though 3 ahead undiscounted
    row = figure(board, "net savings, discounted at 3.5%", "a_scenario")
    assert row["mean"] == pytest.approx(np.mean(net) / 1e6)
    assert row["n"] == 2
    half = 12.706204736174707 * np.std(net, ddof=1) / math.sqrt(2)  # t with 1 degree of freedom
    assert row["ci_high"] - row["mean"] == pytest.approx(half / 1e6)
    assert figure(board, "net savings", "a_scenario")["mean"] == pytest.approx((20 + 3) / 2 / 1e6)
    gross = [np.dot(GROSS[r], disc) for r in REPS]
    assert figure(board, "gross savings, discounted at 3.5%", "a_scenario")["mean"] == pytest.approx(
        np.mean(gross) / 1e6
    )
    nhs = figure(board, "net savings: NHS, discounted at 3.5%", "a_scenario")["mean"]
    assert nhs == pytest.approx(np.mean(net) / 1e6)  # all of it the NHS's
    assert figure(board, "net savings: council, discounted at 3.5%", "a_scenario")["mean"] == pytest.approx(0)


def test_the_share_ahead_is_of_replications_with_a_wilson_interval(board):
    row = figure(board, POSITIVE, "a_scenario")
    assert row["unit"] == "share of replications"
    assert row["mean"] == 0.5  # replication 0 ahead, replication 1 behind once discounted
    n, p = 2, 0.5
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    assert row["ci_low"] == pytest.approx(centre - half, rel=1e-9)  # 0.0945
    assert row["ci_high"] == pytest.approx(centre + half, rel=1e-9)  # 0.9055
    assert row["ci_low"] < row["mean"] < row["ci_high"]


def test_all_replications_ahead_have_a_wilson_interval_reaching_one():
    board = board_figures(frame({"baseline": BASE, "scenario": SCENARIO}))
    row = figure(board, POSITIVE)
    assert row["mean"] == 1.0
    n = 2
    assert row["ci_high"] == pytest.approx(1.0)
    assert row["ci_low"] == pytest.approx(n / (n + Z**2), rel=1e-9)  # 0.342
    assert row["ci_low"] < row["mean"] <= row["ci_high"]
    assert figure(board, "net savings", "scenario")["mean"] == pytest.approx(3 * 220 / 1e6)
    assert figure(board, "investment", "scenario")["mean"] == pytest.approx(3 * 180 / 1e6)
    assert figure(board, "gross savings: capacity-releasing (staff time and places)")["mean"] == pytest.approx(
        3 * 60 / 1e6
    )


def test_first_year_ahead_and_the_discounted_payback_year(board):
    first = figure(board, "first year savings exceed costs", "a_scenario")
    assert first["mean"] == pytest.approx((2 + 3) / 2)  # gross beats investment in year 2, and in year 3
    payback = figure(board, "year investment is paid back (discounted)", "a_scenario")
    assert payback["n"] == 1  # replication 1 has not paid back by its third and last year
    assert payback["mean"] == 3.0


# ----- a property: whatever the figures, the kinds and the payers add up ---------------------------
money = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
share = st.floats(min_value=0, max_value=1)
year_figures = st.fixed_dictionaries(
    {
        "cost_nel": money,
        "cost_other_hospital": money,
        "cost_ooh": money,
        "cost_sc": money,
        "cash_share": share,
        "cost_places_used_nhs": money,
        "cost_places_used_council": money,
        "cost_places_nhs": money,
        "cost_places_council": money,
        "cost_workforce_nhs": money,
        "cost_workforce_council": money,
        "cost_interventions_nhs": money,
        "cost_interventions_council": money,
        DECOMMISSIONED: money,
        "bed_days": st.floats(min_value=1, max_value=1e5),
        "nel_admissions": st.floats(min_value=1, max_value=1e4),
    }
)


def consistent(f: dict[str, float]) -> dict[str, float]:
    """A drawn year made to add up as a replication's does."""
    out = {k: v for k, v in f.items() if k != "cash_share"}
    total = f["cost_nel"] + f["cost_other_hospital"] + f["cost_ooh"] + f["cost_sc"]
    out["cost_total"] = total
    out["cost_nhs"] = f["cost_nel"] + f["cost_other_hospital"] + f["cost_ooh"]
    out["cost_council"] = f["cost_sc"]
    out["cost_cash_releasing"] = f["cash_share"] * total
    out["cost_capacity_releasing"] = total - out["cost_cash_releasing"]
    out["cost_places_used_ooh"] = f["cost_places_used_nhs"]
    out["cost_places_used_sc"] = f["cost_places_used_council"]
    out["tariff_excess_days"] = 0.1 * f["bed_days"]
    out["bed_days_value"] = 250 * f["bed_days"]
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(year_figures, min_size=12, max_size=12))
def test_gross_is_cash_plus_capacity_and_net_is_gross_less_investment(drawn):
    years = iter(drawn)
    worlds = {name: {(r, y): consistent(next(years)) for r in REPS for y in YEARS} for name in ("baseline", "s")}
    results = frame({name: (lambda r, y, w=w: w[(r, y)]) for name, w in worlds.items()})
    paired = paired_yearly(results)
    assert len(paired) == 6
    tol = {"rtol": 1e-9, "atol": 1e-3}
    np.testing.assert_allclose(paired.gross_savings, paired.savings_cash + paired.savings_capacity, **tol)
    np.testing.assert_allclose(paired.net_savings, paired.gross_savings - paired.investment, **tol)
    np.testing.assert_allclose(paired.gross_savings, paired.savings_nhs + paired.savings_council, **tol)
    np.testing.assert_allclose(paired.investment, paired.investment_nhs + paired.investment_council, **tol)
    np.testing.assert_allclose(paired.net_cash_savings, paired.savings_cash - paired.investment, **tol)
    # and each is what the drawn figures give, worked out afresh
    for row in paired.itertuples():
        b, s = worlds["baseline"][(row.replication, row.year)], worlds["s"][(row.replication, row.year)]
        closed = s[DECOMMISSIONED] - b[DECOMMISSIONED]
        freed = _bed_days_freed(pd.DataFrame([b]), pd.DataFrame([s])).iat[0]
        decommissioned = min(closed, max(freed, 0.0)) if closed > 0 else closed  # no more than was freed
        assert row.gross_savings == pytest.approx(spend(b) - spend(s) + decommissioned, rel=1e-9, abs=1e-3)
        assert row.investment == pytest.approx(invested(s) - invested(b), rel=1e-9, abs=1e-3)
        cash = b["cost_cash_releasing"] - s["cost_cash_releasing"] + decommissioned
        assert row.savings_cash == pytest.approx(cash, rel=1e-9, abs=1e-3)
        assert row.discount_factor == pytest.approx(DISCOUNT ** -(row.year - 1))


def spend(w: dict[str, float]) -> float:
    """Residents' spend outside the commissioned places."""
    return w["cost_total"] - w["cost_places_used_nhs"] - w["cost_places_used_council"]


def invested(w: dict[str, float]) -> float:
    keys = ("places", "workforce", "interventions")
    return sum(w[f"cost_{k}_{p}"] for k in keys for p in ("nhs", "council"))
