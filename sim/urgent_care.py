"""The urgent care front door's services before A&E: the common access point (111 and triage)
and rapid response against the two-hour standard."""

from __future__ import annotations

from collections.abc import Callable

from models.vocabulary import HOURS_PER_DAY, MINUTES_PER_DAY
from sim.draws import C_RR, C_TRIAGE
from sim.emergency_department import EmergencyDepartment
from sim.population import CARE_HOME, DEAD, HOME, HOSPITAL, INTERMEDIATE_CARE, REABLEMENT, VIRTUAL_WARD
from sim.sample_load import Hold
from sim.step_up import VirtualWard
from sim.system import System
from sim.workforce import Pool

# How a rapid-response episode ended, told to whoever sent it.
MANAGED_AT_HOME, TO_VIRTUAL_WARD, TO_AE = range(3)
Outcome = Callable[[int], None]


class AccessPoint:
    """111 and clinical triage: calls wait for a triage line, then go to advice, RR or A&E."""

    def __init__(self, system: System, rapid_response: RapidResponse, emergency: EmergencyDepartment):
        self.sys = system
        self.rapid_response = rapid_response
        self.emergency = emergency
        ap = system.model.access_point
        self.share = ap.share_of_crises.value
        self.triage_days = ap.triage_minutes.value / MINUTES_PER_DAY
        self.resource = system.load.places(
            ap.triage_lines.value, "triage_lines", Hold(self.triage_days), follows_crises=True
        )
        self.p_advice = ap.p_advice.value
        self.p_rr = ap.p_rapid_response.value

    def call(self, i: int, row: list[float]) -> None:
        """A call takes a free line now or queues for one; triage then closes it with advice, sends
        rapid response, or refers to A&E. Only a rapid response gets a process of its own."""
        s = self.sys
        t_call = s.env._now
        s.count("access_point_calls", i)
        s.log.add(i, "access_point_call", "access_point")
        line = self.resource.take()
        if line is not None:
            self._on_line(i, row, t_call, line)
        else:
            self.resource.request().callbacks.append(lambda req: self._on_line(i, row, t_call, req))

    def _on_line(self, i: int, row: list[float], t_call: float, line) -> None:
        self.sys.env.call_in(self.triage_days, self._triaged, i, row, t_call, line)

    def _triaged(self, i: int, row: list[float], t_call: float, line) -> None:
        s = self.sys
        self.resource.give_back(line)
        if s.setting[i] not in (HOME, REABLEMENT, CARE_HOME):
            return
        u = row[C_TRIAGE]
        if u < self.p_advice:
            return
        if u < self.p_advice + self.p_rr and self.rapid_response.can_attend(i):
            self.rapid_response.episode(i, row, t_call)
        else:
            self.emergency.attend(i, row)


class RapidResponse:
    """Rapid-response nurses by borough: response time is queue plus travel, against the target."""

    def __init__(self, system: System, emergency: EmergencyDepartment, virtual_ward: VirtualWard):
        self.sys = system
        self.emergency = emergency
        self.virtual_ward = virtual_ward
        m = system.model
        role = m.workforce["rapid_response_nurse"]
        rr = m.rapid_response
        self.min_age = rr.min_age.value
        self.travel_days = rr.travel_minutes.value / MINUTES_PER_DAY
        self.visit_days = rr.visit_hours.value / HOURS_PER_DAY
        job = self.travel_days + self.visit_days
        hours = role.productive_hours.value
        self.pools = [
            Pool(system.load, fte, hours, f"rapid_response_nurse:{b}", job, role.rota, follows_crises=True)
            for b, fte in enumerate(role.fte.value)
        ]
        self.target_days = rr.target_hours.value / HOURS_PER_DAY
        self.p_home = rr.p_home.value
        self.p_home_if_admitted = rr.p_home_if_admitted.value
        self.p_vw = rr.p_virtual_ward.value

    def can_attend(self, i: int) -> bool:
        s = self.sys
        return self.pools[s.pop.borough[i]].available and s.pop.age[i] >= self.min_age

    def has_free_nurse(self, i: int) -> bool:
        """A nurse could set off now: how a diverted crisis respects the service's capacity."""
        if not self.can_attend(i):
            return False
        pool = self.pools[self.sys.pop.borough[i]]
        return pool.resource.has_free()

    def episode(
        self, i: int, row: list[float], t_call: float, done: Outcome | None = None, severe: bool = False
    ) -> None:
        """A nurse now or when one is free; travel, visit, then manage at home, step up to the
        virtual ward, or convey to A&E. ``done`` hears how the episode ended. ``severe``: a crisis
        an intervention diverted here that A&E would have admitted, kept home less often (and, on
        the virtual ward, admitted at the end more often)."""
        pool = self.pools[self.sys.pop.borough[i]]
        nurse = pool.resource.take()
        if nurse is not None:
            self._set_off(i, row, t_call, done, pool, nurse, severe)
        else:
            pool.resource.request().callbacks.append(lambda req: self._set_off(i, row, t_call, done, pool, req, severe))

    def _set_off(
        self, i: int, row: list[float], t_call: float, done: Outcome | None, pool: Pool, nurse, severe
    ) -> None:
        s = self.sys
        if s.is_dead(i):
            pool.resource.give_back(nurse)
            _tell(done, MANAGED_AT_HOME)
            return
        s.env.call_in(self.travel_days, self._arrive, i, row, t_call, done, pool, nurse, severe)

    def _arrive(self, i: int, row: list[float], t_call: float, done: Outcome | None, pool: Pool, nurse, severe) -> None:
        s = self.sys
        now = s.env._now
        response = now - t_call
        s.count("rr_episodes", i)
        s.count("rr_response_hours", i, response * HOURS_PER_DAY)
        if response <= self.target_days:
            s.count("rr_within_2h", i)
        s.log.add(i, "rr_arrival", "rapid_response")
        # the nurse is busy for the episode's hours stretched by the pool's time factor
        busy = (self.travel_days + self.visit_days) * pool.time_factor
        s.env.call_in(busy - self.travel_days, self._visited, i, row, done, pool, nurse, severe)

    def _visited(self, i: int, row: list[float], done: Outcome | None, pool: Pool, nurse, severe: bool) -> None:
        s = self.sys
        pool.resource.give_back(nurse)
        pool.busy_hours += (self.travel_days + self.visit_days) * HOURS_PER_DAY
        setting = s.setting[i]
        if setting in (DEAD, HOSPITAL, VIRTUAL_WARD, INTERMEDIATE_CARE):
            _tell(done, MANAGED_AT_HOME)
            return
        u = row[C_RR]
        p_home = self.p_home_if_admitted if severe else self.p_home
        if u < p_home:
            _tell(done, MANAGED_AT_HOME)
            return
        if u < p_home + self.p_vw and setting == HOME and self.virtual_ward.has_place(i):
            self.virtual_ward.stay(
                i, row, lambda escalated: _tell(done, TO_AE if escalated else TO_VIRTUAL_WARD), severe
            )
            return
        self.emergency.attend(i, row)
        _tell(done, TO_AE)


def _tell(done: Outcome | None, outcome: int) -> None:
    if done is not None:
        done(outcome)
