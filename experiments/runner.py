"""Run scenarios x replications and write the tidy outputs beside the exact inputs that made them.

Replication i of every scenario uses seed S and replication number i, so scenarios share random
streams (common random numbers) and results do not depend on --jobs.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd
from joblib import Parallel, delayed
from tqdm import tqdm

from models.loader import LoadedModel
from sim.replication import ReplicationResult, run_replication

PACKAGES = ("wsic-sim", "simpy", "numpy", "pandas", "scipy", "pydantic", "pyarrow", "joblib")


@dataclass(frozen=True)
class RunSpec:
    reps: int
    years: int
    scale: float
    seed: int
    jobs: int = 1
    event_log: bool = False
    person_log: bool = False

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
        if self.jobs == 0 or self.jobs < -1:
            problems.append(f"--jobs must be a positive integer or -1 for all cores (got {self.jobs})")
        return problems


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _one(model: LoadedModel, scenario: str, replication: int, spec: RunSpec) -> ReplicationResult:
    return run_replication(
        model.model,
        replication,
        spec.seed,
        spec.years,
        spec.scale,
        event_log=spec.event_log,
        person_log=spec.person_log,
        scenario=scenario,
    )


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


def _progress(results: Iterable, total: int) -> Iterable:
    return tqdm(results, total=total, unit="rep", desc="replications", disable=not sys.stderr.isatty())


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_json(data: dict, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2, default=str)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def run_experiment(
    models: list[LoadedModel], spec: RunSpec, out: Path, argv: list[str] | None = None
) -> dict:
    """Run every (scenario, replication), write DIR/results.parquet and friends; return the manifest."""
    started = time.perf_counter()
    names = scenario_names(models)
    tasks = [(m, name, rep) for m, name in zip(models, names, strict=True) for rep in range(spec.reps)]
    out.mkdir(parents=True, exist_ok=True)
    parallel = Parallel(n_jobs=spec.jobs, return_as="generator")
    results: list[ReplicationResult] = list(
        _progress(parallel(delayed(_one)(m, name, rep, spec) for m, name, rep in tasks), len(tasks))
    )
    frames = pd.concat([r.results for r in results], ignore_index=True)
    _write_parquet(frames, out / "results.parquet")
    if spec.event_log:
        events = pd.concat(
            [r.events.assign(scenario=r.results["scenario"].iat[0]) for r in results], ignore_index=True
        )
        _write_parquet(events, out / "events.parquet")
    if spec.person_log:
        persons = pd.concat(
            [r.persons.assign(scenario=r.results["scenario"].iat[0]) for r in results], ignore_index=True
        )
        _write_parquet(persons, out / "persons.parquet")
    manifest = {
        "command": argv or [],
        "models": [
            {"scenario": name, "path": str(m.path), "sha256": m.sha256, "content": m.text}
            for m, name in zip(models, names, strict=True)
        ],
        "seed": spec.seed,
        "scale": spec.scale,
        "residents": results[0].stats["residents"],
        "reps": spec.reps,
        "years": spec.years,
        "warmup_years": results[0].stats["warmup_years"],
        "jobs": spec.jobs,
        "versions": versions(),
        "wall_seconds": round(time.perf_counter() - started, 3),
        "replications": [
            {
                "scenario": r.results["scenario"].iat[0],
                "replication": int(r.results["replication"].iat[0]),
                "wall_seconds": round(r.stats["wall_seconds"], 3),
                "events": r.stats["events"],
            }
            for r in results
        ],
    }
    _write_json(manifest, out / "manifest.json")
    return manifest
