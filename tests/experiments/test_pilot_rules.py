"""A pilot's rules without running the model: who the cohort rule chooses, what the pilot arm
changes, how matched controls are drawn, and what the pilot's own figures estimate."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.evaluation import expected_changes, matched_pairs, select
from experiments.evaluation_report import power_cohort
from experiments.evaluation_verdicts import observed_change
from models.pilot import Design, load_pilot, pilot_arm
from models.vocabulary import STRATA

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "models" / "baseline.toml"
LIBRARY = ROOT / "models" / "wsic.toml"
BOROUGHS = ["hammersmith_fulham", "kensington_chelsea", "westminster"]


def pilot(tmp_path: Path, cohort: str = "", rest: str = "", received: str = "") -> object:
    path = tmp_path / "p.toml"
    path.write_text(
        f"""
[meta]
name = "t"
description = "t"
source = "t"

[run]
model = "{BASELINE}"
library = "{LIBRARY}"

[cohort]
start_year = 2
follow_years = 2
{cohort}

[received]
interventions = [{received}]
{rest}
"""
    )
    return load_pilot(path)


def people(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A person log of two years: year 1 the prior year, year 2 the start."""
    rng = np.random.default_rng(seed)
    person = np.arange(n)
    frame = pd.DataFrame(
        {
            "person": person,
            "age": rng.uniform(0, 100, n).astype(np.float32),
            "borough": pd.Categorical.from_codes(rng.integers(0, 3, n), BOROUGHS),
            "network": rng.integers(0, 10, n).astype(np.int16),
            "stratum": pd.Categorical.from_codes(rng.integers(0, 5, n), STRATA),
            "risk_score": rng.uniform(0, 1, n).astype(np.float32),
            "ltc": rng.integers(0, 4, n).astype(np.int8),
            "dementia": rng.random(n) < 0.1,
            "cancer": rng.random(n) < 0.1,
            "learning_disability": rng.random(n) < 0.05,
            "smi": rng.random(n) < 0.05,
            "female": rng.random(n) < 0.5,
            "at_home": rng.random(n) < 0.95,
            "nel_admissions": rng.poisson(0.4, n).astype(np.float32),
        }
    )
    return pd.concat([frame.assign(year=1), frame.assign(year=2)], ignore_index=True)


def test_the_rule_chooses_as_the_pilot_did(tmp_path):
    log = people()
    start = log[log.year == 2].set_index("person")
    rule = "min_age = 40\nnetworks = [1, 2, 3]\nstrata = ['very_high', 'high']\n"
    rule += "conditions = ['dementia', 'multimorbidity']"
    chosen, _ = select(pilot(tmp_path, rule), log, 0)
    want = start[
        (start.age >= 40)
        & start.network.isin([1, 2, 3])
        & start.stratum.isin(["very_high", "high"])
        & (start.dementia | (start.ltc >= 2))
    ].index
    assert chosen.tolist() == sorted(want)
    top, _ = select(pilot(tmp_path, "top_risk_share = 0.1"), log, 0)
    assert len(top) == 40
    assert start.risk_score[top].min() >= start.risk_score.drop(top).max()
    prior, _ = select(pilot(tmp_path, "min_prior_admissions = 2\nboroughs = ['westminster']"), log, 0)
    before = log[log.year == 1].set_index("person").nel_admissions
    assert (before[prior] >= 2).all() and (start.borough[prior] == "westminster").all()


def test_the_pilot_arm_enrols_the_cohort_with_the_pilot_s_effects_and_staff(tmp_path):
    effects = """
[[received.effects]]
intervention = "care_coordination"
kind = "hazard"
target = "crisis"
effect = { distribution = "fixed", value = 0.8, unit = "multiplier", source = "pilot" }
[[received.effects]]
intervention = "care_coordination"
kind = "hazard"
target = "fall"
effect = { distribution = "fixed", value = 0.9, unit = "multiplier", source = "pilot" }
[received.fte]
care_coordinator = { value = [6, 0, 0], unit = "FTE per borough", source = "pilot" }
"""
    loaded = pilot(tmp_path, "min_age = 65\ntop_risk_share = 0.03\nnetworks = [2]", effects, '"care_coordination"')
    model = pilot_arm(loaded)
    iv = model.interventions["care_coordination"]
    by_target = {(m.kind, m.target): m.effect.bounds() for m in iv.mechanisms}
    assert by_target[("hazard", "crisis")] == (0.8, 0.8), "replaced"
    assert by_target[("hazard", "fall")] == (0.9, 0.9), "added"
    assert ("hazard", "care_home_entry") in by_target, "the library's others kept"
    assert model.workforce["care_coordinator"].fte.value == [6, 0, 0]
    el = iv.eligibility
    assert (el.min_age, el.top_risk_share, el.networks, iv.cohort, iv.start_year) == (65, 0.03, [2], "closed", 2)
    assert set(el.strata) == set(STRATA)


