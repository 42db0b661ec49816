"""Fit the free parameters by minimising tolerance-weighted error against the 2010/11 targets.

The objective runs the simulation on fixed seeds (common random numbers, so it moves smoothly
with the parameters) for two years after the warm-up, measures the cross-section on year 1 and
persistence, the age gradient and the stock of home care on both (calibration/longitudinal.py),
and returns each target's error divided by its acceptance band, so |residual| <= 1 means within
tolerance. scipy.optimize.least_squares (trust region reflective, bounded) minimises the sum of
squares (of the residuals as ``aimed`` gives them with ``--aim-within``); its Jacobian is
taken by finite differences run in parallel. Every evaluation is cached on disk, so an
interrupted fit resumes by replaying the cache.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from pydantic import ValidationError
from scipy.optimize import least_squares

from calibration import leaves, longitudinal
from calibration.measure import MEASURE_VERSION, achieved, achieved_one, mean_of
from calibration.parameters import DEFAULT_FREE, NAMES, PARAMETERS, apply, start
from calibration.targets import Target, load_targets
from experiments.files import write_text
from models.schema import CareModel
from sim.replication import RESULTS_VERSION, run_replication


@dataclass
class FitSpec:
    scale: float = 0.25
    seeds: tuple[int, ...] = (101, 102, 103, 104)
    jobs: int = 2
    max_evaluations: int = 6  # optimiser steps per round (each with a Jacobian of the free parameters)
    rounds: int = 4  # rounds of (leaf fixed point, optimiser)
    leaf_steps: int = 2  # fixed-point steps on the leaves' need per round (0: leave the leaves alone)
    free: tuple[int, ...] | None = None  # indices of the parameters to fit; the rest stay at x0
    aim_within: float = 0.0  # a row's error inside this fraction of its band counts INSIDE_WEIGHT (``aimed``)


def objective_targets() -> list[Target]:
    """What the fit aims at: the 2010/11 cross-section and the longitudinal rows marked fitted."""
    return load_targets() + longitudinal.load_targets("fitted")


def simulate(data: dict, x: np.ndarray, scale: float, seed: int, years: int = 1) -> pd.DataFrame:
    """The person log of years 1 .. ``years`` of one replication with the vector applied (year 1
    is a year whatever the horizon, so a longer run does not move it)."""
    model = CareModel.model_validate(apply(data, x))
    return run_replication(model, 0, seed, years=years, scale=scale, person_log=True).persons


def _evaluate_one(
    data: dict, x: np.ndarray, scale: float, seed: int, years: int = longitudinal.YEARS
) -> dict[str, float]:
    """One seed's results: a task of its own, so seeds of one point run on different cores.

    A point whose model the schema refuses (a step that gives the resident of highest need more
    crises than a run can hold, say) has no results: every target counts as missing, which the
    objective scores as far out of band, so the optimiser steps back rather than the fit stopping."""
    try:
        persons = simulate(data, x, scale, seed, years)
    except ValidationError:
        return {}
    first = persons[persons.year == 1].reset_index(drop=True)
    return {**achieved_one(first), **longitudinal.every_measure(persons)}


def residuals(ach: dict[str, float], targets: list[Target]) -> np.ndarray:
    return np.array([(ach.get(t.name, np.nan) - t.value) / t.tolerance for t in targets], dtype=float)


# assumption: inside its aim a row still pulls a tenth as hard, so the optimiser keeps a slope there
INSIDE_WEIGHT = 0.1


def aimed(r: np.ndarray, within: float) -> np.ndarray:
    """Residuals (in bands) as the optimiser sees them when it aims every row within ``within`` of
    its band rather than at its centre. The acceptance test is a band, and a plain sum of squares
    lets rows well inside theirs hold another outside (two rows from 0.3 to 0.7 cost more than one
    from 1.2 to 0.9): a row counts a tenth of its error, and beyond the aim its excess as well.
    Continuous at the aim; ``within`` 0 leaves the residuals as they are."""
    if within <= 0:
        return r
    return np.sign(r) * np.maximum(np.abs(r) - within, 0.0) + INSIDE_WEIGHT * r


@dataclass
class Objective:
    data: dict
    spec: FitSpec
    cache_path: Path | None = None
    targets: list[Target] = field(default_factory=objective_targets)
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr)
    evaluations: int = 0

    def __post_init__(self) -> None:
        self.cache: dict[str, dict] = {}
        if self.cache_path is not None and self.cache_path.exists():
            self.cache = json.loads(self.cache_path.read_text())
        self.best: tuple[float, np.ndarray] | None = None
        # the vector is relative to the start's priors, so the start is part of every key: a cache
        # left by a fit from another start (an earlier fitted file) is never mistaken for this one's
        self.start = hashlib.sha256(json.dumps(self.data, sort_keys=True).encode()).hexdigest()[:16]
        self.years = longitudinal.years_needed(self.targets)

    def _key(self, x: np.ndarray) -> str:
        m = leaves.multipliers(self.data)
        return json.dumps(
            [
                RESULTS_VERSION,  # an earlier engine's results are not this one's
                MEASURE_VERSION,  # nor the same results measured as an earlier version did
                self.start,
                float(self.spec.scale),
                list(self.spec.seeds),
                *([] if self.years == longitudinal.YEARS else [self.years]),  # a two-year fit's keys as before
                [round(float(v), 9) for v in x],
                [round(float(v), 6) for v in m],
            ]
        )

    def achieved_many(self, xs: list[np.ndarray]) -> list[dict[str, float]]:
        """Results at the fit's scale, from the cache where it has them; every missing (point,
        seed) runs as one parallel task."""
        keys = [self._key(x) for x in xs]
        todo = {k: x for k, x in zip(keys, xs, strict=True) if k not in self.cache}
        if todo:
            s = self.spec.scale
            tasks = [(k, x, s, seed) for k, x in todo.items() for seed in self.spec.seeds]
            # a Jacobian's batch runs for minutes with nothing else to show, so say what it is and how long it took
            self.progress(f"  running {len(todo)} point(s) x {len(self.spec.seeds)} seed(s) on {self.spec.jobs} job(s)")
            began = time.perf_counter()
            each = Parallel(n_jobs=self.spec.jobs)(
                delayed(_evaluate_one)(self.data, x, s, seed, self.years) for _, x, s, seed in tasks
            )
            self.progress(f"  ran {len(tasks)} run(s) in {time.perf_counter() - began:.0f} s")
            by_point: dict[str, list[dict[str, float]]] = {k: [] for k in todo}
            for t, e in zip(tasks, each, strict=True):
                by_point[t[0]].append(e)
            self.cache.update({k: longitudinal.within_age(mean_of(e)) for k, e in by_point.items()})
            self.evaluations += len(todo)
            if self.cache_path is not None:
                write_text(json.dumps(self.cache), self.cache_path)
        return [self.cache[k] for k in keys]

    def _residuals(self, ach: dict[str, float]) -> np.ndarray:
        """Each target's error in bands, a missing result counted as far out (50 bands)."""
        return np.nan_to_num(residuals(ach, self.targets), nan=50.0)

    def fun(self, x: np.ndarray) -> np.ndarray:
        r = self._residuals(self.achieved_many([x])[0])
        f = aimed(r, self.spec.aim_within)
        cost = float(0.5 * np.sum(f * f))
        if self.best is None or cost < self.best[0]:
            self.best = (cost, x.copy())
        within = int(np.sum(np.abs(r) <= 1))
        self.progress(f"  cost {cost:10.2f}  within tolerance {within}/{len(r)}  worst {np.max(np.abs(r)):.1f}")
        return f

    def jac(self, x: np.ndarray, free: np.ndarray) -> np.ndarray:
        """Forward differences in the free parameters only, all runs in parallel."""
        steps = [
            PARAMETERS[k].step if x[k] + PARAMETERS[k].step <= PARAMETERS[k].upper else -PARAMETERS[k].step
            for k in free
        ]
        xs = [x.copy() for _ in free]
        for j, (k, h) in enumerate(zip(free, steps, strict=True)):
            xs[j][k] += h
        within = self.spec.aim_within
        base = aimed(self._residuals(self.achieved_many([x])[0]), within)
        cols = self.achieved_many(xs)
        J = np.empty((len(base), len(free)))
        for j, (ach, h) in enumerate(zip(cols, steps, strict=True)):
            J[:, j] = (aimed(self._residuals(ach), within) - base) / h
        return J


