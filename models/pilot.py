"""The schema of a pilot file (`wsic evaluate`): the model a pilot runs on, how its cohort was
chosen, what the cohort received, and what the pilot observed.

Read and validated like a model file (one line per problem: FILE: KEY.PATH: what is wrong). The
pilot arm is built from it: the counterfactual model with the interventions named, taken from the
library model with the workforce they need, enrolling exactly the cohort the file describes, as a
closed cohort from the pilot's start year.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from models.loader import LoadedModel, ModelFileError, load_named, read_toml, validated
from models.schema import CareModel, Mechanism, Series, _Strict
from models.vocabulary import CONDITIONS, ROLE_KIND, ROLES, STRATA

DESIGNS = ("naive", "matched", "difference_in_differences")
# what matched controls can be required to share exactly with their cohort member
MATCH_KEYS = ("prior_admissions", "age_band", "sex", "at_home", "conditions", "borough")


class PilotMeta(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    description: str = Field(min_length=1)
    source: str = Field(min_length=1, description="where the pilot and its figures are described")


class PilotRun(_Strict):
    model: str = Field(min_length=1, description="the counterfactual's model file, relative to this file")
    library: str | None = Field(default=None, description="the model file the interventions come from")
    scale: Annotated[float, Field(gt=0, le=1)] = 1.0
    seed: Annotated[int, Field(ge=0)] = 1


class Cohort(_Strict):
    """Who the pilot chose, as it chose them, at the start of its first year."""

    start_year: Annotated[
        int, Field(ge=2, le=9, description="reported year the pilot starts; year 1 is the before year at the earliest")
    ]
    follow_years: Annotated[int, Field(ge=1, le=8)] = 3
    min_age: Annotated[float, Field(ge=0, le=120)] = 0
    max_age: Annotated[float, Field(ge=0, le=200)] = 200
    min_prior_admissions: Annotated[int, Field(ge=0, le=50)] = 0
    boroughs: list[str] = Field(default_factory=list)
    networks: list[Annotated[int, Field(ge=0)]] = Field(
        default_factory=list, description="GP networks, numbered 0.. across the model's boroughs in order"
    )
    strata: list[Literal[STRATA]] = Field(default_factory=list)  # type: ignore[valid-type]
    top_risk_share: Annotated[float, Field(gt=0, le=1)] | None = Field(
        default=None, description="the top share of all residents by the model's risk score at the start"
    )
    conditions: list[Literal[CONDITIONS]] = Field(  # type: ignore[valid-type]
        default_factory=list, description="any of these at the start (ltc: one or more, multimorbidity: two or more)"
    )
    random_share: Annotated[float, Field(gt=0, le=1)] | None = Field(
        default=None, description="chosen at random among the eligible, this share (a random cohort)"
    )
    uptake: Annotated[float, Field(gt=0, le=1)] = 1.0
    # where the chosen live at the start; none: where the received interventions enrol (their
    # eligibility's settings), or anywhere (in hospital too) for a pilot of nothing
    settings: list[Literal["home", "care_home"]] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _ages(self) -> Cohort:
        if self.min_age > self.max_age:
            raise ValueError(f"min_age ({self.min_age:g}) exceeds max_age ({self.max_age:g})")
        return self


class EffectOverride(Mechanism):
    """A received intervention's effect as the pilot assumes it: it replaces the library's mechanism
    of the same kind and target, or is added where the intervention has none."""

    intervention: str = Field(min_length=1)


class Received(_Strict):
    interventions: list[str] = Field(
        default_factory=list
    )  # none: a cohort followed with nothing done (Roland's design)
    effects: list[EffectOverride] = Field(default_factory=list)
    # the staff the pilot had, per borough in the model's order, for roles its interventions need
    fte: dict[Literal[ROLES], Series] = Field(default_factory=dict)  # type: ignore[valid-type]


class Design(_Strict):
    """How the pilot's evaluation would choose controls: exact on these, then the nearest by the
    model's risk score (a prognostic score) within caliper_sd of its standard deviation."""

    match_exactly: list[Literal[MATCH_KEYS]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["prior_admissions", "age_band", "sex", "at_home"]
    )
    caliper_sd: Annotated[float, Field(gt=0, le=2)] = 0.2


class Figures(_Strict):
    """A group's emergency admissions before and after: counts (in the 12 months before, and over
    the follow-up) or rates (per person a year), and how many people."""

    measure: Literal["count", "rate"]
    before: Annotated[float, Field(ge=0)]
    after: Annotated[float, Field(ge=0)]
    size: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _size(self) -> Figures:
        if self.measure == "count" and self.size is None:
            raise ValueError("counts need the group's size (size), to become rates")
        if self.before <= 0:
            raise ValueError("before must be above 0: a change is relative to it")
        return self


