"""Reablement: short-term support at home after discharge, in places reserved from hospital.

A place is held while the episode runs and given back early if the person leaves reablement
another way (readmission, a care home place, death): the system's move calls ``resident_left``.
"""

from __future__ import annotations

from collections.abc import Generator

import simpy

from sim.draws import C_REABLE
from sim.population import REABLEMENT
from sim.sample_load import Hold
from sim.social_care import CareHomes, HomeCare
from sim.system import System


class Reablement:
    def __init__(self, system: System, home_care: HomeCare, care_homes: CareHomes):
        self.sys = system
        self.home_care = home_care
        self.care_homes = care_homes
        rb = system.model.reablement
        hold = Hold(rb.duration_days.value)
        self.teams = [system.load.places(v, f"reablement:{b}", hold) for b, v in enumerate(rb.places.value)]
        self.duration = rb.duration_days.value
        self.p_package = rb.p_package.value
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

    def not_needed(self, i: int, req: simpy.resources.resource.Request) -> None:
        """A place reserved in hospital that the discharge no longer needs (a care home place came
        through while waiting for it): given back before any episode starts."""
        self.team_of(i).release(req)

    def resident_left(self, i: int, setting: int) -> None:
        if setting == REABLEMENT:
            self.end_early(i)

    def end_early(self, i: int) -> None:
        req = self.current.pop(i, None)
        if req is not None:
            self.team_of(i).release(req)
            self.sys.log.add(i, "reablement_end", "reablement")

    def begin(self, i: int, row: list[float], req: simpy.resources.resource.Request) -> None:
        """The episode starts at discharge, in the place reserved while in hospital."""
        self.current[i] = req
        self.sys.env.process(self.episode(i, row, req))

    def episode(self, i: int, row: list[float], req: simpy.resources.resource.Request) -> Generator:
        s = self.sys
        env = s.env
        s.count("reablement_episodes", i)
        s.log.add(i, "reablement_start", "reablement")
        yield env.timeout(self.duration)
        if self.current.get(i) is not req:
            return  # ended early; the place was given back then
        del self.current[i]
        self.team_of(i).release(req)
        s.log.add(i, "reablement_end", "reablement")
        if s.setting[i] != REABLEMENT:
            return
        s.finish_reablement(i)
        if i in s.needs_place:  # came to need 24-hour care meanwhile: a care home, not a package
            if s.pop.referred[i] == 0:
                yield from self.care_homes.referral(i, row)
        elif row[C_REABLE] < self.p_package and s.pop.package_hours[i] == 0:
            yield from self.home_care.referral(i, row)
