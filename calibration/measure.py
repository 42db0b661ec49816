"""What a simulation achieved, in the targets' terms: per head by year-end (concurrent) stratum,
total spend, concentration in the top three strata, and mean cost per cost-tree leaf."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibration.targets import COLUMN_OF_TARGET, tree_means
from models.vocabulary import TOP_STRATA

HOSPITAL = ("cost_nel", "cost_other_hospital")
# what achieved_one reports: a fit's cache of achieved values under another version is not this
# one's (2: the cost tree's leaves at the tree's level; 3: home care's growth from year 1 to 2
# read within age, the group furthest from one; 4: the within-age rows chosen from the groups'
# means over replications, not in each replication)
MEASURE_VERSION = 4


def scale_of(persons: pd.DataFrame) -> float:
    """The fraction of the population one replication's person log simulated: each row stands for
    1 / scale residents, so totals for the whole population are its sums divided by this."""
    if "scale" not in persons.columns:
        raise ValueError("the person log has no scale column (the fraction of the population each row stands for)")
    scales = persons["scale"].unique()
    if len(scales) != 1:
        raise ValueError(f"a person log of one replication has one scale (got {sorted(map(float, scales))})")
    return float(scales[0])


def achieved_one(persons: pd.DataFrame) -> dict[str, float]:
    """One replication's year (persons: the person log of that year)."""
    scale = scale_of(persons)
    out: dict[str, float] = {}
    by = persons.groupby("stratum_concurrent", observed=True)
    heads = by.size()
    sums = by[[*COLUMN_OF_TARGET.values(), "nel_admissions", "cost_total"]].sum()
    for stratum in heads.index:
        for key, col in COLUMN_OF_TARGET.items():
            out[f"{stratum}:{key}"] = sums.loc[stratum, col] / heads[stratum]
        out[f"{stratum}:nel_admissions"] = sums.loc[stratum, "nel_admissions"] / heads[stratum]
    for key, col in COLUMN_OF_TARGET.items():  # the whole population: smooth in the parameters, unlike a stratum
        out[f"all:{key}"] = sums[col].sum() / heads.sum()
    out["excess_bed_day_share"] = float(persons.excess_bed_days.sum() / max(persons.bed_days.sum(), 1e-9))
    top = sums.index.isin(TOP_STRATA)
    total = sums["cost_total"].sum()
    out["total_spend"] = total / scale / 1e6
    out["share_top3_total"] = sums.loc[top, "cost_total"].sum() / total
    hospital = sums[list(HOSPITAL)].sum(axis=1)
    out["share_top3_hospital"] = hospital[top].sum() / hospital.sum()
    out["share_top3_sc"] = sums.loc[top, "cost_sc"].sum() / sums["cost_sc"].sum()
    out.update(leaf_costs_at_tree_level(persons))
    return out


def leaf_costs_at_tree_level(persons: pd.DataFrame) -> dict[str, float]:
    """Each leaf's mean cost at the tree's level: x (the tree's means averaged over this
    population's leaves) / (this population's mean cost).

    The tree's sample (153,687 people, GBP 1,385 a head) is not the tri-borough's population: its
    means averaged over the simulated mix of leaves come to about GBP 1,470 a head against the
    table's GBP 1,263, so the tree's means and the total spend cannot both hold (every leaf would
    sit 14% under its mean, on the edge of its band). What the tree tells of this population is
    how cost is shared across its leaves; the standardisation compares that and leaves the level
    to the total spend's row."""
    tree = tree_means()
    by = persons.groupby("leaf").cost_total
    cost, heads = by.mean(), by.size()
    unknown = sorted(set(heads.index) - set(tree.index))
    if unknown:
        raise ValueError(f"the person log has cost-tree leaves the tree does not hold: {unknown}")
    level = float(np.average(tree[heads.index], weights=heads) / np.average(cost, weights=heads))
    return {f"tree:{int(leaf)}": float(c) * level for leaf, c in cost.items()}


def achieved(frames: list[pd.DataFrame]) -> dict[str, float]:
    """Mean over replications."""
    return mean_of([achieved_one(f) for f in frames])


def mean_of(each: list[dict[str, float]]) -> dict[str, float]:
    """Mean over replications of their results (a key a replication lacks counts as missing)."""
    keys = set().union(*each)
    return {k: float(np.mean([e.get(k, np.nan) for e in each])) for k in sorted(keys)}
