"""Run scenarios x replications in parallel and write each replication the moment it finishes.

Replication i of every scenario uses seed S and replication number i, so scenarios share random
streams (common random numbers) and results do not depend on --jobs or the backend. Each finished
replication lands in DIR/replications/SCENARIO/rep_NNNN.parquet (written atomically), so rerunning
the same command skips what is done and finishes the rest. With --precision, replications are
added until the 95% confidence interval of cost_total and nel_admissions is within that fraction
of the mean for every scenario, or --max-reps is reached.
"""

from __future__ import annotations

import json
import math
import platform
import sys
import time
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd
from joblib import Parallel, delayed, parallel_config
from tqdm import tqdm

from experiments.files import file_in_the_way, write_json, write_parquet
from experiments.interval import half_width
from models.loader import LoadedModel
from sim.replication import RESULTS_VERSION, ReplicationResult, run_replication

PACKAGES = ("wsic-sim", "simpy", "numpy", "pandas", "scipy", "pydantic", "pyarrow", "joblib", "plotly")
PRECISION_MEASURES = ("cost_total", "nel_admissions")
INDEPENDENT_SEED_STRIDE = 1_000_003  # seed offset per scenario when common random numbers are off


class ExperimentError(Exception):
    """An experiment that cannot run as asked (the CLI reports it and exits 2)."""


def jobs_problem(jobs: int) -> str | None:
    """joblib's n_jobs: a worker count, or -1 for all cores (0 and below -1 are not what users mean)."""
    if jobs == 0 or jobs < -1:
        return f"--jobs must be a positive integer or -1 for all cores (got {jobs})"
    return None


@dataclass(frozen=True)
class RunSpec:
    reps: int
    years: int
    scale: float
    seed: int
    jobs: int = 1
    event_log: bool = False
    person_log: bool = False
    backend: str = "loky"
    scheduler: str | None = None
    precision: float | None = None
    max_reps: int | None = None  # with --precision: the cap on replications (None: 100, or --reps if more)
    common_random_numbers: bool = True

    def check(self) -> list[str]:
        problems = []
        if self.reps < 1:
            problems.append(f"--reps must be at least 1 (got {self.reps})")
        if self.years < 1:
            problems.append(f"--years must be at least 1 (got {self.years})")
        if not 0 < self.scale <= 1:
            problems.append(f"--scale must be in (0, 1] (got {self.scale})")
        if self.seed < 0:
            problems.append(f"--seed must be a non-negative integer (got {self.seed})")
        if jobs_problem(self.jobs):
            problems.append(jobs_problem(self.jobs))
        if self.backend not in ("loky", "dask"):
            problems.append(f"--backend must be loky or dask (got {self.backend})")
        if self.backend == "dask" and not self.scheduler:
            problems.append("--backend dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        if self.precision is not None and not 0 < self.precision < 1:
            problems.append(f"--precision must be a fraction in (0, 1), e.g. 0.02 (got {self.precision})")
        if self.max_reps is not None and self.max_reps < self.reps:
            problems.append(f"--max-reps ({self.max_reps}) must be at least --reps ({self.reps})")
        return problems

    @property
    def rep_cap(self) -> int:
        """The most replications --precision may add up to."""
        return self.max_reps if self.max_reps is not None else max(self.reps, 100)

    def inputs(self) -> dict:
        """What the results depend on: a rerun may resume only if these match."""
        keep = ("years", "scale", "seed", "event_log", "person_log", "common_random_numbers")
        return {k: v for k, v in asdict(self).items() if k in keep}


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def scenario_names(models: list[LoadedModel]) -> list[str]:
    """Scenario names from the model files, made unique if two files share a name."""
    names: list[str] = []
    for m in models:
        base = m.model.meta.name
        name, k = base, 2
        while name in names:
            name, k = f"{base}_{k}", k + 1
        names.append(name)
    return names


def _seed(spec: RunSpec, scenario_index: int) -> int:
    return spec.seed if spec.common_random_numbers else spec.seed + INDEPENDENT_SEED_STRIDE * scenario_index


def _one(model: LoadedModel, scenario: str, scenario_index: int, replication: int, spec: RunSpec) -> ReplicationResult:
    return run_replication(
        model.model,
        replication,
        _seed(spec, scenario_index),
        spec.years,
        spec.scale,
        event_log=spec.event_log,
        person_log=spec.person_log,
        scenario=scenario,
    )


# ----- files --------------------------------------------------------------------------------------
def rep_path(out: Path, scenario: str, replication: int, kind: str = "results") -> Path:
    suffix = {
        "results": ".parquet",
        "events": ".events.parquet",
        "persons": ".persons.parquet",
        "stats": ".json",
    }[kind]
    return out / "replications" / scenario / f"rep_{replication:04d}{suffix}"


def _save(out: Path, result: ReplicationResult) -> None:
    scenario = result.results["scenario"].iat[0]
    rep = int(result.results["replication"].iat[0])
    if result.events is not None:
        write_parquet(result.events.assign(scenario=scenario), rep_path(out, scenario, rep, "events"))
    if result.persons is not None:
        write_parquet(result.persons.assign(scenario=scenario), rep_path(out, scenario, rep, "persons"))
    write_json(result.stats, rep_path(out, scenario, rep, "stats"))
    write_parquet(result.results, rep_path(out, scenario, rep))  # last: its presence marks the rep done


# ----- the run ------------------------------------------------------------------------------------
def parallel_backend(spec: RunSpec):
    """The dask client (or None) and the joblib configuration a run's workers run under."""
    if spec.backend == "dask":
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise ExperimentError("--backend dask needs dask.distributed: pip install 'dask[distributed]'") from exc
        try:
            client = Client(spec.scheduler, timeout=30)
        except OSError as exc:
            raise ExperimentError(f"cannot reach the dask scheduler at {spec.scheduler}: {exc}") from None
        return client, parallel_config(backend="dask")
    return None, nullcontext()


def unordered_results(spec: RunSpec, jobs: list, show: bool, desc: str = "replications") -> Iterable:
    """The results of joblib's delayed jobs as each finishes, on the run's backend (local workers
    or a dask cluster), with a progress bar; no workers and no client when there are none."""
    if not jobs:
        return
    client, config = parallel_backend(spec)
    try:
        with config:
            n_jobs = -1 if spec.backend == "dask" else spec.jobs
            results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs)
            yield from tqdm(results, total=len(jobs), unit="rep", desc=desc, disable=not show, smoothing=0.1)
    finally:
        if client is not None:
            client.close()


