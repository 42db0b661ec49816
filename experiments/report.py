"""The board's report: one self-contained HTML file (plotly.js embedded, no network needed), rendered
from summaries computed elsewhere (experiments.outputs), so the report computes nothing of its own."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
from plotly.offline import get_plotlyjs

from experiments.files import write_text
from experiments.plots import savings_plots, series_plots, service_plots

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
    var traces = (p._fullData || []).filter(function (t) { return (t._length || 0) > 0; });
    var drawn = p.querySelectorAll('g.trace').length;
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


def build_report(
    path: Path,
    summary: pd.DataFrame,
    board: pd.DataFrame,
    replications: pd.DataFrame,
    manifest: dict,
    models: list,
) -> Path:
    """Write the report to path and return it. summary, board and replications are summary.summarise,
    economics.board_figures and summary.replication_table of the run's results; models are the
    CareModels of manifest["models"], in order."""
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
        "<p class='note'>Savings are the comparator's cost of care less the scenario's; investment is the "
        "scenario's intervention and workforce cost; discounting at 3.5% a year from year 1.</p>",
        "<h2>Year by year</h2>",
        series_plots(summary, scenarios),
    ]
    if len(scenarios) > 1:
        body += ["<h2>Where the savings come from</h2>", savings_plots(board, summary, scenarios)]
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
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>wsic-sim report</title>"
        f"<style>{STYLE}</style>{ERROR_CAPTURE}<script>{get_plotlyjs()}</script></head><body>"
        + "".join(body)
        + "<div id='report-status' data-ready='no'></div>"
        + READY_CHECK
        + "</body></html>"
    )
    write_text(page, path)
    return path
