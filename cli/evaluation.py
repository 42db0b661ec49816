"""`wsic evaluate`: parse, check, call experiments.evaluation, print what a pilot would have seen."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import refuse, refuse_lines
from models.loader import ModelFileError


def cmd_evaluate(args: argparse.Namespace) -> int:
    from experiments.evaluation import run_evaluation
    from experiments.evaluation_report import describe, write_evaluation_outputs
    from experiments.runner import ExperimentError, jobs_problem, out_problem
    from models.pilot import load_pilot

    out = Path(args.out)
    problems = [p for p in (jobs_problem(args.jobs), out_problem(out)) if p]
    if args.reps < 2:
        problems.append(f"--reps must be at least 2, so an interval can be given (got {args.reps})")
    if problems:
        return refuse("evaluate", problems)
    try:
        loaded = load_pilot(args.pilot)
    except ModelFileError as exc:
        return refuse_lines(exc.problems)
    try:
        per_rep = run_evaluation(loaded, args.reps, out, args.jobs, argv=sys.argv, show_progress=not args.quiet)
    except ExperimentError as exc:
        return refuse("evaluate", [str(exc)])
    w = write_evaluation_outputs(out, per_rep, loaded)
    print(describe(w.summary, w.observed, w.trajectories, w.expected))
    print(f"Written: {w.page} (evaluation.csv beside it)")
    return 0


def add_evaluate(sub) -> None:
    e = sub.add_parser("evaluate", help="a pilot's cohort in two arms: what its evaluation design would have shown")
    e.add_argument("pilot", metavar="PILOT.toml", help="the pilot: cohort, what it received, what it observed")
    e.add_argument("--reps", type=int, default=10, help="replications of both arms (default 10)")
    e.add_argument("--out", required=True, metavar="DIR", help="where to write; the same command resumes there")
    e.add_argument("--jobs", type=int, default=1, help="parallel workers, -1 for all cores (default 1)")
    e.add_argument("--quiet", action="store_true", help="no progress bars")
    e.set_defaults(func=cmd_evaluate)
