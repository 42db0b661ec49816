"""Warnings about a model that is legal but almost surely not what was meant.

A warning does not refuse the file: the run would go ahead and its results would be right for the
file as written, but part of the model would silently do nothing (an intervention that never
starts, a service with no capacity that people are sent to). Each warning is one line in the
loader's style, ``FILE: key.path: what will happen``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from models.schema import CareModel
from models.vocabulary import BULK_ROLES, ROLE_KIND

TO_PACKAGE, TO_REABLEMENT, TO_CARE_HOME = 1, 2, 3  # columns of hospital.discharge


def warnings(model: CareModel, years: int, path: str | Path) -> list[str]:
    """Every warning about ``model`` for a run of ``years`` reported years, as lines naming ``path``."""
    found = [
        *_never_starts(model, years),
        *_step_up_without_places(model),
        *_social_care_without_capacity(model),
        *_front_door_without_capacity(model),
        *_workforce_without_staff(model),
    ]
    return [f"{path}: {key}: {what}" for key, what in found]


def _zero_in(model: CareModel, values: list[float]) -> list[str]:
    """The boroughs where a per-borough capacity is zero."""
    return [b for b, v in zip(model.population.boroughs, values, strict=True) if v <= 0]


def _diverting(model: CareModel, target: str) -> list[str]:
    """Interventions with a divert mechanism to ``target`` that can send anyone there."""
    return [
        f"interventions.{name}"
        for name, iv in model.interventions.items()
        if any(m.kind == "divert" and m.target == target and m.effect.bounds()[1] > 0 for m in iv.mechanisms)
    ]


def _triage_reaches_rapid_response(model: CareModel) -> bool:
    ap = model.access_point
    return ap.share_of_crises.value > 0 and ap.triage_lines.value > 0 and ap.p_rapid_response.value > 0


def _never_starts(model: CareModel, years: int) -> Iterator[tuple[str, str]]:
    for name, iv in model.interventions.items():
        if iv.uptake.value == 0:
            yield f"interventions.{name}.uptake", "0; no one takes the intervention up"
        if iv.start_year > years:
            yield (
                f"interventions.{name}.start_year",
                f"{iv.start_year} is after the last of the {years} reported year(s); the intervention never starts",
            )


def _step_up_without_places(model: CareModel) -> Iterator[tuple[str, str]]:
    """Virtual ward and intermediate care places of zero where crises are sent to them."""
    vw_senders = _diverting(model, "virtual_ward")
    rr = model.rapid_response
    if rr.p_virtual_ward.value > 0 and (_triage_reaches_rapid_response(model) or _diverting(model, "rapid_response")):
        vw_senders.append("rapid_response.p_virtual_ward")
    for key, places, senders in (
        ("virtual_ward.places", model.virtual_ward.places, vw_senders),
        ("intermediate_care.places", model.intermediate_care.places, _diverting(model, "intermediate_care")),
    ):
        zero = _zero_in(model, places.value)
        if zero and senders:
            yield (
                key,
                (
                    f"0 in {', '.join(zero)} while {', '.join(senders)} sends crises there; "
                    "none will be cared for there in that borough"
                ),
            )


def _discharged_to(model: CareModel, column: int) -> bool:
    return any(row[column] > 0 for row in model.hospital.discharge.value)


def _social_care_without_capacity(model: CareModel) -> Iterator[tuple[str, str]]:
    """Reablement places, home-care hours and care home places of zero where people are sent to them."""
    zero = _zero_in(model, model.reablement.places.value)
    if zero and _discharged_to(model, TO_REABLEMENT):
        yield (
            "reablement.places",
            (
                f"0 in {', '.join(zero)} while hospital.discharge sends people to reablement; "
                "they will go home without it"
            ),
        )
    hc = model.home_care
    package_senders = _senders(
        ("home_care.referral", hc.referral.rate.value > 0),
        ("hospital.discharge", _discharged_to(model, TO_PACKAGE)),
        ("reablement.p_package", model.reablement.p_package.value > 0),
    )
    zero = _zero_in(model, hc.hours_capacity.value)
    if zero and package_senders:
        yield (
            "home_care.hours_capacity",
            (
                f"0 in {', '.join(zero)} while {', '.join(package_senders)} asks for packages of home care; "
                "none will be started there"
            ),
        )
    ch = model.care_homes
    placement_senders = _senders(
        ("care_homes.entry", ch.entry.rate.value > 0),
        ("hospital.discharge", _discharged_to(model, TO_CARE_HOME)),
    )
    if not placement_senders:
        return
    for key, places, share in (
        ("care_homes.residential_places", ch.residential_places.value, 1 - ch.p_nursing.value),
        ("care_homes.nursing_places", ch.nursing_places.value, ch.p_nursing.value),
    ):
        if places == 0 and share > 0:
            other = "none" if ch.residential_places.value + ch.nursing_places.value == 0 else "the other kind"
            yield (
                key,
                (
                    f"0 while {', '.join(placement_senders)} asks for care home places and care_homes.p_nursing "
                    f"assesses {share:.0%} for this kind; they will get {other}"
                ),
            )


def _senders(*asked: tuple[str, bool]) -> list[str]:
    """The keys of the model that send people to a setting, of (key, whether it sends any)."""
    return [key for key, asks in asked if asks]


def _front_door_without_capacity(model: CareModel) -> Iterator[tuple[str, str]]:
    ap = model.access_point
    if ap.triage_lines.value == 0 and ap.share_of_crises.value > 0:
        yield (
            "access_point.triage_lines",
            (
                f"0 while access_point.share_of_crises sends {ap.share_of_crises.value:.0%} of crises to the access "
                "point; they will all go to A&E"
            ),
        )


def _asked_for(model: CareModel, role: str) -> list[str]:
    """What in the model asks for a role's time (empty if nothing does)."""
    asks: list[str] = []
    if role == "rapid_response_nurse":
        if _triage_reaches_rapid_response(model):
            asks.append("access_point.p_rapid_response")
        asks += _diverting(model, "rapid_response")
    elif role == "social_worker":
        hc, ch = model.home_care, model.care_homes
        if hc.referral.rate.value > 0 or ch.entry.rate.value > 0:
            asks.append("referrals for home care or a care home")
        if _discharged_to(model, TO_PACKAGE) or _discharged_to(model, TO_CARE_HOME):
            asks.append("hospital.discharge")
    elif role in BULK_ROLES and getattr(model.routine_contacts, role).rate.value > 0:
        asks.append(f"routine_contacts.{role}")
    for name, iv in model.interventions.items():
        asks += [f"interventions.{name}.workforce.{k}" for k, need in enumerate(iv.workforce) if need.role == role]
    return asks


def _without_staff(role: str) -> str:
    """What the engine does where a role has no staff."""
    kind = ROLE_KIND[role]
    if kind == "bulk":
        return "the backlog of its hours there grows without end"
    if kind == "enrolment":
        return "no one there can be enrolled"
    if role == "rapid_response_nurse":
        return "those crises go to A&E instead"
    return "people there go on without an assessment"


def _workforce_without_staff(model: CareModel) -> Iterator[tuple[str, str]]:
    """A role with no FTE in a borough where something asks for its time."""
    for role, spec in model.workforce.items():
        zero = _zero_in(model, spec.fte.value)
        asks = _asked_for(model, role) if zero else []
        if asks:
            yield (
                f"workforce.{role}.fte",
                (f"0 in {', '.join(zero)} while {', '.join(asks)} asks for its time; {_without_staff(role)}"),
            )
