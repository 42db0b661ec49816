"""The start's frailty profile by age and the LTC incidences by age band under which business as
usual holds each age group level: fixed-point steps on what six simulated years move.

The population is drawn from cross-sectional prevalences, but the simulation then ages it, lets
the frailest die and new conditions arise: unless the start is where those flows keep it, every
age group drifts and business as usual is not stationary within age (issue 16). Both sets of
values are assumptions derived here, not fitted, and need re-deriving after a refit. The start's
need has already been through the deaths' selection at fixed age (sim/start_population.py); the
profile holds what ageing, moves and newcomers then move. Each step compares the start with the
start of the sixth simulated year, both before a year's deaths."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed

from models.schema import CareModel
from sim.population import age_band, frailty_normal
from sim.replication import Replication

# the age groups whose mean frailty the profile holds, by lower bound (the last is open), and the
# profile's age for each: the group's mid-age (97 for the 95+)
GROUP_LOWER = (0, 18, 30, 45, 55, 65, 70, 75, 80, 83, 85, 87, 90, 95)
GROUP_AGES = (9, 24, 37.5, 50, 60, 67.5, 72.5, 77.5, 81.5, 84, 86, 88.5, 92.5, 97)
PROFILE_KEY = "need.frailty_start_shift"
# reported years after the warm-up: six simulated years in all, the span of the fit's longitudinal
# rows; the end is read at the start of the last, five years of change after the start
YEARS = 5


class StartStateError(ValueError):
    """A run that cannot measure every group (a sample too small to hold someone in each)."""


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
        """The largest relative move of an age band's mean LTC count (bands with none at the start aside)."""
        held = self.ltc_start > 0
        return float(np.abs(self.ltc_end[held] / self.ltc_start[held] - 1.0).max(initial=0.0))


@dataclass(frozen=True)
class Step:
    shift: list[float]  # the profile simulated at this step
    incidence: list[float]  # the incidences simulated at this step
    drift: Drift
    next_shift: list[float]  # what the step proposes
    next_incidence: list[float]


def problems(model: CareModel) -> list[str]:
    """Why the model's start cannot be stepped: no profile, one not at the groups' ages, no spread."""
    profile = model.need.frailty_start_shift
    if profile is None:
        return [f"{PROFILE_KEY}: expected a profile at the ages {list(GROUP_AGES)} (the model has none)"]
    out = []
    if tuple(profile.ages) != GROUP_AGES:
        out.append(
            f"{PROFILE_KEY}: expected ages {list(GROUP_AGES)}, the mid-ages of the groups starting at "
            f"{', '.join(str(a) for a in GROUP_LOWER)} (got {list(profile.ages)})"
        )
    sigma = model.need.frailty_sigma.value
    if sigma <= 0:
        out.append(f"need.frailty_sigma: expected above 0, a spread of frailty to hold level (got {sigma})")
    return out


def simulated_years_of_change(model: CareModel) -> int:
    """How many times a replication ages its residents and draws new conditions: at the start of
    every simulated year but the first."""
    return model.run.warmup_years.value + YEARS - 1


def _sums(rep: Replication) -> np.ndarray:
    """Per age group, the count and sum of the frailty normal; per band, the count and LTC sum."""
    pop, model = rep.sys.pop, rep.model
    sigma = model.need.frailty_sigma.value
    alive = pop.alive
    normal = frailty_normal(pop.frailty[alive], sigma)
    age = pop.age[alive]
    lower = np.asarray(model.population.age_band_lower.value)
    group = age_band(age, np.asarray(GROUP_LOWER, dtype=float))
    band = age_band(age, lower)
    g, b = len(GROUP_LOWER), lower.size
    return np.concatenate(
        [
            np.bincount(group, minlength=g),
            np.bincount(group, weights=normal, minlength=g),
            np.bincount(band, minlength=b),
            np.bincount(band, weights=pop.ltc[alive].astype(float), minlength=b),
        ]
    )


