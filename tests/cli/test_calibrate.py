"""`wsic calibrate`: bad flags are refused before any fitting, one line each on stderr with exit 2 and
nothing written; a good run fits, checks, writes the fitted file and the fit report, and prints
each target and the CBA what-if. The fit and the check are replaced by fakes here (the fit itself
is tested in tests/calibration), so these tests are about the command's plumbing."""

from __future__ import annotations

import dataclasses
import shutil
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import calibration.calibrate
import calibration.fit
import wsic
from calibration import leaves, longitudinal
from calibration.calibrate import CalibrateSpec
from calibration.parameters import DEFAULT_FREE, NAMES, apply, start
from calibration.targets import load_targets, strata_table
from models.loader import load_model
from models.schema import CareModel

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "models" / "baseline.toml"
# the rows a fit aims at (the cross-section, then the longitudinal rows marked fitted) and the
# longitudinal rows only checked, as calibration/data has them
FITTED = calibration.fit.objective_targets()
N = len(FITTED)
CHECKED = longitudinal.load_targets("checked")
CROSS = len(load_targets())


def _refuse(*args, **kwargs):
    raise AssertionError("wsic calibrate started despite bad flags")


@pytest.fixture
def no_fitting(monkeypatch):
    monkeypatch.setattr(calibration.fit, "fit", _refuse)
    monkeypatch.setattr(calibration.fit, "check", _refuse)


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (["--scale", "0"], "--scale must be a fraction of the population in (0, 1] (got 0.0)"),
        (["--check-scale", "1.5"], "--check-scale must be a fraction of the population in (0, 1] (got 1.5)"),
        (["--check-reps", "0"], "--check-reps must be at least 1 (got 0)"),
        (["--rounds", "0"], "--rounds must be at least 1 (got 0)"),
        (["--leaf-steps", "-1"], "--leaf-steps must be 0 (hold the leaves) or more (got -1)"),
        (["--max-evaluations", "-2"], "--max-evaluations must be at least 1 (got -2)"),
        (["--aim-within", "1"], "--aim-within must be a fraction of a band in [0, 1) (got 1.0)"),
        (["--aim-within", "-0.1"], "--aim-within must be a fraction of a band in [0, 1) (got -0.1)"),
        (
            ["--aim-within", "0.5", "--check-only"],
            "--aim-within steers a fit, and --check-only fits nothing (got 0.5)",
        ),
        (["--jobs", "0"], "--jobs must be a positive integer or -1 for all cores (got 0)"),
        (["--jobs", "-3"], "--jobs must be a positive integer or -1 for all cores (got -3)"),
        (["--check-seed", "-1"], "--check-seed must be a non-negative integer (got -1)"),
        (["--seeds", "3", "-1"], "--seeds must be non-negative integers (got 3 -1)"),
        (["--seeds", "7", "8", "7"], "--seeds must be distinct (got 7 8 7)"),
        (
            ["--free", "nel:log_scale", "nel:log_scale"],
            "--free must name each parameter once (got nel:log_scale nel:log_scale)",
        ),
        (["--free", "crisis.rate"], f"--free must name parameters of the fit ({', '.join(NAMES)}) (got crisis.rate)"),
    ],
)
def test_calibrate_rejects_bad_flags_before_fitting(tmp_path, capsys, no_fitting, flags, line):
    out = tmp_path / "fitted.toml"
    assert wsic.main(["calibrate", "--model", str(BASELINE), "--out", str(out), *flags]) == 2
    assert capsys.readouterr().err.splitlines() == [f"wsic calibrate: {line}"]
    assert not out.exists()


def test_calibrate_reports_every_bad_flag_at_once_and_takes_seed_0(tmp_path, capsys, no_fitting):
    out = tmp_path / "fitted.toml"
    flags = ["--scale", "2", "--rounds", "0", "--check-seed", "0", "--seeds", "0", "1"]
    assert wsic.main(["calibrate", "--model", str(BASELINE), "--out", str(out), *flags]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "wsic calibrate: --scale must be a fraction of the population in (0, 1] (got 2.0)",
        "wsic calibrate: --rounds must be at least 1 (got 0)",
    ]


