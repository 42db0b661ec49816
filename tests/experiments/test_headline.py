"""The table printed after a run: whole-population totals per scenario and year."""

from __future__ import annotations

import warnings

import pandas as pd

from experiments.headline import headline


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
    rows = _results(rr_episodes=40, rr_within=30)
    extra = []
    for rep in (0, 1):
        for year, hospital, home in ((1, 6.0, 2.0), (2, 3.0, 1.0)):
            for borough in ("westminster", "kensington_and_chelsea"):
                extra.append(("baseline", rep, year, borough, "all", "all", "deaths_hospital", hospital))
                extra.append(("baseline", rep, year, borough, "all", "all", "deaths_home", home))
    frame = pd.concat([rows, pd.DataFrame(extra, columns=rows.columns)], ignore_index=True)
    lines = headline(frame).splitlines()
    assert next(line for line in lines if "died in hospital" in line).split()[-2:] == ["75.0%", "75.0%"]
    assert next(line for line in lines if "died at home" in line).split()[-2:] == ["25.0%", "25.0%"]
    # the first place printed is the commonest
    assert lines.index(next(line for line in lines if "died in hospital" in line)) < lines.index(
        next(line for line in lines if "died at home" in line)
    )
    assert all("died" not in line for line in headline(rows).splitlines())
