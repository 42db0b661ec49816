"""One replication: build the system, run warm-up plus reported years, return tidy tables.

Time is in days from the start of the warm-up. Each period (a month by default) the community
events of the coming period (crises, deaths outside hospital, referrals for care, packages ending)
are drawn in bulk for everyone and dispatched in time order by a single process; a resident only
gets a process of their own while something is happening to them.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import simpy

from models.schema import STRATA, CareModel
from sim import routine
from sim.community_services import IntermediateCare, Reablement, VirtualWard
from sim.events import EventLog
from sim.hospital import Hospital
from sim.initial_state import populate
from sim.interventions import ATTRIBUTED, Interventions
from sim.ledger import REPORTED, YEAR_DAYS, year_record
from sim.population import (
    CARE_HOME,
    DEAD,
    HOME,
    NOT_ARRIVED,
    NURSING,
    REABLEMENT,
    RESIDENTIAL,
    SETTING_NAMES,
    VIRTUAL_WARD,
    advance_year,
    cost_tree_leaf,
    synthesise,
)
from sim.risk import risk_score, stratify
from sim.social_care import CareHomes, HomeCare, SocialWork
from sim.streams import Streams
from sim.system import DRAW_COLUMNS, NORMAL_COLUMNS, System
from sim.urgent_care import AccessPoint, EmergencyDepartment, RapidResponse, crisis
from sim.workforce import FluidQueue

CRISIS, DEATH, PACKAGE_REFERRAL, CARE_HOME_REFERRAL, PACKAGE_END = range(5)
BULK_ROLES = ("gp", "practice_nurse", "district_nurse")
PRIOR_USE = (
    "nel_admissions",
    "ae_attendances",
    "bed_days",
    "outpatient",
    "elective",
    "gp_contacts",
    "district_nurse_contacts",
    "sc_hours",
)
PERSON_LOG_MEASURES = (
    "ae_attendances",
    "nel_admissions",
    "bed_days",
    "excess_bed_days",
    "care_home_days",
    "cost_nel",
    "cost_other_hospital",
    "cost_ooh",
    "cost_sc",
    "cost_total",
)


@dataclass
class ReplicationResult:
    results: pd.DataFrame
    events: pd.DataFrame | None
    persons: pd.DataFrame | None
    stats: dict = field(default_factory=dict)


def population_size(model: CareModel, scale: float) -> int:
    return max(1, round(model.population.total.value * scale))


class Replication:
    """A single replication; build it, optionally attach probes to ``env``, then ``run()``."""

    def __init__(
        self,
        model: CareModel,
        replication: int,
        seed: int,
        years: int,
        scale: float = 1.0,
        event_log: bool = False,
        person_log: bool = False,
        scenario: str | None = None,
    ):
        if years < 1:
            raise ValueError("years must be at least 1")
        if not 0 < scale <= 1:
            raise ValueError("scale must be in (0, 1]")
        self.model = model
        self.replication = replication
        self.seed = seed
        self.years = years
        self.scenario = scenario or model.meta.name
        self.person_log = person_log
        self.streams = Streams(seed, replication)
        self.env = simpy.Environment()
        n = population_size(model, scale)
        self.scale = n / model.population.total.value
        self.warmup = model.run.warmup_years.value
        reserve = math.ceil(n * model.population.newcomer_reserve.value * (self.warmup + years))
        pop = synthesise(model, n + reserve, self.streams["population"])
        pop.setting[n:] = NOT_ARRIVED
        self.next_newcomer = n
        self.initial_residents = n
        self.arrivals = 0
        self.arrivals_short = 0
        self.sys = System(self.env, model, pop, self.scale, EventLog(event_log))
        s = self.sys
        s.hospital = Hospital(s)
        s.emergency = EmergencyDepartment(s)
        s.access_point = AccessPoint(s)
        s.rapid_response = RapidResponse(s)
        s.virtual_ward = VirtualWard(s)
        s.intermediate_care = IntermediateCare(s)
        s.reablement = Reablement(s)
        s.social_work = SocialWork(s)
        s.home_care = HomeCare(s)
        s.care_homes = CareHomes(s)
        self.ppy = model.run.periods_per_year.value
        self.period_days = YEAR_DAYS / self.ppy
        self.boroughs = list(model.population.boroughs)
        nb = len(self.boroughs)
        self.queues = {
            role: FluidQueue(
                np.asarray(model.workforce[role].fte.value)
                * model.workforce[role].productive_hours.value
                * self.scale
                / self.ppy,
                self.period_days,
            )
            for role in BULK_ROLES
        }
        self.nb = nb
        s.interventions = Interventions(model, pop, self.streams, self.scale, nb)
        self.prior: dict[str, np.ndarray] = {}
        self.rows: list[pd.DataFrame] = []
        self.person_frames: list[pd.DataFrame] = []
        self.period_probes: list[Callable[[System], None]] = []
        self.start_year(0)
        populate(s, self.care_home_rate, self.package_rate, self.streams["initial_state"])

    # ----- yearly ---------------------------------------------------------------------------------
    def start_year(self, y: int) -> None:
        s, pop, m = self.sys, self.sys.pop, self.model
        if y > 0:
            advance_year(pop, m, self.streams["ageing"])
            self.admit_newcomers()
            s.update_bands()
        pop.risk_score = risk_score(pop, self.prior, m)
        pop.stratum = stratify(
            pop.risk_score, pop.alive, np.asarray(m.risk.strata_share.value), self.streams["stratify"]
        )
        self.alive_at_start = pop.alive.copy()
        self.age_at_start = pop.age.copy()
        self.leaf_at_start = cost_tree_leaf(pop.age, pop.ltc, pop.dementia, pop.cancer, pop.learning_disability)
        s.group = pop.borough.astype(np.int64) * len(STRATA) + np.maximum(pop.stratum, 0)
        s.interventions.assess(y - self.warmup + 1)
        s.interventions.fill(s.group, pop.risk_score)
        ref = m.need.reference.value
        rel = pop.need / ref
        c = m.crisis
        self.crisis_rate = (
            routine.need_rate(pop, m, c.hazard.rate.value, c.hazard.elasticity.value, c.hazard.leaf_elasticity)
            * np.asarray(c.age_multiplier.value)[s.band]
        )
        mort = m.mortality
        self.death_rate = (
            np.asarray(mort.annual_death_rate.value)[s.band] * (pop.need / pop.base_need) ** mort.need_elasticity.value
        )
        self.package_rate = m.home_care.referral.rate.value * rel**m.home_care.referral.elasticity.value
        ch = m.care_homes
        self.care_home_rate = (
            ch.entry.rate.value
            * rel**ch.entry.elasticity.value
            * np.where(pop.dementia, ch.dementia_entry_multiplier.value, 1.0)
        )
        self.contact_rates = routine.annual_rates(pop, m)

    def admit_newcomers(self) -> None:
        """Births and in-migration: as many arrive as died in the year just ended (times the ratio)."""
        s, pop = self.sys, self.sys.pop
        t = self.env.now
        died = np.count_nonzero((pop.setting == DEAD) & (pop.death_time >= t - YEAR_DAYS))
        wanted = round(died * self.model.population.newcomers_per_death.value)
        take = min(wanted, pop.size - self.next_newcomer)
        idx = np.arange(self.next_newcomer, self.next_newcomer + take)
        pop.setting[idx] = HOME
        for acc in (s.alive_acc, s.community):
            acc.since[idx] = t
            acc.rate[idx] = 1.0
        for i in idx.tolist():
            s.log.add(i, t, "arrival", "home")
        self.next_newcomer += take
        self.arrivals += take
        self.arrivals_short += wanted - take
        s.tally.add(-1, "arrivals", take * s.inv_scale)

    def end_year(self, y: int) -> None:
        s, m = self.sys, self.model
        t = self.env.now
        for acc in s.accruals:
            acc.settle(t)
        routine.draw_year(s.ledger, self.contact_rates, m, self.streams["routine"])
        record = year_record(s.ledger, m)
        if self.person_log and y >= self.warmup:
            # the same risk tool scored with this year's own use, as the 2010/11 table was cut
            score = risk_score(s.pop, record, m)
            shares = np.asarray(m.risk.strata_share.value)
            self.concurrent = stratify(score, self.alive_at_start, shares, self.streams[f"concurrent:{y}"])
        if y >= self.warmup:
            s.interventions.year_costs(y - self.warmup + 1, s.tally)
            self._report(y - self.warmup + 1, record)
        self.prior = {k: record[k].copy() for k in PRIOR_USE}
        s.ledger.reset()
        s.tally.reset()
        s.interventions.reset_year()
        gc.collect()

    def _report(self, year: int, record: dict[str, np.ndarray]) -> None:
        s, pop = self.sys, self.sys.pop
        mask = self.alive_at_start
        record = {**record, "residents": mask.astype(float)}
        ns = len(STRATA)
        key = pop.borough[mask].astype(np.int64) * ns + pop.stratum[mask]
        groups = self.nb * ns
        inv = s.inv_scale
        values = np.stack([np.bincount(key, weights=record[mm][mask], minlength=groups) for mm in REPORTED])
        values *= inv
        bor = np.repeat(np.arange(self.nb), ns)
        st = np.tile(np.arange(ns), self.nb)
        frame = pd.DataFrame(
            {
                "borough": np.tile(np.asarray(self.boroughs, dtype=object)[bor], len(REPORTED)),
                "stratum": np.tile(np.asarray(STRATA, dtype=object)[st], len(REPORTED)),
                "measure": np.repeat(np.asarray(REPORTED, dtype=object), groups),
                "value": values.ravel(),
            }
        )
        frame.insert(2, "intervention", "all")
        parts = [frame]
        iv = s.interventions
        for act in iv.active:
            att = iv.attributed[act.index] * inv  # (measure, group)
            parts.append(
                pd.DataFrame(
                    {
                        "borough": np.tile(np.asarray(self.boroughs, dtype=object)[bor], len(ATTRIBUTED)),
                        "stratum": np.tile(np.asarray(STRATA, dtype=object)[st], len(ATTRIBUTED)),
                        "intervention": act.name,
                        "measure": np.repeat(np.asarray(ATTRIBUTED, dtype=object), groups),
                        "value": att.ravel(),
                    }
                )
            )
        sys_rows = s.tally.rows()
        if sys_rows:
            parts.append(
                pd.DataFrame(
                    {
                        "borough": ["all" if b < 0 else self.boroughs[b] for _, b, _, _ in sys_rows],
                        "stratum": "all",
                        "intervention": [name for name, _, _, _ in sys_rows],
                        "measure": [mm for _, _, mm, _ in sys_rows],
                        "value": [v for _, _, _, v in sys_rows],
                    }
                )
            )
        frame = pd.concat(parts, ignore_index=True)
        frame.insert(0, "year", year)
        self.rows.append(frame)
        if self.person_log:
            idx = np.flatnonzero(mask)
            died = (pop.setting[idx] == DEAD) & (pop.death_time[idx] > self.env.now - YEAR_DAYS)
            pf = pd.DataFrame(
                {
                    "person": idx.astype(np.int64),
                    "year": np.int16(year),
                    "borough": pd.Categorical.from_codes(pop.borough[idx], self.boroughs),
                    "age": self.age_at_start[idx].astype(np.float32),
                    "stratum": pd.Categorical.from_codes(pop.stratum[idx], STRATA),
                    "risk_score": pop.risk_score[idx].astype(np.float32),
                    "stratum_concurrent": pd.Categorical.from_codes(self.concurrent[idx], STRATA),
                    "leaf": self.leaf_at_start[idx],
                    **{mm: record[mm][idx].astype(np.float32) for mm in PERSON_LOG_MEASURES},
                    "died": died,
                }
            )
            self.person_frames.append(pf)

    # ----- per period -----------------------------------------------------------------------------
    def _stream(self, name: str, t0: float) -> np.random.Generator:
        """A fresh stream per event kind and period: a difference between scenarios in one
        period cannot shift the draws of the next (common random numbers stay common)."""
        return self.streams[f"{name}:{round(t0 / self.period_days)}"]

    def _draws(self, name: str, k: int, t0: float) -> list[list[float]]:
        rng = self._stream(name, t0)
        u = rng.random((k, DRAW_COLUMNS))
        for c in NORMAL_COLUMNS:
            u[:, c] = rng.standard_normal(k)
        return u.tolist()

    def _bernoulli_times(
        self,
        name: str,
        rate: np.ndarray,
        eligible: np.ndarray,
        t0: float,
        target: str | None = None,
        avoided_measure: str | None = None,
    ):
        """Residents with an event this period, and when. With ``target``, the interventions'
        multipliers thin the events drawn at the baseline rate, and what they avoid is credited."""
        rng = self._stream(name, t0)
        u = rng.random(rate.shape[0])
        when = t0 + rng.random(rate.shape[0]) * self.period_days  # drawn for all: aligned across scenarios
        p = -np.expm1(-rate * (self.period_days / YEAR_DAYS))
        hit = eligible & (u < p)
        iv = self.sys.interventions
        if target is not None and iv.any:
            mult = iv.mult[target]
            thinned = hit & (u >= -np.expm1(-rate * mult * (self.period_days / YEAR_DAYS)))
            for i in np.flatnonzero(thinned).tolist():
                iv.share_avoided(i, self.sys.group[i], (target,), {avoided_measure: 1.0})
            hit &= ~thinned
        who = np.flatnonzero(hit)
        return who, when[who]

    def draw_period(self, t0: float):
        """All community events of the period starting at t0, in time order."""
        pop, m = self.sys.pop, self.model
        s = pop.setting
        at_home = s == HOME
        in_care_home = s == CARE_HOME
        years = self.period_days / YEAR_DAYS

        # Crises are drawn for every row at a rate that does not depend on the scenario's state
        # (the highest a setting allows), so each scenario sees the same candidate crises; the
        # setting at the moment, the interventions and being alive then thin them (crisis()).
        rng = self._stream("crisis", t0)
        k = rng.poisson(self.crisis_rate * self.sys.crisis_max_factor * years)
        c_all = np.repeat(np.arange(pop.size), k)
        t_all = t0 + rng.random(c_all.size) * self.period_days
        crisis_rows = self._draws("crisis_draws", c_all.size, t0)
        live = np.flatnonzero(pop.alive[c_all])
        c_who, c_t = c_all[live], t_all[live]

        ch = m.care_homes
        death_rate = np.where(
            in_care_home,
            np.where(
                pop.placement == NURSING,
                ch.annual_death_rate_nursing.value,
                ch.annual_death_rate_residential.value,
            ),
            self.death_rate,
        )
        d_who, d_t = self._bernoulli_times("death", death_rate, pop.alive, t0, "death", "avoided_deaths")

        free = at_home & (pop.referred == 0) & (pop.placement == 0)
        p_who, p_t = self._bernoulli_times(
            "package_referral", self.package_rate, free & (pop.package_hours == 0) & (pop.age >= 18), t0
        )
        h_who, h_t = self._bernoulli_times(
            "care_home_referral",
            self.care_home_rate,
            free & (pop.age >= ch.min_age.value),
            t0,
            "care_home_entry",
            "avoided_care_home_admissions",
        )
        e_who, e_t = self._bernoulli_times(
            "package_end", np.full(pop.size, m.home_care.end_rate.value), pop.package_hours > 0, t0
        )

        times = np.concatenate([c_t, d_t, p_t, h_t, e_t])
        who = np.concatenate([c_who, d_who, p_who, h_who, e_who])
        kind = np.concatenate(
            [
                np.full(a.size, kd, dtype=np.int8)
                for kd, a in (
                    (CRISIS, c_who),
                    (DEATH, d_who),
                    (PACKAGE_REFERRAL, p_who),
                    (CARE_HOME_REFERRAL, h_who),
                    (PACKAGE_END, e_who),
                )
            ]
        )
        row = np.concatenate([live, *(np.arange(a.size) for a in (d_who, p_who, h_who, e_who))])
        order = np.argsort(times, kind="stable")
        draws = {
            CRISIS: crisis_rows,
            PACKAGE_REFERRAL: self._draws("package_draws", p_who.size, t0),
            CARE_HOME_REFERRAL: self._draws("care_home_draws", h_who.size, t0),
        }
        return times[order].tolist(), who[order].tolist(), kind[order].tolist(), row[order].tolist(), draws

    def dispatch(self, t0: float) -> Generator:
        s = self.sys
        env = self.env
        setting = s.pop.setting
        times, who, kinds, rows, draws = self.draw_period(t0)
        crisis_rows = draws[CRISIS]
        for t, i, kd, j in zip(times, who, kinds, rows, strict=True):
            if t > env.now:
                yield env.timeout(t - env.now)
            if kd == CRISIS:
                crisis(s, i, crisis_rows[j])
            elif kd == DEATH:
                # deaths in hospital and intermediate care come from those settings' own risks
                st = setting[i]
                if st in (HOME, REABLEMENT, VIRTUAL_WARD, CARE_HOME):
                    s.die(i, SETTING_NAMES[st])
            elif kd == PACKAGE_REFERRAL:
                if setting[i] == HOME and s.pop.referred[i] == 0 and s.pop.package_hours[i] == 0:
                    env.process(s.home_care.referral(i, draws[PACKAGE_REFERRAL][j]))
            elif kd == CARE_HOME_REFERRAL:
                if setting[i] == HOME and s.pop.referred[i] == 0 and not s.pop.placement[i]:
                    env.process(s.care_homes.referral(i, draws[CARE_HOME_REFERRAL][j]))
            elif kd == PACKAGE_END and setting[i] != DEAD:
                s.home_care.end(i)

    def end_period(self) -> None:
        s = self.sys
        demand = routine.period_demand_hours(s.pop, self.contact_rates, self.model, self.period_days, self.nb)
        iv = s.interventions
        if iv.any:
            iv.fill(s.group, s.pop.risk_score)
            iv.period_tally(s.group, self.period_days, s.tally, s.inv_scale)
            for role, extra in iv.bulk_demand_hours(self.period_days).items():
                demand[role] = demand[role] + extra
        inv = s.inv_scale
        for role, q in self.queues.items():
            r = q.step(demand[role])
            for b in range(self.nb):
                for key in ("demand_hours", "supply_hours", "served_hours"):
                    s.tally.add(b, f"{role}_{key}", float(r[key][b]) * inv)
                s.tally.sample(b, f"{role}_wait_days", float(r["wait_days"][b]))
        for name, pools in (("rapid_response_nurse", s.rapid_response.pools), ("social_worker", s.social_work.pools)):
            role = self.model.workforce[name]
            for b, pool in enumerate(pools):
                s.tally.add(b, f"{name}_supply_hours", role.fte.value[b] * role.productive_hours.value / self.ppy)
                s.tally.add(b, f"{name}_busy_hours", pool.busy_hours * inv)
                pool.busy_hours = 0.0
        h = s.hospital
        s.tally.sample(-1, "beds_capacity", h.capacity * inv)
        s.tally.sample(-1, "beds_occupied", h.beds.count * inv)
        s.tally.sample(-1, "bed_queue", len(h.beds.queue) * inv)
        for kind, label in ((RESIDENTIAL, "residential"), (NURSING, "nursing")):
            s.tally.sample(-1, f"{label}_places_occupied", s.care_homes.occupied(kind) * inv)
            home = s.care_homes.homes[kind]
            s.tally.sample(-1, f"{label}_place_queue", (len(home.queue) if home else 0) * inv)
        for b, market in enumerate(s.home_care.markets):
            if market is not None:
                s.tally.sample(b, "home_care_hours_in_use", (market.capacity - market.level) * inv)
                s.tally.sample(b, "package_queue", len(market.get_queue) * inv)
        for probe in self.period_probes:
            probe(s)

    def main(self) -> Generator:
        for y in range(self.warmup + self.years):
            if y > 0:
                self.start_year(y)
            for p in range(self.ppy):
                t0 = (y * self.ppy + p) * self.period_days
                yield from self.dispatch(t0)
                t1 = t0 + self.period_days
                if t1 > self.env.now:
                    yield self.env.timeout(t1 - self.env.now)
                self.end_period()
            self.end_year(y)

    def run(self) -> ReplicationResult:
        started = time.perf_counter()
        proc = self.env.process(self.main())
        # The cyclic collector's full passes grow with the number of live objects, which made
        # time per resident rise with population size; collect once a year instead (end_year).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self.env.run(until=proc)
        finally:
            if gc_was_enabled:
                gc.enable()
        wall = time.perf_counter() - started
        results = pd.concat(self.rows, ignore_index=True)
        results.insert(0, "replication", self.replication)
        results.insert(0, "scenario", self.scenario)
        results["scale"] = self.scale  # values are already for the whole population
        events = None
        if self.sys.log.enabled:
            events = self.sys.log.frame(self.replication)
            events["time"] -= self.warmup * YEAR_DAYS
        persons = None
        if self.person_log:
            persons = pd.concat(self.person_frames, ignore_index=True)
            persons.insert(0, "replication", np.int32(self.replication))
            persons["scale"] = self.scale  # each row is one sampled resident: it stands for 1 / scale
        stats = {
            "residents": self.initial_residents,
            "rows": self.sys.pop.size,
            "scale": self.scale,
            "years": self.years,
            "warmup_years": self.warmup,
            "events": _events_scheduled(self.env),
            "arrivals": self.arrivals,
            "arrivals_short": self.arrivals_short,
            "wall_seconds": wall,
        }
        return ReplicationResult(results, events, persons, stats)


def _events_scheduled(env: simpy.Environment) -> int:
    """simpy numbers every scheduled event; the next number is the count so far."""
    eid = getattr(env, "_eid", None)
    return int(next(eid)) if eid is not None else -1


def run_replication(
    model: CareModel,
    replication: int,
    seed: int,
    years: int,
    scale: float = 1.0,
    event_log: bool = False,
    person_log: bool = False,
    scenario: str | None = None,
) -> ReplicationResult:
    """Run one replication of a model and return its tidy results."""
    return Replication(model, replication, seed, years, scale, event_log, person_log, scenario).run()
