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

import array
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
from sim.ledger import scalar_array
from sim.population import CARE_HOME, DEAD, HOME, REABLEMENT, Population, has_condition
from sim.risk import top_risk
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


def _enrol_rows(attributed: np.ndarray, act: Active, rows: np.ndarray, key: np.ndarray) -> int:
    """Enrol rows from the waiting list (so none already enrolled), each counted once whatever
    order they come in; how many."""
    act.enrolled[rows] = True
    act.waiting[rows] = False
    np.add.at(attributed[act.index, ATTRIBUTED_INDEX["enrolments"]], key[rows], 1.0)
    return rows.size


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
        # per hazard or shorten target, the interventions whose multiplier changes it, each with its
        # enrolment (updated in place) and its signed weight in a changed event's credit (minus the
        # log of the multiplier: positive for one that lowers it)
        self.acting: dict[str, list[tuple[int, np.ndarray, float]]] = {}
        for t in (*HAZARD_TARGETS, *SHORTEN_TARGETS):
            acting = self.by_mechanism.get(("hazard", t), []) + self.by_mechanism.get(("shorten", t), [])
            self.acting[t] = [
                (act.index, act.enrolled, -np.log(max(m, 1e-12)))
                for act in acting
                if (m := act.effects.get(("hazard", t), act.effects.get(("shorten", t)))) is not None and m != 1
            ]
        # per-resident mechanism arrays (1 = no change, 0 = no diversion)
        self.mult: dict[str, np.ndarray] = {}
        # the same memory as Python numbers, for one stay's or one discharge's multiplier
        self.one_mult: dict[str, array.array] = {}
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
        # Between year starts everyone enrolled or waiting is in some intervention's target, and the
        # targets only shrink, so a period's work runs over this year's cohort (the targets' union,
        # about a sixth of the rows) rather than every row: ``_enrolled_c`` and ``_waiting_c`` hold
        # each intervention's enrolment over the cohort (one row per intervention), beside the
        # per-resident masks the settings read. ``_stale``: the masks changed at a year start and
        # the cohort is to be gathered again.
        self.cohort = np.zeros(0, dtype=np.int64)
        self._enrolled_c = np.zeros((len(self.active), 0), dtype=bool)
        self._waiting_c = np.zeros((len(self.active), 0), dtype=bool)
        self._live_c = np.zeros(0, dtype=bool)
        self._borough_c = np.zeros(0, dtype=np.int64)
        self._stale = True
        self._acted_on: dict[str, np.ndarray] = {}  # per target, the rows whose multiplier is not one
        self._masks: dict[tuple, np.ndarray] | None = None  # parts of eligibility rules, during an assessment
        self._key: tuple[np.ndarray, np.ndarray] | None = None  # (a group key, its values over the cohort)
        self._by_group: np.ndarray | None = None
        self._by_borough: tuple[np.ndarray, np.ndarray] | None = None

    # ----- enrolment --------------------------------------------------------------------------------
    def coverage(self, act: Active, year: int) -> float:
        """Share of the eligible offered and taking up the intervention in a (1-based) reported year."""
        spec = act.spec
        if year < spec.start_year:
            return 0.0
        ramp = spec.ramp_years
        reach = 1.0 if ramp <= 0 else min(1.0, (year - spec.start_year + 1) / ramp)
        return spec.uptake.value * reach

    def _mask(self, key: tuple, make) -> np.ndarray:
        """One part of an eligibility rule, made once per assessment: the interventions share
        most of theirs (the same strata, ages, settings), each a pass over every row."""
        if self._masks is None:
            return make()
        mask = self._masks.get(key)
        if mask is None:
            mask = self._masks[key] = make()
        return mask

    def eligible(self, act: Active) -> np.ndarray:
        pop = self.pop
        el = act.spec.eligibility
        part = self._mask
        strata = tuple(STRATA.index(s) for s in el.strata)
        mask = part(("strata", strata), lambda: np.isin(pop.stratum, strata))
        mask = mask & part(("min_age", el.min_age), lambda: pop.age >= el.min_age)
        mask &= part(("max_age", el.max_age), lambda: pop.age <= el.max_age)
        if el.min_prior_admissions > 0:
            mask &= self.prior_admissions >= el.min_prior_admissions
        if el.boroughs:
            mask &= np.isin(pop.borough, [self.model.population.boroughs.index(b) for b in el.boroughs])
        if el.networks:
            mask &= np.isin(pop.network, el.networks)
        if el.top_risk_share is not None:
            share = el.top_risk_share
            mask &= part(("top_risk", share), lambda: top_risk(pop.risk_score, pop.alive, share))
        mask &= part(("settings", tuple(sorted(el.settings))), lambda: self._in_settings(el.settings))
        if el.conditions:
            cond = np.zeros(pop.size, dtype=bool)
            for c in el.conditions:
                cond |= part(
                    ("condition", c),
                    lambda c=c: has_condition(c, pop.ltc, pop.dementia, pop.cancer, pop.learning_disability, pop.smi),
                )
            mask &= cond
        return mask

    def _in_settings(self, settings) -> np.ndarray:
        pop = self.pop
        where = np.zeros(pop.size, dtype=bool)
        if "home" in settings:
            where |= (pop.setting == HOME) | (pop.setting == REABLEMENT)
        if "care_home" in settings:
            where |= pop.setting == CARE_HOME
        return where

    def forget(self, rows: np.ndarray) -> None:
        """Rows newcomers took: nothing of the last resident's enrolment stays with them."""
        for act in self.active:
            act.enrolled[rows] = False
            act.waiting[rows] = False
            act.target[rows] = False
        self._stale = True

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
        self._stale = True

    def capacity_hours(self) -> dict[str, np.ndarray]:
        """Hours a week each enrolment-capping role has, by borough."""
        out = {}
        scale = self.scale
        for role, spec in self.model.workforce.items():
            fte = np.asarray(spec.fte.value)
            out[role] = fte * spec.productive_hours.value / WEEKS_PER_YEAR * scale
        return out

    def _gather(self) -> None:
        """This year's cohort (every row in some target) and each intervention's enrolment and
        backlog over it, after a year start changed the masks."""
        n = self.pop.size
        union = np.zeros(n, dtype=bool)
        for act in self.active:
            union |= act.target | act.enrolled | act.waiting
        cohort = np.flatnonzero(union)
        self.cohort = cohort
        shape = (len(self.active), cohort.size)
        self._enrolled_c = np.zeros(shape, dtype=bool)
        self._waiting_c = np.zeros(shape, dtype=bool)
        for act in self.active:
            self._enrolled_c[act.index] = act.enrolled[cohort]
            self._waiting_c[act.index] = act.waiting[cohort]
        self._live_c = np.ones(cohort.size, dtype=bool)  # so the next fill drops any already dead
        self._borough_c = self.pop.borough[cohort]
        self._key = None
        self._by_group = None
        self._by_borough = None
        self._stale = False

    def fill(self, key: np.ndarray, score: np.ndarray) -> None:
        """Enrol from each backlog, highest risk first, as far as the workforce allows. Those who
        died since leave enrolment and backlog first."""
        full = self._stale
        if full:
            self._gather()
        cohort, enrolled_c, waiting_c = self.cohort, self._enrolled_c, self._waiting_c
        hours = self.capacity_hours()
        borough_c = self._borough_c
        changed: list[np.ndarray] = []
        joined: list[np.ndarray] = []
        live_c = self.pop.setting[cohort] < DEAD
        gone = self._live_c & ~live_c
        if gone.any():
            self._live_c = live_c
            rows = cohort[gone]
            at = np.flatnonzero(gone)
            for k in range(len(self.active)):
                self._recount(k, at[enrolled_c[k, at]], -1, enrolled=True)
                self._recount(k, at[waiting_c[k, at]], -1, enrolled=False)
            enrolled_c &= live_c
            waiting_c &= live_c
            for act in self.active:
                act.enrolled[rows] = False
                act.waiting[rows] = False
            changed.append(rows)
        for act in self.active:
            k = act.index
            if not self.running[k]:
                continue
            if not act.capping:
                newly = waiting_c[k]
                if newly.any():
                    at = np.flatnonzero(newly)
                    rows = cohort[at]
                    self._recount(k, at, 1, enrolled=True)
                    self._recount(k, at, -1, enrolled=False)
                    # not counted in "enrolments": the earlier code cleared the backlog before
                    # counting from it, so an uncapped intervention's enrolments were never counted
                    # (kept so that results stay as they were; see the README's Performance)
                    act.enrolled[rows] = True
                    act.waiting[rows] = False
                    enrolled_c[k] |= newly
                    newly[:] = False
                    changed.append(rows)
                    joined.append(rows)
                continue
            # each borough's enrolled and waiting from one pass over each (the waiting are not enrolled)
            used_b = np.bincount(borough_c[enrolled_c[k]], minlength=self.nb)
            at = np.flatnonzero(waiting_c[k])
            waiting, waiting_b = cohort[at], borough_c[at]
            for b in range(self.nb):
                room = np.inf
                for role, h in act.capping:
                    room = min(room, hours[role][b] / h if h > 0 else np.inf)
                used, cand = int(used_b[b]), waiting[waiting_b == b]
                free = int(np.floor(room + 1e-9)) - used
                if free > 0 and cand.size:
                    rows = cand[np.argsort(-score[cand], kind="stable")[:free]]
                    used += _enrol_rows(self.attributed, act, rows, key)
                    place = np.searchsorted(cohort, rows)
                    enrolled_c[k, place] = True
                    waiting_c[k, place] = False
                    self._recount(k, place, 1, enrolled=True)
                    self._recount(k, place, -1, enrolled=False)
                    changed.append(rows)
                    joined.append(rows)
                for role, h in act.capping:
                    hours[role][b] = max(0.0, hours[role][b] - used * h)
        if full:
            self.in_year[cohort[enrolled_c.any(axis=0)]] = True
            self._rebuild()
            return
        for rows in joined:
            self.in_year[rows] = True
        if changed:
            self._rebuild(np.unique(np.concatenate(changed)))

    def _recount(self, k: int, at: np.ndarray, sign: int, enrolled: bool) -> None:
        """Move the kept counts (by group and by borough) by the residents at these cohort
        positions joining (+1) or leaving (-1) intervention k's enrolment, or its backlog: a period
        changes a few, and the counts stay exact integers."""
        if not at.size:
            return
        if enrolled and self._by_group is not None:
            self._by_group[k] += sign * np.bincount(self._key[1][at], minlength=self.groups)
        if self._by_borough is not None:
            self._by_borough[0 if enrolled else 1][k] += sign * np.bincount(self._borough_c[at], minlength=self.nb)

    def enrolled_by_group(self, key: np.ndarray) -> np.ndarray:
        """Each intervention's enrolled by group of ``key`` (one row per intervention), counted over
        the cohort once a year and kept up to date as enrolment changes."""
        if self._stale:
            self._gather()
        if self._key is None or self._key[0] is not key:
            self._key = (key, key[self.cohort])
            self._by_group = None
        if self._by_group is None:
            key_c = self._key[1]
            self._by_group = np.stack(
                [np.bincount(key_c[self._enrolled_c[k]], minlength=self.groups) for k in range(len(self.active))]
            ).reshape(len(self.active), self.groups)
        return self._by_group

    def by_borough(self) -> tuple[np.ndarray, np.ndarray]:
        """Each intervention's enrolled and backlog by borough (one row per intervention), counted
        once a year and kept up to date as enrolment changes."""
        if self._stale:
            self._gather()
        if self._by_borough is None:
            b, n, nb = self._borough_c, len(self.active), self.nb
            enrolled = [np.bincount(b[self._enrolled_c[k]], minlength=nb) for k in range(n)]
            waiting = [np.bincount(b[self._waiting_c[k]], minlength=nb) for k in range(n)]
            self._by_borough = (np.stack(enrolled).reshape(n, nb), np.stack(waiting).reshape(n, nb))
        return self._by_borough

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
        acted = (self.mult["crisis"][rows] != 1) | (self.mult["fall"][rows] != 1) | (self.end_of_life[rows] > 0)
        acted |= self.envelope[rows] != 1
        for d in self.divert.values():
            acted |= d[rows] > 0
        self.crisis_acted[rows] = acted

    def acted_on(self, target: str) -> np.ndarray:
        """The rows whose multiplier on a hazard or stay is not one, in order: only the enrolled,
        so only this year's cohort (after a rebuild no one else's multiplier is other than one)."""
        rows = self._acted_on.get(target)
        if rows is None:
            if self._stale:
                rows = np.flatnonzero(self.mult[target] != 1)
            else:
                rows = self.cohort[self.mult[target][self.cohort] != 1]
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
        enrolled_b = self.by_borough()[0]
        for act in self.active:
            for role, h in act.bulk_hours.items():
                out[role] += enrolled_b[act.index] * h * period_days / DAYS_PER_WEEK
        return out

    def reset_year(self) -> None:
        self.in_year = np.zeros(self.pop.size, dtype=bool)
        self.attributed.fill(0.0)