def _run_tasks(tasks: list[tuple], spec: RunSpec, out: Path, show: bool) -> None:
    jobs = [delayed(_one)(m, name, k, rep, spec) for m, name, k, rep in tasks]
    for result in unordered_results(spec, jobs, show):
        _save(out, result)


def precision_reached(frames: pd.DataFrame, precision: float) -> tuple[bool, float]:
    """Whether every scenario's 95% CI half-width of the precision measures is within the target."""
    people = frames[(frames.stratum != "all") & (frames.intervention == "all")]
    per_rep = (
        people[people.measure.isin(PRECISION_MEASURES)].groupby(["scenario", "measure", "replication"]).value.sum()
    )
    worst = 0.0
    for _, values in per_rep.groupby(level=["scenario", "measure"]):
        n = len(values)
        if n < 3:
            return False, math.inf
        half = half_width(values.std(ddof=1), n)
        worst = max(worst, half / abs(values.mean()) if values.mean() else math.inf)
    return worst <= precision, worst


def _load(out: Path, names: list[str], reps: int, kind: str) -> pd.DataFrame:
    frames = [pd.read_parquet(p) for name in names for r in range(reps) if (p := rep_path(out, name, r, kind)).exists()]
    return pd.concat(frames, ignore_index=True)


def out_problem(out: Path) -> str | None:
    """Why a run cannot write its directory at ``out`` (missing directories are made), or None."""
    if out.exists() and not out.is_dir():
        return f"--out must be a directory, but {out} is a file"
    blocking = file_in_the_way(out)
    if blocking is not None:
        return f"--out must be a directory's path, but {blocking} is a file (got {out})"
    return None


def _check_resume(out: Path, models: list[LoadedModel], spec: RunSpec) -> None:
    previous = out / "manifest.json"
    if not previous.exists():
        if (out / "replications").exists():
            raise ExperimentError(f"{out} holds replications but no manifest.json; use a new --out")
        return
    old = json.loads(previous.read_text())
    files = [[m["sha256"], *(e["sha256"] for e in m.get("extends", []))] for m in old.get("models", [])]
    same = old.get("inputs") == spec.inputs() and files == [[s.sha256 for s in m.sources] for m in models]
    if not same:
        raise ExperimentError(
            f"{out} holds a run of other model files or settings (a file a model extends included; "
            "see its manifest.json); use a new --out, or the same command to resume"
        )
    check_engine(out, old)


