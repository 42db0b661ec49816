"""Care at home after or instead of hospital: the virtual ward (step-up) and reablement."""

from __future__ import annotations

import math
from collections.abc import Generator

import simpy

from sim.capacity import Places
from sim.population import DEAD, HOME, INTERMEDIATE_CARE, REABLEMENT, SETTING_NAMES, VIRTUAL_WARD
from sim.system import C_ESCALATE, C_REABLE, C_VW_STAY, System


def _places(system: System, per_borough: list[float]) -> list[simpy.Resource | None]:
    out: list[simpy.Resource | None] = []
    for v in per_borough:
        cap = max(1, round(v * system.scale)) if v > 0 else 0
        out.append(Places(system.env, capacity=cap) if cap else None)
    return out


class StepUp:
    """A crisis cared for in a community setting for a while, if a place is free now (no queue):
    the stay ends at home or, with some probability, in a hospital admission."""

    setting: int
    name: str  # event-log and measure prefix

    def __init__(self, system: System, spec):
        self.sys = system
        self.units = _places(system, spec.places.value)
        self.mean_stay = spec.mean_stay_days.value
        self.p_escalate = spec.p_escalate.value

    def has_place(self, i: int) -> bool:
        unit = self.units[self.sys.pop.borough[i]]
        return unit is not None and unit.count < unit.capacity

    def enter(self, i: int) -> None:
        raise NotImplementedError

    def leave(self, i: int) -> None:
        raise NotImplementedError

    def stay(self, i: int, row: list[float]) -> Generator:
        """Return True if the stay ended in a hospital admission."""
        s = self.sys
        env = s.env
        with self.units[s.pop.borough[i]].request() as req:
            yield req
            self.enter(i)
            s.count(f"{self.name}_admissions", i)
            s.log.add(i, env.now, f"{self.name}_admission", SETTING_NAMES[self.setting])
            yield env.timeout(-self.mean_stay * math.log1p(-row[C_VW_STAY]))
        if s.pop.setting[i] != self.setting:
            return False  # moved on meanwhile (a care home place came through, or death)
        self.leave(i)
        s.log.add(i, env.now, f"{self.name}_discharge", SETTING_NAMES[self.setting])
        if row[C_ESCALATE] < self.p_escalate:
            yield from s.hospital.admission(i, row)
            return True
        return False


class VirtualWard(StepUp):
    """Hospital-level care at home: the resident stays home, so routine care goes on."""

    setting = VIRTUAL_WARD
    name = "vw"

    def __init__(self, system: System):
        super().__init__(system, system.model.virtual_ward)
        self.wards = self.units

    def enter(self, i: int) -> None:
        self.sys.pop.setting[i] = VIRTUAL_WARD
        self.sys.vw.start(i, self.sys.env.now)

    def leave(self, i: int) -> None:
        self.sys.vw.stop(i, self.sys.env.now)
        self.sys.pop.setting[i] = HOME


class IntermediateCare(StepUp):
    """Step-up community beds: for what accrues, like a short hospital stay."""

    setting = INTERMEDIATE_CARE
    name = "ic"

    def __init__(self, system: System):
        super().__init__(system, system.model.intermediate_care)

    def enter(self, i: int) -> None:
        self.sys.enter_intermediate_care(i)

    def leave(self, i: int) -> None:
        self.sys.leave_intermediate_care(i)


class Reablement:
    """Short-term support at home after discharge; places are reserved from hospital.

    A place is held while the episode runs and given back early if the person is readmitted,
    moves into a care home or dies (``end_early``).
    """

    def __init__(self, system: System):
        self.sys = system
        rb = system.model.reablement
        self.teams = _places(system, rb.places.value)
        self.duration = rb.duration_days.value
        self.p_package = rb.p_package.value
        self.p_care_home = rb.p_care_home.value
        self.current: dict[int, simpy.resources.resource.Request] = {}

    def team_of(self, i: int) -> simpy.Resource:
        return self.teams[self.sys.pop.borough[i]]

    def reserve(self, i: int) -> Generator:
        """Wait (in hospital) for a reablement place; return the held request, or None."""
        s = self.sys
        team = self.team_of(i)
        if team is None:
            return None
        s.wait_start("reablement_wait_days", i)
        req = team.request()
        yield req
        s.wait_end("reablement_wait_days", i)
        return req

    def end_early(self, i: int) -> None:
        req = self.current.pop(i, None)
        if req is not None:
            self.team_of(i).release(req)
            self.sys.log.add(i, self.sys.env.now, "reablement_end", "reablement")

    def episode(self, i: int, row: list[float], req: simpy.resources.resource.Request) -> Generator:
        s = self.sys
        env = s.env
        s.count("reablement_episodes", i)
        s.log.add(i, env.now, "reablement_start", "reablement")
        yield env.timeout(self.duration)
        if self.current.get(i) is not req:
            return  # ended early; the place was given back then
        del self.current[i]
        self.team_of(i).release(req)
        s.log.add(i, env.now, "reablement_end", "reablement")
        if s.pop.setting[i] != REABLEMENT:
            return
        s.pop.setting[i] = HOME
        u = row[C_REABLE]
        if u < self.p_package:
            if s.pop.package_hours[i] == 0:
                yield from s.home_care.referral(i, row)
        elif u < self.p_package + self.p_care_home and s.pop.setting[i] != DEAD:
            yield from s.care_homes.referral(i, row)
