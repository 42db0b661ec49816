"""The evaluator's figures and page: each estimate with its interval over replications, where the
pilot's own result falls among the design's simulated estimates, and DIR/evaluation.html
(self-contained plotly: the cohort's trajectories in both arms and the controls', the naive fall
taken apart, the designs against the truth)."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from experiments.evaluation import Z_POWER
from experiments.evaluation_verdicts import against_expected, against_observed
from experiments.files import write_csv, write_json, write_text
from experiments.plots import COLOURS, band, plot_html
from experiments.report import page
from models.pilot import LoadedPilot

ESTIMATES = {
    "naive": "naive before/after change in the cohort (per person enrolled)",
    "naive_per_alive": "naive before/after change (per person alive)",
    "counterfactual_change": "change the cohort shows without the pilot (per person enrolled)",
    "counterfactual_change_per_alive": "change without the pilot (per person alive)",
    "trend": "of which: the population's trend",
    "ageing": "of which: the cohort growing older",
    "survival": "of which: chosen alive (the before year holds no one's last year of life)",
    "deaths": "of which: deaths and moves away (per enrolled less per alive)",
    "regression_to_the_mean": "of which: regression to the mean (the rest)",
    "true_effect": "true effect of the pilot (same people, pilot against counterfactual)",
    "matched": "matched controls' estimate",
    "difference_in_differences": "difference in differences against matched controls",
    "chosen_size": "residents the rule chooses (whole population)",
    "cohort_size": "cohort enrolled (whole population)",
    "controls_matched_share": "share of the cohort with a matched control",
    "before_rate": "emergency admissions per person in the year before",
    "cohort_for_80_power": "cohort per arm to detect the true effect with 80% power",
    "admissions_avoided_per_person_year": "emergency admissions avoided per person enrolled a year",
    "attendances_avoided_per_person_year": "A&E attendances avoided per person enrolled a year",
    "attendances_true_effect": "true effect on the cohort's A&E attendances",
}
NOTE = (
    "<p class='note'>"
    "Rates are emergency admissions per person a year over the follow-up years. Per person enrolled "
    "(intention to treat) a member who dies counts as no admissions from then on; per person alive only "
    "those alive at each year's start count. The difference between the two is the part of the fall "
    "deaths and moves away make. Growing older is what the before year's admissions by five-year age band"
    " give at the ages the cohort reaches; the trend is each follow year's curve against the before "
    "year's at those ages, in the pilot's area; regression to the mean is what remains of the change "
    "without the pilot (with it, the extra use of members in the year they die, since all were alive when"
    " chosen). The parts add up to the change. Matched controls: each member's nearest not-enrolled "
    "resident sharing the keys below, by the model's risk score within the caliper; where under half the "
    "cohort finds one (every eligible resident is in the cohort) the matched designs are not given."
    "</p>"
)


def _interval(x: pd.Series) -> tuple[float, float, float, float]:
    x = x[np.isfinite(x)]
    if x.empty:
        return (math.nan,) * 4
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan, math.nan
    half = float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half, float(x.std(ddof=1))


def summarise(per_rep: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for key, label in ESTIMATES.items():
        if key not in per_rep:  # replications saved before the estimate was added
            continue
        mean, lo, hi, sd = _interval(per_rep[key].astype(float))
        if key == "cohort_for_80_power" and "outcome_variance" in per_rep:
            mean, lo, hi = power_cohort(per_rep)
        rows.append(
            {
                "estimate": key,
                "label": label,
                "mean": mean,
                "low": lo,
                "high": hi,
                "sd": sd,
                "replications": len(per_rep),
            }
        )
    return pd.DataFrame(rows)


def trajectories(per_rep: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for col in per_rep.columns:
        for series in ("cohort_pilot", "cohort_counterfactual", "controls", "cohort_share"):
            if col.startswith(series + "_") and col[len(series) + 1 :].isdigit():
                mean, lo, hi, _ = _interval(per_rep[col].astype(float))
                rows.append(
                    {"series": series, "year": int(col[len(series) + 1 :]), "mean": mean, "low": lo, "high": hi}
                )
    return pd.DataFrame(rows).sort_values(["series", "year"])


def _trajectory_plot(traj: pd.DataFrame, start_year: int) -> str:
    fig = go.Figure()
    names = {
        "cohort_pilot": "cohort, pilot on",
        "cohort_counterfactual": "cohort, pilot off",
        "controls": "matched controls",
    }
    drawn = traj[(traj.series != "cohort_share") & traj["mean"].notna()]
    for k, (series, g) in enumerate(drawn.groupby("series", sort=False)):
        band(fig, g.year, g["mean"], g["low"], g["high"], names[series], COLOURS[k % len(COLOURS)])
    fig.add_vline(x=start_year - 0.5, line_dash="dot", annotation_text="pilot starts")
    fig.update_layout(title="Emergency admissions per person enrolled, by year", xaxis_title="reported year")
    fig.update_xaxes(dtick=1)
    return plot_html(fig, "evaluation-trajectories")


def _decomposition_plot(summary: pd.DataFrame) -> str:
    s = summary.set_index("estimate")
    parts = ["trend", "ageing", "survival", "deaths", "regression_to_the_mean", "true_effect"]
    labels = [
        "population trend",
        "growing older",
        "chosen alive",
        "deaths and moves away",
        "regression to the mean",
        "the pilot (true effect)",
    ]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=[s.loc[p, "mean"] * 100 for p in parts],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [(s.loc[p, "high"] - s.loc[p, "mean"]) * 100 for p in parts],
                "arrayminus": [(s.loc[p, "mean"] - s.loc[p, "low"]) * 100 for p in parts],
            },
            marker_color=COLOURS[1],
        )
    )
    fig.update_layout(
        title=f"The naive change ({s.loc['naive', 'mean']:+.1%}) taken apart, % of the before rate", yaxis_title="%"
    )
    return plot_html(fig, "evaluation-decomposition")


def _designs_plot(summary: pd.DataFrame, observed: dict | None) -> str:
    s = summary.set_index("estimate")
    keys = ["true_effect", "naive", "matched", "difference_in_differences"]
    fig = go.Figure(
        go.Scatter(
            x=[ESTIMATES[k].split(" (")[0] for k in keys],
            y=[s.loc[k, "mean"] * 100 for k in keys],
            mode="markers",
            marker={"size": 12, "color": COLOURS[0]},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [(s.loc[k, "high"] - s.loc[k, "mean"]) * 100 for k in keys],
                "arrayminus": [(s.loc[k, "mean"] - s.loc[k, "low"]) * 100 for k in keys],
            },
            name="simulated",
        )
    )
    if observed is not None:
        fig.add_hline(
            y=observed["observed"] * 100,
            line_dash="dot",
            line_color="#c00000",
            annotation_text="the pilot's own result",
        )
    fig.update_layout(title="What each design would estimate, against the truth (%)", yaxis_title="%")
    return plot_html(fig, "evaluation-designs")


def _table(summary: pd.DataFrame) -> str:
    def fmt(r) -> str:
        if r.estimate in ("chosen_size", "cohort_size", "cohort_for_80_power"):
            if not math.isfinite(r["mean"]):
                return "none (no effect)"
            high = f"{r['high']:,.0f}" if math.isfinite(r["high"]) else "no bound: the effect may be none"
            return f"{r['mean']:,.0f} ({r['low']:,.0f} to {high})"
        if r.estimate == "before_rate":
            return f"{r['mean']:.2f} ({r['low']:.2f} to {r['high']:.2f})"
        if r.estimate.endswith("_per_person_year"):
            return f"{r['mean']:+.3f} ({r['low']:+.3f} to {r['high']:+.3f}); negative: more, not fewer"
        if r.estimate == "controls_matched_share":
            return f"{r['mean']:.1%} ({r['low']:.1%} to {r['high']:.1%})"
        if not math.isfinite(r["mean"]):
            return "not given (no one left to match: every eligible resident is in the cohort)"
        return f"{r['mean']:+.1%} ({r['low']:+.1%} to {r['high']:+.1%})"

    rows = "".join(
        f"<tr><td class='label'>{html.escape(r['label'])}</td><td>{fmt(r)}</td></tr>" for _, r in summary.iterrows()
    )
    return (
        f"<table><tr><th class='label'>estimate</th><th>mean (95% interval over replications)</th></tr>{rows}</table>"
    )


@dataclass(frozen=True)
class Written:
    page: Path
    summary: pd.DataFrame
    observed: dict | None
    expected: list[dict]
    trajectories: pd.DataFrame


def write_evaluation_outputs(out: Path, per_rep: pd.DataFrame, loaded: LoadedPilot) -> Written:
    """DIR/evaluation.csv, evaluation_replications.csv, evaluation_trajectories.csv and evaluation.html."""
    summary = summarise(per_rep)
    observed = against_observed(per_rep, loaded)
    traj = trajectories(per_rep)
    write_csv(summary, out / "evaluation.csv")
    write_csv(per_rep, out / "evaluation_replications.csv")
    write_csv(traj, out / "evaluation_trajectories.csv")
    p, c = loaded.pilot, loaded.pilot.cohort
    expected = against_expected(per_rep, loaded)
    write_json({"observed": observed, "expected": expected}, out / "evaluation_verdicts.json")
    body = [
        f"<h1>Evaluation: {html.escape(p.meta.name)}</h1>",
        f"<p>{html.escape(p.meta.description)} Source: {html.escape(p.meta.source)}.</p>",
        f"<p>Cohort: residents {html.escape(cohort_rule(loaded))}, chosen at the start of reported year "
        f"{c.start_year} and followed {c.follow_years} year(s); uptake {c.uptake:.0%}; received "
        f"{html.escape(received_text(loaded))}. Model "
        f"{html.escape(loaded.counterfactual.model.meta.name)}, scale {p.run.scale:g}, seed {p.run.seed}, "
        f"{len(per_rep)} replications; "
        "both arms share every random number, so the true effect is measured in the same people.</p>",
        "<h2>The estimates</h2>",
        _table(summary),
        f"<p>{html.escape(shares_text(traj).capitalize())} (for people 65+ with two or more "
        "emergency admissions in England, Roland et al. 2005 found 38% in the index year, under 10% the next).</p>",
        NOTE,
        f"<p class='note'>Controls here share exactly: {html.escape(', '.join(p.design.match_exactly) or 'nothing')}; "
        f"caliper {p.design.caliper_sd:g} of the risk score's standard deviation.</p>",
    ]
    if observed is not None:
        body += [
            "<h2>Against the pilot's own result</h2>",
            observed_table(loaded),
            f"<p><b>{html.escape(observed['words'])}</b> "
            + (
                f"(percentile {observed['percentile']:.0f} of the simulated estimates)"
                if math.isfinite(observed["percentile"])
                else ""
            )
            + f" Source: {html.escape(p.observed.source)}.</p>",
        ]
    if expected:
        body += ["<h2>Against the pilot's plan</h2>"]
        body += [f"<p><b>{html.escape(e['words'])}</b></p>" for e in expected]
        body += [f"<p>Source: {html.escape(p.expected.source)}.</p>"]
    body += [
        "<h2>Trajectories</h2>",
        _trajectory_plot(traj, c.start_year),
        "<h2>The naive change taken apart</h2>",
        _decomposition_plot(summary),
        "<h2>Each design against the truth</h2>",
        _designs_plot(summary, observed),
    ]
    path = out / "evaluation.html"
    write_text(page(body, f"wsic-sim evaluation: {p.meta.name}"), path)
    return Written(path, summary, observed, expected, traj)


def cohort_rule(loaded: LoadedPilot) -> str:
    """The pilot's selection rule in words."""
    c = loaded.pilot.cohort
    parts = [f"aged {c.min_age:g} and over" if c.max_age >= 200 else f"aged {c.min_age:g} to {c.max_age:g}"]
    if c.min_prior_admissions:
        n = c.min_prior_admissions
        parts.append(f"with at least {n} emergency admission{'s' if n > 1 else ''} in the 12 months before")
    if c.top_risk_share is not None:
        parts.append(f"in the top {c.top_risk_share:.1%} of all residents by risk score")
    if c.strata:
        parts.append(f"in the {', '.join(c.strata)} risk strata")
    if c.conditions:
        parts.append(f"with any of: {', '.join(c.conditions)}")
    if c.boroughs:
        parts.append(f"living in {', '.join(c.boroughs)}")
    if c.networks:
        parts.append(f"registered in GP networks {', '.join(map(str, c.networks))}")
    if c.random_share:
        parts.append(f"{c.random_share:.0%} of them at random")
    return ", ".join(parts)


