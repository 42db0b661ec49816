"""`wsic start-state`: the fixed-point step moves the start by what the years moved, a model whose
profile is missing or at other ages, or bad settings, are refused, and small runs propose values
the schema accepts (or are refused when a group is empty)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim.replication
import wsic
from calibration.start_state import (
    GROUP_AGES,
    GROUP_LOWER,
    YEARS,
    Drift,
    StartStateError,
    derive,
    mean_drift,
    next_values,
    problems,
    simulated_years_of_change,
    sums_one,
    with_start_state,
)
from models.loader import load_model
from sim.replication import Replication

BASELINE = str(Path(__file__).resolve().parents[2] / "models" / "baseline.toml")
N_BANDS = 6


def _drift(frailty_moves: np.ndarray, ltc_ratio: np.ndarray) -> Drift:
    start = np.linspace(0.1, -0.6, len(GROUP_LOWER))
    ltc = np.linspace(0.05, 3.0, N_BANDS)
    return Drift(start, start + frailty_moves, ltc, ltc * ltc_ratio)


@given(
    st.lists(st.floats(-0.3, 0.3), min_size=len(GROUP_LOWER), max_size=len(GROUP_LOWER)),
    st.lists(st.floats(0.8, 1.2), min_size=N_BANDS, max_size=N_BANDS),
)
def test_a_step_adds_the_frailty_move_and_makes_up_the_lost_conditions(moves, ratios):
    shift = [0.0] * len(GROUP_LOWER)
    incidence = [0.05] * N_BANDS
    drift = _drift(np.array(moves), np.array(ratios))
    new_shift, new_incidence = next_values(shift, incidence, drift, 5)
    assert np.allclose(new_shift, moves, atol=5e-4)
    lost_a_year = (drift.ltc_start - drift.ltc_end) / 5
    assert np.allclose(new_incidence, np.clip(0.05 + lost_a_year, 0, 1), atol=5e-5)
    # a band that lost conditions gets more incidence, one that gained gets less (where the change
    # shows at the four decimals the values are written to)
    assert all((b > 0.05) == (lost > 0) for b, lost in zip(new_incidence, lost_a_year, strict=True) if abs(lost) > 1e-4)


def test_the_incidence_step_divides_by_the_years_conditions_arise_in(monkeypatch):
    """A replication of the warm-up and YEARS ages its residents once a year after the first."""
    model = load_model(BASELINE).model
    calls = []
    real = sim.replication.advance_year
    monkeypatch.setattr(sim.replication, "advance_year", lambda *a: calls.append(1) or real(*a))
    Replication(model, 0, 3, years=YEARS, scale=0.002).run()
    assert len(calls) == simulated_years_of_change(model) == model.run.warmup_years.value + YEARS - 1


def test_no_drift_is_a_fixed_point():
    model = load_model(BASELINE).model
    shift = list(model.need.frailty_start_shift.value)
    incidence = list(model.population.ltc_incidence.value)
    drift = _drift(np.zeros(len(GROUP_LOWER)), np.ones(N_BANDS))
    assert next_values(shift, incidence, drift, 5) == (shift, incidence)
    assert drift.frailty_moved == 0 and drift.ltc_moved == 0


def _with_need(model, **need):
    data = model.model_dump()
    for key, value in need.items():
        data["need"][key] = value
    return type(model).model_validate(data)


def test_a_profile_missing_or_at_other_ages_is_refused(capsys, tmp_path):
    model = load_model(BASELINE).model
    assert problems(model) == [] and tuple(model.need.frailty_start_shift.ages) == GROUP_AGES
    ages = ", ".join(str(a) for a in GROUP_AGES)
    short = _with_need(model, frailty_start_shift={"ages": [10, 50, 90], "value": [0.1, 0.0, -0.3]} | _label())
    assert problems(short) == [
        f"need.frailty_start_shift: expected ages [{ages}], the mid-ages of the groups starting at "
        "0, 18, 30, 45, 55, 65, 70, 75, 80, 83, 85, 87, 90, 95 (got [10.0, 50.0, 90.0])"
    ]
    moved = _with_need(model, frailty_start_shift={"ages": list(range(14)), "value": [0.0] * 14} | _label())
    assert "expected ages" in problems(moved)[0]
    none = _with_need(model, frailty_start_shift=None)
    assert problems(none) == [f"need.frailty_start_shift: expected a profile at the ages [{ages}] (the model has none)"]
    path = tmp_path / "short.toml"
    path.write_text(
        f'extends = "{BASELINE}"\n'
        '[need]\nfrailty_start_shift = { ages = [10, 50, 90], value = [0.1, 0.0, -0.3], unit = "sd", '
        'source = "test" }\n'
    )
    assert wsic.main(["start-state", "--model", str(path), "--scale", "0.01", "--seeds", "1"]) == 2
    err = capsys.readouterr().err
    assert f"wsic start-state: {path}: need.frailty_start_shift: expected ages [{ages}]" in err


def _label() -> dict:
    return {"unit": "sd", "source": "test"}


def test_no_spread_of_frailty_is_refused():
    model = load_model(BASELINE).model
    data = model.model_dump()
    data["need"]["frailty_sigma"]["value"] = 0.0
    data["need"]["planned_care_frailty_correlation"] = None
    flat = type(model).model_validate(data)
    assert problems(flat) == ["need.frailty_sigma: expected above 0, a spread of frailty to hold level (got 0.0)"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--scale", "0"], "--scale must be in (0, 1] (got 0.0)"),
        (["--scale", "1.5"], "--scale must be in (0, 1] (got 1.5)"),
        (["--steps", "0"], "--steps must be at least 1 (got 0)"),
        (["--jobs", "0"], "--jobs must be a positive integer or -1 for all cores (got 0)"),
        (["--seeds", "3", "3"], "--seeds must differ from one another (got [3, 3])"),
        (["--seeds", "-1", "2"], "--seeds must be non-negative integers (got [-1, 2])"),
    ],
)
def test_bad_settings_are_refused(capsys, argv, message):
    assert wsic.main(["start-state", *argv]) == 2
    assert f"wsic start-state: {message}" in capsys.readouterr().err


def test_a_sample_with_an_empty_group_is_refused_not_averaged_as_nan(capsys):
    model = load_model(BASELINE).model
    with pytest.raises(StartStateError, match=r"--scale 0.0005: no living resident at the start in .*95\+"):
        mean_drift(model, 0.0005, [1], 1)
    assert wsic.main(["start-state", "--scale", "0.0005", "--seeds", "1", "--steps", "1", "--jobs", "1"]) == 2
    assert "wsic start-state: --scale 0.0005: no living resident" in capsys.readouterr().err


@pytest.mark.slow
def test_small_runs_pool_their_seeds_and_propose_values_the_schema_accepts(capsys):
    model = load_model(BASELINE).model
    lines: list[str] = []
    steps = derive(model, 0.01, [5, 6], 1, 2, progress=lines.append)
    assert len(steps) == 1 and lines[0].startswith("step 1/1: 2 replication(s)")
    drift = steps[0].drift
    assert drift.frailty_start.shape == (len(GROUP_LOWER),) and drift.ltc_start.shape == (N_BANDS,)
    assert np.isfinite(drift.frailty_start).all() and np.isfinite(drift.frailty_end).all()
    # the profile is applied at the start, after the burn-in: raised by half an sd everywhere, it
    # raises every group's starting mean by as much (the same seeds, the same draws). The 95+ no
    # longer begin far less frail than children by the profile: the burn-in's deaths do that
    shift, incidence = model.need.frailty_start_shift.value, model.population.ltc_incidence.value
    raised = with_start_state(model, [v + 0.5 for v in shift], incidence)
    again = mean_drift(raised, 0.01, [5, 6], 2)
    np.testing.assert_allclose(again.frailty_start - drift.frailty_start, 0.5, atol=1e-9)
    assert drift.frailty_moved < 1.0 and (drift.ltc_start > 0).all() and drift.ltc_moved < 0.2
    proposed = with_start_state(model, steps[0].next_shift, steps[0].next_incidence)
    assert proposed.need.frailty_start_shift.value == steps[0].next_shift
    assert wsic.main(["start-state", "--scale", "0.01", "--seeds", "5", "--steps", "1", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "Next step's values: frailty_start_shift [" in out and "95+" in out and "band 5" in out


@pytest.mark.slow
def test_the_end_is_read_at_the_last_year_s_start_before_its_deaths():
    model = load_model(BASELINE).model
    before, after = sums_one(model, 0.01, 7)
    g = len(GROUP_LOWER)
    rep = Replication(model, 0, 7, years=YEARS, scale=0.01)
    alive: dict[int, int] = {}
    rep.year_probes.append(lambda y: alive.__setitem__(y, int(rep.sys.pop.alive.sum())))
    rep.run()
    last = simulated_years_of_change(model)
    assert before[:g].sum() == rep.initial_residents
    assert after[:g].sum() == alive[last], "the residents at the start of the last year"
    assert alive[last] != int(rep.sys.pop.alive.sum()), "not those alive after its last day"
