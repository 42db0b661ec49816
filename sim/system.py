"""The residents' state in one replication, and the one protocol by which a resident moves.

Every change of a resident's setting goes through a method here (``enter_hospital``,
``leave_hospital``, ``enter_virtual_ward``, ``enter_care_home``, ``die``...), so that what accrues
(bed days, care-home days, hours of home care, community days) starts and stops in one place. What
a move implies for a care setting (a reablement place given back, a care home place or a package
released at death) is that setting's own business: it registers a hook here and the move calls it.
This module knows no care setting, so the settings can depend on it and not the other way round.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import simpy

from models.schema import CareModel
from models.vocabulary import DAYS_PER_WEEK, HOURS_PER_DAY
from sim.events import EventLog
from sim.interventions import Interventions
from sim.ledger import Accrual, Ledger, scalar_array
from sim.population import (
    CARE_HOME,
    DEAD,
    HOME,
    HOSPITAL,
    INTERMEDIATE_CARE,
    NOT_ARRIVED,
    NURSING,
    REABLEMENT,
    RESIDENTIAL,
    SETTING_NAMES,
    VIRTUAL_WARD,
    Population,
    age_band,
)
from sim.sample_load import SampleLoad
from sim.streams import Streams
from sim.tally import SystemTally

# Where a resident can die: a living setting, or A&E while in it (CrisisPathway.place)
DEATH_PLACES = (*SETTING_NAMES[:DEAD], "emergency_department")

WAITS = (
    "assessment_wait_days",
    "package_wait_days",
    "placement_wait_days",
    "reablement_wait_days",
    "bed_wait_hours",
)


class System:
    """Everything a replication's processes read, and the moves they make."""

    def __init__(
        self,
        env: simpy.Environment,
        model: CareModel,
        pop: Population,
        scale: float,
        log: EventLog,
        interventions: Interventions,
        load: SampleLoad | None = None,
    ):
        self.env = env
        self.load = load or SampleLoad(env, scale, Streams(0, 0).__getitem__)  # builds capacities
        self.model = model
        self.pop = pop
        # one resident's setting as a Python int, through memory shared with pop.setting (ledger.py)
        self.setting, shared = scalar_array(pop.size, "b", 0)
        shared[:] = pop.setting
        pop.setting = shared
        self.scale = scale
        self.inv_scale = 1.0 / scale
        self.log = log
        self.interventions = interventions
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
        self.waiting = {name: Accrual(self.ledger, name) for name in WAITS}
        self._wait_rate = {name: HOURS_PER_DAY if name.endswith("_hours") else 1.0 for name in WAITS}
        self._counts = self.ledger.scalar
        self.accruals = [self.alive_acc, self.ic, *self.waiting.values(), self.community, self.bed]
        self.accruals += [self.excess, self.vw, self.sc, *self.care_home.values()]
        here = pop.setting == HOME  # rows waiting as newcomers start later
        for acc in (self.alive_acc, self.community):
            acc.since[here] = 0.0
            acc.rate[here] = 1.0
        self.fall_share = list(model.crisis.fall_share.value)
        # crises are drawn at the highest rate any setting has and thinned to the setting's own
        ch = model.crisis.care_home_multiplier.value
        self.crisis_max_factor = max(1.0, ch)
        self.crisis_keep_home = 1.0 / self.crisis_max_factor
        self.crisis_keep_care_home = ch / self.crisis_max_factor
        self.group = np.zeros(pop.size, dtype=np.int64)  # borough x stratum at the year start
        self.pending: dict[int, list] = {}  # queued requests for packages and places, by resident
        self._on_leave: list[Callable[[int, int], None]] = []
        self._on_death: list[Callable[[int], None]] = []
        self.dying: dict[int, float] = {}  # residents in a terminal decline, and when they die
        self.needs_place: set[int] = set()  # need 24-hour care and have no care home place yet
        self.rows_in_use = int(np.count_nonzero(pop.setting != NOT_ARRIVED))  # rows ever held, from 0
        self.band = np.zeros(pop.size, dtype=np.int8)
        self.update_bands()

    # ----- hooks --------------------------------------------------------------------------------
    def on_leave(self, hook: Callable[[int, int], None]) -> None:
        """Call hook(i, setting left) whenever a resident is moved out of a setting by a move
        that is not the setting's own (readmission, a care home place, death)."""
        self._on_leave.append(hook)

    def on_death(self, hook: Callable[[int], None]) -> None:
        """Call hook(i) once a resident's death is recorded, in the order registered."""
        self._on_death.append(hook)

    def _left(self, i: int) -> None:
        old = self.setting[i]
        for hook in self._on_leave:
            hook(i, old)

    # ----- state --------------------------------------------------------------------------------
    def update_bands(self) -> None:
        self.band = age_band(self.pop.age, np.asarray(self.model.population.age_band_lower.value)).astype(np.int8)
        # one resident's band, as a Python int, read in place (a list of the whole population's
        # would add a read of memory far apart to each)
        self.band_of = memoryview(self.band)

    def wait_start(self, measure: str, i: int) -> None:
        self.waiting[measure].start(i, self.env._now, self._wait_rate[measure])

    def wait_end(self, measure: str, i: int) -> None:
        self.waiting[measure].stop(i, self.env._now)

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
        self._counts[measure][i] += amount

    def start_package(self, i: int, hours: int) -> None:
        """Hours of home care a week begin to accrue (they pause while away from home)."""
        self.sc.start(i, self.env._now, hours / DAYS_PER_WEEK)

    def at_home(self, i: int) -> bool:
        return self.setting[i] in (HOME, REABLEMENT)

    def is_dead(self, i: int) -> bool:
        return self.setting[i] == DEAD

    # ----- moves between settings -----------------------------------------------------------------
    def enter_hospital(self, i: int) -> None:
        t = self.env._now
        pop = self.pop
        if self.setting[i] == CARE_HOME:
            self.care_home[int(pop.placement[i])].stop(i, t)
        else:
            self.community.stop(i, t)
        self.sc.stop(i, t)
        self._left(i)
        self.setting[i] = HOSPITAL

    def leave_hospital(self, i: int, to_reablement: bool = False) -> None:
        t = self.env._now
        pop = self.pop
        if pop.placement[i]:
            self.setting[i] = CARE_HOME
            self.care_home[int(pop.placement[i])].start(i, t)
            return
        self.setting[i] = REABLEMENT if to_reablement else HOME
        self.community.start(i, t)
        if pop.package_hours[i] > 0:
            self.start_package(i, int(pop.package_hours[i]))

    def finish_reablement(self, i: int) -> None:
        """A reablement episode ends at home; community care and any package carry on."""
        self.setting[i] = HOME

    def enter_virtual_ward(self, i: int) -> None:
        """Hospital-level care at home: the resident stays home, so routine care goes on."""
        self.setting[i] = VIRTUAL_WARD
        self.vw.start(i, self.env._now)

    def leave_virtual_ward(self, i: int) -> None:
        self.vw.stop(i, self.env._now)
        self.setting[i] = HOME

    def enter_intermediate_care(self, i: int) -> None:
        """Step-up to a community bed: like a hospital stay for what accrues."""
        t = self.env._now
        self.community.stop(i, t)
        self.sc.stop(i, t)
        self.setting[i] = INTERMEDIATE_CARE
        self.ic.start(i, t)

    def leave_intermediate_care(self, i: int) -> None:
        t = self.env._now
        self.ic.stop(i, t)
        if self.setting[i] != INTERMEDIATE_CARE:
            return
        self.setting[i] = HOME
        self.community.start(i, t)
        if self.pop.package_hours[i] > 0:
            self.start_package(i, int(self.pop.package_hours[i]))

    def enter_care_home(self, i: int) -> None:
        """A resident at home moves into the care home place they now hold."""
        t = self.env._now
        pop = self.pop
        for acc in (self.community, self.vw, self.ic):
            acc.stop(i, t)
        self._left(i)
        self.setting[i] = CARE_HOME
        self.care_home[int(pop.placement[i])].start(i, t)

    def die(self, i: int, where: str) -> None:
        self._gone(i)
        self.pop.death_time[i] = self.env._now
        self.count("deaths", i)
        self.tally.add(int(self.pop.borough[i]), f"deaths_{where}", self.inv_scale)  # (DEATH_PLACES)
        self.log.add(i, "death", where)
        for hook in self._on_death:
            hook(i)

    def every_place_of_death(self, boroughs: int) -> None:
        """A row for each place and borough, zero where nobody died there this year, so that a
        mean over replications counts the years with none."""
        for b in range(boroughs):
            for place in DEATH_PLACES:
                self.tally.add(b, f"deaths_{place}", 0.0)

    def move_out_many(self, rows: np.ndarray) -> None:
        """Moves out at a year start: those at home with nothing running or awaited leave at once
        (all their accruals stop together); the rest one by one, through the hooks."""
        pop = self.pop
        plain = (pop.setting[rows] == HOME) & (pop.package_hours[rows] == 0) & (pop.referred[rows] == 0)
        plain &= pop.placement[rows] == 0
        plain &= np.fromiter((i not in self.pending for i in rows.tolist()), dtype=bool, count=rows.size)
        for i in rows[~plain].tolist():
            self.move_out(i)
        quick = rows[plain]
        t = self.env._now
        for acc in self.accruals:
            acc.stop_many(quick, t)
        pop.setting[quick] = DEAD
        pop.moved_time[quick] = t
        if self.log.enabled:
            for i in quick.tolist():
                self.log.add(i, "move_out", SETTING_NAMES[HOME])

    def arrive_many(self, rows: np.ndarray) -> None:
        """Newcomers (births and moves in) take their rows, at home."""
        t = self.env._now
        self.pop.setting[rows] = HOME
        for acc in (self.alive_acc, self.community):
            acc.start_many(rows, t)
        if self.log.enabled:
            for i in rows.tolist():
                self.log.add(i, "arrival", "home")

    def move_out(self, i: int) -> None:
        """Moved out of the tri-borough: gone from its services as at a death (the same hooks give
        back what they held), but not a death."""
        where = SETTING_NAMES[self.setting[i]]
        self._gone(i)
        self.pop.moved_time[i] = self.env._now
        self.log.add(i, "move_out", where)
        for hook in self._on_death:
            hook(i)

    def _gone(self, i: int) -> None:
        t = self.env._now
        pop = self.pop
        for acc in self.accruals:
            acc.stop(i, t)
        self._left(i)
        for request in self.pending.pop(i, ()):
            if not request.triggered:
                request.cancel()  # leave the queue: the gone wait for nothing
        self.setting[i] = DEAD
        pop.referred[i] = 0