def received_text(loaded: LoadedPilot) -> str:
    r = loaded.pilot.received
    if not r.interventions:
        return "nothing (the cohort is only followed)"
    text = ", ".join(r.interventions)
    for o in r.effects:
        lo, hi = o.effect.bounds()
        span = f"{lo:g}" if lo == hi else f"{lo:g} to {hi:g}"
        text += f"; {o.intervention}'s {o.kind} on {o.target} set to {span} by the pilot file ({o.effect.source})"
    for role, fte in r.fte.items():
        text += f"; {role} FTE per borough {', '.join(f'{v:g}' for v in fte.value)} ({fte.source})"
    return text


def power_cohort(per_rep: pd.DataFrame) -> tuple[float, float, float]:
    """The cohort per arm for 80% power at 5%, 2 z^2 var / delta^2, from the mean variance and the
    mean avoided admissions over replications (a ratio's mean would explode where an effect is near
    zero); its range from the ends of the effect's interval, unbounded where that holds zero."""
    var = float(per_rep.outcome_variance.astype(float).mean())
    delta, lo, hi, _ = _interval(per_rep.admissions_avoided_per_person_year.astype(float))

    def need(d: float) -> float:
        return 2 * Z_POWER**2 * var / d**2 if d else math.inf

    if not math.isfinite(delta):
        return math.nan, math.nan, math.nan
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return need(delta), math.nan, math.nan
    largest = need(max(abs(lo), abs(hi)))
    return need(delta), largest, math.inf if lo <= 0 <= hi else need(min(abs(lo), abs(hi)))


