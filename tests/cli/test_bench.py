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
    args = ["bench", "--population", "1000", "0", "-5", "--years", "0", "--seed", "-1", "--reference-events", "2"]
    assert wsic.main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "wsic bench: --population must be positive numbers of residents (got 0 -5)",
        "wsic bench: --years must be at least 1 (got 0)",
        "wsic bench: --seed must be a non-negative integer (got -1)",
        "wsic bench: --reference-events must be at least 3 (got 2)",
    ]


@pytest.mark.slow
def test_bench_measures_each_population(capsys):
    args = ["bench", "--population", "2000", "4000", "--years", "1", "--json", "--reference-events", "30000"]
    assert wsic.main(args) == 0
    small, large = json.loads(capsys.readouterr().out)
    for row, residents in ((small, 2000), (large, 4000)):
        assert row["residents"] == pytest.approx(residents, rel=0.05)
        assert row["years"] == 1
        assert row["warmup_years"] >= 0
        assert row["wall_seconds"] > 0 and row["peak_memory_mb"] > 0
        assert row["reference_events"] == 30000 and row["reference_seconds"] > 0
        assert row["ratio_to_reference"] == pytest.approx(row["wall_seconds"] / row["reference_seconds"], rel=0.05)
        sim_years = row["years"] + row["warmup_years"]
        assert row["resident_years_per_second"] == pytest.approx(
            row["residents"] * sim_years / row["wall_seconds"],
            rel=0.02,  # wall_seconds is rounded
        )
    # a sample's events are not in proportion to its residents: it also wakes behind the rest of
    # the population's load on full-size capacity (sim/sample_load.py)
    assert large["events"] > 0 and small["events"] > 0


def test_bench_table_compares_each_size_with_the_first():
    row = {
        "model": "baseline",
        "reference_events": 3_781_163,
        "reference_seconds": 4.0,
        "ratio_to_reference": 0.5,
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
    wsic_model = row | {"model": "wsic", "wall_seconds": 3.0, "ratio_to_reference": 0.75}
    header, first, second, other, note = report([row, faster, wsic_model]).splitlines()
    assert "time/res-yr vs first" in header and "x reference" in header
    assert first.split()[:2] == ["baseline", "1,000"] and first.split()[-2:] == ["1.00", "1.00"]
    assert second.split()[1] == "4,000" and second.split()[-2] == "0.50"
    assert first.split()[4] == "0.50", "the ratio to the reference loop"
    assert other.split()[0] == "wsic" and other.split()[-1] == "1.50", "against the first model at that size"
    assert "3,781,163 events" in note


def test_the_reference_loop_schedules_exactly_its_events():
    from experiments.bench import reference_loop

    assert reference_loop(10_001, 1_000) > 0  # it asserts the count itself


def test_the_command_times_the_reference_loop_at_its_fixed_count_by_default():
    from experiments.bench import REFERENCE_EVENTS

    args = wsic.parser().parse_args(["bench"])
    assert args.reference_events == REFERENCE_EVENTS
