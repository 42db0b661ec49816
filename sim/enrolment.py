"""The interventions' enrolment over this year's cohort.

Between year starts everyone enrolled or waiting is in some intervention's target, and the targets
only shrink, so a period's enrolment and tallies run over the cohort (the targets' union, about a
sixth of the rows) rather than over every row: one row per intervention of enrolment and of
backlog over the cohort, kept beside the per-resident masks the settings read (``Active.enrolled``
and ``Active.waiting``), and the counts by group and borough the tallies read, counted once a year
and moved as enrolment changes.
"""

from __future__ import annotations

import numpy as np

from sim.population import DEAD, Population


class Cohort:
    """This year's cohort, gathered again after a year start changed the masks (``stale``)."""

    def __init__(self, active: list, pop: Population, n_boroughs: int, groups: int, enrolments: np.ndarray):
        self.active = active  # sim.interventions.Active, one per intervention, indexed as they are
        self.pop = pop
        self.nb = n_boroughs
        self.groups = groups
        self.enrolments = enrolments  # (intervention, group): where a capped enrolment is counted
        self.rows = np.zeros(0, dtype=np.int64)
        self.enrolled = np.zeros((len(active), 0), dtype=bool)
        self.waiting = np.zeros((len(active), 0), dtype=bool)
        self._live = np.zeros(0, dtype=bool)
        self._borough = np.zeros(0, dtype=np.int64)
        self.stale = True
        self._key: tuple[np.ndarray, np.ndarray] | None = None  # (a group key, its values over the cohort)
        self._by_group: np.ndarray | None = None
        self._by_borough: tuple[np.ndarray, np.ndarray] | None = None

    def gather(self) -> None:
        """The cohort (every row in some target) and each intervention's enrolment and backlog over it."""
        union = np.zeros(self.pop.size, dtype=bool)
        for act in self.active:
            union |= act.target | act.enrolled | act.waiting
        rows = self.rows = np.flatnonzero(union)
        self.enrolled = np.zeros((len(self.active), rows.size), dtype=bool)
        self.waiting = np.zeros((len(self.active), rows.size), dtype=bool)
        for act in self.active:
            self.enrolled[act.index] = act.enrolled[rows]
            self.waiting[act.index] = act.waiting[rows]
        self._live = np.ones(rows.size, dtype=bool)  # so the next drop_dead drops any already dead
        self._borough = self.pop.borough[rows]
        self._key = None
        self._by_group = None
        self._by_borough = None
        self.stale = False

    def enrolled_rows(self) -> np.ndarray:
        """The rows enrolled in any intervention."""
        return self.rows[self.enrolled.any(axis=0)]

    def drop_dead(self) -> list[np.ndarray]:
        """Those who died since leave enrolment and backlog; their rows (in a list, empty if none)."""
        live = self.pop.setting[self.rows] < DEAD
        gone = self._live & ~live
        if not gone.any():
            return []
        self._live = live
        rows = self.rows[gone]
        at = np.flatnonzero(gone)
        for k in range(len(self.active)):
            self._recount(k, at[self.enrolled[k, at]], -1, enrolled=True)
            self._recount(k, at[self.waiting[k, at]], -1, enrolled=False)
        self.enrolled &= live
        self.waiting &= live
        for act in self.active:
            act.enrolled[rows] = False
            act.waiting[rows] = False
        return [rows]

    def enrol(self, running: np.ndarray, hours: dict[str, np.ndarray], key: np.ndarray, score: np.ndarray) -> list:
        """Enrol from each running intervention's backlog, highest risk first, as far as the
        workforce allows; the rows enrolled (in a list of arrays)."""
        joined: list[np.ndarray] = []
        for act in self.active:
            k = act.index
            if not running[k]:
                continue
            if act.capping:
                self._enrol_capped(act, hours, key, score, joined)
                continue
            newly = self.waiting[k]
            if newly.any():
                at = np.flatnonzero(newly)
                rows = self.rows[at]
                self._recount(k, at, 1, enrolled=True)
                self._recount(k, at, -1, enrolled=False)
                np.add.at(self.enrolments[k], key[rows], 1.0)
                act.enrolled[rows] = True
                act.waiting[rows] = False
                self.enrolled[k] |= newly
                newly[:] = False
                joined.append(rows)
        return joined

    def _enrol_capped(
        self, act, hours: dict[str, np.ndarray], key: np.ndarray, score: np.ndarray, joined: list
    ) -> None:
        k = act.index
        # each borough's enrolled and waiting from one pass over each (the waiting are not enrolled)
        used_b = np.bincount(self._borough[self.enrolled[k]], minlength=self.nb)
        at = np.flatnonzero(self.waiting[k])
        waiting, waiting_b = self.rows[at], self._borough[at]
        for b in range(self.nb):
            room = np.inf
            for role, h in act.capping:
                room = min(room, hours[role][b] / h if h > 0 else np.inf)
            used, cand = int(used_b[b]), waiting[waiting_b == b]
            free = int(np.floor(room + 1e-9)) - used
            if free > 0 and cand.size:
                rows = cand[np.argsort(-score[cand], kind="stable")[:free]]
                act.enrolled[rows] = True
                act.waiting[rows] = False
                # each counted once whatever order they come in
                np.add.at(self.enrolments[k], key[rows], 1.0)
                used += rows.size
                place = np.searchsorted(self.rows, rows)
                self.enrolled[k, place] = True
                self.waiting[k, place] = False
                self._recount(k, place, 1, enrolled=True)
                self._recount(k, place, -1, enrolled=False)
                joined.append(rows)
            for role, h in act.capping:
                hours[role][b] = max(0.0, hours[role][b] - used * h)

    def _recount(self, k: int, at: np.ndarray, sign: int, enrolled: bool) -> None:
        """Move the kept counts (by group and by borough) by the residents at these cohort
        positions joining (+1) or leaving (-1) intervention k's enrolment, or its backlog: a period
        changes a few, and the counts stay exact integers."""
        if not at.size:
            return
        if enrolled and self._by_group is not None:
            self._by_group[k] += sign * np.bincount(self._key[1][at], minlength=self.groups)
        if self._by_borough is not None:
            self._by_borough[0 if enrolled else 1][k] += sign * np.bincount(self._borough[at], minlength=self.nb)

    def enrolled_by_group(self, key: np.ndarray) -> np.ndarray:
        """Each intervention's enrolled by group of ``key`` (one row per intervention)."""
        if self.stale:
            self.gather()
        if self._key is None or self._key[0] is not key:
            self._key = (key, key[self.rows])
            self._by_group = None
        if self._by_group is None:
            key_c, n = self._key[1], len(self.active)
            counts = [np.bincount(key_c[self.enrolled[k]], minlength=self.groups) for k in range(n)]
            self._by_group = np.stack(counts).reshape(n, self.groups)
        return self._by_group

    def by_borough(self) -> tuple[np.ndarray, np.ndarray]:
        """Each intervention's enrolled and backlog by borough (one row per intervention)."""
        if self.stale:
            self.gather()
        if self._by_borough is None:
            b, n, nb = self._borough, len(self.active), self.nb
            enrolled = [np.bincount(b[self.enrolled[k]], minlength=nb) for k in range(n)]
            waiting = [np.bincount(b[self.waiting[k]], minlength=nb) for k in range(n)]
            self._by_borough = (np.stack(enrolled).reshape(n, nb), np.stack(waiting).reshape(n, nb))
        return self._by_borough
