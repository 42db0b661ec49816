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


def variant(**changes) -> CareModel:
    """The baseline with parameters replaced, keyed by dotted path to a value, e.g.
    ``variant(**{"hospital.beds": 5})`` sets hospital.beds.value to 5."""
    data = resolved_data(BASELINE)
    for path, value in changes.items():
        node = data
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[k]
        leaf = node.get(keys[-1])
        if isinstance(leaf, dict) and "value" in leaf:
            leaf["value"] = value
        else:
            node[keys[-1]] = value
    return CareModel.model_validate(data)


@pytest.fixture(scope="session")
def make_variant():
    return variant
