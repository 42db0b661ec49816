"""Council social care: social work assessment, packages of home care (hours per week, a finite
market per borough) and residential and nursing home placements.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from functools import partial

import numpy as np
import simpy

from models.vocabulary import DAYS_PER_YEAR, HOURS_PER_DAY
from sim.capacity import Places, scaled
from sim.draws import C_HOURS, C_NURSING
from sim.population import DEAD, HOSPITAL, NURSING, RESIDENTIAL, VIRTUAL_WARD
from sim.rest_of_population import MIN_CARE_HOME_ASKS, SampleRate
from sim.sample_load import Hold, LoadedPlaces
from sim.system import System
from sim.workforce import Pool


class SocialWork:
    """Assessments by social workers in the resident's borough; waits show as assessment delay."""

    def __init__(self, system: System):
        self.sys = system
        role = system.model.workforce["social_worker"]
        self.hours = system.model.social_work.assessment_hours.value
        hours = role.productive_hours.value
        self.pools = [
            Pool(system.load, fte, hours, f"social_worker:{b}", self.hours / HOURS_PER_DAY, role.rota)
            for b, fte in enumerate(role.fte.value)
        ]
        self.arrangement_days = system.model.social_work.arrangement_days.value

    def assess(self, i: int) -> Generator:
        s = self.sys
        pool = self.pools[s.pop.borough[i]]
        if not pool.available:
            return
        person = s.pop.person[i]  # rows are reused: a wait outlasting its resident ends with them
        s.wait_start("assessment_wait_days", i)
        with pool.resource.request() as req:
            yield req
            if s.pop.person[i] != person:
                return
            s.wait_end("assessment_wait_days", i)
            if s.is_dead(i):
                return
            yield s.env.timeout(self.hours * pool.time_factor / HOURS_PER_DAY)
        pool.busy_hours += self.hours  # work done; the stretch is only how rounding is paid for
        s.count("sw_assessments", i)
        s.log.add(i, "assessment", "social_work")

    def referral(self, i: int, service: Callable[[], Generator]) -> Generator:
        """From the community: assessment, arrangement time, then the service (package or place)."""
        s = self.sys
        person = s.pop.person[i]
        s.pop.referred[i] += 1
        yield from self.assess(i)
        yield s.env.timeout(self.arrangement_days)
        if s.pop.person[i] != person:
            return  # the row is another resident's now
        if s.setting[i] != DEAD:
            yield from service()
        if s.pop.person[i] == person:
            s.pop.referred[i] = max(0, s.pop.referred[i] - 1)


class HomeCare:
    """Packages of home care drawn from each borough's weekly hours; a package waits for hours."""

    def __init__(self, system: System, social_work: SocialWork):
        self.sys = system
        self.social_work = social_work
        hc = system.model.home_care
        self.markets: list[simpy.Container | None] = []
        for hours in hc.hours_capacity.value:
            cap = scaled(hours, system.scale)
            self.markets.append(simpy.Container(system.env, capacity=cap, init=cap) if cap > 0 else None)
        self.mean = hc.package_hours_mean.value
        self.elasticity = hc.package_hours_need_elasticity.value
        self.max = hc.package_hours_max.value
        self.ref = system.model.need.reference.value

    def package_size(self, i: int, u: float) -> int:
        need = self.sys.pop.need[i] / self.ref
        hours = self.mean * need**self.elasticity * (0.5 + u)
        market = self.markets[self.sys.pop.borough[i]]
        return int(min(max(1, round(hours)), self.max, market.capacity if market else 1))

    def fill_at_start(self, i: int, hours: int) -> None:
        """A package already running when the simulation starts (the market has the hours)."""
        self.markets[self.sys.pop.borough[i]].get(hours)
        self.sys.pop.package_hours[i] = hours
        self.sys.start_package(i, hours)

    def start(self, i: int, row: list[float]) -> Generator:
        """Wait for the package's hours; it runs from then (or from discharge, if in hospital)."""
        s = self.sys
        market = self.markets[s.pop.borough[i]]
        if market is None:
            return
        hours = self.package_size(i, row[C_HOURS])
        s.wait_start("package_wait_days", i)
        get = s.queue(i, market.get(hours))
        yield get
        s.dequeue(i, get)
        s.wait_end("package_wait_days", i)
        if s.setting[i] == DEAD or s.pop.placement[i] or s.pop.package_hours[i] > 0:
            market.put(hours)
            return
        s.pop.package_hours[i] = hours
        s.count("packages_started", i)
        s.log.add(i, "package_start", "home")
        if s.at_home(i) or s.setting[i] == VIRTUAL_WARD:
            s.start_package(i, hours)

    def end(self, i: int) -> None:
        s = self.sys
        hours = int(s.pop.package_hours[i])
        if hours <= 0:
            return
        s.sc.stop(i, s.env._now)
        s.pop.package_hours[i] = 0
        self.markets[s.pop.borough[i]].put(hours)
        s.log.add(i, "package_end", "home")

    def referral(self, i: int, row: list[float]) -> Generator:
        """A request for care from the community: assessment, arrangement, then the package."""
        yield from self.social_work.referral(i, lambda: self.start(i, row))

    def resident_died(self, i: int) -> None:
        if self.sys.pop.package_hours[i] > 0:
            self.end(i)

    def hours_in_use(self, b: int) -> float | None:
        market = self.markets[b]
        return None if market is None else market.capacity - market.level


