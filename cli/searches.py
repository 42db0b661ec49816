"""`wsic breakeven` and `wsic tornado`: parse, check, call experiments.breakeven and
experiments.tornado, print, and rebuild the run's report when they write into a run's directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import load_all, refuse, refuse_lines
from models.loader import ModelFileError


def _effect_search(args: argparse.Namespace, command: str):
    """What `wsic breakeven` and `wsic tornado` share: their settings checked, their models loaded
    (a tornado needs at least one effect with a range to pin)."""
    from experiments.runner import RunSpec, out_problem
    from experiments.tornado import ranged

    spec = RunSpec(reps=args.reps, years=args.years, scale=args.scale, seed=args.seed, jobs=args.jobs)
    problems = [f"wsic {command}: {p}" for p in [*spec.check(), out_problem(Path(args.out))] if p]
    try:  # every problem at once: the flags' and the model files'
        models = load_all([args.comparator, *args.models])
    except ModelFileError as exc:
        problems += exc.problems
        models = []
    if problems:
        return None, None, refuse_lines(problems)
    names = [m.model.meta.name for m in models[1:]]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"two scenarios are named {name} ([meta] name); give each its own")
    for m in models[1:]:
        if not m.model.interventions:
            problems.append(f"{m.path}: has no interventions, so no effect to scale or pin")
        elif command == "tornado" and not ranged(m.model):
            problems.append(f"{m.path}: no intervention's effect has a range, so there is no end to pin it at")
    if problems:
        return None, None, refuse(command, problems)
    settings = {
        "comparator": models[0].model.meta.name,
        "reps": args.reps,
        "years": args.years,
        "scale": args.scale,
        "seed": args.seed,
    }
    return models, settings, None


def _refresh_report(out: Path) -> None:
    from experiments.outputs import RUN_FILES, rebuild_outputs

    if all((out / f).exists() for f in RUN_FILES):
        print(f"Report: {rebuild_outputs(out)}")


def _search(args: argparse.Namespace, module, run, summary_text) -> int:
    """Check, run the search (``run``, a function of the scenarios, the comparator and the
    settings), save it with ``module``'s save, print its summary and rebuild the run's report it
    was written beside."""
    models, settings, refused = _effect_search(args, module.__name__.rpartition(".")[2])
    if refused is not None:
        return refused
    per_rep = run(
        [m.model for m in models[1:]],
        models[0].model,
        args.reps,
        args.seed,
        args.years,
        args.scale,
        jobs=args.jobs,
        show_progress=not args.quiet,
    )
    path = module.save(Path(args.out), per_rep, settings)
    print(summary_text(module.summarise(per_rep)))
    print(f"Written: {path}")
    _refresh_report(Path(args.out))
    return 0


def cmd_breakeven(args: argparse.Namespace) -> int:
    from experiments import breakeven

    def run(*positional, **named):
        return breakeven.breakeven(*positional, per_intervention=args.per_intervention, **named)

    return _search(args, breakeven, run, lambda summary: breakeven.describe(summary, args.years))


def cmd_tornado(args: argparse.Namespace) -> int:
    from experiments import tornado

    return _search(args, tornado, tornado.tornado, tornado.describe)


def _add_effect_search(sub, name: str, help_text: str, func) -> argparse.ArgumentParser:
    e = sub.add_parser(name, help=help_text)
    e.add_argument("models", nargs="+", metavar="MODEL.toml", help="scenarios with interventions")
    default_base = str(Path(__file__).resolve().parents[1] / "models" / "baseline.toml")
    e.add_argument("--comparator", default=default_base, metavar="MODEL.toml", help="(default business as usual)")
    e.add_argument("--reps", type=int, default=4, help="replications, each paired with the comparator's (default 4)")
    e.add_argument("--years", type=int, default=5, help="years whose discounted net savings are counted (default 5)")
    e.add_argument("--scale", type=float, default=0.1, help="fraction of the population simulated (default 0.1)")
    e.add_argument("--seed", type=int, default=1, help="master seed (default 1)")
    e.add_argument("--jobs", type=int, default=1, help="parallel workers, -1 for all cores (default 1)")
    e.add_argument(
        "--out", required=True, metavar="DIR", help="where to write; a run's directory adds it to its report"
    )
    e.add_argument("--quiet", action="store_true", help="no progress bars")
    e.set_defaults(func=func)
    return e


def add_breakeven(sub) -> None:
    e = _add_effect_search(
        sub,
        "breakeven",
        "the multiplier on every effect at which five-year discounted net savings reach zero",
        cmd_breakeven,
    )
    e.add_argument("--per-intervention", action="store_true", help="also scale each intervention's effects alone")


def add_tornado(sub) -> None:
    _add_effect_search(
        sub,
        "tornado",
        "net savings with each intervention's effects at either end of their evidence's range",
        cmd_tornado,
    )
