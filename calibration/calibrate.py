"""One calibration as `wsic calibrate` runs it: fit (or not), check at the acceptance scale, write the
fitted file and the fit report, and hand back what was found for the caller to print."""

from __future__ import annotations

import datetime as _dt
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from calibration import cba, fit, fitted_file, longitudinal, report
from calibration.parameters import NAMES, start
from experiments.files import file_in_the_way
from experiments.runner import jobs_problem
from models.loader import load_model, resolved_data

REPORT_TITLE = "Calibration of business as usual to the tri-borough 2010/11"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def _unwritable(path: Path) -> str | None:
    """Why a file cannot be written at path (its missing directories are made), or None."""
    if path.is_dir():
        return "not a directory"
    blocking = file_in_the_way(path)
    return None if blocking is None else f"but {blocking} is a file"


@dataclass(frozen=True)
class CalibrateSpec:
    """Every flag of `wsic calibrate`; the defaults are the command's."""

    model: str | Path
    out: str | Path
    report: str | Path
    scale: float = 0.25
    seeds: tuple[int, ...] = (101, 102, 103, 104)
    rounds: int = 4
    max_evaluations: int = 6
    leaf_steps: int = 2  # fixed-point steps on the cost-tree leaves' need per round; 0 holds the leaves
    jobs: int = 2
    check_scale: float = 1.0
    check_reps: int = 5
    check_seed: int = 1
    check_only: bool = False
    note: str | None = None
    free: tuple[str, ...] | None = None  # the parameters to fit by name; None: every default one
    aim_within: float = 0.0  # aim each row within this fraction of its band (fit.aimed); 0: at its target

    @property
    def free_indices(self) -> tuple[int, ...]:
        return fit.DEFAULT_FREE if self.free is None else tuple(NAMES.index(n) for n in self.free)

    @property
    def check_seeds(self) -> list[int]:
        return list(range(self.check_seed, self.check_seed + self.check_reps))

    @property
    def shared_seeds(self) -> list[int]:
        """The check's seeds that the fit also ran on (then the check is not on unseen seeds)."""
        return sorted(set(self.seeds) & set(self.check_seeds))

    def check(self) -> list[str]:
        """Every bad flag, one line each, before an hour of fitting starts."""
        problems = []
        for flag, value in (("--scale", self.scale), ("--check-scale", self.check_scale)):
            if not 0 < value <= 1:
                problems.append(f"{flag} must be a fraction of the population in (0, 1] (got {value})")
        for flag, value in (
            ("--check-reps", self.check_reps),
            ("--rounds", self.rounds),
            ("--max-evaluations", self.max_evaluations),
        ):
            if value < 1:
                problems.append(f"{flag} must be at least 1 (got {value})")
        if not 0 <= self.aim_within < 1:
            problems.append(f"--aim-within must be a fraction of a band in [0, 1) (got {self.aim_within})")
        elif self.aim_within and self.check_only:
            problems.append(f"--aim-within steers a fit, and --check-only fits nothing (got {self.aim_within})")
        if self.leaf_steps < 0:
            problems.append(f"--leaf-steps must be 0 (hold the leaves) or more (got {self.leaf_steps})")
        if jobs_problem(self.jobs):
            problems.append(jobs_problem(self.jobs))
        if self.check_seed < 0:
            problems.append(f"--check-seed must be a non-negative integer (got {self.check_seed})")
        for flag, path, what in (("--out", self.out, "the fitted file"), ("--report", self.report, "the fit report")):
            problem = _unwritable(Path(path))
            if problem:
                problems.append(f"{flag} must be {what}'s path, {problem} (got {path})")
        unknown = [n for n in self.free or () if n not in NAMES]
        if unknown:
            problems.append(f"--free must name parameters of the fit ({', '.join(NAMES)}) (got {' '.join(unknown)})")
        elif self.free is not None and len(set(self.free)) < len(self.free):
            problems.append(f"--free must name each parameter once (got {' '.join(self.free)})")
        if self.note is not None and any("\ud800" <= ch <= "\udfff" for ch in self.note):
            problems.append("--note must be valid text (got bytes that are not UTF-8)")
        seeds = " ".join(map(str, self.seeds))
        if any(s < 0 for s in self.seeds):
            problems.append(f"--seeds must be non-negative integers (got {seeds})")
        elif len(set(self.seeds)) < len(self.seeds):
            problems.append(f"--seeds must be distinct (got {seeds})")
        return problems

    def method(self, data: dict) -> str:
        """How this fit was run and what it started from, so the fitted file says how it was reached."""
        before = data.get("calibration") or {}
        begin = f"the parameters of {Path(self.model).name}"
        if before.get("status") == "fitted":
            begin += f" (the fit of {before.get('fitted_on')}, {before.get('code_version')})"
        text = (
            f"wsic calibrate --scale {self.scale} --seeds {' '.join(map(str, self.seeds))} "
            f"--rounds {self.rounds} --max-evaluations {self.max_evaluations}"
            + (f" --leaf-steps {self.leaf_steps}" if self.leaf_steps != CalibrateSpec.leaf_steps else "")
            + (f" --aim-within {self.aim_within}" if self.aim_within else "")
            + (f" --free {' '.join(self.free)}" if self.free is not None else "")
            + f", started from {begin}"
        )
        return f"{text}; {self.note}" if self.note else text

    def fit_spec(self) -> fit.FitSpec:
        return fit.FitSpec(
            scale=self.scale,
            seeds=tuple(self.seeds),
            jobs=self.jobs,
            max_evaluations=self.max_evaluations,
            rounds=self.rounds,
            leaf_steps=self.leaf_steps,
            free=self.free_indices,
            aim_within=self.aim_within,
        )


