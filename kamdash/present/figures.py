"""Plotly figures of every page (no Streamlit). Each takes what a metric returned and builds
one figure that reads on a 1280x720 laptop and on a shared screen: at most `TOP_N`-ish items
per axis (callers cut and say so), labels shortened, money and percents formatted as on the
rest of the page, tier and RAG colours from `kamdash.fmt`.

Text from the extract (names, tiers, regions, products, header-derived criteria) is data, never
markup: Plotly reads a subset of HTML in every label (`<a href>` would be a live link), so each
such text goes through `fmt.plot_text` here, and never into a hover template itself (it is
passed as customdata).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kamdash.core import fmt

FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=13, color="#1b2733")
HEIGHT = 380


_AXIS = dict(gridcolor=fmt.GRID, zeroline=False, automargin=True)  # every axis of every figure


def _layout_dict(title: str | None = None, height: int = HEIGHT, **kw) -> dict:
    """The layout every figure shares (title, font, size, margins, legend) and `kw`."""
    return dict(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=15)) if title else None,
        font=FONT,
        height=height,
        margin=dict(l=10, r=10, t=46 if title else 16, b=10),
        paper_bgcolor="white",
        plot_bgcolor="white",
        hoverlabel=dict(font_size=13),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
        **kw,
    )


def _layout(fig: go.Figure, title: str | None = None, height: int = HEIGHT, **kw) -> go.Figure:
    fig.update_layout(**_layout_dict(title, height, **kw))
    fig.update_xaxes(**_AXIS)
    fig.update_yaxes(**_AXIS)
    return fig


def _figure(
    data: list,
    title: str | None = None,
    height: int = HEIGHT,
    xaxis: dict | None = None,
    yaxis: dict | None = None,
    *,
    title_style: dict | None = None,
    axes: dict | None = None,
    **kw,
) -> go.Figure:
    """The figure `_layout` would make of a go.Figure of `data` given `xaxis` / `yaxis`
    (update_xaxes / update_yaxes) and the rest of `kw` (update_layout, after `_layout`;
    `annotations` and `shapes` lists, left out when empty; a dict such as `margin` or `legend`
    updates the shared one, as update_layout would), built in one go: Plotly validates the
    layout once instead of on every update_* / add_* call, which costs more than the figure's
    data on a small chart. `title_style` updates the title (update_layout(title=...) after
    `_layout`), `axes` both axes after the shared axis style (update_*axes after `_layout`)."""
    layout = _layout_dict(title, height)
    layout["xaxis"] = {**(xaxis or {}), **_AXIS, **(axes or {})}
    layout["yaxis"] = {**(yaxis or {}), **_AXIS, **(axes or {})}
    for k, v in kw.items():
        if k in ("annotations", "shapes") and not v:
            continue
        base = layout.get(k)
        layout[k] = {**base, **v} if isinstance(base, dict) and isinstance(v, dict) else v
    if title_style and layout["title"]:
        layout["title"] = {**layout["title"], **title_style}
    fig = go.Figure(data=data, layout=layout)
    if not title:  # as _layout leaves it: an empty title object
        fig.update_layout(title=None)
    return fig


def _hline(y: float, line: dict) -> dict:
    """The shape fig.add_hline(y=y, line=line) adds (a line across the plot at y)."""
    return dict(type="line", x0=0, x1=1, xref="x domain", y0=y, y1=y, yref="y", line=line)


def _vline(x: float, line: dict) -> dict:
    """The shape fig.add_vline(x=x, line=line) adds (a line up the plot at x)."""
    return dict(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="y domain", line=line)


def _money_ticks(values: Sequence[float], currency: str = "$", n: int = 5):
    """Tick values and short money labels ($1.2M) for an axis spanning `values`."""
    vals = [float(v) for v in values if v is not None and not pd.isna(v)]
    if not vals:
        return None, None
    lo, hi = min(0.0, min(vals)), max(vals)
    if hi <= lo:
        return None, None
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = [start + i * step for i in range(int((hi - start) / step) + 2)]
    return ticks, [fmt.money(t, currency) for t in ticks]


def _wrap(text: str, width: int = 12) -> str:
    """Break a label into lines of about `width` characters (<br>) so axis labels stay level;
    the text itself is escaped (`fmt.plot_text`)."""
    words, lines, cur = str(text).split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    lines.append(cur)
    return "<br>".join(fmt.plot_text(line) for line in lines)


def empty(message: str, height: int = 200) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font=dict(size=14)
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, height=height)


# -- Portfolio ---------------------------------------------------------------------------------


def pareto_curve(p: pd.DataFrame, conc: dict | None = None, currency: str = "$") -> go.Figure:
    """Cumulative share of revenue vs cumulative share of accounts (ranked by TTM), with the
    top 10% / 20% points marked and the even-spread diagonal for reference."""
    if p.empty:
        return empty("No account with revenue in the trailing twelve months")
    x = [0.0, *p["cum_accounts_share"].astype(float)]
    y = [0.0, *p["cum_revenue_share"].astype(float)]
    traces = [
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line=dict(color=fmt.NEUTRAL, dash="dot", width=1),
            name="Even spread",
            hoverinfo="skip",
        ),
        go.Scatter(
            x=x,
            y=y,
            mode="lines",
            line=dict(color=fmt.PRIMARY, width=3),
            fill="tozeroy",
            fillcolor="rgba(31,78,121,0.10)",
            name="Revenue",
            customdata=[
                [0, 0.0],
                *[[int(r), float(t)] for r, t in zip(p["rank"], p["ttm"], strict=False)],
            ],
            hovertemplate="Top %{customdata[0]} accounts (%{x:.0%})<br>"
            "carry %{y:.0%} of TTM revenue<extra></extra>",
        ),
    ]
    for k, label in ((0.1, "top10"), (0.2, "top20")):
        share = (conc or {}).get(f"{label}_share")
        n_top = (conc or {}).get(f"{label}_accounts")
        if share is None or pd.isna(share) or not len(p):
            continue
        xk = float(n_top) / len(p) if n_top else k
        traces.append(
            go.Scatter(
                x=[xk],
                y=[float(share)],
                mode="markers+text",
                marker=dict(size=11, color=fmt.SECONDARY, line=dict(color="white", width=2)),
                text=[f"Top {int(k * 100)}%: {fmt.pct(share)}"],
                textposition="middle right",
                textfont=dict(size=14, color="#1b2733"),
                showlegend=False,
                hovertemplate=f"Top {int(k * 100)}% of accounts ({int(n_top or 0)}): "
                "%{y:.1%} of revenue<extra></extra>",
            )
        )
    return _figure(
        traces,
        "Revenue concentration (Pareto curve)",
        xaxis=dict(title="Share of accounts (ranked by TTM revenue)", tickformat=".0%"),
        yaxis=dict(title="Share of TTM revenue", tickformat=".0%", range=[0, 1.03]),
        showlegend=False,
    )


def tier_mix(df: pd.DataFrame) -> go.Figure:
    """Share of accounts vs share of TTM revenue per tier, as two 100% stacked bars.
    df: tier, accounts, revenue."""
    if df.empty:
        return empty("No tiers assigned")
    traces = []
    acc_total = float(df["accounts"].sum()) or 1.0
    rev_total = float(df["revenue"].sum()) or 1.0
    for r in df.itertuples(index=False):
        sa, sr = r.accounts / acc_total, r.revenue / rev_total
        tier = fmt.plot_text(r.tier)
        traces.append(
            go.Bar(
                y=["Accounts", "TTM revenue"],
                x=[sa, sr],
                orientation="h",
                name=tier,
                marker_color=fmt.tier_color(r.tier),
                text=[f"{tier}: {fmt.pct(sa)}", f"{tier}: {fmt.pct(sr)}"],
                textposition="inside",
                insidetextanchor="middle",
                textfont=dict(color="white" if r.tier in ("Tier 1", "Tier 2") else "#1b2733"),
                customdata=[[int(r.accounts), tier], [fmt.money(r.revenue), tier]],
                hovertemplate="%{customdata[1]}: %{x:.0%} (%{customdata[0]})<extra></extra>",
            )
        )
    return _figure(
        traces,
        "Share of accounts vs share of TTM revenue, by tier",
        height=190,
        xaxis=dict(tickformat=".0%", range=[0, 1], showgrid=False),
        yaxis=dict(autorange="reversed"),
        barmode="stack",
        bargap=0.3,
        showlegend=False,
        uniformtext=dict(minsize=11, mode="hide"),
    )


# -- Retention & wallet ------------------------------------------------------------------------


def _partial_notes(df: pd.DataFrame) -> list[dict]:
    """The "partial" note over the last partial quarter of `df`, if any (annotations)."""
    if "partial" in df and df["partial"].any():
        lab = df.loc[df["partial"].astype(bool), "label"].iloc[-1]
        return [
            dict(
                x=lab,
                y=1.0,
                yref="paper",
                text="partial",
                showarrow=False,
                font=dict(size=11, color=fmt.NEUTRAL),
                yanchor="bottom",
            )
        ]
    return []


def retention_trend(df: pd.DataFrame, target: float) -> go.Figure:
    """Portfolio NRR and GRR per quarter (quarters without enough history left out), with the
    NRR target (settings.nrr_target) as a dashed line."""
    d = df[df["nrr"].notna()]
    if d.empty:
        return empty("Not enough history for NRR yet: it needs eight quarters of revenue")
    lo = min(float(d["grr"].min()), float(d["nrr"].min()), target) - 0.05
    hi = max(float(d["nrr"].max()), target) + 0.06
    # the target as a dashed line named in the legend: no annotation inside the plot to
    # collide with a value label
    traces = [
        go.Scatter(
            x=d["label"],
            y=[target] * len(d),
            name=f"NRR target {fmt.pct(target)}",
            mode="lines",
            line=dict(color=fmt.GOOD, dash="dash", width=1),
            hoverinfo="skip",
        )
    ]
    for col, name, color in (("nrr", "NRR", fmt.PRIMARY), ("grr", "GRR", fmt.SECONDARY)):
        vals = d[col].astype(float)
        traces.append(
            go.Scatter(
                x=d["label"],
                y=vals,
                name=name,
                mode="lines+markers+text",
                line=dict(color=color, width=3),
                marker=dict(size=8),
                text=[fmt.pct(v) for v in vals],
                textposition=[_label_side(v, target, lo, hi, below=col == "grr") for v in vals],
                textfont=dict(size=12, color=color),
                hovertemplate=f"{name} %{{x}}: %{{y:.1%}}<extra></extra>",
            )
        )
    return _figure(
        traces,
        "NRR and GRR (trailing twelve months)",
        xaxis=dict(type="category"),
        yaxis=dict(tickformat=".0%", range=[lo, hi]),
        annotations=_partial_notes(d),
    )


# Plot height of a line chart's plotting area at HEIGHT (px), for placing value labels
_PLOT_PX = HEIGHT - 110
_LABEL_PX = 24  # a value label above or below its marker takes about this much height


def _label_side(v: float, line: float, lo: float, hi: float, below: bool = False) -> str:
    """Where a marker's value label goes so that a horizontal line at `line` never crosses it:
    away from the line when the marker is within a label's height of it; else above (below
    when `below`, the lower series)."""
    gap = (line - v) / (hi - lo) * _PLOT_PX if hi > lo else 0.0
    if 0 <= gap < _LABEL_PX:  # just under the line: a label above would be crossed
        return "bottom center"
    if -_LABEL_PX < gap < 0:  # just over it: a label below would be crossed
        return "top center"
    return "bottom center" if below else "top center"


def retention_by_group(
    df: pd.DataFrame,
    metric: str = "nrr",
    dim_label: str = "group",
    order: Sequence[str] | None = None,
    accounts: dict[str, int] | None = None,
    too_few: Sequence[str] = (),
) -> go.Figure:
    """NRR (or GRR) per quarter, one line per group of `df`, in `order` (default: largest TTM
    revenue first), each named with its cohort's account count ("Tier 1 (n=12)"); the groups
    in `too_few` are drawn thin, dashed and grey, named "too few to compare", and do not set
    the y axis: they are shown, never as if comparable."""
    d = df[df[metric].notna()]
    if d.empty:
        return empty("Not enough history for retention by group yet")
    last = d[d["quarter"] == d["quarter"].max()].sort_values("ttm_revenue", ascending=False)
    groups = [g for g in (order or last["group"]) if g in set(d["group"])]
    few = set(too_few)
    traces = []
    for i, g in enumerate(groups):
        gd = d[d["group"] == g]
        n = (accounts or {}).get(g)
        name = fmt.plot_text(fmt.short(g, 24)) + ("" if n is None else f" (n={n:,})")
        if g in few:
            name += " · too few to compare"
            line, marker = dict(color="#b0b0b0", width=1.5, dash="dot"), dict(size=5)
        else:
            color = fmt.TIER_COLORS.get(g) or fmt.PALETTE[i % len(fmt.PALETTE)]
            line, marker = dict(color=color, width=2.5), dict(size=7)
        traces.append(
            go.Scatter(
                x=gd["label"],
                y=gd[metric].astype(float),
                name=name,
                mode="lines+markers",
                line=line,
                marker=marker,
                opacity=0.8 if g in few else 1.0,
                customdata=[
                    [fmt.plot_text(g), int(c) if pd.notna(c) else 0]
                    for c in gd.get("cohort_accounts", [None] * len(gd))
                ],
                hovertemplate="%{customdata[0]} %{x}: %{y:.1%} (%{customdata[1]} accounts)"
                + ("<br>too few accounts to compare" if g in few else "")
                + "<extra></extra>",
            )
        )
    shown = d[d["group"].isin([g for g in groups if g not in few])][metric].astype(float)
    yaxis = dict(tickformat=".0%")
    if len(shown) and few:
        # the axis is set by the comparable groups; a small group off it runs off the chart
        span = max(float(shown.max()) - float(shown.min()), 0.1)
        yaxis["range"] = [float(shown.min()) - 0.15 * span, float(shown.max()) + 0.15 * span]
    return _figure(
        traces,
        f"{metric.upper()} by {dim_label}",
        xaxis=dict(type="category"),
        yaxis=yaxis,
        shapes=[_hline(1.0, dict(color=fmt.NEUTRAL, width=1, dash="dot"))],
        legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top"),
    )


def program_trend(
    df: pd.DataFrame, measure: str, label: str, group_label: str = "KAM", currency: str = "$"
) -> go.Figure:
    """One KAM program measure per quarter, a line per group (`views.program.trend`): the
    groups with most TTM revenue in the last quarter first, each in its own colour; money on a
    money axis (ttm_revenue), the ratios in percent (100% dotted for NRR and GRR)."""
    d = df[df[measure].notna()]
    if d.empty:
        return empty(f"No {label} to show for these quarters yet")
    last = df[df["quarter"] == df["quarter"].max()].sort_values("ttm_revenue", ascending=False)
    groups = [g for g in last["group"] if g in set(d["group"])]
    groups += sorted(set(d["group"]) - set(groups))
    money = measure == "ttm_revenue"
    traces = []
    for i, g in enumerate(groups):
        gd = d[d["group"] == g]
        vals = gd[measure].astype(float)
        shown = [fmt.money(v, currency) if money else fmt.pct(v) for v in vals]
        traces.append(
            go.Scatter(
                x=gd["label"],
                y=vals,
                name=fmt.plot_text(fmt.short(g, 22)),
                mode="lines+markers",
                line=dict(color=fmt.PALETTE[i % len(fmt.PALETTE)], width=2.5),
                marker=dict(size=7),
                customdata=[[fmt.plot_text(g), s] for s in shown],
                hovertemplate="%{customdata[0]} %{x}: %{customdata[1]}<extra></extra>",
            )
        )
    yaxis, shapes = {}, []
    if money:
        ticks, texts = _money_ticks(d[measure].astype(float), currency)
        if ticks:
            yaxis = dict(tickvals=ticks, ticktext=texts, rangemode="tozero")
    elif measure in ("nrr", "grr"):
        yaxis = dict(tickformat=".0%")
        shapes = [_hline(1.0, dict(color=fmt.NEUTRAL, width=1, dash="dot"))]
    else:  # a share of accounts or of wallet: from zero, so a dip reads at its true size
        yaxis = dict(tickformat=".0%", rangemode="tozero")
    return _figure(
        traces,
        f"{label} by {group_label}",
        height=420,
        xaxis=dict(type="category", categoryorder="array", categoryarray=list(df["label"])),
        yaxis=yaxis,
        annotations=_partial_notes(d),
        shapes=shapes,
        legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top"),
    )


def revenue_bridge(totals: dict, start_label: str, end_label: str, currency: str = "$"):
    """Waterfall: start + new + expansion + reactivation - contraction - churn = end."""
    steps = [
        ("Start " + start_label, totals["start"], "absolute"),
        ("New", totals["new"], "relative"),
        ("Expansion", totals["expansion"], "relative"),
        ("Reactivation", totals["reactivation"], "relative"),
        ("Contraction", -totals["contraction"], "relative"),
        ("Churn", -totals["churn"], "relative"),
        ("End " + end_label, totals["end"], "total"),
    ]
    labels = [s[0] for s in steps]
    vals = [float(s[1]) for s in steps]
    text = [
        fmt.money(v, currency) if m != "relative" else fmt.signed_money(v, currency)
        for (_, v, m) in steps
    ]
    bars = go.Waterfall(
        x=labels,
        y=vals,
        measure=[s[2] for s in steps],
        text=text,
        textposition="outside",
        textfont=dict(size=13),
        connector=dict(line=dict(color=fmt.GRID)),
        increasing=dict(marker=dict(color=fmt.GOOD)),
        decreasing=dict(marker=dict(color=fmt.BAD)),
        totals=dict(marker=dict(color=fmt.PRIMARY)),
        hovertemplate="%{x}: %{text}<extra></extra>",
    )
    running, peak = 0.0, 0.0
    for v, (_, _, m) in zip(vals, steps, strict=True):
        running = v if m != "relative" else running + v
        peak = max(peak, running)
    top = peak * 1.12
    ticks, tick_text = _money_ticks([0, top], currency)
    return _figure(
        [bars],
        f"Revenue bridge {start_label} → {end_label}",
        xaxis=dict(type="category"),
        yaxis=dict(tickvals=ticks, ticktext=tick_text, range=[0, top]),
        showlegend=False,
    )


def sow_trend(df: pd.DataFrame) -> go.Figure:
    """Share of wallet per quarter (portfolio or a group)."""
    d = df[df["share_of_wallet"].notna()]
    if d.empty:
        return empty("No share of wallet: no account has both revenue and a wallet estimate")
    vals = d["share_of_wallet"].astype(float)
    line = go.Scatter(
        x=d["label"],
        y=vals,
        mode="lines+markers+text",
        line=dict(color=fmt.PRIMARY, width=3),
        marker=dict(size=8),
        text=[fmt.pct(v) for v in vals],
        textposition="top center",
        textfont=dict(size=12),
        customdata=[
            [fmt.money(a), fmt.money(b), int(n)]
            for a, b, n in zip(
                d["ttm_covered"], d["wallet_covered"], d["accounts_with_estimate"], strict=False
            )
        ],
        hovertemplate="%{x}: %{y:.1%}<br>TTM %{customdata[0]} of wallet %{customdata[1]}"
        "<br>%{customdata[2]} accounts with an estimate<extra></extra>",
    )
    return _figure(
        [line],
        "Share of wallet (TTM revenue / wallet estimate)",
        xaxis=dict(type="category"),
        yaxis=dict(tickformat=".0%", range=[0, max(0.1, float(vals.max()) * 1.25)]),
        annotations=_partial_notes(d),
        showlegend=False,
    )


QUADRANT_COLORS = {
    "Grow": fmt.SECONDARY,
    "Defend": fmt.PRIMARY,
    "Maintain": "#2e8b57",
    "Monitor": fmt.NEUTRAL,
}


def wallet_quadrant(
    df: pd.DataFrame,
    wallet_median: float | None,
    share_median: float | None,
    labels: Sequence[str] | None = None,
    n_labels: int = 8,
    currency: str = "$",
) -> go.Figure:
    """Wallet size (log x) vs share of wallet (y), bubble = TTM revenue, colour = quadrant,
    median lines, the largest `n_labels` accounts by TTM labelled."""
    if df.empty:
        return empty("No active account with a wallet estimate")
    d = df.copy()
    d["label"] = list(labels) if labels is not None else d["account_name"].fillna(d["account_id"])
    d["q"] = [str(q).split(":")[0] for q in d["quadrant"]]
    smax = float(d["ttm"].max()) or 1.0
    d["size"] = [6 + 26 * math.sqrt(max(v, 0) / smax) for v in d["ttm"]]
    # the hover text of every account at once, as one array: Plotly validates (and copies) an
    # array in one go, a list of lists item by item (thousands of accounts)
    hover = np.array(
        [
            [fmt.plot_text(lab), fmt.money(t, currency), fmt.money(w, currency)]
            for lab, t, w in zip(d["label"], d["ttm"], d["wallet"], strict=False)
        ],
        dtype=object,
    ).reshape(-1, 3)
    in_q = d["q"].to_numpy()
    traces = []
    for q, color in QUADRANT_COLORS.items():
        m = in_q == q
        if not m.any():
            continue
        qd = d[m]
        traces.append(
            dict(
                type="scatter",
                x=qd["wallet"],
                y=qd["share"].clip(upper=1.5),
                mode="markers",
                name=q,
                marker=dict(
                    size=qd["size"].tolist(),
                    color=color,
                    opacity=0.7,
                    line=dict(color="white", width=1),
                ),
                customdata=hover[m],
                hovertemplate="<b>%{customdata[0]}</b><br>Wallet %{customdata[2]}<br>"
                "TTM %{customdata[1]}<br>Share %{y:.0%}<extra>" + q + "</extra>",
            )
        )
    lo, hi = float(d["wallet"].min()), float(d["wallet"].max())
    x_range = [math.log10(lo) - 0.15, math.log10(hi) + 0.15]
    share = d["share"].clip(upper=1.5).astype(float)
    y_range = [min(0.0, float(share.min())) - 0.06, float(share.max()) + 0.12]
    annotations = _quadrant_labels(d.nlargest(n_labels, "ttm"), x_range, y_range)
    annotations += _quadrant_corners()
    median = dict(color=fmt.NEUTRAL, dash="dash", width=1)
    shapes = [_vline(wallet_median, median)] if wallet_median else []
    if share_median is not None:
        shapes.append(_hline(share_median, median))
    ticks = [
        10**e * m
        for e in range(int(math.floor(math.log10(lo))), int(math.ceil(math.log10(hi))) + 1)
        for m in (1, 3)
        if lo / 3 <= 10**e * m <= hi * 3
    ]
    return _figure(
        traces,
        "Wallet size vs share of wallet",
        height=440,
        xaxis=dict(
            type="log",
            title="Wallet estimate (log scale)",
            tickvals=ticks,
            ticktext=[fmt.money(t, currency) for t in ticks],
            range=x_range,
        ),
        yaxis=dict(title="Share of wallet", tickformat=".0%", range=y_range),
        annotations=annotations,
        shapes=shapes,
    )


# The wallet quadrant's plotting area at 1280x720 with the sidebar open (px), and the label
# offsets tried in turn (label centre relative to its bubble, y down)
_QUAD_W, _QUAD_H = 720, 320
_QUAD_OFFSETS = [
    (dx * k, dy * k)
    for k in (1.0, 1.6, 2.3)
    for dx, dy in ((45, -26), (-45, -26), (45, 26), (-45, 26), (0, -34), (0, 34), (90, 0), (-90, 0))
] + [  # then a ladder of rows either side, for a crowded corner
    (dx, dy) for dy in range(-180, 181, 20) for dx in (80, -80, 160, -160, 0) if dy
]


def _overlap(a: tuple, b: tuple) -> float:
    """Overlapping area of two boxes (x0, y0, x1, y1)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def place_labels(
    points: list[tuple[float, float, float]], widths: list[float], height: float = 18
) -> list[tuple[float, float]]:
    """Label offsets (dx, dy, px) for points (x, y, radius, px; y down) in a _QUAD_W x _QUAD_H
    area, each the first of _QUAD_OFFSETS whose box overlaps no label placed before it, no
    labelled bubble and stays inside (else the least overlapping): labels never collide when
    there is room."""
    bubbles = [(x - r, y - r, x + r, y + r) for x, y, r in points]
    placed: list[tuple] = []
    out = []
    for (x, y, _), w in zip(points, widths, strict=True):
        best, best_cost = _QUAD_OFFSETS[0], math.inf
        for dx, dy in _QUAD_OFFSETS:
            cx, cy = x + dx, y + dy
            box = (cx - w / 2, cy - height / 2, cx + w / 2, cy + height / 2)
            cost = sum(_overlap(box, b) for b in placed) + sum(_overlap(box, b) for b in bubbles)
            outside = max(0, -box[0]) + max(0, box[2] - _QUAD_W) + max(0, -box[1])
            cost += (outside + max(0, box[3] - _QUAD_H)) * height
            if cost < best_cost:
                best, best_cost = (dx, dy), cost
            if cost == 0:
                break
        cx, cy = x + best[0], y + best[1]
        placed.append((cx - w / 2, cy - height / 2, cx + w / 2, cy + height / 2))
        out.append(best)
    return out


