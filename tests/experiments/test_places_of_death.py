"""Each place's share of deaths per scenario, with its interval over replications and the paired
difference from the comparator, and the report's table of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.interval import half_width
from experiments.report import places_of_death_html
from experiments.summary import places_of_death, replication_table

# deaths in hospital and at home per (scenario, replication): split unevenly over boroughs and
# years below, so that reading one borough or one year gives other shares than the whole run's
COUNTS = {
    "baseline": {0: (6.0, 4.0), 1: (7.0, 3.0), 2: (5.0, 5.0)},
    "wsic": {0: (5.0, 5.0), 1: (6.0, 4.0), 2: (5.0, 5.0)},
}
# (year, borough): its share of a replication's hospital and of its home deaths
SPLIT = {
    (1, "westminster"): (0.5, 0.1),
    (1, "kensington_chelsea"): (0.2, 0.3),
    (2, "westminster"): (0.1, 0.4),
    (2, "kensington_chelsea"): (0.2, 0.2),
}


def _results(counts: dict = COUNTS, places: tuple[str, ...] = ("hospital", "home", "care_home")) -> pd.DataFrame:
    rows = []
    for scenario, reps in counts.items():
        for rep, (hospital, home) in reps.items():
            for (year, borough), (h_share, o_share) in SPLIT.items():
                value = {"hospital": hospital * h_share, "home": home * o_share, "care_home": 0.0}
                for place in places:
                    rows.append((scenario, rep, year, borough, "all", "all", f"deaths_{place}", value[place]))
                # a person-level row and a credited one, neither of them a place
                rows.append((scenario, rep, year, borough, "high", "all", "deaths", hospital + home))
                rows.append((scenario, rep, year, borough, "high", "eol", "deaths_at_home_supported", 1.0))
    cols = ["scenario", "replication", "year", "borough", "stratum", "intervention", "measure", "value"]
    return pd.DataFrame(rows, columns=cols)


def test_shares_are_each_replication_s_share_over_all_years_and_boroughs_with_a_paired_difference():
    got = places_of_death(replication_table(_results()), "baseline").set_index(["scenario", "place"])
    base = np.array([0.6, 0.7, 0.5])  # each replication's hospital share over the whole run
    wsic = np.array([0.5, 0.6, 0.5])
    row = got.loc[("baseline", "hospital")]
    assert row["mean"] == pytest.approx(base.mean())
    assert row["ci_high"] - row["mean"] == pytest.approx(half_width(base.std(ddof=1), 3))
    assert got.loc[("baseline", "home"), "mean"] == pytest.approx(1 - base.mean())
    assert got.loc[("baseline", "care_home"), "mean"] == 0.0
    diff = wsic - base
    row = got.loc[("wsic", "hospital")]
    assert row["diff_mean"] == pytest.approx(diff.mean())
    assert row["diff_ci_high"] - row["diff_mean"] == pytest.approx(half_width(diff.std(ddof=1), 3))
    assert np.isnan(got.loc[("baseline", "hospital")].get("diff_mean", np.nan))
    assert set(got.index.get_level_values("place")) == {"hospital", "home", "care_home"}


def test_one_replication_gives_its_share_and_no_interval():
    got = places_of_death(replication_table(_results({"baseline": {0: (6.0, 4.0)}})), "baseline")
    row = got.set_index("place").loc["hospital"]
    assert row["n"] == 1 and row["mean"] == pytest.approx(0.6) and np.isnan(row["ci_low"])


def test_a_place_with_no_rows_in_an_older_run_counts_as_none_died_there():
    """Runs from before every place had a row each year recorded only places where someone died."""
    r = _results()
    older = r[~((r.measure == "deaths_home") & (r.scenario == "wsic") & (r.replication == 1))]
    got = places_of_death(replication_table(older), "baseline").set_index(["scenario", "place"])
    row = got.loc[("wsic", "home")]
    assert row["n"] == 3 and row["mean"] == pytest.approx((0.5 + 0.0 + 0.5) / 3)
    assert got.loc[("wsic", "hospital"), "mean"] == pytest.approx((0.5 + 1.0 + 0.5) / 3)


def test_results_without_places_give_no_table_and_the_report_says_so():
    r = _results()
    empty = places_of_death(replication_table(r[~r.measure.str.startswith("deaths_")]), "baseline")
    assert empty.empty
    assert "Not in these results" in places_of_death_html(empty, ["baseline", "wsic"])


def test_the_report_shows_each_place_with_deaths_and_the_difference_in_points():
    places = places_of_death(replication_table(_results()), "baseline")
    page = places_of_death_html(places, ["baseline", "wsic"])
    assert "died in hospital" in page and "died at home" in page
    assert "care home" not in page, "a place where nobody died in any scenario is left out"
    assert "60.0%" in page and "53.3%" in page  # the two scenarios' hospital shares
    assert "-6.7 points" in page and "+6.7 points" in page  # wsic against baseline, hospital and home