def fit(
    data: dict,
    spec: FitSpec,
    cache_path: Path | None = None,
    progress: Callable[[str], None] | None = None,
    x0: np.ndarray | None = None,
    targets: list[Target] | None = None,
) -> tuple[np.ndarray, Objective]:
    """Alternate a fixed point on the cost-tree leaves' need with optimiser steps on the vector.

    The leaves (18 multipliers) are fitted by a fixed point because each leaf's cost answers to its
    own multiplier alone, which a finite-difference Jacobian would pay 18 runs to learn. Returns
    the best vector of the last round and the objective, whose ``data`` carries the fitted leaves."""
    obj = Objective(data, spec, cache_path) if targets is None else Objective(data, spec, cache_path, targets)
    if progress is not None:
        obj.progress = progress
    x0 = np.clip(
        start(data) if x0 is None else np.asarray(x0, float),
        [p.lower for p in PARAMETERS],
        [p.upper for p in PARAMETERS],
    )
    free = np.array(spec.free if spec.free is not None else DEFAULT_FREE)

    def full(z: np.ndarray) -> np.ndarray:
        x = x0.copy()
        x[free] = z
        return x

    x = x0
    fixed_point = leaves.FixedPoint()
    for r in range(spec.rounds):
        fixed_point.last = None  # the vector moved since: no secant across rounds, but keep the elasticities
        for _ in range(spec.leaf_steps):
            ach = obj.achieved_many([x])[0]
            obj.data = leaves.with_multipliers(obj.data, fixed_point(leaves.multipliers(obj.data), ach))
        obj.best = None
        obj.progress(f"round {r + 1}/{spec.rounds}")
        least_squares(
            lambda z: obj.fun(full(z)),
            x[free],
            jac=lambda z: obj.jac(full(z), free),
            bounds=([PARAMETERS[k].lower for k in free], [PARAMETERS[k].upper for k in free]),
            method="trf",
            x_scale=np.array([PARAMETERS[k].step for k in free]),
            max_nfev=spec.max_evaluations,
            xtol=1e-4,
            ftol=1e-4,
        )
        x = x0 = obj.best[1]
    return x, obj


