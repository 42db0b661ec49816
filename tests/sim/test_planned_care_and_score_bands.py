"""Planned care that follows frailty, and a risk score that bands a year's use: both off unless a
model sets them, each doing what it says when set, and refused when set wrong."""

from __future__ import annotations

import numpy as np
import pytest
import tomlkit
from scipy import stats

from models.loader import ModelFileError, load_model
from sim.population import synthesise
from sim.risk import USE_COUNTED_UP_TO, risk_score
from sim.routine import annual_rates, planned_care_normal
from tests.conftest import BASELINE


@pytest.fixture(scope="module")
def pop(baseline):
    return synthesise(baseline, 60_000, np.random.default_rng(5))


def _node(value: float, unit: str = "test unit") -> dict:
    return {"value": value, "unit": unit, "source": "assumption: test"}


def _frailty_normal(pop, model) -> np.ndarray:
    sf = model.need.frailty_sigma.value
    return (np.log(pop.frailty) + 0.5 * sf * sf) / sf


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.8])
def test_planned_care_follows_frailty_by_the_correlation_set_and_keeps_its_spread(pop, make_variant, rho):
    model = make_variant(**{"need.planned_care_frailty_correlation": _node(rho, "correlation")})
    z = planned_care_normal(pop, model)
    assert np.corrcoef(z, _frailty_normal(pop, model))[0, 1] == pytest.approx(rho, abs=0.02)
    assert z.mean() == pytest.approx(0.0, abs=0.02) and z.std() == pytest.approx(1.0, abs=0.02)
    assert stats.kstest(z, "norm").pvalue > 1e-3, "still a standard normal, so the propensity keeps mean one"
    if rho == 0.0:
        assert z is pop.planned, "off: the resident's own draw, as before the option existed"


def test_planned_care_correlation_moves_planned_rates_only(pop, make_variant, baseline):
    on = annual_rates(pop, make_variant(**{"need.planned_care_frailty_correlation": _node(0.5, "correlation")}))
    off = annual_rates(pop, make_variant(**{"need.planned_care_frailty_correlation": 0.0}))
    none = annual_rates(pop, make_variant(**{"need.planned_care_sigma": 0.0}))
    frail = _frailty_normal(pop, baseline)
    for name in ("outpatient", "elective"):
        # a propensity of mean one, higher where frailty is: so more planned care in all, as need
        # (and the rate) rises with frailty too; a fit's rate scale takes that back
        propensity = on[name] / none[name]
        assert propensity.mean() == pytest.approx(1.0, abs=0.05)
        assert np.corrcoef(np.log(propensity), frail)[0, 1] == pytest.approx(0.5, abs=0.03)
        assert on[name].sum() > off[name].sum()
    for name in ("gp", "district_nurse", "ae_minor", "other_community", "other_social_care"):
        assert np.array_equal(on[name], off[name])


def test_the_score_counts_a_banded_use_only_up_to_its_band(pop, make_variant, baseline):
    prior = {k: np.zeros(pop.size) for k in ("outpatient", "elective", "nel_admissions")}
    prior["outpatient"][:100] = 20.0
    prior["outpatient"][100:200] = 5.0
    prior["elective"][200:300] = 4.0
    prior["nel_admissions"][300:400] = 7.0
    bands = {"outpatient": _node(5, "attendances"), "elective": _node(2, "admissions")}
    banded = risk_score(pop, prior, make_variant(**{"risk.counted_up_to": bands}))
    unbanded = make_variant(**{"risk.counted_up_to": None})
    plain = risk_score(pop, prior, unbanded)
    np.testing.assert_array_equal(banded[100:200], plain[100:200])  # within the band: as before
    assert np.all(banded[:100] < plain[:100])
    at_band = dict(prior, outpatient=np.minimum(prior["outpatient"], 5.0), elective=np.minimum(prior["elective"], 2.0))
    np.testing.assert_array_equal(banded, risk_score(pop, at_band, unbanded))
    np.testing.assert_array_equal(banded[300:], plain[300:])  # a use not banded counts as before
    assert USE_COUNTED_UP_TO == 50.0


def _load_with(tmp_path, need: dict | None = None, risk: dict | None = None):
    doc = {"extends": str(BASELINE)}
    if need:
        doc["need"] = need
    if risk:
        doc["risk"] = risk
    path = tmp_path / "model.toml"
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return path, load_model


@pytest.mark.parametrize(
    ("need", "risk", "expected"),
    [
        ({"planned_care_frailty_correlation": _node(1.5, "correlation")}, None, "planned_care_frailty_correlation"),
        ({"planned_care_frailty_correlation": _node(-0.2, "correlation")}, None, "planned_care_frailty_correlation"),
        (None, {"counted_up_to": {"care_home": _node(2, "flag")}}, "counted_up_to.care_home"),
        (None, {"counted_up_to": {"outpatient": _node(0, "attendances")}}, "counted_up_to.outpatient"),
        (None, {"counted_up_to": {"outpatient": 5}}, "counted_up_to.outpatient"),
    ],
    ids=["correlation above one", "negative correlation", "a flag banded", "a band of none", "a bare number"],
)
def test_bad_planned_care_and_band_settings_are_refused_naming_the_file_and_key(tmp_path, need, risk, expected):
    path, load = _load_with(tmp_path, need, risk)
    with pytest.raises(ModelFileError) as info:
        load(path)
    assert any(line.startswith(f"{path}: ") and expected in line for line in info.value.problems), info.value.problems


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"need.planned_care_sigma": None}, "needs planned_care_sigma"),
        ({"need.frailty_sigma": _node(0.0, "sd of log")}, "needs frailty_sigma above 0"),
    ],
    ids=["no propensity", "no frailty"],
)
def test_a_correlation_with_nothing_to_shape_or_follow_is_refused(make_data, change, expected):
    from models.schema import CareModel

    data = make_data(**{"need.planned_care_frailty_correlation": _node(0.3, "correlation")})
    for path, value in change.items():
        table, key = path.split(".")
        if value is None:
            data[table].pop(key)
        else:
            data[table][key] = value
    with pytest.raises(ValueError, match=expected):
        CareModel.model_validate(data)
    data["need"]["planned_care_frailty_correlation"] = _node(0.0, "correlation")  # off: accepted
    CareModel.model_validate(data)
    # a propensity of no spread with a correlation set is accepted (a fit may take the sd to its
    # bound of 0; the propensity is then one for all)
    data = make_data(**{"need.planned_care_frailty_correlation": _node(0.3, "correlation")})
    data["need"]["planned_care_sigma"] = _node(0.0, "sd of log")
    CareModel.model_validate(data)


def test_every_count_the_score_reads_can_be_banded_and_nothing_else():
    from models.schema import RISK_COUNTS
    from sim.risk import USE_MEASURES

    assert set(USE_MEASURES) == set(RISK_COUNTS)
