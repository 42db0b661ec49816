"""The state one replication shares: residents, their tallies, and the moves between settings.

Every change of a resident's setting goes through ``enter_hospital``, ``leave_hospital``,
``enter_care_home`` or ``die`` so that accruals (bed days, care-home days, hours of home care,
community days) start and stop in exactly one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import simpy

from models.schema import CareModel
from sim.events import EventLog
from sim.ledger import Accrual, Ledger
from sim.population import (
    CARE_HOME,
    DEAD,
    HOME,
    HOSPITAL,
    INTERMEDIATE_CARE,
    NURSING,
    REABLEMENT,
    RESIDENTIAL,
    Population,
    age_band,
)
from sim.workforce import SystemTally

if TYPE_CHECKING:
    from sim.community_services import IntermediateCare, Reablement, VirtualWard
    from sim.hospital import Hospital
    from sim.interventions import Interventions
    from sim.social_care import CareHomes, HomeCare, SocialWork
    from sim.urgent_care import AccessPoint, EmergencyDepartment, RapidResponse

# Columns of the uniform draws that travel with each event (one row per event).
C_ACCEPT, C_ROUTE, C_TRIAGE, C_RR, C_ADMIT, C_LOS, C_DIE, C_DEST = range(8)
C_NURSING, C_VW_STAY, C_ESCALATE, C_REABLE, C_HOURS, C_FALL, C_DIVERT, C_EOL = range(8, 16)
DRAW_COLUMNS = 16
NORMAL_COLUMNS = (C_LOS,)  # these columns hold standard normals, not uniforms

DAY_HOURS = 24.0


class System:
    """Everything a replication's processes read and change."""

    hospital: Hospital
    access_point: AccessPoint
    rapid_response: RapidResponse
    emergency: EmergencyDepartment
    virtual_ward: VirtualWard
    intermediate_care: IntermediateCare
    interventions: Interventions
    reablement: Reablement
    social_work: SocialWork
    home_care: HomeCare
    care_homes: CareHomes

    def __init__(self, env: simpy.Environment, model: CareModel, pop: Population, scale: float, log: EventLog):
        self.env = env
        self.model = model
        self.pop = pop
        self.scale = scale
        self.inv_scale = 1.0 / scale
        self.log = log
        self.ledger = Ledger(pop.size)
        self.tally = SystemTally()
        self.alive_acc = Accrual(self.ledger, "person_days")
        self.community = Accrual(self.ledger, "community_days")
        self.bed = Accrual(self.ledger, "bed_days")
        self.excess = Accrual(self.ledger, "excess_bed_days")
        self.vw = Accrual(self.ledger, "vw_days")
        self.ic = Accrual(self.ledger, "ic_days")
        self.care_home = {
            RESIDENTIAL: Accrual(self.ledger, "care_home_days_residential"),
            NURSING: Accrual(self.ledger, "care_home_days_nursing"),
        }
        self.sc = Accrual(self.ledger, "sc_hours")
        # time spent waiting, credited to the year it is spent in (also for those still waiting)
        self.waiting = {
            name: Accrual(self.ledger, name)
            for name in (
                "assessment_wait_days",
                "package_wait_days",
                "placement_wait_days",
                "reablement_wait_days",
                "bed_wait_hours",
            )
        }
        self.accruals = [
            self.alive_acc,
            self.ic,
            *self.waiting.values(),
            self.community,
            self.bed,
            self.excess,
            self.vw,
            self.sc,
            *self.care_home.values(),
        ]
        here = pop.setting == HOME  # rows waiting as newcomers start later
        for acc in (self.alive_acc, self.community):
            acc.since[here] = 0.0
            acc.rate[here] = 1.0
        self.band = np.zeros(pop.size, dtype=np.int8)
        self.fall_share = list(model.crisis.fall_share.value)
        # crises are drawn at the highest rate any setting has and thinned to the setting's own
        ch = model.crisis.care_home_multiplier.value
        self.crisis_max_factor = max(1.0, ch)
        self.crisis_keep_home = 1.0 / self.crisis_max_factor
        self.crisis_keep_care_home = ch / self.crisis_max_factor
        self.group = np.zeros(pop.size, dtype=np.int64)  # borough x stratum at the year start
        self.pending: dict[int, list] = {}  # queued requests for packages and places, by resident
        self.update_bands()

    def update_bands(self) -> None:
        self.band = age_band(self.pop.age, np.asarray(self.model.population.age_band_lower.value)).astype(np.int8)

    def wait_start(self, measure: str, i: int) -> None:
        self.waiting[measure].start(i, self.env.now, DAY_HOURS if measure.endswith("_hours") else 1.0)

    def wait_end(self, measure: str, i: int) -> None:
        self.waiting[measure].stop(i, self.env.now)

    def queue(self, i: int, request):
        """Note a queued request so that it is withdrawn if the resident dies waiting."""
        self.pending.setdefault(i, []).append(request)
        return request

    def dequeue(self, i: int, request) -> None:
        waiting = self.pending.get(i)
        if waiting is not None:
            waiting.remove(request)
            if not waiting:
                del self.pending[i]

    def count(self, measure: str, i: int, amount: float = 1.0) -> None:
        self.ledger.m[measure][i] += amount

    # ----- moves between settings -------------------------------------------------------------
    def enter_hospital(self, i: int) -> None:
        t = self.env.now
        pop = self.pop
        if pop.setting[i] == CARE_HOME:
            self.care_home[int(pop.placement[i])].stop(i, t)
        else:
            self.community.stop(i, t)
        self.sc.stop(i, t)
        if pop.setting[i] == REABLEMENT:
            self.reablement.end_early(i)
        pop.setting[i] = HOSPITAL

    def leave_hospital(self, i: int, to_reablement: bool = False) -> None:
        t = self.env.now
        pop = self.pop
        if pop.placement[i]:
            pop.setting[i] = CARE_HOME
            self.care_home[int(pop.placement[i])].start(i, t)
            return
        pop.setting[i] = REABLEMENT if to_reablement else HOME
        self.community.start(i, t)
        if pop.package_hours[i] > 0:
            self.sc.start(i, t, pop.package_hours[i] / 7.0)

    def enter_intermediate_care(self, i: int) -> None:
        """Step-up to a community bed: like a hospital stay for what accrues."""
        t = self.env.now
        self.community.stop(i, t)
        self.sc.stop(i, t)
        self.pop.setting[i] = INTERMEDIATE_CARE
        self.ic.start(i, t)

    def leave_intermediate_care(self, i: int) -> None:
        t = self.env.now
        self.ic.stop(i, t)
        if self.pop.setting[i] != INTERMEDIATE_CARE:
            return
        self.pop.setting[i] = HOME
        self.community.start(i, t)
        if self.pop.package_hours[i] > 0:
            self.sc.start(i, t, self.pop.package_hours[i] / 7.0)

    def enter_care_home(self, i: int) -> None:
        """A resident at home moves into the care home place they now hold."""
        t = self.env.now
        pop = self.pop
        for acc in (self.community, self.vw, self.ic):
            acc.stop(i, t)
        if pop.setting[i] == REABLEMENT:
            self.reablement.end_early(i)
        pop.setting[i] = CARE_HOME
        self.care_home[int(pop.placement[i])].start(i, t)

    def die(self, i: int, where: str) -> None:
        t = self.env.now
        pop = self.pop
        for acc in self.accruals:
            acc.stop(i, t)
        if pop.setting[i] == REABLEMENT:
            self.reablement.end_early(i)
        for request in self.pending.pop(i, ()):
            if not request.triggered:
                request.cancel()  # leave the queue: the dead wait for nothing
        pop.setting[i] = DEAD
        pop.death_time[i] = t
        pop.referred[i] = 0
        self.count("deaths", i)
        self.log.add(i, t, "death", where)
        if pop.placement[i]:
            self.care_homes.release(i)
        if pop.package_hours[i] > 0:
            self.home_care.end(i)

    def at_home(self, i: int) -> bool:
        s = self.pop.setting[i]
        return s in (HOME, REABLEMENT)

    def is_dead(self, i: int) -> bool:
        return self.pop.setting[i] == DEAD
