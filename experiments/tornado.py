"""Which intervention's effect range moves net savings most (`wsic tornado`).

For each intervention whose effects have a range, its effects are pinned at the favourable end of
every range, then at the unfavourable end, the others sampled as usual, on the same replications
as the comparator (experiments/effect_runs.py). The bar spans the mean five-year discounted net
savings at the two ends; its length is how much that intervention's evidence leaves open.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from joblib import Parallel, delayed

from experiments.effect_runs import Pairing, comparator_runs, discounted_net, pinned, progress, save_search
from experiments.interval import half_width
from models.schema import CareModel

ENDS = ("favourable", "unfavourable")
SAMPLED = "sampled"  # the run with every effect sampled as usual: the chart's centre line
FILE = "tornado.csv"  # the summary, beside a run's results (the report shows it)


def ranged(model: CareModel) -> list[str]:
    """The interventions with at least one effect whose range is not a single value."""
    return [n for n, iv in model.interventions.items() if any(len(set(m.effect.bounds())) > 1 for m in iv.mechanisms)]


def tornado(
    models: list[CareModel],
    comparator: CareModel,
    reps: int,
    seed: int,
    years: int,
    scale: float,
    jobs: int = 1,
    show_progress: bool = True,
) -> pd.DataFrame:
    """Per scenario, intervention, range end and replication: discounted net savings (GBP)."""
    p = Pairing(comparator, seed, years, scale)
    parallel = Parallel(n_jobs=jobs, return_as="generator")
    bases = comparator_runs(p, reps, parallel, show_progress)
    tasks = [(m, name, end, r) for m in models for name in ranged(m) for end in ENDS for r in range(reps)]
    tasks += [(m, SAMPLED, SAMPLED, r) for m in models for r in range(reps)]  # every effect as sampled
    runs = parallel(
        delayed(discounted_net)(p, bases[r], m if name == SAMPLED else pinned(m, name, end), r)
        for m, name, end, r in tasks
    )
    nets = progress(runs, len(tasks), "tornado runs", "run", show_progress)
    rows = [
        {"scenario": m.meta.name, "intervention": name, "end": end, "replication": r, "net_gbp": net}
        for (m, name, end, r), net in zip(tasks, nets, strict=True)
    ]
    return pd.DataFrame(rows)


def summarise(per_rep: pd.DataFrame) -> pd.DataFrame:
    """Per intervention: mean discounted net savings (GBP m) at each end with 95% t-intervals, the
    swing between them (largest first), and the scenario's with every effect sampled."""
    rows = []
    centre = per_rep[per_rep.intervention == SAMPLED].groupby("scenario").net_gbp.mean() / 1e6
    for (scenario, name), g in per_rep[per_rep.intervention != SAMPLED].groupby(
        ["scenario", "intervention"], sort=False
    ):
        row = {
            "scenario": scenario,
            "intervention": name,
            "net_sampled_gbp_m": float(centre.get(scenario, float("nan"))),
        }
        for end in ENDS:
            v = g[g.end == end].net_gbp / 1e6
            row[f"net_{end}_gbp_m"] = float(v.mean())
            row[f"net_{end}_half_width"] = float(half_width(v.std(ddof=1), len(v)))
        row["swing_gbp_m"] = abs(row["net_favourable_gbp_m"] - row["net_unfavourable_gbp_m"])
        rows.append(row)
    return pd.DataFrame(rows).sort_values(["scenario", "swing_gbp_m"], ascending=[True, False], ignore_index=True)


def save(out: Path, per_rep: pd.DataFrame, settings: dict) -> Path:
    """Write the summary (with the runs' settings on every row) and the replications' figures."""
    return save_search(out, "tornado", per_rep, summarise(per_rep), settings)


def describe(summary: pd.DataFrame) -> str:
    """The summary as the terminal shows it, largest swing first."""
    lines = []
    for scenario, g in summary.groupby("scenario", sort=False):
        lines.append(f"{scenario}: five-year discounted net savings, GBP m, with each intervention's effects at")
        lines.append(f"  {'intervention':34s} {'favourable end':>16s} {'unfavourable end':>18s} {'swing':>8s}")
        for r in g.itertuples():
            lines.append(
                f"  {r.intervention.replace('_', ' '):34s} {r.net_favourable_gbp_m:16.1f} "
                f"{r.net_unfavourable_gbp_m:18.1f} {r.swing_gbp_m:8.1f}"
            )
    return "\n".join(lines)
