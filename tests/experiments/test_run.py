"""`wsic run` end to end: the files an analyst reads, and results independent of --jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import wsic

BASELINE = Path(__file__).resolve().parents[2] / "models" / "baseline.toml"

ARGS = ["--reps", "2", "--years", "2", "--scale", "0.01", "--seed", "4"]


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