def test_calibrate_rejects_paths_it_cannot_write_and_notes_that_are_not_text(tmp_path, capsys, no_fitting):
    afile = tmp_path / "afile"
    afile.write_text("")
    cases = [
        (["--out", str(tmp_path)], f"--out must be the fitted file's path, not a directory (got {tmp_path})"),
        (
            ["--out", str(afile / "x" / "f.toml")],
            f"--out must be the fitted file's path, but {afile} is a file (got {afile / 'x' / 'f.toml'})",
        ),
        (["--report", str(tmp_path)], f"--report must be the fit report's path, not a directory (got {tmp_path})"),
        (["--note", "step \udcff"], "--note must be valid text (got bytes that are not UTF-8)"),
    ]
    for flags, line in cases:
        args = ["calibrate", "--model", str(BASELINE), *flags]
        if "--out" not in flags:
            args += ["--out", str(tmp_path / "f.toml")]
        assert wsic.main(args) == 2
        assert capsys.readouterr().err.splitlines() == [f"wsic calibrate: {line}"]
    assert sorted(tmp_path.iterdir()) == [afile]


def test_a_spec_with_problems_is_refused_by_calibrate_too(tmp_path, no_fitting):
    spec = CalibrateSpec(model=BASELINE, out=tmp_path / "f.toml", report=tmp_path / "r.html", rounds=0)
    with pytest.raises(ValueError, match="--rounds must be at least 1"):
        calibration.calibrate.calibrate(spec, progress=lambda line: None)
    assert list(tmp_path.iterdir()) == []


def test_calibrate_makes_the_fitted_file_s_directory_before_the_first_step(tmp_path, monkeypatch):
    """The cache beside the fitted file is written from the first evaluation."""

    class Started(Exception):
        pass

    def started(data, spec, cache_path, **kwargs):
        assert cache_path == tmp_path / "new" / "dir" / "fitted.cache.json"
        assert cache_path.parent.is_dir()
        raise Started

    monkeypatch.setattr(calibration.fit, "fit", started)
    with pytest.raises(Started):
        wsic.main(["calibrate", "--model", str(BASELINE), "--out", str(tmp_path / "new" / "dir" / "fitted.toml")])


def _spec_of(argv: list[str]) -> CalibrateSpec:
    """The spec wsic calibrate builds from these flags (the fit and check replaced by a catch)."""
    seen = {}

    def catch(spec, progress):
        seen["spec"] = spec
        raise SystemExit(0)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(calibration.calibrate, "calibrate", catch)
        with pytest.raises(SystemExit):
            wsic.main(["calibrate", *argv])
    return seen["spec"]


def test_calibrate_method_line_says_how_the_fit_was_run_and_what_it_started_from():
    spec = _spec_of(["--seeds", "5", "6", "--rounds", "3", "--note", 'a "hand" step'])
    data = {"calibration": {"status": "fitted", "fitted_on": "2026-01-02", "code_version": "wsic-sim 0.1.0 (abc)"}}
    assert spec.method(data) == (
        "wsic calibrate --scale 0.25 --seeds 5 6 --rounds 3 --max-evaluations 6, "
        "started from the parameters of baseline.toml (the fit of 2026-01-02, wsic-sim 0.1.0 (abc)); "
        'a "hand" step'
    )
    plain = dataclasses.replace(spec, note=None)
    assert plain.method({}).endswith("--max-evaluations 6, started from the parameters of baseline.toml")


def test_a_fit_can_hold_the_cost_tree_leaves():
    """--leaf-steps 0 reaches the fit (no fixed-point step on the leaves) and its method line."""
    spec = _spec_of(["--leaf-steps", "0"])
    assert spec.fit_spec().leaf_steps == 0
    assert "--max-evaluations 6 --leaf-steps 0, started from" in spec.method({})
    assert _spec_of([]).fit_spec().leaf_steps == 2


def test_a_fit_can_aim_within_the_bands():
    """--aim-within reaches the fit and its method line; by default a fit aims at the targets."""
    spec = _spec_of(["--aim-within", "0.5"])
    assert spec.fit_spec().aim_within == 0.5
    assert "--max-evaluations 6 --aim-within 0.5, started from" in spec.method({})
    assert _spec_of([]).fit_spec().aim_within == 0.0
    assert "--aim-within" not in _spec_of([]).method({})


