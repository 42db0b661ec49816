"""The five-year figures a programme board asks for, per scenario against the comparator:
activity avoided, gross savings by setting and payer, investment, net savings, discounted at
3.5% a year (HM Treasury Green Book rate; year 1 undiscounted), and the year in which savings
first exceed costs. Each figure is computed per replication (paired by common random numbers)
and reported with a 95% t-interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.interval import half_width
from models.vocabulary import COST_COLUMNS

DISCOUNT_RATE = 0.035
SETTING_LABELS = ("emergency admissions", "other hospital", "community and primary care", "social care")
SETTINGS = dict(zip(COST_COLUMNS, SETTING_LABELS, strict=True))  # cost column -> the setting it pays for
PAYERS = {"cost_nhs": "NHS", "cost_council": "council"}
INVESTMENT = (
    "cost_interventions_nhs",
    "cost_interventions_council",
    "cost_workforce_nhs",
    "cost_workforce_council",
)
ACTIVITY = {
    "nel_admissions": "emergency admissions",
    "bed_days": "bed days",
    "ae_attendances": "A&E attendances",
    "care_home_admissions": "care home admissions",
    "excess_bed_days": "excess bed days",
}


def yearly(results: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, replication and year: activity, costs and investment for the whole system."""
    plain = results[results.intervention == "all"]
    people = plain[plain.stratum != "all"]
    wanted = [*ACTIVITY, *SETTINGS, *PAYERS, "cost_total"]
    per = people[people.measure.isin(wanted)].groupby(["scenario", "replication", "year", "measure"]).value.sum()
    inv = results[results.measure.isin(INVESTMENT)].groupby(["scenario", "replication", "year", "measure"]).value.sum()
    table = pd.concat([per, inv]).unstack("measure", fill_value=0.0)
    for col in (*wanted, *INVESTMENT):
        if col not in table:
            table[col] = 0.0
    table["investment"] = table[list(INVESTMENT)].sum(axis=1)
    table["investment_nhs"] = table["cost_interventions_nhs"] + table["cost_workforce_nhs"]
    table["investment_council"] = table["cost_interventions_council"] + table["cost_workforce_council"]
    return table.reset_index()


def paired_yearly(results: pd.DataFrame, comparator: str | None = None) -> pd.DataFrame:
    """Savings and avoided activity per scenario, replication and year, against the comparator."""
    table = yearly(results)
    comparator = comparator or str(results["scenario"].iat[0])
    base = table[table.scenario == comparator].set_index(["replication", "year"])
    rows = []
    for scenario, own in table[table.scenario != comparator].groupby("scenario"):
        own = own.set_index(["replication", "year"])
        b = base.reindex(own.index)
        d = pd.DataFrame(index=own.index)
        for m in ACTIVITY:
            d[f"{m}_avoided"] = b[m] - own[m]
        for m in SETTINGS:
            d[f"savings_{m.removeprefix('cost_')}"] = b[m] - own[m]
        for m, payer in PAYERS.items():
            d[f"savings_{payer.lower()}"] = b[m] - own[m]
        d["gross_savings"] = b["cost_total"] - own["cost_total"]
        d["investment"] = own["investment"] - b["investment"]
        d["investment_nhs"] = own["investment_nhs"] - b["investment_nhs"]
        d["investment_council"] = own["investment_council"] - b["investment_council"]
        d["net_savings"] = d["gross_savings"] - d["investment"]
        years = d.index.get_level_values("year").to_numpy()
        d["discount_factor"] = 1.0 / (1.0 + DISCOUNT_RATE) ** (years - 1)
        d.insert(0, "scenario", scenario)
        rows.append(d.reset_index())
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def board_figures(results: pd.DataFrame, comparator: str | None = None) -> pd.DataFrame:
    """One row per (scenario, figure): mean over replications with a 95% t-interval."""
    paired = paired_yearly(results, comparator)
    if paired.empty:
        return pd.DataFrame(columns=["scenario", "figure", "unit", "n", "mean", "ci_low", "ci_high"])
    records = []
    for scenario, rows in paired.groupby("scenario"):
        per_rep = {}
        for rep, d in rows.groupby("replication"):
            d = d.sort_values("year")
            f = {}
            for m, label in ACTIVITY.items():
                f[(f"{label} avoided", "count over all years")] = d[f"{m}_avoided"].sum()
            for m, label in SETTINGS.items():
                f[(f"gross savings: {label}", "GBP m")] = d[f"savings_{m.removeprefix('cost_')}"].sum() / 1e6
            for payer in PAYERS.values():
                f[(f"gross savings: {payer}", "GBP m")] = d[f"savings_{payer.lower()}"].sum() / 1e6
            f[("gross savings", "GBP m")] = d["gross_savings"].sum() / 1e6
            f[("investment", "GBP m")] = d["investment"].sum() / 1e6
            f[("investment: NHS", "GBP m")] = d["investment_nhs"].sum() / 1e6
            f[("investment: council", "GBP m")] = d["investment_council"].sum() / 1e6
            f[("net savings", "GBP m")] = d["net_savings"].sum() / 1e6
            f[("gross savings, discounted at 3.5%", "GBP m")] = (d["gross_savings"] * d["discount_factor"]).sum() / 1e6
            f[("investment, discounted at 3.5%", "GBP m")] = (d["investment"] * d["discount_factor"]).sum() / 1e6
            f[("net savings, discounted at 3.5%", "GBP m")] = (d["net_savings"] * d["discount_factor"]).sum() / 1e6
            ahead = d[d["gross_savings"] > d["investment"]]
            f[("first year savings exceed costs", "year")] = float(ahead["year"].iat[0]) if len(ahead) else np.nan
            cumulative = (d["net_savings"] * d["discount_factor"]).cumsum()
            paid = d[cumulative.to_numpy() > 0]
            f[("year investment is paid back (discounted)", "year")] = (
                float(paid["year"].iat[0]) if len(paid) else np.nan
            )
            per_rep[rep] = f
        table = pd.DataFrame(per_rep).T
        for (figure, unit), values in table.items():
            v = values.dropna().astype(float)
            n = len(v)
            mean = v.mean() if n else np.nan
            half = half_width(v.std(ddof=1), n)
            records.append(
                {
                    "scenario": scenario,
                    "figure": figure,
                    "unit": unit,
                    "n": n,
                    "mean": mean,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "share_of_replications": n / len(table),
                }
            )
    return pd.DataFrame(records)
