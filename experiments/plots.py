"""The report's plots, each an HTML fragment drawn from summaries already computed: the year-by-year
series, where the savings come from, and workforce load and service levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from experiments.economics import KINDS, SETTING_LABELS
from experiments.interval import half_width
from models.vocabulary import BULK_ROLES, STRATA

SERIES = (
    ("nel_admissions", "Emergency admissions", 1),
    ("bed_days", "Bed days", 1),
    ("excess_bed_days", "Delayed discharge (excess) bed days", 1),
    ("ae_attendances", "A&E attendances", 1),
    ("care_home_admissions", "Care home admissions", 1),
    ("cost_total", "Total cost of care, GBP m", 1e6),
)
BY_SETTING = (*SETTING_LABELS, "beds decommissioned")
KIND_BARS = ("cash-releasing", "capacity: staff time and places", "capacity: bed days freed")
BY_KIND = {  # board figure -> its bar's label
    **{f"gross savings: {label}": bar for label, bar in zip(KINDS.values(), KIND_BARS, strict=True)},
    "investment": "investment",
    "net cash-releasing savings": "net cash",
}
CREDITED = (("avoided_nel_admissions", "Emergency admissions avoided"), ("avoided_bed_days", "Bed days avoided"))
COLOURS = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6")
SYMBOLS = ("circle", "square", "diamond", "cross", "triangle-up")  # one per bulk role


def plot_html(fig: go.Figure, div_id: str) -> str:
    horizontal = any(getattr(t, "orientation", None) == "h" for t in fig.data)
    fig.update_layout(
        template="plotly_white",
        margin={"l": 230 if horizontal else 60, "r": 20, "t": 50, "b": 50},
        height=520 if horizontal else 380,
    )
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id)


def band(fig: go.Figure, x, mean, lo, hi, name: str, colour: str) -> None:
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


def _error_bars(above: pd.Series, below: pd.Series) -> dict:
    """Asymmetric error bars; none where one replication gives no interval."""
    return {"type": "data", "symmetric": False, "array": above.fillna(0), "arrayminus": below.fillna(0)}


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
            band(fig, d.year, d["mean"] / div, lo / div, hi / div, s, COLOURS[j % len(COLOURS)])
        fig.update_layout(title=title, xaxis_title="year", xaxis={"dtick": 1})
        parts.append(plot_html(fig, f"series-{k}"))
    return "".join(parts)


def _savings_by_setting(board: pd.DataFrame, scenarios: list[str]) -> str:
    fig = go.Figure()
    for j, s in enumerate(scenarios[1:]):
        b = board[(board.scenario == s) & board.figure.isin([f"gross savings: {x}" for x in BY_SETTING])]
        fig.add_trace(
            go.Bar(
                x=b.figure.str.removeprefix("gross savings: "),
                y=b["mean"],
                name=s,
                marker_color=COLOURS[(j + 1) % len(COLOURS)],
                error_y=_error_bars(b.ci_high - b["mean"], b["mean"] - b.ci_low),
            )
        )
    fig.update_layout(title="Gross savings over all years by setting, GBP m", barmode="group")
    return plot_html(fig, "savings-setting")


def _savings_by_stratum(summary: pd.DataFrame, scenarios: list[str]) -> str:
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
                marker_color=COLOURS[(j + 1) % len(COLOURS)],
                error_y=_error_bars((d.diff_mean - d.diff_ci_low) / 1e6, (d.diff_ci_high - d.diff_mean) / 1e6),
            )
        )
    # a resident's cost of care, which counts the days they used of commissioned places (the headline
    # counts those places whole as investment instead), so the strata need not add to gross savings
    fig.update_layout(
        title="Cost of care saved over all years by risk stratum (days used of commissioned places included), GBP m",
        barmode="group",
    )
    return plot_html(fig, "savings-stratum")


def _credited_by_intervention(summary: pd.DataFrame, scenarios: list[str]) -> list[str]:
    credited = summary[
        (summary.year == "total")
        & (summary.borough == "all")
        & (summary.stratum == "all")
        & (summary.intervention != "all")
    ]
    parts = []
    for k, (measure, title) in enumerate(CREDITED):
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
                    marker_color=COLOURS[(j + 1) % len(COLOURS)],
                    error_x=_error_bars(d.ci_high - d["mean"], d["mean"] - d.ci_low),
                )
            )
        if fig.data:
            fig.update_layout(title=f"{title} over all years, by intervention")
            parts.append(plot_html(fig, f"savings-intervention-{k}"))
    return parts


def _savings_by_kind(board: pd.DataFrame, scenarios: list[str]) -> str:
    """What a finance director reads: cash released against capacity freed, and the investment."""
    fig = go.Figure()
    for j, s in enumerate(scenarios[1:]):
        b = board[board.scenario == s].set_index("figure").reindex(list(BY_KIND)).dropna(subset=["mean"])
        fig.add_trace(
            go.Bar(
                x=[BY_KIND[f] for f in b.index],
                y=b["mean"],
                name=s,
                marker_color=COLOURS[(j + 1) % len(COLOURS)],
                error_y=_error_bars(b.ci_high - b["mean"], b["mean"] - b.ci_low),
            )
        )
    fig.update_layout(title="Savings by kind, investment and net cash over all years, GBP m", barmode="group")
    return plot_html(fig, "savings-kind")


def tornado_plot(tornado: pd.DataFrame) -> str:
    """Per scenario, each intervention's bar from its unfavourable to its favourable end's net savings."""
    parts = []
    for j, (scenario, g) in enumerate(tornado.groupby("scenario", sort=False)):
        g = g.sort_values("swing_gbp_m")  # plotly draws the first bar at the bottom: the largest on top
        low = np.minimum(g.net_favourable_gbp_m, g.net_unfavourable_gbp_m)
        names = g.intervention.str.replace("_", " ")
        fig = go.Figure(
            go.Bar(
                y=names,
                x=g.swing_gbp_m,
                base=low,
                orientation="h",
                marker_color=COLOURS[(j + 1) % len(COLOURS)],
                opacity=0.5,
                name="range",
                customdata=np.column_stack([g.net_unfavourable_gbp_m, g.net_favourable_gbp_m]),
                hovertemplate="unfavourable end %{customdata[0]:.1f}, favourable end %{customdata[1]:.1f} GBP m",
            )
        )
        for end, colour in (("favourable", "#548235"), ("unfavourable", "#c00000")):
            fig.add_trace(
                go.Scatter(x=g[f"net_{end}_gbp_m"], y=names, mode="markers", name=f"{end} end", marker_color=colour)
            )
        fig.add_vline(x=float(g.net_sampled_gbp_m.iat[0]), line_dash="dash", annotation_text="as sampled")
        fig.update_layout(
            title=f"{scenario}: five-year discounted net savings, GBP m, with each intervention's effects at "
            "either end of their range",
            xaxis_title="GBP m",
        )
        parts.append(plot_html(fig, f"tornado-{j}"))
    return "".join(parts)


def savings_plots(board: pd.DataFrame, summary: pd.DataFrame, scenarios: list[str]) -> str:
    """Savings by setting and by kind (board figures), by stratum and credited to each intervention
    (summary)."""
    if len(scenarios) < 2:
        return ""
    parts = [_savings_by_setting(board, scenarios), _savings_by_kind(board, scenarios)]
    parts.append(_savings_by_stratum(summary, scenarios))
    return "".join(parts + _credited_by_intervention(summary, scenarios))


def _rapid_response(replications: pd.DataFrame, scenarios: list[str]) -> str:
    """The two-hour rate is a ratio per replication, so its interval comes from the replication table,
    not from the summary's intervals of numerator and denominator."""
    t = replications
    whole = t[(t.borough == "all") & (t.stratum == "all") & (t.intervention == "all") & (t.year != "total")]
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
        half = np.nan_to_num(half_width(d["std"], d["count"]))  # one replication: no band
        band(fig, d.year, d["mean"], d["mean"] - half, d["mean"] + half, s, COLOURS[j % len(COLOURS)])
    fig.update_layout(title="Rapid response within two hours, % of episodes", xaxis={"dtick": 1})
    return plot_html(fig, "service-rr")


