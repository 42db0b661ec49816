"""`wsic start-state`: the fixed-point step moves the start by what the years moved, a model whose
profile has the wrong ages or bad settings are refused, and a small run proposes values the
schema accepts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import wsic
from calibration.start_state import GROUP_LOWER, YEARS, Drift, derive, next_values, problems, with_start_state
from models.loader import load_model

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
    new_shift, new_incidence = next_values(shift, incidence, drift)
    assert np.allclose(new_shift, moves, atol=5e-4)
    expected = np.clip(0.05 + (drift.ltc_start - drift.ltc_end) / (YEARS + 1), 0, 1)
    assert np.allclose(new_incidence, expected, atol=5e-5)
    # a band that lost conditions gets more incidence, one that gained gets less
    assert all((b > 0.05) == (r < 1) for b, r in zip(new_incidence, ratios, strict=True) if abs(r - 1) > 1e-3)


def test_no_drift_is_a_fixed_point():
    model = load_model(BASELINE).model
    shift = list(model.need.frailty_start_shift.value)
    incidence = list(model.population.ltc_incidence.value)
    drift = _drift(np.zeros(len(GROUP_LOWER)), np.ones(N_BANDS))
    assert next_values(shift, incidence, drift) == (shift, incidence)
    assert drift.frailty_moved == 0 and drift.ltc_moved == 0


def test_a_profile_with_other_ages_is_refused(capsys, tmp_path):
    model = load_model(BASELINE).model
    assert problems(model) == []
    data = model.model_dump()
    data["need"]["frailty_start_shift"]["ages"] = [10, 50, 90]
    data["need"]["frailty_start_shift"]["value"] = [0.1, 0.0, -0.3]
    short = type(model).model_validate(data)
    assert problems(short) == [
        f"need.frailty_start_shift: expected {len(GROUP_LOWER)} ages, one per age group starting at "
        "0, 18, 30, 45, 55, 65, 70, 75, 80, 83, 85, 87, 90, 95 (got 3)"
    ]
    path = tmp_path / "short.toml"
    path.write_text(
        f'extends = "{Path(BASELINE).resolve()}"\n'
        '[need]\nfrailty_start_shift = { ages = [10, 50, 90], value = [0.1, 0.0, -0.3], unit = "sd", '
        'source = "test" }\n'
    )
    assert wsic.main(["start-state", "--model", str(path), "--scale", "0.01", "--seeds", "1"]) == 2
    err = capsys.readouterr().err
    assert f"wsic start-state: {path}: need.frailty_start_shift: expected 14 ages" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--scale", "0"], "--scale must be in (0, 1] (got 0.0)"),
        (["--scale", "1.5"], "--scale must be in (0, 1] (got 1.5)"),
        (["--steps", "0"], "--steps must be at least 1 (got 0)"),
        (["--jobs", "0"], "--jobs must be a positive integer or -1 for all cores (got 0)"),
        (["--seeds", "3", "3"], "--seeds must differ from one another (got [3, 3])"),
    ],
)
def test_bad_settings_are_refused(capsys, argv, message):
    assert wsic.main(["start-state", *argv]) == 2
    assert f"wsic start-state: {message}" in capsys.readouterr().err


@pytest.mark.slow
def test_a_small_run_proposes_values_the_schema_accepts(capsys):
    model = load_model(BASELINE).model
    lines: list[str] = []
    steps = derive(model, 0.01, [5], 1, 1, progress=lines.append)
    assert len(steps) == 1 and lines[0].startswith("step 1/1")
    drift = steps[0].drift
    assert np.isfinite(drift.frailty_start).all() and np.isfinite(drift.frailty_end).all()
    # the profile is applied at the start: the 95+ begin far less frail than children
    assert drift.frailty_start[-1] < drift.frailty_start[0] - 0.4
    assert drift.frailty_moved < 1.0
    assert (drift.ltc_start > 0).all() and drift.ltc_moved < 0.2
    shift, incidence = next_values(steps[0].shift, steps[0].incidence, drift)
    assert with_start_state(model, shift, incidence).need.frailty_start_shift.value == shift
    assert wsic.main(["start-state", "--scale", "0.01", "--seeds", "5", "--steps", "1", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "Next step's values: frailty_start_shift [" in out and "95+" in out
