"""The tri-borough CBA "what if": reduce each stratum's activity by the business case's shares and
see what is saved. Reductions are applied as thinning of the simulated activity: each unit of
activity of a resident-year is kept with probability 1 - reduction, so each column's cost falls
by that share in expectation (the expected value is used)."""

from __future__ import annotations

import pandas as pd

from calibration.measure import scale_of
from calibration.targets import DATA

COLUMNS = {
    "nel_reduction": "cost_nel",
    "other_hospital_reduction": "cost_other_hospital",
    "ooh_reduction": "cost_ooh",
    "sc_reduction": "cost_sc",
}


def what_if(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Gross savings, reinvestment and net savings (GBP m) by stratum and scenario, mean over reps
    (frames: each replication's person log, at the scale its scale column says)."""
    scenarios = pd.read_csv(DATA / "cba_scenarios.csv").set_index("scenario")
    rows = []
    for rep, persons in enumerate(frames):
        sums = persons.groupby("stratum_concurrent", observed=True)[[*COLUMNS.values(), "cost_total"]].sum()
        cost = sums / scale_of(persons)
        for name, s in scenarios.iterrows():
            gross = sum(s[k] * cost[col] for k, col in COLUMNS.items())
            reinvest = s["reinvestment_share"] * cost["cost_total"]
            for stratum in cost.index:
                rows.append(
                    {
                        "rep": rep,
                        "scenario": name,
                        "stratum": stratum,
                        "gross": gross[stratum] / 1e6,
                        "reinvest": reinvest[stratum] / 1e6,
                        "net": (gross - reinvest)[stratum] / 1e6,
                    }
                )
    table = pd.DataFrame(rows).groupby(["scenario", "stratum"])[["gross", "reinvest", "net"]].mean()
    totals = table.groupby(level="scenario").sum()
    totals["stratum"] = "total"
    return pd.concat([table.reset_index(), totals.reset_index()], ignore_index=True)


def observed() -> pd.DataFrame:
    """The CBA table from the seed, in the same shape as what_if()."""
    t = pd.read_csv(DATA / "cba_whatif.csv")
    rows = []
    for _, r in t.iterrows():
        for scenario in ("lower", "upper"):
            rows.append(
                {
                    "scenario": scenario,
                    "stratum": r.stratum,
                    "gross": r[f"gross_{scenario}"],
                    "reinvest": r[f"reinvest_{scenario}"],
                    "net": r[f"net_{scenario}"],
                }
            )
    return pd.DataFrame(rows)


def against_table(what_if: pd.DataFrame, table: pd.DataFrame, within: float = 0.05) -> list[dict]:
    """Each scenario's total gross savings, reinvestment and net savings, simulated against the
    table, and whether within the given share of it: what the fit's acceptance reads."""
    got = what_if.set_index(["scenario", "stratum"])
    rows = []
    for scenario, want in table[table.stratum == "total"].set_index("scenario").iterrows():
        for measure in ("gross", "reinvest", "net"):
            simulated, in_table = float(got.loc[(scenario, "total"), measure]), float(want[measure])
            rows.append(
                {
                    "scenario": scenario,
                    "measure": measure,
                    "table": in_table,
                    "simulated": simulated,
                    "within": abs(simulated - in_table) <= within * abs(in_table),
                }
            )
    return rows