# assumption: the shortest span the sample's care home requests are counted over at the start (a
# tenth's first week holds one or two); tried against full population, 10 replications at a tenth
REQUESTS_MIN_SPAN_DAYS = 7.0
PRIOR_STAY_DAYS = 2.5 * DAYS_PER_YEAR  # assumption: a care home stay, until the sample's own are known


class CareHomes:
    """Residential and nursing places; a placement is held until death."""

    def __init__(self, system: System, social_work: SocialWork, home_care: HomeCare):
        self.sys = system
        self.social_work = social_work
        self.home_care = home_care
        ch = system.model.care_homes
        # a place is held until death, at the residents' own hazards: at a sample the rest's places
        # end at the sample's holders' mean hazard (``rest_as_expected``); PRIOR_STAY_DAYS stands
        # only where no one was placed at the start
        self.homes: dict[int, Places | None] = {
            RESIDENTIAL: system.load.places(
                ch.residential_places.value, "residential_places", Hold(PRIOR_STAY_DAYS, exponential=True)
            ),
            NURSING: system.load.places(
                ch.nursing_places.value, "nursing_places", Hold(PRIOR_STAY_DAYS, exponential=True)
            ),
        }
        self.p_nursing = ch.p_nursing.value
        self.held: dict[int, simpy.resources.resource.Request] = {}
        # at a sample, the holders' death hazards by kind (``_holders_hazard``)
        self._summed: np.ndarray | None = None
        self._of: dict[int, float] = {}
        self._sum, self._count = {RESIDENTIAL: 0.0, NURSING: 0.0}, {RESIDENTIAL: 0, NURSING: 0}

    def rest_as_expected(self, onset_factor: Callable[[], float], death: Callable[[], np.ndarray]) -> None:
        """At a sample, the rest's places follow what the sample's residents were expected to
        do rather than what chance made them do. A quarter's nursing places get some ninety
        requests and eighty deaths a year; mirrored three times over, their chance moved the fill
        of places kept nearly full twice as much as the whole population's chance does, and
        waits, convex near full, ran long. So the rest ask at the sample's rate for places of
        either kind, times ``onset_factor`` (its needs for 24-hour care expected over drawn),
        times the kind's chance (``p_nursing``); and their places end at the holders' mean death
        hazard (``death``: every resident's deaths a year as now drawn; a place ends only at its
        holder's death, since those needing 24-hour care do not move away). Called once the
        starting residents are placed. The rest ask from the sample's first request on, at its
        rate since the start (over no less than REQUESTS_MIN_SPAN_DAYS): requests rise from the
        start as those newly needing 24-hour care are assessed and wait, and the sample's rise as
        the whole population's do. The needs for 24-hour care expected from the start stood in
        until a year had run before, as if each were a request at once, and made the rest of a
        tenth ask a sixth more in the warm-up year than the whole population did (places held
        until death fill for years); a floor of 60 days on the span, as other flows have, made
        them ask a twentieth less."""
        loaded = {k: h for k, h in self.homes.items() if isinstance(h, LoadedPlaces)}
        # over as many requests of both kinds as each kind's own flow would hold (about four years
        # at a quarter: all of a default run, as the onsets are counted from the start; a longer
        # run's flow then covers less than its onset correction does)
        shared = SampleRate(MIN_CARE_HOME_ASKS * len(loaded), REQUESTS_MIN_SPAN_DAYS)
        shared.factor = onset_factor
        now = self.sys.env._now
        for kind, home in loaded.items():
            home.flow = shared
            if len(loaded) == 2:
                home.ratio *= self.p_nursing if kind == NURSING else 1.0 - self.p_nursing
            home.rest.hazard = partial(self._holders_hazard, kind, death, home.rest.hazard)
            home.rest.redraw(now)  # the next end was drawn at the filled places' own hazard
            # no requests until the sample's first (the rate the filled places implied, replaced)
            home.next_ask, home.rate = math.inf, 0.0

    def _holders_hazard(self, kind: int, death: Callable[[], np.ndarray], realised: Callable[[], float]) -> float:
        """The mean death hazard a day of the sample's residents holding a place of this kind (or,
        while none does, the rate the sample's places ended at). Kept as a running sum, added to
        and taken from as places are taken and given back, and summed afresh when the year's
        hazards replace the last's: the rest's every start and end asks for it, and a home with
        room for thousands would otherwise sum its holders thousands of times a year."""
        hazard = death()
        if hazard is not self._summed:
            self._summed, self._of = hazard, {i: float(hazard[i]) for i in self.held}
            placement = self.sys.pop.placement
            for k in self._sum:
                who = [i for i in self.held if placement[i] == k]
                self._sum[k], self._count[k] = float(hazard[who].sum()), len(who)
        n = self._count[kind]
        return self._sum[kind] / n / DAYS_PER_YEAR if n else realised()

    def _holding(self, i: int, kind: int, held: bool) -> None:
        """A sampled resident takes (``held``) or gives back a place: the running sums follow."""
        if self._summed is None:
            return
        h = float(self._summed[i]) if held else self._of.pop(i, 0.0)
        if held:
            self._of[i] = h
        self._sum[kind] += h if held else -h
        self._count[kind] += 1 if held else -1

    def fill_at_start(self, who: np.ndarray, kind: int) -> None:
        """Residents already placed when the simulation starts (the home has room for them)."""
        s = self.sys
        home = self.homes[kind]
        for i in who.tolist():
            self.held[i] = home.occupy()
            s.pop.placement[i] = kind
            s.pop.dependent[i] = True
            s.enter_care_home(i)

    def place(self, i: int, row: list[float]) -> Generator:
        """Wait for a place of the assessed kind; move in now if at home, else at discharge."""
        s = self.sys
        kind = NURSING if row[C_NURSING] < self.p_nursing else RESIDENTIAL
        home = self.homes[kind] or self.homes[RESIDENTIAL if kind == NURSING else NURSING]
        if home is None:
            return
        kind = RESIDENTIAL if home is self.homes[RESIDENTIAL] else NURSING
        if s.pop.placement[i]:
            return
        s.wait_start("placement_wait_days", i)
        req = s.queue(i, home.request())
        yield req
        s.dequeue(i, req)
        s.wait_end("placement_wait_days", i)
        if s.setting[i] == DEAD or s.pop.placement[i]:
            home.release(req)
            return
        self.held[i] = req
        self._holding(i, kind, True)
        s.pop.placement[i] = kind
        s.needs_place.discard(i)
        s.count("care_home_admissions", i)
        s.log.add(i, "care_home_admission", "care_home")
        if s.pop.package_hours[i] > 0:
            self.home_care.end(i)
        if s.setting[i] != HOSPITAL:
            s.enter_care_home(i)

    def release(self, i: int) -> None:
        req = self.held.pop(i)
        kind = int(self.sys.pop.placement[i])
        self._holding(i, kind, False)
        self.homes[kind].release(req)
        self.sys.pop.placement[i] = 0

    def occupied(self, kind: int) -> int:
        home = self.homes[kind]
        return home.in_use() if home is not None else 0

    def queued(self, kind: int) -> int:
        home = self.homes[kind]
        return home.queued() if home is not None else 0

    def referral(self, i: int, row: list[float]) -> Generator:
        """Referral from the community: assessment, arrangement, then wait at home for a place."""
        yield from self.social_work.referral(i, lambda: self.place(i, row))

    def resident_died(self, i: int) -> None:
        self.sys.needs_place.discard(i)
        if self.sys.pop.placement[i]:
            self.release(i)
