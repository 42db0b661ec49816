"""A scenario's five-year discounted net savings, replication by replication, with its effects
scaled or pinned: the ground of the break-even search (experiments/breakeven.py) and the tornado
chart (experiments/tornado.py).

Each run is paired with the comparator on the same seed and replication (common random numbers).
Scaling moves each effect's distance from no effect: a multiplier m becomes 1 + k (m - 1) and a
probability p becomes k p (each held within its bounds). Uniform and triangular draws are affine
in their parameters, so the same random number gives the same sampled effect, scaled: k moves
every replication's effects together and smoothly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from joblib import Parallel, delayed
from tqdm import tqdm

from experiments.economics import paired_yearly
from experiments.files import write_csv
from models.schema import CareModel, Effect, Mechanism
from sim.replication import run_replication

MULTIPLIERS = ("hazard", "shorten")  # kinds whose effect is a multiplier (1 is no effect); the rest are probabilities


def scaled_effect(effect: Effect, kind: str, k: float) -> Effect:
    """The effect k times as far from no effect."""

    def move(x: float | None) -> float | None:
        if x is None:
            return None
        if kind in MULTIPLIERS:
            return max(0.0, 1.0 + k * (x - 1.0))
        return min(1.0, max(0.0, k * x))

    return effect.model_copy(update={key: move(getattr(effect, key)) for key in ("value", "low", "mode", "high")})


def pinned_effect(effect: Effect, kind: str, end: str) -> Effect:
    """The effect fixed at the favourable or the unfavourable end of its range (for a multiplier
    the low end is favourable, for a probability of a better path the high end)."""
    lo, hi = effect.bounds()
    favourable = lo if kind in MULTIPLIERS else hi
    unfavourable = hi if kind in MULTIPLIERS else lo
    value = favourable if end == "favourable" else unfavourable
    return effect.model_copy(update={"distribution": "fixed", "value": value})


def with_effects(model: CareModel, change) -> CareModel:
    """The model with each mechanism's effect replaced by change(intervention name, mechanism)."""
    ivs = {}
    for name, iv in model.interventions.items():
        mechanisms = [m.model_copy(update={"effect": change(name, m)}) for m in iv.mechanisms]
        ivs[name] = iv.model_copy(update={"mechanisms": mechanisms})
    return model.model_copy(update={"interventions": ivs})


def scaled(model: CareModel, k: float, only: str | None = None) -> CareModel:
    """Every intervention's effects k times as far from no effect, or only one intervention's."""

    def change(name: str, m: Mechanism) -> Effect:
        return scaled_effect(m.effect, m.kind, k) if only is None or name == only else m.effect

    return with_effects(model, change)


def pinned(model: CareModel, name: str, end: str) -> CareModel:
    """One intervention's effects fixed at an end of their ranges; the others sampled as usual."""
    return with_effects(model, lambda n, m: pinned_effect(m.effect, m.kind, end) if n == name else m.effect)


@dataclass(frozen=True)
class Pairing:
    """What every run of a search shares: the comparator and the run's settings."""

    comparator: CareModel
    seed: int
    years: int
    scale: float


def comparator_results(p: Pairing, rep: int) -> pd.DataFrame:
    return run_replication(p.comparator, rep, p.seed, p.years, p.scale, scenario="comparator").results


def discounted_net(p: Pairing, base: pd.DataFrame, model: CareModel, rep: int) -> float:
    """The scenario's net savings over the run's years, discounted at 3.5%, against the comparator's
    replication ``base`` (GBP)."""
    own = run_replication(model, rep, p.seed, p.years, p.scale, scenario="scenario").results
    paired = paired_yearly(pd.concat([base, own], ignore_index=True), "comparator")
    return float((paired["net_savings"] * paired["discount_factor"]).sum())


def progress(jobs: Iterable, total: int, desc: str, unit: str, show: bool) -> Iterable:
    return tqdm(jobs, total=total, desc=desc, unit=unit, disable=not show)


def comparator_runs(p: Pairing, reps: int, parallel: Parallel, show: bool) -> list[pd.DataFrame]:
    """The comparator's replications, run once and paired with every run of a search."""
    runs = parallel(delayed(comparator_results)(p, r) for r in range(reps))
    return list(progress(runs, reps, "comparator", "rep", show))


def save_search(out: Path, name: str, per_rep: pd.DataFrame, summary: pd.DataFrame, settings: dict) -> Path:
    """DIR/NAME.csv, the summary with the search's settings on every row (the report shows it), and
    DIR/NAME_replications.csv beside it."""
    write_csv(per_rep, out / f"{name}_replications.csv")
    write_csv(summary.assign(**settings), out / f"{name}.csv")
    return out / f"{name}.csv"
