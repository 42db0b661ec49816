"""The fit's aim within the bands (calibration/fit.aimed): beyond the aim a row counts its excess,
inside it a tenth of its error, so rows with room no longer hold another row outside its band."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from calibration.fit import INSIDE_WEIGHT, aimed

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
def test_the_aimed_error_keeps_the_sign_and_order_and_is_continuous_at_the_aim(r, within):
    a = aimed(np.array([r]), within)[0]
    assert np.sign(a) == np.sign(r)
    assert abs(a) <= (1 + INSIDE_WEIGHT) * abs(r) - within * (abs(r) > within) + 1e-12
    bigger = aimed(np.array([r * 1.1 + np.sign(r) * 0.01]), within)[0]
    assert abs(bigger) >= abs(a)
    edge = aimed(np.array([within - 1e-9, within + 1e-9]), within)
    assert abs(edge[1] - edge[0]) < 1e-6
    assert abs(aimed(np.array([within]), within)[0] - INSIDE_WEIGHT * within) < 1e-12
