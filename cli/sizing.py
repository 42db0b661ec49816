"""`wsic size`: parse, check, call experiments.sizing, print the answer."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import refuse, refuse_lines
from models.loader import ModelFileError


def cmd_size(args: argparse.Namespace) -> int:
    from experiments.runner import ExperimentError, RunSpec, jobs_problem, out_problem
    from experiments.sizing import run_sizing
    from experiments.sizing_report import write_sizing_outputs
    from experiments.sizing_summary import describe
    from models.sizing import load_sizing

    out = Path(args.out)
    problems = [p for p in (jobs_problem(args.jobs), out_problem(out)) if p]
    if args.backend == "dask" and not args.scheduler:
        problems.append("--backend dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    if problems:
        return refuse("size", problems)
    try:
        loaded = load_sizing(args.sizing)
    except ModelFileError as exc:
        return refuse_lines(exc.problems)
    r = loaded.sizing.run
    spec = RunSpec(
        reps=1,
        years=r.years,
        scale=r.scale,
        seed=r.seed,
        jobs=args.jobs,
        backend=args.backend,
        scheduler=args.scheduler,
    )
    try:
        result = run_sizing(loaded, out, spec, argv=sys.argv, show_progress=not args.quiet)
    except ExperimentError as exc:
        return refuse("size", [str(exc)])
    page, ans = write_sizing_outputs(out, result, loaded)
    print(describe(ans))
    m = result.manifest
    print(f"{m['replications']} replications in {m['rounds']} rounds, {m['wall_seconds']:.0f} s")
    print(f"Written: {page} (sizing.csv and sizing_answers.csv beside it)")
    return 0


def add_size(sub) -> None:
    s = sub.add_parser(
        "size", help="the staffing of each role and borough that meets its service levels, at least cost"
    )
    s.add_argument("sizing", metavar="SIZING.toml", help="what to size, against which service levels (README, Sizing)")
    s.add_argument("--out", required=True, metavar="DIR", help="where to write; the same command resumes there")
    s.add_argument("--jobs", type=int, default=1, help="parallel workers, -1 for all cores (default 1)")
    s.add_argument("--backend", choices=("loky", "dask"), default="loky", help="where replications run (default loky)")
    s.add_argument("--scheduler", metavar="ADDRESS", help="the dask scheduler, with --backend dask")
    s.add_argument("--quiet", action="store_true", help="no progress bars")
    s.set_defaults(func=cmd_size)