def check(
    data: dict, x: np.ndarray, scale: float = 1.0, reps: int = 5, jobs: int = 2, first_seed: int = 1
) -> tuple[dict[str, float], list[pd.DataFrame]]:
    """Mean over replications of year 1 after the warm-up, at the given scale (the acceptance test),
    with the longitudinal measures of years 1, 2, 5 and 6 (calibration/longitudinal.py), and the
    year-1 person logs it was measured on (the CBA what-if thins their activity)."""
    seeds = list(range(first_seed, first_seed + reps))
    both = Parallel(n_jobs=jobs)(delayed(simulate)(data, x, scale, s, longitudinal.CHECK_YEARS) for s in seeds)
    frames = [f[f.year == 1].reset_index(drop=True) for f in both]
    return {**achieved(frames), **longitudinal.measures(both)}, frames


def target_rows(targets: list[Target], ach: dict[str, float]) -> list[dict]:
    rows = []
    for t in targets:
        a = float(ach.get(t.name, float("nan")))
        rows.append(
            {
                "name": t.name,
                "group": t.group,
                "target": t.value,
                "achieved": a,
                "tolerance": t.tolerance,
                "within": bool(abs(a - t.value) <= t.tolerance),
            }
        )
    return rows


__all__ = ["NAMES", "FitSpec", "Objective", "check", "fit", "target_rows"]
