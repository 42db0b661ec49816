"""crisis.under_65_leaf_shift: the crises of residents under 65 follow the cost-tree leaf more
steeply than the hazard's own leaf elasticity says; the 65+'s crises and everything else are left
as they are."""

import numpy as np
import pytest
from pydantic import ValidationError

from models.schema import CareModel
from models.vocabulary import OLDER_AGE
from tests.sim.synthetic import population_hazards


def _with_shift(baseline: CareModel, value: float | None) -> CareModel:
    data = baseline.model_dump()
    if value is None:
        data["crisis"].pop("under_65_leaf_shift", None)
    else:
        data["crisis"]["under_65_leaf_shift"] = {"value": value, "unit": "elasticity", "source": "test"}
    return CareModel.model_validate(data)


def _hazards(model: CareModel, n: int = 50_000):
    return population_hazards(model, n, seed=5)


def test_the_young_crises_follow_the_leaf_need_to_the_shift_and_the_olds_are_unchanged(baseline):
    pop, plain = _hazards(_with_shift(baseline, None))
    _, shifted = _hazards(_with_shift(baseline, 0.5))
    young = pop.alive & (pop.age < OLDER_AGE)
    old = pop.alive & (pop.age >= OLDER_AGE)
    assert young.any() and old.any()
    leaf = pop.base_need / baseline.need.reference.value
    np.testing.assert_allclose(shifted.crisis[young] / plain.crisis[young], leaf[young] ** 0.5, rtol=1e-12)
    np.testing.assert_array_equal(shifted.crisis[old], plain.crisis[old])
    # a condition raises a young resident's leaf need, so their crises rise against those with none
    with_condition = young & (pop.ltc > 0)
    without = young & (pop.ltc == 0)
    ratio = shifted.crisis / plain.crisis
    assert ratio[with_condition].mean() > 1.5 * ratio[without].mean()
    np.testing.assert_array_equal(shifted.death, plain.death)
    np.testing.assert_array_equal(shifted.care_home_referral, plain.care_home_referral)
    np.testing.assert_array_equal(shifted.package_referral, plain.package_referral)


def test_a_shift_of_zero_is_no_shift(baseline):
    _, plain = _hazards(_with_shift(baseline, None))
    _, zero = _hazards(_with_shift(baseline, 0.0))
    np.testing.assert_array_equal(zero.crisis, plain.crisis)


@pytest.mark.parametrize("value", [-0.1, 4.5])
def test_a_shift_out_of_range_is_refused(baseline, value):
    with pytest.raises(ValidationError, match="under_65_leaf_shift"):
        _with_shift(baseline, value)


def test_without_a_leaf_elasticity_the_shift_adds_to_need_s_own(baseline):
    """With no leaf elasticity the hazard follows need as a whole; the shift still acts on the
    leaf's part for the young: rate x (need / ref) ** e x (leaf / ref) ** shift."""
    data = baseline.model_dump()
    data["crisis"]["hazard"]["leaf_elasticity"] = None
    plain_model = CareModel.model_validate(data)
    pop, plain = _hazards(_with_shift(plain_model, None))
    _, shifted = _hazards(_with_shift(plain_model, 0.3))
    young = pop.alive & (pop.age < OLDER_AGE)
    leaf = pop.base_need / baseline.need.reference.value
    np.testing.assert_allclose(shifted.crisis[young] / plain.crisis[young], leaf[young] ** 0.3, rtol=1e-12)


def test_a_shift_that_would_explode_the_young_s_crises_is_refused(baseline):
    """The schema's tail check: a resident under 65 at the costliest leaf, a frequent attender, at
    one-in-a-million frailty, would have millions of crises a year."""
    with pytest.raises(ValidationError, match=r"crisis\.hazard expected at most"):
        _with_shift(baseline, 3.5)