def test_the_gap_correction_is_gone():
    """A fit aims at its own scale's results: the flag that added a gap measured at another scale
    each round is refused as unknown, and the fitted file's record no longer carries it."""
    with pytest.raises(SystemExit):
        wsic.main(["calibrate", "--correct-to-scale", "1"])
    spec = _spec_of(["--check-scale", "0.5"])
    assert not hasattr(spec.fit_spec(), "correct_to_scale")
    assert "correct_to_scale" not in calibration.calibrate._record(spec, {}, [], 0, None)


def test_the_command_s_defaults_are_the_spec_s():
    spec = _spec_of([])
    defaults = CalibrateSpec(model=spec.model, out=spec.out, report=spec.report)
    assert spec == defaults
    assert Path(spec.model) == BASELINE and Path(spec.out) == ROOT / "models" / "fitted" / "tri_borough_2010.toml"


# --- a whole run, with the fit and the check faked ------------------------------------------------


def _person_log(scale: float) -> pd.DataFrame:
    """One row a stratum carrying the table's costs for its sampled share of the population."""
    t = strata_table()
    persons = pd.DataFrame(
        {
            "stratum_concurrent": t.index,
            "cost_nel": t.nel_cost_per_capita * t.population * scale,
            "cost_other_hospital": t.other_hospital_cost_per_capita * t.population * scale,
            "cost_ooh": t.ooh_cost_per_capita * t.population * scale,
            "cost_sc": t.sc_cost_per_capita * t.population * scale * np.where(t.index == "high", 1.2, 1.0),
            "cost_total": t.total_cost_per_capita * t.population * scale,
        }
    ).reset_index(drop=True)
    persons["scale"] = scale
    return persons


def _values(model: CareModel) -> object:
    """The model's values, without sources or the calibration record."""

    def strip(d: object) -> object:
        if isinstance(d, dict):
            return {k: strip(v) for k, v in d.items() if k not in ("source", "calibration")}
        return [strip(v) for v in d] if isinstance(d, list) else d

    return strip(model.model_dump())


@pytest.fixture
def faked(monkeypatch):
    """A fit that moves the non-elective scale and the leaves, and a check that meets every target
    but the high stratum's out-of-hospital cost (20% over)."""
    calls = {}

    def fit(data, spec, cache_path=None, progress=None):
        calls["fit"] = spec
        progress("  cost       1.50  within tolerance 39/40  worst 1.2")
        x = start(data)
        x[NAMES.index("nel:log_scale")] += 0.01
        m = leaves.multipliers(data).copy()
        m[3] *= 1.1
        moved = leaves.with_multipliers(data, m)
        return x, types.SimpleNamespace(data=moved, evaluations=7, best=(1.5, x))

    def check(data, x, scale=1.0, reps=5, jobs=2, first_seed=1):
        calls["checked"] = CareModel.model_validate(apply(data, x))
        ach = {t.name: t.value for t in (*load_targets(), *longitudinal.load_targets())}
        ach["high:ooh_cost"] *= 1.2
        return ach, [_person_log(scale)]

    monkeypatch.setattr(calibration.fit, "fit", fit)
    monkeypatch.setattr(calibration.fit, "check", check)
    monkeypatch.setattr(calibration.calibrate, "code_version", lambda: "wsic-sim 0.1.0 (abc1234)")
    monkeypatch.setattr(calibration.calibrate, "today", lambda: "2026-01-01")
    return calls


