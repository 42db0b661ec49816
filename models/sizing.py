"""The schema of a sizing file (`wsic size`): the model a planner starts from, the roles to size
over a range of FTE, the service levels a staffing must meet and at what confidence, and what an
avoided admission, bed day and delayed day are worth.

Read and validated like a model file: every problem is one line, FILE: KEY.PATH: what is wrong,
and the model it names is loaded with it, so a borough, a role or an intervention the model lacks
is refused before anything runs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from models.loader import LoadedModel, ModelFileError, load_named, read_toml, validated
from models.schema import UnitCost, _Strict
from models.vocabulary import INTERVENTION_LEVELS, SERVICE_LEVELS, SHARE_LEVELS, SIZED_ROLES

MAX_LEVELS = 40  # staffing levels a sweep may try; more is a search, not a sweep


class SizingMeta(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    description: str = Field(min_length=1)


class SizingRun(_Strict):
    model: str = Field(min_length=1, description="model file, relative to the sizing file")
    years: Annotated[int, Field(ge=1, le=10)] = 1
    scale: Annotated[float, Field(gt=0, le=1)] = 0.1
    seed: Annotated[int, Field(ge=0)] = 1
    first_reps: Annotated[int, Field(ge=2, le=50, description="replications every level starts with")] = 3
    max_reps: Annotated[int, Field(ge=2, le=200, description="the most a level is given")] = 10

    @model_validator(mode="after")
    def _reps(self) -> SizingRun:
        if self.max_reps < self.first_reps:
            raise ValueError(f"max_reps ({self.max_reps}) must be at least first_reps ({self.first_reps})")
        return self


class RoleSweep(_Strict):
    """One role's FTE levels, set in every borough named at once: each borough's pools are its
    own, so one run answers each borough's question (they share only the hospital and A&E)."""

    role: Literal[SIZED_ROLES]  # type: ignore[valid-type]
    boroughs: list[str] | None = Field(default=None, min_length=1, description="default: every borough")
    fte: list[Annotated[float, Field(ge=0, le=10_000)]] = Field(min_length=2, max_length=MAX_LEVELS)

    @model_validator(mode="after")
    def _increasing(self) -> RoleSweep:
        if any(b <= a for a, b in itertools.pairwise(self.fte)):
            raise ValueError(f"fte must be strictly increasing FTE levels (got {self.fte})")
        return self


class ServiceLevel(_Strict):
    measure: Literal[tuple(SERVICE_LEVELS)]  # type: ignore[valid-type]
    role: Literal[SIZED_ROLES]  # type: ignore[valid-type]
    at_least: float | None = None
    at_most: float | None = None
    confidence: Annotated[float, Field(ge=0.5, lt=1)] = 0.95
    intervention: str | None = None

    @model_validator(mode="after")
    def _threshold(self) -> ServiceLevel:
        problems = []
        if (self.at_least is None) == (self.at_most is None):
            problems.append("give exactly one of at_least or at_most")
        threshold = self.at_least if self.at_least is not None else self.at_most
        if threshold is not None and self.measure in SHARE_LEVELS and not 0 <= threshold <= 1:
            problems.append(f"{self.measure} is a share; its threshold must be in [0, 1] (got {threshold})")
        if threshold is not None and threshold < 0:
            problems.append(f"a threshold of {self.measure} must be at least 0 (got {threshold})")
        if (self.measure in INTERVENTION_LEVELS) != (self.intervention is not None):
            need = "needs" if self.measure in INTERVENTION_LEVELS else "takes no"
            problems.append(f"{self.measure} {need} intervention (the model's intervention it is read from)")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def threshold(self) -> float:
        return self.at_least if self.at_least is not None else self.at_most  # type: ignore[return-value]

    @property
    def label(self) -> str:
        sign = ">=" if self.at_least is not None else "<="
        of = f" ({self.intervention})" if self.intervention else ""
        return f"{self.measure}{of} {sign} {self.threshold:g} at {self.confidence:.0%}"


