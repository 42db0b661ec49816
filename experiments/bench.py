"""How fast and how big one replication is, against a reference loop timed in the same process.

A wall time says as much about the machine as about the engine, so each measurement runs a bare
simpy loop of a fixed number of events first (REFERENCE_EVENTS: timeouts of 100,000 generator
processes, nothing else) and reports the replication's time as a ratio to it, which compares across
machines and loads. Each (model, population) runs in a fresh interpreter so that its peak memory
is its own.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np
import simpy

from models.loader import LoadedModel
from sim.replication import Replication

# the events of one full-population replication of business as usual over 5 years plus the
# warm-up, as the engine scheduled them when the reference was fixed (a count, not a target)
REFERENCE_EVENTS = 3_781_163
REFERENCE_PROCESSES = 100_000


def reference_loop(events: int = REFERENCE_EVENTS, processes: int = REFERENCE_PROCESSES) -> float:
    """Seconds for a bare simpy loop of exactly ``events`` scheduled events: each process's start,
    its timeouts and its end, with exponential delays drawn beforehand (nothing else is timed)."""
    processes = max(1, min(processes, events // 3))
    timeouts = events - 2 * processes
    per, extra = divmod(timeouts, processes)
    delays = np.random.default_rng(0).exponential(1.0, size=timeouts).tolist()
    env = simpy.Environment()

    def process(first: int, k: int):
        for d in delays[first : first + k]:
            yield env.timeout(d)

    first = 0
    for p in range(processes):
        k = per + (1 if p < extra else 0)
        env.process(process(first, k))
        first += k
    started = time.perf_counter()
    env.run()
    wall = time.perf_counter() - started
    if next(env._eid) != events:
        raise RuntimeError("the reference loop scheduled another number of events than asked")
    return wall


def bench_problems(population: list[int], years: int, seed: int, reference_events: int = REFERENCE_EVENTS) -> list[str]:
    """Every bad flag of wsic bench, one line each, before any replication starts."""
    problems = []
    bad = [p for p in population if p < 1]
    if bad:
        problems.append(f"--population must be positive numbers of residents (got {' '.join(map(str, bad))})")
    if years < 1:
        problems.append(f"--years must be at least 1 (got {years})")
    if seed < 0:
        problems.append(f"--seed must be a non-negative integer (got {seed})")
    if reference_events < 3:
        problems.append(f"--reference-events must be at least 3 (got {reference_events})")
    return problems


def measure(
    model: LoadedModel, population: int, years: int, seed: int, reference_events: int = REFERENCE_EVENTS
) -> dict:
    """One replication, then the reference loop, in this process: speed, ratio and peak memory
    (read before the reference loop runs, so that it is the replication's alone)."""
    total = model.model.population.total.value
    scale = min(1.0, population / total)
    started = time.perf_counter()
    rep = Replication(model.model, 0, seed, years, scale)
    result = rep.run()
    wall = time.perf_counter() - started
    residents = result.stats["residents"]
    sim_years = years + result.stats["warmup_years"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    events, warmup = result.stats["events"], result.stats["warmup_years"]
    del rep, result
    reference = reference_loop(reference_events)
    return {
        "model": model.model.meta.name,
        "residents": residents,
        "years": years,
        "warmup_years": warmup,
        "wall_seconds": round(wall, 3),
        "resident_years_per_second": round(residents * sim_years / wall, 1),
        "seconds_per_million_resident_years": round(wall / (residents * sim_years) * 1e6, 3),
        "events": events,
        "events_per_second": round(events / wall, 1),
        "peak_memory_mb": round(peak, 1),
        "reference_events": reference_events,
        "reference_seconds": round(reference, 3),
        "ratio_to_reference": round(wall / reference, 3),
    }


def measure_in_subprocess(
    model_path: str, population: int, years: int, seed: int, reference_events: int = REFERENCE_EVENTS
) -> dict:
    """measure() in a fresh interpreter, so that the peak memory is this population's alone."""
    cmd = [
        sys.executable,
        "-c",
        "import json, sys; from models.loader import load_model; from experiments.bench import measure;"
        f"print(json.dumps(measure(load_model({model_path!r}), {population}, {years}, {seed}, {reference_events})))",
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(rows: list[dict]) -> str:
    """A table of the measurements: each row's time as a ratio to the reference loop, its time per
    resident-year against the same model's first row, and each model's time against the first
    model's at the same population."""
    first_of_model: dict[str, float] = {}
    first_model: dict[int, float] = {}
    lines = [
        f"{'model':>12} {'residents':>10} {'years':>5} {'wall s':>8} {'x reference':>11} {'events':>10} "
        f"{'peak MB':>8} {'time/res-yr vs first':>21} {'x first model':>13}"
    ]
    for r in rows:
        base = first_of_model.setdefault(r["model"], r["seconds_per_million_resident_years"])
        same_size = first_model.setdefault(r["residents"], r["wall_seconds"])
        lines.append(
            f"{r['model']:>12} {r['residents']:>10,} {r['years']:>3}+{r['warmup_years']} {r['wall_seconds']:>8.2f} "
            f"{r['ratio_to_reference']:>11.2f} {r['events']:>10,} {r['peak_memory_mb']:>8.0f} "
            f"{r['seconds_per_million_resident_years'] / base:>21.2f} {r['wall_seconds'] / same_size:>13.2f}"
        )
    reference = rows[0]["reference_events"] if rows else REFERENCE_EVENTS
    lines.append(f"x reference: wall time over a bare simpy loop of {reference:,} events timed in the same process")
    return "\n".join(lines)
