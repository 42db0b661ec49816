"""`wsic bench`: one replication per population size, each in its own interpreter, and bad flags
refused with exit code 2 before any replication starts."""

from __future__ import annotations

import json

import pytest

import experiments.bench
import wsic
from experiments.bench import report


def test_bench_refuses_every_bad_flag_before_measuring(monkeypatch, capsys):
    monkeypatch.setattr(
        experiments.bench, "measure_in_subprocess", lambda *a, **k: pytest.fail("measured despite bad flags")
    )
    assert wsic.main(["bench", "--population", "1000", "0", "-5", "--years", "0", "--seed", "-1"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "wsic bench: --population must be positive numbers of residents (got 0 -5)",
        "wsic bench: --years must be at least 1 (got 0)",
        "wsic bench: --seed must be a non-negative integer (got -1)",
    ]


def test_bench_measures_each_population(capsys):
    assert wsic.main(["bench", "--population", "2000", "4000", "--years", "1", "--json"]) == 0
    small, large = json.loads(capsys.readouterr().out)
    for row, residents in ((small, 2000), (large, 4000)):
        assert row["residents"] == pytest.approx(residents, rel=0.05)
        assert row["years"] == 1
        assert row["warmup_years"] >= 0
        assert row["wall_seconds"] > 0 and row["peak_memory_mb"] > 0
        sim_years = row["years"] + row["warmup_years"]
        assert row["resident_years_per_second"] == pytest.approx(
            row["residents"] * sim_years / row["wall_seconds"],
            rel=0.02,  # wall_seconds is rounded
        )
    assert large["events"] > small["events"] > 0


def test_bench_table_compares_each_size_with_the_first():
    row = {
        "residents": 1000,
        "years": 5,
        "warmup_years": 1,
        "wall_seconds": 2.0,
        "resident_years_per_second": 3000.0,
        "seconds_per_million_resident_years": 333.3,
        "events": 10_000,
        "events_per_second": 5000.0,
        "peak_memory_mb": 120.0,
    }
    faster = row | {"residents": 4000, "seconds_per_million_resident_years": 166.65}
    header, first, second = report([row, faster]).splitlines()
    assert "time/res-yr vs first" in header
    assert first.split()[0] == "1,000" and first.split()[-1] == "1.00"
    assert second.split()[0] == "4,000" and second.split()[-1] == "0.50"
