"""Rates from need (one elasticity on need as a whole, or separate ones between and within leaves)
and counts drawn from them, plain or in episodes."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from models.schema import EpisodeSize, Number
from sim.routine import episode_counts, need_rate


def test_one_elasticity_applies_to_need_as_a_whole(baseline):
    pop = SimpleNamespace(need=np.array([500.0, 2000.0]), base_need=np.array([1000.0, 1000.0]))
    got = need_rate(pop, baseline, 3.0, 0.5, None)
    assert got == pytest.approx([3.0 * 0.5**0.5, 3.0 * 2.0**0.5])


def test_leaf_elasticity_separates_conditions_from_frailty(baseline):
    # two leaves (need 1000 and 4000), each with a frail and a robust resident
    pop = SimpleNamespace(
        need=np.array([500.0, 2000.0, 2000.0, 8000.0]), base_need=np.array([1000.0, 1000.0, 4000.0, 4000.0])
    )
    leaf = Number(value=1.0, unit="d log rate / d log leaf need", source="test")
    got = need_rate(pop, baseline, 2.0, 0.3, leaf)
    # across leaves the rate is proportional to leaf need; within a leaf it follows elasticity 0.3
    assert got[2] / got[0] == pytest.approx(4.0)
    assert got[1] / got[0] == pytest.approx(4.0**0.3)
    # equal elasticities give the one-elasticity rates exactly
    same = Number(value=0.3, unit="x", source="test")
    assert need_rate(pop, baseline, 2.0, 0.3, same) == pytest.approx(need_rate(pop, baseline, 2.0, 0.3, None))


def test_episodes_keep_the_mean_and_concentrate_contacts_in_fewer_people():
    rng = np.random.default_rng(5)
    mean, k, n = 0.6, 3.0, 400_000
    plain = episode_counts(np.full(n, mean), None, rng.random(n), rng.random(n))
    grouped = episode_counts(
        np.full(n, mean), EpisodeSize(value=k, unit="contacts", source="test"), rng.random(n), rng.random(n)
    )
    se = np.sqrt(mean * (k - 1 + k * k) / k / n)
    assert grouped.mean() == pytest.approx(mean, abs=4 * se)
    assert grouped.var() == pytest.approx(mean * (k - 1 + k * k) / k, rel=0.03), "compound Poisson variance"
    assert np.mean(grouped > 0) == pytest.approx(1 - np.exp(-mean / k), abs=0.003), "people with any contact"
    assert np.mean(plain > 0) == pytest.approx(1 - np.exp(-mean), abs=0.003)
    one = episode_counts(
        np.full(n, mean), EpisodeSize(value=1.0, unit="contacts", source="test"), rng.random(n), rng.random(n)
    )
    assert one.var() == pytest.approx(mean, rel=0.03), "an episode of one is a plain Poisson count"
