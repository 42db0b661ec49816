"""A resident's health crisis, from the moment it happens to the service that takes it: A&E
directly or through the access point, or, where an intervention says so, a community setting
instead. Interventions act here by thinning crises, diverting them, or supporting a death at home,
and what they avoid is credited against where the crisis would have gone without them. A terminal
decline begins with a crisis of its own, which nothing thins: the death comes when it was drawn
to, and the path the crisis takes decides only where.
"""

from __future__ import annotations

from collections.abc import Callable

from models.vocabulary import DIVERT_TARGETS
from sim.draws import (
    C_ACCEPT,
    C_ADMIT,
    C_CRISIS_MULT,
    C_DIVERT_TO,
    C_ENVELOPE,
    C_EOL_HIT,
    C_FALL_MULT,
    C_IS_FALL,
    C_LOS,
    C_ROUTE,
    C_RR,
    C_TRIAGE,
    DRAW_COLUMNS,
)
from sim.emergency_department import EmergencyDepartment
from sim.hospital import Hospital
from sim.population import (
    CARE_HOME,
    DEAD,
    HOME,
    HOSPITAL,
    INTERMEDIATE_CARE,
    REABLEMENT,
    SETTING_NAMES,
    VIRTUAL_WARD,
)
from sim.step_up import IntermediateCare, VirtualWard
from sim.system import System
from sim.urgent_care import TO_AE, AccessPoint, RapidResponse

# settings in which a crisis drawn now does not happen: the resident is dead or already in care
NO_CRISIS = frozenset((DEAD, HOSPITAL, VIRTUAL_WARD, INTERMEDIATE_CARE))


