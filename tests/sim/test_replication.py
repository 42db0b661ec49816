"""Invariants of one replication: nobody lost, capacity respected, bed days and costs add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.vocabulary import COST_COLUMNS
from models.vocabulary import DAYS_PER_YEAR as YEAR_DAYS
from sim.ledger import COST_ITEMS, REPORTED, costs
from sim.population import (
    CARE_HOME,
    DEAD,
    HOSPITAL,
    NOT_ARRIVED,
    NURSING,
    REABLEMENT,
    RESIDENTIAL,
    VIRTUAL_WARD,
)
from sim.replication import Replication
from sim.system import DEATH_PLACES

SCALE = 0.03
YEARS = 2


def _probe(snapshots: list[dict]):
    def probe(st) -> None:
        s = st.system
        pop = s.pop
        setting = pop.setting
        beds = st.hospital.beds
        snap = {
            "n": pop.size,
            "counted": int(np.bincount(setting, minlength=8).sum()),
            "alive_plus_dead": int(pop.alive.sum() + (setting == DEAD).sum() + (setting == NOT_ARRIVED).sum()),
            "in_hospital": int((setting == HOSPITAL).sum()),
            "beds_used": beds.count,
            "beds_in_use": beds.in_use(),  # the sample's and the rest of the population's
            "bed_queue": len(beds.queue),
            "beds_capacity": beds.capacity,
            "in_virtual_ward": int((setting == VIRTUAL_WARD).sum()),
            "vw_used": sum(w.count for w in st.virtual_ward.units if w is not None),
            "vw_capacity": sum(w.capacity for w in st.virtual_ward.units if w is not None),
            "dead_holding": int(((setting == DEAD) & ((pop.placement > 0) | (pop.package_hours > 0))).sum()),
            "in_care_home_without_place": int(((setting == CARE_HOME) & (pop.placement == 0)).sum()),
            "reablement_mismatch": set(np.flatnonzero(setting == REABLEMENT).tolist()) ^ set(st.reablement.current),
            "reablement_places_used": sum(t.count for t in st.reablement.teams if t is not None),
            "reablement_episodes_running": len(st.reablement.current),
        }
        for kind in (RESIDENTIAL, NURSING):
            home = st.care_homes.homes[kind]
            snap[f"placed_{kind}"] = int((pop.placement == kind).sum())
            snap[f"home_used_{kind}"] = home.count
            snap[f"home_capacity_{kind}"] = home.capacity
        snap["markets"] = [
            (m.capacity, m.level, int(pop.package_hours[pop.borough == b].sum()))
            for b, m in enumerate(st.home_care.markets)
        ]
        for name in ("rapid_response", "social_work"):
            for pool in getattr(st, name).pools:
                assert pool.resource.count <= pool.capacity
        snapshots.append(snap)

    return probe


@pytest.fixture(scope="module")
def run(baseline):
    rep = Replication(baseline, replication=0, seed=11, years=YEARS, scale=SCALE, event_log=True, person_log=True)
    snapshots: list[dict] = []
    rep.period_probes.append(_probe(snapshots))
    result = rep.run()
    return rep, result, snapshots


def test_nobody_is_lost(run):
    rep, _, snaps = run
    assert len(snaps) == (rep.warmup + YEARS) * rep.ppy
    for s in snaps:
        assert s["counted"] == s["n"], "every resident is in exactly one setting"
        assert s["alive_plus_dead"] == s["n"]
        assert s["in_hospital"] == s["beds_used"] + s["bed_queue"], "everyone in hospital has a bed or waits for one"
        assert s["dead_holding"] == 0, "the dead hold no care home place and no package"
        assert s["in_care_home_without_place"] == 0
        assert not s["reablement_mismatch"], "in reablement exactly while an episode holds a place"
        assert s["reablement_places_used"] == s["reablement_episodes_running"], "each episode holds one place"


def test_occupancy_never_exceeds_capacity(run):
    _, _, snaps = run
    for s in snaps:
        assert s["beds_used"] <= s["beds_in_use"] <= s["beds_capacity"]
        assert s["in_virtual_ward"] <= s["vw_used"] <= s["vw_capacity"]
        for kind in (RESIDENTIAL, NURSING):
            assert s[f"placed_{kind}"] == s[f"home_used_{kind}"] <= s[f"home_capacity_{kind}"]
        for capacity, level, held in s["markets"]:
            assert 0 <= level <= capacity
            assert held <= capacity - level, "hours in packages never exceed the hours taken from the market"


def test_newcomers_are_the_births_and_moves_in_each_a_new_person(run):
    rep, result, _ = run
    assert result.stats["arrivals"] > 0
    assert result.stats["arrivals_short"] == 0
    ev = result.events
    system = result.results[(result.results.stratum == "all") & (result.results.borough == "all")]
    came = system[system.measure.isin(["births", "moves_in"])].value.sum() * rep.scale
    arrivals = ev[ev.event == "arrival"]
    assert len(arrivals) == pytest.approx(came, abs=1e-6), "every newcomer arrives once, at a year start"
    years = arrivals.time / YEAR_DAYS
    assert np.allclose(years, np.round(years), atol=1e-9), "at year starts"
    assert arrivals.person.is_unique and (arrivals.person >= rep.initial_residents).all(), "a new person number each"
    gone = ev[ev.event.isin(["death", "move_out"])]
    assert len(gone) > 0 and gone.person.is_unique, "a person leaves once"


def test_beds_were_under_pressure_at_some_point(run):
    _, _, snaps = run
    assert max(s["beds_in_use"] for s in snaps) > 0.5 * snaps[0]["beds_capacity"]


def _reported_window(rep):
    return 0.0, YEARS * YEAR_DAYS  # event times are measured from the start of year 1


def test_bed_days_equal_the_sum_of_stays(run):
    rep, result, _ = run
    ev = result.events
    lo, hi = _reported_window(rep)
    starts = ev[ev.event == "admission"][["person", "time"]]
    gone = ev.event.isin(["death", "move_out"]) & (ev.setting == "hospital")
    ends = ev[(ev.event == "discharge") | gone][["person", "time"]]
    total = 0.0
    ends_by_person = {p: sorted(g.tolist()) for p, g in ends.groupby("person")["time"]}
    for person, group in starts.groupby("person")["time"]:
        stops = ends_by_person.get(person, [])
        for t0 in sorted(group.tolist()):
            t1 = next((t for t in stops if t >= t0), np.inf)
            total += max(0.0, min(t1, hi) - max(t0, lo))
    simulated = result.results.query("measure == 'bed_days'").value.sum() * rep.scale
    assert total > 0
    assert simulated == pytest.approx(total, rel=1e-9)


def test_deaths_match_the_event_log(run):
    rep, result, _ = run
    ev = result.events
    lo, hi = _reported_window(rep)
    logged = ((ev.event == "death") & (ev.time >= lo) & (ev.time < hi)).sum()
    reported = result.results.query("measure == 'deaths'").value.sum() * rep.scale
    assert logged > 0
    assert reported == pytest.approx(logged)


# the tri-borough table's cost columns and what each is made of, written out here rather than read
# from the ledger's own list (sim/ledger.COST_ITEMS), so that a measure priced or filed wrongly there
# does not move both sides
COLUMN_ITEMS = {
    "cost_nel": (("nel_admissions", "nel_admission"), ("tariff_excess_days", "excess_bed_day")),
    "cost_other_hospital": (
        ("ae_attendances", "ae_attendance"),
        ("trolley_wait_hours", "ae_trolley_hour"),
        ("outpatient", "outpatient"),
        ("elective", "elective"),
    ),
    "cost_ooh": (
        ("gp_contacts", "gp_contact"),
        ("practice_nurse_contacts", "practice_nurse_contact"),
        ("district_nurse_contacts", "district_nurse_contact"),
        ("other_community_contacts", "other_community_contact"),
        ("access_point_calls", "access_point_call"),
        ("rr_episodes", "rr_episode"),
        ("vw_days", "vw_day"),
        ("ic_days", "intermediate_care_day"),
    ),
    "cost_sc": (
        ("sc_hours", "sc_hour"),
        ("other_sc_units", "other_social_care_unit"),
        ("care_home_days_residential", "residential_day"),
        ("care_home_days_nursing", "nursing_day"),
        ("reablement_episodes", "reablement_episode"),
        ("sw_assessments", "sw_assessment"),
    ),
}


def test_every_cost_item_is_priced_and_filed_as_the_table_files_it(baseline):
    """Each measure alone, with its own count (every one, including those business as usual never
    has, such as intermediate care days): its column's cost is count x its unit cost, nothing
    else moves, and the NHS pays for hospital and out-of-hospital care, the councils for social care."""
    assert set(COLUMN_ITEMS) == set(COST_COLUMNS)
    listed = [m for pairs in COLUMN_ITEMS.values() for m, _ in pairs]
    assert sorted(listed) == sorted(m for m, _, _ in COST_ITEMS), "the ledger prices exactly these"
    uc = baseline.unit_costs
    for column, pairs in COLUMN_ITEMS.items():
        for k, (measure, key) in enumerate(pairs):
            counts = {m: np.zeros(1) for m in listed}
            counts[measure] = np.array([3.0 + k])
            got = costs(counts, baseline)
            price = (3.0 + k) * getattr(uc, key).value
            assert price > 0, measure
            for c in COST_COLUMNS:
                assert got[c][0] == pytest.approx(price if c == column else 0.0), (measure, c)
            payer = "cost_council" if column == "cost_sc" else "cost_nhs"
            assert got[payer][0] == pytest.approx(price), measure
            assert got["cost_total"][0] == pytest.approx(price), measure


def test_each_cost_is_activity_times_unit_cost(run, baseline):
    _, result, _ = run
    r = result.results
    people = r[r.stratum != "all"]
    totals = people.groupby("measure").value.sum()
    uc = baseline.unit_costs
    expected = {
        column: sum(totals[measure] * getattr(uc, key).value for measure, key in pairs)
        for column, pairs in COLUMN_ITEMS.items()
    }
    for column, value in expected.items():
        assert totals[column] == pytest.approx(value, rel=1e-9), column
    # the NHS pays for hospital and out-of-hospital care, the councils for social care
    nhs = totals["cost_nel"] + totals["cost_other_hospital"] + totals["cost_ooh"]
    assert totals["cost_nhs"] == pytest.approx(nhs, rel=1e-12)
    assert totals["cost_council"] == pytest.approx(totals["cost_sc"], rel=1e-12)
    care_home = (
        totals["care_home_days_residential"] * baseline.unit_costs.residential_day.value
        + totals["care_home_days_nursing"] * baseline.unit_costs.nursing_day.value
    )
    assert totals["cost_care_home"] == pytest.approx(care_home, rel=1e-9)
    assert totals["cost_care_home"] < totals["cost_sc"], "care home spend is part of social care"
    assert totals["cost_total"] == pytest.approx(sum(totals[c] for c in COST_COLUMNS), rel=1e-12)
    assert totals["cost_nhs"] + totals["cost_council"] == pytest.approx(totals["cost_total"], rel=1e-12)


def test_every_measure_is_produced_and_active(run):
    _, result, _ = run
    r = result.results
    assert list(r.columns) == [
        "scenario",
        "replication",
        "year",
        "borough",
        "stratum",
        "intervention",
        "measure",
        "value",
        "scale",
    ]
    assert sorted(r.year.unique()) == list(range(1, YEARS + 1))
    people = r[r.stratum != "all"]
    assert set(people.stratum) == {"very_high", "high", "moderate", "low", "very_low"}
    assert set(people.borough) == {"hammersmith_fulham", "kensington_chelsea", "westminster"}
    required = [
        "person_years",
        "ae_attendances",
        "nel_admissions",
        "bed_days",
        "excess_bed_days",
        "rr_episodes",
        "rr_within_2h",
        "vw_admissions",
        "vw_days",
        "reablement_episodes",
        "care_home_admissions",
        "care_home_days",
        "deaths",
        "ooh_contacts",
        "other_hospital_contacts",
        "sc_hours",
        "cost_nel",
        "cost_other_hospital",
        "cost_ooh",
        "cost_sc",
        "cost_care_home",
        "cost_total",
    ]
    totals = people.groupby("measure").value.sum()
    for m in required:
        assert totals[m] > 0, f"{m} should show activity"
    assert set(REPORTED) <= set(totals.index)


def test_values_are_scaled_to_the_full_population(run, baseline):
    _, result, _ = run
    py = result.results.query("measure == 'person_years' and year == 1").value.sum()
    assert py == pytest.approx(baseline.population.total.value, rel=0.02)


def test_strata_hold_their_shares_and_concentrate_use(run, baseline):
    _, result, _ = run
    r = result.results.query("year == 1 and stratum != 'all'")
    by = r.groupby(["stratum", "measure"]).value.sum().unstack("measure")
    share = by["residents"] / by["residents"].sum()
    expected = dict(
        zip(
            ("very_high", "high", "moderate", "low", "very_low"),
            baseline.risk.strata_share.value,
            strict=True,
        )
    )
    for k, v in expected.items():
        assert share[k] == pytest.approx(v, rel=0.01)
    per_head = by["cost_total"] / by["person_years"]
    assert per_head["very_high"] > per_head["high"] > per_head["moderate"] > per_head["low"] > per_head["very_low"]


def test_year_boundaries_split_stays(run):
    """A stay that crosses a year end is split between the years, so nobody has more than 365 bed
    days in a year, and each year holds at least the part of the stay that fell in it."""
    rep, result, _ = run
    persons = result.persons
    assert (persons.bed_days <= YEAR_DAYS + 1e-6).all()
    assert (persons.bed_days + persons.care_home_days <= YEAR_DAYS + 1e-6).all()
    ev = result.events
    assert (ev.time >= -rep.warmup * YEAR_DAYS).all()
    assert (ev.time <= YEARS * YEAR_DAYS).all()
    assert isinstance(ev.event.dtype, pd.CategoricalDtype)
    admitted = ev[ev.event == "admission"].groupby("person").time.apply(list)
    left = ev[(ev.event == "discharge") | ((ev.event == "death") & (ev.setting == "hospital"))]
    left = left.groupby("person").time.apply(sorted)
    bed = persons.set_index(["person", "year"]).bed_days
    crossing = 0
    for person, starts in admitted.items():
        for t0 in starts:
            t1 = next((t for t in left.get(person, []) if t >= t0), None)
            if t1 is None or not (0 <= t0 < YEAR_DAYS < t1 <= 2 * YEAR_DAYS):
                continue
            crossing += 1
            assert bed[(person, 1)] >= YEAR_DAYS - t0 - 1e-3
            assert bed[(person, 2)] >= t1 - YEAR_DAYS - 1e-3
    assert crossing > 0, "some stays cross the end of year 1"


def test_every_death_is_counted_once_by_place_and_borough(run):
    """The place-of-death rows (whole system, deaths_<place> by borough, every place every year)
    add up to each borough's deaths in each year, and each place's to the deaths the event log
    shows there."""
    rep, result, _ = run
    r = result.results
    deaths = r[(r.stratum != "all") & (r.measure == "deaths")].groupby(["year", "borough"]).value.sum()
    places = r[(r.stratum == "all") & r.measure.str.startswith("deaths_")]
    assert deaths.groupby("year").sum().min() > 0
    assert set(places.measure) == {f"deaths_{p}" for p in DEATH_PLACES}
    assert (places.groupby(["year", "borough"]).size() == len(DEATH_PLACES)).all()
    pd.testing.assert_series_equal(
        places.groupby(["year", "borough"]).value.sum(), deaths, check_names=False, rtol=1e-12
    )
    ev = result.events
    logged = ev[(ev.event == "death") & (ev.time >= 0)].groupby("setting", observed=True).size()
    counted = places.groupby("measure").value.sum()
    for place in DEATH_PLACES:
        assert counted[f"deaths_{place}"] == pytest.approx(logged.get(place, 0) * rep.sys.inv_scale, rel=1e-9)