def test_a_run_fits_checks_writes_and_prints_each_target_and_the_what_if(tmp_path, capsys, faked):
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    out, report = models / "fitted" / "tri_borough_2010.toml", tmp_path / "report" / "fit.html"
    argv = ["--model", str(models / "baseline.toml"), "--out", str(out), "--report", str(report)]
    assert wsic.main(["calibrate", *argv, "--seeds", "1", "7", "--check-scale", "0.5"]) == 0
    printed, err = capsys.readouterr()
    lines = printed.splitlines()
    assert lines[:2] == [
        f"fitted parameters written to {out}",
        f"{N - 1} of {N} targets within tolerance. Fit report: {report}",
    ]
    assert lines[2] == "  ok  very_high:nel_cost               target     5991.000  simulated     5991.000"
    assert "  OUT high:ooh_cost                    target     1336.000  simulated     1603.200" in lines
    assert len(lines) == 2 + N + 1 + len(CHECKED) + 1 + 6
    assert lines[2 + CROSS].startswith(f"  ok  {FITTED[CROSS].name}"), "the longitudinal rows marked fitted are fitted"
    assert lines[2 + N] == f"Longitudinal, checked and not fitted: {len(CHECKED)} of {len(CHECKED)} within:"
    assert lines[3 + N].startswith(f"  ok  {CHECKED[0].name}")
    assert lines[55] == "CBA what-if, GBP m (within 5% of the table?):"
    assert lines[56:] == [
        "  ok  lower gross     table   61.0  simulated   61.8",
        "  ok  lower reinvest  table   24.0  simulated   23.6",
        "  ok  lower net       table   37.0  simulated   38.2",
        "  ok  upper gross     table  101.0  simulated  102.6",
        "  ok  upper reinvest  table   41.0  simulated   41.3",
        "  ok  upper net       table   60.0  simulated   61.3",
    ]
    assert err.splitlines() == [
        "note: check seeds [1] are also the fit's, so it is not a check on unseen seeds",
        f"fitting {len(DEFAULT_FREE)} of {len(NAMES)} parameters, and the cost-tree leaves' need by fixed point, "
        "at scale 0.25, "
        f"seeds [1, 7] (cache {out.with_suffix('.cache.json')}; rerun to resume)",
        "  cost       1.50  within tolerance 39/40  worst 1.2",
        "checking at scale 0.5, 5 replications ...",
    ]
    assert faked["fit"].scale == 0.25, "the fit aims at its own scale's results"
    assert report.is_file()
    # the written file gives the very model the check ran
    written = load_model(models / "baseline.toml")
    assert _values(written.model) == _values(faked["checked"])
    record = written.model.calibration
    assert (record.status, record.evaluations, record.objective, record.seeds) == ("fitted", 7, 1.5, [1, 7])
    assert record.method.startswith("wsic calibrate --scale 0.25 --seeds 1 7 --rounds 4")
    assert sum(t.within for t in record.targets) == N - 1 + len(CHECKED), "the longitudinal checks are recorded too"


def test_check_only_writes_the_report_but_no_fitted_file(tmp_path, capsys, faked):
    out, report = tmp_path / "fitted.toml", tmp_path / "fit.html"
    argv = ["--model", str(BASELINE), "--out", str(out), "--report", str(report), "--check-only"]
    assert wsic.main(["calibrate", *argv]) == 0
    printed, err = capsys.readouterr()
    assert printed.splitlines()[0] == f"{N - 1} of {N} targets within tolerance. Fit report: {report}"
    assert err.splitlines() == [
        f"checking the current parameters of {BASELINE}",
        "checking at scale 1.0, 5 replications ...",
    ]
    assert "fit" not in faked and not out.exists() and report.is_file()
    committed = load_model(BASELINE).model
    assert _values(faked["checked"]) == _values(committed)


def test_calibrate_returns_what_it_found(tmp_path, faked):
    spec = CalibrateSpec(model=BASELINE, out=tmp_path / "f.toml", report=tmp_path / "r.html", check_only=True)
    lines = []
    result = calibration.calibrate.calibrate(spec, progress=lines.append)
    assert lines == [f"checking the current parameters of {BASELINE}", "checking at scale 1.0, 5 replications ..."]
    assert (result.within, len(result.fitted_rows), result.fitted) == (N - 1, N, None)
    assert result.report == tmp_path / "r.html"
    assert len(result.checked_rows) == len(CHECKED)
    assert [r["within"] for r in result.cba] == [True] * 6
    assert set(result.what_if.stratum) == {*strata_table().index, "total"}
    assert result.shared_seeds == []
    assert dataclasses.replace(spec, check_seed=101).shared_seeds == [101, 102, 103, 104]
