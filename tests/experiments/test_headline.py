"""The table printed after a run: whole-population totals per scenario and year."""

from __future__ import annotations

import warnings

import pandas as pd

from experiments.headline import headline
from experiments.summary import PLACE_LABELS
from sim.system import DEATH_PLACES


def _results(rr_episodes: float, rr_within: float) -> pd.DataFrame:
    rows = []
    for year in (1, 2):
        for measure, value in (
            ("nel_admissions", 100.0 * year),
            ("cost_total", 2e6),
            ("rr_episodes", rr_episodes),
            ("rr_within_2h", rr_within),
        ):
            for stratum in ("very_high", "low"):
                rows.append(("baseline", 0, year, "westminster", stratum, "all", measure, value / 2))
    return pd.DataFrame(
        rows, columns=["scenario", "replication", "year", "borough", "stratum", "intervention", "measure", "value"]
    )


def test_headline_sums_strata_and_gives_the_two_hour_rate():
    lines = headline(_results(rr_episodes=40, rr_within=30)).splitlines()
    assert lines[0] == "baseline (mean of replications)"
    admissions = next(line for line in lines if "emergency admissions" in line).split()
    assert admissions[-2:] == ["100", "200"]
    assert next(line for line in lines if "rapid response in 2 h" in line).split()[-2:] == ["75.0%", "75.0%"]


def test_a_run_with_no_rapid_response_says_so_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        text = headline(_results(rr_episodes=0, rr_within=0))
    line = next(line for line in text.splitlines() if "rapid response in 2 h" in line)
    assert line.count("no episodes") == 2


def test_places_of_death_are_shares_of_each_year_s_deaths_over_boroughs_and_replications():
    """Summed over boroughs and replications before the share is taken: a reading of one borough,
    one replication or a mean of shares would give other figures. Credited rows of an
    intervention are not places; a year with no deaths says so in its own column."""
    rows = _results(rr_episodes=40, rr_within=30)
    cols = rows.columns
    extra = []
    # hospital, home by (replication, borough) in year 1: totals 10 + 2 + 4 + 4 = 20, 0 + 6 + 2 + 12 = 20
    year_1 = {
        (0, "westminster"): (10.0, 0.0),
        (0, "kensington_and_chelsea"): (2.0, 6.0),
        (1, "westminster"): (4.0, 2.0),
        (1, "kensington_and_chelsea"): (4.0, 12.0),
    }
    for (rep, borough), (hospital, home) in year_1.items():
        extra.append(("baseline", rep, 1, borough, "all", "all", "deaths_hospital", hospital))
        extra.append(("baseline", rep, 1, borough, "all", "all", "deaths_home", home))
        extra.append(("baseline", rep, 1, borough, "all", "all", "deaths_care_home", 0.0))
        extra.append(("baseline", rep, 2, borough, "all", "all", "deaths_hospital", 0.0))
        extra.append(("baseline", rep, 2, borough, "all", "all", "deaths_home", 0.0))
        extra.append(("baseline", rep, 1, borough, "all", "eol", "deaths_home", 99.0))
    frame = pd.concat([rows, pd.DataFrame(extra, columns=cols)], ignore_index=True)
    lines = headline(frame).splitlines()
    hospital = next(line for line in lines if "died in hospital" in line)
    home = next(line for line in lines if "died at home" in line)
    assert hospital.split()[-2:] == ["50.0%", "none"]
    assert home.split()[-2:] == ["50.0%", "none"]
    assert lines.index(hospital) < lines.index(home)  # the fixed order, not by size
    assert not any("care home" in line for line in lines), "a place where nobody died is left out"
    assert all("died" not in line for line in headline(rows).splitlines())


def test_every_place_of_death_has_a_label():
    assert set(PLACE_LABELS) == set(DEATH_PLACES)
