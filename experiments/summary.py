"""Summaries over replications: mean, standard deviation and a 95% t-interval per scenario, year,
measure and level (whole system, stratum, borough), with paired differences against the first
scenario. Pairing by replication is what common random numbers make worthwhile.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.interval import half_width

KEYS = ["year", "borough", "stratum", "intervention", "measure"]
LEVEL_SUFFIXES = ("_occupied", "_queue", "_capacity", "_in_use", "_fte")
LEVELS = ("enrolled", "backlog")


def kind_of(measure: str) -> str:
    """flow: adds over boroughs and years; level: adds over boroughs, averages over years;
    rate: averages over both."""
    if measure.endswith("_wait_days") or measure.startswith(("mean_", "caseload_per_")):
        return "rate"
    if measure in LEVELS or measure.endswith(LEVEL_SUFFIXES):
        return "level"
    return "flow"


def _combine(frame: pd.DataFrame, by: list[str], over_boroughs: bool) -> pd.DataFrame:
    kinds = frame.measure.map(kind_of)
    mean_rows = kinds.eq("rate") if over_boroughs else kinds.ne("flow")
    summed = frame[~mean_rows].groupby(by, observed=True).value.sum()
    averaged = frame[mean_rows].groupby(by, observed=True).value.mean()
    return pd.concat([summed, averaged]).reset_index()


def replication_table(results: pd.DataFrame) -> pd.DataFrame:
    """Every measure per replication at each level, each year and over all years ("total")."""
    r = results.copy()
    r["year"] = r["year"].astype(str)
    base = ["scenario", "replication", "year", "intervention", "measure"]
    people = r[r.stratum != "all"]
    system = r[r.stratum == "all"]
    parts = [
        _combine(people, base, True).assign(borough="all", stratum="all"),
        _combine(people, [*base, "stratum"], True).assign(borough="all"),
        _combine(people, [*base, "borough"], True).assign(stratum="all"),
        system[system.borough == "all"][[*base, "borough", "stratum", "value"]],
    ]
    by_borough = system[system.borough != "all"]
    if len(by_borough):
        parts.append(by_borough[[*base, "borough", "stratum", "value"]])
        parts.append(_combine(by_borough, base, True).assign(borough="all", stratum="all"))
    table = pd.concat(parts, ignore_index=True)
    group = ["scenario", "replication", "borough", "stratum", "intervention", "measure"]
    total = _combine(table, group, False).assign(year="total")
    return pd.concat([table, total], ignore_index=True)[["scenario", "replication", *KEYS, "value"]]


def _interval(grouped) -> pd.DataFrame:
    out = grouped.agg(n="count", mean="mean", sd="std")
    half = half_width(out["sd"], out["n"])
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    return out


def summarise(table: pd.DataFrame, comparator: str) -> pd.DataFrame:
    """The summary table written to summary.csv, from the replication table (replication_table) so
    that the report, which needs that table too, does not compute it again. The comparator is named:
    the table's row order does not keep the order of the scenarios."""
    summary = _interval(table.groupby(["scenario", *KEYS], observed=True).value).reset_index()
    comp = table[table.scenario == comparator].set_index([*KEYS, "replication"]).value
    diffs = []
    for scenario, rows in table[table.scenario != comparator].groupby("scenario"):
        own = rows.set_index([*KEYS, "replication"]).value
        paired = (own - comp.reindex(own.index)).dropna().rename("value").reset_index()
        d = _interval(paired.groupby(KEYS, observed=True).value).reset_index()
        d.insert(0, "scenario", scenario)
        diffs.append(d)
    if diffs:
        d = pd.concat(diffs, ignore_index=True).drop(columns="n")
        d = d.rename(columns={"mean": "diff_mean", "sd": "diff_sd", "ci_low": "diff_ci_low", "ci_high": "diff_ci_high"})
        summary = summary.merge(d, on=["scenario", *KEYS], how="left")
    else:
        for c in ("diff_mean", "diff_sd", "diff_ci_low", "diff_ci_high"):
            summary[c] = np.nan
    order = {"total": 10_000}
    summary["_year"] = summary["year"].map(lambda y: order.get(y, int(y) if str(y).isdigit() else 0))
    summary = summary.sort_values(["scenario", "measure", "borough", "stratum", "intervention", "_year"])
    return summary.drop(columns="_year").reset_index(drop=True)


# each place of death (sim.system.DEATH_PLACES) as the outputs name it, in the order they show it
PLACE_LABELS = {
    "hospital": "in hospital",
    "home": "at home",
    "care_home": "in a care home",
    "emergency_department": "in A&E",
    "virtual_ward": "on a virtual ward",
    "reablement": "in reablement",
    "intermediate_care": "in intermediate care",
}


def places_of_death(table: pd.DataFrame, comparator: str) -> pd.DataFrame:
    """Each place's share of all deaths over the run's years, per scenario: the mean of the
    replications' shares with its interval, and for the other scenarios the paired difference from
    the comparator's share (points). From the replication table (replication_table); empty when
    the results carry no places (an older run)."""
    rows = table[
        (table.year == "total")
        & (table.borough == "all")
        & (table.stratum == "all")
        & (table.intervention == "all")
        & table.measure.str.startswith("deaths_")
    ]
    if rows.empty:
        return pd.DataFrame()
    # a run that records places has a row for every place (zero where none died); one that recorded
    # only the places where someone died (before 2026-12-06) reads the missing as none
    counts = rows.pivot_table(
        index=["scenario", "replication"], columns="measure", values="value", aggfunc="sum", fill_value=0.0
    )
    shares = counts.div(counts.sum(axis=1), axis=0)
    shares.columns = [c.removeprefix("deaths_") for c in shares.columns]
    shares = shares[[p for p in PLACE_LABELS if p in shares.columns]].rename_axis(columns="place")
    long = shares.stack().rename("value")
    out = _interval(long.groupby(["scenario", "place"], sort=False)).reset_index()
    if comparator in shares.index.get_level_values("scenario"):
        others = shares.drop(index=comparator, level="scenario")
        paired = (others - shares.loc[comparator].reindex(others.index, level="replication")).rename_axis(
            columns="place"
        )
        paired = paired.stack()
        d = _interval(paired.rename("value").groupby(["scenario", "place"], sort=False)).reset_index()
        d = d.drop(columns=["n", "sd"]).rename(columns=lambda c: c if c in ("scenario", "place") else f"diff_{c}")
        out = out.merge(d, on=["scenario", "place"], how="left")
    return out