def _quadrant_labels(top: pd.DataFrame, x_range, y_range) -> list[dict]:
    """The annotations naming the given accounts' bubbles (largest first), each label where it
    collides with no other label nor a labelled bubble (`place_labels`)."""
    top = top.sort_values("ttm", ascending=False)
    texts = [fmt.short(r, 20) for r in top["label"]]
    pts = [
        (
            (math.log10(w) - x_range[0]) / (x_range[1] - x_range[0]) * _QUAD_W,
            (y_range[1] - min(sh, 1.5)) / (y_range[1] - y_range[0]) * _QUAD_H,
            size / 2,
        )
        for w, sh, size in zip(top["wallet"], top["share"], top["size"], strict=True)
    ]
    offsets = place_labels(pts, [7.0 * len(t) + 10 for t in texts])
    return [
        dict(
            x=math.log10(r.wallet),
            y=min(r.share, 1.5),
            text=fmt.plot_text(text),
            showarrow=True,
            arrowhead=0,
            arrowcolor=fmt.NEUTRAL,
            ax=ax,
            ay=ay,
            font=dict(size=11),
            bgcolor="rgba(255,255,255,0.8)",
        )
        for r, text, (ax, ay) in zip(top.itertuples(index=False), texts, offsets, strict=True)
    ]


