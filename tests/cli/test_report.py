"""`wsic report DIR` builds the same summary.csv, board.csv and report.html from a run's files as
`wsic run` builds from the results it holds, and refuses a directory that holds no run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import wsic

pytestmark = pytest.mark.slow  # full runs and reports (about 13 s)

MODELS = Path(__file__).resolve().parents[2] / "models"
OUTPUTS = ("summary.csv", "board.csv", "report.html")
WALL_TIME = r"Replication wall time: [\d,]+ s"  # the one figure two runs of the same command do not share
QUICK = ["--reps", "2", "--years", "2", "--scale", "0.005", "--seed", "5", "--jobs", "1"]


def run(out: Path, *extra: str) -> None:
    args = ["run", str(MODELS / "baseline.toml"), str(MODELS / "wsic.toml"), *QUICK, "--out", str(out), *extra]
    assert wsic.main(args) == 0


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    run(out)
    return out


def test_run_writes_the_summaries_and_the_report(run_dir):
    for name in OUTPUTS:
        assert (run_dir / name).stat().st_size > 0, name
    summary = pd.read_csv(run_dir / "summary.csv")
    assert set(summary.scenario) == {"baseline", "wsic"}
    assert summary[summary.scenario == "baseline"].diff_mean.isna().all(), "baseline is the comparator"
    board = pd.read_csv(run_dir / "board.csv")
    assert set(board.scenario) == {"wsic"}
    assert "net savings" in set(board.figure)
    assert "Where the savings come from" in (run_dir / "report.html").read_text(encoding="utf-8")


def test_report_command_rebuilds_and_rejects_an_empty_dir(run_dir, tmp_path, capsys):
    copy = shutil.copytree(run_dir, tmp_path / "copy")  # run_dir stays as wsic run left it
    (copy / "report.html").unlink()
    assert wsic.main(["report", str(copy)]) == 0
    assert (copy / "report.html").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert wsic.main(["report", str(empty)]) == 2
    assert "no results.parquet" in capsys.readouterr().err


def test_report_from_the_files_is_the_report_from_the_run(run_dir, tmp_path, capsys):
    """--no-report writes none of the outputs; `wsic report` then builds what `wsic run` would have."""
    direct, later = run_dir, tmp_path / "later"
    run(later, "--no-report")
    assert not [name for name in OUTPUTS if (later / name).exists()]
    capsys.readouterr()
    assert wsic.main(["report", str(later)]) == 0
    assert capsys.readouterr().out == f"Report: {later / 'report.html'}  (summary.csv and board.csv beside it)\n"
    for name in ("summary.csv", "board.csv"):
        assert (later / name).read_bytes() == (direct / name).read_bytes(), name
    pages = [re.sub(WALL_TIME, "", (d / "report.html").read_text(encoding="utf-8")) for d in (later, direct)]
    assert pages[0] == pages[1]


def test_report_names_what_is_missing(tmp_path, capsys):
    (tmp_path / "results.parquet").write_bytes(b"")
    assert wsic.main(["report", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"wsic report: {tmp_path} has no manifest.json; run `wsic run ... --out {tmp_path}` first\n"
    )


@pytest.mark.parametrize(
    ("manifest", "results", "line"),
    [
        ("{not json", None, "manifest.json: expected the JSON manifest wsic run writes"),
        ('{"status": "running"}', None, "manifest.json: status: expected complete (got running); rerun"),
        (None, b"not parquet", "results.parquet: expected the results wsic run writes"),
    ],
)
def test_report_refuses_a_run_it_cannot_read(run_dir, tmp_path, capsys, manifest, results, line):
    copy = shutil.copytree(run_dir, tmp_path / "copy")
    if manifest is not None:
        (copy / "manifest.json").write_text(manifest, encoding="utf-8")
    if results is not None:
        (copy / "results.parquet").write_bytes(results)
    (copy / "report.html").unlink()
    assert wsic.main(["report", str(copy)]) == 2
    (err,) = capsys.readouterr().err.splitlines()
    assert err.startswith(f"wsic report: {copy / line.split(':')[0]}: {line.split(': ', 1)[1]}"), err
    assert not (copy / "report.html").exists()


def test_report_shows_the_models_as_run_from_anywhere_and_after_they_change(tmp_path, monkeypatch):
    """The report is rebuilt from the model contents the manifest recorded: from another working
    directory, with the model files moved or edited since, it shows what was run."""
    models = tmp_path / "models"
    shutil.copytree(MODELS, models, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "run"
    args = ["run", "models/baseline.toml", *QUICK, "--reps", "1", "--out", str(out)]
    assert wsic.main(args) == 0
    before = (out / "report.html").read_text(encoding="utf-8")
    text = (models / "baseline.toml").read_text(encoding="utf-8")
    (models / "baseline.toml").write_text(text.replace('name = "baseline"', 'name = "edited"'), encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # models/baseline.toml, as the manifest names it, is not here
    assert wsic.main(["report", str(out)]) == 0
    after = (out / "report.html").read_text(encoding="utf-8")
    assert re.sub(WALL_TIME, "", after) == re.sub(WALL_TIME, "", before)
