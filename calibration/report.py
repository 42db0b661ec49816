"""The fit report: each target against what the fitted model achieved, as a table and plots."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from experiments.files import write_text
from models.vocabulary import STRATA

COLUMNS = (
    ("nel_cost", "Non-elective admissions"),
    ("other_hospital_cost", "Other hospital"),
    ("ooh_cost", "Out of hospital"),
    ("sc_cost", "Social care"),
)


def _fmt(v: float) -> str:
    return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"


def _row(r: pd.Series) -> str:
    """One target's row: observed, simulated, tolerance, relative error (none for a zero target)."""
    error = f"{(r['achieved'] - r['target']) / r['target']:+.1%}" if r["target"] else "–"
    return (
        f"<tr><td class='l'>{html.escape(r['name'])}</td><td>{_fmt(r['target'])}</td><td>{_fmt(r['achieved'])}</td>"
        f"<td>{_fmt(r['tolerance'])}</td><td>{error}</td>"
        f"<td class='{'ok' if r['within'] else 'no'}'>{'yes' if r['within'] else 'no'}</td></tr>"
    )


def _tables(t: pd.DataFrame) -> list[str]:
    """A table of targets per group, in the targets' order."""
    return [
        f"<h2>{html.escape(group)}</h2><table><tr><th class='l'>target</th><th>observed</th>"
        f"<th>simulated</th><th>tolerance (±)</th><th>error</th><th>within</th></tr>"
        f"{''.join(_row(r) for _, r in g.iterrows())}</table>"
        for group, g in t.groupby("group", sort=False)
    ]


def _figures(t: pd.DataFrame) -> list[str]:
    """Each cost column by stratum, then the cost tree's leaves: table against simulated."""
    figs = []
    named = t.set_index("name")
    for key, label in COLUMNS:
        fig = go.Figure()
        fig.add_trace(go.Bar(x=list(STRATA), y=[named.target.get(f"{s}:{key}") for s in STRATA], name="2010/11 table"))
        fig.add_trace(go.Bar(x=list(STRATA), y=[named.achieved.get(f"{s}:{key}") for s in STRATA], name="simulated"))
        fig.update_layout(
            title=f"{label}: GBP per head by stratum",
            barmode="group",
            template="plotly_white",
            height=360,
            yaxis_type="log",
        )
        figs.append(fig.to_html(full_html=False, include_plotlyjs=False))
    tree = t[t.group == "cost tree"]
    fig = go.Figure(
        [
            go.Bar(x=tree.name, y=tree.target, name="cost tree"),
            go.Bar(x=tree.name, y=tree.achieved, name="simulated, at the tree's level"),
        ]
    )
    fig.update_layout(
        title=(
            "Mean annual cost per cost-tree leaf (leaves of 500+ people), GBP; simulated x the tree's means "
            "over the simulated leaves / the simulated mean cost"
        ),
        barmode="group",
        template="plotly_white",
        height=360,
    )
    figs.append(fig.to_html(full_html=False, include_plotlyjs=False))
    return figs


def _cba_table(cba: pd.DataFrame, cba_observed: pd.DataFrame) -> str:
    m = cba.merge(cba_observed, on=["scenario", "stratum"], suffixes=("_sim", "_obs"))
    body = "".join(
        f"<tr><td class='l'>{r.scenario}</td><td class='l'>{r.stratum}</td>"
        + "".join(f"<td>{r[f'{c}_obs']:.1f}</td><td>{r[f'{c}_sim']:.1f}</td>" for c in ("gross", "reinvest", "net"))
        + "</tr>"
        for _, r in m.iterrows()
    )
    return (
        "<h2>CBA what-if (GBP m): table, then simulated</h2><table><tr><th>range</th><th>stratum</th>"
        "<th>gross</th><th></th><th>reinvest</th><th></th><th>net</th><th></th></tr>" + body + "</table>"
    )


def build(
    rows: list[dict],
    path: Path,
    title: str,
    notes: list[str],
    cba: pd.DataFrame | None = None,
    cba_observed: pd.DataFrame | None = None,
) -> Path:
    """Write the report (self-contained: plotly's script inside) and return its path."""
    t = pd.DataFrame(rows)
    parts = [f"<h1>{html.escape(title)}</h1>"] + [f"<p>{html.escape(n)}</p>" for n in notes]
    parts.append(f"<p><b>{int(t.within.sum())} of {len(t)} targets within tolerance.</b></p>")
    parts += _tables(t)
    parts.append("<h2>Plots</h2>" + "".join(_figures(t)))
    if cba is not None and cba_observed is not None:
        parts.append(_cba_table(cba, cba_observed))
    style = (
        "body{font-family:Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}"
        ".l{text-align:left}.ok{background:#dfd}.no{background:#fdd}"
    )
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style><script>{get_plotlyjs()}</script></head><body>{''.join(parts)}</body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(page, path)
    return path