def _quadrant_corners() -> list[dict]:
    corners = (
        (0.99, 0.02, "right", "bottom", "GROW: large wallet, low share"),
        (0.99, 0.98, "right", "top", "DEFEND"),
        (0.01, 0.98, "left", "top", "MAINTAIN"),
        (0.01, 0.02, "left", "bottom", "MONITOR"),
    )
    return [
        dict(
            x=x,
            y=y,
            xref="paper",
            yref="paper",
            xanchor=xa,
            yanchor=ya,
            text=text,
            showarrow=False,
            font=dict(size=11, color=fmt.NEUTRAL),
        )
        for x, y, xa, ya, text in corners
    ]


# -- Tiers -------------------------------------------------------------------------------------

HEATMAP_VALUE_LABELS = {"revenue": "TTM revenue", "nrr": "NRR", "count": "Accounts"}


def _heat_text(v, value: str, currency: str) -> str:
    if v is None or pd.isna(v):
        return "–"
    if value == "revenue":
        return fmt.money(v, currency)
    if value == "nrr":
        return fmt.pct(v)
    return f"{int(v):,}"


def tier_heatmap(grid: pd.DataFrame, value: str, dim_label: str, currency: str = "$") -> go.Figure:
    """Tier (rows) x dimension (columns) heatmap of revenue, NRR or account counts; each cell
    labelled. The 'All' column is dropped (row totals go in the row labels)."""
    g = grid.drop(columns=[c for c in grid.columns if c == "All"])
    if g.empty or not len(g.columns):
        return empty("Nothing to show for these filters")
    totals = grid["All"] if "All" in grid.columns else None
    rows_lab = [
        f"{fmt.plot_text(t)}  ({_heat_text(totals[t], value, currency)})"
        if totals is not None
        else fmt.plot_text(t)
        for t in g.index
    ]
    z = g.to_numpy(dtype=float)
    text = [[_heat_text(v, value, currency) for v in row] for row in z]
    if value == "nrr":
        colorscale = [[0.0, "#c62828"], [0.5, "#f7f7f7"], [1.0, "#2e7d32"]]
        zmid, zmin, zmax = 1.0, 0.6, 1.4
        cb = dict(tickformat=".0%", title="NRR")
    else:
        colorscale, zmid, zmin, zmax = fmt.SCALE_REVENUE, None, 0, None
        cb = dict(title=HEATMAP_VALUE_LABELS[value])
        if value == "revenue":
            ticks, labels = _money_ticks([0, float(pd.Series(z.ravel()).max(skipna=True) or 0)])
            cb.update(tickvals=ticks, ticktext=labels)
    heat = go.Heatmap(
        z=z,
        x=[
            _wrap(fmt.short(c, 24)) if len(g.columns) <= 6 else fmt.plot_text(fmt.short(c, 18))
            for c in g.columns
        ],
        y=rows_lab,
        text=text,
        texttemplate="%{text}",
        textfont=dict(size=13),
        colorscale=colorscale,
        zmid=zmid,
        zmin=zmin,
        zmax=zmax,
        xgap=2,
        ygap=2,
        colorbar=dict(thickness=12, len=0.9, **cb),
        hovertemplate="%{y}<br>%{x}: %{text}<extra></extra>",
    )
    title = f"{HEATMAP_VALUE_LABELS[value]} by tier and {dim_label}"
    return _figure(
        [heat],
        title,
        height=(170 if len(g.columns) <= 6 else 230) + 70 * len(g.index),
        xaxis=dict(side="top", showgrid=False, tickangle=0 if len(g.columns) <= 6 else -35),
        yaxis=dict(autorange="reversed", showgrid=False),
        title_style=dict(y=0.99, yref="container", yanchor="top"),
        margin=dict(t=80 if len(g.columns) <= 6 else 140),
    )


