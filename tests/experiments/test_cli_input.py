"""The `wsic` command rejects bad model files and bad flags with exit code 2, one problem per line on
stderr, no traceback, and nothing written.

Most tests call ``wsic.main`` in-process; the subprocess tests check what a user actually sees. The
`run` tests replace the experiment runner with one that fails the test, so they prove that input is
rejected before any simulation starts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import experiments.runner
import wsic

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "models" / "baseline.toml"
# copies are written elsewhere, so the fitted parameters they extend are named by absolute path
BASELINE_TEXT = BASELINE.read_text(encoding="utf-8").replace(
    'extends = "fitted/', f'extends = "{BASELINE.parent}/fitted/'
)
QUICK = ["--reps", "1", "--years", "1", "--scale", "0.001", "--seed", "1", "--jobs", "1"]


def edited(old: str, new: str, text: str = BASELINE_TEXT) -> str:
    assert text.count(old) == 1, f"{old!r} is not once in the baseline; the test needs updating"
    return text.replace(old, new)


def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def bad_model(tmp_path: Path, name: str = "bad.toml") -> Path:
    """A model with two problems: negative beds and a probability above one."""
    text = edited("beds = { value = 1400", "beds = { value = -5")
    text = edited("p_advice = { value = 0.35", "p_advice = { value = 1.5", text)
    return write(tmp_path, text, name)


@pytest.fixture
def no_simulation(monkeypatch):
    """Make any attempt to run an experiment fail the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("wsic run started an experiment despite bad input")

    monkeypatch.setattr(experiments.runner, "run_experiment", refuse)


def stderr_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


# --- wsic validate ----------------------------------------------------------------------------


def test_validate_accepts_the_baseline(capsys):
    assert wsic.main(["validate", str(BASELINE)]) == 0
    out, err = capsys.readouterr()
    assert f"{BASELINE}: valid (baseline" in out
    assert err == ""


def test_validate_bad_model_exits_2_with_one_line_per_problem(tmp_path, capsys):
    path = bad_model(tmp_path)
    assert wsic.main(["validate", str(path)]) == wsic.EXIT_BAD_INPUT == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = stderr_lines(err)
    assert len(lines) == 2, lines
    assert any(line.startswith(f"{path}: hospital.beds.value: ") for line in lines)
    assert any(line.startswith(f"{path}: access_point.p_advice.value: ") for line in lines)


def test_validate_reports_every_bad_file_and_passes_over_good_ones(tmp_path, capsys):
    first = bad_model(tmp_path, "first.toml")
    text = edited(
        'payer = "council", source = "assumption" }\ncosted = "activity"\ntasks = ["assessment"]',
        'payer = "insurer", source = "assumption" }\ncosted = "activity"\ntasks = ["assessment"]',
    )
    second = write(tmp_path, text, "second.toml")
    missing = tmp_path / "missing.toml"
    code = wsic.main(["validate", str(first), str(BASELINE), str(second), str(missing)])
    assert code == 2
    out, err = capsys.readouterr()
    lines = stderr_lines(err)
    assert len(lines) == 4, lines
    assert sum(line.startswith(f"{first}: ") for line in lines) == 2
    assert any(line.startswith(f"{second}: workforce.social_worker.cost_per_fte.payer: ") for line in lines)
    assert any(line.startswith(f"{missing}: ") and "cannot read file" in line for line in lines)
    assert "valid" not in out


def test_validate_missing_file_is_one_line(tmp_path, capsys):
    missing = tmp_path / "nowhere.toml"
    assert wsic.main(["validate", str(missing)]) == 2
    lines = stderr_lines(capsys.readouterr().err)
    assert len(lines) == 1
    assert lines[0].startswith(f"{missing}: ")


def test_validate_unparsable_file_names_the_line(tmp_path, capsys):
    lines = BASELINE_TEXT.splitlines()
    number = lines.index("[hospital]") + 1
    lines[number - 1] = "[hospital"
    path = write(tmp_path, "\n".join(lines) + "\n")
    assert wsic.main(["validate", str(path)]) == 2
    (line,) = stderr_lines(capsys.readouterr().err)
    assert line.startswith(f"{path}: ")
    assert f"at line {number}," in line


def test_validate_needs_a_model(capsys):
    with pytest.raises(SystemExit) as info:
        wsic.main(["validate"])
    assert info.value.code == 2
    assert "MODEL.toml" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["bad values", "not TOML", "missing file"])