def sums_one(model: CareModel, scale: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One replication's counts and sums at the start and at the start of its last year, each
    before any of the year's deaths: read after the last day instead, the end also held a year
    of deaths' selection that no start carries, and the steps moved the old's start below where
    the dynamics keep each year's start."""
    rep = Replication(model, 0, seed, years=YEARS, scale=scale)
    before = _sums(rep)
    last = simulated_years_of_change(model)
    after: list[np.ndarray] = []
    rep.year_probes.append(lambda y: after.append(_sums(rep)) if y == last else None)
    rep.run()
    return before, after[0]


def _pooled_means(sums: np.ndarray, n_bands: int, when: str, scale: float) -> tuple[np.ndarray, np.ndarray]:
    g = len(GROUP_LOWER)
    counts_g, sum_g = sums[:g], sums[g : 2 * g]
    counts_b, sum_b = sums[2 * g : 2 * g + n_bands], sums[2 * g + n_bands :]
    empty = [f"{GROUP_LOWER[i]}+" for i in np.flatnonzero(counts_g == 0)]
    empty += [f"band {i}" for i in np.flatnonzero(counts_b == 0)]
    if empty:
        raise StartStateError(
            f"--scale {scale}: no living resident {when} in {', '.join(empty)} on any seed; "
            "a larger scale or more seeds is needed"
        )
    return sum_g / counts_g, sum_b / counts_b


def mean_drift(model: CareModel, scale: float, seeds: list[int], jobs: int) -> Drift:
    """Each group's mean over all seeds' residents together (a group empty on one seed is still measured)."""
    each = Parallel(n_jobs=jobs)(delayed(sums_one)(model, scale, s) for s in seeds)
    n_bands = len(model.population.age_band_lower.value)
    f0, l0 = _pooled_means(np.sum([e[0] for e in each], axis=0), n_bands, "at the start", scale)
    f1, l1 = _pooled_means(np.sum([e[1] for e in each], axis=0), n_bands, "at the end", scale)
    return Drift(f0, f1, l0, l1)


def with_start_state(model: CareModel, shift: list[float], incidence: list[float]) -> CareModel:
    data = model.model_dump()
    data["need"]["frailty_start_shift"]["value"] = list(shift)
    data["population"]["ltc_incidence"]["value"] = list(incidence)
    return CareModel.model_validate(data)


def next_values(
    shift: list[float], incidence: list[float], drift: Drift, years_of_change: int
) -> tuple[list[float], list[float]]:
    """One fixed-point step: the profile takes each group's move, and each band's incidence makes
    up the conditions it lost (or gained) a year. The step is damped, not exact: a group's mean
    also follows its neighbours' profile values (linear between ages), and frailty's regression
    and the newcomers, who are drawn unshifted, pass on only part of a shift; repeated steps
    converge on the same point."""
    new_shift = np.asarray(shift) + (drift.frailty_end - drift.frailty_start)
    new_incidence = np.clip(np.asarray(incidence) + (drift.ltc_start - drift.ltc_end) / years_of_change, 0.0, 1.0)
    return [round(float(v), 3) for v in new_shift], [round(float(v), 4) for v in new_incidence]


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
    years = simulated_years_of_change(model)
    out: list[Step] = []
    for i in range(steps):
        progress(f"step {i + 1}/{steps}: {len(seeds)} replication(s) at scale {scale} on {jobs} job(s)")
        drift = mean_drift(with_start_state(model, shift, incidence), scale, seeds, jobs)
        progress(f"  largest move: frailty {drift.frailty_moved:.3f} sd, LTC count {100 * drift.ltc_moved:.1f}%")
        next_shift, next_incidence = next_values(shift, incidence, drift, years)
        out.append(Step(shift, incidence, drift, next_shift, next_incidence))
        shift, incidence = next_shift, next_incidence
    return out