NAME_CHARS = 40  # account names on a chart axis: whole up to this length


def scorecard_heatmap(
    table: pd.DataFrame,
    criteria: Sequence[str],
    weights: dict[str, float],
    labels: Sequence[str],
    t1: float,
    t2: float,
) -> go.Figure:
    """Accounts (rows, in the given order) x tiering criteria (1-5, red to green) plus the tier
    score column, each cell labelled; row labels carry the assigned tier."""
    if table.empty:
        return empty("No account scored")
    total_w = sum(weights.values()) or 1.0
    cols = [*criteria, "tier_score"]
    xlab = [
        f"{_wrap(c.replace('_', ' ').capitalize(), 10)}<br><b>{weights.get(c, 0) / total_w:.0%}</b>"
        for c in criteria
    ] + ["<b>Tier<br>score</b>"]
    z = table[cols].to_numpy(dtype=float)
    text = [
        [
            ("–" if pd.isna(v) else (f"{v:.1f}" if j == len(cols) - 1 else f"{v:g}"))
            for j, v in enumerate(r)
        ]
        for r in z
    ]
    # whole names (a name longer than NAME_CHARS is cut on the axis, whole in the hover); a
    # label is unique per row, so two accounts of one name keep two rows
    ylab = [
        f"{fmt.plot_text(fmt.short(lab, NAME_CHARS))} · "
        + fmt.plot_text(t if isinstance(t, str) else "–")
        + "\u200b" * k
        for k, (lab, t) in enumerate(zip(labels, table["assigned_tier"], strict=False))
    ]
    full = [fmt.plot_text(lab) for lab in labels]
    heat = go.Heatmap(
        z=z,
        x=xlab,
        y=ylab,
        text=text,
        texttemplate="%{text}",
        textfont=dict(size=12),
        colorscale=fmt.SCALE_SCORE,
        zmin=1,
        zmax=5,
        xgap=2,
        ygap=2,
        colorbar=dict(thickness=12, title="Score", tickvals=[1, 2, 3, 4, 5]),
        customdata=[
            [[name, s]] * len(cols) for name, s in zip(full, table["suggested_tier"], strict=False)
        ],
        hovertemplate="%{customdata[0]}<br>%{x}: %{text}<br>suggested %{customdata[1]}"
        "<extra></extra>",
    )
    return _figure(
        [heat],
        height=120 + 24 * len(table),
        xaxis=dict(side="top", showgrid=False, tickfont=dict(size=12), tickangle=0),
        yaxis=dict(autorange="reversed", showgrid=False, tickfont=dict(size=12)),
        margin=dict(t=80),
    )