@dataclass(frozen=True)
class CalibrationResult:
    """What a calibration found: each target against the check, the CBA what-if, and where it wrote."""

    rows: list[dict]  # each target: name, group, target, achieved, tolerance, within
    what_if: pd.DataFrame  # by scenario and stratum, as cba.what_if
    cba: list[dict]  # each scenario's totals against the table, as cba.against_table
    fitted: Path | None  # the fitted file, None when only checking
    report: str | Path
    shared_seeds: list[int]  # the check's seeds the fit also ran on

    @property
    def fitted_rows(self) -> list[dict]:
        """The targets the fit aims at (the longitudinal rows marked checked are only reported)."""
        return [r for r in self.rows if r["group"] != longitudinal.GROUP]

    @property
    def checked_rows(self) -> list[dict]:
        return [r for r in self.rows if r["group"] == longitudinal.GROUP]

    @property
    def within(self) -> int:
        return sum(r["within"] for r in self.fitted_rows)


def code_version() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent,
            timeout=10,
        )
        if rev.returncode == 0:
            return f"wsic-sim {metadata.version('wsic-sim')} ({rev.stdout.strip()})"
    except (OSError, subprocess.SubprocessError):
        pass
    return f"wsic-sim {metadata.version('wsic-sim')}"


def today() -> str:
    return _dt.date.today().isoformat()


def _fit(
    spec: CalibrateSpec, data: dict, progress: Callable[[str], None]
) -> tuple[np.ndarray, dict, int, float | None]:
    """The vector to check, the model data it applies to, the evaluations run and the objective."""
    if spec.check_only:
        progress(f"checking the current parameters of {spec.model}")
        return start(data), data, 0, None
    fit_spec = spec.fit_spec()
    cache = Path(spec.out).with_suffix(".cache.json")
    leaves_said = "the cost-tree leaves held" if spec.leaf_steps == 0 else "the cost-tree leaves' need by fixed point"
    progress(
        f"fitting {len(spec.free_indices)} of {len(start(data))} parameters, and {leaves_said}, "
        f"at scale {fit_spec.scale}, seeds {list(fit_spec.seeds)} (cache {cache}; rerun to resume)"
    )
    x, obj = fit.fit(data, fit_spec, cache_path=cache, progress=progress)
    return x, obj.data, obj.evaluations, float(obj.best[0])


def _record(spec: CalibrateSpec, data: dict, rows: list[dict], evaluations: int, objective: float | None) -> dict:
    """The fitted file's [calibration] table: how the values were reached and what they met."""
    return {
        "status": "checked" if spec.check_only else "fitted",
        "fitted_on": today(),
        "code_version": code_version(),
        "seeds": list(spec.seeds),
        "scale": spec.scale,
        "reps": len(spec.seeds),
        "evaluations": evaluations,
        "objective": objective,
        "method": None if spec.check_only else spec.method(data),
        "free": None if spec.check_only else [NAMES[k] for k in spec.free_indices],
        "leaf_steps": None if spec.check_only else spec.leaf_steps,
        "check_scale": spec.check_scale,
        "check_reps": spec.check_reps,
        "check_seed": spec.check_seed,
        "targets": rows,
    }


def _report_notes(spec: CalibrateSpec, record: dict) -> list[str]:
    return [
        f"Checked at scale {spec.check_scale} over {spec.check_reps} replications, seeds "
        f"{spec.check_seed} to {spec.check_seed + spec.check_reps - 1} (year 1 after the warm-up); "
        "strata are the year-end (concurrent) risk strata.",
        f"Code {record['code_version']}; fit scale {spec.scale}, seeds {list(spec.seeds)}.",
    ]


def calibrate(spec: CalibrateSpec, progress: Callable[[str], None] = _stderr) -> CalibrationResult:
    """Fit (unless only checking), check, write the fitted file and the fit report.

    progress receives a line for each stage and each step of the fit. A bad model file raises
    models.loader.ModelFileError; a spec with problems (CalibrateSpec.check) raises ValueError."""
    problems = spec.check()
    if problems:
        raise ValueError("; ".join(problems))
    if spec.shared_seeds and not spec.check_only:
        progress(f"note: check seeds {spec.shared_seeds} are also the fit's, so it is not a check on unseen seeds")
    load_model(spec.model)
    out = Path(spec.out)
    if not spec.check_only:
        out.parent.mkdir(parents=True, exist_ok=True)  # the cache beside it is written from the first step
    x, data, evaluations, objective = _fit(spec, resolved_data(spec.model), progress)
    progress(f"checking at scale {spec.check_scale}, {spec.check_reps} replications ...")
    ach, frames = fit.check(
        data, x, scale=spec.check_scale, reps=spec.check_reps, jobs=spec.jobs, first_seed=spec.check_seed
    )
    rows = fit.target_rows(fit.objective_targets() + longitudinal.load_targets("checked"), ach)
    what_if, observed = cba.what_if(frames), cba.observed()
    record = _record(spec, data, rows, evaluations, objective)
    if not spec.check_only:
        fitted_file.write(out, data, np.asarray(x), record)
    path = report.build(rows, Path(spec.report), REPORT_TITLE, _report_notes(spec, record), what_if, observed)
    return CalibrationResult(
        rows=rows,
        what_if=what_if,
        cba=cba.against_table(what_if, observed),
        fitted=None if spec.check_only else out,
        report=path,
        shared_seeds=spec.shared_seeds,
    )
