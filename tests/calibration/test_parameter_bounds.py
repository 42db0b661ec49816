"""Every fit parameter at either end of its bounds gives a model the schema accepts: a bound past
the schema's would turn the optimiser's step into a failed run, which the fit reads as every target
missed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calibration.parameters import NAMES, PARAMETERS, apply, start
from models.loader import resolved_data
from models.schema import CareModel

ROOT = Path(__file__).resolve().parents[2]
# the refit's start for the frequent attenders, whose multiplier is the largest prior a bound scales
FREQUENT = {
    "share": {"value": 0.003, "unit": "share of residents", "source": "test"},
    "min_age": {"value": 18, "unit": "years", "source": "test"},
    "max_age": {"value": 65, "unit": "years", "source": "test"},
    "multiplier": {"value": 60.0, "unit": "multiplier", "source": "test"},
}


@pytest.fixture(scope="module")
def data() -> dict:
    out = resolved_data(ROOT / "models" / "baseline.toml")
    out["crisis"]["frequent_attenders"] = FREQUENT
    return out


@pytest.mark.parametrize("end", ["lower", "upper"])
@pytest.mark.parametrize("name", NAMES)
def test_each_bound_gives_a_valid_model(data, name, end):
    k = NAMES.index(name)
    x = start(data)
    x[k] = getattr(PARAMETERS[k], end)
    CareModel.model_validate(apply(data, x))


def test_the_oldest_s_scale_acts_on_the_85_plus_on_top_of_the_65_plus_s(data):
    x = start(data)
    x[NAMES.index("crisis:age_65_plus")] = 0.2
    x[NAMES.index("crisis:age_85_plus")] = 0.1
    prior = data["crisis"]["age_multiplier"]["value"]
    got = apply(data, x)["crisis"]["age_multiplier"]["value"]
    factor = np.exp([0, 0, 0, 0.2, 0.2, 0.3])  # bands 0, 18, 45, 65, 75, 85
    assert got == pytest.approx(list(np.asarray(prior) * factor))
