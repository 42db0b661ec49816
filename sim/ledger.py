"""Each resident's activity and cost in the current year, and the costing rule.

Events add counts as they happen; continuing states (a bed, a placement, a package) accrue lazily
through ``Accrual`` and are settled at each change and at the year end, so a stay that crosses a
year boundary is split exactly between the years.
"""

from __future__ import annotations

import math

import numpy as np

from models.schema import CareModel
from models.vocabulary import COST_COLUMNS, COST_KINDS, DAYS_PER_YEAR

# Counted per resident as the year runs.
COUNTED = (
    "person_days",
    "community_days",
    "crises",
    "access_point_calls",
    "ae_attendances",
    "ae_within_4h",
    "ae_department_hours",
    "trolley_wait_hours",
    "trolley_waits_over_4h",
    "trolley_waits_over_12h",
    "nel_admissions",
    "bed_days",
    "excess_bed_days",
    "tariff_excess_days",
    "bed_wait_hours",
    "rr_episodes",
    "rr_within_2h",
    "rr_response_hours",
    "vw_admissions",
    "vw_days",
    "ic_admissions",
    "ic_days",
    "reablement_episodes",
    "care_home_admissions",
    "care_home_days_residential",
    "care_home_days_nursing",
    "deaths",
    "gp_contacts",
    "practice_nurse_contacts",
    "district_nurse_contacts",
    "outpatient",
    "elective",
    "ae_minor",
    "sc_hours",
    "other_sc_units",
    "other_community_contacts",
    "packages_started",
    "sw_assessments",
    "assessment_wait_days",
    "package_wait_days",
    "placement_wait_days",
    "reablement_wait_days",
)

# (measure, unit cost key, tri-borough cost column). Every cost is activity times unit cost; an
# emergency spell is paid as the 2010/11 tariff paid it, a spell price plus each day past the trim
# point (tariff_excess_days, counted when the stay ends).
COST_ITEMS = (
    ("nel_admissions", "nel_admission", "cost_nel"),
    ("tariff_excess_days", "excess_bed_day", "cost_nel"),
    ("ae_attendances", "ae_attendance", "cost_other_hospital"),
    ("trolley_wait_hours", "ae_trolley_hour", "cost_other_hospital"),
    ("outpatient", "outpatient", "cost_other_hospital"),
    ("elective", "elective", "cost_other_hospital"),
    ("gp_contacts", "gp_contact", "cost_ooh"),
    ("practice_nurse_contacts", "practice_nurse_contact", "cost_ooh"),
    ("district_nurse_contacts", "district_nurse_contact", "cost_ooh"),
    ("other_community_contacts", "other_community_contact", "cost_ooh"),
    ("access_point_calls", "access_point_call", "cost_ooh"),
    ("rr_episodes", "rr_episode", "cost_ooh"),
    ("vw_days", "vw_day", "cost_ooh"),
    ("ic_days", "intermediate_care_day", "cost_ooh"),
    ("sc_hours", "sc_hour", "cost_sc"),
    ("other_sc_units", "other_social_care_unit", "cost_sc"),
    ("care_home_days_residential", "residential_day", "cost_sc"),
    ("care_home_days_nursing", "nursing_day", "cost_sc"),
    ("reablement_episodes", "reablement_episode", "cost_sc"),
    ("sw_assessments", "sw_assessment", "cost_sc"),
)
# What avoiding a unit of each releases (README, "Savings in kinds"). Cash: a price paid per unit
# in 2010/11 (the tariff per spell, excess day and attendance; packages, placements and other
# social care bought per unit), which is not paid when the unit is avoided. Capacity: the time
# of staff paid whatever they do (GPs, nurses, community teams, the access point, social
# workers, A&E clinicians) or block-commissioned places, which frees capacity and releases cash
# only if that capacity is cut.
CASH_RELEASING = frozenset(
    {
        "nel_admissions",
        "tariff_excess_days",
        "ae_attendances",
        "outpatient",
        "elective",
        "sc_hours",
        "other_sc_units",
        "care_home_days_residential",
        "care_home_days_nursing",
    }
)
CARE_HOME_ITEMS = ("care_home_days_residential", "care_home_days_nursing")

# Person-level measures reported, in order.
REPORTED = (
    "residents",
    "person_years",
    "crises",
    "access_point_calls",
    "ae_attendances",
    "ae_minor",
    "ae_within_4h",
    "ae_department_hours",
    "trolley_wait_hours",
    "trolley_waits_over_4h",
    "trolley_waits_over_12h",
    "nel_admissions",
    "bed_days",
    "excess_bed_days",
    "tariff_excess_days",
    "bed_wait_hours",
    "rr_episodes",
    "rr_within_2h",
    "rr_response_hours",
    "vw_admissions",
    "vw_days",
    "ic_admissions",
    "ic_days",
    "reablement_episodes",
    "care_home_admissions",
    "care_home_days",
    "care_home_days_residential",
    "care_home_days_nursing",
    "deaths",
    "gp_contacts",
    "practice_nurse_contacts",
    "district_nurse_contacts",
    "other_community_contacts",
    "ooh_contacts",
    "outpatient",
    "elective",
    "other_hospital_contacts",
    "sc_hours",
    "other_sc_units",
    "packages_started",
    "sw_assessments",
    "assessment_wait_days",
    "package_wait_days",
    "placement_wait_days",
    "reablement_wait_days",
    "cost_nel",
    "cost_other_hospital",
    "cost_ooh",
    "cost_sc",
    "cost_care_home",
    "cost_total",
    "cost_nhs",
    "cost_council",
    "cost_cash_releasing",
    "cost_capacity_releasing",
    "bed_days_value",
)