def tier_matrix(table: pd.DataFrame) -> go.Figure:
    """Assigned tier (rows) x suggested tier (columns), account counts. Cells on the diagonal
    (match) in blue, off it in orange: above the diagonal under-served (assigned a lower tier
    than suggested), below it over-served; deeper colour = more accounts."""
    t = table[table["suggested_tier"].notna()]
    if t.empty:
        return empty("No account scored")
    assigned = t["assigned_tier"].fillna(fmt.UNTIERED)
    ct = pd.crosstab(assigned, t["suggested_tier"])
    rows = [r for r in (*fmt.TIERS, fmt.UNTIERED) if r in ct.index or r in fmt.TIERS]
    ct = ct.reindex(index=rows, columns=list(fmt.TIERS), fill_value=0)
    n_max = float(ct.to_numpy().max()) or 1.0
    zc = []
    for r in ct.index:
        row = []
        for c in ct.columns:
            v = float(ct.at[r, c])
            share = 0.15 + 0.85 * (v / n_max) ** 0.5 if v else 0.0
            row.append(share if r == c else -share)
        zc.append(row)
    scale = [
        [0.0, "#c25a0b"],
        [0.45, "#fbe3cc"],
        [0.5, "#f7f7f7"],
        [0.55, "#dbe8f5"],
        [1.0, "#1f4e79"],
    ]
    text = [[f"{int(v):,}" for v in row] for row in ct.to_numpy()]
    heat = go.Heatmap(
        z=zc,
        # short column labels (a narrow column at 1280 px): "Suggested" is the axis title
        x=list(ct.columns),
        y=[f"Assigned {r}" if r in fmt.TIERS else r for r in ct.index],
        text=text,
        texttemplate="%{text}",
        textfont=dict(size=18),
        colorscale=scale,
        zmin=-1,
        zmax=1,
        showscale=False,
        xgap=3,
        ygap=3,
        hovertemplate="%{y}, suggested %{x}: %{text} accounts<extra></extra>",
    )
    return _figure(
        [heat],
        height=100 + 64 * len(ct.index),
        xaxis=dict(
            side="top", showgrid=False, tickangle=0, title=dict(text="Suggested", standoff=4)
        ),
        yaxis=dict(autorange="reversed", showgrid=False),
    )


def tier_sankey(before: pd.Series, after: pd.Series) -> go.Figure:
    """Suggested tier now (left) -> suggested tier with the what-if weights (right), per account
    (two Series indexed by account_id)."""
    both = pd.DataFrame({"a": before, "b": after}).fillna("Not scored")
    if both.empty:
        return empty("No account scored")
    flows = both.groupby(["a", "b"]).size().reset_index(name="n")
    order = [*fmt.TIERS, "Not scored"]
    left = [t for t in order if t in set(flows["a"])]
    right = [t for t in order if t in set(flows["b"])]
    nodes = [f"{t} now" for t in left] + [f"{t} what-if" for t in right]
    colors = [fmt.tier_color(t) for t in left] + [fmt.tier_color(t) for t in right]
    src = [left.index(a) for a in flows["a"]]
    dst = [len(left) + right.index(b) for b in flows["b"]]
    link_colors = [
        "rgba(200,200,200,0.45)" if a == b else "rgba(224,123,57,0.75)"
        for a, b in zip(flows["a"], flows["b"], strict=False)
    ]
    counts_l = flows.groupby("a")["n"].sum()
    counts_r = flows.groupby("b")["n"].sum()
    labels = [f"{t}: {int(counts_l[t]):,}" for t in left] + [
        f"{t}: {int(counts_r[t]):,}" for t in right
    ]
    sankey = go.Sankey(
        arrangement="fixed",
        node=dict(
            label=labels,
            color=colors,
            pad=18,
            thickness=18,
            line=dict(color="white", width=1),
            customdata=nodes,
            hovertemplate="%{customdata}: %{value} accounts<extra></extra>",
        ),
        link=dict(
            source=src,
            target=dst,
            value=list(flows["n"]),
            color=link_colors,
            hovertemplate="%{source.customdata} → %{target.customdata}: %{value}<extra></extra>",
        ),
        textfont=dict(size=14, color="#1b2733"),
    )
    notes = [
        dict(
            x=x,
            y=1.0,
            xref="paper",
            yref="paper",
            text=f"<b>{text}</b>",
            showarrow=False,
            xanchor=anchor,
            yanchor="bottom",
            font=dict(size=13),
        )
        for x, text, anchor in ((0, "Now (settings)", "left"), (1, "What-if", "right"))
    ]
    return _figure(
        [sankey],
        "Suggested tier: now → with the what-if weights",
        height=360,
        annotations=notes,
        margin=dict(t=70),
    )


# -- Whitespace --------------------------------------------------------------------------------


def whitespace_grid(
    ttm: pd.DataFrame,
    potential: pd.DataFrame,
    pipeline: pd.DataFrame,
    row_labels: Sequence[str],
    title: str,
    currency: str = "$",
) -> go.Figure:
    """Rows x products. Filled cells (TTM > 0) in blues labelled with revenue; empty cells in
    oranges by potential, labelled '+$84k' in italics (grey '·' without potential); cells with
    open pipeline carry a ◆ in the corner. The three frames share index and columns; labels
    and `title` are plain text (escaped here)."""
    if ttm.empty or not len(ttm.columns):
        return empty("Nothing to show for these filters")
    cols = list(ttm.columns)
    t = ttm.to_numpy(dtype=float)
    p = potential.reindex(index=ttm.index, columns=cols).to_numpy(dtype=float)
    # NaN: not in pipeline; 0: open deals whose amounts are unknown
    pl = pipeline.reindex(index=ttm.index, columns=cols).to_numpy(dtype=float)
    filled = t > 0
    has_pot = ~filled & (p > 0)  # NaN compares False: no potential
    txt_pot = [
        ["" if f else (f"<i>+{fmt.money(v, currency)}</i>" if h else "·") for v, f, h in cells]
        for cells in np.stack([p, filled, has_pot], axis=-1).tolist()
    ]
    xs, ys = list(range(len(cols))), list(range(len(ttm.index)))
    cells = [[[fmt.plot_text(row_labels[i]), fmt.plot_text(cols[j])] for j in xs] for i in ys]
    # a pale grey base under the empty cells, then potential in oranges, then revenue in blues
    traces = [
        _grid_layer(
            _where(np.zeros_like(t), ~filled),
            xs,
            ys,
            colorscale=[[0, "#f4f5f7"], [1, "#f4f5f7"]],
            hoverinfo="skip",
        ),
        _grid_layer(
            _where(p, has_pot),
            xs,
            ys,
            text=txt_pot,
            colorscale=fmt.SCALE_POTENTIAL,
            customdata=cells,
            hovertemplate="%{customdata[0]} · %{customdata[1]}<br>not bought; potential %{text}"
            "<extra></extra>",
        ),
        _grid_layer(
            _where(t, filled),
            xs,
            ys,
            text=[
                [fmt.money(v, currency) if f else "" for v, f in zip(r, fr, strict=True)]
                for r, fr in zip(t, filled, strict=True)
            ],
            colorscale=fmt.SCALE_REVENUE,
            customdata=cells,
            hovertemplate="%{customdata[0]} · %{customdata[1]}<br>TTM revenue %{text}"
            "<extra></extra>",
        ),
        *_no_potential_dots(txt_pot),
        *_pipeline_marks(pl, row_labels, cols, currency),
    ]
    xaxis, yaxis = _grid_axes(cols, row_labels)
    return _figure(
        traces,
        fmt.plot_text(title),
        height=130 + 30 * len(ys),
        xaxis=xaxis,
        yaxis=yaxis,
        showlegend=False,
        margin=dict(t=90),
    )


def _where(values: np.ndarray, mask: np.ndarray) -> list[list[float | None]]:
    """`values` as nested lists, None where `mask` is False (a transparent heatmap cell)."""
    return [
        [float(v) if m else None for v, m in zip(r, mr, strict=True)]
        for r, mr in zip(values, mask, strict=True)
    ]


