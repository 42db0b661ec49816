"""A&E with capacity: majors cubicles and clinicians for every crisis that reaches it, a minors
stream for the routine minor attendances, each attendance's time in department against the
four-hour standard, and an admitted patient's wait on a trolley for a bed.

A majors attendance takes a cubicle (or waits for one), is seen by the first free clinician, and
is assessed and treated until the decision to admit or discharge. A discharged patient's cubicle is
given back at a time known on arrival, so it needs no event; an admitted one waits in the cubicle
for a bed (a trolley wait, counted and costed as A&E time), and can die there. Minor attendances
are drawn in bulk with the year's routine contacts; nothing else waits on them, so the minors
stream's queue is played at the year's end for the whole population's attendances, arriving at
random through the year.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from models.vocabulary import DAYS_PER_YEAR, HOURS_PER_DAY, HOURS_PER_YEAR, MINUTES_PER_DAY
from sim.capacity import TimedPlaces
from sim.draws import C_ADMIT, C_AE
from sim.hospital import Hospital
from sim.ledger import scalar_array
from sim.population import DEAD, HOSPITAL
from sim.sample_load import Hold
from sim.system import System

TROLLEY_LONG_HOURS = 12.0  # the trolley waits the NHS reports beside the four-hour standard


def _log_mean(mean: float, sigma: float) -> float:
    return math.log(mean) - sigma * sigma / 2


class EmergencyDepartment:
    def __init__(self, system: System, hospital: Hospital):
        self.sys = system
        self.hospital = hospital
        self.p_admit = np.asarray(system.model.hospital.p_admit.value).tolist()
        ed = system.model.emergency_department
        self.standard_days = ed.standard_hours.value / HOURS_PER_DAY
        self.treat_mu = _log_mean(ed.majors_treatment_hours.value / HOURS_PER_DAY, ed.majors_treatment_sigma.value)
        self.treat_sigma = ed.majors_treatment_sigma.value
        self.clinician_days = ed.majors_clinician_minutes.value / MINUTES_PER_DAY
        self.cubicles = system.load.places(
            ed.majors_cubicles.value,
            "ae_majors_cubicles",
            Hold(ed.majors_treatment_hours.value / HOURS_PER_DAY),
            known_ends=True,
            follows_crises=True,
        )
        self.clinicians = system.load.rota(round(ed.majors_clinician_hours.value / HOURS_PER_YEAR), "ae_majors")
        self.clinicians.prior_days = self.clinician_days
        self.fed = getattr(self.cubicles, "rest", None) is not None  # a sample: the rest seen once in a cubicle
        if self.fed:
            self.cubicles.rest.on_start = self.clinicians.feed
        # when each resident in the department leaves (infinity until known; -1 when not in it),
        # read one resident at a time through a memoryview (sim/ledger.scalar_array)
        self._leaves_at = scalar_array(system.pop.size, "d", -1.0)[0]
        # at full population the cubicles are TimedPlaces: an attendance that finds one free is
        # played here at once, and a discharged patient's cubicle is booked to its end with no hold
        self.direct = type(self.cubicles) is TimedPlaces
        # admitted and waiting for a bed: (cubicle, when decided, treatment time in the cubicle)
        self.on_trolley: dict[int, tuple[object, float, float]] = {}
        self.times: list[float] = []  # the year's times in department of sampled majors patients
        counts = system.ledger.scalar  # one attendance's counts (sim/ledger.py: the same memory as the ledger)
        self._attendances = counts["ae_attendances"]
        self._department_hours = counts["ae_department_hours"]
        self._within_4h = counts["ae_within_4h"]

    # ----- majors -------------------------------------------------------------------------------
    def present(self, i: int) -> bool:
        """In the department now (a crisis meanwhile is the same crisis)."""
        return self._leaves_at[i] > self.sys.env._now  # infinity while admitted and on a trolley

    def attend(self, i: int, row: list[float]) -> None:
        s = self.sys
        self._attendances[i] += 1.0
        s.log.add(i, "ae_attendance", "emergency_department")
        arrived = s.env._now
        leaves_at = self._leaves_at
        leaves_at[i] = math.inf
        if self.direct and self.cubicles.free_now():
            # _in_cubicle for a cubicle free now, without a hold where the patient goes home
            seen = self.clinicians.book(arrived, self.clinician_days)
            decided = seen + math.exp(self.treat_mu + self.treat_sigma * row[C_AE])
            if s.setting[i] == DEAD:
                leaves_at[i] = -1.0
                return
            if row[C_ADMIT] < self.p_admit[s.band_of[i]]:
                s.env.call_in(decided - arrived, self._decided, i, row, arrived, self.cubicles.occupy(), arrived)
                return
            self.cubicles.book_until(decided)
            leaves_at[i] = decided
            self._left(i, arrived, decided)
            return
        cubicle = self.cubicles.take()
        if cubicle is not None:
            self._in_cubicle(i, row, arrived, cubicle)
        else:
            self.cubicles.request().callbacks.append(lambda req: self._in_cubicle(i, row, arrived, req))

    def _in_cubicle(self, i: int, row: list[float], arrived: float, cubicle) -> None:
        s = self.sys
        now = s.env._now
        if self.fed:
            self.cubicles.in_use()  # the rest's cubicles played to now: their clinician bookings come first
        seen = self.clinicians.book(now, self.clinician_days)
        decided = seen + math.exp(self.treat_mu + self.treat_sigma * row[C_AE])
        if s.setting[i] == DEAD:
            self.cubicles.give_back(cubicle)
            self._leaves_at[i] = -1.0
            return
        if row[C_ADMIT] < self.p_admit[s.band_of[i]]:
            self._leaves_at[i] = math.inf
            s.env.call_in(decided - now, self._decided, i, row, arrived, cubicle, now)
            return
        self.cubicles.hold_until(cubicle, decided)
        self._leaves_at[i] = decided
        self._left(i, arrived, decided)

    def _decided(self, i: int, row: list[float], arrived: float, cubicle, in_cubicle: float) -> None:
        """The decision to admit: a bed now, or a wait for one on a trolley in the cubicle."""
        s = self.sys
        now = s.env._now
        if s.setting[i] in (DEAD, HOSPITAL):
            self.cubicles.give_back(cubicle)
            self._leaves_at[i] = -1.0
            if s.setting[i] == HOSPITAL:
                self._left(i, arrived, now)
            return
        self.on_trolley[i] = (cubicle, now, now - in_cubicle)
        self._mirror()
        self.hospital.admission(i, row, on_bed=lambda: self._to_ward(i, arrived))

    def _mirror(self) -> None:
        """At a sample, the rest's patients on trolleys: as many for each of the sample's."""
        if self.cubicles.ratio > 0:
            self.cubicles.mirror(round(self.cubicles.ratio * len(self.on_trolley)))

    def _to_ward(self, i: int, arrived: float) -> None:
        s = self.sys
        now = s.env._now
        cubicle, decided, treated = self.on_trolley.pop(i)
        self.cubicles.give_back(cubicle, treated)  # the rest's trolley waits are mirrored, not drawn
        self._mirror()
        self._leaves_at[i] = -1.0
        wait_hours = (now - decided) * HOURS_PER_DAY
        if wait_hours > 0:
            s.count("trolley_wait_hours", i, wait_hours)
        if wait_hours > self.standard_days * HOURS_PER_DAY:
            s.count("trolley_waits_over_4h", i)
        if wait_hours > TROLLEY_LONG_HOURS:
            s.count("trolley_waits_over_12h", i)
        self._left(i, arrived, now)

    def died_on_trolley(self, i: int) -> None:
        """Death in the department while waiting for a bed: the cubicle is given back."""
        held = self.on_trolley.pop(i, None)
        if held is not None:
            cubicle, decided, treated = held
            self.cubicles.give_back(cubicle, treated)
            self._mirror()
            self.sys.count("trolley_wait_hours", i, (self.sys.env._now - decided) * HOURS_PER_DAY)
        self._leaves_at[i] = -1.0

    def _left(self, i: int, arrived: float, left: float) -> None:
        days = left - arrived
        hours = days * HOURS_PER_DAY
        self._department_hours[i] += hours
        if days <= self.standard_days:
            self._within_4h[i] += 1.0
        self.times.append(hours)

    # ----- minors and the year's figures ------------------------------------------------------------
    def end_year(self, minor_attendances: int, year_start: float, rng: np.random.Generator) -> None:
        """Play the year's minor attendances (the whole population's) through the minors stream,
        and record the department's whole-system figures for the year."""
        s = self.sys
        ed = s.model.emergency_department
        n = minor_attendances
        arrive = np.sort(year_start + rng.random(n) * DAYS_PER_YEAR)
        sigma = ed.minors_treatment_sigma.value
        mu = _log_mean(ed.minors_treatment_hours.value / HOURS_PER_DAY, sigma)
        treat = np.exp(mu + sigma * rng.standard_normal(n))
        minors = (
            department_times(
                arrive,
                treat,
                ed.minors_clinician_minutes.value / MINUTES_PER_DAY,
                int(ed.minors_cubicles.value),
                max(1, round(ed.minors_clinician_hours.value / HOURS_PER_YEAR)),
            )
            * HOURS_PER_DAY
        )
        majors = np.asarray(self.times)
        standard = ed.standard_hours.value
        s.tally.add(-1, "ae_minor_attendances_timed", float(n))
        s.tally.add(-1, "ae_minor_within_4h", float(np.count_nonzero(minors <= standard)))
        s.tally.add(-1, "ae_minor_department_hours", float(minors.sum()))
        # the 95th centile of all attendances: a sampled majors patient stands for 1 / scale
        times = np.concatenate([majors, minors])
        weights = np.concatenate([np.full(majors.size, s.inv_scale), np.ones(minors.size)])
        if times.size:
            order = np.argsort(times)
            cum = np.cumsum(weights[order])
            s.tally.add(-1, "ae_p95_hours", float(times[order][np.searchsorted(cum, 0.95 * cum[-1])]))
        self.times = []


def department_times(arrive: np.ndarray, treat: np.ndarray, clinician_days: float, cubicles: int, clinicians: int):
    """Time in department of attendances arriving in order, first come first served: each waits
    for a cubicle, then in it for the first free clinician, and leaves when treated
    (Kiefer-Wolfowitz recursions, as every length is known on arrival)."""
    cub = [0.0] * cubicles
    clin = [0.0] * clinicians
    out = np.empty(arrive.size)
    replace = heapq.heapreplace
    for k, (t, d) in enumerate(zip(arrive.tolist(), treat.tolist(), strict=True)):
        start = max(t, cub[0])
        seen = max(start, clin[0])
        replace(clin, seen + clinician_days)
        leave = seen + d
        replace(cub, leave)
        out[k] = leave - t
    return out