def test_the_pilot_s_own_figures(tmp_path):
    counts = (
        "[observed]\ndesign = '{}'\nsource = 't'\n"
        "cohort = {{ measure = 'count', before = 400, after = 600, size = 500 }}\n"
    )
    controls = "controls = { measure = 'count', before = 300, after = 540, size = 500 }\n"
    naive = observed_change(pilot(tmp_path, rest=counts.format("naive")))
    rate_ratio = (600 / 1000) / (400 / 500)  # after is over two follow-up years
    half = 1.959964 * math.sqrt(1 / 400 + 1 / 600)
    assert naive == pytest.approx((rate_ratio - 1, rate_ratio * math.exp(-half) - 1, rate_ratio * math.exp(half) - 1))
    did = observed_change(pilot(tmp_path, rest=counts.format("difference_in_differences") + controls))
    ratio = rate_ratio / ((540 / 1000) / (300 / 500))
    assert did[0] == pytest.approx(ratio - 1)
    assert did[1] < did[0] < did[2]
    matched = observed_change(pilot(tmp_path, rest=counts.format("matched") + controls))
    assert matched[0] == pytest.approx(600 / 540 - 1)
    half = 1.959964 * math.sqrt(1 / 600 + 1 / 540)  # the two groups' follow-up counts
    assert matched[1:] == pytest.approx(((600 / 540) * math.exp(-half) - 1, (600 / 540) * math.exp(half) - 1))
    rates = "[observed]\ndesign = 'naive'\nsource = 't'\n"
    rates += "cohort = { measure = 'rate', before = 0.8, after = 0.6, size = 500 }\n"
    as_rates = observed_change(pilot(tmp_path, rest=rates))
    assert as_rates == pytest.approx(naive), "rates with a size are the same counts"
    given_change = observed_change(pilot(tmp_path, rest="[observed]\ndesign = 'naive'\nsource = 't'\nchange = -0.3\n"))
    assert given_change[0] == -0.3 and math.isnan(given_change[1])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), caliper=st.floats(0.01, 1.0), share=st.floats(0.05, 0.5))
def test_each_member_s_control_is_its_nearest_alike_within_the_caliper(seed, caliper, share):
    """Against brute force: a member finds a control exactly when someone not excluded shares its
    keys within the caliper, and then the nearest such; the enrolled are never controls."""
    log = people(300, seed)
    start = log[log.year == 2].set_index("person")
    start = start.assign(prior=log[log.year == 1].set_index("person").nel_admissions)
    rng = np.random.default_rng(seed)
    cohort = start.index[rng.random(len(start)) < share].to_numpy()
    enrolled_elsewhere = start.index[rng.random(len(start)) < 0.1].to_numpy()  # enrolled, not in the cohort
    exclude = np.union1d(cohort, enrolled_elsewhere)
    design = Design(match_exactly=["sex", "age_band", "prior_admissions"], caliper_sd=caliper)
    members, controls = matched_pairs(start, cohort, exclude, design)
    width = caliper * float(start.risk_score.std())
    pool = start.drop(index=exclude)
    found = dict(zip(members.tolist(), controls.tolist(), strict=True))
    for m in cohort.tolist():
        row = start.loc[m]
        alike = pool[
            (pool.female == row.female)
            & (pool.age // 5 == row.age // 5)
            & (np.minimum(pool.prior, 5) == min(row.prior, 5))
        ]
        gaps = np.abs(alike.risk_score.to_numpy(dtype=float) - float(row.risk_score))
        if gaps.size == 0 or gaps.min() > width:
            assert m not in found, "no one alike within the caliper: no control"
            continue
        assert m in found and found[m] in alike.index
        assert abs(float(start.risk_score[found[m]]) - float(row.risk_score)) == pytest.approx(gaps.min(), abs=1e-7)


def test_the_cohort_needed_for_power():
    """2 z^2 var / effect^2 at the mean effect; unbounded above where the effect may be none."""
    z = 1.959964 + 0.841621
    sure = pd.DataFrame({"outcome_variance": [1.0] * 4, "admissions_avoided_per_person_year": [0.1, 0.11, 0.09, 0.1]})
    mean, low, high = power_cohort(sure)
    assert mean == pytest.approx(2 * z**2 / 0.1**2)
    assert low < mean < high < math.inf
    harm = sure.assign(admissions_avoided_per_person_year=-sure.admissions_avoided_per_person_year)
    assert power_cohort(harm)[0] == pytest.approx(mean), "harm is detected as surely as benefit"
    unsure = sure.assign(admissions_avoided_per_person_year=[0.1, -0.1, 0.05, -0.02])
    assert power_cohort(unsure)[2] == math.inf


def test_ageing_trend_and_survival_are_age_curves_at_the_ages_reached():
    """Growing older: the before year's curve at the ages reached; the trend: each follow year's
    curve against the before year's at those ages; chosen alive: the before year's curve among
    everyone against among those alive a year on. None holds any of the others."""
    log = pd.DataFrame(
        {
            "person": [1, 2, 3, 4, 5, 1, 2, 3, 4],
            "year": [1, 1, 1, 1, 1, 2, 2, 2, 2],
            "age": [73.0, 77.0, 40.0, 72.0, 71.0, 75.0, 78.0, 41.0, 73.0],
            # person 5 dies in year 1 after two admissions; year 2's band rates are 1.5 times year 1's
            # among those alive (0.2 -> 0.3 at 70-74, 0.4 -> 0.6 at 75-79)
            "nel_admissions": [0.2, 0.4, 0.1, 0.2, 2.0, 0.6, 0.6, 0.15, 0.3],
        }
    )
    everywhere = SimpleNamespace(boroughs=[], networks=[])
    log = log.assign(borough="westminster", network=0)
    four = expected_changes(log, np.array([4]), everywhere, 1, [2])
    curve_70 = (0.2 + 0.2 + 2.0) / 3  # everyone alive at year 1's start aged 70-74
    assert four["ageing"] == pytest.approx(0.0), "still in the same band"
    assert four["survival"] == pytest.approx(curve_70 / 0.2 - 1), "the before year without its dying"
    assert four["trend"] == pytest.approx(0.3 / curve_70 - 1)
    one = expected_changes(log, np.array([1]), everywhere, 1, [2])
    assert one["ageing"] == pytest.approx(0.4 / curve_70 - 1), "from the 70-74s' rate to the 75-79s'"
    assert one["trend"] == pytest.approx(0.5), "the 75-79s' rate rose by half: no ageing in it"
