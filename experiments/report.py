"""The board's report: one self-contained HTML file (plotly.js embedded, no network needed)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from experiments.economics import board_figures
from experiments.summary import replication_table, summarise

SERIES = (
    ("nel_admissions", "Emergency admissions", 1),
    ("bed_days", "Bed days", 1),
    ("excess_bed_days", "Delayed discharge (excess) bed days", 1),
    ("ae_attendances", "A&E attendances", 1),
    ("care_home_admissions", "Care home admissions", 1),
    ("cost_total", "Total cost of care, GBP m", 1e6),
)
COLOURS = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6")
STRATA = ("very_high", "high", "moderate", "low", "very_low")

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


def _interval(mean: float, lo: float, hi: float, unit: str = "") -> str:
    if not np.isfinite(lo):
        return _fmt(mean, unit)
    return f"{_fmt(mean, unit)} <span class='small'>({_fmt(lo, unit)} to {_fmt(hi, unit)})</span>"


def _plot(fig: go.Figure, div_id: str) -> str:
    horizontal = any(getattr(t, "orientation", None) == "h" for t in fig.data)
    fig.update_layout(
        template="plotly_white",
        margin={"l": 230 if horizontal else 60, "r": 20, "t": 50, "b": 50},
        height=520 if horizontal else 380,
    )
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id)


def _band(fig: go.Figure, x, mean, lo, hi, name: str, colour: str, row=None) -> None:
    x = list(x)
    fig.add_trace(
        go.Scatter(
            x=x + x[::-1],
            y=list(hi) + list(lo)[::-1],
            fill="toself",
            fillcolor=colour,
            opacity=0.18,
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            legendgroup=name,
        )
    )
    fig.add_trace(
        go.Scatter(x=x, y=list(mean), mode="lines+markers", name=name, line={"color": colour}, legendgroup=name)
    )


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
            text = _interval(r["mean"], r["ci_low"], r["ci_high"], unit)
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


def _whole(summary: pd.DataFrame) -> pd.DataFrame:
    s = summary[(summary.borough == "all") & (summary.stratum == "all") & (summary.intervention == "all")]
    return s[s.year != "total"].assign(year=lambda d: d.year.astype(int))


def series_plots(summary: pd.DataFrame, scenarios: list[str]) -> str:
    whole = _whole(summary)
    parts = []
    for k, (measure, title, div) in enumerate(SERIES):
        fig = go.Figure()
        for j, s in enumerate(scenarios):
            d = whole[(whole.scenario == s) & (whole.measure == measure)].sort_values("year")
            if d.empty:
                continue
            lo = d.ci_low.fillna(d["mean"])
            hi = d.ci_high.fillna(d["mean"])
            _band(fig, d.year, d["mean"] / div, lo / div, hi / div, s, COLOURS[j % len(COLOURS)])
        fig.update_layout(title=title, xaxis_title="year", xaxis={"dtick": 1})
        parts.append(_plot(fig, f"series-{k}"))
    return "".join(parts)


def savings_plots(paired_board: pd.DataFrame, summary: pd.DataFrame, scenarios: list[str]) -> str:
    if len(scenarios) < 2:
        return ""
    parts = []
    fig = go.Figure()
    for j, s in enumerate(scenarios[1:]):
        b = paired_board[(paired_board.scenario == s) & paired_board.figure.str.startswith("gross savings: ")]
        b = b[~b.figure.isin(["gross savings: NHS", "gross savings: council"])]
        fig.add_trace(
            go.Bar(
                x=b.figure.str.removeprefix("gross savings: "),
                y=b["mean"],
                name=s,
                marker_color=COLOURS[(j + 1) % len(COLOURS)],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (b.ci_high - b["mean"]).fillna(0),
                    "arrayminus": (b["mean"] - b.ci_low).fillna(0),
                },
            )
        )
    fig.update_layout(title="Gross savings over all years by setting, GBP m", barmode="group")
    parts.append(_plot(fig, "savings-setting"))

    total = summary[
        (summary.year == "total")
        & (summary.borough == "all")
        & (summary.intervention == "all")
        & (summary.measure == "cost_total")
        & summary.stratum.isin(STRATA)
    ]
    fig = go.Figure()
    for j, s in enumerate(scenarios[1:]):
        d = total[total.scenario == s].set_index("stratum").reindex(list(STRATA))
        fig.add_trace(
            go.Bar(
                x=list(STRATA),
                y=-d.diff_mean / 1e6,
                name=s,
                marker_color=COLOURS[(j + 1) % 6],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": ((d.diff_mean - d.diff_ci_low) / 1e6).fillna(0),
                    "arrayminus": ((d.diff_ci_high - d.diff_mean) / 1e6).fillna(0),
                },
            )
        )
    fig.update_layout(title="Gross savings over all years by risk stratum, GBP m", barmode="group")
    parts.append(_plot(fig, "savings-stratum"))

    credited = summary[
        (summary.year == "total")
        & (summary.borough == "all")
        & (summary.stratum == "all")
        & (summary.intervention != "all")
    ]
    for k, (measure, title) in enumerate(
        (("avoided_nel_admissions", "Emergency admissions avoided"), ("avoided_bed_days", "Bed days avoided"))
    ):
        fig = go.Figure()
        for j, s in enumerate(scenarios[1:]):
            d = credited[(credited.scenario == s) & (credited.measure == measure)].sort_values("mean")
            if d.empty:
                continue
            fig.add_trace(
                go.Bar(
                    y=d.intervention,
                    x=d["mean"],
                    orientation="h",
                    name=s,
                    marker_color=COLOURS[(j + 1) % 6],
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": (d.ci_high - d["mean"]).fillna(0),
                        "arrayminus": (d["mean"] - d.ci_low).fillna(0),
                    },
                )
            )
        if fig.data:
            fig.update_layout(title=f"{title} over all years, by intervention")
            html_part = _plot(fig, f"savings-intervention-{k}")
            parts.append(html_part)
    return "".join(parts)


def service_plots(results: pd.DataFrame, summary: pd.DataFrame, scenarios: list[str]) -> str:
    parts = []
    table = replication_table(results)
    whole = table[
        (table.borough == "all") & (table.stratum == "all") & (table.intervention == "all") & (table.year != "total")
    ]
    rr = (
        whole[whole.measure.isin(["rr_within_2h", "rr_episodes"])]
        .pivot_table(index=["scenario", "replication", "year"], columns="measure", values="value")
        .reset_index()
    )
    rr["rate"] = rr.rr_within_2h / rr.rr_episodes * 100
    fig = go.Figure()
    for j, s in enumerate(scenarios):
        d = rr[rr.scenario == s].groupby("year").rate.agg(["mean", "std", "count"]).reset_index()
        d["year"] = d.year.astype(int)
        d = d.sort_values("year")
        half = 1.96 * d["std"].fillna(0) / np.sqrt(d["count"])
        _band(fig, d.year, d["mean"], d["mean"] - half, d["mean"] + half, s, COLOURS[j % 6])
    fig.update_layout(title="Rapid response within two hours, % of episodes", xaxis={"dtick": 1})
    parts.append(_plot(fig, "service-rr"))

    w = _whole(summary)
    fig = go.Figure()
    roles = ("gp", "practice_nurse", "district_nurse")
    for j, s in enumerate(scenarios):
        for role in roles:
            dem = w[(w.scenario == s) & (w.measure == f"{role}_demand_hours")].set_index("year")["mean"]
            sup = w[(w.scenario == s) & (w.measure == f"{role}_supply_hours")].set_index("year")["mean"]
            if dem.empty or sup.empty:
                continue
            fig.add_trace(
                go.Scatter(
                    x=list(dem.index),
                    y=list(100 * dem / sup),
                    mode="lines+markers",
                    name=f"{s}: {role.replace('_', ' ')}",
                    line={"color": COLOURS[j % 6]},
                    marker={"symbol": ["circle", "square", "diamond"][roles.index(role)]},
                )
            )
    fig.update_layout(title="Workforce load: hours demanded as % of hours available", xaxis={"dtick": 1})
    parts.append(_plot(fig, "service-workforce"))

    iv = summary[
        (summary.year != "total")
        & (summary.borough == "all")
        & (summary.stratum == "all")
        & (summary.intervention != "all")
        & (summary.measure == "backlog")
    ]
    if not iv.empty:
        fig = go.Figure()
        for name, d in iv.groupby("intervention"):
            d = d.assign(year=d.year.astype(int)).sort_values("year")
            if d["mean"].max() <= 0:
                continue
            fig.add_trace(go.Scatter(x=d.year, y=d["mean"], mode="lines+markers", name=f"{d.scenario.iat[0]}: {name}"))
        if fig.data:
            fig.update_layout(title="People waiting to enrol (backlog), mean over the year", xaxis={"dtick": 1})
            parts.append(_plot(fig, "service-backlog"))
    return "".join(parts)


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


def build_report(out: Path, models: list | None = None) -> Path:
    """Write DIR/report.html from DIR/results.parquet and DIR/manifest.json; return its path."""
    from models.loader import load_model  # only the report needs the model files themselves

    results = pd.read_parquet(out / "results.parquet")
    manifest = json.loads((out / "manifest.json").read_text())
    scenarios = [m["scenario"] for m in manifest["models"]]
    if models is None:
        models = [load_model(m["path"]).model for m in manifest["models"]]
    summary = summarise(results, scenarios[0])
    board = board_figures(results, scenarios[0])
    reps = int(results.replication.nunique())
    years = int(results.year.max())
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
        service_plots(results, summary, scenarios),
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
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    summary.to_csv(out / "summary.csv", index=False)
    board.to_csv(out / "board.csv", index=False)
    return path