def _grid_layer(z, xs, ys, text=None, **kw) -> go.Heatmap:
    """One layer of the whitespace grid: cells without a value (None) are left transparent."""
    if text is not None:
        kw.update(text=text, texttemplate="%{text}", textfont=dict(size=12), zmin=0)
    return go.Heatmap(z=z, x=xs, y=ys, showscale=False, xgap=2, ygap=2, **kw)


def _no_potential_dots(txt_pot: list[list[str]]) -> list[go.Scatter]:
    """A grey '·' on empty cells without potential (the potential layer leaves them blank):
    the trace, if any."""
    at = [(j, i) for i, r in enumerate(txt_pot) for j, v in enumerate(r) if v == "·"]
    if not at:
        return []
    return [
        go.Scatter(
            x=[j for j, _ in at],
            y=[i for _, i in at],
            mode="text",
            text=["·"] * len(at),
            textfont=dict(color="#9aa5b1", size=14),
            hoverinfo="skip",
            showlegend=False,
        )
    ]


def _pipeline_marks(pl, row_labels: Sequence[str], cols: list, currency: str) -> list[go.Scatter]:
    """A ◆ in the top-right corner of each cell with open pipeline: the trace, if any."""
    at = [(i, j) for i in range(len(pl)) for j in range(len(cols)) if not np.isnan(pl[i][j])]
    if not at:
        return []
    return [
        go.Scatter(
            x=[j + 0.36 for _, j in at],
            y=[i - 0.28 for i, _ in at],
            mode="markers",
            marker=dict(
                symbol="diamond", size=9, color="#8e44ad", line=dict(color="white", width=1)
            ),
            name="Open pipeline",
            text=[
                f"{fmt.plot_text(row_labels[i])} · {fmt.plot_text(cols[j])}: open pipeline "
                + (fmt.money(pl[i][j], currency) if pl[i][j] else "(amount unknown)")
                for i, j in at
            ],
            hovertemplate="%{text}<extra></extra>",
        )
    ]


def _grid_axes(cols: list, row_labels: Sequence[str]) -> tuple[dict, dict]:
    """The x and y axes of the whitespace grid (products along the top, rows down)."""
    # many products: narrower columns, so shorter lines and a smaller font keep the level
    # labels apart (10 products at 1280 px: ~60 px a column)
    crowded = len(cols) > 8
    xaxis = dict(
        tickvals=list(range(len(cols))),
        ticktext=[_wrap(c, 8 if crowded else 11) for c in cols],
        tickfont=dict(size=11 if crowded else 12),
        side="top",
        showgrid=False,
        range=[-0.5, len(cols) - 0.5],
        tickangle=0,
    )
    yaxis = dict(
        tickvals=list(range(len(row_labels))),
        ticktext=[fmt.plot_text(fmt.short(r, 28)) for r in row_labels],
        autorange="reversed",
        showgrid=False,
    )
    return xaxis, yaxis


# -- QBR ---------------------------------------------------------------------------------------


def qbr_trend(
    df: pd.DataFrame, dims: Sequence[str], green_min: float, amber_min: float
) -> go.Figure:
    """QBR score per review (bars coloured by RAG band, labelled) with the dimensions as thin
    lines; the RAG bands as a background."""
    if df.empty:
        return empty("No QBR held up to this quarter")
    x = [pd.Timestamp(d).strftime("%b %Y") for d in df["date"]]
    if len(set(x)) < len(x):
        x = [pd.Timestamp(d).strftime("%d %b %Y") for d in df["date"]]
    bands = [
        # as fig.add_hrect(y0=lo, y1=hi, ...) adds them: across the plot, lo to hi
        dict(
            type="rect",
            x0=0,
            x1=1,
            xref="x domain",
            y0=lo,
            y1=hi,
            yref="y",
            fillcolor=fmt.RAG_COLORS[band],
            opacity=0.07,
            line=dict(width=0),
        )
        for lo, hi, band in (
            (0, amber_min, "red"),
            (amber_min, green_min, "amber"),
            (green_min, 5.4, "green"),
        )
    ]
    traces = [
        go.Bar(
            x=x,
            y=df["score"].astype(float),
            marker_color=[fmt.RAG_COLORS.get(r) for r in df["rag"]],
            text=[f"{v:.1f}" for v in df["score"].astype(float)],
            # at the foot of the bar: the dimension lines run across the bars' tops
            textposition="inside",
            insidetextanchor="start",
            textfont=dict(size=14, color="white"),
            name="QBR score",
            width=0.5,
            hovertemplate="%{x}: score %{y:.2f}<extra></extra>",
        )
    ]
    dash = ("dot", "dash", "dashdot", "longdash")
    for k, d in enumerate(dims):
        if d not in df:
            continue
        traces.append(
            go.Scatter(
                x=x,
                y=df[d].astype(float),
                mode="lines+markers",
                name=fmt.plot_text(d.replace("_", " ").capitalize()),
                line=dict(color=fmt.PALETTE[(k + 1) % len(fmt.PALETTE)], width=2, dash=dash[k % 4]),
                marker=dict(size=6),
                customdata=[fmt.plot_text(d.replace("_", " "))] * len(x),
                hovertemplate="%{customdata} %{x}: %{y:g}<extra></extra>",
            )
        )
    return _figure(
        traces,
        "QBR score per review",
        height=360,
        xaxis=dict(type="category"),
        yaxis=dict(range=[0, 5.6], tickvals=[1, 2, 3, 4, 5], title="1–5"),
        shapes=bands,
        bargap=0.4,
        legend=dict(orientation="h", y=-0.12, yanchor="top", x=0, xanchor="left"),
    )


def account_revenue(df: pd.DataFrame, currency: str = "$") -> go.Figure:
    """Quarter revenue bars of one account (df: label, revenue, partial)."""
    if df.empty:
        return empty("No revenue for this account")
    vals = df["revenue"].astype(float)
    lo, hi = min(0.0, float(vals.min())), float(vals.max())
    nothing = hi <= 0 and lo >= 0
    bars = go.Bar(
        x=df["label"],
        y=vals,
        marker_color=[
            fmt.NEUTRAL if p else fmt.PRIMARY for p in df.get("partial", [False] * len(df))
        ],
        text=None if nothing else [fmt.money(v, currency) for v in vals],
        textposition="outside",
        textfont=dict(size=11),
        hovertemplate="%{x}: %{text}<extra></extra>",
        cliponaxis=False,
    )
    notes = []
    if nothing:
        # no revenue in these quarters (churned, or not yet started): an axis from $0, and
        # say so, never a -1..+1 axis of "$0" bars
        notes.append(
            dict(
                text="No revenue in these quarters",
                x=0.5,
                y=0.55,
                xref="paper",
                yref="paper",
                showarrow=False,
                font=dict(size=14, color=fmt.NEUTRAL),
            )
        )
        yaxis = dict(tickvals=[0], ticktext=[fmt.money(0, currency)], range=[0, 1])
    else:
        ticks, labels = _money_ticks([lo, hi * 1.15], currency)
        yaxis = dict(tickvals=ticks, ticktext=labels, range=[lo * 1.18, max(hi, 0.0) * 1.18 or 1])
    return _figure(
        [bars],
        "Revenue per quarter",
        height=300,
        xaxis=dict(type="category"),
        yaxis=yaxis,
        annotations=notes,
        showlegend=False,
    )


# -- Relationship map --------------------------------------------------------------------------
# Contacts placed by level band (executive at the top) and influence (1-5, left to right), a
# marker per contact coloured by sentiment and sized by relationship strength, a line from each
# contact to the one it reports to. The layout is computed here in pixels (`relationship_layout`)
# so that nothing overlaps at the width the map gets on a 1280x720 screen, and the deck draws
# the same layout with shapes.

