"""Each cost-tree leaf's need multiplier, fitted by a damped fixed point so that the leaf's
simulated mean cost, at the tree's level (calibration/measure.py), meets the tree's.

The level of cost is the total spend's and the column scales' to set: the tree gives how cost is
shared across leaves, so the step moves each leaf relative to leaf 0.
"""

from __future__ import annotations

import copy

import numpy as np

from calibration.targets import tree_means

LEAVES = 18
UNIT = "multiplier of the leaf's tree mean cost"


def leaf_targets() -> np.ndarray:
    """GBP per person per year for each leaf: the tree's means (what a leaf's cost at the tree's
    level is compared with)."""
    return tree_means().reindex(range(LEAVES)).to_numpy(float)


def multipliers(data: dict) -> np.ndarray:
    node = data["need"].get("segment_need_multiplier")
    return np.ones(LEAVES) if node is None else np.asarray(node["value"], float)


def with_multipliers(data: dict, m: np.ndarray) -> dict:
    """A copy of the model data with these leaf multipliers (the fitted file gives them its source)."""
    out = copy.deepcopy(data)
    out["need"]["segment_need_multiplier"] = {
        "value": [round(float(v), 6) for v in m],
        "unit": UNIT,
        "source": "assumption (to calibrate)",
    }
    return out


def simulated(achieved: dict[str, float]) -> np.ndarray:
    """Each leaf's simulated mean cost, NaN where the simulation did not populate it."""
    return np.array([achieved.get(f"tree:{k}", np.nan) for k in range(LEAVES)])


def elasticity(
    m_before: np.ndarray,
    cost_before: np.ndarray,
    m: np.ndarray,
    cost: np.ndarray,
    floor: float = 0.15,
    ceiling: float = 1.5,
    min_move: float = 0.03,
) -> np.ndarray:
    """Each leaf's d log cost / d log multiplier, by secant between two iterates.

    Cost answers to need well below one for one in leaves whose cost is mostly capacity-bound
    social care (about 0.2 measured for two LTCs), where a step that assumed one would crawl. A
    leaf that moved less than ``min_move`` in log, or whose cost moved the wrong way on noise,
    keeps 1."""
    dm = np.log(m) - np.log(m_before)
    with np.errstate(invalid="ignore", divide="ignore"):
        dc = np.log(cost) - np.log(cost_before)
        e = dc / dm
    ok = (np.abs(dm) >= min_move) & np.isfinite(e) & (e > 0)
    return np.where(ok, np.clip(e, floor, ceiling), 1.0)


def step(
    m: np.ndarray,
    achieved: dict[str, float],
    damping: float = 0.8,
    max_factor: float = 1.5,
    target: np.ndarray | None = None,
    elasticity: np.ndarray | None = None,
) -> np.ndarray:
    """One damped fixed-point step: scale each leaf's need by (target / simulated) ** (damping /
    elasticity), relative to leaf 0 (the level of cost is the column scales' to set, not the
    leaves').

    With the elasticity of each leaf's cost known (``elasticity``; one if not), a damping below 1
    converges without overshooting; a leaf the simulation did not populate keeps its multiplier."""
    target = leaf_targets() if target is None else target
    sim = simulated(achieved)
    power = damping / (np.ones(LEAVES) if elasticity is None else elasticity)
    ratio = np.where(np.isfinite(sim) & (sim > 0), target / np.where(sim > 0, sim, 1.0), 1.0)
    out = m * np.clip(ratio**power, 1 / max_factor, max_factor)
    return out / out[0]  # leaf 0 keeps the tree's mean as its need; the column scales carry the level


class FixedPoint:
    """The leaves' iteration with its memory: each step after the first uses the secant elasticity
    between the last two iterates."""

    def __init__(self, target: np.ndarray | None = None, damping: float = 0.8) -> None:
        self.target = leaf_targets() if target is None else target
        self.damping = damping
        self.last: tuple[np.ndarray, np.ndarray] | None = None
        self.e = np.ones(LEAVES)

    def __call__(self, m: np.ndarray, achieved: dict[str, float]) -> np.ndarray:
        cost = simulated(achieved)
        if self.last is not None:
            fresh = elasticity(*self.last, m, cost)
            moved = fresh != 1.0
            self.e = np.where(moved, fresh, self.e)  # a leaf that held still keeps its last estimate
        self.last = (m.copy(), cost)
        return step(m, achieved, self.damping, target=self.target, elasticity=self.e)
