"""The targets as transcribed, and the CBA arithmetic that calibration is checked against."""

from __future__ import annotations

import pandas as pd
import pytest

from calibration import cba
from calibration.targets import DATA, load_targets, strata_table


def test_every_table_has_units_year_and_source():
    for path in DATA.glob("*.csv"):
        table = pd.read_csv(path)
        for col in ("units", "year", "source"):
            assert col in table.columns, (path.name, col)
            assert table[col].notna().all(), (path.name, col)


def test_strata_table_adds_up():
    t = strata_table()
    parts = t[
        ["nel_cost_per_capita", "other_hospital_cost_per_capita", "ooh_cost_per_capita", "sc_cost_per_capita"]
    ].sum(axis=1)
    assert (abs(parts - t.total_cost_per_capita) <= 2).all(), "columns sum to the total per head"
    spend = (t.population * t.total_cost_per_capita).sum() / 1e6
    assert spend == pytest.approx(589.5, abs=1.0)
    top = t.loc[["very_high", "high", "moderate"]]
    assert (top.population * top.total_cost_per_capita).sum() / 1e6 / spend == pytest.approx(0.77, abs=0.01)


def test_targets_and_tolerances():
    targets = {t.name: t for t in load_targets()}
    assert len(targets) == 40
    assert sum(t.group == "guard" for t in targets.values()) == 1, "39 acceptance targets and the guard"
    assert targets["excess_bed_day_share"].tolerance == pytest.approx(0.03)
    assert targets["very_high:sc_cost"].tolerance == pytest.approx(0.05 * 13357)
    assert targets["low:nel_cost"].tolerance == 2.0, "10% or 2 pounds a head, whichever is larger"
    assert targets["total_spend"].tolerance == pytest.approx(0.03 * 589.5)
    assert targets["tree:0"].tolerance == pytest.approx(0.15 * 429.1)
    assert "tree:2" not in targets, "leaves under 500 people are not targets"


def test_cba_arithmetic_reproduces_the_seed_table_from_the_seed_costs():
    """Feeding the table's own per-head costs through the what-if gives the CBA table: this is
    how the table was read, and what the fitted model is held to. The person log is the table's
    population, one row per resident with its stratum's costs per head, so the what-if sums it as it
    sums a simulated one; the table's totals are whole GBP m."""
    t = strata_table()
    columns = {
        "cost_nel": t.nel_cost_per_capita,
        "cost_other_hospital": t.other_hospital_cost_per_capita,
        "cost_ooh": t.ooh_cost_per_capita,
        "cost_sc": t.sc_cost_per_capita,
        "cost_total": t.total_cost_per_capita,
    }
    residents = t.index.repeat(t.population)
    persons = pd.DataFrame({c: v.loc[residents].to_numpy() for c, v in columns.items()})
    persons.insert(0, "stratum_concurrent", residents)
    persons["scale"] = 1.0
    assert len(persons) == t.population.sum() == 466_920
    got = cba.what_if([persons]).set_index(["scenario", "stratum"])
    want = cba.observed().set_index(["scenario", "stratum"])
    for scenario in ("lower", "upper"):
        for col in ("gross", "reinvest", "net"):
            assert got.loc[(scenario, "total"), col] == pytest.approx(want.loc[(scenario, "total"), col], abs=0.5)
