"""The board's report: one self-contained HTML file (plotly.js embedded, no network needed), rendered
from summaries computed elsewhere (experiments.outputs), so the report computes nothing of its own."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from plotly.offline import get_plotlyjs

from experiments.breakeven import K_MAX
from experiments.files import write_text
from experiments.plots import savings_plots, series_plots, service_plots, tornado_plot
from experiments.summary import PLACE_LABELS

ERROR_CAPTURE = """
<script>
window.reportErrors = [];
window.addEventListener('error', function (e) { window.reportErrors.push(String(e.message)); });
(function () {
  var original = console.error;
  console.error = function () {
    window.reportErrors.push(Array.prototype.join.call(arguments, ' '));
    original.apply(console, arguments);
  };
})();
</script>
"""
READY_CHECK = """
<script>
window.addEventListener('load', function () {
  var plots = document.querySelectorAll('.js-plotly-plot');
  var empty = [];
  plots.forEach(function (p) {
    var traces = (p._fullData || []).filter(function (t) { return (t._length || (t.z && t.z.length) || 0) > 0; });
    var drawn = p.querySelectorAll('g.trace, g.contour').length;
    if (!traces.length || !drawn || !p.querySelector('.main-svg')) { empty.push(p.id); }
  });
  var status = document.getElementById('report-status');
  status.setAttribute('data-plots', plots.length);
  status.setAttribute('data-empty', empty.join(' '));
  status.setAttribute('data-errors', window.reportErrors.join(' | '));
  status.setAttribute('data-ready', 'yes');
});
</script>
"""
STYLE = """
body { font-family: -apple-system, 'Segoe UI', Arial, sans-serif; margin: 2em auto; max-width: 1150px;
       color: #222; line-height: 1.45; padding: 0 1em; }
h1 { color: #1f4e79; } h2 { color: #1f4e79; border-bottom: 2px solid #ddd; padding-bottom: .2em;
     margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: right; }
th { background: #eef3f8; } td.label, th.label { text-align: left; }
.note { color: #555; font-size: .92em; } .small { font-size: .85em; }
"""


def _fmt(v: float, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    if unit == "year":
        return f"{v:.1f}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:,.1f}"


def _with_interval(mean: float, lo: float, hi: float, unit: str = "") -> str:
    if not np.isfinite(lo):
        return _fmt(mean, unit)
    return f"{_fmt(mean, unit)} <span class='small'>({_fmt(lo, unit)} to {_fmt(hi, unit)})</span>"


def headline_table(board: pd.DataFrame, scenarios: list[str], years: int) -> str:
    if board.empty:
        return "<p class='note'>Only one scenario was run: there is nothing to compare against.</p>"
    figures = list(dict.fromkeys(board.figure))
    head = "".join(f"<th>{html.escape(s)}</th>" for s in scenarios[1:])
    rows = []
    for fig in figures:
        cells = []
        unit = ""
        for s in scenarios[1:]:
            r = board[(board.scenario == s) & (board.figure == fig)]
            if r.empty:
                cells.append("<td>–</td>")
                continue
            r = r.iloc[0]
            unit = r.unit
            text = _with_interval(r["mean"], r["ci_low"], r["ci_high"], unit)
            if unit == "year" and r["share_of_replications"] < 1:
                text += f" <span class='small'>in {r['share_of_replications']:.0%} of replications</span>"
            cells.append(f"<td>{text}</td>")
        rows.append(
            f"<tr><td class='label'>{html.escape(fig)}</td><td class='label small'>"
            f"{html.escape(unit)}</td>{''.join(cells)}</tr>"
        )
    return (
        f"<table><tr><th class='label'>{years} years against {html.escape(scenarios[0])}</th>"
        f"<th class='label'>unit</th>{head}</tr>{''.join(rows)}</table>"
    )


def assumptions_html(manifest: dict, models: list) -> str:
    parts = []
    for spec, m in zip(manifest["models"], models, strict=True):
        ivs = m.interventions
        parts.append(f"<h3>{html.escape(spec['scenario'])}: {html.escape(m.meta.description)}</h3>")
        parts.append(
            f"<p class='small'>File {html.escape(spec['path'])}, sha256 {spec['sha256'][:16]}. "
            f"Acute beds {m.hospital.beds.value:,}; care home places {m.care_homes.residential_places.value:,} "
            f"residential and {m.care_homes.nursing_places.value:,} nursing; virtual ward places "
            f"{sum(m.virtual_ward.places.value):,.0f}; reablement places {sum(m.reablement.places.value):,.0f}; "
            f"rapid response nurses {sum(m.workforce['rapid_response_nurse'].fte.value):,.0f} FTE; care "
            f"coordinators {sum(m.workforce['care_coordinator'].fte.value):,.0f} FTE; hybrid workers "
            f"{sum(m.workforce['hybrid_worker'].fte.value):,.0f} FTE.</p>"
        )
        if not ivs:
            parts.append("<p class='note'>No interventions: business as usual.</p>")
            continue
        rows = []
        for name, iv in ivs.items():
            mech = "; ".join(
                f"{mc.kind} {mc.target}: {mc.effect.distribution} "
                + (
                    f"{mc.effect.value}"
                    if mc.effect.distribution == "fixed"
                    else f"{mc.effect.low} to {mc.effect.high}"
                )
                for mc in iv.mechanisms
            )
            rows.append(
                f"<tr><td class='label'>{html.escape(name.replace('_', ' '))}</td>"
                f"<td class='label'>{html.escape(', '.join(iv.eligibility.strata))}</td>"
                f"<td>{iv.uptake.value:.0%}</td><td>{iv.start_year} (+{iv.ramp_years:g})</td>"
                f"<td class='label small'>{html.escape(mech)}</td>"
                f"<td class='label'>{iv.evidence_strength}</td>"
                f"<td class='label small'>{html.escape(iv.evidence)}</td></tr>"
            )
        parts.append(
            "<table><tr><th class='label'>intervention</th><th class='label'>strata</th><th>uptake</th>"
            "<th>start (ramp years)</th><th class='label'>mechanisms and effect</th>"
            "<th class='label'>evidence</th><th class='label'>source</th></tr>" + "".join(rows) + "</table>"
        )
    return "".join(parts)


@dataclass(frozen=True)
class ReportSections:
    """The report's optional sections, each from a summary computed elsewhere."""

    stated: pd.DataFrame = field(default_factory=pd.DataFrame)  # economics.against_stated
    breakeven: pd.DataFrame | None = None  # breakeven.summarise, with the search's settings
    tornado: pd.DataFrame | None = None  # tornado.summarise, with the runs' settings
    places_of_death: pd.DataFrame = field(default_factory=pd.DataFrame)  # summary.places_of_death


def places_of_death_html(places: pd.DataFrame, scenarios: list[str]) -> str:
    """Each place's share of deaths over the run per scenario, and the others' paired difference
    from the comparator in points."""
    if places.empty:
        return "<p class='note'>Not in these results (a run from before places of death were recorded).</p>"
    comparator = scenarios[0]

    def cell(by: pd.DataFrame, s: str, prefix: str, unit: str) -> str:
        if s not in by.index or f"{prefix}mean" not in by or not np.isfinite(by.at[s, f"{prefix}mean"]):
            return "–"
        # (a figure that rounds to nought reads as nought, not as -0.0)
        mean, lo, hi = (100 * by.at[s, f"{prefix}{k}"] + 0.0 for k in ("mean", "ci_low", "ci_high"))
        mean, lo, hi = (0.0 if round(v, 1) == 0 else v for v in (mean, lo, hi))
        sign = "+" if prefix else ""  # a difference carries its sign
        text = f"{mean:{sign}.1f}{unit}"
        if not np.isfinite(lo):
            return text
        return f"{text} <span class='small'>({lo:{sign}.1f} to {hi:{sign}.1f})</span>"

    head = "".join(f"<th>{html.escape(s)}</th>" for s in scenarios)
    head += "".join(f"<th>{html.escape(s)} against {html.escape(comparator)}</th>" for s in scenarios[1:])
    rows = []
    for place, label in PLACE_LABELS.items():
        by = places[places.place == place].set_index("scenario")
        if by.empty or not (by["mean"] > 0).any():
            continue
        cells = [cell(by, s, "", "%") for s in scenarios] + [cell(by, s, "diff_", " points") for s in scenarios[1:]]
        cells_html = "".join(f"<td>{c}</td>" for c in cells)
        rows.append(f"<tr><td class='label'>died {html.escape(label)}</td>{cells_html}</tr>")
    return (
        f"<table><tr><th class='label'>share of deaths, all years</th>{head}</tr>{''.join(rows)}</table>"
        "<p class='note'>Where each resident was when they died: the setting, or A&amp;E while in it. How many die "
        "is the same in every scenario unless an intervention acts on death; where they die moves with the "
        "care they are in. Differences are paired by replication.</p>"
    )


def stated_html(stated: pd.DataFrame, years: int) -> str:
    """The business case's own figures beside every scenario's."""
    if stated.empty:
        return ""
    parts = []
    for source, g in stated.groupby("stated_by", sort=False):
        horizon = int(g.stated_horizon_years.iat[0])
        if horizon != years:
            parts.append(
                f"<p class='note'>The case states its figures over {horizon} years; this run has {years}, so "
                "its totals and its last year are not the case's.</p>"
            )
        scenarios = list(dict.fromkeys(g.scenario))
        head = "".join(f"<th>{html.escape(s)}</th><th>against stated</th>" for s in scenarios)
        rows = []
        for figure, f in g.groupby("figure", sort=False):
            first = f.iloc[0]
            cells = "".join(
                f"<td>{_with_interval(r['mean'], r['ci_low'], r['ci_high'])}</td><td>{r['difference']:+,.1f}</td>"
                for _, r in f.iterrows()
            )
            rows.append(
                f"<tr><td class='label'>{html.escape(figure)}</td><td>{first['stated']:,.1f}</td>"
                f"<td class='label small'>{html.escape(first['stated_unit'])}: "
                f"{html.escape(first['stated_source'])}</td>"
                f"{cells}</tr>"
            )
        parts.append(
            f"<p>What the business case ({html.escape(source)}) states, beside what each scenario gives over "
            "the same years (GBP m, undiscounted, means with 95% intervals; against stated: the simulated mean "
            "less the stated figure, negative where it falls short).</p>"
            f"<table><tr><th class='label'>figure</th><th>stated</th><th class='label'>as stated</th>{head}</tr>"
            + "".join(rows)
            + "</table>"
        )
    return "".join(parts)


def _not_computed(command: str) -> str:
    return (
        f"<p class='note'>Not computed for this run: <code>wsic {command} MODEL.toml --out DIR</code> adds it here.</p>"
    )


def breakeven_html(breakeven: pd.DataFrame | None) -> str:
    if breakeven is None or breakeven.empty:
        return _not_computed("breakeven")
    first = breakeven.iloc[0]
    rows = []
    for _, r in breakeven.iterrows():
        if np.isinf(r.breakeven_mean):
            text = f"not reached up to {K_MAX:g} times"
        elif r.breakeven_mean == 0 and r.share_not_paying_back == 0:
            text = "0: pays back with these effects at none"
        else:
            text = _with_interval(r.breakeven_mean, r.ci_low, r.ci_high) + " times"
            if r.share_not_paying_back > 0:
                text += f" <span class='small'>({r.share_not_paying_back:.0%} of replications never)</span>"
        median = "never" if np.isinf(r.breakeven_median) else f"{r.breakeven_median:,.1f}"
        rows.append(
            f"<tr><td class='label'>{html.escape(r.scenario)}</td>"
            f"<td class='label'>{html.escape(str(r.intervention).replace('_', ' '))}</td>"
            f"<td>{r.net_at_evidence_gbp_m:,.1f}</td><td>{text}</td><td>{median}</td></tr>"
        )
    return (
        "<p>How many times as effective as the evidence suggests the interventions would need to be for "
        f"the {int(first.years)}-year discounted net savings to reach zero: each effect's distance from no "
        "effect multiplied alike, harm included, found by a root search per replication on common random "
        f"numbers ({int(first.replications)} replications at scale {first.scale:g}, seed {int(first.seed)}, "
        f"against {html.escape(str(first.comparator))}).</p>"
        "<table><tr><th class='label'>scenario</th><th class='label'>effects scaled</th>"
        "<th>net savings at the evidence, GBP m</th><th>break-even multiplier (mean of those paying back)</th>"
        "<th>median over all replications</th></tr>" + "".join(rows) + "</table>"
    )


def tornado_html(tornado: pd.DataFrame | None) -> str:
    if tornado is None or tornado.empty:
        return _not_computed("tornado")
    first = tornado.iloc[0]
    return (
        "<p>Which intervention's evidence moves the result most: each intervention's effects pinned at the "
        "favourable and at the unfavourable end of their ranges, the others sampled as usual "
        f"({int(first.reps)} replications at scale {first.scale:g}, seed {int(first.seed)}).</p>"
        + tornado_plot(tornado)
    )


def build_report(
    path: Path,
    summary: pd.DataFrame,
    board: pd.DataFrame,
    replications: pd.DataFrame,
    manifest: dict,
    models: list,
    sections: ReportSections | None = None,
) -> Path:
    """Write the report to path and return it. summary, board and replications are summary.summarise,
    economics.board_figures and summary.replication_table of the run's results; models are the
    CareModels of manifest["models"], in order."""
    sections = sections or ReportSections()
    scenarios = [m["scenario"] for m in manifest["models"]]
    reps = int(replications.replication.nunique())
    years = int(replications.year[replications.year != "total"].astype(int).max())
    body = [
        f"<h1>Whole-system simulation: {' vs '.join(html.escape(s) for s in scenarios)}</h1>",
        f"<p>{reps} replications of {manifest.get('residents', 0):,} residents over {years} years "
        f"(plus {manifest.get('warmup_years', 1)} warm-up year), seed {manifest['seed']}, scale {manifest['scale']}."
        " Every replication of every scenario uses the same random streams, so differences are paired."
        " Intervals are 95% t-intervals over replications.</p>",
        f"<h2>Headline: {years} years against the comparator</h2>",
        headline_table(board, scenarios, years),
        "<p class='note'>Savings are the comparator's cost of care less the scenario's: cash-releasing where "
        "a price is no longer paid (the tariff's spells and attendances, packages and placements bought), "
        "capacity-releasing where staff time or commissioned places are freed, which becomes cash only if "
        "that capacity is cut (beds, when a scenario decommissions them). Bed days freed beyond the tariff "
        "are shown at cost and not added to gross savings. Investment is the scenario's intervention and "
        "workforce cost and the whole cost of its commissioned places, used or not; discounting at 3.5% a "
        "year from year 1.</p>",
        "<h2>Year by year</h2>",
        series_plots(summary, scenarios),
        "<h2>Where people die</h2>",
        places_of_death_html(sections.places_of_death, scenarios),
    ]
    if len(scenarios) > 1:
        body += ["<h2>Where the savings come from</h2>", savings_plots(board, summary, scenarios)]
        if not sections.stated.empty:
            body += ["<h2>Against the business case</h2>", stated_html(sections.stated, years)]
        body += [
            "<h2>What would it take</h2>",
            breakeven_html(sections.breakeven),
            "<h2>Which evidence matters most</h2>",
            tornado_html(sections.tornado),
        ]
    body += [
        "<h2>Workforce load and service levels</h2>",
        service_plots(replications, summary, scenarios),
        "<h2>Model assumptions</h2>",
        assumptions_html(manifest, models),
        "<h2>Runs</h2>",
        f"<p class='small'>Package versions: {html.escape(json.dumps(manifest.get('versions', {})))}. "
        f"Replication wall time: {sum(r['wall_seconds'] for r in manifest.get('replications', [])):,.0f} s "
        f"in total. Full figures: summary.csv, board.csv, results.parquet.</p>",
    ]
    write_text(page(body), path)
    return path


def page(body: list[str], title: str = "wsic-sim report") -> str:
    """The whole self-contained page around the report's sections."""
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style>{ERROR_CAPTURE}<script>{get_plotlyjs()}</script></head><body>"
        + "".join(body)
        + "<div id='report-status' data-ready='no'></div>"
        + READY_CHECK
        + "</body></html>"
    )