def observed_table(loaded: LoadedPilot) -> str:
    """The pilot's own figures, as its file gives them."""
    obs = loaded.pilot.observed
    if obs.cohort is None:
        size = f", {obs.cohort_size:,} people" if obs.cohort_size else ""
        return f"<p>The pilot reported a {html.escape(obs.design)} change of {obs.change:+.1%}{size}.</p>"
    rows = ""
    for name, f in (("cohort", obs.cohort), ("controls", obs.controls)):
        if f is None:
            continue
        unit = "admissions" if f.measure == "count" else "admissions per person a year"
        size = f"{f.size:,}" if f.size else "not given"
        rows += f"<tr><td class='label'>{name}</td><td>{size}</td><td>{f.before:,.2f}</td><td>{f.after:,.2f}</td>"
        rows += f"<td>{unit}</td></tr>"
    return (
        "<table><tr><th class='label'>group</th><th>people</th><th>before (12 months)</th>"
        f"<th>after (follow-up)</th><th>as</th></tr>{rows}</table>"
    )


def shares_text(traj: pd.DataFrame) -> str:
    """The cohort's share of its age group's emergency admissions year by year (Roland et al.'s
    measure: 38% in the index year, under 10% the next, in England)."""
    shares = traj[traj.series == "cohort_share"]
    if shares.empty:
        return ""
    by_year = "; ".join(f"year {int(r.year)} {r['mean']:.0%}" for _, r in shares.iterrows())
    return f"the cohort's share of the emergency admissions of everyone of its ages: {by_year}"