def scalar_array(n: int, typecode: str = "d", fill: float = 0.0) -> tuple[memoryview, np.ndarray]:
    """n values as a memoryview and a numpy array of the same memory. One event reads and writes a
    resident's value through the first, which deals in Python numbers (several times faster than a
    numpy scalar and its arithmetic, with the same IEEE result); bulk work uses the second.

    The memory is numpy's: an event reads a few values of one resident from each of some forty
    arrays of the whole population, hundreds of megabytes in all, and numpy asks for its large
    arrays to be held on huge pages where the system allows it, so that fewer of those reads also
    miss the processor's cache of page addresses (the TLB); a stdlib array's memory is not."""
    values = np.full(n, fill, dtype=np.dtype(typecode))
    return memoryview(values), values


class Ledger:
    """The current year's per-resident tallies: ``m`` for bulk work, ``scalar`` (the same memory)
    for one event's count."""

    def __init__(self, n: int):
        self.n = n
        self.scalar: dict[str, memoryview] = {}
        self.m: dict[str, np.ndarray] = {}
        for name in COUNTED:
            self.scalar[name], self.m[name] = scalar_array(n)
        self.routine_uniforms: np.ndarray | None = None  # the year's draws of routine contacts (sim/routine.py)

    def reset(self) -> None:
        for arr in self.m.values():
            arr.fill(0.0)


class Accrual:
    """A continuing state that adds ``rate`` per day to one tally while it lasts."""

    def __init__(self, ledger: Ledger, measure: str):
        self.acc = ledger.m[measure]
        self._acc = ledger.scalar[measure]
        self._since, self.since = scalar_array(ledger.n, fill=math.nan)
        self._rate, self.rate = scalar_array(ledger.n)

    def start(self, i: int, t: float, rate: float = 1.0) -> None:
        since = self._since
        s = since[i]
        if s == s:  # an overlapping second interval continues the first rather than losing it
            self._acc[i] += (t - s) * self._rate[i]
        since[i] = t
        self._rate[i] = rate

    def stop(self, i: int, t: float) -> None:
        since = self._since
        s = since[i]
        if s == s:  # not NaN
            self._acc[i] += (t - s) * self._rate[i]
            since[i] = math.nan

    def stop_many(self, rows: np.ndarray, t: float) -> None:
        """``stop`` for many residents at once (a year start's moves)."""
        s = self.since[rows]
        on = ~np.isnan(s)
        self.acc[rows[on]] += (t - s[on]) * self.rate[rows[on]]
        self.since[rows] = np.nan

    def start_many(self, rows: np.ndarray, t: float) -> None:
        """``start`` at rate one for residents with nothing accruing (newcomers)."""
        self.since[rows] = t
        self.rate[rows] = 1.0

    def settle(self, t: float) -> None:
        """Credit everything accrued up to t, as at a year end."""
        on = ~np.isnan(self.since)
        self.acc[on] += (t - self.since[on]) * self.rate[on]
        self.since[on] = t


def year_record(ledger: Ledger, model: CareModel) -> dict[str, np.ndarray]:
    """Derived measures and costs per resident for the year just settled."""
    m = ledger.m
    r = dict(m)
    r["person_years"] = m["person_days"] / DAYS_PER_YEAR
    r["care_home_days"] = m["care_home_days_residential"] + m["care_home_days_nursing"]
    r["ooh_contacts"] = (
        m["gp_contacts"]
        + m["practice_nurse_contacts"]
        + m["district_nurse_contacts"]
        + m["other_community_contacts"]
        + m["rr_episodes"]
        + m["vw_days"]
        + m["ic_days"]
    )
    r["other_hospital_contacts"] = m["ae_attendances"] + m["outpatient"] + m["elective"]
    r.update(costs(m, model))
    r["bed_days_value"] = m["bed_days"] * model.unit_costs.bed_day.value  # not a cost column: bed days at cost
    return r


def costs(m: dict[str, np.ndarray], model: CareModel) -> dict[str, np.ndarray]:
    """Cost columns of the tri-borough table, the care-home part, and the splits by payer and by
    what avoiding them releases (cash or capacity)."""
    uc = model.unit_costs
    n = next(iter(m.values())).shape
    out = {c: np.zeros(n) for c in (*COST_COLUMNS, *COST_KINDS, "cost_care_home", "cost_nhs", "cost_council")}
    for measure, key, column in COST_ITEMS:
        unit = getattr(uc, key)
        cost = m[measure] * unit.value
        out[column] += cost
        out["cost_nhs" if unit.payer == "NHS" else "cost_council"] += cost
        out["cost_cash_releasing" if measure in CASH_RELEASING else "cost_capacity_releasing"] += cost
        if measure in CARE_HOME_ITEMS:
            out["cost_care_home"] += cost
    out["cost_total"] = sum(out[c] for c in COST_COLUMNS)
    return out
