"""The urgent care front door: a crisis, the common access point (111 and triage), rapid response
against the two-hour standard, and A&E with the decision to admit.
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np

from sim.capacity import Places
from sim.population import CARE_HOME, DEAD, HOME, HOSPITAL, REABLEMENT, VIRTUAL_WARD
from sim.system import C_ACCEPT, C_ADMIT, C_ROUTE, C_RR, C_TRIAGE, DAY_HOURS, System
from sim.workforce import Pool


class EmergencyDepartment:
    """A&E: every crisis that reaches it is an attendance; some are admitted."""

    def __init__(self, system: System):
        self.sys = system
        self.p_admit = np.asarray(system.model.hospital.p_admit.value).tolist()

    def attend(self, i: int, row: list[float]) -> None:
        s = self.sys
        s.count("ae_attendances", i)
        s.log.add(i, s.env.now, "ae_attendance", "emergency_department")
        if row[C_ADMIT] < self.p_admit[s.band[i]]:
            s.env.process(s.hospital.admission(i, row))


class AccessPoint:
    """111 and clinical triage: calls wait for a triage line, then go to advice, RR or A&E."""

    def __init__(self, system: System):
        self.sys = system
        ap = system.model.access_point
        self.lines = max(1, round(ap.triage_lines.value * system.scale)) if ap.triage_lines.value > 0 else 0
        self.resource = Places(system.env, capacity=self.lines) if self.lines else None
        self.share = ap.share_of_crises.value
        self.triage_days = ap.triage_minutes.value / (60 * DAY_HOURS)
        self.p_advice = ap.p_advice.value
        self.p_rr = ap.p_rapid_response.value

    def call(self, i: int, row: list[float]) -> Generator:
        s = self.sys
        t_call = s.env.now
        s.count("access_point_calls", i)
        s.log.add(i, t_call, "access_point_call", "access_point")
        with self.resource.request() as req:
            yield req
            yield s.env.timeout(self.triage_days)
        if s.pop.setting[i] not in (HOME, REABLEMENT, CARE_HOME):
            return
        u = row[C_TRIAGE]
        if u < self.p_advice:
            return
        if u < self.p_advice + self.p_rr and s.rapid_response.can_attend(i):
            yield from s.rapid_response.episode(i, row, t_call)
        else:
            s.emergency.attend(i, row)


class RapidResponse:
    """Rapid-response nurses by borough: response time is queue plus travel, against the target."""

    def __init__(self, system: System):
        self.sys = system
        m = system.model
        role = m.workforce["rapid_response_nurse"]
        self.pools = [
            Pool(system.env, fte, role.productive_hours.value, system.scale) for fte in role.fte.value
        ]
        rr = m.rapid_response
        self.min_age = rr.min_age.value
        self.travel_days = rr.travel_minutes.value / (60 * DAY_HOURS)
        self.visit_days = rr.visit_hours.value / DAY_HOURS
        self.target_days = rr.target_hours.value / DAY_HOURS
        self.p_home = rr.p_home.value
        self.p_vw = rr.p_virtual_ward.value

    def can_attend(self, i: int) -> bool:
        s = self.sys
        return self.pools[s.pop.borough[i]].available and s.pop.age[i] >= self.min_age

    def episode(self, i: int, row: list[float], t_call: float) -> Generator:
        s = self.sys
        env = s.env
        pool = self.pools[s.pop.borough[i]]
        with pool.resource.request() as req:
            yield req
            yield env.timeout(self.travel_days)
            response = env.now - t_call
            s.count("rr_episodes", i)
            s.count("rr_response_hours", i, response * DAY_HOURS)
            if response <= self.target_days:
                s.count("rr_within_2h", i)
            s.log.add(i, env.now, "rr_arrival", "rapid_response")
            # the nurse is busy for the episode's hours stretched by the pool's time factor
            busy = (self.travel_days + self.visit_days) * pool.time_factor
            yield env.timeout(busy - self.travel_days)
        pool.busy_hours += (self.travel_days + self.visit_days) * DAY_HOURS
        setting = s.pop.setting[i]
        if setting in (DEAD, HOSPITAL, VIRTUAL_WARD):
            return
        u = row[C_RR]
        if u < self.p_home:
            return
        if u < self.p_home + self.p_vw and setting == HOME and s.virtual_ward.has_place(i):
            yield from s.virtual_ward.stay(i, row)
        else:
            s.emergency.attend(i, row)


def crisis(system: System, i: int, row: list[float]) -> None:
    """A resident's health crisis, at the moment it happens."""
    s = system
    setting = s.pop.setting[i]
    if setting in (DEAD, HOSPITAL, VIRTUAL_WARD):
        return
    if row[C_ACCEPT] >= s.crisis_multiplier[i]:
        return  # thinned: a crisis averted by a lower hazard
    s.count("crises", i)
    s.log.add(i, s.env.now, "crisis", "home" if setting != CARE_HOME else "care_home")
    ap = s.access_point
    if ap.resource is not None and row[C_ROUTE] < ap.share:
        s.env.process(ap.call(i, row))
    else:
        s.emergency.attend(i, row)
