"""The start's frailty profile by age and the LTC incidences by age band under which business as
usual holds each age group level: fixed-point steps on what six simulated years move.

The population is drawn from cross-sectional prevalences, but the simulation then ages it, lets
the frailest die and new conditions arise: unless the start is where those flows keep it, every
age group drifts and business as usual is not stationary within age (issue 16). Both sets of
values are assumptions derived here, not fitted, and need re-deriving after a refit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed

from models.schema import CareModel
from sim.population import age_band
from sim.replication import Replication

# the age groups whose mean frailty the profile holds, by lower bound (the last is open); the
# profile's ages are their mid-ages (97 for the 95+)
GROUP_LOWER = (0, 18, 30, 45, 55, 65, 70, 75, 80, 83, 85, 87, 90, 95)
PROFILE_KEY = "need.frailty_start_shift"
# reported years after the warm-up: six simulated years in all, the span of the fit's longitudinal rows
YEARS = 5


@dataclass(frozen=True)
class Drift:
    """Mean frailty normal per age group and mean LTC count per age band, at the start and at the end."""

    frailty_start: np.ndarray
    frailty_end: np.ndarray
    ltc_start: np.ndarray
    ltc_end: np.ndarray

    @property
    def frailty_moved(self) -> float:
        """The largest move of an age group's mean frailty normal, in sd."""
        return float(np.abs(self.frailty_end - self.frailty_start).max())

    @property
    def ltc_moved(self) -> float:
        """The largest relative move of an age band's mean LTC count."""
        held = self.ltc_start > 0
        return float(np.abs(self.ltc_end[held] / self.ltc_start[held] - 1.0).max(initial=0.0))


@dataclass(frozen=True)
class Step:
    shift: list[float]  # the profile simulated at this step
    incidence: list[float]  # the incidences simulated at this step
    drift: Drift


def problems(model: CareModel) -> list[str]:
    """Why the model's start profile cannot be stepped (its ages are not the groups' count)."""
    n = len(model.need.frailty_start_shift.ages)
    if n != len(GROUP_LOWER):
        return [
            f"{PROFILE_KEY}: expected {len(GROUP_LOWER)} ages, one per age group starting at "
            f"{', '.join(str(a) for a in GROUP_LOWER)} (got {n})"
        ]
    return []


def _means(rep: Replication) -> tuple[np.ndarray, np.ndarray]:
    pop, model = rep.sys.pop, rep.model
    sigma = model.need.frailty_sigma.value
    normal = (np.log(np.maximum(pop.frailty, 1e-300)) + 0.5 * sigma * sigma) / sigma
    group = age_band(pop.age, np.asarray(GROUP_LOWER, dtype=float))
    band = age_band(pop.age, np.asarray(model.population.age_band_lower.value))
    frailty = np.array([normal[pop.alive & (group == g)].mean() for g in range(len(GROUP_LOWER))])
    ltc = np.array([pop.ltc[pop.alive & (band == b)].mean() for b in range(band.max() + 1)])
    return frailty, ltc


def drift_one(model: CareModel, scale: float, seed: int) -> Drift:
    """One replication's means before its first day and after its last."""
    rep = Replication(model, 0, seed, years=YEARS, scale=scale)
    frailty_start, ltc_start = _means(rep)
    rep.run()
    frailty_end, ltc_end = _means(rep)
    return Drift(frailty_start, frailty_end, ltc_start, ltc_end)


def with_start_state(model: CareModel, shift: list[float], incidence: list[float]) -> CareModel:
    data = model.model_dump()
    data["need"]["frailty_start_shift"]["value"] = list(shift)
    data["population"]["ltc_incidence"]["value"] = list(incidence)
    return CareModel.model_validate(data)


def next_values(shift: list[float], incidence: list[float], drift: Drift) -> tuple[list[float], list[float]]:
    """One fixed-point step: the profile takes the groups' move, the incidences make up the bands'
    lost (or gained) conditions over the simulated years."""
    years = YEARS + 1  # the warm-up year counts: conditions arise in it too
    new_shift = np.asarray(shift) + (drift.frailty_end - drift.frailty_start)
    new_incidence = np.clip(np.asarray(incidence) + (drift.ltc_start - drift.ltc_end) / years, 0.0, 1.0)
    return [round(float(v), 3) for v in new_shift], [round(float(v), 4) for v in new_incidence]


def mean_drift(model: CareModel, scale: float, seeds: list[int], jobs: int) -> Drift:
    each = Parallel(n_jobs=jobs)(delayed(drift_one)(model, scale, s) for s in seeds)
    return Drift(*(np.mean([getattr(d, f) for d in each], axis=0) for f in Drift.__dataclass_fields__))


def derive(
    model: CareModel,
    scale: float,
    seeds: list[int],
    steps: int,
    jobs: int,
    progress: Callable[[str], None] = lambda line: None,
) -> list[Step]:
    """Run ``steps`` fixed-point steps from the model's own values; each step simulates its values
    on every seed and proposes the next."""
    shift = list(model.need.frailty_start_shift.value)
    incidence = list(model.population.ltc_incidence.value)
    out: list[Step] = []
    for i in range(steps):
        progress(f"step {i + 1}/{steps}: {len(seeds)} replication(s) at scale {scale} on {jobs} job(s)")
        drift = mean_drift(with_start_state(model, shift, incidence), scale, seeds, jobs)
        out.append(Step(shift, incidence, drift))
        progress(f"  largest move: frailty {drift.frailty_moved:.3f} sd, LTC count {100 * drift.ltc_moved:.1f}%")
        shift, incidence = next_values(shift, incidence, drift)
    return out
