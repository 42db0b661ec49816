"""`wsic run`: the files an analyst reads, results independent of --jobs, and bad model files or
flags refused with exit code 2, one problem per line on stderr, no traceback and nothing written.

The refusal tests replace the experiment runner with one that fails the test, so they prove that
input is rejected before any simulation starts; the subprocess tests check what a user actually sees.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import experiments.runner
import wsic
from tests.cli.model_files import BASELINE, ROOT, bad_model, stderr_lines, wsic_in_a_subprocess

ARGS = ["--reps", "2", "--years", "2", "--scale", "0.01", "--seed", "4"]
QUICK = ["--reps", "1", "--years", "1", "--scale", "0.001", "--seed", "1", "--jobs", "1"]


@pytest.fixture
def no_simulation(monkeypatch):
    """Make any attempt to run an experiment fail the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("wsic run started an experiment despite bad input")

    monkeypatch.setattr(experiments.runner, "run_experiment", refuse)


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


# --- a run's files ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    assert (
        wsic.main(["run", str(BASELINE), *ARGS, "--jobs", "1", "--out", str(out), "--event-log", "--person-log"]) == 0
    )
    return out


def test_results_are_tidy_and_complete(run_dir):
    r = pd.read_parquet(run_dir / "results.parquet")
    assert list(r.columns) == [
        "scenario",
        "replication",
        "year",
        "borough",
        "stratum",
        "intervention",
        "measure",
        "value",
        "scale",
    ]
    assert sorted(r.replication.unique()) == [0, 1]
    assert sorted(r.year.unique()) == [1, 2]
    assert set(r.scenario) == {"baseline"}
    assert r.value.notna().all()


def test_event_log_columns(run_dir):
    ev = pd.read_parquet(run_dir / "events.parquet")
    for col in ("replication", "person", "time", "event", "setting"):
        assert col in ev.columns
    assert {"crisis", "admission", "discharge", "death"} <= set(ev.event.astype(str))


def test_person_log_follows_people_across_years(run_dir):
    p = pd.read_parquet(run_dir / "persons.parquet")
    for col in (
        "replication",
        "person",
        "year",
        "borough",
        "age",
        "stratum",
        "risk_score",
        "ae_attendances",
        "nel_admissions",
        "bed_days",
        "care_home_days",
        "cost_nel",
        "cost_other_hospital",
        "cost_ooh",
        "cost_sc",
        "cost_total",
        "died",
    ):
        assert col in p.columns, col
    # the dead appear in the year they die and never after
    died = p[p.died]
    assert len(died) > 0
    later = p.merge(died[["replication", "person", "year"]], on=["replication", "person"], suffixes=("", "_d"))
    assert (later.year <= later.year_d).all()
    # the person log adds up to the tidy results, which are scaled to the whole population
    r = pd.read_parquet(run_dir / "results.parquet")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    sample_share = manifest["residents"] / 466921
    for m in ("nel_admissions", "cost_total"):
        from_people = p[m].sum()
        from_results = r[(r.measure == m) & (r.stratum != "all")].value.sum() * sample_share
        assert from_people == pytest.approx(from_results, rel=1e-4), m


def test_manifest_records_inputs(run_dir):
    m = json.loads((run_dir / "manifest.json").read_text())
    assert m["seed"] == 4 and m["reps"] == 2 and m["years"] == 2
    assert len(m["models"][0]["sha256"]) == 64
    assert "[hospital]" in m["models"][0]["content"]
    assert {"python", "numpy", "simpy", "pandas", "wsic-sim"} <= set(m["versions"])
    assert len(m["replications"]) == 2
    assert m["wall_seconds"] > 0


def test_results_do_not_depend_on_jobs(run_dir, tmp_path):
    assert wsic.main(["run", str(BASELINE), *ARGS, "--jobs", "2", "--out", str(tmp_path)]) == 0
    a = pd.read_parquet(run_dir / "results.parquet")
    b = pd.read_parquet(tmp_path / "results.parquet")
    key = ["scenario", "replication", "year", "borough", "stratum", "intervention", "measure"]
    pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True))


@pytest.mark.slow
def test_run_summarises_what_it_holds_without_reading_it_back(tmp_path, monkeypatch):
    """The combined results are summarised from memory, and the replication table is built once for
    the summary and the report together."""
    import experiments.outputs
    import experiments.summary

    read_back, tables = [], []
    read_parquet, replication_table = pd.read_parquet, experiments.summary.replication_table

    def reading(path, *args, **kwargs):
        if Path(path).name == "results.parquet":
            read_back.append(path)
        return read_parquet(path, *args, **kwargs)

    def counted(results):
        tables.append(len(results))
        return replication_table(results)

    monkeypatch.setattr(pd, "read_parquet", reading)
    monkeypatch.setattr(experiments.summary, "replication_table", counted)
    monkeypatch.setattr(experiments.outputs, "replication_table", counted)
    models = [str(BASELINE), str(ROOT / "models" / "wsic.toml")]
    assert wsic.main(["run", *models, "--reps", "2", "--years", "1", "--scale", "0.003", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "results.parquet").exists() and (tmp_path / "report.html").exists()
    assert read_back == []
    assert len(tables) == 1


# --- bad input -----------------------------------------------------------------------------------


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


@pytest.mark.parametrize("under", [False, True], ids=["a file", "under a file"])
def test_run_refuses_an_out_that_is_or_lies_under_a_file(tmp_path, capsys, no_simulation, under):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a run")
    out_dir = a_file / "run" if under else a_file
    assert wsic.main(["run", str(BASELINE), *QUICK, "--out", str(out_dir)]) == 2
    out, err = capsys.readouterr()
    expected = (
        f"wsic run: --out must be a directory's path, but {a_file} is a file (got {out_dir})"
        if under
        else f"wsic run: --out must be a directory, but {a_file} is a file"
    )
    assert out == "" and err.splitlines() == [expected]
    assert a_file.read_text() == "not a run"


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


def test_run_reports_bad_flags_and_bad_model_files_together(tmp_path, capsys, no_simulation):
    path = bad_model(tmp_path)
    out_dir = tmp_path / "out"
    assert wsic.main(["run", str(path), *QUICK, "--reps", "0", "--out", str(out_dir)]) == 2
    lines = stderr_lines(capsys.readouterr().err)
    assert lines[0] == "wsic run: --reps must be at least 1 (got 0)"
    assert any(line.startswith(f"{path}: hospital.beds.value: ") for line in lines[1:]), lines
    assert not out_dir.exists()


def test_precision_caps_replications_at_100_or_reps_when_not_given():
    from experiments.runner import RunSpec

    assert RunSpec(reps=5, years=1, scale=0.1, seed=1).rep_cap == 100
    assert RunSpec(reps=150, years=1, scale=0.1, seed=1).rep_cap == 150
    assert RunSpec(reps=5, years=1, scale=0.1, seed=1, max_reps=20).rep_cap == 20


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
    proc = wsic_in_a_subprocess("run", str(model), *QUICK, *extra, "--out", str(out_dir))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = stderr_lines(proc.stderr)
    if bad == "model":
        assert len(lines) == 2, lines
        assert all(line.startswith(f"{model}: ") for line in lines)
    else:
        assert lines == ["wsic run: --reps must be at least 1 (got 0)"]
    assert not out_dir.exists()
