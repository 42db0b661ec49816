"""Shared fixtures: the baseline model and variants of it with some parameters changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.loader import load_model, resolved_data
from models.schema import CareModel

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "models" / "baseline.toml"


@pytest.fixture(scope="session")
def baseline() -> CareModel:
    return load_model(BASELINE).model


# Downstream services with room for everyone. At small scales a borough's social work or
# reablement is one or two servers, whose queues near full run far longer than the full system's
# (Erlang C), and residents compete for the same few places, so tests of a mechanism that is not
# itself about capacity take these away.
AMPLE = {
    "workforce.social_worker.fte": [500, 500, 500],
    "home_care.hours_capacity": [1e6, 1e6, 1e6],
    "care_homes.residential_places": 100_000,
    "care_homes.nursing_places": 100_000,
    "reablement.places": [100_000, 100_000, 100_000],
}


def changed_data(**changes) -> dict:
    """The baseline's resolved data with parameters replaced, keyed by dotted path to a value, e.g.
    ``changed_data(**{"hospital.beds": 5})`` sets hospital.beds.value to 5."""
    data = resolved_data(BASELINE)
    for path, value in changes.items():
        node = data
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[k]
        leaf = node.get(keys[-1])
        if isinstance(leaf, dict) and "value" in leaf and not isinstance(value, dict):
            leaf["value"] = value
        else:
            node[keys[-1]] = value
    return data


def variant(**changes) -> CareModel:
    return CareModel.model_validate(changed_data(**changes))


@pytest.fixture(scope="session")
def ample() -> dict:
    return dict(AMPLE)


@pytest.fixture(scope="session")
def make_data():
    return changed_data


@pytest.fixture(scope="session")
def make_variant():
    return variant
