"""The care settings of one replication, built in pathway order: each is handed the settings its
pathway leads to (a discharge needs social work, home care, reablement and care homes; a crisis
needs the front door and the step-up settings), so no setting reaches another through the system.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.crisis import CrisisPathway
from sim.emergency_department import EmergencyDepartment
from sim.hospital import Hospital
from sim.reablement import Reablement
from sim.social_care import CareHomes, HomeCare, SocialWork
from sim.step_up import IntermediateCare, VirtualWard
from sim.system import System
from sim.urgent_care import AccessPoint, RapidResponse


@dataclass(frozen=True)
class Settings:
    system: System
    social_work: SocialWork
    home_care: HomeCare
    care_homes: CareHomes
    reablement: Reablement
    hospital: Hospital
    virtual_ward: VirtualWard
    intermediate_care: IntermediateCare
    emergency: EmergencyDepartment
    rapid_response: RapidResponse
    access_point: AccessPoint
    crises: CrisisPathway


def build_settings(system: System) -> Settings:
    """Every care setting of the model, wired to the ones its pathway leads to."""
    social_work = SocialWork(system)
    home_care = HomeCare(system, social_work)
    care_homes = CareHomes(system, social_work, home_care)
    reablement = Reablement(system, home_care, care_homes)
    hospital = Hospital(system, social_work, home_care, reablement, care_homes)
    virtual_ward = VirtualWard(system, hospital)
    intermediate_care = IntermediateCare(system, hospital)
    emergency = EmergencyDepartment(system, hospital)
    rapid_response = RapidResponse(system, emergency, virtual_ward)
    access_point = AccessPoint(system, rapid_response, emergency)
    crises = CrisisPathway(system, access_point, emergency, rapid_response, virtual_ward, intermediate_care, hospital)
    # what a move implies for the settings that hold something for the resident
    system.on_leave(reablement.resident_left)
    system.on_death(emergency.died_on_trolley)
    system.on_death(hospital.resident_died)
    system.on_death(care_homes.resident_died)  # the place is given back before the package's hours
    system.on_death(home_care.resident_died)
    return Settings(
        system,
        social_work,
        home_care,
        care_homes,
        reablement,
        hospital,
        virtual_ward,
        intermediate_care,
        emergency,
        rapid_response,
        access_point,
        crises,
    )