def describe(
    summary: pd.DataFrame, observed: dict | None, traj: pd.DataFrame | None = None, expected: list | None = None
) -> str:
    s = summary.set_index("estimate")

    def pct(k: str) -> str:
        if not math.isfinite(s.loc[k, "mean"]):
            return "not given (no one left to match)"
        return f"{s.loc[k, 'mean']:+.1%} ({s.loc[k, 'low']:+.1%} to {s.loc[k, 'high']:+.1%})"

    lines = [
        f"cohort {s.loc['cohort_size', 'mean']:,.0f} people, "
        f"{s.loc['before_rate', 'mean']:.2f} emergency admissions each in the year before",
        f"naive before/after {pct('naive')}; without the pilot {pct('counterfactual_change')}:"
        f" trend {pct('trend')}, ageing {pct('ageing')}, chosen alive {pct('survival')}, deaths {pct('deaths')},"
        f" regression to the mean {pct('regression_to_the_mean')}",
        f"true effect {pct('true_effect')}; matched {pct('matched')};"
        f" difference in differences {pct('difference_in_differences')}",
    ]
    if traj is not None and shares_text(traj):
        lines.append(shares_text(traj))
    if observed is not None:
        lines.append(observed["words"])
    lines += [e["words"] for e in expected or []]
    return "\n".join(lines)
