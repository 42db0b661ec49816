"""What follows people from one year to the next: the persistence of heavy use and its regression
to the mean (Roland et al. 2005, Wammes et al. 2018), and emergency admissions by age band (HES),
measured from two consecutive years of a person log against calibration/data/longitudinal.csv.

These are checked, not fitted: the fit's objective runs one year of one age profile of crises,
and these need a second year (persistence) or the crisis hazard's age profile as free parameters
(admissions by age)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibration.targets import DATA, Target

GROUP = "longitudinal (checked, not fitted)"
HEALTH_COST = ("cost_nel", "cost_other_hospital", "cost_ooh")
AGE_BANDS = {
    "admissions_under_65": (0, 65),
    "admissions_65_plus": (65, 200),
    "admissions_65_74": (65, 75),
    "admissions_75_84": (75, 85),
    "admissions_85_plus": (85, 200),
}


def load_targets() -> list[Target]:
    table = pd.read_csv(DATA / "longitudinal.csv")
    out = []
    for _, row in table.iterrows():
        mid = (row.low + row.high) / 2
        out.append(Target(str(row.measure), float(mid), float(row.high - mid), GROUP))
    return out


def measures_one(persons: pd.DataFrame, first: int = 1) -> dict[str, float]:
    """One replication's person log with years ``first`` and ``first + 1``."""
    a = persons[persons.year == first].set_index("person")
    b = persons[persons.year == first + 1].set_index("person")
    out: dict[str, float] = {}
    for name, (lo, hi) in AGE_BANDS.items():
        band = a[(a.age >= lo) & (a.age < hi)]
        out[name] = float(band.nel_admissions.mean()) if len(band) else float("nan")
    old_a, old_b = a[a.age >= 65], b[b.age >= 65]
    heavy = old_a.index[old_a.nel_admissions >= 2]
    if old_a.nel_admissions.sum() > 0 and old_b.nel_admissions.sum() > 0:
        out["roland_index_share"] = float(old_a.nel_admissions.loc[heavy].sum() / old_a.nel_admissions.sum())
        later = old_b.nel_admissions.reindex(heavy).fillna(0.0).sum()  # the dead count as none
        out["roland_next_share"] = float(later / old_b.nel_admissions.sum())
    both = a.index.intersection(b.index)  # alive at the start of both years
    cost_a = a.loc[both, list(HEALTH_COST)].sum(axis=1)
    cost_b = b.loc[both, list(HEALTH_COST)].sum(axis=1)
    top_a = cost_a.rank(method="first", ascending=False) <= max(1, round(0.05 * len(both)))
    top_b = cost_b.rank(method="first", ascending=False) <= max(1, round(0.05 * len(both)))
    out["wammes_persistence"] = float((top_a & top_b).sum() / max(1, top_a.sum()))
    return out


def measures(frames: list[pd.DataFrame]) -> dict[str, float]:
    """Mean over replications."""
    each = [measures_one(f) for f in frames]
    keys = set().union(*each)
    return {k: float(np.nanmean([e.get(k, np.nan) for e in each])) for k in sorted(keys)}
