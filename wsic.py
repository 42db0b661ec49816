"""The `wsic` command: validate model files, run experiments, benchmark the engine, check scale,
find what it would take to break even and which evidence matters most, size a workforce, evaluate a pilot.

The only module that imports every package (models, sim, experiments, calibration).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings as python_warnings
from pathlib import Path

from cli.common import EXIT_BAD_INPUT, load_all, refuse
from cli.evaluation import add_evaluate
from cli.searches import add_breakeven, add_tornado
from cli.sizing import add_size
from cli.start_state import add_start_state
from models.checks import warnings
from models.loader import LoadedModel, ModelFileError


def _print_warnings(models: list[LoadedModel], years: int) -> None:
    for line in (w for m in models for w in warnings(m.model, years, m.path)):
        print(f"warning: {line}", file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    if args.years < 1:
        print(f"wsic validate: --years must be at least 1 (got {args.years})", file=sys.stderr)
        return EXIT_BAD_INPUT
    models = load_all(args.models)
    for m in models:
        print(f"{m.path}: valid ({m.model.meta.name}, sha256 {m.sha256[:12]})")
    _print_warnings(models, args.years)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from experiments.headline import headline
    from experiments.outputs import write_outputs
    from experiments.runner import ExperimentError, RunSpec, out_problem, run_experiment

    spec = RunSpec(
        reps=args.reps,
        years=args.years,
        scale=args.scale,
        seed=args.seed,
        jobs=args.jobs,
        event_log=args.event_log,
        person_log=args.person_log,
        backend=args.backend,
        scheduler=args.scheduler,
        precision=args.precision,
        max_reps=args.max_reps,
        common_random_numbers=not args.independent_seeds,
    )
    out = Path(args.out)
    problems = [f"wsic run: {p}" for p in [*spec.check(), out_problem(out)] if p]
    try:  # every problem at once: the flags' and the model files'
        models = load_all(args.models)
    except ModelFileError as exc:
        problems += exc.problems
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return EXIT_BAD_INPUT
    _print_warnings(models, spec.years)
    try:
        run = run_experiment(models, spec, out, argv=sys.argv)
    except ExperimentError as exc:
        print(f"wsic run: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    manifest = run.manifest
    if not args.no_report:
        report = write_outputs(out, run.results, manifest, [m.model for m in models])
        print(f"Report: {report}  (summary.csv and board.csv beside it)")
    print(headline(run.results))
    if "precision" in manifest:
        p = manifest["precision"]
        state = "reached" if p["reached"] else f"not reached by --max-reps {spec.rep_cap}"
        print(f"precision: target {p['target']:.1%}, achieved {p['achieved']:.1%} ({state})")
    print(
        f"{len(models)} scenario(s) x {manifest['reps']} replication(s), {manifest['residents']:,} residents, "
        f"{spec.years} year(s): {manifest['wall_seconds']:.1f} s. Results in {out / 'results.parquet'}"
    )
    if spec.scale < 1:
        print(
            f"note: --scale {spec.scale} simulates a sample of residents on full-size capacity that also "
            "serves the rest of the population's demand (README, Scale): service levels are the whole "
            "system's, and figures for a stratum carry the sample's noise"
        )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from experiments.outputs import rebuild_outputs
    from experiments.runner import ExperimentError

    try:
        report = rebuild_outputs(Path(args.dir))
    except ExperimentError as exc:
        print(f"wsic report: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Report: {report}  (summary.csv and board.csv beside it)")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from calibration.calibrate import CalibrateSpec, calibrate

    spec = CalibrateSpec(
        model=args.model,
        out=args.out,
        report=args.report,
        scale=args.scale,
        seeds=tuple(args.seeds),
        rounds=args.rounds,
        max_evaluations=args.max_evaluations,
        aim_within=args.aim_within,
        leaf_steps=args.leaf_steps,
        jobs=args.jobs,
        check_scale=args.check_scale,
        check_reps=args.check_reps,
        check_seed=args.check_seed,
        check_only=args.check_only,
        note=args.note,
        free=None if args.free is None else tuple(args.free),
    )
    problems = spec.check()
    if problems:
        return refuse("calibrate", problems)
    result = calibrate(spec, progress=lambda line: print(line, file=sys.stderr))
    if result.fitted is not None:
        print(f"fitted parameters written to {result.fitted}")
    print(f"{result.within} of {len(result.fitted_rows)} targets within tolerance. Fit report: {result.report}")
    for r in result.fitted_rows:
        flag = "ok " if r["within"] else "OUT"
        print(f"  {flag} {r['name']:32s} target {r['target']:12.3f}  simulated {r['achieved']:12.3f}")
    checked = result.checked_rows
    print(f"Longitudinal, checked and not fitted: {sum(r['within'] for r in checked)} of {len(checked)} within:")
    for r in checked:
        flag = "ok " if r["within"] else "OUT"
        print(f"  {flag} {r['name']:32s} target {r['target']:12.3f}  simulated {r['achieved']:12.3f}")
    print("CBA what-if, GBP m (within 5% of the table?):")
    for r in result.cba:
        flag = "ok " if r["within"] else "OUT"
        what = f"{r['scenario']:5s} {r['measure']:8s}"
        print(f"  {flag} {what}  table {r['table']:6.1f}  simulated {r['simulated']:6.1f}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from experiments.bench import bench_problems, measure_in_subprocess, report

    problems = bench_problems(args.population, args.years, args.seed, args.reference_events)
    if problems:
        return refuse("bench", problems)
    load_all(args.model)
    rows = [
        measure_in_subprocess(m, p, args.years, args.seed, args.reference_events)
        for p in args.population
        for m in args.model
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(report(rows))
    return 0


def cmd_scale_check(args: argparse.Namespace) -> int:
    from experiments.scale_bands import check_problems, compare, describe, run_check

    problems = check_problems(args.scales, args.reps, args.years, args.jobs)
    if problems:
        return refuse("scale-check", problems)
    model = load_all([args.model])[0].model
    levels = run_check(model, args.scales, args.reps, args.years, args.seed, args.jobs, show_progress=not args.quiet)
    table = compare(levels)
    print(describe(table))
    outside = int((~table.within).sum())
    print(f"{len(table) - outside} of {len(table)} within their bands")
    return 0


def _add_validate(sub) -> None:
    v = sub.add_parser("validate", help="check model files and report every problem")
    v.add_argument("models", nargs="+", metavar="MODEL.toml")
    v.add_argument(
        "--years",
        type=int,
        default=5,
        help="reported years of the run to warn about, e.g. an intervention starting after them "
        "(default 5, as wsic run)",
    )
    v.set_defaults(func=cmd_validate)


def _add_run(sub) -> None:
    r = sub.add_parser("run", help="run scenarios x replications; the first model is the comparator")
    r.add_argument("models", nargs="+", metavar="MODEL.toml")
    r.add_argument("--reps", type=int, default=1, help="replications per scenario (default 1)")
    r.add_argument("--years", type=int, default=5, help="reported years after warm-up (default 5)")
    r.add_argument("--scale", type=float, default=1.0, help="fraction of the population simulated (default 1)")
    r.add_argument("--seed", type=int, default=1, help="master seed (default 1)")
    r.add_argument("--jobs", type=int, default=1, help="parallel workers, -1 for all cores (default 1)")
    r.add_argument("--out", required=True, metavar="DIR", help="output directory")
    r.add_argument("--event-log", action="store_true", help="also write DIR/events.parquet")
    r.add_argument("--person-log", action="store_true", help="also write DIR/persons.parquet")
    r.add_argument("--backend", default="loky", choices=["loky", "dask"], help="parallel backend (default loky)")
    r.add_argument("--scheduler", metavar="ADDRESS", help="dask scheduler address, with --backend dask")
    r.add_argument(
        "--precision",
        type=float,
        metavar="P",
        help="add replications until the 95%% CI half-width of cost_total and nel_admissions "
        "is within P of the mean (e.g. 0.02)",
    )
    r.add_argument("--max-reps", type=int, help="cap on replications with --precision (default 100, or --reps if more)")
    r.add_argument(
        "--independent-seeds",
        action="store_true",
        help="give each scenario its own seeds instead of common random numbers",
    )
    r.add_argument("--no-report", action="store_true", help="skip report.html and the summaries")
    r.set_defaults(func=cmd_run)


def _add_report(sub) -> None:
    rp = sub.add_parser("report", help="(re)build DIR/report.html, summary.csv and board.csv from a run")
    rp.add_argument("dir", metavar="DIR")
    rp.set_defaults(func=cmd_report)


def _add_calibrate(sub) -> None:
    c = sub.add_parser("calibrate", help="fit business as usual to the 2010/11 tri-borough data")
    c.add_argument("--model", default=str(Path(__file__).resolve().parent / "models" / "baseline.toml"))
    fitted = Path(__file__).resolve().parent / "models" / "fitted" / "tri_borough_2010.toml"
    c.add_argument("--out", default=str(fitted))
    c.add_argument("--scale", type=float, default=0.25, help="population fraction simulated while fitting")
    c.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103, 104], help="fixed seeds of the objective")
    c.add_argument("--max-evaluations", type=int, default=6, help="optimiser steps per round")
    c.add_argument("--rounds", type=int, default=4, help="rounds of (leaf fixed point, optimiser steps)")
    c.add_argument(
        "--aim-within",
        type=float,
        default=0.0,
        help="aim each target within this fraction of its band rather than at its value: errors inside "
        "it count a tenth (0: at the value)",
    )
    c.add_argument(
        "--leaf-steps",
        type=int,
        default=2,
        help="fixed-point steps on the cost-tree leaves' need at each round's start (0: hold the leaves "
        "where the model has them)",
    )
    c.add_argument("--jobs", type=int, default=2)
    c.add_argument("--check-scale", type=float, default=1.0, help="scale of the acceptance check (default 1)")
    c.add_argument("--check-reps", type=int, default=5, help="replications of the acceptance check")
    c.add_argument(
        "--check-seed",
        type=int,
        default=1,
        help="seed of the check's first replication (default 1); another gives a check on unseen seeds",
    )
    c.add_argument("--check-only", action="store_true", help="only check the current parameters")
    c.add_argument(
        "--note",
        metavar="TEXT",
        help="added to the fitted file's method line: anything about how the fit was reached that the "
        "flags do not say (for example a step made by hand before it)",
    )
    c.add_argument(
        "--free",
        nargs="+",
        metavar="NAME",
        help="fit only these parameters (names as in calibration/parameters.py), holding the rest where "
        "the model file has them (default: every parameter the fit moves)",
    )
    c.add_argument("--report", default="runs/calibration/fit_report.html")
    c.set_defaults(func=cmd_calibrate)


def _add_bench(sub) -> None:
    b = sub.add_parser("bench", help="time one replication per model and population size, against a reference loop")
    b.add_argument(
        "--model",
        nargs="+",
        default=[str(Path(__file__).resolve().parent / "models" / "baseline.toml")],
        metavar="MODEL.toml",
        help="model files to time (default business as usual); later ones are compared with the first",
    )
    b.add_argument("--population", type=int, nargs="+", default=[466921], metavar="N")
    b.add_argument("--years", type=int, default=5)
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--json", action="store_true", help="print the measurements as JSON")
    b.add_argument(
        "--reference-events",
        type=int,
        default=3_781_163,
        metavar="N",
        help="events of the reference loop (default 3,781,163, the fixed count; fewer only for a quick look)",
    )
    b.set_defaults(func=cmd_bench)


def _add_scale_check(sub) -> None:
    c = sub.add_parser(
        "scale-check", help="compare a sample's service levels with full scale's on the same seeds (README, Scale)"
    )
    c.add_argument("--model", default=str(Path(__file__).resolve().parent / "models" / "baseline.toml"))
    c.add_argument("--scales", type=float, nargs="+", default=[0.1, 0.25], metavar="F")
    c.add_argument("--reps", type=int, default=5, help="replications at each scale and at full scale (default 5)")
    c.add_argument("--years", type=int, default=3, help="reported years after warm-up (default 3)")
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--jobs", type=int, default=2)
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.set_defaults(func=cmd_scale_check)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="wsic", description="Whole-system integrated care simulation.")
    sub = ap.add_subparsers(dest="command", required=True)
    for add in (
        _add_validate,
        _add_run,
        _add_report,
        _add_calibrate,
        _add_bench,
        _add_scale_check,
        add_breakeven,
        add_tornado,
        add_size,
        add_evaluate,
        add_start_state,
    ):
        add(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    with python_warnings.catch_warnings():
        # joblib's workers guard against memory leaks, and a full-population replication (about
        # 1 GB) trips the guard, so a worker is replaced between replications: the results are
        # unaffected, and the notice is not the user's concern
        python_warnings.filterwarnings("ignore", message="A worker stopped while some jobs", category=UserWarning)
        try:
            return args.func(args)
        except ModelFileError as exc:
            for line in exc.problems:
                print(line, file=sys.stderr)
            return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
