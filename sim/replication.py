"""One replication: build the system, run the warm-up and the reported years, return tidy tables.

The parts, in the order a replication uses them:
- building: the residents (``population``), the interventions, the system's state and protocol
  (``system``) and the care settings wired in pathway order (``settings``);
- each year's start: ageing and newcomers, risk stratification, enrolment, the year's hazards;
- each period: the community events drawn in bulk and played in time order
  (``community_events``), then the bulk workforce's hours and the system's levels;
- each year's end: routine contacts, costs, and the year's rows (``recording``).

Time is in days from the start of the warm-up.
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

from models.schema import CareModel
from models.vocabulary import DAYS_PER_YEAR, STRATA
from sim import routine
from sim.agenda import Environment
from sim.arrival_clock import ArrivalClock
from sim.commissioning import tally_commissioned
from sim.community_events import CommunityEvents
from sim.decommissioning import Decommissioning
from sim.demography import Demography, resident_bands
from sim.events import EventLog
from sim.hazards import death_norm, year_hazards
from sim.initial_state import populate
from sim.intervention_tally import tally_period, tally_year_costs
from sim.interventions import Interventions
from sim.ledger import year_record
from sim.population import advance_year, synthesise
from sim.recording import Recorder
from sim.risk import PRIOR_USE, risk_score, stratify
from sim.sample_load import SampleLoad
from sim.settings import Settings, build_settings
from sim.start_population import start_residents
from sim.streams import Streams
from sim.system import System
from sim.workforce import BulkWorkforce


@dataclass
class ReplicationResult:
    results: pd.DataFrame
    events: pd.DataFrame | None
    persons: pd.DataFrame | None
    stats: dict = field(default_factory=dict)


def population_size(model: CareModel, scale: float) -> int:
    return max(1, round(model.population.total.value * scale))


class Replication:
    """A single replication; build it, optionally attach probes to ``period_probes`` (at each
    period's end) or ``year_probes`` (at the start of each year after the first, once its residents
    are set; the first year's start is set up while the replication is built), then ``run()``."""

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
        self.env = Environment()
        n = population_size(model, scale)
        self.scale = n / model.population.total.value
        self.warmup = model.run.warmup_years.value
        self.ppy = model.run.periods_per_year.value
        self.period_days = DAYS_PER_YEAR / self.ppy
        reserve = math.ceil(
            n * (Demography.leaving_share(model) + model.population.newcomer_reserve.value * (self.warmup + years))
        )
        pop = synthesise(model, n + reserve, self.streams["population"])
        start_residents(pop, model, n, self.streams["population:survival"])
        self.initial_residents = n
        self.demography = Demography(model, pop)
        self.arrivals = 0
        nb = len(model.population.boroughs)
        interventions = Interventions(model, pop, self.streams, self.scale, nb)
        clock = ArrivalClock(model.crisis.timing) if model.crisis.timing is not None else None
        load = SampleLoad(self.env, self.scale, self.streams.__getitem__, clock)
        log = EventLog(event_log, self.env)
        log.ids = pop.person
        self.sys = System(self.env, model, pop, self.scale, log, interventions, load)
        self.settings: Settings = build_settings(self.sys)
        self.workforce = BulkWorkforce(model, self.scale, self.ppy, self.period_days)
        self.community = CommunityEvents(self.settings, self.streams, self.period_days)
        self.recorder = Recorder(self.settings, person_log)
        self.decommissioning = Decommissioning(model, self.settings.hospital.beds)
        self.prior: dict[str, np.ndarray] = {}
        self.contact_rates: dict[str, np.ndarray] = {}
        self.period_probes: list[Callable[[Settings], None]] = []
        self.year_probes: list[Callable[[int], None]] = []
        self.start_year(0)
        hz = self.community.hazards
        populate(self.settings, hz, self.streams)
        # those placed at the start need 24-hour care: their death hazard is raised from the start,
        # and the others' is set so that each band's deaths over the year are its rate's
        self.community.death_norm = death_norm(self.sys.pop, model, self.sys.band)
        self.community.hazards = year_hazards(self.sys.pop, model, self.sys.band, self.community.death_norm)
        self.settings.care_homes.rest_as_expected(self.community.onset_factor, self._deaths)

    def _deaths(self) -> np.ndarray:
        """Every resident's death hazard as now drawn (each year's replace the last's)."""
        return self.community.hazards.death

    # ----- yearly ---------------------------------------------------------------------------------
    def start_year(self, y: int) -> None:
        s, pop, m = self.sys, self.sys.pop, self.model
        if y > 0:
            advance_year(pop, m, self.streams[f"ageing:{y}"])
            self.admit_newcomers(y)
            s.update_bands()
        self.count_residents()
        pop.risk_score = risk_score(pop, self.prior, m)
        pop.stratum = stratify(
            pop.risk_score, pop.alive, np.asarray(m.risk.strata_share.value), self.streams[f"stratify:{y}"]
        )
        self.recorder.start_year()
        self.decommissioning.year_start(y - self.warmup + 1)
        s.group = pop.borough.astype(np.int64) * len(STRATA) + np.maximum(pop.stratum, 0)
        if "nel_admissions" in self.prior:
            s.interventions.prior_admissions = self.prior["nel_admissions"]
        s.interventions.assess(y - self.warmup + 1)
        s.interventions.fill(s.group, pop.risk_score)
        # each band's deaths over the year are its cited rate's every year: the frailest die first,
        # and a norm fixed at the start would let that selection drain the old bands' deaths year by year
        # (the starting residents are not drawn already selected). Need is the same in every
        # scenario, so the norm is too; at year 0 it is set again once the placements are made
        self.community.death_norm = death_norm(pop, m, s.band)
        self.community.hazards = year_hazards(pop, m, s.band, self.community.death_norm)
        self.contact_rates = routine.annual_rates(pop, m)
        for probe in self.year_probes:
            probe(y)

    def admit_newcomers(self, y: int) -> None:
        """Moves out, births and moves in (sim/demography.py); the newcomers start with no history."""
        s = self.sys
        moves = self.demography.year_start(y, s, self.streams, self.community.dying_mask())
        for kind, rows in moves.items():
            s.tally.add(-1, kind, rows.size * s.inv_scale)
            if kind == "moves_out":
                continue
            for use in self.prior.values():
                use[rows] = 0.0
            s.interventions.forget(rows)
            self.arrivals += rows.size

    def count_residents(self) -> None:
        """The year's starting residents by age band, for the projection's check."""
        s = self.sys
        names = resident_bands(self.model.population.age_band_lower.value)
        counts = np.bincount(s.band[s.pop.alive], minlength=len(names))
        for name, k in zip(names, counts, strict=True):
            s.tally.add(-1, name, k * s.inv_scale)
        s.tally.sample(-1, "mean_age", float(s.pop.age[s.pop.alive].mean()))

    def end_year(self, y: int) -> None:
        s, m = self.sys, self.model
        t = self.env._now
        for acc in s.accruals:
            acc.settle(t)
        delivered = self.workforce.delivered_share()
        rng = self.streams[f"routine:{y}"]
        routine.draw_year(s.ledger, self.contact_rates, m, rng, delivered, s.pop.borough)
        minors = round(float(s.ledger.m["ae_minor"].sum()) * s.inv_scale)  # the whole population's
        self.settings.emergency.end_year(minors, t - DAYS_PER_YEAR, self.streams[f"ae_minors:{y}"])
        record = year_record(s.ledger, m)
        if y >= self.warmup:
            concurrent = None
            if self.person_log:
                # the same risk tool scored with this year's own use, as the 2010/11 table was cut
                score = risk_score(s.pop, record, m)
                shares = np.asarray(m.risk.strata_share.value)
                concurrent = stratify(score, self.recorder.alive_at_start, shares, self.streams[f"concurrent:{y}"])
            s.every_place_of_death(len(m.population.boroughs))
            tally_year_costs(s.interventions, y - self.warmup + 1, s.tally)
            tally_commissioned(m, record, s.pop.borough, s.tally, s.inv_scale)
            self.decommissioning.year_end(y - self.warmup + 1, s.tally)
            self.recorder.year(y - self.warmup + 1, record, concurrent)
        self.prior = {k: record[k].copy() for k in PRIOR_USE}
        s.ledger.reset()
        s.tally.reset()
        s.interventions.reset_year()
        gc.collect(0)

    # ----- per period -----------------------------------------------------------------------------
    def end_period(self) -> None:
        s = self.sys
        nb = len(self.model.population.boroughs)
        demand = routine.period_demand_hours(s.pop, self.contact_rates, self.model, self.period_days, nb)
        iv = s.interventions
        if iv.any:
            iv.fill(s.group, s.pop.risk_score)
            tally_period(iv, s.group, self.period_days, s.tally, s.inv_scale)
            for role, extra in iv.bulk_demand_hours(self.period_days).items():
                demand[role] = demand[role] + extra
        self.workforce.step(demand, s.tally, s.inv_scale)
        self.recorder.period(self.ppy)
        self.decommissioning.period()
        for probe in self.period_probes:
            probe(self.settings)

    def main(self) -> Generator:
        for y in range(self.warmup + self.years):
            if y > 0:
                self.start_year(y)
            for p in range(self.ppy):
                t0 = (y * self.ppy + p) * self.period_days
                self.community.start_period(t0)
                t1 = t0 + self.period_days
                if t1 > self.env._now:
                    yield self.env.timeout(t1 - self.env._now)
                self.end_period()
            self.end_year(y)

    def run(self) -> ReplicationResult:
        started = time.perf_counter()
        proc = self.env.process(self.main())
        # The cyclic collector's full passes grow with the number of live objects, which made
        # time per resident rise with population size; collect once a year instead (end_year), the
        # youngest generation only: a full pass found the same few dozen cycles at several times the cost.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self.env.run(until=proc)
        finally:
            if gc_was_enabled:
                gc.enable()
        wall = time.perf_counter() - started
        events = None
        if self.sys.log.enabled:
            events = self.sys.log.frame(self.replication)
            events["time"] -= self.warmup * DAYS_PER_YEAR
        stats = {
            "residents": self.initial_residents,
            "rows": self.sys.pop.size,
            "scale": self.scale,
            "years": self.years,
            "warmup_years": self.warmup,
            "events": _events_scheduled(self.env),
            "arrivals": self.arrivals,
            "arrivals_short": self.demography.short,
            "wall_seconds": wall,
        }
        results = self.recorder.results(self.scenario, self.replication)
        return ReplicationResult(results, events, self.recorder.persons(self.replication), stats)


# Raised whenever a change moves fixed-seed results (and the golden cases are re-recorded with it),
# so that what was cached from an earlier engine (a fit's evaluations) is not read as this one's.
# 2: at a sample, the rest's care home places and giving up follow the sample's recent rates.
# 3: an intervention no workforce caps counts its enrolments (they were never counted).
# 4: business as usual refitted for persistence and five-year stationarity (issue 16's sixth refit).
# 5: at a sample, the rest's care home requests follow the needs for 24-hour care expected (from the
#    start), split by kind's chance, and their places end at the holders' mean death hazard.
# 6: business as usual refitted with planned care following frailty and the score banding planned
#    use (issue 16's twelfth refit).
# 7: business as usual refitted with other community contacts after elective admissions (issue 16's
#    thirteenth refit).
# 8: business as usual refitted with the under-65s' crises following their leaf's need (issue 16's
#    fourteenth refit).
# 9: at a sample, the rest's care home places end at the mean death hazard of either kind's
#    holders, and the rest ask for places only as the sample does (no prior in the first year).
# 10: ... each kind's holders again (pooled, the kinds' start differed), the span at least a week.
# 11: the starting packages go to adults of any age (they went to those 65+ only) in proportion to
#     the stock the model's own flows hold (sim/initial_state.package_stock_weight).
# 12: the starting residents' frailty moved by age band to the dynamics' own (need.frailty_start_
#     shift); a period's Bernoulli events take one uniform a row, their times keyed to the resident;
#     moves out normalised within each age band (issue 16's eighteenth refit).
# 13: death rates rise through each band and need is measured against a reference continuous in
#     age (sim/hazards.DeathNorm); the start's frailty shift by single age; new LTC incidences.
# 14: each band's deaths over the year held to its rate's (1 - exp(-rate) a head), not its mean
#     hazard (sim/hazards.death_norm), which gave fewer deaths the more need varied in a band.
# 15: ages within each band follow survival under the model's death rates, the oldest band's up to
#     110 (sim/population.age_within_band), not uniform; dementia incidences that hold prevalence;
#     cancer gained with an LTC; the starting care-home residents weighted by how long they stay.
# 16: the starting packages' weight counts moves out among a package's endings.
# 17: the starting residents' need through a ten-year burn-in of deaths at fixed age and conditions
#     (sim/start_population.py); the start's profile and incidences stepped again for it.
# 18: at a sample, the rest's rate over the last 100 requests where a year holds fewer, not 400
#     (sim/rest_of_population.MIN_ASKS); full population's results unchanged.
RESULTS_VERSION = 18


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