class Observed(_Strict):
    """What the pilot itself reported, by its design: a relative change, or the figures it came from
    (the cohort's, and the controls' for a matched design or a difference in differences)."""

    design: Literal[DESIGNS]  # type: ignore[valid-type]
    change: Annotated[float, Field(gt=-1, le=10)] | None = Field(
        default=None, description="relative change, -0.36 for 36% fewer"
    )
    cohort: Figures | None = None
    controls: Figures | None = None
    cohort_size: Annotated[int, Field(ge=1)] | None = None
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_result(self) -> Observed:
        if (self.change is None) == (self.cohort is None):
            raise ValueError("give either change or the cohort's figures (observed.cohort), not both")
        if self.cohort is not None and self.design != "naive" and self.controls is None:
            raise ValueError(f"a {self.design} result needs the controls' figures (observed.controls)")
        if self.cohort is None and self.controls is not None:
            raise ValueError("controls without the cohort's figures: give cohort too")
        if self.design == "naive" and self.controls is not None:
            raise ValueError("a naive before/after has no controls: drop controls, or name the design that used them")
        if self.cohort is not None and self.cohort_size is not None:
            raise ValueError("with the cohort's figures, give its size as cohort.size, not cohort_size")
        if self.controls is not None and self.controls.after <= 0:
            raise ValueError(f"the controls' after must be above 0: a {self.design} result divides by it")
        return self


class Expected(_Strict):
    """What a pilot's plan expected to avoid, over its years for its cohort (a business case's figure,
    not a measured result): compared with what the model predicts for a cohort of that size."""

    admissions_avoided: Annotated[float, Field(ge=0)] | None = None
    attendances_avoided: Annotated[float, Field(ge=0)] | None = None
    cohort_size: Annotated[int, Field(ge=1)]
    years: Annotated[float, Field(gt=0, le=10)]
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _something(self) -> Expected:
        if self.admissions_avoided is None and self.attendances_avoided is None:
            raise ValueError("give admissions_avoided, attendances_avoided or both")
        return self


class PilotFile(_Strict):
    meta: PilotMeta
    run: PilotRun
    cohort: Cohort
    received: Received = Received()
    design: Design = Design()
    observed: Observed | None = None
    expected: Expected | None = None

    @model_validator(mode="after")
    def _library(self) -> PilotFile:
        if self.received.interventions and self.run.library is None:
            raise ValueError("run.library names no model file for received.interventions to come from")
        if self.expected is not None and not self.received.interventions:
            raise ValueError("expected: a pilot that receives nothing can expect nothing avoided")
        if self.expected is not None and self.expected.years > self.cohort.follow_years:
            raise ValueError(
                f"expected.years ({self.expected.years:g}) exceeds cohort.follow_years ({self.cohort.follow_years}): "
                "the model predicts only the years it follows"
            )
        if self.cohort.uptake < 1 and not self.received.interventions:
            raise ValueError("cohort.uptake: a pilot that receives nothing has no uptake (use random_share)")
        seen = set()
        for k, o in enumerate(self.received.effects):
            key = (o.intervention, o.kind, o.target)
            if key in seen:
                raise ValueError(f"received.effects.{k}: a second effect for {o.intervention}'s {o.kind} on {o.target}")
            seen.add(key)
        return self


@dataclass(frozen=True)
class LoadedPilot:
    path: Path
    pilot: PilotFile
    sha256: str
    text: str
    counterfactual: LoadedModel
    library: LoadedModel | None

    @property
    def years(self) -> int:
        c = self.pilot.cohort
        return c.start_year + c.follow_years - 1


def cohort_settings(loaded: LoadedPilot) -> list[str] | None:
    """Where the chosen live at the start: the cohort's own, else where the received interventions
    enrol, else anywhere (None)."""
    c, received = loaded.pilot.cohort, loaded.pilot.received
    if c.settings is not None:
        return list(c.settings)
    if loaded.library is None or not received.interventions:
        return None
    lib = loaded.library.model.interventions
    return sorted({where for name in received.interventions for where in lib[name].eligibility.settings})


def _mechanisms(iv, overrides: list[EffectOverride]) -> list[Mechanism]:
    """The intervention's mechanisms with the pilot's overrides in place of (or beside) the library's."""
    mechanisms = list(iv.mechanisms)
    for o in overrides:
        m = Mechanism(kind=o.kind, target=o.target, effect=o.effect, additivity=o.additivity)
        at = [k for k, old in enumerate(mechanisms) if (old.kind, old.target) == (o.kind, o.target)]
        if at:
            mechanisms[at[0]] = m
        else:
            mechanisms.append(m)
    return mechanisms


