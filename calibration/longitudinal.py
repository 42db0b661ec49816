"""What follows people over the years: the persistence of heavy use and its regression to the mean
(Roland et al. 2005, the next year and five years on; Wammes et al. 2018), emergency admissions'
age gradient (HES), the stocks of home care and care homes from year 1 to 2, and business as
usual's drift within age from year 1 to 5, measured from a person log against
calibration/data/longitudinal.csv.

Rows marked ``fitted`` join the fit's objective (which runs two years for them, six for a row of
``LATE``); ``checked`` rows are reported beside it (the check runs six years). The age gradient is
a ratio to the under-65s' rate: the level is the tri-borough's own, which the strata table sets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibration.targets import DATA, Target
from models.vocabulary import OLDER_AGE

GROUP = "longitudinal (checked, not fitted)"
FITTED_GROUP = "longitudinal"
HEALTH_COST = ("cost_nel", "cost_other_hospital", "cost_ooh")
UNDER_65 = (0, OLDER_AGE)
AGE_RATIOS = {"admissions_ratio_65_plus": (OLDER_AGE, 200), "admissions_ratio_85_plus": (85, 200)}
YEARS = 2  # a replication's years the fitted measures need
CHECK_YEARS = 6  # and the check's: Roland's cohort five years on
# measures that read year 5 or 6: a fit with one of them among its rows runs the check's six years
LATE = (
    "roland_five_share",
    "drift_admissions_65_plus",
    "drift_home_care",
    "drift_care_home_days",
    "drift_delayed_points",
)


def years_needed(targets: list[Target]) -> int:
    """A fit's horizon: two years, or six where a row reads year 5 or 6 (three times the cost, but
    the only way a fit sees the beds jam over five years rather than buying its rows by it)."""
    return CHECK_YEARS if any(t.name in LATE for t in targets) else YEARS


def load_targets(use: str | None = None) -> list[Target]:
    """The rows of one use (``fitted`` or ``checked``), or all of them."""
    table = pd.read_csv(DATA / "longitudinal.csv")
    out = []
    for _, row in table.iterrows():
        if use is not None and row.use != use:
            continue
        mid = (row.low + row.high) / 2
        group = FITTED_GROUP if row.use == "fitted" else GROUP
        out.append(Target(str(row.measure), float(mid), float(row.high - mid), group))
    return out


def _per_head(year: pd.DataFrame, column: str, lo: float, hi: float) -> float:
    band = year[(year.age >= lo) & (year.age < hi)]
    return float(band[column].mean()) if len(band) else float("nan")


def _rate(year: pd.DataFrame, lo: float, hi: float) -> float:
    return _per_head(year, "nel_admissions", lo, hi)


def measures_one(persons: pd.DataFrame, first: int = 1) -> dict[str, float]:
    """One replication's person log with years ``first`` and ``first + 1``."""
    a = persons[persons.year == first].set_index("person")
    b = persons[persons.year == first + 1].set_index("person")
    out: dict[str, float] = {}
    young = _rate(a, *UNDER_65)
    for name, band in AGE_RATIOS.items():
        out[name] = _rate(a, *band) / young if young > 0 else float("nan")
    if "sc_hours" in a and a.sc_hours.sum() > 0:
        out.update(_within_age(a, b, "sc_hours", "home_care_growth"))
    if "care_home_days" in a and a.care_home_days.sum() > 0:
        out["care_home_growth"] = float(b.care_home_days.sum() / a.care_home_days.sum())
    old_a, old_b = a[a.age >= OLDER_AGE], b[b.age >= OLDER_AGE]
    heavy = old_a.index[old_a.nel_admissions >= 2]
    if old_a.nel_admissions.sum() > 0 and old_b.nel_admissions.sum() > 0:
        out["roland_index_share"] = float(old_a.nel_admissions.loc[heavy].sum() / old_a.nel_admissions.sum())
        later = old_b.nel_admissions.reindex(heavy).fillna(0.0).sum()  # the dead count as none
        out["roland_next_share"] = float(later / old_b.nel_admissions.sum())
        f = persons[persons.year == first + 5].set_index("person")
        old_f = f[f.age >= OLDER_AGE]
        if old_f.nel_admissions.sum() > 0:
            out["roland_five_share"] = float(
                old_f.nel_admissions.reindex(heavy).fillna(0.0).sum() / old_f.nel_admissions.sum()
            )
    both = a.index.intersection(b.index)  # alive at the start of both years
    cost_a = a.loc[both, list(HEALTH_COST)].sum(axis=1)
    cost_b = b.loc[both, list(HEALTH_COST)].sum(axis=1)
    top_a = cost_a.rank(method="first", ascending=False) <= max(1, round(0.05 * len(both)))
    top_b = cost_b.rank(method="first", ascending=False) <= max(1, round(0.05 * len(both)))
    out["wammes_persistence"] = float((top_a & top_b).sum() / max(1, top_a.sum()))
    return out


