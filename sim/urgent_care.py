"""The urgent care front door: a crisis, the common access point (111 and triage), rapid response
against the two-hour standard, and A&E with the decision to admit. Interventions act here by
thinning crises, diverting them to community settings, or supporting a death at home.
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np

from sim.capacity import Places
from sim.population import CARE_HOME, DEAD, HOME, HOSPITAL, INTERMEDIATE_CARE, REABLEMENT, VIRTUAL_WARD
from sim.system import (
    C_ACCEPT,
    C_ADMIT,
    C_DIE,
    C_DIVERT,
    C_EOL,
    C_FALL,
    C_LOS,
    C_ROUTE,
    C_RR,
    C_TRIAGE,
    DAY_HOURS,
    System,
)
from sim.workforce import Pool

# How a rapid-response episode ended.
MANAGED_AT_HOME, TO_VIRTUAL_WARD, TO_AE = range(3)


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
        lines = ap.triage_lines.value
        self.lines = max(1, round(lines * system.scale)) if lines > 0 else 0
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
        self.pools = [Pool(system.env, fte, role.productive_hours.value, system.scale) for fte in role.fte.value]
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

    def has_free_nurse(self, i: int) -> bool:
        """A nurse could set off now: how a diverted crisis respects the service's capacity."""
        if not self.can_attend(i):
            return False
        pool = self.pools[self.sys.pop.borough[i]]
        return pool.resource.count < pool.capacity

    def episode(self, i: int, row: list[float], t_call: float) -> Generator:
        """Attend, then manage at home, step up to the virtual ward, or convey to A&E."""
        s = self.sys
        env = s.env
        pool = self.pools[s.pop.borough[i]]
        with pool.resource.request() as req:
            yield req
            if s.is_dead(i):
                return MANAGED_AT_HOME
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
        if setting in (DEAD, HOSPITAL, VIRTUAL_WARD, INTERMEDIATE_CARE):
            return MANAGED_AT_HOME
        u = row[C_RR]
        if u < self.p_home:
            return MANAGED_AT_HOME
        if u < self.p_home + self.p_vw and setting == HOME and s.virtual_ward.has_place(i):
            escalated = yield from s.virtual_ward.stay(i, row)
            return TO_AE if escalated else TO_VIRTUAL_WARD
        s.emergency.attend(i, row)
        return TO_AE


def would_be(s: System, i: int, row: list[float]) -> tuple[bool, bool, float]:
    """Where this crisis would have gone with no intervention and room everywhere:
    (reaches A&E, admitted, length of stay)."""
    ap = s.access_point
    if ap.resource is not None and row[C_ROUTE] < ap.share:
        u = row[C_TRIAGE]
        if u < ap.p_advice:
            return False, False, 0.0
        rr = s.rapid_response
        if u < ap.p_advice + ap.p_rr and rr.can_attend(i) and row[C_RR] < rr.p_home + rr.p_vw:
            return False, False, 0.0
    if row[C_ADMIT] < s.emergency.p_admit[s.band[i]]:
        return True, True, s.hospital.length_of_stay(i, row[C_LOS], with_interventions=False)
    return True, False, 0.0


def _avoided(s: System, i: int, row: list[float], extra: dict[str, float]) -> dict[str, float]:
    ae, admitted, los = would_be(s, i, row)
    out = dict(extra)
    if ae:
        out["avoided_ae_attendances"] = 1.0
    if admitted:
        out["avoided_nel_admissions"] = 1.0
        out["avoided_bed_days"] = los
    return out


def crisis(system: System, i: int, row: list[float]) -> None:
    """A resident's health crisis, at the moment it happens."""
    s = system
    setting = s.pop.setting[i]
    if setting in (DEAD, HOSPITAL, VIRTUAL_WARD, INTERMEDIATE_CARE):
        return
    base_keep = s.crisis_keep_care_home if setting == CARE_HOME else s.crisis_keep_home
    if row[C_ACCEPT] >= base_keep:
        return  # not a crisis at this setting's own rate
    iv = s.interventions
    is_fall = row[C_FALL] < s.fall_share[s.band[i]]
    if iv.any:
        keep = base_keep * iv.mult["crisis"][i] * (iv.mult["fall"][i] if is_fall else 1.0)
        if row[C_ACCEPT] >= keep:
            targets = ("crisis", "fall") if is_fall else ("crisis",)
            iv.share_avoided(i, s.group[i], targets, _avoided(s, i, row, {"avoided_crises": 1.0}))
            return
    s.count("crises", i)
    s.log.add(i, s.env.now, "crisis", "home" if setting != CARE_HOME else "care_home")
    if iv.any:
        if iv.end_of_life[i] > 0 and row[C_EOL] < iv.end_of_life[i] and _dies_if_admitted(s, i, row):
            s.env.process(_death_at_home(s, i, row))
            return
        if setting != CARE_HOME and _divert(s, i, row):
            return
    ap = s.access_point
    if ap.resource is not None and row[C_ROUTE] < ap.share:
        s.env.process(ap.call(i, row))
    else:
        s.emergency.attend(i, row)


def _dies_if_admitted(s: System, i: int, row: list[float]) -> bool:
    _, admitted, _ = would_be(s, i, row)
    return admitted and row[C_DIE] < s.hospital.p_die[s.band[i]]


def _death_at_home(s: System, i: int, row: list[float]) -> Generator:
    """End-of-life care at home: the death that would have come in hospital comes at home."""
    k = s.interventions.first_enrolled("end_of_life", "home", i)
    amounts = _avoided(s, i, row, {"deaths_at_home_supported": 1.0})
    s.interventions.credit(k, s.group[i], amounts)
    yield s.env.timeout(amounts.get("avoided_bed_days", 0.0))
    if s.pop.setting[i] in (HOME, REABLEMENT):
        s.die(i, "home")


def _divert(s: System, i: int, row: list[float]) -> bool:
    """Send the crisis to a community setting if an intervention says so and it has room."""
    iv = s.interventions
    u = row[C_DIVERT]
    edge = 0.0
    for target in ("rapid_response", "virtual_ward", "intermediate_care"):
        p = iv.divert[target][i]
        if p <= 0:
            continue
        if edge <= u < edge + p:
            has_room = {
                "rapid_response": lambda: s.rapid_response.has_free_nurse(i),
                "virtual_ward": lambda: s.pop.setting[i] == HOME and s.virtual_ward.has_place(i),
                "intermediate_care": lambda: s.pop.setting[i] == HOME and s.intermediate_care.has_place(i),
            }[target]()
            if not has_room:
                return False
            k = iv.first_enrolled("divert", target, i)
            iv.credit(k, s.group[i], {"diverted_crises": 1.0})
            s.env.process(_diverted(s, i, row, target, k))
            return True
        edge += p
    return False


def _diverted(s: System, i: int, row: list[float], target: str, k: int) -> Generator:
    if target == "rapid_response":
        outcome = yield from s.rapid_response.episode(i, row, s.env.now)
        reached_ae = outcome == TO_AE
    elif target == "virtual_ward":
        reached_ae = yield from s.virtual_ward.stay(i, row)
    else:
        reached_ae = yield from s.intermediate_care.stay(i, row)
    if not reached_ae:
        s.interventions.credit(k, s.group[i], _avoided(s, i, row, {}))
