"""The five-year figures a programme board asks for, per scenario against the comparator:
activity avoided, gross savings by setting and payer, investment, net savings, discounted at
3.5% a year (HM Treasury Green Book rate; year 1 undiscounted), and the year in which savings
first exceed costs. Each figure is computed per replication (paired by common random numbers)
and reported with a 95% t-interval.

Commissioned places (virtual ward, intermediate care, reablement; sim/commissioning.py) are paid
in full whether used or not: a scenario's extra places are investment, and the days residents
use of them are not counted against its savings a second time.

Savings in kinds (sim/ledger.py CASH_RELEASING): cash-releasing, prices no longer paid (spells,
excess days and attendances at the tariff; packages, placements and other social care bought per
unit); capacity-releasing, staff time and places freed, valued at their unit costs; and bed days
freed beyond what the tariff pays for, valued at a bed day's cost. Capacity becomes cash only when
it is cut: beds through ``hospital.decommission`` (sim/decommissioning.py), whose cash is
cash-releasing, up to the value of the bed days freed that year (closing beds cannot release more
than was freed); what is cashed leaves the bed days freed. Bed days freed are the fall in bed days
less the avoided spells' days up to the trim point (at the comparator's mean) and the fall in
days past it, which the tariff pays for, so no day counts twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from experiments.interval import half_width
from models.vocabulary import COST_COLUMNS, COST_KINDS

DISCOUNT_RATE = 0.035
SETTING_LABELS = ("emergency admissions", "other hospital", "community and primary care", "social care")
SETTINGS = dict(zip(COST_COLUMNS, SETTING_LABELS, strict=True))  # cost column -> the setting it pays for
PAYERS = {"cost_nhs": "NHS", "cost_council": "council"}
INVESTMENT = (
    "cost_interventions_nhs",
    "cost_interventions_council",
    "cost_workforce_nhs",
    "cost_workforce_council",
    "cost_places_nhs",
    "cost_places_council",
)
# the used part of the places, already inside the residents' own costs: by payer and by setting
PLACES_USED = (
    "cost_places_used_nhs",
    "cost_places_used_council",
    "cost_places_used_ooh",
    "cost_places_used_sc",
)
POSITIVE = "five-year discounted net savings above zero"
KINDS = {
    "savings_cash": "cash-releasing",
    "savings_capacity": "capacity-releasing (staff time and places)",
    "bed_days_freed_value": "capacity-releasing (bed days freed, at cost; not in gross)",
}
DECOMMISSIONED = "decommissioned_beds_cash"  # beds closed: a year at a bed day's cost each (NHS)
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
    wanted = [*ACTIVITY, *SETTINGS, *PAYERS, *COST_KINDS, "cost_total", "tariff_excess_days", "bed_days_value"]
    per = people[people.measure.isin(wanted)].groupby(["scenario", "replication", "year", "measure"]).value.sum()
    system = results[results.measure.isin((*INVESTMENT, *PLACES_USED, DECOMMISSIONED))]
    inv = system.groupby(["scenario", "replication", "year", "measure"]).value.sum()
    table = pd.concat([per, inv]).unstack("measure", fill_value=0.0)
    for col in (*wanted, *INVESTMENT, *PLACES_USED, DECOMMISSIONED):
        if col not in table:
            table[col] = 0.0
    # spend outside the commissioned places (their used days move into the places' own cost)
    table["cost_total"] -= table["cost_places_used_nhs"] + table["cost_places_used_council"]
    table["cost_capacity_releasing"] -= table["cost_places_used_nhs"] + table["cost_places_used_council"]
    for col in ("ooh", "sc", "nhs", "council"):
        table[f"cost_{col}"] -= table[f"cost_places_used_{col}"]
    table["investment"] = table[list(INVESTMENT)].sum(axis=1)
    for payer in ("nhs", "council"):
        table[f"investment_{payer}"] = sum(table[f"cost_{k}_{payer}"] for k in ("interventions", "workforce", "places"))
    return table.reset_index()


def _bed_days_freed(base: pd.DataFrame, own: pd.DataFrame) -> pd.Series:
    """Bed days freed that no price paid for, at a bed day's cost: the fall in bed days, less the
    avoided spells' days up to the trim point (at the comparator's mean, paid by their spell price)
    and the fall in days past it (paid by the tariff's excess days): both cash-releasing already."""
    per_day = base["bed_days_value"] / base["bed_days"].where(base["bed_days"] > 0)
    fall = base["bed_days"] - own["bed_days"]
    within_trim = (base["bed_days"] - base["tariff_excess_days"]) / base["nel_admissions"].where(
        base["nel_admissions"] > 0
    )
    spells = (base["nel_admissions"] - own["nel_admissions"]) * within_trim
    excess = base["tariff_excess_days"] - own["tariff_excess_days"]
    return ((fall - spells - excess) * per_day).fillna(0.0)


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
        d["savings_cash"] = b["cost_cash_releasing"] - own["cost_cash_releasing"]
        d["savings_capacity"] = b["cost_capacity_releasing"] - own["cost_capacity_releasing"]
        # closed beds turn freed bed days into cash, never more than were freed (the avoided spells'
        # days are cash at the tariff already): what is cashed leaves the capacity freed
        freed = _bed_days_freed(b, own)
        closed = own[DECOMMISSIONED] - b[DECOMMISSIONED]
        d["decommissioned_cash"] = np.where(closed > 0, np.minimum(closed, freed.clip(lower=0)), closed)
        d["bed_days_freed_value"] = freed - d["decommissioned_cash"].clip(lower=0)
        d["savings_cash"] += d["decommissioned_cash"]
        d["savings_nhs"] += d["decommissioned_cash"]
        d["gross_savings"] = b["cost_total"] - own["cost_total"] + d["decommissioned_cash"]
        d["investment"] = own["investment"] - b["investment"]
        d["investment_nhs"] = own["investment_nhs"] - b["investment_nhs"]
        d["investment_council"] = own["investment_council"] - b["investment_council"]
        d["net_savings"] = d["gross_savings"] - d["investment"]
        d["net_cash_savings"] = d["savings_cash"] - d["investment"]
        years = d.index.get_level_values("year").to_numpy()
        d["discount_factor"] = 1.0 / (1.0 + DISCOUNT_RATE) ** (years - 1)
        d.insert(0, "scenario", scenario)
        rows.append(d.reset_index())
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _per_replication(d: pd.DataFrame) -> dict[tuple[str, str], float]:
    """One replication's board figures from its paired years (sorted by year)."""
    f: dict[tuple[str, str], float] = {}
    disc = d["discount_factor"]
    for m, label in ACTIVITY.items():
        f[(f"{label} avoided", "count over all years")] = d[f"{m}_avoided"].sum()
    for m, label in SETTINGS.items():
        f[(f"gross savings: {label}", "GBP m")] = d[f"savings_{m.removeprefix('cost_')}"].sum() / 1e6
    f[("gross savings: beds decommissioned", "GBP m")] = d["decommissioned_cash"].sum() / 1e6
    for col, label in KINDS.items():
        f[(f"gross savings: {label}", "GBP m")] = d[col].sum() / 1e6
    for payer in PAYERS.values():
        f[(f"gross savings: {payer}", "GBP m")] = d[f"savings_{payer.lower()}"].sum() / 1e6
    f[("gross savings", "GBP m")] = d["gross_savings"].sum() / 1e6
    for col in ("gross_savings", "investment", "net_savings"):
        f[(f"{col.replace('_', ' ')} in the last year", "GBP m")] = d[col].iat[-1] / 1e6
    f[("investment", "GBP m")] = d["investment"].sum() / 1e6
    for payer in PAYERS.values():
        f[(f"investment: {payer}", "GBP m")] = d[f"investment_{payer.lower()}"].sum() / 1e6
    f[("net savings", "GBP m")] = d["net_savings"].sum() / 1e6
    f[("net cash-releasing savings", "GBP m")] = d["net_cash_savings"].sum() / 1e6
    for payer in PAYERS.values():
        net = d[f"savings_{payer.lower()}"] - d[f"investment_{payer.lower()}"]
        f[(f"net savings: {payer}, discounted at 3.5%", "GBP m")] = (net * disc).sum() / 1e6
    for col in ("gross_savings", "investment", "net_savings"):
        f[(f"{col.replace('_', ' ')}, discounted at 3.5%", "GBP m")] = (d[col] * disc).sum() / 1e6
    f[("net cash-releasing savings, discounted at 3.5%", "GBP m")] = (d["net_cash_savings"] * disc).sum() / 1e6
    net = (d["net_savings"] * disc).sum()
    f[(POSITIVE, "share of replications")] = float(net > 0)
    ahead = d[d["gross_savings"] > d["investment"]]
    f[("first year savings exceed costs", "year")] = float(ahead["year"].iat[0]) if len(ahead) else np.nan
    paid = d[(d["net_savings"] * disc).cumsum().to_numpy() > 0]
    f[("year investment is paid back (discounted)", "year")] = float(paid["year"].iat[0]) if len(paid) else np.nan
    return f


def board_figures(results: pd.DataFrame, comparator: str | None = None) -> pd.DataFrame:
    """One row per (scenario, figure): mean over replications with a 95% t-interval; a share of
    replications with its 95% Wilson interval."""
    paired = paired_yearly(results, comparator)
    if paired.empty:
        return pd.DataFrame(columns=["scenario", "figure", "unit", "n", "mean", "ci_low", "ci_high"])
    records = []
    for scenario, rows in paired.groupby("scenario"):
        per_rep = {rep: _per_replication(d.sort_values("year")) for rep, d in rows.groupby("replication")}
        table = pd.DataFrame(per_rep).T
        for (figure, unit), values in table.items():
            v = values.dropna().astype(float)
            n = len(v)
            mean = v.mean() if n else np.nan
            if figure == POSITIVE and n:
                ci = stats.binomtest(int(v.sum()), n).proportion_ci(method="wilson")
                low, high = ci.low, ci.high
            else:
                half = half_width(v.std(ddof=1), n)
                low, high = mean - half, mean + half
            records.append(
                {
                    "scenario": scenario,
                    "figure": figure,
                    "unit": unit,
                    "n": n,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "share_of_replications": n / len(table),
                }
            )
    return pd.DataFrame(records)


# a business case's stated figures (models/schema.StatedCase) and the board figures they are set beside
STATED = tuple(
    (key, figure, figure)
    for key in ("gross_savings", "investment", "net_savings")
    for figure in (f"{key.replace('_', ' ')} in the last year", key.replace("_", " "))
)


def against_stated(board: pd.DataFrame, stated, source: str) -> pd.DataFrame:
    """Each scenario's figures beside what a business case states (``stated``, a StatedCase, from
    the model ``source``): the simulated mean and interval, and how far it falls short (negative)
    or exceeds. Each stated figure is set beside both the last year's and the whole horizon's, as a
    case may not say which it means."""
    rows = []
    for key, figure, label in STATED:
        claim = getattr(stated, key)
        for scenario, g in board.groupby("scenario", sort=False):
            r = g[g.figure == figure]
            if r.empty:
                continue
            r = r.iloc[0]
            rows.append(
                {
                    "figure": label,
                    "stated": claim.value,
                    "stated_unit": claim.unit,
                    "stated_source": claim.source,
                    "stated_by": source,
                    "stated_horizon_years": stated.horizon_years.value,
                    "scenario": scenario,
                    "mean": r["mean"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "difference": r["mean"] - claim.value,
                }
            )
    return pd.DataFrame(rows)
