"""The tri-borough CBA "what if": reduce each stratum's activity by the business case's shares and
see what is saved. Reductions are applied as thinning of the simulated activity: each unit of
activity of a resident-year is kept with probability 1 - reduction, so each column's cost falls
by that share in expectation (the expected value is used)."""

from __future__ import annotations

import pandas as pd

from calibration.targets import DATA

COLUMNS = {
    "nel_reduction": "cost_nel",
    "other_hospital_reduction": "cost_other_hospital",
    "ooh_reduction": "cost_ooh",
    "sc_reduction": "cost_sc",
}


def what_if(frames: list[pd.DataFrame], scale: float) -> pd.DataFrame:
    """Gross savings, reinvestment and net savings (GBP m) by stratum and scenario, mean over reps."""
    scenarios = pd.read_csv(DATA / "cba_scenarios.csv").set_index("scenario")
    rows = []
    for rep, persons in enumerate(frames):
        cost = persons.groupby("stratum_concurrent", observed=True)[[*COLUMNS.values(), "cost_total"]].sum() / scale
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
