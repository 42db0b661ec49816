"""Shortage shows as waits and delays, never silently; ample capacity shows none."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from sim.replication import run_replication

SCALE = 0.02


def _totals(model) -> dict:
    r = run_replication(model, 0, seed=3, years=1, scale=SCALE).results
    people = r[r.stratum != "all"].groupby("measure").value.sum()
    system = r[r.stratum == "all"].groupby("measure").value.mean()
    return {**people.to_dict(), **{f"sys:{k}": v for k, v in system.to_dict().items()}}


# beds, places, home care hours and social workers far beyond any demand: nothing to wait for
AMPLE_TO_DISCHARGE = {
    "hospital.beds": 100_000,
    "care_homes.residential_places": 100_000,
    "care_homes.nursing_places": 100_000,
    "home_care.hours_capacity": [10_000_000, 10_000_000, 10_000_000],
    "reablement.places": [100_000, 100_000, 100_000],
    "workforce.social_worker.fte": [10_000, 10_000, 10_000],
}
# ... and every other service too
AMPLE = {
    **AMPLE_TO_DISCHARGE,
    "workforce.rapid_response_nurse.fte": [10_000, 10_000, 10_000],
    "workforce.district_nurse.fte": [10_000, 10_000, 10_000],
    "access_point.triage_lines": 10_000,
    "emergency_department.majors_cubicles": 100_000,
    "emergency_department.majors_clinician_hours": 100_000_000,
}


@pytest.fixture(scope="module")
def ample(make_variant):
    return _totals(make_variant(**AMPLE))


@pytest.fixture(scope="module")
def scarce_beds(make_variant):
    return _totals(make_variant(**{"hospital.beds": 300}))


@pytest.fixture(scope="module")
def scarce(make_variant):
    return _totals(
        make_variant(
            **{
                "hospital.beds": 100_000,
                "care_homes.residential_places": 50,
                "care_homes.nursing_places": 50,
                "home_care.hours_capacity": [500, 500, 500],
                "reablement.places": [50, 50, 50],
                "workforce.social_worker.fte": [10_000, 10_000, 10_000],
                "workforce.rapid_response_nurse.fte": [1, 1, 1],
                "workforce.district_nurse.fte": [5, 5, 5],
            }
        )
    )


def test_ample_capacity_shows_no_waits(ample):
    for measure in (
        "bed_wait_hours",
        "placement_wait_days",
        "package_wait_days",
        "reablement_wait_days",
        "assessment_wait_days",
    ):
        assert ample[measure] == pytest.approx(0.0, abs=1e-9), measure
    assert ample["rr_within_2h"] == ample["rr_episodes"] > 0
    assert ample["sys:district_nurse_wait_days"] == 0
    assert ample["sys:bed_queue"] == 0


def test_too_few_beds_shows_waits_for_a_bed(ample, scarce_beds):
    assert scarce_beds["bed_wait_hours"] > 0
    assert scarce_beds["sys:bed_queue"] > 0
    # a 2% sample in gridlock: the sampled residents stuck in A&E ask for no new beds, so the rest
    # of the population's requests (drawn at the sample's rate) thin and the jam clears for a spell
    # now and then; beds stay at least 85% full on average (87% in this case: README, Status)
    assert scarce_beds["sys:beds_occupied"] >= 0.85 * scarce_beds["sys:beds_capacity"]
    assert scarce_beds["sys:beds_occupied"] <= scarce_beds["sys:beds_capacity"]


@pytest.fixture(scope="module")
def scarce_social_workers(make_variant):
    return _totals(make_variant(**{"workforce.social_worker.fte": [1, 1, 1]}))


def test_too_few_social_workers_delays_assessment_and_discharge(baseline, scarce_social_workers, make_variant):
    normal = _totals(baseline)
    assert scarce_social_workers["assessment_wait_days"] > 3 * normal["assessment_wait_days"] > 0
    assert scarce_social_workers["excess_bed_days"] > normal["excess_bed_days"]
    busy = scarce_social_workers["sys:social_worker_busy_hours"]
    supply = scarce_social_workers["sys:social_worker_supply_hours"]
    assert busy == pytest.approx(supply, rel=0.1), "a short-staffed pool works flat out"


def test_too_little_community_capacity_shows_waits_and_delays(ample, scarce):
    for measure in ("placement_wait_days", "package_wait_days", "reablement_wait_days"):
        assert scarce[measure] > 0, measure
    assert scarce["excess_bed_days"] > 2 * ample["excess_bed_days"]
    assert scarce["rr_within_2h"] / scarce["rr_episodes"] < ample["rr_within_2h"] / ample["rr_episodes"]
    assert scarce["sys:district_nurse_wait_days"] > 7


def test_with_ample_capacity_each_discharge_waits_no_more_than_its_arrangement(make_variant, baseline):
    """Every medically fit patient's discharge, paired with their own fitness, comes at once (home,
    reablement) or after exactly the assessment's hours and the arrangement days (a package or a
    care home place), with nothing else to wait for."""
    sw = baseline.social_work
    per_delay = sw.assessment_hours.value / 24 + sw.arrangement_days.value
    model = make_variant(**AMPLE_TO_DISCHARGE)
    ev = run_replication(model, 0, seed=3, years=1, scale=SCALE, event_log=True).events
    ev = ev[ev.event.isin(["medically_fit", "discharge"])].sort_values(["person", "time"], kind="stable")
    fit_at: dict[int, float] = {}
    gaps = []
    for person, event, t in zip(ev.person.tolist(), ev.event.tolist(), ev.time.tolist(), strict=True):
        if event == "medically_fit":
            fit_at[person] = t
        elif person in fit_at:
            gaps.append(t - fit_at.pop(person))
    gaps = np.asarray(gaps)
    assert gaps.size > 100 and (gaps > 0).sum() > 10
    waited = gaps[gaps > 1e-9]
    # within a minute and a half: a borough's social workers, rounded to whole servers, take their
    # assessments a few seconds shorter or longer (the pool's time_factor, sim/workforce.py); any wait
    # is far longer
    assert waited == pytest.approx(np.full(waited.size, per_delay), abs=1e-3), sorted(set(np.round(waited, 4)))


@pytest.mark.parametrize(
    ("capacity", "scale", "units"),
    [(0, 1.0, 0), (0.0, 0.01, 0), (1400, 1.0, 1400), (1400, 0.1, 140), (1400, 0.0003, 1), (0.2, 1.0, 1), (2.5, 1.0, 2)],
)
def test_one_rule_scales_every_capacity(capacity, scale, units):
    """None stays none; anything else keeps at least one whole unit at any scale (a small sample
    never loses a service the system has), and otherwise rounds to the nearest unit."""
    from sim.capacity import scaled

    assert scaled(capacity, scale) == units


def test_a_small_sample_keeps_each_borough_s_home_care_market(make_variant):
    """Home-care hours follow the same rule: at a scale where a borough's hours round below half an
    hour, the borough still has a market of one hour, so its discharges wait for a package rather
    than go home without one."""
    from tests.sim.test_settings import tiny

    model = make_variant(**{"home_care.hours_capacity": [100, 100, 300]})
    st = tiny(model, scale=0.003)  # 0.3, 0.3 and 0.9 hours
    assert [m.capacity for m in st.home_care.markets] == [1, 1, 1]
    none = tiny(make_variant(**{"home_care.hours_capacity": [0, 100, 100]}), scale=0.003)
    assert none.home_care.markets[0] is None, "a borough with no hours has no market"


def test_ample_a_and_e_holds_each_patient_for_their_treatment_alone(ample, baseline):
    """With room for all and beds free, time in department is the lognormal treatment time, so
    the share within four hours is its distribution function at four hours."""
    ed = baseline.emergency_department
    sigma = ed.majors_treatment_sigma.value
    mu = math.log(ed.majors_treatment_hours.value) - sigma**2 / 2
    majors = ample["ae_attendances"] - ample["ae_minor"]
    assert ample["ae_within_4h"] / majors == pytest.approx(norm.cdf((math.log(4.0) - mu) / sigma), abs=0.01)
    assert ample["ae_department_hours"] / majors == pytest.approx(ed.majors_treatment_hours.value, rel=0.03)
    assert ample["trolley_wait_hours"] == 0


def test_a_shortage_of_beds_shows_as_trolley_waits_and_four_hour_breaches(ample, scarce_beds):
    assert scarce_beds["trolley_wait_hours"] > 0
    assert scarce_beds["trolley_waits_over_4h"] > 0
    assert scarce_beds["trolley_waits_over_12h"] > 0

    def within(v: dict) -> float:
        return v["ae_within_4h"] / (v["ae_attendances"] - v["ae_minor"])

    assert within(scarce_beds) < within(ample) - 0.05
    assert scarce_beds["cost_other_hospital"] > 0


def test_the_minors_stream_is_played_for_the_whole_population(ample):
    assert ample["sys:ae_minor_attendances_timed"] == pytest.approx(ample["ae_minor"], rel=0.01)
    assert 0.9 < ample["sys:ae_minor_within_4h"] / ample["sys:ae_minor_attendances_timed"] <= 1.0