def pilot_arm(loaded: LoadedPilot) -> CareModel:
    """The counterfactual with the pilot's interventions, each enrolling exactly its cohort from
    the start year (a closed cohort), with its effects as the pilot states them and the staff
    for the roles they need (the pilot's own FTE where it gives them, else the library's)."""
    base, c, received = loaded.counterfactual.model, loaded.pilot.cohort, loaded.pilot.received
    if loaded.library is None or not received.interventions:
        return base
    lib = loaded.library.model
    ivs, workforce = {}, dict(base.workforce)  # the counterfactual has none (refused in load_pilot)
    settings = cohort_settings(loaded)
    for name in received.interventions:
        iv = lib.interventions[name]
        el = iv.eligibility.model_copy(
            update={
                "min_age": c.min_age,
                "max_age": c.max_age,
                "min_prior_admissions": c.min_prior_admissions,
                "boroughs": list(c.boroughs),
                "networks": list(c.networks),
                "strata": list(c.strata) or list(STRATA),
                "top_risk_share": c.top_risk_share,
                "conditions": list(c.conditions),
                "settings": settings,
            }
        )
        uptake = iv.uptake.model_copy(update={"value": c.uptake})
        ivs[name] = iv.model_copy(
            update={
                "eligibility": el,
                "uptake": uptake,
                "start_year": c.start_year,
                "ramp_years": 0.0,
                "cohort": "closed",
                "mechanisms": _mechanisms(iv, [o for o in received.effects if o.intervention == name]),
            }
        )
        for need in iv.workforce:
            role = lib.workforce[need.role]
            if need.role in received.fte:
                role = role.model_copy(update={"fte": received.fte[need.role]})
            workforce[need.role] = role
    return base.model_copy(update={"interventions": ivs, "workforce": workforce})


def _against_models(path: Path, p: PilotFile, cf: LoadedModel, lib: LoadedModel | None) -> list[str]:
    problems = []
    population = cf.model.population
    for b in p.cohort.boroughs:
        if b not in population.boroughs:
            problems.append(f"{path}: cohort.boroughs: {b!r} is not a borough of the model")
    networks = int(sum(population.networks_per_borough.value))
    first = np.concatenate([[0], np.cumsum(population.networks_per_borough.value)]).astype(int)
    for k, net in enumerate(p.cohort.networks):
        if net >= networks:
            problems.append(
                f"{path}: cohort.networks.{k}: network {net} does not exist (the model has {networks}, "
                f"numbered 0 to {networks - 1} across its boroughs in order)"
            )
            continue
        home = population.boroughs[int(np.searchsorted(first, net, side="right")) - 1]
        if p.cohort.boroughs and home not in p.cohort.boroughs:
            problems.append(f"{path}: cohort.networks.{k}: network {net} is in {home}, not in cohort.boroughs")
    for k, name in enumerate(p.received.interventions):
        if lib is not None and name not in lib.model.interventions:
            problems.append(f"{path}: received.interventions.{k}: {name!r} is not an intervention of {lib.path}")
    for k, o in enumerate(p.received.effects):
        if o.intervention not in p.received.interventions:
            problems.append(f"{path}: received.effects.{k}.intervention: {o.intervention!r} is not received")
    needed = {
        need.role
        for name in p.received.interventions
        if lib is not None and name in lib.model.interventions
        for need in lib.model.interventions[name].workforce
    }
    if cf.model.interventions:
        problems.append(
            f"{path}: run.model: {cf.path} has interventions ({', '.join(sorted(cf.model.interventions))}); the "
            "counterfactual is a model without any (a pilot on top of a programme is not supported)"
        )
    for role, fte in p.received.fte.items():
        if ROLE_KIND[role] != "enrolment":
            problems.append(
                f"{path}: received.fte.{role}: a {ROLE_KIND[role]} role is the whole borough's staff; give the "
                "pilot's own staff only for roles that cap its enrolment (care_coordinator, hybrid_worker)"
            )
        elif role not in needed:
            problems.append(f"{path}: received.fte.{role}: no received intervention needs this role")
        if len(fte.value) != len(population.boroughs):
            problems.append(
                f"{path}: received.fte.{role}.value: {len(fte.value)} values for {len(population.boroughs)} "
                f"boroughs ({', '.join(population.boroughs)})"
            )
    if p.cohort.random_share is not None and p.received.interventions:
        problems.append(f"{path}: cohort.random_share: a random cohort is for a pilot that receives nothing")
    return problems


def load_pilot(path: str | Path) -> LoadedPilot:
    """Parse and validate a pilot file and the models it names; ModelFileError listing every problem."""
    path = Path(path)
    text, sha, data = read_toml(path)
    pilot = validated(path, data, PilotFile)
    models = {
        key: load_named(path, f"run.{key}", name)
        for key in ("model", "library")
        if (name := getattr(pilot.run, key)) is not None
    }
    cf, lib = models["model"], models.get("library")
    problems = _against_models(path, pilot, cf, lib)
    if problems:
        raise ModelFileError(problems)
    return LoadedPilot(path, pilot, sha, text, cf, lib)
