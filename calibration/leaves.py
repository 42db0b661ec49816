"""Each cost-tree leaf's need multiplier, fitted by a damped fixed point so that the leaf's
simulated mean cost meets the tree's.

The tree's own sample costs GBP 1,385 a head, the tri-borough's strata table GBP 1,263 (GBP 589.5m
over 466,920 people), so the leaf targets are the tree's means scaled by the ratio: then the tree
and the total can both hold, and each leaf sits about 9% under the tree, inside its 15% band.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from calibration.targets import DATA, strata_table

LEAVES = 18
UNIT = "multiplier of the leaf's tree mean cost"


def leaf_targets() -> np.ndarray:
    """GBP per person per year for each leaf, scaled to the tri-borough's spend per head."""
    tree = pd.read_csv(DATA / "cost_tree.csv").sort_values("leaf")
    totals = pd.read_csv(DATA / "totals_2010.csv").set_index("measure").value
    per_head = float(totals["total_spend"]) * 1e6 / float(strata_table().population.sum())
    tree_mean = float(np.average(tree.mean_cost, weights=tree.n))
    return tree.mean_cost.to_numpy(float) * per_head / tree_mean


def multipliers(data: dict) -> np.ndarray:
    node = data["need"].get("segment_need_multiplier")
    return np.ones(LEAVES) if node is None else np.asarray(node["value"], float)


def with_multipliers(data: dict, m: np.ndarray, source: str = "assumption (to calibrate)") -> dict:
    out = copy.deepcopy(data)
    out["need"]["segment_need_multiplier"] = {
        "value": [round(float(v), 6) for v in m],
        "unit": UNIT,
        "source": source,
    }
    return out


def step(
    m: np.ndarray,
    achieved: dict[str, float],
    damping: float = 0.8,
    max_factor: float = 1.5,
    target: np.ndarray | None = None,
) -> np.ndarray:
    """One damped fixed-point step: scale each leaf's need by (target / simulated) ** damping,
    relative to leaf 0 (the level of cost is the column scales' to set, not the leaves').

    Leaf cost rises with need at an elasticity near 1, so a damping below 1 converges without
    overshooting; a leaf the simulation did not populate keeps its multiplier."""
    target = leaf_targets() if target is None else target
    sim = np.array([achieved.get(f"tree:{k}", np.nan) for k in range(LEAVES)])
    ratio = np.where(np.isfinite(sim) & (sim > 0), target / np.where(sim > 0, sim, 1.0), 1.0)
    out = m * np.clip(ratio**damping, 1 / max_factor, max_factor)
    return out / out[0]  # leaf 0 keeps the tree's mean as its need; the column scales carry the level
