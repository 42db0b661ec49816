"""The planner's page, DIR/sizing.html (self-contained, plotly): the answer per role and borough,
each service level and the yearly cost against FTE with their bands and theory's bound, and the
grid's contours."""

from __future__ import annotations

import html
import math
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from experiments.files import write_text
from experiments.plots import COLOURS, band, plot_html
from experiments.report import page
from experiments.sizing_summary import COST
from models.sizing import LoadedSizing


def _fte(x: float) -> str:
    return f"{x:g}" if math.isfinite(x) else "none in range"


def answer_table(ans: pd.DataFrame) -> str:
    head = (
        "<tr><th class='label'>role</th><th class='label'>borough</th><th>least FTE meeting every service level</th>"
        "<th>theory's least FTE</th><th>cost-optimal FTE</th><th>within 1% of its cost</th>"
        "<th>yearly cost at the optimum (GBP m)</th><th>against the lowest level (GBP m)</th>"
        "<th>replications run</th><th>an even allocation</th></tr>"
    )
    rows = [
        f"<tr><td class='label'>{html.escape(r.role)}</td><td class='label'>{html.escape(r.borough)}</td>"
        f"<td>{_fte(r.least_fte)}</td><td>{_fte(r.least_fte_theory) if r.theory_applies else 'no theory'}</td>"
        f"<td>{r.best_fte:g}</td>"
        f"<td>{r.flat_from_fte:g} to {r.flat_to_fte:g}</td><td>{r.best_cost_per_year / 1e6:,.2f}</td>"
        f"<td>{r.best_vs_lowest_level / 1e6:+,.2f}</td>"
        f"<td>{r.replications}</td><td>{r.even_allocation}</td></tr>"
        for r in ans.itertuples()
    ]
    return "<table>" + head + "".join(rows) + "</table>"


def _curve(table: pd.DataFrame, role: str, measure: str, k: int) -> str:
    fig = go.Figure()
    mine = table[(table.role == role) & (table.measure == measure)]
    div = 1e6 if measure == COST else 1.0
    for j, (borough, g) in enumerate(mine.groupby("borough")):
        g = g.sort_values("fte")
        colour = COLOURS[j % len(COLOURS)]
        band(fig, g.fte, g["mean"] / div, g["low"] / div, g["high"] / div, borough, colour)
        if g.theory.notna().any():
            fig.add_trace(
                go.Scatter(
                    x=g.fte,
                    y=g.theory,
                    mode="lines",
                    line={"dash": "dash", "color": colour},
                    name=f"{borough}: queueing theory",
                )
            )
    threshold = mine.threshold.dropna()
    if not threshold.empty:
        fig.add_hline(y=float(threshold.iat[0]), line_dash="dot", line_color="#c00000", annotation_text="threshold")
    what = "yearly cost (staff and valued outcomes) less the lowest level's, GBP m" if measure == COST else measure
    title = f"{role}: {what}"
    fig.update_layout(title=title, xaxis_title=f"{role} FTE per borough")
    return plot_html(fig, f"sizing-{k}")


def _contours(grid: pd.DataFrame, loaded: LoadedSizing) -> list[str]:
    g = loaded.sizing.grid
    if g is None or grid.empty:
        return []
    a, b = g.roles
    parts = [f"<h2>{html.escape(a)} and {html.escape(b)} together: {html.escape(g.measure)}</h2>"]
    for k, (borough, d) in enumerate(grid.groupby("borough")):
        z = d.pivot_table(index=b, columns=a, values="mean")
        fig = go.Figure(go.Contour(x=z.columns, y=z.index, z=z.values, colorbar={"title": g.measure}))
        fig.update_layout(title=f"{borough}: {g.measure}", xaxis_title=f"{a} FTE", yaxis_title=f"{b} FTE")
        parts.append(plot_html(fig, f"grid-{k}"))
    return parts


HOW_TO_READ = (
    "<p class='note'>Each curve is a service level (or the yearly cost) at each FTE tried, a line per "
    "borough, with its band at the service level's confidence over replications; the dashed line is "
    "queueing theory's value for the same pool alone (Erlang C with the two-moment correction for "
    "fixed-length jobs; hour by hour for a rota), the dotted red line the threshold. Where "
    "simulation and theory part, the whole system is why. Below theory: the pool's work held up "
    "downstream, demand that bunches, a rota's queue carried into the next shift, a wait for a triage "
    "line before the call reaches the pool. Above it: calls that skip triage (a crisis an "
    "intervention diverts straight to rapid response), and a pool that cannot keep up, whose queue "
    "grows through the run from empty where theory's steady state has it waiting for ever. The least "
    "staffing meets every service level at its confidence, with no level above it "
    "failing. Every level runs on the same random numbers (replication r of each uses the same seed), "
    "so curves differ by staffing, not noise; replications go where they decide the answer (near a "
    "threshold and near the optimum) and the table shows how many runs that took against giving "
    "every level as many as the most-run one. The yearly cost is the role's FTE times its cost per "
    "FTE plus the borough's emergency admissions, bed days and delayed days valued at the cost basis; "
    "its optimum is the level of least mean cost, and the range within 1% of it shows how flat it is."
    "</p>"
)


def build_sizing_report(
    path: Path, table: pd.DataFrame, ans: pd.DataFrame, grid: pd.DataFrame, loaded: LoadedSizing, manifest: dict
) -> Path:
    s = loaded.sizing
    r = s.run
    body = [
        f"<h1>Workforce sizing: {html.escape(s.meta.name)}</h1>",
        f"<p>{html.escape(s.meta.description)}</p>",
        f"<p>Model {html.escape(loaded.model.model.meta.name)} ({html.escape(str(loaded.model.path.name))}), "
        f"{r.years} year(s) after a warm-up year, a sample of {r.scale:g} of the population whose queues are "
        f"the whole system's, seed {r.seed}; {r.first_reps} to {r.max_reps} replications a level.</p>",
        "<h2>The answer</h2>",
        answer_table(ans),
        HOW_TO_READ,
    ]
    k = 0
    for role in dict.fromkeys(table.role):
        body.append(f"<h2>{html.escape(role)}</h2>")
        for measure in dict.fromkeys(table[table.role == role].measure):
            body.append(_curve(table, role, measure, k))
            k += 1
    body += _contours(grid, loaded)
    body.append(
        f"<p class='small'>{manifest.get('replications', 0)} replications in {manifest.get('rounds', 0)} rounds. "
        "Full figures: sizing.csv (every curve), sizing_answers.csv, sizing_grid.csv.</p>"
    )
    write_text(page(body, f"wsic-sim sizing: {s.meta.name}"), path)
    return path


def write_sizing_outputs(out: Path, result, loaded: LoadedSizing) -> tuple[Path, pd.DataFrame]:
    """DIR/sizing.csv (every curve), sizing_answers.csv, sizing_grid.csv (with a grid) and
    sizing.html; returns the page's path and the answers."""
    from experiments.files import write_csv
    from experiments.sizing_summary import answers, curves, grid_table

    table = curves(result, loaded)
    ans = answers(table, result, loaded)
    grid = grid_table(result, loaded)
    write_csv(table, out / "sizing.csv")
    write_csv(ans, out / "sizing_answers.csv")
    if not grid.empty:
        write_csv(grid, out / "sizing_grid.csv")
    return build_sizing_report(out / "sizing.html", table, ans, grid, loaded, result.manifest), ans