SENTIMENT_COLORS = {
    "champion": fmt.GOOD,
    "supporter": "#7cb342",
    "neutral": fmt.NEUTRAL,
    "detractor": fmt.BAD,
    None: "#c5ccd3",  # not recorded
}
SENTIMENT_NAMES = {
    "champion": "Champion",
    "supporter": "Supporter",
    "neutral": "Neutral",
    "detractor": "Detractor",
    None: "Sentiment not recorded",
}
MAP_PLOT_WIDTH = 440  # px of plot area the map is laid out for (wider screens only add room)
MAP_LEFT = 118  # px for the level labels left of the plot
MAP_NAME_ROWS = 4  # names beside the markers while no level needs more rows than this
MAP_INITIAL_ROWS = 4  # rows a level may take with initials
MAP_MAX_SHIFT = 0.6  # influence units a contact may be pushed aside to make room for labels
MAP_NAME_CHARS = 14  # a name label is cut to this many characters
MAP_ROW_NAMES, MAP_ROW_INITIALS, MAP_BAND_PAD = 36, 40, 14  # px
MAP_TEXT_GAP = 4  # px between a marker and its name
MAP_LABEL_FONT, MAP_INITIALS_FONT = 11, 10
MAP_CHAR_EM = 0.55  # the width of a character of a label, in em (roughly)
MAP_GAP = 8  # px at least between two labels (or markers) side by side
MAP_MIN_HEIGHT = 330  # px of plot at least


def map_marker_px(strength) -> float:
    """Marker diameter (px) by relationship strength 1-5: 16 to 30; 13 when not recorded."""
    s = fmt.as_float(strength)
    return 13.0 if s is None else 16.0 + 3.5 * (min(max(s, 1.0), 5.0) - 1.0)


def _name_label(name) -> str:
    """A name as a map label: 'Jennifer Thompson' -> 'J. Thompson' when longer than
    MAP_NAME_CHARS, cut with an ellipsis when still too long."""
    s = " ".join(str(name or "").split())
    words = s.split(" ")
    if len(s) > MAP_NAME_CHARS and len(words) > 1 and words[0][:1].isalpha():
        s = f"{words[0][0]}. {' '.join(words[1:])}"
    return fmt.short(s, MAP_NAME_CHARS)


def _initials(name) -> str:
    words = [w for w in str(name or "").replace("-", " ").split() if w[:1].isalnum()]
    if not words:
        return "?"
    return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()


@dataclass
class MapLayout:
    """Where each contact of a relationship map goes.

    points: one row per contact (in the map's contact order): x (in influence units; 0 is the
        "not recorded" column), y (px from the bottom of the plot), size (marker px), label
        (what is written), width (px of the marker with its label), offset (px from the
        marker's centre to that item's), side (where the label is: "right", "left" or
        "center"), hover_name (the name shown), band (level or None).
    bands: (level or None, y bottom px, y top px) top to bottom; columns: the x ticks;
    x_range: the x axis; mode: "names" (a name beside each marker) or "initials" (initials, or
    the alias code when names are hidden, inside the marker; the name on hover); height: plot
    height in px; width: the plot width (px) it was laid out for."""

    points: pd.DataFrame
    bands: list[tuple[str | None, float, float]]
    columns: list[int]
    x_range: tuple[float, float]
    mode: str
    height: float
    width: float


