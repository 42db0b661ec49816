"""Step-up care in the community instead of a hospital bed: the virtual ward (care at home) and
intermediate care beds. A stay begins only if a place is free now (there is no queue); it ends at
home or, with some probability, in a hospital admission.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.draws import C_ESCALATE, C_VW_STAY
from sim.hospital import Hospital
from sim.population import HOME, INTERMEDIATE_CARE, SETTING_NAMES, VIRTUAL_WARD
from sim.sample_load import Hold
from sim.system import System


class StepUp:
    setting: int
    name: str  # event-log and measure prefix

    def __init__(self, system: System, spec, hospital: Hospital):
        self.sys = system
        self.hospital = hospital
        self.mean_stay = spec.mean_stay_days.value
        hold = Hold(self.mean_stay, queues=False)
        self.units = [system.load.places(v, f"{self.name}:{b}", hold) for b, v in enumerate(spec.places.value)]
        self.p_escalate = spec.p_escalate.value
        self.p_escalate_if_admitted = spec.p_escalate_if_admitted.value

    def has_place(self, i: int) -> bool:
        unit = self.units[self.sys.pop.borough[i]]
        return unit is not None and unit.has_free()

    def enter(self, i: int) -> None:
        raise NotImplementedError

    def leave(self, i: int) -> None:
        raise NotImplementedError

    def stay(self, i: int, row: list[float], done: Callable[[bool], None] | None = None, severe: bool = False) -> None:
        """A stay in a place (free now: the caller checked); ``done`` hears whether it ended in a
        hospital admission (which then runs on its own). ``severe``: a diverted crisis A&E would
        have admitted, which escalates more often."""
        unit = self.units[self.sys.pop.borough[i]]
        p = self.p_escalate_if_admitted if severe else self.p_escalate
        place = unit.take()
        if place is not None:
            self._in_place(i, row, done, unit, place, p)
        else:
            unit.request().callbacks.append(lambda req: self._in_place(i, row, done, unit, req, p))

    def _in_place(self, i: int, row: list[float], done, unit, place, p_escalate: float) -> None:
        s = self.sys
        if s.setting[i] != HOME:  # died, or went elsewhere, while the place was awaited
            unit.give_back(place)
            if done is not None:
                done(False)
            return
        self.enter(i)
        s.count(f"{self.name}_admissions", i)
        s.log.add(i, f"{self.name}_admission", SETTING_NAMES[self.setting])
        stay = -self.mean_stay * math.log1p(-row[C_VW_STAY])
        s.env.call_in(stay, self._stay_over, i, row, done, unit, place, p_escalate)

    def _stay_over(self, i: int, row: list[float], done, unit, place, p_escalate: float) -> None:
        s = self.sys
        unit.give_back(place)
        escalated = False
        if s.setting[i] == self.setting:  # else moved on meanwhile (a care home place, or death)
            self.leave(i)
            s.log.add(i, f"{self.name}_discharge", SETTING_NAMES[self.setting])
            if row[C_ESCALATE] < p_escalate:
                self.hospital.admission(i, row)
                escalated = True
        if done is not None:
            done(escalated)


class VirtualWard(StepUp):
    """Hospital-level care at home: the resident stays home, so routine care goes on."""

    setting = VIRTUAL_WARD
    name = "vw"

    def __init__(self, system: System, hospital: Hospital):
        super().__init__(system, system.model.virtual_ward, hospital)

    def enter(self, i: int) -> None:
        self.sys.enter_virtual_ward(i)

    def leave(self, i: int) -> None:
        self.sys.leave_virtual_ward(i)


class IntermediateCare(StepUp):
    """Step-up community beds: for what accrues, like a short hospital stay."""

    setting = INTERMEDIATE_CARE
    name = "ic"

    def __init__(self, system: System, hospital: Hospital):
        super().__init__(system, system.model.intermediate_care, hospital)

    def enter(self, i: int) -> None:
        self.sys.enter_intermediate_care(i)

    def leave(self, i: int) -> None:
        self.sys.leave_intermediate_care(i)
