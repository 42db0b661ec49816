"""A borough's service levels, outcomes and the load on its pools from one replication's results:
what `wsic size` judges a staffing by and costs it with.

Each service level is a ratio of the borough's totals over the reported years (so it reads the
same at any --scale); the outcomes are yearly means.
"""

from __future__ import annotations

import pandas as pd

from models.vocabulary import DAYS_PER_YEAR

# service level -> (numerator, denominator) of a borough's resident totals
RATIOS = {
    "rr_within_2h_rate": ("rr_within_2h", "rr_episodes"),
    "assessment_wait_days": ("assessment_wait_days", "sw_assessments"),
    "delayed_share": ("excess_bed_days", "bed_days"),
    "package_wait_days": ("package_wait_days", "packages_started"),
    "placement_wait_days": ("placement_wait_days", "care_home_admissions"),
}
OUTCOMES = ("nel_admissions", "bed_days", "excess_bed_days")
# each pool's arrivals a day, for queueing theory's bound
ARRIVALS = {"rapid_response_nurse": "rr_episodes", "social_worker": "sw_assessments"}


def level_key(measure: str, intervention: str | None = None, role: str | None = None) -> str:
    """The column a service level is kept in: an intervention's levels are its own."""
    if measure == "caseload_per_fte":
        return f"{measure}:{intervention}:{role}"
    return f"{measure}:{intervention}" if intervention else measure


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def borough_levels(results: pd.DataFrame, keys: list[tuple[str, str | None, str | None]]) -> pd.DataFrame:
    """One row per borough: each asked service level (measure, intervention, role), the yearly
    outcomes, and each event pool's arrivals a day."""
    years = results.year.nunique()
    people = results[(results.stratum != "all") & (results.intervention == "all") & (results.borough != "all")]
    tot = people.groupby(["borough", "measure"]).value.sum()
    ivs = results[(results.intervention != "all") & (results.borough != "all")]
    iv_sums = ivs.groupby(["intervention", "borough", "measure"]).value.sum()
    iv_means = ivs[ivs.stratum == "all"].groupby(["intervention", "borough", "measure"]).value.mean()
    rows = []
    for b in sorted(people.borough.unique()):

        def t(m: str, b: str = b) -> float:
            return float(tot.get((b, m), 0.0))

        row: dict[str, float | str] = {"borough": b}
        for measure, iv, role in keys:
            key = level_key(measure, iv, role)
            if measure in RATIOS:
                num, den = RATIOS[measure]
                row[key] = _ratio(t(num), t(den))
            elif measure == "wait_to_enrol_days":
                waited = float(iv_sums.get((iv, b, "waiting_person_days"), 0.0))
                row[key] = _ratio(waited, float(iv_sums.get((iv, b, "enrolments"), 0.0))) if waited else 0.0
            else:  # caseload_per_fte
                row[key] = float(iv_means.get((iv, b, f"caseload_per_{role}_fte"), float("nan")))
        for m in OUTCOMES:
            row[m] = t(m) / years
        for role, m in ARRIVALS.items():
            row[f"{role}_arrivals_per_day"] = t(m) / (years * DAYS_PER_YEAR)
        rows.append(row)
    return pd.DataFrame(rows)
