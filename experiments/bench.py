"""How fast and how big one replication is: resident-years and events per second, peak memory.

Each population size runs in a fresh interpreter so that its peak memory is its own.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

from models.loader import LoadedModel
from sim.replication import Replication


def bench_problems(population: list[int], years: int, seed: int) -> list[str]:
    """Every bad flag of wsic bench, one line each, before any replication starts."""
    problems = []
    bad = [p for p in population if p < 1]
    if bad:
        problems.append(f"--population must be positive numbers of residents (got {' '.join(map(str, bad))})")
    if years < 1:
        problems.append(f"--years must be at least 1 (got {years})")
    if seed < 0:
        problems.append(f"--seed must be a non-negative integer (got {seed})")
    return problems


def measure(model: LoadedModel, population: int, years: int, seed: int) -> dict:
    """Run one replication in this process and report its speed and this process's peak memory."""
    total = model.model.population.total.value
    scale = min(1.0, population / total)
    started = time.perf_counter()
    rep = Replication(model.model, 0, seed, years, scale)
    result = rep.run()
    wall = time.perf_counter() - started
    residents = result.stats["residents"]
    sim_years = years + result.stats["warmup_years"]
    return {
        "residents": residents,
        "years": years,
        "warmup_years": result.stats["warmup_years"],
        "wall_seconds": round(wall, 3),
        "resident_years_per_second": round(residents * sim_years / wall, 1),
        "seconds_per_million_resident_years": round(wall / (residents * sim_years) * 1e6, 3),
        "events": result.stats["events"],
        "events_per_second": round(result.stats["events"] / wall, 1),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def measure_in_subprocess(model_path: str, population: int, years: int, seed: int) -> dict:
    """measure() in a fresh interpreter, so that the peak memory is this population's alone."""
    cmd = [
        sys.executable,
        "-c",
        "import json, sys; from models.loader import load_model; from experiments.bench import measure;"
        f"print(json.dumps(measure(load_model({model_path!r}), {population}, {years}, {seed})))",
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(rows: list[dict]) -> str:
    """A table of the measurements, with each row's time per resident-year against the first's."""
    base = rows[0]["seconds_per_million_resident_years"]
    lines = [
        f"{'residents':>10} {'years':>5} {'wall s':>8} {'res-yr/s':>10} {'events':>10} {'events/s':>10} "
        f"{'peak MB':>8} {'time/res-yr vs first':>21}"
    ]
    for r in rows:
        ratio = r["seconds_per_million_resident_years"] / base
        lines.append(
            f"{r['residents']:>10,} {r['years']:>3}+{r['warmup_years']} {r['wall_seconds']:>8.2f} "
            f"{r['resident_years_per_second']:>10,.0f} {r['events']:>10,} {r['events_per_second']:>10,.0f} "
            f"{r['peak_memory_mb']:>8.0f} {ratio:>21.2f}"
        )
    return "\n".join(lines)
