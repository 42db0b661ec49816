"""What a replication reports: each reported year as tidy rows (by borough and the stratum
assessed at the year start, per intervention, and the system's levels sampled each period), and,
on request, the person log (one row per resident and year).

Tidy values are for the whole population (sample counts times 1 / scale); the person log is the
sample itself. Both carry a ``scale`` column, so no reader needs the scale handed beside them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.vocabulary import DAYS_PER_YEAR, STRATA
from sim.interventions import ATTRIBUTED
from sim.ledger import REPORTED
from sim.population import CARE_HOME, DEAD, HOME, NURSING, REABLEMENT, RESIDENTIAL, cost_tree_leaf
from sim.settings import Settings

# conditions at each year's start, as the person log carries them (ltc is a count)
PERSON_LOG_CONDITIONS = ("ltc", "dementia", "cancer", "learning_disability", "smi")
PERSON_LOG_MEASURES = (
    "ae_attendances",
    "nel_admissions",
    "bed_days",
    "excess_bed_days",
    "care_home_days",
    "sc_hours",
    "cost_nel",
    "cost_other_hospital",
    "cost_ooh",
    "cost_sc",
    "cost_total",
)


class Recorder:
    def __init__(self, settings: Settings, person_log: bool):
        self.settings = settings
        self.sys = settings.system
        self.boroughs = list(self.sys.model.population.boroughs)
        self.person_log = person_log
        self.frames: list[pd.DataFrame] = []
        self.person_frames: list[pd.DataFrame] = []
        n = self.sys.pop.size
        self.alive_at_start = np.zeros(n, dtype=bool)
        self.age_at_start = np.zeros(n)
        self.leaf_at_start = np.zeros(n, dtype=np.int8)
        self.home_at_start = np.zeros(n, dtype=bool)
        self.conditions_at_start: dict[str, np.ndarray] = {}
        self.care_home_at_start = np.zeros(n, dtype=bool)

    def start_year(self) -> None:
        """Who is counted this year, and as what: the residents alive at its start."""
        pop = self.sys.pop
        self.alive_at_start = pop.alive.copy()
        self.age_at_start = pop.age.copy()
        self.leaf_at_start = cost_tree_leaf(pop.age, pop.ltc, pop.dementia, pop.cancer, pop.learning_disability)
        self.home_at_start = np.isin(pop.setting, (HOME, REABLEMENT))
        if self.person_log:  # what a pilot chose and matched its cohort on
            self.conditions_at_start = {c: getattr(pop, c).copy() for c in PERSON_LOG_CONDITIONS}
            self.care_home_at_start = pop.setting == CARE_HOME

    def period(self, periods_per_year: int) -> None:
        """The system's levels at a period's end, and the event pools' hours worked in it."""
        st, s = self.settings, self.sys
        inv = s.inv_scale
        for name, pools in (("rapid_response_nurse", st.rapid_response.pools), ("social_worker", st.social_work.pools)):
            role = s.model.workforce[name]
            for b, pool in enumerate(pools):
                supply = role.fte.value[b] * role.productive_hours.value / periods_per_year
                s.tally.add(b, f"{name}_supply_hours", supply)
                s.tally.add(b, f"{name}_busy_hours", pool.hours_worked())
        h = st.hospital
        # places are the whole system's (full size, loaded with the rest's demand at a sample)
        s.tally.sample(-1, "beds_capacity", h.beds.capacity)
        s.tally.sample(-1, "beds_occupied", h.beds.in_use())
        s.tally.sample(-1, "bed_queue", h.beds.queued())
        for kind, label in ((RESIDENTIAL, "residential"), (NURSING, "nursing")):
            s.tally.sample(-1, f"{label}_places_occupied", st.care_homes.occupied(kind))
            s.tally.sample(-1, f"{label}_place_queue", st.care_homes.queued(kind))
        for b, market in enumerate(st.home_care.markets):
            if market is not None:
                s.tally.sample(b, "home_care_hours_in_use", st.home_care.hours_in_use(b) * inv)
                s.tally.sample(b, "package_queue", len(market.get_queue) * inv)

    def year(self, year: int, record: dict[str, np.ndarray], concurrent: np.ndarray | None) -> None:
        """Rows of a reported (1-based) year; ``concurrent`` is the year-end stratum, for the person log."""
        mask = self.alive_at_start
        record = {**record, "residents": mask.astype(float)}
        pop = self.sys.pop
        ns = len(STRATA)
        groups = len(self.boroughs) * ns
        # those not alive at the start go to a bin of their own, dropped after (each group's sum
        # runs over the same rows in the same order as over the living alone, without a copy a measure)
        key = np.where(mask, pop.borough.astype(np.int64) * ns + pop.stratum, groups)
        values = np.stack([np.bincount(key, weights=record[mm], minlength=groups + 1)[:groups] for mm in REPORTED])
        values *= self.sys.inv_scale
        parts = [self._grouped(values, REPORTED, "all")]
        iv = self.sys.interventions
        for act in iv.active:
            parts.append(self._grouped(iv.attributed[act.index] * self.sys.inv_scale, ATTRIBUTED, act.name))
        system_rows = self.sys.tally.rows()
        if system_rows:
            parts.append(
                pd.DataFrame(
                    {
                        "borough": ["all" if b < 0 else self.boroughs[b] for _, b, _, _ in system_rows],
                        "stratum": "all",
                        "intervention": [name for name, _, _, _ in system_rows],
                        "measure": [mm for _, _, mm, _ in system_rows],
                        "value": [v for _, _, _, v in system_rows],
                    }
                )
            )
        frame = pd.concat(parts, ignore_index=True)
        frame.insert(0, "year", year)
        self.frames.append(frame)
        if self.person_log:
            self.person_frames.append(self._persons(year, record, concurrent))

    def _grouped(self, values: np.ndarray, measures: tuple[str, ...], intervention: str) -> pd.DataFrame:
        """(measure, borough x stratum) values as rows."""
        nb, ns = len(self.boroughs), len(STRATA)
        groups = nb * ns
        bor = np.repeat(np.arange(nb), ns)
        st = np.tile(np.arange(ns), nb)
        frame = pd.DataFrame(
            {
                "borough": np.tile(np.asarray(self.boroughs, dtype=object)[bor], len(measures)),
                "stratum": np.tile(np.asarray(STRATA, dtype=object)[st], len(measures)),
                "intervention": intervention,
                "measure": np.repeat(np.asarray(measures, dtype=object), groups),
                "value": values.ravel(),
            }
        )
        return frame

    def _persons(self, year: int, record: dict[str, np.ndarray], concurrent: np.ndarray) -> pd.DataFrame:
        pop = self.sys.pop
        idx = np.flatnonzero(self.alive_at_start)
        died = (pop.setting[idx] == DEAD) & (pop.death_time[idx] > self.sys.env._now - DAYS_PER_YEAR)
        return pd.DataFrame(
            {
                "person": pop.person[idx],
                "year": np.int16(year),
                "borough": pd.Categorical.from_codes(pop.borough[idx], self.boroughs),
                "age": self.age_at_start[idx].astype(np.float32),
                "stratum": pd.Categorical.from_codes(pop.stratum[idx], STRATA),
                "risk_score": pop.risk_score[idx].astype(np.float32),
                "stratum_concurrent": pd.Categorical.from_codes(concurrent[idx], STRATA),
                "leaf": self.leaf_at_start[idx],
                **{mm: record[mm][idx].astype(np.float32) for mm in PERSON_LOG_MEASURES},
                "female": pop.female[idx],
                "network": pop.network[idx],
                **{c: v[idx] for c, v in self.conditions_at_start.items()},
                "died": died,
                "enrolled": self.sys.interventions.in_year[idx],
                "at_home": self.home_at_start[idx],  # at home at the year's start (not in a bed or a care home)
                "in_care_home": self.care_home_at_start[idx],
            }
        )

    def results(self, scenario: str, replication: int) -> pd.DataFrame:
        results = pd.concat(self.frames, ignore_index=True)
        results.insert(0, "replication", replication)
        results.insert(0, "scenario", scenario)
        results["scale"] = self.sys.scale  # values are already for the whole population
        return results

    def persons(self, replication: int) -> pd.DataFrame | None:
        if not self.person_log:
            return None
        persons = pd.concat(self.person_frames, ignore_index=True)
        persons.insert(0, "replication", np.int32(replication))
        persons["scale"] = self.sys.scale  # each row is one sampled resident: it stands for 1 / scale
        return persons
