"""The calibration targets and their tolerances, read from calibration/data (CSV with sources)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from models.vocabulary import COST_COLUMNS, TOP_STRATA

DATA = Path(__file__).resolve().parent / "data"
# the strata table's cost columns, as the targets name them, and the cost columns they are
COLUMN_OF_TARGET = dict(zip(("nel_cost", "other_hospital_cost", "ooh_cost", "sc_cost"), COST_COLUMNS, strict=True))
TREE_MIN_PEOPLE = 500


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    tolerance: float  # absolute: the acceptance band around the value
    group: str


def strata_table() -> pd.DataFrame:
    return pd.read_csv(DATA / "strata_2010.csv").set_index("stratum")


@functools.cache
def tree_means() -> pd.Series:
    """The cost tree's mean annual cost per leaf (GBP per person), indexed by leaf: read once, as
    every replication's measure asks for it (callers do not modify it)."""
    return pd.read_csv(DATA / "cost_tree.csv").set_index("leaf").mean_cost.sort_index()


def load_targets() -> list[Target]:
    """Per-stratum costs and admissions per head, total spend, concentration and the cost tree."""
    out: list[Target] = []
    strata = strata_table()
    for stratum, row in strata.iterrows():
        top = stratum in TOP_STRATA
        for key in COLUMN_OF_TARGET:
            v = float(row[f"{key}_per_capita"])
            tol = 0.05 * v if top else max(0.10 * v, 2.0)  # GBP per head
            out.append(Target(f"{stratum}:{key}", v, tol, "strata"))
        v = float(row["nel_admissions_per_capita"])
        tol = 0.05 * v if top else max(0.10 * v, 0.001)  # 0.001 admissions is about 2 GBP a head
        out.append(Target(f"{stratum}:nel_admissions", v, tol, "strata"))
    totals = pd.read_csv(DATA / "totals_2010.csv").set_index("measure").value
    out.append(Target("total_spend", float(totals["total_spend"]), 0.03 * float(totals["total_spend"]), "totals"))
    for share in ("share_top3_total", "share_top3_hospital", "share_top3_sc"):
        out.append(Target(share, float(totals[share]), 0.03, "concentration"))
    # guards: not in the acceptance list, but a fit that met the cost columns by jamming
    # the hospital with delayed discharges would be right for the wrong reason
    for _, g in pd.read_csv(DATA / "guards_2010.csv").iterrows():
        out.append(Target(str(g.measure), float(g.value), float(g.tolerance), "guard"))
    # a leaf's row compares its cost at the tree's level (calibration/measure.py: the tree's sample
    # and the table differ in level and mix, so the tree gives the shape of cost across leaves)
    tree = pd.read_csv(DATA / "cost_tree.csv")
    for _, leaf in tree[tree.n >= TREE_MIN_PEOPLE].iterrows():
        out.append(Target(f"tree:{int(leaf.leaf)}", float(leaf.mean_cost), 0.15 * float(leaf.mean_cost), "cost tree"))
    return out
