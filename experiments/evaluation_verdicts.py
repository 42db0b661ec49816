"""Where a pilot's own results fall among the model's: its observed change by its design against
the simulated estimates by that design, and its plan's expected avoided admissions and attendances
against the model's prediction for a cohort of that size. Each range is a 95% prediction interval
over replications (where one more replication would fall), not the interval of their mean."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from models.pilot import LoadedPilot

DESIGN_COLUMNS = {"naive": "naive", "matched": "matched", "difference_in_differences": "difference_in_differences"}
Z95 = 1.959964


def _prediction(sims: pd.Series) -> tuple[float, float]:
    """The mean and half-width of a 95% prediction interval for one more replication."""
    n = len(sims)
    mean, sd = float(sims.mean()), float(sims.std(ddof=1)) if n > 1 else 0.0
    return mean, float(stats.t.ppf(0.975, n - 1) * sd * math.sqrt(1 + 1 / n)) if n > 1 else math.nan


def observed_change(loaded: LoadedPilot) -> tuple[float, float, float]:
    """The pilot's own estimate by its design, with a 95% interval where its figures give one
    (counts as Poisson: the log of a ratio of rates has variance the sum of 1/count)."""
    obs, years = loaded.pilot.observed, loaded.pilot.cohort.follow_years
    if obs.cohort is None:
        return obs.change, math.nan, math.nan

    def rates(f) -> tuple[float, float, list[float]]:
        if f.measure == "rate":
            counts = [f.before * f.size, f.after * f.size * years] if f.size else []
            return f.before, f.after, counts
        return f.before / f.size, f.after / (f.size * years), [f.before, f.after]

    b, a, counts = rates(obs.cohort)
    ratio = a / b
    if obs.design != "naive":
        cb, ca, ccounts = rates(obs.controls)
        ratio = a / ca if obs.design == "matched" else ratio / (ca / cb)
        counts = counts + ccounts if counts and ccounts else []
        if obs.design == "matched" and counts:
            counts = [counts[1], counts[3]]  # the two groups' after counts
    if not counts or min(counts) <= 0 or ratio <= 0:
        return ratio - 1.0, math.nan, math.nan
    half = Z95 * math.sqrt(sum(1.0 / c for c in counts))
    return ratio - 1.0, ratio * math.exp(-half) - 1.0, ratio * math.exp(half) - 1.0


def against_observed(per_rep: pd.DataFrame, loaded: LoadedPilot) -> dict | None:
    """Where the pilot's own result falls among its design's simulated estimates."""
    obs = loaded.pilot.observed
    if obs is None:
        return None
    change, obs_low, obs_high = observed_change(loaded)
    sims = per_rep[DESIGN_COLUMNS[obs.design]].astype(float)
    sims = sims[np.isfinite(sims)]
    n = len(sims)
    if n == 0:
        return {
            "design": obs.design,
            "observed": change,
            "observed_low": obs_low,
            "observed_high": obs_high,
            "simulated_mean": math.nan,
            "low": math.nan,
            "high": math.nan,
            "percentile": math.nan,
            "agree": False,
            "words": f"The pilot's {obs.design} estimate ({change:+.0%}) cannot be set against the model: the "
            "simulation gives no estimate by that design (no one left to match).",
        }
    mean, half = _prediction(sims)
    if math.isfinite(obs_low):  # the pilot's own interval against the model's range: do they overlap?
        inside = obs_low <= mean + half and obs_high >= mean - half if math.isfinite(half) else False
    else:
        inside = abs(change - mean) <= half if math.isfinite(half) else False
    percentile = float((sims < change).mean() * 100)
    its = f" (95% interval {obs_low:+.0%} to {obs_high:+.0%})" if math.isfinite(obs_low) else ""
    if math.isfinite(obs_low):
        where = "overlaps" if inside else "does not overlap"
    else:
        where = "falls inside" if inside else "falls outside"
    words = (
        f"The pilot's {obs.design} estimate ({change:+.0%}{its}) {where} the range the model gives for that design "
        f"({mean - half:+.0%} to {mean + half:+.0%}): the model and the pilot {'agree' if inside else 'disagree'}."
    )
    return {
        "design": obs.design,
        "observed": change,
        "observed_low": obs_low,
        "observed_high": obs_high,
        "simulated_mean": mean,
        "low": mean - half,
        "high": mean + half,
        "percentile": percentile,
        "agree": inside,
        "words": words,
    }


def against_expected(per_rep: pd.DataFrame, loaded: LoadedPilot) -> list[dict]:
    """What the model predicts a pilot's plan would avoid, for the plan's cohort size and years,
    against what the plan expected: a range over replications (a 95% prediction interval)."""
    exp = loaded.pilot.expected
    if exp is None:
        return []
    rows = []
    for what, column, expected in (
        ("emergency admissions", "admissions_avoided_per_person_year", exp.admissions_avoided),
        ("A&E attendances", "attendances_avoided_per_person_year", exp.attendances_avoided),
    ):
        if expected is None:
            continue
        sims = per_rep[column].astype(float) * exp.cohort_size * exp.years
        sims = sims[np.isfinite(sims)]
        mean, half = _prediction(sims)
        inside = abs(expected - mean) <= half if math.isfinite(half) else False
        rows.append(
            {
                "measure": what,
                "expected": expected,
                "predicted": mean,
                "low": mean - half,
                "high": mean + half,
                "agree": inside,
                "words": f"The plan expected {expected:,.0f} {what} avoided over {exp.years:g} year(s) for "
                f"{exp.cohort_size:,} people; the model predicts {mean:,.0f} ({mean - half:,.0f} to "
                f"{mean + half:,.0f}) for a cohort of that size chosen and served as described: "
                + ("the plan is within the model's range." if inside else "the plan is outside the model's range."),
            }
        )
    return rows
