"""`wsic size`: each role's service levels and cost against its FTE, run on common random numbers,
with replications spent where they decide the answer.

Every staffing level is a point: the model with the role's FTE set to the level in every borough
the sweep names (each borough's pools are its own, so one run answers each borough; they share
the hospital, A&E and the triage lines). Replication r of every point uses seed S and replication r, so two
levels differ by their staffing, not by their random numbers.

Replications are spent in rounds, each decided from the results so far alone (so the same for
any --jobs and backend):
- every point starts with ``first_reps``;
- feasibility: a level whose one-sided confidence bound of a service level does not yet fall on
  one side of its threshold gets one more, unless a level with fewer staff already meets it or
  one with more already fails it (more staff is taken never to make a service level worse);
- the optimum: OCBA's allocation rule (Chen C-H, Lin J, Yucesan E and Chick S E (2000)
  Simulation budget allocation for further enhancing the efficiency of ordinal optimization,
  Discrete Event Dynamic Systems 10(3):251-270), adapted to common random numbers and an
  indifference zone: each level is compared with the current best on the replications they share
  (paired differences), shares of one more replication a level go by each difference's noise over
  its size, levels within 1% of the best's yearly cost count as at 1% (equally good), the best is
  given a replication whenever another level is, and it stops once the approximate probability
  that no level outside the zone beats the best reaches 95%;
- no point gets more than ``max_reps``.

Each replication's measures land in DIR/points/POINT/rep_NNNN.csv as it finishes, so a rerun
of the same command skips what is done.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import delayed
from scipy import stats

from experiments.files import write_csv, write_json
from experiments.runner import ExperimentError, RunSpec, check_engine, unordered_results, versions
from experiments.service_levels import borough_levels, level_key
from models.loader import LoadedModel
from models.schema import CareModel
from models.sizing import LoadedSizing, ServiceLevel, SizingFile
from sim.replication import RESULTS_VERSION, run_replication

INDIFFERENCE = 0.01  # levels within 1% of the best yearly cost are equally good
PCS_TARGET = 0.95


@dataclass(frozen=True)
class Point:
    """One staffing: each of ``roles`` at its FTE in ``levels``, in the boroughs indexed."""

    sweep: str
    roles: tuple[str, ...]
    levels: tuple[float, ...]
    boroughs: tuple[int, ...]

    @property
    def id(self) -> str:
        return self.sweep + "/" + "__".join(f"{r}_{x:.10g}" for r, x in zip(self.roles, self.levels, strict=True))


def staffed(model: CareModel, point: Point) -> CareModel:
    """The model with the point's FTE in the point's boroughs."""
    workforce = dict(model.workforce)
    for role, level in zip(point.roles, point.levels, strict=True):
        spec = workforce[role]
        fte = list(spec.fte.value)
        for b in point.boroughs:
            fte[b] = level
        workforce[role] = spec.model_copy(update={"fte": spec.fte.model_copy(update={"value": fte})})
    return model.model_copy(update={"workforce": workforce})


def swept_boroughs(loaded: LoadedSizing, point: Point) -> list[str]:
    """The names of the boroughs a point sets staffing in: the only ones it answers for."""
    names = loaded.model.model.population.boroughs
    return [names[b] for b in point.boroughs]


def level_keys(s: SizingFile) -> list[tuple[str, str | None, str | None]]:
    keys = [(sl.measure, sl.intervention, sl.role) for sl in s.service_levels]
    if s.grid is not None:
        keys.append((s.grid.measure, s.grid.intervention, s.grid.roles[0]))
    return list(dict.fromkeys(keys))


def points(loaded: LoadedSizing) -> list[Point]:
    """Every sweep's levels, then the grid's pairs."""
    s, boroughs = loaded.sizing, loaded.model.model.population.boroughs
    out = []
    for sweep in s.roles:
        where = tuple(boroughs.index(b) for b in sweep.boroughs) if sweep.boroughs else tuple(range(len(boroughs)))
        out += [Point(sweep.role, (sweep.role,), (x,), where) for x in sweep.fte]
    if s.grid is not None:
        g = s.grid
        every = tuple(range(len(boroughs)))
        out += [Point("grid", tuple(g.roles), (a, b), every) for a in g.fte[0] for b in g.fte[1]]
    return out


def run_point(model: CareModel, point: Point, rep: int, s: SizingFile) -> pd.DataFrame:
    """One replication of a staffing: each borough's service levels, outcomes and arrivals."""
    r = s.run
    res = run_replication(staffed(model, point), rep, r.seed, r.years, r.scale, scenario=point.id).results
    return borough_levels(res, level_keys(s)).assign(point=point.id, replication=rep)


def rep_file(out: Path, point: Point, rep: int) -> Path:
    return out / "points" / point.id / f"rep_{rep:04d}.csv"


