"""The frequent attenders (crisis.frequent_attenders): a persistent share of residents whose crisis
hazard is multiplied while they are of its ages, and nothing else about them changes."""

import numpy as np
import pytest

from models.schema import CareModel
from tests.sim.synthetic import population_hazards

FA = {
    "share": {"value": 0.01, "unit": "fraction", "source": "test"},
    "min_age": {"value": 18, "unit": "years", "source": "test"},
    "max_age": {"value": 65, "unit": "years", "source": "test"},
    "multiplier": {"value": 20.0, "unit": "multiplier", "source": "test"},
}


def _with_group(baseline: CareModel, **change) -> CareModel:
    data = baseline.model_dump()
    data["crisis"]["frequent_attenders"] = {k: {**v, **change.get(k, {})} for k, v in FA.items()}
    return CareModel.model_validate(data)


def _without_group(baseline: CareModel) -> CareModel:
    data = baseline.model_dump()
    data["crisis"].pop("frequent_attenders", None)
    return CareModel.model_validate(data)


def _hazards(model: CareModel, n: int = 100_000):
    return population_hazards(model, n, seed=3)


def test_without_the_group_nobody_is_one_and_draws_are_unchanged(baseline):
    pop, _ = _hazards(_without_group(baseline))
    assert not pop.frequent.any()
    with_group, _ = _hazards(_with_group(baseline))
    # a model with the group draws one column more per row, so a model without it keeps the draws
    # it had before the group existed
    assert with_group.frequent.mean() == pytest.approx(0.01, abs=0.002)
    assert not np.array_equal(with_group.age, pop.age)


def test_only_members_of_its_ages_have_the_multiplied_hazard(baseline):
    model = _with_group(baseline)
    pop, hz = _hazards(model)
    plain = _with_group(baseline, multiplier={"value": 1.0})
    _, hz1 = _hazards(plain)
    ratio = hz.crisis / hz1.crisis
    of_age = (pop.age >= 18) & (pop.age < 65)
    np.testing.assert_allclose(ratio[pop.frequent & of_age], 20.0)
    np.testing.assert_allclose(ratio[~(pop.frequent & of_age)], 1.0)
    assert (pop.frequent & ~of_age).any(), "members outside the ages keep the flag but not the rate"
    np.testing.assert_array_equal(hz.death, hz1.death)  # nothing but crises


def test_an_empty_age_range_is_refused(baseline):
    with pytest.raises(ValueError, match=r"max_age is 18\.0, not above min_age 18\.0"):
        _with_group(baseline, max_age={"value": 18})