class CostBasis(_Strict):
    """What an outcome avoided is worth against the staff's cost; each defaults to the model's
    unit cost (nel_admission; bed_day for a bed day and for a delayed day)."""

    admission: UnitCost | None = None
    bed_day: UnitCost | None = None
    delayed_day: UnitCost | None = None


class Grid(_Strict):
    """Two roles that act on one outcome, every pair of their levels, and the measure drawn as a
    contour (at first_reps replications a point)."""

    roles: list[Literal[SIZED_ROLES]] = Field(min_length=2, max_length=2)  # type: ignore[valid-type]
    fte: list[list[Annotated[float, Field(ge=0, le=10_000)]]] = Field(min_length=2, max_length=2)
    measure: Literal[tuple(SERVICE_LEVELS)]  # type: ignore[valid-type]
    intervention: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> Grid:
        problems = []
        if self.roles[0] == self.roles[1]:
            problems.append("roles must be two different roles")
        for k, levels in enumerate(self.fte):
            if len(levels) < 2 or len(levels) > 12:
                problems.append(f"fte.{k} must have 2 to 12 levels (got {len(levels)})")
            if any(b <= a for a, b in itertools.pairwise(levels)):
                problems.append(f"fte.{k} must be strictly increasing (got {levels})")
        if (self.measure in INTERVENTION_LEVELS) != (self.intervention is not None):
            problems.append(
                f"{self.measure} {'needs' if self.measure in INTERVENTION_LEVELS else 'takes no'} intervention"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class SizingFile(_Strict):
    meta: SizingMeta
    run: SizingRun
    roles: list[RoleSweep] = Field(min_length=1)
    service_levels: list[ServiceLevel] = Field(min_length=1)
    cost_basis: CostBasis = CostBasis()
    grid: Grid | None = None

    @model_validator(mode="after")
    def _roles(self) -> SizingFile:
        swept = [r.role for r in self.roles]
        problems = [
            f"roles: {r} is swept twice; give it one list of levels" for r in sorted(set(swept)) if swept.count(r) > 1
        ]
        for k, sl in enumerate(self.service_levels):
            if sl.role not in swept:
                problems.append(f"service_levels.{k}: role {sl.role} is not among the roles swept ({', '.join(swept)})")
        if problems:
            raise ValueError("\n".join(problems))
        return self


@dataclass(frozen=True)
class LoadedSizing:
    path: Path
    sizing: SizingFile
    sha256: str
    text: str
    model: LoadedModel


def _against_model(path: Path, s: SizingFile, model: LoadedModel) -> list[str]:
    """What the sizing file names that its model lacks."""
    m = model.model
    problems = []
    for k, sweep in enumerate(s.roles):
        for b in sweep.boroughs or []:
            if b not in m.population.boroughs:
                problems.append(
                    f"{path}: roles.{k}.boroughs: {b!r} is not a borough of the model "
                    f"({', '.join(m.population.boroughs)})"
                )
    named = [(f"service_levels.{k}", sl.intervention, sl.role) for k, sl in enumerate(s.service_levels)]
    if s.grid is not None:
        named.append(("grid", s.grid.intervention, s.grid.roles[0] if s.grid.measure == "caseload_per_fte" else None))
    for where, iv, role in named:
        if iv is None:
            continue
        if iv not in m.interventions:
            problems.append(f"{path}: {where}.intervention: {iv!r} is not an intervention of the model")
        elif role is not None and role not in {n.role for n in m.interventions[iv].workforce}:
            problems.append(f"{path}: {where}.intervention: {iv} needs no {role}, so its level would not move with it")
    return problems


def load_sizing(path: str | Path) -> LoadedSizing:
    """Parse and validate a sizing file and the model it names; ModelFileError listing every problem."""
    path = Path(path)
    text, sha, data = read_toml(path)
    sizing = validated(path, data, SizingFile)
    model = load_named(path, "run.model", sizing.run.model)
    problems = _against_model(path, sizing, model)
    if problems:
        raise ModelFileError(problems)
    return LoadedSizing(path, sizing, sha, text, model)
