"""Rates from need (one elasticity on need as a whole, or separate ones between and within leaves)
and counts drawn from them, plain or in episodes, with contacts that follow electives."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from pydantic import ValidationError

from models.schema import CareModel, EpisodeSize, Number
from models.vocabulary import CONTACT_MEASURES, CONTACTS, DAYS_PER_YEAR
from sim.ledger import Ledger
from sim.routine import draw_year, episode_counts, need_rate
from sim.row_draws import uniform_columns


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


def _year_of_contacts(model: CareModel, electives: np.ndarray, kind: str, seed: int = 3) -> dict[str, np.ndarray]:
    """One year's routine contacts drawn for residents at home all year: electives at the rates
    given, the kind under test at none of its own, every other kind at 0.3 a year."""
    n = electives.size
    ledger = Ledger(n)
    ledger.m["community_days"][:] = DAYS_PER_YEAR
    rates = {name: np.full(n, OTHER_RATE) for name in CONTACTS}
    rates[kind] = np.zeros(n)
    rates["elective"] = electives
    draw_year(ledger, rates, model, np.random.default_rng(seed))
    return ledger.m


OTHER_RATE = 0.3


@pytest.mark.parametrize("kind", ["other_community", "outpatient"])
def test_contacts_follow_each_elective_admission_drawn_that_year(make_variant, kind):
    # outpatient care comes before electives in the kinds' order, so it shows they are drawn first
    n, seed = 200_000, 3
    measure = CONTACT_MEASURES[kind]
    electives = np.where(np.arange(n) < n // 2, 0.0, 0.4)

    def following(per: float) -> CareModel:
        node = {"value": per, "unit": "contacts per elective admission", "source": "test"}
        return make_variant(**{f"routine_contacts.{kind}.per_elective": node})

    plain, after = following(0.0), following(5.0)
    m0, m1 = _year_of_contacts(plain, electives, kind, seed), _year_of_contacts(after, electives, kind, seed)
    # the same electives whatever follows them, and none of the kind without the option
    assert np.array_equal(m0["elective"], m1["elective"])
    assert m0[measure].sum() == 0
    # with it, contacts come to residents with an elective admission, 5 on average for each
    had = m1["elective"] > 0
    assert m1[measure][~had].sum() == 0
    per = m1[measure].sum() / m1["elective"].sum()
    assert per == pytest.approx(5.0, rel=0.02)
    two = m1["elective"] == 2
    assert m1[measure][two].mean() == pytest.approx(10.0, rel=0.05)
    # every other kind draws from its own two columns of the year's uniforms, as without the option
    u = uniform_columns(np.random.default_rng(seed), n, 2 * len(CONTACT_MEASURES))
    for k, (name, other) in enumerate(CONTACT_MEASURES.items()):
        if name in (kind, "elective"):
            continue
        contact = getattr(after.routine_contacts, name)
        mean = OTHER_RATE + (contact.per_elective.value if contact.per_elective else 0.0) * m1["elective"]
        expected = episode_counts(mean, contact.episode_size, u[2 * k], u[2 * k + 1])
        assert np.array_equal(m1[other], expected), name
        assert np.array_equal(m0[other], expected), name


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("elective", "electives cannot follow themselves"),
        ("district_nurse", "not asked of the district_nurse workforce's hours"),
        ("gp", "not asked of the gp workforce's hours"),
    ],
)
def test_contacts_after_electives_are_refused_where_they_cannot_be_counted(make_data, kind, message):
    node = {"value": 1.0, "unit": "contacts", "source": "test"}
    data = make_data(**{f"routine_contacts.{kind}.per_elective": node})
    with pytest.raises(ValidationError, match=message):
        CareModel.model_validate(data)
