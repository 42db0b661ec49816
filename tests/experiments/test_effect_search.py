"""What would it take and which evidence matters most: effects scaled and pinned as their ranges
say, the break-even root search, and the summaries the report shows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments import breakeven, tornado
from experiments.effect_runs import pinned, pinned_effect, scaled, scaled_effect
from models.loader import load_model
from models.schema import Effect
from sim.interventions import sample_effect

WSIC = load_model("models/wsic.toml").model


def triangular(low: float, mode: float, high: float) -> Effect:
    return Effect(distribution="triangular", low=low, mode=mode, high=high, unit="multiplier", source="test")


@settings(max_examples=60, deadline=None)
@given(st.floats(0.5, 1.0), st.floats(0.0, 1.0), st.floats(1.0, 1.3), st.floats(0.0, 1.9), st.integers(0, 2**31))
def test_a_scaled_range_scales_each_sampled_effect_alike(low, where, high, k, seed):
    """The same random number gives the same draw, k times as far from no effect: common random
    numbers across the break-even search's multipliers (bounded so no end is clipped at zero)."""
    effect = triangular(low, low + where * (high - low), high)
    own = sample_effect(effect, np.random.default_rng(seed))
    moved = sample_effect(scaled_effect(effect, "hazard", k), np.random.default_rng(seed))
    assert moved == pytest.approx(1 + k * (own - 1), abs=1e-9)


def test_scaling_holds_probabilities_and_multipliers_within_their_bounds():
    p = Effect(distribution="uniform", low=0.2, high=0.6, unit="probability", source="test")
    assert scaled_effect(p, "divert", 3.0).bounds() == (pytest.approx(0.6), 1.0)
    assert scaled_effect(p, "divert", 0.0).bounds() == (0.0, 0.0)
    m = triangular(0.7, 0.9, 1.1)
    assert scaled_effect(m, "hazard", 5.0).bounds() == (0.0, pytest.approx(1.5))
    assert scaled_effect(m, "hazard", 0.0).bounds() == (1.0, 1.0)


def test_the_favourable_end_is_the_low_multiplier_and_the_high_probability():
    m, p = triangular(0.8, 0.95, 1.05), Effect(distribution="uniform", low=0.1, high=0.3, unit="p", source="t")
    assert pinned_effect(m, "hazard", "favourable").value == 0.8
    assert pinned_effect(m, "shorten", "unfavourable").value == 1.05
    assert pinned_effect(p, "divert", "favourable").value == 0.3
    assert pinned_effect(p, "end_of_life", "unfavourable").value == 0.1


def test_scaling_or_pinning_one_intervention_leaves_the_others_alone():
    one = scaled(WSIC, 2.0, only="care_coordination")
    for name, iv in WSIC.interventions.items():
        changed = [a.effect != b.effect for a, b in zip(iv.mechanisms, one.interventions[name].mechanisms, strict=True)]
        assert any(changed) == (name == "care_coordination"), name
    fixed = pinned(WSIC, "rapid_response", "favourable")
    assert fixed.interventions["rapid_response"].mechanisms[0].effect.value == 0.15
    assert fixed.interventions["falls_prevention"] == WSIC.interventions["falls_prevention"]
    assert WSIC.interventions["rapid_response"].mechanisms[0].effect.distribution == "triangular", "a copy"


@pytest.fixture
def net_of_k(monkeypatch):
    """The search with the simulation replaced by a function of the multiplier."""

    def use(f):
        monkeypatch.setattr(breakeven, "scaled", lambda model, k, only: k)
        monkeypatch.setattr(breakeven, "discounted_net", lambda p, base, k, rep: f(k))
        return breakeven.replication_breakeven(None, None, WSIC, 0, None)

    return use


def test_the_search_finds_the_root_to_its_tolerance(net_of_k):
    got = net_of_k(lambda k: 3.0 * k - 7.0)
    assert got["breakeven"] == pytest.approx(7 / 3, abs=breakeven.XTOL)
    assert got["net_at_evidence_gbp"] == -4.0
    assert got["runs"] <= 15


def test_a_scenario_that_never_pays_back_is_said_so(net_of_k):
    got = net_of_k(lambda k: -1.0 - 0.1 * k)
    assert math.isinf(got["breakeven"])
    assert got["runs"] == 7  # 0, 1, 2, 4, 8, 16, 32: K_MAX
    assert breakeven.K_MAX == 32


def test_a_scenario_paying_back_with_no_effect_breaks_even_at_none(net_of_k):
    assert net_of_k(lambda k: 5.0)["breakeven"] == 0.0


def test_the_summary_counts_what_does_not_pay_back():
    per_rep = pd.DataFrame(
        {
            "scenario": "wsic",
            "intervention": breakeven.ALL,
            "replication": range(4),
            "breakeven": [2.0, 3.0, 4.0, math.inf],
            "net_at_evidence_gbp": [-1e6, -2e6, -3e6, -4e6],
            "runs": 9,
        }
    )
    row = breakeven.summarise(per_rep).iloc[0]
    assert row.breakeven_mean == 3.0 and row.share_not_paying_back == 0.25
    assert row.ci_low == pytest.approx(3 - 4.303 * 1 / math.sqrt(3), abs=1e-3)  # t with 2 degrees of freedom
    assert row.net_at_evidence_gbp_m == -2.5
    text = breakeven.describe(breakeven.summarise(per_rep), 5)
    assert "3.00 times as effective" in text and "in 25% of replications no multiplier up to 32 pays back" in text
    assert row.breakeven_median == 3.5, "over all four, the one that never pays back counted as never"


def test_the_tornado_orders_by_swing_and_keeps_the_sampled_centre():
    rows = []
    for name, fav, unfav in (("a", -10.0, -12.0), ("b", -5.0, -20.0), ("c", -11.0, -11.5)):
        for r in range(2):
            rows += [
                {"scenario": "s", "intervention": name, "end": "favourable", "replication": r, "net_gbp": fav * 1e6},
                {
                    "scenario": "s",
                    "intervention": name,
                    "end": "unfavourable",
                    "replication": r,
                    "net_gbp": unfav * 1e6,
                },
            ]
    rows += [
        {"scenario": "s", "intervention": tornado.SAMPLED, "end": tornado.SAMPLED, "replication": r, "net_gbp": -11e6}
        for r in range(2)
    ]
    got = tornado.summarise(pd.DataFrame(rows))
    assert list(got.intervention) == ["b", "a", "c"]
    assert list(got.swing_gbp_m) == pytest.approx([15.0, 2.0, 0.5])
    assert (got.net_sampled_gbp_m == -11.0).all()


def test_only_interventions_with_a_range_are_pinned():
    names = tornado.ranged(WSIC)
    assert "care_coordination" in names and len(names) == len(WSIC.interventions)
    fixed = pinned(WSIC, "peer_review", "favourable")
    assert "peer_review" not in tornado.ranged(fixed)


def test_an_intervention_not_needed_to_pay_back_is_said_so():
    per_rep = pd.DataFrame(
        {
            "scenario": "s",
            "intervention": "peer_review",
            "replication": [0, 1],
            "breakeven": 0.0,
            "net_at_evidence_gbp": 5e6,
            "runs": 1,
        }
    )
    text = breakeven.describe(breakeven.summarise(per_rep), 5)
    assert "pays back in 5 years with peer review's effects at none" in text
