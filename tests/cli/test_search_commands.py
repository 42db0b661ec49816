"""`wsic breakeven` and `wsic tornado`: every bad setting refused before anything runs, naming the
flag or the file, and a small search end to end, whose figures the run's report then shows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import experiments.breakeven
import experiments.tornado
import wsic
from tests.cli.model_files import BASELINE, stderr_lines, write

MODELS = Path(__file__).resolve().parents[2] / "models"
WSIC = str(MODELS / "wsic.toml")
TWO = f"""extends = "{BASELINE}"
[meta]
name = "two"
description = "two interventions, for a quick search"
price_year = "2010/11"
[interventions.halve]
description = "test"
component = "test"
eligibility = {{ strata = ["very_high", "high"] }}
uptake = {{ value = 1.0, unit = "share", source = "test" }}
start_year = 1
ramp_years = 0
evidence = "test"
evidence_strength = "assumption"
[[interventions.halve.mechanisms]]
kind = "hazard"
target = "crisis"
effect = {{ distribution = "uniform", low = 0.5, high = 0.9, unit = "multiplier", source = "test" }}
[interventions.halve.costs.set_up]
value = 0
unit = "GBP"
payer = "NHS"
source = "test"
[interventions.halve.costs.per_year]
value = 2000000
unit = "GBP a year"
payer = "NHS"
source = "test"
[interventions.halve.costs.per_person]
value = 0
unit = "GBP"
payer = "NHS"
source = "test"
[interventions.fixed]
description = "test"
component = "test"
eligibility = {{ strata = ["moderate"] }}
uptake = {{ value = 1.0, unit = "share", source = "test" }}
start_year = 1
ramp_years = 0
evidence = "test"
evidence_strength = "assumption"
[[interventions.fixed.mechanisms]]
kind = "hazard"
target = "crisis"
effect = {{ distribution = "fixed", value = 0.95, unit = "multiplier", source = "test" }}
[interventions.fixed.costs.set_up]
value = 0
unit = "GBP"
payer = "NHS"
source = "test"
[interventions.fixed.costs.per_year]
value = 0
unit = "GBP a year"
payer = "NHS"
source = "test"
[interventions.fixed.costs.per_person]
value = 0
unit = "GBP"
payer = "NHS"
source = "test"
"""


@pytest.fixture
def no_search(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a search started despite bad input")

    monkeypatch.setattr(experiments.breakeven, "breakeven", refuse)
    monkeypatch.setattr(experiments.tornado, "tornado", refuse)


@pytest.mark.parametrize("command", ["breakeven", "tornado"])
@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--reps", "0", "--reps must be at least 1"),
        ("--years", "0", "--years must be at least 1"),
        ("--scale", "1.5", "--scale must be in (0, 1]"),
        ("--jobs", "0", "--jobs must be a positive integer"),
        ("--seed", "-1", "--seed must be a non-negative integer"),
    ],
)
def test_a_bad_flag_is_refused_naming_it(command, flag, value, says, tmp_path, capsys, no_search):
    assert wsic.main([command, WSIC, flag, value, "--out", str(tmp_path / "out")]) == 2
    lines = stderr_lines(capsys.readouterr().err)
    assert lines and all(line.startswith(f"wsic {command}: ") for line in lines), lines
    assert any(says in line for line in lines), lines
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["breakeven", "tornado"])
def test_a_scenario_with_nothing_to_scale_is_refused_naming_its_file(command, tmp_path, capsys, no_search):
    assert wsic.main([command, str(BASELINE), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{BASELINE}: has no interventions" in err


def test_an_out_under_a_file_is_refused(tmp_path, capsys, no_search):
    blocker = write(tmp_path, "not a directory", "file")
    assert wsic.main(["breakeven", WSIC, "--out", str(blocker / "out")]) == 2
    assert f"{blocker} is a file" in capsys.readouterr().err


def test_a_bad_model_file_is_refused_naming_it(tmp_path, capsys, no_search):
    bad = write(tmp_path, TWO.replace("low = 0.5, high = 0.9", "low = 0.9, high = 0.5"), "bad.toml")
    assert wsic.main(["tornado", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "low <= high" in err


@pytest.mark.slow
def test_a_small_search_writes_its_figures_and_the_report_shows_them(tmp_path, capsys):
    """A run, then both searches into its directory, at a small scale (about a minute). At 0.01
    the effect's two ends were noise (the run's own net savings fell outside them), so whether the
    favourable end beat the other followed the seed; at 0.05 the halving is plain."""
    two = write(tmp_path, TWO, "two.toml")
    out = tmp_path / "run"
    quick = ["--reps", "2", "--years", "2", "--scale", "0.05", "--seed", "3", "--jobs", "2"]
    assert wsic.main(["run", str(BASELINE), str(two), *quick, "--out", str(out)]) == 0
    assert wsic.main(["breakeven", str(two), *quick, "--out", str(out), "--quiet"]) == 0
    assert wsic.main(["tornado", str(two), *quick, "--out", str(out), "--quiet"]) == 0
    said = capsys.readouterr().out
    assert "two: every intervention's effects would need to be" in said
    summary = pd.read_csv(out / "breakeven.csv")
    assert list(summary.intervention) == ["all interventions"] and (summary.scale == 0.05).all()
    per_rep = pd.read_csv(out / "breakeven_replications.csv")
    assert len(per_rep) == 2 and (per_rep.runs >= 2).all()
    # net savings at the evidence are the run's own: the same seeds, scale and years
    board = pd.read_csv(out / "board.csv").set_index("figure")
    run_net = board.loc["net savings, discounted at 3.5%", "mean"]
    assert summary.net_at_evidence_gbp_m.iat[0] == pytest.approx(run_net, rel=1e-9)
    spread = pd.read_csv(out / "tornado.csv")
    assert list(spread.intervention) == ["halve"], "a fixed effect has no range to pin"
    assert spread.net_favourable_gbp_m.iat[0] > spread.net_unfavourable_gbp_m.iat[0]
    assert spread.net_sampled_gbp_m.iat[0] == pytest.approx(run_net, rel=1e-9)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "break-even multiplier" in page and "tornado-0" in page


def test_a_tornado_of_fixed_effects_only_is_refused_naming_its_file(tmp_path, capsys, no_search):
    fixed = write(
        tmp_path,
        TWO.replace('distribution = "uniform", low = 0.5, high = 0.9', 'distribution = "fixed", value = 0.7'),
        "fixed.toml",
    )
    assert wsic.main(["tornado", str(fixed), "--out", str(tmp_path / "out")]) == 2
    assert f"{fixed}: no intervention's effect has a range" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_bad_flags_and_bad_files_are_refused_together(tmp_path, capsys, no_search):
    bad = write(tmp_path, TWO.replace("low = 0.5, high = 0.9", "low = 0.9, high = 0.5"), "bad.toml")
    assert wsic.main(["breakeven", str(bad), "--reps", "0", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "wsic breakeven: --reps must be at least 1" in err and "bad.toml" in err


def test_two_scenarios_of_one_name_are_refused(tmp_path, capsys, no_search):
    a, b = write(tmp_path, TWO, "a.toml"), write(tmp_path, TWO, "b.toml")
    assert wsic.main(["breakeven", str(a), str(b), "--out", str(tmp_path / "out")]) == 2
    assert "two scenarios are named two" in capsys.readouterr().err