def check_engine(out: Path, manifest: dict) -> None:
    """Refuse to add this engine's replications to an earlier engine's (results of a fixed seed
    move with sim.replication.RESULTS_VERSION)."""
    was = manifest.get("results_version")
    if was != RESULTS_VERSION:
        raise ExperimentError(
            f"{out} holds replications of another engine (results version {was}, this one "
            f"{RESULTS_VERSION}); use a new --out"
        )


@dataclass(frozen=True)
class ExperimentRun:
    """A finished run: its manifest and every replication's results, kept in memory so that what
    comes next (summaries, report, headline) need not read results.parquet back."""

    manifest: dict
    results: pd.DataFrame


def _manifest(models: list[LoadedModel], names: list[str], spec: RunSpec, argv: list[str] | None) -> dict:
    """What a run was asked for, written before it starts so that a rerun can check it resumes the same."""
    return {
        "command": argv or [],
        "status": "running",
        "inputs": spec.inputs(),
        "models": [
            {
                "scenario": name,
                "path": str(m.path),
                "sha256": m.sha256,
                "content": m.text,
                "extends": [{"path": str(s.path), "sha256": s.sha256, "content": s.text} for s in m.sources[1:]],
            }
            for m, name in zip(models, names, strict=True)
        ],
        "seed": spec.seed,
        "seeds": {name: _seed(spec, k) for k, name in enumerate(names)},
        "scale": spec.scale,
        "years": spec.years,
        "jobs": spec.jobs,
        "backend": spec.backend,
        "versions": versions(),
        "results_version": RESULTS_VERSION,
    }


def _run_replications(
    models: list[LoadedModel], names: list[str], spec: RunSpec, out: Path, show: bool, manifest: dict
) -> int:
    """Run what is not done; with a precision target, add replications until it is met or capped.
    Returns the number of replications per scenario."""
    reps = spec.reps
    while True:
        todo = [
            (m, name, k, r)
            for r in range(reps)
            for k, (m, name) in enumerate(zip(models, names, strict=True))
            if not rep_path(out, name, r).exists()
        ]
        _run_tasks(todo, spec, out, show)
        if spec.precision is None:
            return reps
        done, worst = precision_reached(_load(out, names, reps, "results"), spec.precision)
        if done or reps >= spec.rep_cap:
            manifest["precision"] = {"target": spec.precision, "achieved": worst, "reached": done}
            return reps
        # the replications algorithm: n grows with the square of the precision shortfall
        grow = math.ceil(reps * (worst / spec.precision) ** 2) if math.isfinite(worst) else reps + 1
        reps = min(spec.rep_cap, max(reps + max(1, spec.jobs if spec.jobs > 0 else 2), grow))


def _completed(manifest: dict, out: Path, names: list[str], reps: int, wall_seconds: float) -> dict:
    """The manifest of a finished run: replications, residents and the time each replication took."""
    stats_files = [
        json.loads(rep_path(out, name, r, "stats").read_text()) | {"scenario": name, "replication": r}
        for name in names
        for r in range(reps)
    ]
    return manifest | {
        "status": "complete",
        "reps": reps,
        "residents": stats_files[0]["residents"],
        "warmup_years": stats_files[0]["warmup_years"],
        "wall_seconds": round(wall_seconds, 3),
        "replications": [
            {
                "scenario": s["scenario"],
                "replication": s["replication"],
                "wall_seconds": round(s["wall_seconds"], 3),
                "events": s["events"],
            }
            for s in stats_files
        ],
    }


def run_experiment(
    models: list[LoadedModel],
    spec: RunSpec,
    out: Path,
    argv: list[str] | None = None,
    show_progress: bool | None = None,
) -> ExperimentRun:
    """Run every (scenario, replication) not already done and combine them into DIR/results.parquet
    (and the event and person logs if asked for). Summaries and the report are experiments.outputs'."""
    started = time.perf_counter()
    show = sys.stderr.isatty() if show_progress is None else show_progress
    names = scenario_names(models)
    _check_resume(out, models, spec)  # before anything is made: a refused run writes nothing
    out.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(models, names, spec, argv)
    write_json(manifest, out / "manifest.json")
    reps = _run_replications(models, names, spec, out, show, manifest)
    results = _load(out, names, reps, "results")
    write_parquet(results, out / "results.parquet")
    if spec.event_log:
        write_parquet(_load(out, names, reps, "events"), out / "events.parquet")
    if spec.person_log:
        write_parquet(_load(out, names, reps, "persons"), out / "persons.parquet")
    manifest = _completed(manifest, out, names, reps, time.perf_counter() - started)
    write_json(manifest, out / "manifest.json")
    return ExperimentRun(manifest, results)
