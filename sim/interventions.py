"""Interventions: who is enrolled, what each changes, and what each is credited with.

Every intervention is data (models/schema.Intervention). Here each one gets, per replication:
its effects sampled once; a fixed willingness per resident (so uptake picks the same people
year to year, and the same people in every scenario); enrolment each year among the eligible,
up to what its workforce can carry, with the rest in a backlog; and per-resident mechanism
arrays that the care settings read. Mechanisms are implemented once, in the settings:

- hazard (crisis, fall, care_home_entry, death): a multiplier; an event drawn at the baseline
  hazard is thinned, so the same draw decides it in every scenario (common random numbers);
- divert (rapid_response, virtual_ward, intermediate_care): the probability a crisis is sent
  to that community setting instead, if it has room;
- shorten (length_of_stay, discharge_delay): a multiplier on the stay or on the arrangement time;
- end_of_life (home): the probability that a death which would come in hospital comes at home.

A multiplier may exceed one (harm, where an evaluation found more use): a hazard's events are
then drawn at the higher rate, the baseline's own events among them (sim/community_events.py), so
the same draws still decide both arms.

Several interventions on one target: their multipliers multiply, but the product is held within
the strongest single intervention's evidence, between the lowest ``low`` and the highest
``high`` of the ranges acting on the resident (no combination of modest effects adds up to more
than any one evaluation found). A mechanism that names a source for ``additivity`` multiplies on
top of that bound.

Attribution: an avoided event is shared among the interventions lowering its hazard or stay, and
an added one among those raising it (credited as negative avoided events), each in proportion to
the log of its multiplier, so the shares add to one event; diversions and deaths at home are
credited to the intervention that made them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.schema import CareModel, Intervention
from models.vocabulary import (
    BULK_ROLES,
    DAYS_PER_WEEK,
    DIVERT_TARGETS,
    HAZARD_TARGETS,
    SHORTEN_TARGETS,
    STRATA,
    WEEKS_PER_YEAR,
)
from sim.eligibility import eligible
from sim.enrolment import Cohort
from sim.ledger import scalar_array
from sim.population import Population
from sim.streams import Streams

ATTRIBUTED = (
    "enrolled_person_years",
    "enrolments",
    "avoided_crises",
    "avoided_ae_attendances",
    "avoided_nel_admissions",
    "avoided_bed_days",
    "avoided_excess_bed_days",
    "avoided_care_home_admissions",
    "avoided_deaths",
    "diverted_crises",
    "deaths_at_home_supported",
)
ATTRIBUTED_INDEX = {m: k for k, m in enumerate(ATTRIBUTED)}


def sample_effect(effect, rng: np.random.Generator) -> float:
    """One draw, by inversion of one uniform whatever the distribution (a range collapsed to a point
    takes its uniform too), so scaling a range's parameters scales the draw and a mechanism's draw
    never moves the next one's; the values are numpy's own triangular and uniform draws."""
    u = float(rng.random())
    if effect.distribution == "fixed":
        return float(effect.value)
    lo, hi = effect.low, effect.high
    if effect.distribution == "uniform" or lo == hi:
        return float(lo + (hi - lo) * u)
    mode = effect.mode
    if u <= (mode - lo) / (hi - lo):
        return float(lo + np.sqrt(u * (hi - lo) * (mode - lo)))
    return float(hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode)))


@dataclass
class Active:
    """One intervention in one replication."""

    index: int
    name: str
    spec: Intervention
    effects: dict[tuple[str, str], float]
    bounds: dict[tuple[str, str], tuple[float, float]]  # each effect's range, the combination rule's bound
    additive: frozenset[tuple[str, str]]  # effects with a source showing they add to others'
    willing_u: np.ndarray
    enrolled: np.ndarray
    waiting: np.ndarray
    target: np.ndarray
    capping: list = field(default_factory=list)  # (role, hours per person per week) that cap enrolment
    bulk_hours: dict = field(default_factory=dict)  # role -> hours per person per week (fluid demand)

    def effect(self, kind: str, target: str) -> float | None:
        return self.effects.get((kind, target))


def _activate(k: int, name: str, spec: Intervention, model: CareModel, streams: Streams, n: int) -> Active:
    """One intervention for a replication: its effects sampled, its residents' willingness drawn,
    and the hours its workforce needs (capping enrolment, or asked of a bulk role)."""
    rng = streams[f"effect:{name}"]
    act = Active(
        index=k,
        name=name,
        spec=spec,
        effects={(m.kind, m.target): sample_effect(m.effect, rng) for m in spec.mechanisms},
        bounds={(m.kind, m.target): m.effect.bounds() for m in spec.mechanisms},
        additive=frozenset((m.kind, m.target) for m in spec.mechanisms if m.additivity),
        willing_u=streams[f"uptake:{name}"].random(n),
        enrolled=np.zeros(n, dtype=bool),
        waiting=np.zeros(n, dtype=bool),
        target=np.zeros(n, dtype=bool),
    )
    for need in spec.workforce:
        role = model.workforce[need.role]
        hours = need.hours_per_person_week
        if hours is None:
            hours = role.productive_hours.value / WEEKS_PER_YEAR / need.caseload_per_fte
        if need.role in BULK_ROLES:
            act.bulk_hours[need.role] = act.bulk_hours.get(need.role, 0.0) + hours
        else:
            act.capping.append((need.role, hours))
    return act


def _acting(by_mechanism: dict[tuple[str, str], list[Active]]) -> dict[str, list[tuple[int, memoryview, float]]]:
    """Per hazard or shorten target, the interventions whose multiplier changes it, each with its
    enrolment (updated in place, read as Python bools) and its signed weight in a changed event's credit (minus the log
    of the multiplier: positive for one that lowers it)."""
    out = {}
    for t in (*HAZARD_TARGETS, *SHORTEN_TARGETS):
        acting = by_mechanism.get(("hazard", t), []) + by_mechanism.get(("shorten", t), [])
        out[t] = [
            (act.index, memoryview(act.enrolled), -np.log(max(m, 1e-12)))
            for act in acting
            if (m := act.effects.get(("hazard", t), act.effects.get(("shorten", t)))) is not None and m != 1
        ]
    return out


class Interventions:
    """All interventions of a model, with the mechanism arrays the settings read."""

    def __init__(self, model: CareModel, pop: Population, streams: Streams, scale: float, n_boroughs: int):
        self.model = model
        self.pop = pop
        self.scale = scale
        self.nb = n_boroughs
        n = pop.size
        self.active: list[Active] = []
        self.any = bool(model.interventions)  # read on every crisis: a plain attribute
        for k, (name, spec) in enumerate(model.interventions.items()):
            self.active.append(_activate(k, name, spec, model, streams, n))
        self.by_mechanism: dict[tuple[str, str], list[Active]] = {}
        for act in self.active:
            for key in act.effects:
                self.by_mechanism.setdefault(key, []).append(act)
        self.acting = _acting(self.by_mechanism)
        # per-resident mechanism arrays (1 = no change, 0 = no diversion)
        self.mult: dict[str, np.ndarray] = {}
        # the same memory as Python numbers, for one stay's or one discharge's multiplier
        self.one_mult: dict[str, memoryview] = {}
        for t in (*HAZARD_TARGETS, *SHORTEN_TARGETS):
            self.one_mult[t], self.mult[t] = scalar_array(n, fill=1.0)
        # the factor on each resident's crisis rate at which candidate crises are drawn: above one
        # where their interventions raise the crisis or fall hazard (sim/community_events.py)
        self.envelope = np.ones(n)
        self.raises_crises = any(
            act.bounds.get(("hazard", t), (1.0, 1.0))[1] > 1 for act in self.active for t in ("crisis", "fall")
        )
        # the combination rule's arrays, only for targets several interventions act on (or one
        # with a source for additivity): the additive part, and the floor and ceiling of the ranges
        stacked = {
            t
            for t in self.mult
            if len(self.by_mechanism.get(("hazard", t), []) + self.by_mechanism.get(("shorten", t), [])) > 1
        }
        stacked |= {t for act in self.active for (_k, t) in act.additive}
        self.bounded = {t: (np.ones(n), np.ones(n), np.ones(n)) for t in stacked}
        self.divert = {t: np.zeros(n) for t in DIVERT_TARGETS}
        self.end_of_life = np.zeros(n)
        # whether any intervention acts on a crisis of the resident's (thins, raises, diverts or
        # keeps it at home): the others' crises take the path with no interventions
        self.crisis_acted = np.zeros(n, dtype=bool)
        self._built_from = [np.zeros(n, dtype=bool) for _ in self.active]  # enrolment the arrays hold
        ns = len(STRATA)
        self.groups = self.nb * ns
        self.attributed = np.zeros((len(self.active), len(ATTRIBUTED), self.groups))
        self.year_index = 0
        self.running = np.zeros(len(self.active), dtype=bool)
        # enrolled in any intervention at some time this year (the person log's pilot cohort: those
        # who die stop being enrolled, but were in the cohort)
        self.in_year = np.zeros(pop.size, dtype=bool)
        self.prior_admissions = np.zeros(pop.size)  # each row's emergency admissions in the last 12 months
        # a period's enrolment and tallies over this year's cohort (sim/enrolment.py)
        enrolments = self.attributed[:, ATTRIBUTED_INDEX["enrolments"]]
        self.enrolment = Cohort(self.active, pop, self.nb, self.groups, enrolments)
        self._acted_on: dict[str, np.ndarray] = {}  # per target, the rows whose multiplier is not one
        self._masks: dict[tuple, np.ndarray] | None = None  # parts of eligibility rules, during an assessment

    # ----- enrolment --------------------------------------------------------------------------------
    def coverage(self, act: Active, year: int) -> float:
        """Share of the eligible offered and taking up the intervention in a (1-based) reported year."""
        spec = act.spec
        if year < spec.start_year:
            return 0.0
        ramp = spec.ramp_years
        reach = 1.0 if ramp <= 0 else min(1.0, (year - spec.start_year + 1) / ramp)
        return spec.uptake.value * reach

    def eligible(self, act: Active) -> np.ndarray:
        return eligible(self.pop, self.model, act.spec.eligibility, self.prior_admissions, self._masks)

    def forget(self, rows: np.ndarray) -> None:
        """Rows newcomers took: nothing of the last resident's enrolment stays with them."""
        for act in self.active:
            act.enrolled[rows] = False
            act.waiting[rows] = False
            act.target[rows] = False
        self.enrolment.stale = True

    def assess(self, year: int) -> None:
        """At each year start (reported years 1..Y; 0 or less in warm-up): who should be enrolled."""
        self.year_index = year
        alive = self.pop.alive
        self._masks = {}
        for act in self.active:
            cov = self.coverage(act, year)
            self.running[act.index] = cov > 0
            if act.spec.cohort == "closed" and year > act.spec.start_year:
                act.target &= alive  # a pilot's cohort, chosen in its first year
            elif cov > 0:
                # the willing among the eligible, the uniforms compared only where eligible
                rows = np.flatnonzero(alive & self.eligible(act))
                act.target = np.zeros_like(alive)
                act.target[rows[act.willing_u[rows] < cov]] = True
            else:
                act.target = np.zeros_like(alive)
            act.enrolled &= act.target
            act.waiting = act.target & ~act.enrolled
        self._masks = None
        self.enrolment.stale = True

    def capacity_hours(self) -> dict[str, np.ndarray]:
        """Hours a week each enrolment-capping role has, by borough."""
        out = {}
        scale = self.scale
        for role, spec in self.model.workforce.items():
            fte = np.asarray(spec.fte.value)
            out[role] = fte * spec.productive_hours.value / WEEKS_PER_YEAR * scale
        return out

    def fill(self, key: np.ndarray, score: np.ndarray) -> None:
        """Enrol from each backlog, highest risk first, as far as the workforce allows. Those who
        died since leave enrolment and backlog first."""
        cohort = self.enrolment
        full = cohort.stale
        if full:
            cohort.gather()
        changed = cohort.drop_dead()
        joined = cohort.enrol(self.running, self.capacity_hours(), key, score)
        if full:
            self.in_year[cohort.enrolled_rows()] = True
            self._rebuild()
            return
        for rows in joined:
            self.in_year[rows] = True
        if changed or joined:
            self._rebuild(np.unique(np.concatenate(changed + joined)))

    def _rebuild(self, rows: np.ndarray | None = None) -> None:
        """Per-resident mechanism arrays from current enrolment, for the rows whose enrolment
        changed since the last rebuild (a few a period; every array is a function of a row's
        enrolment alone, so the others' values stand): ``rows`` where they are known (more do no
        harm), else found by comparing every row with the enrolment last built from."""
        if rows is None:
            changed = np.zeros(self.pop.size, dtype=bool)
            for act, built in zip(self.active, self._built_from, strict=True):
                changed |= act.enrolled != built
                built[:] = act.enrolled
            rows = np.flatnonzero(changed)
        else:
            for act, built in zip(self.active, self._built_from, strict=True):
                built[rows] = act.enrolled[rows]
        if rows.size == 0:
            return
        self._acted_on = {}
        bounded = self.bounded
        for arr in (*(a for arrays in bounded.values() for a in arrays), *self.mult.values()):
            arr[rows] = 1.0
        for arr in (*self.divert.values(), self.end_of_life):
            arr[rows] = 0.0
        for act in self.active:
            on = rows[act.enrolled[rows]]
            if not on.size:
                continue
            for key, value in act.effects.items():
                kind, target = key
                if kind in ("hazard", "shorten"):
                    if target not in bounded:  # one intervention on it: nothing to combine
                        self.mult[target][on] *= value
                        continue
                    additive, floor, ceiling = bounded[target]
                    if key in act.additive:
                        additive[on] *= value
                        continue
                    self.mult[target][on] *= value
                    low, high = act.bounds[key]
                    floor[on] = np.minimum(floor[on], low)
                    ceiling[on] = np.maximum(ceiling[on], high)
                elif kind == "divert":
                    d = self.divert[target]
                    d[on] = 1 - (1 - d[on]) * (1 - value)
                else:
                    self.end_of_life[on] = 1 - (1 - self.end_of_life[on]) * (1 - value)
        for target, (additive, floor, ceiling) in bounded.items():
            m = self.mult[target]
            m[rows] = np.clip(m[rows], floor[rows], ceiling[rows]) * additive[rows]
        if self.raises_crises:  # else the envelope stays one everywhere
            self.envelope[rows] = np.maximum(self.mult["crisis"][rows], 1.0) * np.maximum(self.mult["fall"][rows], 1.0)
        # (the envelope is above one only where the crisis or fall multiplier is)
        acted = (self.mult["crisis"][rows] != 1) | (self.mult["fall"][rows] != 1) | (self.end_of_life[rows] > 0)
        for d in self.divert.values():
            acted |= d[rows] > 0
        self.crisis_acted[rows] = acted

    def acted_on(self, target: str) -> np.ndarray:
        """The rows whose multiplier on a hazard or stay is not one, in order: only the enrolled,
        so only this year's cohort (after a rebuild no one else's multiplier is other than one)."""
        rows = self._acted_on.get(target)
        if rows is None:
            cohort = self.enrolment
            if cohort.stale:
                rows = np.flatnonzero(self.mult[target] != 1)
            else:
                rows = cohort.rows[self.mult[target][cohort.rows] != 1]
            self._acted_on[target] = rows
        return rows

    # ----- attribution ------------------------------------------------------------------------------
    def share_avoided(self, i: int, group: int, targets: tuple[str, ...], amounts: dict[str, float]) -> None:
        """Credit a changed event of resident i to the interventions whose multipliers changed it:
        positive amounts are avoided, shared among those that lower it; negative ones added, shared
        among those that raise it; each in proportion to the log of its multiplier."""
        avoided = next(iter(amounts.values()), 0.0) >= 0
        weights = [(k, w) for t in targets for k, enrolled, w in self.acting[t] if enrolled[i] and (w > 0) == avoided]
        total = sum(w for _, w in weights)
        if total == 0:
            return
        for k, w in weights:
            for measure, amount in amounts.items():
                self.attributed[k, ATTRIBUTED_INDEX[measure], group] += amount * w / total

    def credit(self, act_index: int, group: int, amounts: dict[str, float]) -> None:
        for measure, amount in amounts.items():
            self.attributed[act_index, ATTRIBUTED_INDEX[measure], group] += amount

    def first_enrolled(self, kind: str, target: str, i: int) -> int | None:
        for act in self.by_mechanism.get((kind, target), ()):
            if act.enrolled[i]:
                return act.index
        return None

    # ----- per period and per year -------------------------------------------------------------------
    def bulk_demand_hours(self, period_days: float) -> dict[str, np.ndarray]:
        """Hours of GP, practice and district nurse time interventions ask for in a period, by borough."""
        out = {r: np.zeros(self.nb) for r in BULK_ROLES}
        if not any(act.bulk_hours for act in self.active):
            return out
        enrolled_b = self.enrolment.by_borough()[0]
        for act in self.active:
            for role, h in act.bulk_hours.items():
                out[role] += enrolled_b[act.index] * h * period_days / DAYS_PER_WEEK
        return out

    def reset_year(self) -> None:
        self.in_year = np.zeros(self.pop.size, dtype=bool)
        self.attributed.fill(0.0)
