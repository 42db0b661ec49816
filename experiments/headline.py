"""A short table printed after a run: the measures a board looks at first, per scenario and year."""

from __future__ import annotations

import pandas as pd

from experiments.summary import PLACE_LABELS

HEADLINE = (
    ("nel_admissions", "emergency admissions", 1),
    ("bed_days", "bed days", 1),
    ("excess_bed_days", "excess bed days", 1),
    ("ae_attendances", "A&E attendances", 1),
    ("care_home_admissions", "care home admissions", 1),
    ("deaths", "deaths", 1),
    ("cost_total", "total cost, GBP m", 1e6),
)
W = 26  # the labels' column


def headline(results: pd.DataFrame) -> str:
    """Mean over replications of whole-population totals, by scenario and year."""
    people = results[results.stratum != "all"]
    per_rep = people.groupby(["scenario", "replication", "year", "measure"]).value.sum()
    mean = per_rep.groupby(["scenario", "year", "measure"]).mean().unstack("measure")
    lines = []
    for scenario, table in mean.groupby(level="scenario"):
        lines.append(f"{scenario} (mean of replications)")
        years = table.index.get_level_values("year")
        lines.append(f"  {'':{W}}" + "".join(f"{'year ' + str(y):>12}" for y in years))
        for measure, label, div in HEADLINE:
            if measure in table:
                vals = table[measure].to_numpy() / div
                fmt = "{:>12,.1f}" if div > 1 else "{:>12,.0f}"
                lines.append(f"  {label:{W}}" + "".join(fmt.format(v) for v in vals))
        episodes = table["rr_episodes"].to_numpy()
        within = table["rr_within_2h"].to_numpy()
        rr = [f"{w / e:>12.1%}" if e > 0 else f"{'no episodes':>12}" for w, e in zip(within, episodes, strict=True)]
        lines.append(f"  {'rapid response in 2 h':{W}}" + "".join(rr))
        if "ae_within_4h" in table:
            majors = (table["ae_attendances"] - table["ae_minor"]).to_numpy()
            within = table["ae_within_4h"].to_numpy()
            ae = [f"{w / n:>12.1%}" if n > 0 else f"{'none':>12}" for w, n in zip(within, majors, strict=True)]
            lines.append(f"  {'A&E majors in 4 h':{W}}" + "".join(ae))
        lines += _places_of_death(results, scenario, list(years))
    return "\n".join(lines)


def _places_of_death(results: pd.DataFrame, scenario: str, years: list) -> list[str]:
    """Each year's deaths by where the resident was (the whole system's deaths_<place> rows), as
    shares of the year's deaths, in a fixed order; places where nobody died in any year left out."""
    rows = results[(results.scenario == scenario) & (results.stratum == "all")]
    rows = rows[rows.measure.str.startswith("deaths_") & (rows.intervention == "all")]
    if rows.empty:
        return []
    by = rows.groupby(["year", "measure"]).value.sum().unstack("measure").reindex(years)
    shares = by.div(by.sum(axis=1).where(lambda total: total > 0), axis=0)
    lines = []
    for place, label in PLACE_LABELS.items():
        measure = f"deaths_{place}"
        if measure in by and by[measure].fillna(0.0).gt(0).any():
            cells = (f"{v:>12.1%}" if v == v else f"{'none':>12}" for v in shares[measure].to_numpy())
            lines.append(f"  {'died ' + label:{W}}" + "".join(cells))
    return lines
