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

from pydantic import Field, model_validator

from models.loader import LoadedModel, ModelFileError, load_named, read_toml, validated
from models.schema import CareModel, _Strict

DESIGNS = ("naive", "matched", "difference_in_differences")


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
    random_share: Annotated[float, Field(gt=0, le=1)] | None = Field(
        default=None, description="chosen at random among the eligible, this share (a random cohort)"
    )
    uptake: Annotated[float, Field(gt=0, le=1)] = 1.0

    @model_validator(mode="after")
    def _ages(self) -> Cohort:
        if self.min_age > self.max_age:
            raise ValueError(f"min_age ({self.min_age:g}) exceeds max_age ({self.max_age:g})")
        return self


class Received(_Strict):
    interventions: list[str] = Field(
        default_factory=list
    )  # none: a cohort followed with nothing done (Roland's design)


class Observed(_Strict):
    """What the pilot itself reported, where it has it: the cohort's emergency admissions per
    person a year before and after, and how many people."""

    design: Literal[DESIGNS]  # type: ignore[valid-type]
    change: Annotated[float, Field(gt=-1, le=10)] = Field(description="relative change, -0.36 for 36% fewer")
    cohort_size: Annotated[int, Field(ge=1)] | None = None
    source: str = Field(min_length=1)


class PilotFile(_Strict):
    meta: PilotMeta
    run: PilotRun
    cohort: Cohort
    received: Received = Received()
    observed: Observed | None = None

    @model_validator(mode="after")
    def _library(self) -> PilotFile:
        if self.received.interventions and self.run.library is None:
            raise ValueError("run.library names no model file for received.interventions to come from")
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


def pilot_arm(loaded: LoadedPilot) -> CareModel:
    """The counterfactual with the pilot's interventions, each enrolling exactly its cohort from
    the start year (a closed cohort), with the library's staff for the roles they need."""
    base, c = loaded.counterfactual.model, loaded.pilot.cohort
    if loaded.library is None or not loaded.pilot.received.interventions:
        return base
    lib = loaded.library.model
    ivs, workforce = {}, dict(base.workforce)
    for name in loaded.pilot.received.interventions:
        iv = lib.interventions[name]
        el = iv.eligibility.model_copy(
            update={
                "min_age": c.min_age,
                "max_age": c.max_age,
                "min_prior_admissions": c.min_prior_admissions,
                "boroughs": list(c.boroughs),
                "strata": ["very_high", "high", "moderate", "low", "very_low"],
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
            }
        )
        for need in iv.workforce:
            workforce[need.role] = lib.workforce[need.role]
    return base.model_copy(update={"interventions": ivs, "workforce": workforce})


def _against_models(path: Path, p: PilotFile, cf: LoadedModel, lib: LoadedModel | None) -> list[str]:
    problems = []
    for b in p.cohort.boroughs:
        if b not in cf.model.population.boroughs:
            problems.append(f"{path}: cohort.boroughs: {b!r} is not a borough of the model")
    for k, name in enumerate(p.received.interventions):
        if lib is not None and name not in lib.model.interventions:
            problems.append(f"{path}: received.interventions.{k}: {name!r} is not an intervention of {lib.path}")
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
