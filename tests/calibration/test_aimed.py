"""The fit's aim within the bands (calibration/fit.aimed): beyond the aim a row counts its excess,
inside it a tenth of its error, so rows with room no longer hold another row outside its band."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from calibration.fit import INSIDE_WEIGHT, FitSpec, Objective, aimed
from calibration.parameters import PARAMETERS, start
from calibration.targets import Target
from models.loader import resolved_data

residual = st.floats(-20, 20, allow_nan=False).filter(lambda x: x == 0 or abs(x) > 1e-9)  # no subnormals
aim = st.floats(0.01, 0.99)


def test_no_aim_leaves_the_residuals_alone():
    r = np.array([-2.0, -0.3, 0.0, 0.7, 1.5])
    assert aimed(r, 0.0) is r


def test_inside_the_aim_a_row_counts_a_tenth_and_beyond_it_its_excess():
    r = np.array([0.4, -0.4, 1.2, -1.2])
    assert np.allclose(aimed(r, 0.5), [0.04, -0.04, 0.7 + 0.12, -0.7 - 0.12])


def test_one_row_out_now_costs_more_than_two_rows_with_room():
    """The case the aim is for: a row at 1.2 against two at 0.3 costs less than 0.9 against two
    at 0.7 in a plain sum of squares, and more once aimed at half the band."""
    out, spread = np.array([1.2, 0.3, 0.3]), np.array([0.9, 0.7, 0.7])
    assert np.sum(out**2) < np.sum(spread**2)
    assert np.sum(aimed(out, 0.5) ** 2) > np.sum(aimed(spread, 0.5) ** 2)


@given(residual, aim)
def test_the_aimed_error_keeps_the_sign_and_order_and_is_each_branch_s(r, within):
    a = aimed(np.array([r]), within)[0]
    assert np.sign(a) == np.sign(r)
    if abs(r) <= within:
        assert a == pytest.approx(INSIDE_WEIGHT * r, abs=1e-12)
    else:
        assert a == pytest.approx(np.sign(r) * (abs(r) - within) + INSIDE_WEIGHT * r, abs=1e-12)
    bigger = aimed(np.array([r * 1.1 + np.sign(r) * 0.01]), within)[0]
    assert abs(bigger) >= abs(a)


@given(aim)
def test_the_aimed_error_is_continuous_at_the_aim(within):
    edge = aimed(np.array([within - 1e-9, within + 1e-9, -within - 1e-9, -within + 1e-9]), within)
    assert abs(edge[1] - edge[0]) < 1e-6 and abs(edge[3] - edge[2]) < 1e-6
    assert aimed(np.array([within]), within)[0] == pytest.approx(INSIDE_WEIGHT * within)


def test_the_fit_steers_by_the_aimed_residuals(monkeypatch):
    """The optimiser's residuals, its cost and its Jacobian are all of the aimed errors: without
    the aim in any one of them the fit would steer by one objective and keep the best by another."""
    data = resolved_data(Path(__file__).resolve().parents[2] / "models" / "baseline.toml")
    targets = [Target("a", 10.0, 1.0, "t"), Target("b", 0.0, 2.0, "t"), Target("c", 5.0, 0.5, "t")]
    obj = Objective(data, FitSpec(aim_within=0.5), targets=targets, progress=lambda line: None)
    x0 = start(data)

    def achieved(xs):  # results that move with the first two parameters, off target by design
        return [{"a": 11.2 + 3 * (x[0] - x0[0]), "b": 0.6 - 4 * (x[1] - x0[1]), "c": 5.1} for x in xs]

    monkeypatch.setattr(obj, "achieved_many", achieved)
    raw = np.array([1.2, 0.3, 0.2])
    f = obj.fun(x0)
    assert np.allclose(f, aimed(raw, 0.5))
    assert obj.best[0] == pytest.approx(0.5 * np.sum(aimed(raw, 0.5) ** 2))
    J = obj.jac(x0, np.array([0, 1]))
    for j, k in enumerate((0, 1)):
        h = PARAMETERS[k].step if x0[k] + PARAMETERS[k].step <= PARAMETERS[k].upper else -PARAMETERS[k].step
        x = x0.copy()
        x[k] += h
        moved = np.array([(achieved([x])[0][t.name] - t.value) / t.tolerance for t in targets])
        assert np.allclose(J[:, j], (aimed(moved, 0.5) - aimed(raw, 0.5)) / h)
