"""What would it take: the multiplier on a scenario's effects at which its five-year discounted net
savings reach zero (`wsic breakeven`).

For each replication, the net savings at k times every effect (experiments/effect_runs.py) are
found at k = 0 (no effect: minus the investment), then k = 1, 2, 4 ... until they turn positive
or k passes K_MAX, and the root between is found by Brent's method to within XTOL. Each
replication's root is its own break-even; the figure is their mean with a 95% t-interval, and the
share of replications in which no k up to K_MAX pays back is reported beside it. A board reads:
"the interventions would need to be 2.3 times as effective as the evidence suggests to pay back".
With ``per_intervention``, the same search scales one intervention's effects at a time, the
others as the evidence has them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.optimize import brentq

from experiments.effect_runs import Pairing, comparator_runs, discounted_net, progress, save_search, scaled
from experiments.interval import half_width
from models.schema import CareModel

K_MAX = 32.0  # effects 32 times the evidence's: beyond it a scenario is said not to pay back
XTOL = 0.05  # the root's tolerance, in multiples of the evidence's effects
ALL = "all interventions"
FILE = "breakeven.csv"  # the summary, beside a run's results (the report shows it)


def replication_breakeven(p: Pairing, base: pd.DataFrame, model: CareModel, rep: int, only: str | None) -> dict:
    """One replication's break-even multiplier (inf if none up to K_MAX) and the runs it took."""
    seen: dict[float, float] = {}

    def net(k: float) -> float:
        if k not in seen:
            seen[k] = discounted_net(p, base, scaled(model, k, only), rep)
        return seen[k]

    lo, hi = 0.0, 1.0
    if net(lo) >= 0:
        root = 0.0  # pays back with this one's effects at none (the others pay for it)
    else:
        while net(hi) < 0 and hi < K_MAX:
            lo, hi = hi, hi * 2
        root = brentq(net, lo, hi, xtol=XTOL) if net(hi) >= 0 else math.inf
    return {
        "intervention": only or ALL,
        "replication": rep,
        "breakeven": root,
        "net_at_evidence_gbp": net(1.0),
        "runs": len(seen),
    }


def breakeven(
    models: list[CareModel],
    comparator: CareModel,
    reps: int,
    seed: int,
    years: int,
    scale: float,
    jobs: int = 1,
    per_intervention: bool = False,
    show_progress: bool = True,
) -> pd.DataFrame:
    """Every scenario's break-even multiplier per replication (and per intervention if asked)."""
    p = Pairing(comparator, seed, years, scale)
    parallel = Parallel(n_jobs=jobs, return_as="generator")
    bases = comparator_runs(p, reps, parallel, show_progress)
    tasks = []
    for model in models:
        targets = [None, *(model.interventions if per_intervention else ())]
        tasks += [(model, only, r) for only in targets for r in range(reps)]
    searches = parallel(delayed(_task)(p, bases[r], model, r, only) for model, only, r in tasks)
    rows = progress(searches, len(tasks), "break-even searches", "search", show_progress)
    return pd.DataFrame(list(rows))


def _task(p: Pairing, base: pd.DataFrame, model: CareModel, rep: int, only: str | None) -> dict:
    return {"scenario": model.meta.name, **replication_breakeven(p, base, model, rep, only)}


def summarise(per_rep: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and intervention: the mean break-even with its 95% t-interval over the
    replications that pay back within K_MAX (optimistic where some do not), the median over all of
    them (those that do not counting as never), and the share that do not."""
    rows = []
    for (scenario, iv), g in per_rep.groupby(["scenario", "intervention"], sort=False):
        finite = g.breakeven[np.isfinite(g.breakeven)]
        n = len(finite)
        mean = float(finite.mean()) if n else math.inf
        half = float(half_width(finite.std(ddof=1), n)) if n > 1 else math.nan
        rows.append(
            {
                "scenario": scenario,
                "intervention": iv,
                "replications": len(g),
                "breakeven_median": float(np.median(g.breakeven)),  # over all, those never paying at inf
                "breakeven_mean": mean,
                "ci_low": mean - half if math.isnan(half) else max(0.0, mean - half),  # never below none
                "ci_high": mean + half,
                "share_not_paying_back": 1 - n / len(g),
                "net_at_evidence_gbp_m": float(g.net_at_evidence_gbp.mean()) / 1e6,
            }
        )
    return pd.DataFrame(rows)


def save(out: Path, per_rep: pd.DataFrame, settings: dict) -> Path:
    """Write the summary (with the search's settings on every row) and the replications' roots."""
    return save_search(out, "breakeven", per_rep, summarise(per_rep), settings)


def describe(summary: pd.DataFrame, years: int) -> str:
    """The summary as the terminal shows it: how many times the evidence's effects pay back."""
    lines = []
    for r in summary.itertuples():
        who = (
            "every intervention's effects" if r.intervention == ALL else f"{r.intervention.replace('_', ' ')}'s effects"
        )
        net = f"(discounted net savings at the evidence's effects: GBP {r.net_at_evidence_gbp_m:,.1f}m)"
        if math.isinf(r.breakeven_mean):
            lines.append(f"{r.scenario}: {who} pay back in {years} years at no multiplier up to {K_MAX:g} {net}")
            continue
        if r.breakeven_mean == 0 and r.share_not_paying_back == 0:
            lines.append(f"{r.scenario}: pays back in {years} years with {who} at none {net}")
            continue
        text = f"{r.breakeven_mean:.2f} times as effective"
        if not math.isnan(r.ci_low):
            text += f" ({r.ci_low:.2f} to {r.ci_high:.2f})"
        lines.append(f"{r.scenario}: {who} would need to be {text} to pay back in {years} years {net}")
        if r.share_not_paying_back > 0:
            median = "never" if math.isinf(r.breakeven_median) else f"{r.breakeven_median:.2f}"
            lines.append(
                f"  in {r.share_not_paying_back:.0%} of replications no multiplier up to {K_MAX:g} pays back "
                f"(the mean is of the others); the median over all is {median}"
            )
    return "\n".join(lines)
