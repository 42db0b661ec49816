"""What a sizing run answers: each service level and the yearly cost against FTE with their
confidence bands and queueing theory's bound, the least staffing that meets every service level,
the cost-optimal staffing and how flat the optimum is, and the runs the allocation saved.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from experiments.erlang import mean_wait, p_within, p_within_by_hour
from experiments.service_levels import level_key
from experiments.sizing import (
    INDIFFERENCE,
    SizingRunResult,
    cost_differences,
    swept_boroughs,
    verdict,
    yearly_cost,
)
from models.schema import CareModel
from models.sizing import LoadedSizing, ServiceLevel
from models.vocabulary import HOURS_PER_DAY, SHARE_LEVELS
from sim.arrival_clock import ArrivalClock
from sim.workforce import servers_on_duty

COST = "cost_per_year_vs_lowest_level"  # GBP a year: staff and valued outcomes, less the lowest level's


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return (math.nan,) * 3
    mean = float(values.mean())
    if values.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size))
    return mean, mean - half, mean + half


def theory(model: CareModel, role: str, fte: float, measure: str, arrivals_per_day: float) -> float:
    """Queueing theory's approximation of a service level at this FTE (nan where none applies): the
    pool's own servers, on its rota, fixed-length jobs, and the arrivals the simulation gave it (the
    most any level served: a pool that cannot keep up serves fewer than ask), by the hour crises
    come at where they follow the model's profile of crises."""
    spec = model.workforce[role]
    by_hour, stretch = servers_on_duty(fte, spec.productive_hours.value, spec.rota)
    lam = arrivals_per_day / HOURS_PER_DAY  # an hour
    if role == "rapid_response_nurse" and measure == "rr_within_2h_rate":
        rr = model.rapid_response
        travel = rr.travel_minutes.value / 60.0
        service = (travel + rr.visit_hours.value) * stretch
        # a call reaches rapid response after triage, and the nurse still has to travel
        wait = rr.target_hours.value - model.access_point.triage_minutes.value / 60.0 - travel
        timing = model.crisis.timing
        if spec.rota is None and timing is None:
            return p_within(int(by_hour[0]), lam, service, wait, scv=0.0)
        shape = np.ones(by_hour.size) if timing is None else np.diff(ArrivalClock(timing).cum)
        return p_within_by_hour(by_hour, lam * shape, service, wait, scv=0.0)
    if role == "social_worker" and measure == "assessment_wait_days":
        if by_hour.min() == 0:  # an hour with nobody on has no steady state of its own
            return math.nan
        service = model.social_work.assessment_hours.value * stretch
        waits = [mean_wait(int(c), lam, service, scv=0.0) for c in (by_hour if spec.rota else by_hour[:1])]
        return float(np.mean(waits)) / HOURS_PER_DAY
    return math.nan


def _cost_curves(result: SizingRunResult, loaded: LoadedSizing) -> dict[tuple[str, str], dict[float, np.ndarray]]:
    """(role, borough) -> level -> its yearly cost less the lowest level's, by replication; and
    under the key None, the lowest level's mean yearly cost."""
    s, model = loaded.sizing, loaded.model.model
    out = {}
    for sweep in s.roles:
        pts = [p for p in result.points if p.sweep == sweep.role]
        frames = [result.data[result.data.point == p.id] for p in pts]
        for borough in swept_boroughs(loaded, pts[0]):
            if frames[0].borough.eq(borough).any():
                diffs = cost_differences(frames, pts, borough, model, s)
                first = frames[0][frames[0].borough == borough]
                lowest = float(yearly_cost(first, sweep.role, model, s, pts[0].levels[0]).mean())
                out[(sweep.role, borough)] = {p.levels[0]: d for p, d in zip(pts, diffs, strict=True)} | {None: lowest}
    return out


def curves(result: SizingRunResult, loaded: LoadedSizing) -> pd.DataFrame:
    """One row per sweep, borough, level and measure (each service level, and the yearly cost):
    mean, two-sided band at the service level's confidence (95% for cost), replications, the
    verdict against the threshold, and theory's value."""
    s, model = loaded.sizing, loaded.model.model
    costs = _cost_curves(result, loaded)
    data = result.data.assign(sweep=result.data.point.str.partition("/")[0])
    demand = {
        (sweep, b): float(g.groupby("point")[f"{sweep}_arrivals_per_day"].mean().max())
        for (sweep, b), g in data.groupby(["sweep", "borough"])
        if f"{sweep}_arrivals_per_day" in g
    }
    rows = []
    for p in (p for p in result.points if p.sweep != "grid"):
        d = result.data[(result.data.point == p.id) & result.data.borough.isin(swept_boroughs(loaded, p))]
        for borough, g in d.groupby("borough"):
            base = {"role": p.sweep, "borough": borough, "fte": p.levels[0], "replications": len(g)}
            for sl in (sl for sl in s.service_levels if sl.role == p.sweep):
                values = g[level_key(sl.measure, sl.intervention, sl.role)].to_numpy(float)
                mean, lo, hi = _interval(values, sl.confidence)
                lo, hi = max(lo, 0.0), min(hi, 1.0) if sl.measure in SHARE_LEVELS else hi  # a share's range
                arrivals = demand.get((p.sweep, borough), 0.0)
                rows.append(
                    base
                    | {"measure": sl.label, "mean": mean, "low": lo, "high": hi, "threshold": sl.threshold}
                    | {
                        "verdict": verdict(values, sl, p.levels[0]),
                        "theory": theory(model, p.sweep, p.levels[0], sl.measure, arrivals),
                    }
                )
            paired = costs[(p.sweep, borough)][p.levels[0]]
            mean, lo, hi = _interval(paired, 0.95)
            rows.append(
                base
                | {
                    "replications": len(paired),  # those paired with the lowest level's
                    "measure": COST,
                    "mean": mean,
                    "low": lo,
                    "high": hi,
                    "threshold": math.nan,
                    "verdict": "",
                    "theory": math.nan,
                    "lowest_level_cost": costs[(p.sweep, borough)][None],
                }
            )
    return pd.DataFrame(rows)