class CrisisPathway:
    def __init__(
        self,
        system: System,
        access_point: AccessPoint,
        emergency: EmergencyDepartment,
        rapid_response: RapidResponse,
        virtual_ward: VirtualWard,
        intermediate_care: IntermediateCare,
        hospital: Hospital,
    ):
        self.sys = system
        self.access_point = access_point
        self.emergency = emergency
        self.rapid_response = rapid_response
        self.virtual_ward = virtual_ward
        self.intermediate_care = intermediate_care
        self.hospital = hospital
        self._crises = system.ledger.scalar["crises"]  # counted here (sim/ledger.py)
        self._leaves_at = emergency._leaves_at  # who is in A&E, as EmergencyDepartment.present reads it
        self._triage = access_point.resource is not None
        self._triage_share = access_point.share
        # whether each community setting can take a diverted crisis now
        self.has_room: dict[str, Callable[[int], bool]] = {
            "rapid_response": rapid_response.has_free_nurse,
            "virtual_ward": lambda i: system.setting[i] == HOME and virtual_ward.has_place(i),
            "intermediate_care": lambda i: system.setting[i] == HOME and intermediate_care.has_place(i),
        }

    def crisis(self, i: int, row: list[float]) -> None:
        """A crisis drawn for resident i, at the moment it happens."""
        s = self.sys
        setting = s.setting[i]
        if setting in NO_CRISIS or self._leaves_at[i] > s.env._now:  # (or in A&E: the same crisis)
            return
        base_keep = s.crisis_keep_care_home if setting == CARE_HOME else s.crisis_keep_home
        iv = s.interventions
        if not iv.any or len(row) == DRAW_COLUMNS:  # (a row without mechanisms: none acts on it)
            if row[C_ACCEPT] < base_keep:  # else not a crisis at this setting's own rate
                self.route(i, row, setting)
            return
        # the row carries its interventions' mechanisms (sim/draws.py); it was drawn at the rate
        # times the envelope, so the setting's own rate keeps base_keep / envelope of them
        u = row[C_ACCEPT]
        base_keep /= row[C_ENVELOPE]
        keep = base_keep * row[C_CRISIS_MULT] * row[C_FALL_MULT]
        if u >= base_keep and u >= keep:
            return
        if u >= keep or u >= base_keep:  # avoided, or added by an intervention that raises the hazard
            targets = ("crisis", "fall") if row[C_IS_FALL] else ("crisis",)
            sign = 1.0 if u >= keep else -1.0
            credit = self.avoided(i, row, {"avoided_crises": 1.0})
            iv.share_avoided(i, s.group[i], targets, {k: sign * v for k, v in credit.items()})
            if sign > 0:
                return
        self.route(i, row, setting)

    def route(self, i: int, row: list[float], setting: int, terminal: bool = False) -> None:
        """A crisis that happens: counted, then to where it goes. ``terminal``: the crisis that
        begins a terminal decline, the one end-of-life support can keep at home."""
        self._crises[i] += 1.0
        self.sys.log.add(i, "crisis", "home" if setting != CARE_HOME else "care_home")
        # with interventions, a row longer than the draws carries their mechanisms (sim/draws.py;
        # without, a death's or an onset's row is longer by its course's columns only)
        if self.sys.interventions.any and len(row) > DRAW_COLUMNS:
            if terminal and row[C_EOL_HIT]:
                self._death_at_home(i, row)
                return
            if setting != CARE_HOME and row[C_DIVERT_TO] >= 0 and self._divert(i, row, int(row[C_DIVERT_TO])):
                return
        if self._triage and row[C_ROUTE] < self._triage_share:
            self.access_point.call(i, row)
        else:
            self.emergency.attend(i, row)

    def terminal_decline(self, i: int, row: list[float], t_death: float) -> None:
        """A decline to death at t_death. From home or a care home it begins with a crisis, which
        A&E admits (row[C_ADMIT] = 0) unless the path keeps it in the community; a resident
        already in hospital, a step-up setting or A&E stays on the path they are on."""
        s = self.sys
        s.dying[i] = t_death
        s.env.call_in(t_death - s.env._now, self._terminal_death, i)
        setting = s.setting[i]
        if setting in (HOME, CARE_HOME, REABLEMENT) and not self.emergency.present(i):
            row[C_ADMIT] = 0.0
            self.route(i, row, setting, terminal=True)

    def needs_care(self, i: int, row: list[float], with_crisis: bool) -> None:
        """A need for 24-hour care begins (and a place is to follow). Mostly it first shows as a
        crisis (``with_crisis``), which A&E admits unless the path keeps it at home; a discharge
        then goes to a care home. Otherwise, or if the crisis stays at home, social work is
        referred from home (at the latest at the next period's start)."""
        s = self.sys
        pop = s.pop
        if s.is_dead(i) or pop.placement[i]:
            return
        s.needs_place.add(i)
        setting = s.setting[i]
        if setting == HOSPITAL or self.emergency.present(i) or setting not in (HOME, REABLEMENT):
            return  # a discharge will go to a care home; from a step-up setting, once home again
        if with_crisis:
            row[C_ADMIT] = 0.0
            self.route(i, row, setting)
        elif setting == HOME and pop.referred[i] == 0:
            s.env.process(self.hospital.care_homes.referral(i, row))

    def _terminal_death(self, i: int) -> None:
        s = self.sys
        s.dying.pop(i, None)
        if not s.is_dead(i):
            s.die(i, self.place(i))

    def place(self, i: int) -> str:
        """Where a resident dying now dies: the setting they are in, or A&E while in it."""
        if self.emergency.present(i):
            return "emergency_department"
        return SETTING_NAMES[self.sys.setting[i]]

    def would_be(self, i: int, row: list[float]) -> tuple[bool, bool, float]:
        """Where this crisis would have gone with no intervention and room everywhere:
        (reaches A&E, admitted, length of stay)."""
        ap = self.access_point
        if ap.resource is not None and row[C_ROUTE] < ap.share:
            u = row[C_TRIAGE]
            if u < ap.p_advice:
                return False, False, 0.0
            rr = self.rapid_response
            if u < ap.p_advice + ap.p_rr and rr.can_attend(i) and row[C_RR] < rr.p_home + rr.p_vw:
                return False, False, 0.0
        if row[C_ADMIT] < self.emergency.p_admit[self.sys.band_of[i]]:
            return True, True, self.hospital.length_of_stay(i, row[C_LOS], with_interventions=False)
        return True, False, 0.0

    def avoided(self, i: int, row: list[float], extra: dict[str, float]) -> dict[str, float]:
        """What an intervention is credited with for keeping this crisis from its pathway."""
        ae, admitted, los = self.would_be(i, row)
        out = dict(extra)
        if ae:
            out["avoided_ae_attendances"] = 1.0
        if admitted:
            out["avoided_nel_admissions"] = 1.0
            out["avoided_bed_days"] = los
        return out

    def _death_at_home(self, i: int, row: list[float]) -> None:
        """End-of-life care at home: the crisis of a terminal decline is cared for at home, and
        the death, when it comes, comes there. Credited with the A&E attendance and the admission
        the crisis would have had, and the days to death as bed days."""
        s = self.sys
        k = s.interventions.first_enrolled("end_of_life", "home", i)
        amounts = self.avoided(i, row, {"deaths_at_home_supported": 1.0})
        if "avoided_bed_days" in amounts:
            amounts["avoided_bed_days"] = max(0.0, s.dying[i] - s.env._now)
        s.interventions.credit(k, s.group[i], amounts)

    def _divert(self, i: int, row: list[float], k: int) -> bool:
        """Send the crisis to the k-th community setting an intervention chose, if it has room now."""
        s = self.sys
        iv = s.interventions
        target = DIVERT_TARGETS[k]
        if not self.has_room[target](i):
            return False
        act = iv.first_enrolled("divert", target, i)
        iv.credit(act, s.group[i], {"diverted_crises": 1.0})

        def credit(reached_ae: bool) -> None:
            if not reached_ae:
                iv.credit(act, s.group[i], self.avoided(i, row, {}))

        # severity: a crisis A&E would have admitted is kept out of hospital less often
        severe = row[C_ADMIT] < self.emergency.p_admit[s.band_of[i]]
        if target == "rapid_response":
            self.rapid_response.episode(i, row, s.env._now, lambda outcome: credit(outcome == TO_AE), severe)
        elif target == "virtual_ward":
            self.virtual_ward.stay(i, row, credit, severe)
        else:
            self.intermediate_care.stay(i, row, credit, severe)
        return True