def _dodge(targets: list[float], seps: list[float], lo: float, hi: float) -> list[float]:
    """Positions nearest (least squares) to ascending `targets`, each at least `seps[i]` right
    of the one before (seps[0] unused), inside [lo, hi] when they fit: pool-adjacent-violators
    on targets minus the cumulative separations, clipped to the bounds."""
    offs = [0.0]
    for sep in seps[1:]:
        offs.append(offs[-1] + sep)
    blocks: list[list[float]] = []  # [sum, count]
    for t, o in zip(targets, offs, strict=True):
        blocks.append([t - o, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    q = [total / count for total, count in blocks for _ in range(int(count))]
    upper = hi - offs[-1]
    q = [min(max(v, lo), upper) if upper >= lo else (lo + upper) / 2 for v in q]
    return [v + o for v, o in zip(q, offs, strict=True)]


def _place(
    targets: list[float], widths: list[float], room: float, max_rows: int, max_shift: float
) -> tuple[int, list[float], list[int], bool]:
    """(rows, x of each, row of each, fits) for labels `widths` px wide wanted at `targets`
    (px, ascending) in a band `room` px wide: the fewest rows, up to `max_rows`, where the
    labels fit side by side and none is pushed more than `max_shift` px from its target (the
    contacts dealt out over the rows in turn); else the best of them, `fits` False."""
    n = len(targets)
    if n == 0:
        return 1, [], [], True
    best = None
    for r in range(1, max_rows + 1):
        xs, row_of, fit = [0.0] * n, [0] * n, True
        for q in range(r):
            idx = list(range(q, n, r))
            if not idx:
                continue
            ws = [widths[i] for i in idx]
            fit = fit and sum(ws) + MAP_GAP * (len(ws) - 1) <= room
            seps = [0.0] + [(ws[i - 1] + ws[i]) / 2 + MAP_GAP for i in range(1, len(ws))]
            edge = max(ws) / 2 + 2
            at = _dodge([targets[i] for i in idx], seps, edge, room - edge)
            for i, v in zip(idx, at, strict=True):
                xs[i], row_of[i] = v, q
        shift = max(abs(v - t) for v, t in zip(xs, targets, strict=True))
        if fit and shift <= max_shift:
            return r, xs, row_of, True
        if best is None or (not fit, shift) < (not best[3], best[4]):
            best = (r, xs, row_of, fit, shift)
    return best[0], best[1], best[2], False


def relationship_layout(
    cts: pd.DataFrame, names=None, plot_width: float = MAP_PLOT_WIDTH
) -> MapLayout:
    """The layout of a relationship map (contacts as `relationships.contacts` returns them), in
    px for a plot `plot_width` wide.

    In each level band, contacts sit at their influence, pushed apart just enough for their
    labels not to touch; a band where that would push one more than MAP_MAX_SHIFT from its
    influence deals its contacts out over several rows. Names beside the markers (to the
    right of a contact of influence below 3.5, else to the left) while every band manages
    with MAP_NAME_ROWS rows; else initials inside the markers (up to MAP_INITIAL_ROWS rows),
    the name on hover. `names`: `Aliases` to hide contact names (a label is then the alias, or
    its code in initials mode)."""
    levels = ["executive", "manager", "user"]
    band_of = [lv if lv in levels else None for lv in cts["level"]]
    if any(b is None for b in band_of):
        levels = [*levels, None]
    infl = [fmt.as_float(v) for v in cts["influence"]]
    xval = [0.0 if v is None else min(max(v, 1.0), 5.0) for v in infl]
    columns = ([0] if None in infl else []) + [1, 2, 3, 4, 5]
    x_lo, x_hi = min(columns) - 0.5, 5.5
    unit = plot_width / (x_hi - x_lo)
    size = [map_marker_px(v) for v in cts["strength"]]
    hidden = names is not None and getattr(names, "enabled", False)
    shown = [names.contact(n) if names is not None else n for n in cts["name"]]
    full = [_name_label(v) for v in shown]
    short = [str(v).split()[-1] if hidden else _initials(v) for v in shown]
    target = [(v - x_lo) * unit for v in xval]
    # names mode: the item is the marker and its name beside it (centre offset from the marker)
    side = ["left" if v >= 3.5 else "right" for v in xval]
    text_w = [MAP_CHAR_EM * MAP_LABEL_FONT * len(t) for t in full]
    name_w = [z + MAP_TEXT_GAP + w for z, w in zip(size, text_w, strict=True)]
    name_off = [
        (MAP_TEXT_GAP + w) / 2 * (1 if sd == "right" else -1)
        for w, sd in zip(text_w, side, strict=True)
    ]
    init_w = [
        max(MAP_CHAR_EM * MAP_INITIALS_FONT * len(t), z) for t, z in zip(short, size, strict=True)
    ]
    max_shift = MAP_MAX_SHIFT * unit

    def place(width: list[float], off: list[float], max_rows: int) -> dict:
        out = {}
        for b in levels:
            ks = sorted(
                (k for k in range(len(cts)) if band_of[k] == b),
                key=lambda k: (target[k] + off[k], str(shown[k])),
            )
            got = _place(
                [target[k] + off[k] for k in ks],
                [width[k] for k in ks],
                plot_width,
                max_rows,
                max_shift,
            )
            out[b] = (ks, *got)
        return out

    placed = place(name_w, name_off, MAP_NAME_ROWS)
    if all(p[4] for p in placed.values()):
        mode, width, off, labels = "names", name_w, name_off, full
    else:
        mode, width, labels = "initials", init_w, short
        off, side = [0.0] * len(cts), ["center"] * len(cts)
        placed = place(init_w, off, MAP_INITIAL_ROWS)
    row_px = MAP_ROW_NAMES if mode == "names" else MAP_ROW_INITIALS
    need = {b: placed[b][1] * row_px + 2 * MAP_BAND_PAD for b in levels}
    # at least MAP_MIN_HEIGHT: the extra shared out, so that lines between levels stay legible
    extra = max(0.0, MAP_MIN_HEIGHT - sum(need.values())) / len(levels)
    height = sum(need.values()) + extra * len(levels)
    bands, top = [], float(height)
    for b in levels:
        bottom = top - need[b] - extra
        bands.append((b, bottom, top))
        top = bottom
    x, y = [0.0] * len(cts), [0.0] * len(cts)
    for b, lo_px, hi_px in bands:
        ks, n_rows, xs, row_of, _ = placed[b]
        mid = (lo_px + hi_px) / 2
        for k, px, r in zip(ks, xs, row_of, strict=True):
            x[k] = x_lo + (px - off[k]) / unit
            y[k] = mid + ((n_rows - 1) / 2 - r) * row_px
    points = pd.DataFrame(
        {
            "x": x,
            "y": y,
            "size": size,
            "label": labels,
            "width": width,
            "offset": off,
            "side": side,
            "hover_name": shown,
            "band": band_of,
        }
    )
    return MapLayout(points, bands, columns, (x_lo, x_hi), mode, float(height), plot_width)


def map_label_boxes(lay: MapLayout, plot_width: float | None = None) -> list[tuple]:
    """(x0, y0, x1, y1) in px of each contact's marker with its label, at `plot_width` (the
    width it was laid out for by default), the label MAP_CHAR_EM em a character."""
    x_lo, x_hi = lay.x_range
    unit = (plot_width or lay.width) / (x_hi - x_lo)
    out = []
    for p in lay.points.itertuples(index=False):
        cx = (p.x - x_lo) * unit + p.offset
        font = MAP_LABEL_FONT if lay.mode == "names" else MAP_INITIALS_FONT
        h = max(1.25 * font, p.size)
        out.append((cx - p.width / 2, p.y - h / 2, cx + p.width / 2, p.y + h / 2))
    return out


def _level_tick(level: str | None, cts: pd.DataFrame) -> str:
    sel = cts["level"].isna() if level is None else cts["level"] == level
    n, active = int(sel.sum()), int((sel & cts["active"]).sum())
    name = "Level not<br>recorded" if level is None else level.capitalize()
    return f"<b>{name}</b><br>{active} of {n} active"


def relationship_map(m, names=None) -> go.Figure:
    """The relationship map of one account (`relationships.relationship_map`): level bands
    (a band with no active relationship tinted red), contacts by influence, colour = sentiment,
    size = strength, faded when not touched for more than the stale days, a line to whom each
    reports. Names under the markers when few, else initials (the name on hover); `names`
    (`Aliases`) hides them."""
    cts = m.contacts
    if cts.empty:
        return empty("No contact mapped for this account", height=260)
    lay = relationship_layout(cts, names)
    pts = lay.points
    traces, shapes, notes = [], [], []
    lo, hi = lay.x_range
    for k, (b, y0, y1) in enumerate(lay.bands):
        gap = b in m.no_active_levels
        fill = "rgba(198,40,40,0.07)" if gap else ("#f4f7fa" if k % 2 == 0 else "white")
        shapes.append(
            dict(
                type="rect",
                x0=lo,
                x1=hi,
                y0=y0,
                y1=y1,
                fillcolor=fill,
                line=dict(width=0),
                layer="below",
            )
        )
        if gap:
            notes.append(
                dict(
                    x=hi,
                    y=y1,
                    xanchor="right",
                    yanchor="top",
                    text="no active relationship",
                    showarrow=False,
                    font=dict(size=11, color=fmt.BAD),
                )
            )
    if m.links:
        lx, ly = [], []
        for b, r in m.links:
            lx += [pts["x"].iloc[b], pts["x"].iloc[r], None]
            ly += [pts["y"].iloc[b], pts["y"].iloc[r], None]
        traces.append(
            go.Scatter(
                x=lx,
                y=ly,
                mode="lines",
                line=dict(color="rgba(95,107,122,0.55)", width=1.3),
                name="Reports to",
                hoverinfo="skip",
            )
        )

    def shown(v):
        return "–" if fmt.is_missing(v) else fmt.plot_text(names.text(v) if names else v)

    boss_names = [
        pts["hover_name"].iloc[b] if b >= 0 else None
        for b in cts.get("boss", pd.Series([-1] * len(cts)))
    ]
    sentiment = [s if s in SENTIMENT_COLORS else None for s in cts["sentiment"]]
    for sent, colour in SENTIMENT_COLORS.items():
        idx = [k for k, s in enumerate(sentiment) if s == sent]
        if not idx:
            continue
        # initials: white on the dark colours, dark on the light ones and on faded markers
        dark = lay.mode == "names" or sent in (None, "supporter")
        ink = ["#1b2733" if dark or cts["stale"].iloc[k] else "white" for k in idx]
        traces.append(
            go.Scatter(
                x=pts["x"].iloc[idx],
                y=pts["y"].iloc[idx],
                mode="markers+text",
                name=SENTIMENT_NAMES[sent],
                marker=dict(
                    size=pts["size"].iloc[idx],
                    color=colour,
                    opacity=[0.4 if cts["stale"].iloc[k] else 1.0 for k in idx],
                    line=dict(color="white", width=1.5),
                ),
                text=[fmt.plot_text(pts["label"].iloc[k]) for k in idx],
                textposition=[f"middle {pts['side'].iloc[k]}" for k in idx],
                textfont=dict(
                    size=MAP_LABEL_FONT if lay.mode == "names" else MAP_INITIALS_FONT,
                    color=ink,
                ),
                customdata=[
                    [
                        fmt.plot_text(pts["hover_name"].iloc[k]),
                        shown(cts["title"].iloc[k]),
                        shown(cts["role"].iloc[k]),
                        _level_name(cts["level"].iloc[k]),
                        fmt.score(cts["influence"].iloc[k]).replace(".0", ""),
                        SENTIMENT_NAMES[sentiment[k]],
                        fmt.score(cts["strength"].iloc[k]).replace(".0", ""),
                        _last_contact(
                            cts["last_contact"].iloc[k], cts["days_since_contact"].iloc[k]
                        ),
                        fmt.plot_text(boss_names[k]) if boss_names[k] else "–",
                    ]
                    for k in idx
                ],
                hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<br>"
                "Role: %{customdata[2]} · %{customdata[3]}<br>"
                "Influence %{customdata[4]} · strength %{customdata[6]} · "
                "%{customdata[5]}<br>Last contact: %{customdata[7]}<br>"
                "Reports to: %{customdata[8]}<extra></extra>",
            )
        )
    if cts["stale"].any():
        traces.append(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=f"Faded: no contact for {m.stale_days}+ days",
                marker=dict(size=12, color=fmt.NEUTRAL, opacity=0.4),
                hoverinfo="skip",
            )
        )
    ticks = [(y0 + y1) / 2 for _, y0, y1 in lay.bands]
    return _figure(
        traces,
        height=int(lay.height) + 110,
        xaxis=dict(
            range=[lo, hi],
            tickvals=lay.columns,
            ticktext=["n/a" if c == 0 else str(c) for c in lay.columns],
            title=dict(text="Influence (1–5) →", font=dict(size=12)),
            showgrid=False,
            fixedrange=True,
        ),
        yaxis=dict(
            range=[0, lay.height],
            tickvals=ticks,
            ticktext=[_level_tick(b, cts) for b, _, _ in lay.bands],
            showgrid=False,
            fixedrange=True,
        ),
        axes=dict(automargin=False),  # with the fixed margins below
        annotations=notes,
        shapes=shapes,
        # fixed margins: the plot area is exactly lay.height px tall, as laid out
        margin=dict(l=MAP_LEFT, r=10, t=50, b=60),
        legend=dict(
            orientation="h", y=1.02, yanchor="bottom", x=0, xanchor="left", font=dict(size=12)
        ),
    )


def _level_name(level) -> str:
    return f"{level} level" if isinstance(level, str) else "level not recorded"


def _last_contact(d, days) -> str:
    if fmt.is_missing(d):
        return "not recorded"
    ago = "" if fmt.is_missing(days) else f" ({fmt.days(days)} ago)"
    return f"{fmt.day(d)}{ago}"