def test_validate_in_a_subprocess_shows_no_traceback(tmp_path, kind):
    if kind == "bad values":
        path = bad_model(tmp_path)
    elif kind == "not TOML":
        path = write(tmp_path, BASELINE_TEXT.replace("[hospital]", "[hospital"))
    else:
        path = tmp_path / "missing.toml"
    proc = subprocess.run(
        [sys.executable, "-c", "import sys, wsic; sys.exit(wsic.main(sys.argv[1:]))", "validate", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = stderr_lines(proc.stderr)
    assert lines
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    assert len(lines) == (2 if kind == "bad values" else 1)


# --- wsic run ---------------------------------------------------------------------------------


def test_run_bad_model_exits_2_and_writes_nothing(tmp_path, capsys, no_simulation):
    path = bad_model(tmp_path)
    out_dir = tmp_path / "out"
    assert wsic.main(["run", str(path), *QUICK, "--out", str(out_dir)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = stderr_lines(err)
    assert len(lines) == 2, lines
    assert any(line.startswith(f"{path}: hospital.beds.value: ") for line in lines)
    assert not out_dir.exists()


def test_run_bad_model_leaves_an_existing_out_dir_empty(tmp_path, capsys, no_simulation):
    path = bad_model(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    assert wsic.main(["run", str(BASELINE), str(path), *QUICK, "--out", str(out_dir)]) == 2
    assert files_under(out_dir) == []
    assert all(line.startswith(f"{path}: ") for line in stderr_lines(capsys.readouterr().err))


def test_run_missing_model_exits_2(tmp_path, capsys, no_simulation):
    missing = tmp_path / "missing.toml"
    out_dir = tmp_path / "out"
    assert wsic.main(["run", str(missing), *QUICK, "--out", str(out_dir)]) == 2
    (line,) = stderr_lines(capsys.readouterr().err)
    assert line.startswith(f"{missing}: ")
    assert not out_dir.exists()


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--reps", "0"),
        ("--reps", "-3"),
        ("--scale", "1.5"),
        ("--scale", "0"),
        ("--scale", "-0.5"),
        ("--years", "0"),
        ("--seed", "-1"),
        ("--jobs", "0"),
        ("--jobs", "-2"),
    ],
)
def test_run_bad_flag_exits_2_naming_the_flag(tmp_path, capsys, no_simulation, flag, value):
    out_dir = tmp_path / "out"
    args = ["run", str(BASELINE), *QUICK, flag, value, "--out", str(out_dir)]
    assert wsic.main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = stderr_lines(err)
    assert len(lines) == 1, lines
    assert flag in lines[0]
    assert f"(got {value})" in lines[0] or f"(got {float(value)})" in lines[0]
    assert not out_dir.exists()


def test_run_reports_every_bad_flag(tmp_path, capsys, no_simulation):
    out_dir = tmp_path / "out"
    args = ["run", str(BASELINE), *QUICK, "--reps", "0", "--scale", "1.5", "--out", str(out_dir)]
    assert wsic.main(args) == 2
    lines = stderr_lines(capsys.readouterr().err)
    assert len(lines) == 2, lines
    assert "--reps" in lines[0] + lines[1]
    assert "--scale" in lines[0] + lines[1]
    assert not out_dir.exists()


@pytest.mark.parametrize(("flag", "value"), [("--reps", "two"), ("--scale", "half"), ("--seed", "1.5")])
def test_run_flag_of_wrong_type_exits_2_naming_the_flag(tmp_path, capsys, no_simulation, flag, value):
    out_dir = tmp_path / "out"
    with pytest.raises(SystemExit) as info:
        wsic.main(["run", str(BASELINE), flag, value, "--out", str(out_dir)])
    assert info.value.code == 2
    assert flag in capsys.readouterr().err
    assert not out_dir.exists()


def test_run_needs_out(capsys, no_simulation):
    with pytest.raises(SystemExit) as info:
        wsic.main(["run", str(BASELINE)])
    assert info.value.code == 2
    assert "--out" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["model", "flag"])
def test_run_in_a_subprocess_shows_no_traceback_and_writes_nothing(tmp_path, bad):
    out_dir = tmp_path / "out"
    model = bad_model(tmp_path) if bad == "model" else BASELINE
    extra = ["--reps", "0"] if bad == "flag" else []
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, wsic; sys.exit(wsic.main(sys.argv[1:]))",
            "run",
            str(model),
            *QUICK,
            *extra,
            "--out",
            str(out_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = stderr_lines(proc.stderr)
    if bad == "model":
        assert len(lines) == 2, lines
        assert all(line.startswith(f"{model}: ") for line in lines)
    else:
        assert lines == ["wsic run: --reps must be at least 1 (got 0)"]
    assert not out_dir.exists()


# --- wsic calibrate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (["--scale", "0"], "--scale must be a fraction of the population in (0, 1] (got 0.0)"),
        (["--check-scale", "1.5"], "--check-scale must be a fraction of the population in (0, 1] (got 1.5)"),
        (["--correct-to-scale", "0"], "--correct-to-scale must be a fraction of the population in (0, 1] (got 0.0)"),
        (["--check-reps", "0"], "--check-reps must be at least 1 (got 0)"),
        (["--rounds", "0"], "--rounds must be at least 1 (got 0)"),
        (["--max-evaluations", "-2"], "--max-evaluations must be at least 1 (got -2)"),
        (["--jobs", "0"], "--jobs must be a positive integer or -1 for all cores (got 0)"),
        (["--jobs", "-3"], "--jobs must be a positive integer or -1 for all cores (got -3)"),
        (["--check-seed", "-1"], "--check-seed must be a non-negative integer (got -1)"),
        (["--seeds", "3", "-1"], "--seeds must be non-negative integers (got 3 -1)"),
        (["--seeds", "7", "8", "7"], "--seeds must be distinct (got 7 8 7)"),
    ],
)
def test_calibrate_rejects_bad_flags_before_fitting(tmp_path, capsys, monkeypatch, flags, line):
    import calibration.fit

    def refuse(*args, **kwargs):
        raise AssertionError("wsic calibrate started despite bad flags")

    monkeypatch.setattr(calibration.fit, "fit", refuse)
    monkeypatch.setattr(calibration.fit, "check", refuse)
    out = tmp_path / "fitted.toml"
    assert wsic.main(["calibrate", "--model", str(BASELINE), "--out", str(out), *flags]) == 2
    assert capsys.readouterr().err.splitlines() == [f"wsic calibrate: {line}"]
    assert not out.exists()


def test_calibrate_reports_every_bad_flag_at_once_and_takes_seed_0(tmp_path, capsys, monkeypatch):
    import calibration.fit

    monkeypatch.setattr(calibration.fit, "fit", lambda *a, **k: pytest.fail("fitted despite bad flags"))
    out = tmp_path / "fitted.toml"
    flags = ["--scale", "2", "--rounds", "0", "--check-seed", "0", "--seeds", "0", "1"]
    assert wsic.main(["calibrate", "--model", str(BASELINE), "--out", str(out), *flags]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "wsic calibrate: --scale must be a fraction of the population in (0, 1] (got 2.0)",
        "wsic calibrate: --rounds must be at least 1 (got 0)",
    ]


def test_calibrate_rejects_paths_it_cannot_write_and_notes_that_are_not_text(tmp_path, capsys, monkeypatch):
    import calibration.fit

    monkeypatch.setattr(calibration.fit, "fit", lambda *a, **k: pytest.fail("fitted despite bad flags"))
    monkeypatch.setattr(calibration.fit, "check", lambda *a, **k: pytest.fail("checked despite bad flags"))
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


def test_calibrate_makes_the_fitted_file_s_directory_before_the_first_step(tmp_path, monkeypatch):
    """The cache beside the fitted file is written from the first evaluation."""
    import calibration.fit

    class Started(Exception):
        pass

    def started(data, spec, cache_path):
        assert cache_path == tmp_path / "new" / "dir" / "fitted.cache.json"
        assert cache_path.parent.is_dir()
        raise Started

    monkeypatch.setattr(calibration.fit, "fit", started)
    with pytest.raises(Started):
        wsic.main(["calibrate", "--model", str(BASELINE), "--out", str(tmp_path / "new" / "dir" / "fitted.toml")])


def test_calibrate_method_line_says_how_the_fit_was_run_and_what_it_started_from():
    args = wsic.parser().parse_args(
        ["calibrate", "--seeds", "5", "6", "--rounds", "3", "--correct-to-scale", "0.5", "--note", 'a "hand" step']
    )
    data = {"calibration": {"status": "fitted", "fitted_on": "2026-01-02", "code_version": "wsic-sim 0.1.0 (abc)"}}
    assert wsic.fit_method(args, data) == (
        "wsic calibrate --scale 0.25 --seeds 5 6 --rounds 3 --max-evaluations 6 --correct-to-scale 0.5, "
        "started from the parameters of baseline.toml (the fit of 2026-01-02, wsic-sim 0.1.0 (abc)); "
        'a "hand" step'
    )
    args.note = None
    assert wsic.fit_method(args, {}).endswith("started from the parameters of baseline.toml")