def _workforce_load(summary: pd.DataFrame, scenarios: list[str]) -> str:
    w = _whole(summary)
    fig = go.Figure()
    for j, s in enumerate(scenarios):
        for k, role in enumerate(BULK_ROLES):
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
                    line={"color": COLOURS[j % len(COLOURS)]},
                    marker={"symbol": SYMBOLS[k % len(SYMBOLS)]},
                )
            )
    fig.update_layout(title="Workforce load: hours demanded as % of hours available", xaxis={"dtick": 1})
    return plot_html(fig, "service-workforce")


def _backlogs(summary: pd.DataFrame) -> list[str]:
    iv = summary[
        (summary.year != "total")
        & (summary.borough == "all")
        & (summary.stratum == "all")
        & (summary.intervention != "all")
        & (summary.measure == "backlog")
    ]
    if iv.empty:
        return []
    fig = go.Figure()
    for (scenario, name), d in iv.groupby(["scenario", "intervention"]):
        d = d.assign(year=d.year.astype(int)).sort_values("year")
        if d["mean"].max() <= 0:
            continue
        fig.add_trace(go.Scatter(x=d.year, y=d["mean"], mode="lines+markers", name=f"{scenario}: {name}"))
    if not fig.data:
        return []
    fig.update_layout(title="People waiting to enrol (backlog), mean over the year", xaxis={"dtick": 1})
    return [plot_html(fig, "service-backlog")]


def service_plots(replications: pd.DataFrame, summary: pd.DataFrame, scenarios: list[str]) -> str:
    """The rapid-response rate, workforce load of the bulk roles and intervention backlogs."""
    parts = [_rapid_response(replications, scenarios), _workforce_load(summary, scenarios)]
    return "".join(parts + _backlogs(summary))