# ----- deciding where replications go -------------------------------------------------------------
def _bound(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """The mean's one-sided lower and upper confidence bounds (t, n - 1 degrees of freedom)."""
    n = values.size
    mean = float(values.mean())
    if n < 2:
        return -math.inf, math.inf
    half = float(stats.t.ppf(confidence, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return mean - half, mean + half


def verdict(values: np.ndarray, sl: ServiceLevel, fte: float = 1.0) -> str:
    """ "meets", "fails" or "open" at the service level's confidence, from two replications or
    more with a value. A level of no staff serves no one: it fails."""
    values = values[np.isfinite(values)]
    if fte <= 0:
        return "fails"
    if values.size < 2:
        return "open"
    lo, hi = _bound(values, sl.confidence)
    if values.std() == 0:
        lo = hi = float(values.mean())
    if sl.at_least is not None:
        return "meets" if lo >= sl.at_least else "fails" if hi < sl.at_least else "open"
    return "meets" if hi <= sl.threshold else "fails" if lo > sl.threshold else "open"


def yearly_cost(frame: pd.DataFrame, role: str, model: CareModel, s: SizingFile, fte: float) -> pd.Series:
    """Each row's staff cost and valued outcomes, GBP a year."""
    u, cb = model.unit_costs, s.cost_basis
    adm = (cb.admission or u.nel_admission).value
    bed = (cb.bed_day or u.bed_day).value
    delayed = (cb.delayed_day or u.bed_day).value
    staff = fte * model.workforce[role].cost_per_fte.value
    return (
        staff
        + frame.nel_admissions * adm
        + (frame.bed_days - frame.excess_bed_days) * bed
        + frame.excess_bed_days * delayed
    )


def cost_differences(
    frames: list[pd.DataFrame], pts: list[Point], borough: str, model: CareModel, s: SizingFile, ref: int = 0
) -> list[np.ndarray]:
    """Each level's yearly cost less level ``ref``'s (the lowest by default), replication by
    replication, on the replications both have: common random numbers make the difference far less
    noisy than either cost, whose admissions swing by millions between replications."""

    def by_rep(f: pd.DataFrame, p: Point) -> pd.Series:
        g = f[f.borough == borough]
        return pd.Series(yearly_cost(g, p.sweep, model, s, p.levels[0]).to_numpy(float), index=g.replication.to_numpy())

    base = by_rep(frames[ref], pts[ref])
    out = []
    for f, p in zip(frames, pts, strict=True):
        mine = by_rep(f, p)
        common = mine.index.intersection(base.index)
        out.append((mine.loc[common] - base.loc[common]).to_numpy(float))
    return out


def _feasibility_wants(
    by_level: list[pd.DataFrame], pts: list[Point], sls: list[ServiceLevel], borough: str
) -> set[int]:
    """Levels whose verdict on a service level is open and not settled by a neighbour's."""
    want: set[int] = set()
    for sl in sls:
        key = level_key(sl.measure, sl.intervention, sl.role)
        v = [
            verdict(d.loc[d.borough == borough, key].to_numpy(float), sl, p.levels[0])
            for d, p in zip(by_level, pts, strict=True)
        ]
        for k, verdict_k in enumerate(v):
            if verdict_k == "open" and "meets" not in v[:k] and "fails" not in v[k + 1 :]:
                want.add(k)
    return want


def _ocba_wants(
    frames: list[pd.DataFrame], pts: list[Point], borough: str, model: CareModel, s: SizingFile
) -> set[int]:
    """Levels OCBA gives the next replications to, or none once the best is told apart. Each level
    is compared with the current best on the replications they share, so a level given one more
    replication is given it with the best, and the pair gains a paired difference."""
    to_first = cost_differences(frames, pts, borough, model, s)
    b = int(np.argmin([d.mean() if d.size else np.inf for d in to_first]))
    diffs = cost_differences(frames, pts, borough, model, s, ref=b)
    best = frames[b][frames[b].borough == borough]
    zone = max(INDIFFERENCE * abs(float(yearly_cost(best, pts[b].sweep, model, s, pts[b].levels[0]).mean())), 1.0)
    others = [i for i in range(len(pts)) if i != b]
    n = {i: diffs[i].size for i in others}
    means = {i: float(diffs[i].mean()) if n[i] else 0.0 for i in others}
    sds = {i: max(float(diffs[i].std(ddof=1)), 1e-9) if n[i] > 1 else 1e-9 for i in others}
    outside = [i for i in others if means[i] > zone]
    pcs = 1.0 - sum(stats.norm.cdf(-means[i] / (sds[i] / math.sqrt(n[i]))) for i in outside if n[i] > 1)
    if pcs >= PCS_TARGET or not others:
        return set()
    ratio = {i: (sds[i] / max(means[i], zone)) ** 2 for i in others}  # levels within the zone count as at its edge
    total = sum(ratio.values())
    budget = sum(n.values()) + len(others)
    want = {i for i in others if ratio[i] / total * budget > n[i]}
    return want | {b} if want else set()


def next_reps(loaded: LoadedSizing, pts: list[Point], data: pd.DataFrame, reps: dict[str, int]) -> dict[str, int]:
    """The replications each point should have after the next round."""
    s, model = loaded.sizing, loaded.model.model
    out = dict(reps)
    for sweep in s.roles:
        mine = [p for p in pts if p.sweep == sweep.role]
        frames = [data[data.point == p.id] for p in mine]
        sls = [sl for sl in s.service_levels if sl.role == sweep.role]
        want: set[int] = set()
        for borough in swept_boroughs(loaded, mine[0]):
            want |= _feasibility_wants(frames, mine, sls, borough)
            want |= _ocba_wants(frames, mine, borough, model, s)
        for k in want:
            out[mine[k].id] = min(s.run.max_reps, reps[mine[k].id] + 1)
    return out


# ----- running ------------------------------------------------------------------------------------
def _run_round(loaded: LoadedSizing, todo: list[tuple[Point, int]], out: Path, spec: RunSpec, show: bool, k: int):
    model, s = loaded.model.model, loaded.sizing
    jobs = [delayed(_one)(model, p, r, s) for p, r in todo]
    for p, r, frame in unordered_results(spec, jobs, show, f"round {k}"):
        write_csv(frame, rep_file(out, p, r))


def _one(model: CareModel, p: Point, rep: int, s: SizingFile) -> tuple[Point, int, pd.DataFrame]:
    return p, rep, run_point(model, p, rep, s)


def _load(out: Path, reps: dict[str, int], pts: list[Point]) -> pd.DataFrame:
    frames = [pd.read_csv(rep_file(out, p, r)) for p in pts for r in range(reps[p.id]) if rep_file(out, p, r).exists()]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _manifest(loaded: LoadedSizing, spec: RunSpec, argv: list[str] | None) -> dict:
    return {
        "command": argv or [],
        "status": "running",
        "sizing": {"path": str(loaded.path), "sha256": loaded.sha256, "content": loaded.text},
        "model": {"path": str(loaded.model.path), "sha256": loaded.model.sha256, "content": loaded.model.text},
        "model_files": model_files(loaded.model),
        "jobs": spec.jobs,
        "backend": spec.backend,
        "versions": versions(),
        "results_version": RESULTS_VERSION,
    }


def model_files(model: LoadedModel) -> list[list[str]]:
    """Every file a model is read from (it and all it extends), path and sha256: a resumed run
    must find them all unchanged."""
    return [[str(f.path), f.sha256] for f in model.sources]


def check_resume(out: Path, loaded: LoadedSizing) -> None:
    """Refuse to mix runs of another sizing file or model into ``out``."""
    previous = out / "manifest.json"
    if not previous.exists():
        if (out / "points").exists():
            raise ExperimentError(f"{out} holds points but no manifest.json; use a new --out")
        return
    old = json.loads(previous.read_text())
    if old.get("sizing", {}).get("sha256") != loaded.sha256 or old.get("model_files") != model_files(loaded.model):
        raise ExperimentError(
            f"{out} holds a sizing run of another sizing file or model (see its manifest.json); "
            "use a new --out, or the same command to resume"
        )
    check_engine(out, old)


@dataclass(frozen=True)
class SizingRunResult:
    data: pd.DataFrame  # one row per point, replication and borough
    reps: dict[str, int]
    points: list[Point]
    manifest: dict


def run_sizing(
    loaded: LoadedSizing, out: Path, spec: RunSpec, argv: list[str] | None = None, show_progress: bool = False
) -> SizingRunResult:
    """Every round until no point wants another replication; each replication saved as it lands."""
    started = time.perf_counter()
    check_resume(out, loaded)
    out.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(loaded, spec, argv)
    write_json(manifest, out / "manifest.json")
    pts = points(loaded)
    s = loaded.sizing
    reps = {p.id: s.run.first_reps for p in pts}
    rounds = 0
    while True:
        todo = [(p, r) for p in pts for r in range(reps[p.id]) if not rep_file(out, p, r).exists()]
        _run_round(loaded, todo, out, spec, show_progress, rounds)
        data = _load(out, reps, pts)
        grown = next_reps(loaded, pts, data, reps)
        rounds += 1
        if grown == reps:
            break
        reps = grown
    manifest |= {
        "status": "complete",
        "rounds": rounds,
        "replications": sum(reps.values()),
        "reps": reps,
        "wall_seconds": round(time.perf_counter() - started, 3),
    }
    write_json(manifest, out / "manifest.json")
    return SizingRunResult(data, reps, pts, manifest)
