"""The `wsic` command: validate model files, run experiments, benchmark the engine.

The only module that imports every package (models, sim, experiments, calibration).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from models.checks import warnings
from models.loader import LoadedModel, ModelFileError, load_model

EXIT_BAD_INPUT = 2


def _load_all(paths: list[str]) -> list[LoadedModel]:
    """Load every model, collecting all problems before failing."""
    loaded, problems = [], []
    for p in paths:
        try:
            loaded.append(load_model(p))
        except ModelFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ModelFileError(problems)
    return loaded


def _print_warnings(models: list[LoadedModel], years: int) -> None:
    for line in (w for m in models for w in warnings(m.model, years, m.path)):
        print(f"warning: {line}", file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    if args.years < 1:
        print(f"wsic validate: --years must be at least 1 (got {args.years})", file=sys.stderr)
        return EXIT_BAD_INPUT
    models = _load_all(args.models)
    for m in models:
        print(f"{m.path}: valid ({m.model.meta.name}, sha256 {m.sha256[:12]})")
    _print_warnings(models, args.years)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    import pandas as pd

    from experiments.headline import headline
    from experiments.report import build_report
    from experiments.runner import ExperimentError, RunSpec, run_experiment

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
        max_reps=args.max_reps if args.max_reps is not None else max(args.reps, 100),
        common_random_numbers=not args.independent_seeds,
    )
    problems = spec.check()
    if problems:
        for p in problems:
            print(f"wsic run: {p}", file=sys.stderr)
        return EXIT_BAD_INPUT
    models = _load_all(args.models)
    _print_warnings(models, spec.years)
    out = Path(args.out)
    try:
        manifest = run_experiment(models, spec, out, argv=sys.argv)
    except ExperimentError as exc:
        print(f"wsic run: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.no_report:
        report = build_report(out, [m.model for m in models])
        print(f"Report: {report}  (summary.csv and board.csv beside it)")
    print(headline(pd.read_parquet(out / "results.parquet")))
    if "precision" in manifest:
        p = manifest["precision"]
        state = "reached" if p["reached"] else f"not reached by --max-reps {spec.max_reps}"
        print(f"precision: target {p['target']:.1%}, achieved {p['achieved']:.1%} ({state})")
    print(
        f"{len(models)} scenario(s) x {manifest['reps']} replication(s), {manifest['residents']:,} residents, "
        f"{spec.years} year(s): {manifest['wall_seconds']:.1f} s. Results in {out / 'results.parquet'}"
    )
    if spec.scale < 1:
        print(
            f"note: --scale {spec.scale} keeps each workforce pool's hours in proportion but in fewer, "
            "slower servers, so waits and two-hour response rates of small pools are worse than at full "
            "scale; "
            "use --scale 1 for service levels."
        )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from experiments.report import build_report

    out = Path(args.dir)
    missing = [f for f in ("results.parquet", "manifest.json") if not (out / f).exists()]
    if missing:
        print(
            f"wsic report: {out} has no {' or '.join(missing)}; run `wsic run ... --out {out}` first",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    print(f"Report: {build_report(out)}")
    return 0


def _file_path_problem(path: Path) -> str | None:
    """Why a file cannot be written at path (its missing directories are made), or None."""
    if path.is_dir():
        return "not a directory"
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    return None if parent.is_dir() else f"but {parent} is a file"


def calibrate_problems(args: argparse.Namespace) -> list[str]:
    """Every bad flag of wsic calibrate, one line each, before an hour of fitting starts."""
    from experiments.runner import jobs_problem

    problems = []
    for flag, value in (
        ("--scale", args.scale),
        ("--check-scale", args.check_scale),
        ("--correct-to-scale", args.correct_to_scale),
    ):
        if value is not None and not 0 < value <= 1:  # --correct-to-scale None: --check-scale's
            problems.append(f"{flag} must be a fraction of the population in (0, 1] (got {value})")
    for flag, value in (
        ("--check-reps", args.check_reps),
        ("--rounds", args.rounds),
        ("--max-evaluations", args.max_evaluations),
    ):
        if value < 1:
            problems.append(f"{flag} must be at least 1 (got {value})")
    if jobs_problem(args.jobs):
        problems.append(jobs_problem(args.jobs))
    if args.check_seed < 0:
        problems.append(f"--check-seed must be a non-negative integer (got {args.check_seed})")
    for flag, path, what in (("--out", args.out, "the fitted file"), ("--report", args.report, "the fit report")):
        problem = _file_path_problem(Path(path))
        if problem:
            problems.append(f"{flag} must be {what}'s path, {problem} (got {path})")
    if args.note is not None and any("\ud800" <= ch <= "\udfff" for ch in args.note):
        problems.append("--note must be valid text (got bytes that are not UTF-8)")
    seeds = " ".join(map(str, args.seeds))
    if any(s < 0 for s in args.seeds):
        problems.append(f"--seeds must be non-negative integers (got {seeds})")
    elif len(set(args.seeds)) < len(args.seeds):
        problems.append(f"--seeds must be distinct (got {seeds})")
    return problems


def fit_method(args: argparse.Namespace, data: dict) -> str:
    """How this fit was run and what it started from, so the fitted file says how it was reached."""
    before = data.get("calibration") or {}
    start = f"the parameters of {Path(args.model).name}"
    if before.get("status") == "fitted":
        start += f" (the fit of {before.get('fitted_on')}, {before.get('code_version')})"
    text = (
        f"wsic calibrate --scale {args.scale} --seeds {' '.join(map(str, args.seeds))} "
        f"--rounds {args.rounds} --max-evaluations {args.max_evaluations} "
        f"--correct-to-scale {args.correct_to_scale}, started from {start}"
    )
    return f"{text}; {args.note}" if args.note else text


def cmd_calibrate(args: argparse.Namespace) -> int:
    import numpy as np

    from calibration import cba, fit, report
    from calibration.parameters import start
    from calibration.targets import load_targets
    from models.loader import resolved_data

    problems = calibrate_problems(args)
    if problems:
        for p in problems:
            print(f"wsic calibrate: {p}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.correct_to_scale is None:
        args.correct_to_scale = args.check_scale
    shared = sorted(set(args.seeds) & set(range(args.check_seed, args.check_seed + args.check_reps)))
    if shared and not args.check_only:
        print(f"note: check seeds {shared} are also the fit's, so it is not a check on unseen seeds", file=sys.stderr)
    _load_all([args.model])
    out = Path(args.out)
    if not args.check_only:
        out.parent.mkdir(parents=True, exist_ok=True)  # the cache beside it is written from the first step
    data = resolved_data(args.model)
    spec = fit.FitSpec(
        scale=args.scale,
        seeds=tuple(args.seeds),
        jobs=args.jobs,
        max_evaluations=args.max_evaluations,
        rounds=args.rounds,
        correct_to_scale=args.correct_to_scale,
    )
    cache = out.with_suffix(".cache.json")
    if args.check_only:
        x, evaluations, objective = start(data), 0, None
        print(f"checking the current parameters of {args.model}", file=sys.stderr)
    else:
        print(
            f"fitting {len(fit.DEFAULT_FREE)} of {len(start(data))} parameters, and the cost-tree leaves' need "
            f"by fixed point, at scale {spec.scale}, seeds {list(spec.seeds)} "
            f"(cache {cache}; rerun to resume)",
            file=sys.stderr,
        )
        x, obj = fit.fit(data, spec, cache_path=cache)
        data, evaluations, objective = obj.data, obj.evaluations, float(obj.best[0])
    print(f"checking at scale {args.check_scale}, {args.check_reps} replications ...", file=sys.stderr)
    ach, frames = fit.check(
        data, x, scale=args.check_scale, reps=args.check_reps, jobs=args.jobs, first_seed=args.check_seed
    )
    rows = fit.target_rows(load_targets(), ach)
    what_if = cba.what_if(frames, args.check_scale)
    record = {
        "status": "fitted" if not args.check_only else "checked",
        "fitted_on": fit.today(),
        "code_version": fit.code_version(),
        "seeds": list(spec.seeds),
        "scale": spec.scale,
        "reps": len(spec.seeds),
        "evaluations": evaluations,
        "objective": objective,
        "method": None if args.check_only else fit_method(args, data),
        "correct_to_scale": None if args.check_only else spec.correct_to_scale,
        "check_scale": args.check_scale,
        "check_reps": args.check_reps,
        "check_seed": args.check_seed,
        "targets": rows,
    }
    if not args.check_only:
        fit.write_fitted(out, data, np.asarray(x), record)
        print(f"fitted parameters written to {out}")
    path = report.build(
        rows,
        Path(args.report),
        "Calibration of business as usual to the tri-borough 2010/11",
        [
            f"Checked at scale {args.check_scale} over {args.check_reps} replications, seeds "
            f"{args.check_seed} to {args.check_seed + args.check_reps - 1} (year 1 after the warm-up); "
            "strata are the year-end (concurrent) risk strata.",
            f"Code {record['code_version']}; fit scale {spec.scale}, seeds {list(spec.seeds)}.",
        ],
        what_if,
        cba.observed(),
    )
    within = sum(r["within"] for r in rows)
    print(f"{within} of {len(rows)} targets within tolerance. Fit report: {path}")
    for r in rows:
        flag = "ok " if r["within"] else "OUT"
        print(f"  {flag} {r['name']:32s} target {r['target']:12.3f}  simulated {r['achieved']:12.3f}")
    print("CBA what-if, GBP m (within 5% of the table?):")
    got = what_if.set_index(["scenario", "stratum"])
    for (scenario, stratum), want in cba.observed().set_index(["scenario", "stratum"]).iterrows():
        if stratum != "total":
            continue
        for measure in ("gross", "reinvest", "net"):
            g, w = got.loc[(scenario, "total"), measure], want[measure]
            flag = "ok " if abs(g - w) <= 0.05 * abs(w) else "OUT"
            print(f"  {flag} {scenario:5s} {measure:8s}  table {w:6.1f}  simulated {g:6.1f}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from experiments.bench import measure_in_subprocess, report

    if args.years < 1 or any(p < 1 for p in args.population):
        print("wsic bench: --population and --years must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    _load_all([args.model])
    rows = [measure_in_subprocess(args.model, p, args.years, args.seed) for p in args.population]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(report(rows))
    return 0


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="wsic", description="Whole-system integrated care simulation.")
    sub = ap.add_subparsers(dest="command", required=True)

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
    r.add_argument("--max-reps", type=int, help="cap on replications with --precision (default 100)")
    r.add_argument(
        "--independent-seeds",
        action="store_true",
        help="give each scenario its own seeds instead of common random numbers",
    )
    r.add_argument("--no-report", action="store_true", help="skip report.html and the summaries")
    r.set_defaults(func=cmd_run)

    rp = sub.add_parser("report", help="(re)build DIR/report.html, summary.csv and board.csv from a run")
    rp.add_argument("dir", metavar="DIR")
    rp.set_defaults(func=cmd_report)

    c = sub.add_parser("calibrate", help="fit business as usual to the 2010/11 tri-borough data")
    c.add_argument("--model", default=str(Path(__file__).resolve().parent / "models" / "baseline.toml"))
    fitted = Path(__file__).resolve().parent / "models" / "fitted" / "tri_borough_2010.toml"
    c.add_argument("--out", default=str(fitted))
    c.add_argument("--scale", type=float, default=0.25, help="population fraction simulated while fitting")
    c.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103, 104], help="fixed seeds of the objective")
    c.add_argument("--max-evaluations", type=int, default=6, help="optimiser steps per round")
    c.add_argument("--rounds", type=int, default=4, help="rounds of (leaf fixed point, optimiser steps)")
    c.add_argument("--jobs", type=int, default=2)
    c.add_argument(
        "--correct-to-scale",
        type=float,
        default=None,
        help="each round, measure the gap between this scale and --scale on the fit's seeds and aim "
        "the fit at this scale's results (default: --check-scale; equal to --scale: off)",
    )
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
    c.add_argument("--report", default="runs/calibration/fit_report.html")
    c.set_defaults(func=cmd_calibrate)

    b = sub.add_parser("bench", help="time one replication per population size")
    b.add_argument("--model", default=str(Path(__file__).resolve().parent / "models" / "baseline.toml"))
    b.add_argument("--population", type=int, nargs="+", default=[466921], metavar="N")
    b.add_argument("--years", type=int, default=5)
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--json", action="store_true", help="print the measurements as JSON")
    b.set_defaults(func=cmd_bench)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ModelFileError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