def _furthest_from_one(ratios: list[float]) -> float:
    """The ratio furthest from one (a drift either way counts), ignoring an age group with none."""
    ratios = [r for r in ratios if np.isfinite(r)]
    return max(ratios, key=lambda r: abs(np.log(r)) if r > 0 else np.inf) if ratios else float("nan")


AGE_GROUPS = {"under_65": UNDER_65, "65_plus": (OLDER_AGE, 200)}
# rows read within age: each age group's ratio is kept as NAME:GROUP, and NAME is the group
# furthest from one, chosen again from the groups' means over replications (``within_age``)
WITHIN_AGE = ("home_care_growth", "drift_home_care", "drift_care_home_days")


def _within_age(a: pd.DataFrame, b: pd.DataFrame, column: str, name: str) -> dict[str, float]:
    """Per head of each age group, year b over year a, and the group furthest from one."""
    out = {}
    for group, (lo, hi) in AGE_GROUPS.items():
        before = _per_head(a, column, lo, hi)
        out[f"{name}:{group}"] = _per_head(b, column, lo, hi) / before if before > 0 else float("nan")
    out[name] = _furthest_from_one(list(out.values()))
    return out


def within_age(means: dict[str, float]) -> dict[str, float]:
    """Means over replications with each within-age row chosen from its groups' means: chosen in
    each replication and then averaged, one reading the under-65s at 0.93 and another the 65+ at
    1.08 would give about one, and the row would jump where a replication changed group."""
    out = dict(means)
    for name in WITHIN_AGE:
        groups = [means[f"{name}:{g}"] for g in AGE_GROUPS if f"{name}:{g}" in means]
        if groups:
            out[name] = _furthest_from_one(groups)
    return out


def stationarity(persons: pd.DataFrame, first: int = 1, last: int = 5) -> dict[str, float]:
    """Business as usual's drift from year ``first`` to year ``last`` within age (issue 16): 65+
    emergency admissions, home-care hours and care-home days per head as ratios, and the delayed
    share of bed days as a change in points. Empty unless the log holds both years.

    Home-care hours and care-home days are compared within each age group (under 65, 65+) and the
    group that drifted most is reported: over all ages a fall among the old and a rise among the
    young cancel (under the fourteenth refit the 65+'s home care fell 7% and the under-65s' rose
    46% while all ages read +3.9%; full population, seeds 1001-1005)."""
    a, b = persons[persons.year == first], persons[persons.year == last]
    if a.empty or b.empty:
        return {}
    out = {"drift_admissions_65_plus": _rate(b, OLDER_AGE, 200) / _rate(a, OLDER_AGE, 200)}
    for name, column in (("drift_home_care", "sc_hours"), ("drift_care_home_days", "care_home_days")):
        if column in a and a[column].sum() > 0:
            out.update(_within_age(a, b, column, name))
    if a.bed_days.sum() > 0 and b.bed_days.sum() > 0:
        delayed = [float(y.excess_bed_days.sum() / y.bed_days.sum()) for y in (a, b)]
        out["drift_delayed_points"] = 100.0 * (delayed[1] - delayed[0])
    return out


def every_measure(persons: pd.DataFrame) -> dict[str, float]:
    """One replication's measures: those of years 1 and 2, and the drift where the log reaches year 5."""
    return {**measures_one(persons), **stationarity(persons)}


def measures(frames: list[pd.DataFrame]) -> dict[str, float]:
    """Mean over replications (the within-age rows from their groups' means)."""
    each = [every_measure(f) for f in frames]
    keys = set().union(*each)
    return within_age({k: _mean([e.get(k, np.nan) for e in each]) for k in sorted(keys)})


def _mean(values: list[float]) -> float:
    """The mean of the replications that define a measure; undefined where none does (the
    under-65s' care-home days, where none of them is placed), without numpy's warning."""
    defined = [v for v in values if np.isfinite(v)]
    return float(np.mean(defined)) if defined else float("nan")
