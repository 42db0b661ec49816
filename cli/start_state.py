"""`wsic start-state`: parse, check, call calibration.start_state, print each step and the values
to write into the model file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import load_all, refuse

DEFAULT_MODEL = str(Path(__file__).resolve().parent.parent / "models" / "baseline.toml")


def settings_problems(scale: float, seeds: list[int], steps: int, jobs: int) -> list[str]:
    from experiments.runner import jobs_problem

    problems = []
    if not 0 < scale <= 1:
        problems.append(f"--scale must be in (0, 1] (got {scale})")
    if steps < 1:
        problems.append(f"--steps must be at least 1 (got {steps})")
    jobs_wrong = jobs_problem(jobs)
    if jobs_wrong:
        problems.append(jobs_wrong)
    if any(s < 0 for s in seeds):
        problems.append(f"--seeds must be non-negative integers (got {seeds})")
    if len(set(seeds)) != len(seeds):
        problems.append(f"--seeds must differ from one another (got {seeds})")
    return problems


def cmd_start_state(args: argparse.Namespace) -> int:
    from calibration.start_state import GROUP_LOWER, StartStateError, derive, problems

    bad = settings_problems(args.scale, args.seeds, args.steps, args.jobs)
    if bad:
        return refuse("start-state", bad)
    model = load_all([args.model])[0].model
    bad = problems(model)
    if bad:
        return refuse("start-state", [f"{args.model}: {p}" for p in bad])
    try:
        steps = derive(
            model, args.scale, args.seeds, args.steps, args.jobs, progress=lambda s: print(s, file=sys.stderr)
        )
    except StartStateError as exc:
        return refuse("start-state", [str(exc)])
    print("step  largest frailty move (sd)  largest LTC move")
    for i, s in enumerate(steps, 1):
        print(f"{i:4d}  {s.drift.frailty_moved:25.3f}  {100 * s.drift.ltc_moved:15.1f}%")
    last = steps[-1]
    print("Mean frailty normal by age group, start -> end, on the last step's values:")
    for lower, a, b in zip(GROUP_LOWER, last.drift.frailty_start, last.drift.frailty_end, strict=True):
        print(f"  {lower:3d}+  {a:+.3f} -> {b:+.3f}")
    print("Mean LTC count by age band, start -> end:")
    for i, (a, b) in enumerate(zip(last.drift.ltc_start, last.drift.ltc_end, strict=True)):
        print(f"  band {i}  {a:.3f} -> {b:.3f}")
    print(f"Last step's values: frailty_start_shift {last.shift}; ltc_incidence {last.incidence}")
    print(f"Next step's values: frailty_start_shift {last.next_shift}; ltc_incidence {last.next_incidence}")
    return 0


def add_start_state(sub) -> None:
    s = sub.add_parser(
        "start-state",
        help="step the start's frailty profile and LTC incidences to where business as usual holds each age level",
    )
    s.add_argument("--model", default=DEFAULT_MODEL)
    s.add_argument("--scale", type=float, default=1.0, help="population fraction (default 1)")
    s.add_argument("--seeds", type=int, nargs="+", default=[2001, 2002, 2003, 2004], metavar="SEED")
    s.add_argument("--steps", type=int, default=3, help="fixed-point steps (default 3)")
    s.add_argument("--jobs", type=int, default=2)
    s.set_defaults(func=cmd_start_state)