def _least(levels: list[float], verdicts: list[list[str]]) -> float:
    """The least level meeting every service level, with no more-staffed level failing any (nan
    if none); ``verdicts`` holds each service level's verdicts by level."""
    for k, x in enumerate(levels):
        if all(v[k] == "meets" and "fails" not in v[k + 1 :] for v in verdicts):
            return x
    return math.nan


def _least_by_theory(levels: list[float], values: list[float], sl: ServiceLevel) -> float:
    for x, v in zip(levels, values, strict=True):
        if math.isfinite(v) and (v >= sl.threshold if sl.at_least is not None else v <= sl.threshold):
            return x
    return math.nan


def answers(table: pd.DataFrame, result: SizingRunResult, loaded: LoadedSizing) -> pd.DataFrame:
    """Per role and borough: the least staffing meeting every service level (and theory's), the
    cost-optimal staffing, the range within 1% of its cost, and the runs used against an even
    allocation giving every level as many as the most-run one."""
    s = loaded.sizing
    rows = []
    for (role, borough), g in table.groupby(["role", "borough"], sort=False):
        row: dict = {"role": role, "borough": borough}
        verdicts, by_theory, levels = [], [], []
        for sl in (sl for sl in s.service_levels if sl.role == role):
            c = g[g.measure == sl.label].sort_values("fte")
            levels = c.fte.tolist()
            verdicts.append(c.verdict.tolist())
            by_theory.append(_least_by_theory(levels, c.theory.tolist(), sl))
        row["least_fte"] = _least(levels, verdicts) if verdicts else math.nan
        finite = [x for x in by_theory if math.isfinite(x)]
        row["least_fte_theory"] = max(finite) if finite and len(finite) == len(by_theory) else math.nan
        row["theory_applies"] = bool(g[g.measure != COST].theory.notna().any())
        cost = g[g.measure == COST].sort_values("fte")
        best = cost.loc[cost["mean"].idxmin()]
        total = best["mean"] + best["lowest_level_cost"]  # the optimum's own yearly cost
        flat = cost[cost["mean"] <= best["mean"] + INDIFFERENCE * abs(total)]
        row |= {
            "best_fte": best.fte,
            "best_cost_per_year": total,
            "best_vs_lowest_level": best["mean"],
            "flat_from_fte": flat.fte.min(),
            "flat_to_fte": flat.fte.max(),
        }
        reps = [result.reps[p.id] for p in result.points if p.sweep == role]
        row |= {"replications": sum(reps), "even_allocation": len(reps) * max(reps)}
        rows.append(row)
    return pd.DataFrame(rows)


def grid_table(result: SizingRunResult, loaded: LoadedSizing) -> pd.DataFrame:
    """The grid's measure at every pair of levels, by borough (mean over replications)."""
    g = loaded.sizing.grid
    if g is None:
        return pd.DataFrame()
    key = level_key(g.measure, g.intervention, g.roles[0])
    rows = []
    for p in (p for p in result.points if p.sweep == "grid"):
        d = result.data[result.data.point == p.id]
        for borough, x in d.groupby("borough"):
            rows.append(
                {
                    g.roles[0]: p.levels[0],
                    g.roles[1]: p.levels[1],
                    "borough": borough,
                    "measure": g.measure,
                    "mean": float(x[key].mean()),
                    "replications": len(x),
                }
            )
    return pd.DataFrame(rows)


def describe(ans: pd.DataFrame) -> str:
    """The answers as text, a line a role and borough."""
    lines = []
    for r in ans.itertuples():
        least = f"{r.least_fte:g}" if math.isfinite(r.least_fte) else "none in range"
        th = f"{r.least_fte_theory:g}" if math.isfinite(r.least_fte_theory) else "none" if r.theory_applies else "n/a"
        lines.append(
            f"{r.role:22} {r.borough:20} least FTE meeting every level {least:>13} (theory {th:>5});"
            f" cost-optimal {r.best_fte:g} (flat {r.flat_from_fte:g} to {r.flat_to_fte:g});"
            f" {r.replications} runs against {r.even_allocation} evenly"
        )
    return "\n".join(lines)
