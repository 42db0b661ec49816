"""Acute beds: a non-elective admission waits for a bed, stays, and is discharged when the next
setting can take them. Days after being medically fit are excess bed days (delayed discharge).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator

import numpy as np

from sim.draws import C_DEST, C_LOS
from sim.population import DEAD, HOSPITAL
from sim.reablement import Reablement
from sim.sample_load import Hold
from sim.social_care import CareHomes, HomeCare, SocialWork
from sim.system import System

TO_HOME, TO_PACKAGE, TO_REABLEMENT, TO_CARE_HOME = range(4)


class Hospital:
    def __init__(
        self,
        system: System,
        social_work: SocialWork,
        home_care: HomeCare,
        reablement: Reablement,
        care_homes: CareHomes,
    ):
        self.sys = system
        self.social_work = social_work
        self.home_care = home_care
        self.reablement = reablement
        self.care_homes = care_homes
        h = system.model.hospital
        # the rest's stays are drawn from the sample's recent ones; 7 days is only their prior
        self.beds = system.load.places(h.beds.value, "beds", Hold(7.0))
        sigma = h.los_sigma.value
        self.sigma = sigma
        self.log_mean_los = (np.log(np.asarray(h.mean_los_days.value)) - sigma * sigma / 2).tolist()
        self.los_elasticity = h.los_need_elasticity.value
        self._need: np.ndarray | None = None  # the need array ``_rel_need`` was taken from
        self._rel_need: memoryview | list[float] = []
        self.in_bed: dict[int, object] = {}  # each resident in a bed, and the bed
        self.admitted_at: dict[int, float] = {}  # and when the stay began
        self.trim_days = h.tariff_trim_days.value
        self.discharge: list[list[float]] = np.asarray(h.discharge.value, dtype=float).tolist()
        self.arrangement_days = system.model.social_work.arrangement_days.value
        # each resident's multiplier on a stay, as Python numbers (1 where no intervention shortens it)
        self._los_mult = system.interventions.one_mult["length_of_stay"] if system.interventions.any else None

    def length_of_stay(self, i: int, z: float, with_interventions: bool = True) -> float:
        s = self.sys
        pop = s.pop
        # need changes only by replacing the arrays (population.update_need), never in place
        if pop.need is not self._need:  # a year's need (or a newcomer's) has replaced the last
            self._need = pop.need
            self._rel_need = memoryview(pop.need / pop.base_need)  # Python floats, read one at a time
        los = math.exp(self.log_mean_los[s.band_of[i]] + self.sigma * z) * self._rel_need[i] ** self.los_elasticity
        if with_interventions and self._los_mult is not None:  # (with none, every multiplier is one)
            los *= self._los_mult[i]
        # a Python float: the stay's end is a key in the event queue, compared many times there
        return float(los)

    def destination(self, i: int, u: float) -> int:
        """Home, a package or reablement, by age band (a care home follows a need for 24-hour
        care, not this draw)."""
        probs = self.discharge[self.sys.band_of[i]]
        c = 0.0
        for k in range(4):
            c += probs[k]
            if u < c:
                return k
        return TO_HOME

    def admission(self, i: int, row: list[float], on_bed: Callable[[], None] | None = None) -> None:
        """Admitted from A&E (or escalated from a step-up setting): a bed now, or a wait for one.

        A stay that finds a bed free and goes home costs one event (its length); a process runs
        only where the discharge waits for social work, a package, a place or reablement."""
        s = self.sys
        if s.setting[i] == DEAD or s.setting[i] == HOSPITAL:
            return
        s.enter_hospital(i)
        s.count("nel_admissions", i)
        bed = self.beds.take()
        if bed is not None:
            # a wait for a bed that starts and ends now adds nothing: none is started
            self._in_bed(i, row, bed, on_bed, waited=False)
        else:
            s.wait_start("bed_wait_hours", i)
            # waiting (in A&E, when admitted from there), withdrawn if the resident dies meanwhile
            req = s.queue(i, self.beds.request())
            req.callbacks.append(lambda req: self._bed_came(i, row, req, on_bed))

    def _bed_came(self, i: int, row: list[float], req, on_bed: Callable[[], None] | None) -> None:
        self.sys.dequeue(i, req)
        self._in_bed(i, row, req, on_bed)

    def _in_bed(
        self, i: int, row: list[float], bed, on_bed: Callable[[], None] | None = None, waited: bool = True
    ) -> None:
        s = self.sys
        now = s.env._now
        if on_bed is not None:
            on_bed()
        if waited:
            s.wait_end("bed_wait_hours", i)
        s.bed.start(i, now)
        s.log.add(i, "admission", "hospital")
        self.in_bed[i] = bed
        self.admitted_at[i] = now
        dying = s.dying.get(i)
        if dying is not None:
            # the final admission of a terminal decline: the stay ends with the death
            s.env.call_in(max(0.0, dying - now) + 1.0, self._medically_fit, i, row, bed)
            return
        los = self.length_of_stay(i, row[C_LOS])
        iv = s.interventions
        if self._los_mult is not None and self._los_mult[i] != 1:  # shorter, or longer (negative, added days)
            saved = self.length_of_stay(i, row[C_LOS], with_interventions=False) - los
            iv.share_avoided(i, s.group[i], ("length_of_stay",), {"avoided_bed_days": saved})
        s.env.call_in(los, self._medically_fit, i, row, bed)

    def resident_died(self, i: int) -> None:
        """A death in a bed gives the bed back (the stay's own events then find them dead)."""
        bed = self.in_bed.pop(i, None)
        if bed is not None:
            self.beds.give_back(bed)
            self._spell_ends(i)

    def _spell_ends(self, i: int) -> None:
        """The tariff's days past the trim point, paid on top of the spell price."""
        start = self.admitted_at.pop(i, None)
        if start is None:
            return
        stay = self.sys.env._now - start
        if stay > self.trim_days:
            self.sys.count("tariff_excess_days", i, stay - self.trim_days)

    def _medically_fit(self, i: int, row: list[float], bed) -> None:
        s = self.sys
        if s.is_dead(i):
            return
        s.log.add(i, "medically_fit", "hospital")
        if s.pop.placement[i]:
            dest = TO_HOME
        elif i in s.needs_place:
            dest = TO_CARE_HOME
        else:
            dest = self.destination(i, row[C_DEST])
        if dest == TO_PACKAGE and s.pop.package_hours[i] > 0:
            dest = TO_HOME  # their package resumes at discharge
        if dest == TO_HOME:
            self._discharge(i, row, bed, None)
        else:
            s.env.process(self._arrange(i, row, bed, dest))

    def _arrange(self, i: int, row: list[float], bed, dest: int) -> Generator:
        """Medically fit, waiting in the bed for what the discharge needs (excess bed days)."""
        s = self.sys
        env = s.env
        iv = s.interventions
        reablement_req = None
        arrangement = self.arrangement_days * iv.one_mult["discharge_delay"][i]
        if iv.any and dest != TO_REABLEMENT and arrangement != self.arrangement_days:
            saved = {
                "avoided_excess_bed_days": self.arrangement_days - arrangement,
                "avoided_bed_days": self.arrangement_days - arrangement,
            }
            iv.share_avoided(i, s.group[i], ("discharge_delay",), saved)
        s.excess.start(i, env._now)
        # a death while waiting ends it: the bed went back at the death, and the wait stops here
        if dest == TO_PACKAGE:
            yield from self.social_work.assess(i)
            if s.is_dead(i):
                return
            yield env.timeout(arrangement)
            if s.is_dead(i):
                return
            yield from self.home_care.start(i, row)
        elif dest == TO_REABLEMENT:
            reablement_req = yield from self.reablement.reserve(i)
            if s.is_dead(i):
                if reablement_req is not None:
                    self.reablement.not_needed(i, reablement_req)
                return
            if reablement_req is not None and s.pop.placement[i]:
                # a care home place came through while waiting: reablement is no longer needed
                self.reablement.not_needed(i, reablement_req)
                reablement_req = None
        else:
            yield from self.social_work.assess(i)
            if s.is_dead(i):
                return
            yield env.timeout(arrangement)
            if s.is_dead(i):
                return
            yield from self.care_homes.place(i, row)
        if s.is_dead(i):
            return
        s.excess.stop(i, env._now)
        self._discharge(i, row, bed, reablement_req)

    def _discharge(self, i: int, row: list[float], bed, reablement_req) -> None:
        s = self.sys
        s.bed.stop(i, s.env._now)
        self.in_bed.pop(i, None)
        self.beds.give_back(bed)
        self._spell_ends(i)
        s.log.add(i, "discharge", "hospital")
        s.leave_hospital(i, to_reablement=reablement_req is not None and not s.pop.placement[i])
        if reablement_req is not None:
            self.reablement.begin(i, row, reablement_req)
