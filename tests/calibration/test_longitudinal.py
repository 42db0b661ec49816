"""The longitudinal measures read two years of a person log as their papers define them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration import longitudinal


def _log(rows: list[tuple]) -> pd.DataFrame:
    cols = ["person", "year", "age", "nel_admissions", "cost_nel", "cost_other_hospital", "cost_ooh", "cost_sc"]
    return pd.DataFrame(rows, columns=cols)


def test_the_age_gradient_is_a_ratio_to_the_under_65s_and_the_stocks_a_ratio_of_years():
    log = _log(
        [(0, 1, 40, 1, 0, 0, 0, 0), (1, 1, 50, 0, 0, 0, 0, 0), (2, 1, 70, 2, 0, 0, 0, 0), (3, 1, 90, 4, 0, 0, 0, 0)]
    )
    log = pd.concat([log, log.assign(year=2)], ignore_index=True)
    log["sc_hours"] = [10.0, 0, 0, 0, 12.0, 0, 0, 0]
    log["care_home_days"] = [0, 0, 0, 365.0, 0, 0, 0, 300.0]
    got = longitudinal.measures_one(log)
    assert got["admissions_ratio_65_plus"] == pytest.approx(3 / 0.5)
    assert got["admissions_ratio_85_plus"] == pytest.approx(4 / 0.5)
    assert got["home_care_growth"] == pytest.approx(1.2)
    assert got["care_home_growth"] == pytest.approx(300 / 365)


def test_home_care_growth_is_read_within_age_the_group_furthest_from_one():
    # the under-65s' hours fall a fifth and the 65+'s rise as much: level over all ages, not within age
    log = _log(
        [(0, 1, 40, 0, 0, 0, 0, 0), (1, 1, 50, 0, 0, 0, 0, 0), (2, 1, 70, 0, 0, 0, 0, 0), (3, 1, 90, 0, 0, 0, 0, 0)]
    )
    log = pd.concat([log, log.assign(year=2)], ignore_index=True)
    log["sc_hours"] = [100.0, 0, 100.0, 0, 80.0, 0, 120.0, 0]
    got = longitudinal.measures_one(log)
    assert got["home_care_growth"] == pytest.approx(0.8)
    log["sc_hours"] = [100.0, 0, 100.0, 0, 95.0, 0, 130.0, 0]
    assert longitudinal.measures_one(log)["home_care_growth"] == pytest.approx(1.3)


def test_a_within_age_row_is_chosen_from_its_groups_means_over_replications():
    # one replication's under-65s fall, another's 65+ rise: chosen in each and averaged, the row
    # would read about one; from the groups' means it reads the larger drift of the two groups
    first = {"home_care_growth:under_65": 0.93, "home_care_growth:65_plus": 1.01, "home_care_growth": 0.93}
    second = {"home_care_growth:under_65": 0.99, "home_care_growth:65_plus": 1.08, "home_care_growth": 1.08}
    means = {k: (first[k] + second[k]) / 2 for k in first}
    assert means["home_care_growth"] == pytest.approx(1.005)
    assert longitudinal.within_age(means)["home_care_growth"] == pytest.approx(1.045)
    # a row without its groups is left as it is
    assert longitudinal.within_age({"care_home_growth": 1.02}) == {"care_home_growth": 1.02}


def test_roland_shares_follow_the_heavy_users_of_year_one_into_year_two():
    # persons 0-1 had two admissions in year 1 (heavy), 2-3 had one; person 1 died before year 2
    log = _log(
        [
            (0, 1, 70, 2, 0, 0, 0, 0),
            (1, 1, 80, 3, 0, 0, 0, 0),
            (2, 1, 66, 1, 0, 0, 0, 0),
            (3, 1, 90, 1, 0, 0, 0, 0),
            (4, 1, 40, 5, 0, 0, 0, 0),  # under 65: not in the cohort or the denominators
            (0, 2, 71, 1, 0, 0, 0, 0),
            (2, 2, 67, 2, 0, 0, 0, 0),
            (3, 2, 91, 1, 0, 0, 0, 0),
            (4, 2, 41, 4, 0, 0, 0, 0),
        ]
    )
    got = longitudinal.measures_one(log)
    assert got["roland_index_share"] == pytest.approx(5 / 7)
    assert got["roland_next_share"] == pytest.approx(1 / 4), "the dead count as no admissions"
    assert got["admissions_ratio_65_plus"] == pytest.approx((7 / 4) / 5.0)
    assert got["admissions_ratio_85_plus"] == pytest.approx(1.0 / 5.0)


def test_persistence_is_the_share_of_the_top_five_per_cent_still_there_next_year():
    n = 200
    rng = np.random.default_rng(1)
    cost1 = rng.permutation(n).astype(float)
    cost2 = cost1.copy()
    top = np.argsort(-cost1)[:10]
    cost2[top[:4]] = -1.0  # four of the top ten fall to the bottom; social care does not count
    rows = [(i, 1, 50, 0, cost1[i], 0, 0, 1e6 * (i == 0)) for i in range(n)]
    rows += [(i, 2, 51, 0, 0, cost2[i], 0, 0) for i in range(n)]
    assert longitudinal.measures_one(_log(rows))["wammes_persistence"] == pytest.approx(0.6)


def test_the_targets_carry_their_bands_and_sources():
    table = pd.read_csv(longitudinal.DATA / "longitudinal.csv")
    assert table.source.str.len().min() > 20 and table.year.notna().all()
    assert set(table.use) <= {"fitted", "checked"}
    for t in longitudinal.load_targets():
        row = table.set_index("measure").loc[t.name]
        assert t.value - t.tolerance == pytest.approx(row.low) and t.value + t.tolerance == pytest.approx(row.high)
        assert (t.group == longitudinal.FITTED_GROUP) == (row.use == "fitted")
    fitted = {t.name for t in longitudinal.load_targets("fitted")}
    checked = {t.name for t in longitudinal.load_targets("checked")}
    assert fitted and checked and not fitted & checked
    assert fitted | checked == set(table.measure)


def test_five_years_on_follows_the_same_cohort():
    # person 0 had two admissions in year 1 (heavy); in year 6 they have one of the 65+'s four
    rows = [(0, 1, 70, 2, 0, 0, 0, 0), (1, 1, 70, 1, 0, 0, 0, 0), (0, 2, 71, 0, 0, 0, 0, 0), (1, 2, 71, 1, 0, 0, 0, 0)]
    rows += [(0, 6, 75, 1, 0, 0, 0, 0), (1, 6, 75, 3, 0, 0, 0, 0), (2, 6, 40, 9, 0, 0, 0, 0)]
    got = longitudinal.measures_one(_log(rows))
    assert got["roland_five_share"] == pytest.approx(1 / 4)
    assert "roland_five_share" not in longitudinal.measures_one(_log(rows[:4])), "only with a sixth year"


def test_drift_compares_year_five_with_year_one_per_head_within_age():
    cols = ["person", "year", "age", "nel_admissions", "sc_hours", "care_home_days", "bed_days", "excess_bed_days"]
    one = [(0, 1, 70, 2, 100, 0, 10, 1), (1, 1, 40, 0, 0, 365, 0, 0)]
    five = [(0, 5, 74, 1, 120, 0, 10, 2), (1, 5, 44, 0, 0, 300, 0, 0), (2, 5, 80, 3, 0, 0, 0, 0)]
    got = longitudinal.stationarity(pd.DataFrame(one + five, columns=cols))
    assert got["drift_admissions_65_plus"] == pytest.approx(((1 + 3) / 2) / 2)
    # the 65+ alone had home care in year 1 (the under-65s' ratio is undefined and left out)
    assert got["drift_home_care"] == pytest.approx((120 / 2) / (100 / 1)), "per head of the 65+ alive at the year start"
    assert got["drift_care_home_days"] == pytest.approx(300 / 365), "per head of the under-65s"
    assert got["drift_delayed_points"] == pytest.approx(100 * (2 / 10 - 1 / 10))
    assert longitudinal.stationarity(pd.DataFrame(one, columns=cols)) == {}


def test_opposite_drifts_of_two_age_groups_do_not_cancel():
    # home care falls a fifth among the 65+ and rises by half among the young: over all ages the
    # hours per head are unchanged, within age the larger drift (the young's) is reported
    cols = ["person", "year", "age", "nel_admissions", "sc_hours", "care_home_days", "bed_days", "excess_bed_days"]
    one = [(0, 1, 70, 1, 100, 0, 0, 0), (1, 1, 40, 0, 40, 0, 0, 0)]
    five = [(0, 5, 74, 1, 80, 0, 0, 0), (1, 5, 44, 0, 60, 0, 0, 0)]
    got = longitudinal.stationarity(pd.DataFrame(one + five, columns=cols))
    assert got["drift_home_care"] == pytest.approx(1.5)
    # furthest in log terms: a fall to 0.6 (log 0.51) beats a rise to 1.5 (log 0.41), though a
    # linear distance would pick the rise (0.5 against 0.4)
    five = [(0, 5, 74, 1, 60, 0, 0, 0), (1, 5, 44, 0, 60, 0, 0, 0)]
    assert longitudinal.stationarity(pd.DataFrame(one + five, columns=cols))["drift_home_care"] == pytest.approx(0.6)
    # a group whose use stops altogether is the furthest of all
    five = [(0, 5, 74, 1, 0, 0, 0, 0), (1, 5, 44, 0, 60, 0, 0, 0)]
    assert longitudinal.stationarity(pd.DataFrame(one + five, columns=cols))["drift_home_care"] == 0.0


def test_the_late_measures_are_exactly_those_a_two_year_log_cannot_give():
    """longitudinal.LATE decides a fit's horizon, so it must name every measure of year 5 or 6."""
    rows = [(p, y, 70 + y, 2 if p % 2 else 1, 10.0 * p, 0, 0, 0) for p in range(40) for y in range(1, 7)]
    log = _log(rows).assign(sc_hours=1.0, care_home_days=1.0, bed_days=10.0, excess_bed_days=1.0)

    def names(years: int) -> set[str]:
        part = log[log.year <= years]
        return set(longitudinal.every_measure(part))

    late = names(6) - names(2)
    # an age group's part of a within-age row (NAME:GROUP) is late with its row
    assert {n for n in late if ":" not in n} == set(longitudinal.LATE)
    assert {n.split(":")[0] for n in late if ":" in n} <= set(longitudinal.LATE)


def test_a_group_no_replication_defines_is_undefined_without_a_warning(recwarn):
    """Nobody under 65 in a care home: their ratio is undefined in every replication, the row is
    read from the 65+, and the mean over replications warns of nothing."""
    frames = []
    for days in (300, 330):
        log = _log(
            [(0, y, 70 + y, 1, 0, 0, 0, 0) for y in (1, 2, 5)] + [(1, y, 40 + y, 1, 0, 0, 0, 0) for y in (1, 2, 5)]
        )
        log["sc_hours"] = 0.0
        log["care_home_days"] = [365.0, 365.0, days, 0, 0, 0]
        log["bed_days"] = log["excess_bed_days"] = 0.0
        frames.append(log)
    got = longitudinal.measures(frames)
    assert np.isnan(got["drift_care_home_days:under_65"])
    assert got["drift_care_home_days"] == pytest.approx(315 / 365)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
