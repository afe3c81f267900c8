"""Plotly figures of every page (no Streamlit). Each takes what a metric returned and builds
one figure that reads on a 1280x720 laptop and on a shared screen: at most `TOP_N`-ish items
per axis (callers cut and say so), labels shortened, money and percents formatted as on the
rest of the page, tier and RAG colours from `kamdash.fmt`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kamdash.core import fmt

FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=13, color="#1b2733")
HEIGHT = 380


def _layout(fig: go.Figure, title: str | None = None, height: int = HEIGHT, **kw) -> go.Figure:
    fig.update_layout(
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
    fig.update_xaxes(gridcolor=fmt.GRID, zeroline=False, automargin=True)
    fig.update_yaxes(gridcolor=fmt.GRID, zeroline=False, automargin=True)
    return fig


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
    """Break a label into lines of about `width` characters (<br>) so axis labels stay level."""
    words, lines, cur = str(text).split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    lines.append(cur)
    return "<br>".join(lines)


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
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line=dict(color=fmt.NEUTRAL, dash="dot", width=1),
            name="Even spread",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
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
        )
    )
    for k, label in ((0.1, "top10"), (0.2, "top20")):
        share = (conc or {}).get(f"{label}_share")
        n_top = (conc or {}).get(f"{label}_accounts")
        if share is None or pd.isna(share) or not len(p):
            continue
        xk = float(n_top) / len(p) if n_top else k
        fig.add_trace(
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
    fig.update_xaxes(title="Share of accounts (ranked by TTM revenue)", tickformat=".0%")
    fig.update_yaxes(title="Share of TTM revenue", tickformat=".0%", range=[0, 1.03])
    return _layout(fig, "Revenue concentration (Pareto curve)", showlegend=False)


def tier_mix(df: pd.DataFrame) -> go.Figure:
    """Share of accounts vs share of TTM revenue per tier, as two 100% stacked bars.
    df: tier, accounts, revenue."""
    if df.empty:
        return empty("No tiers assigned")
    fig = go.Figure()
    acc_total = float(df["accounts"].sum()) or 1.0
    rev_total = float(df["revenue"].sum()) or 1.0
    for r in df.itertuples(index=False):
        sa, sr = r.accounts / acc_total, r.revenue / rev_total
        fig.add_trace(
            go.Bar(
                y=["Accounts", "TTM revenue"],
                x=[sa, sr],
                orientation="h",
                name=r.tier,
                marker_color=fmt.tier_color(r.tier),
                text=[f"{r.tier}: {fmt.pct(sa)}", f"{r.tier}: {fmt.pct(sr)}"],
                textposition="inside",
                insidetextanchor="middle",
                textfont=dict(color="white" if r.tier in ("Tier 1", "Tier 2") else "#1b2733"),
                customdata=[[int(r.accounts)], [fmt.money(r.revenue)]],
                hovertemplate=f"{r.tier}: %{{x:.0%}} (%{{customdata[0]}})<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="stack", bargap=0.3, showlegend=False, uniformtext=dict(minsize=11, mode="hide")
    )
    fig.update_xaxes(tickformat=".0%", range=[0, 1], showgrid=False)
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Share of accounts vs share of TTM revenue, by tier", height=190)


# -- Retention & wallet ------------------------------------------------------------------------


def _partial_note(fig: go.Figure, df: pd.DataFrame) -> None:
    if "partial" in df and df["partial"].any():
        lab = df.loc[df["partial"].astype(bool), "label"].iloc[-1]
        fig.add_annotation(
            x=lab,
            y=1.0,
            yref="paper",
            text="partial",
            showarrow=False,
            font=dict(size=11, color=fmt.NEUTRAL),
            yanchor="bottom",
        )


def retention_trend(df: pd.DataFrame, target: float) -> go.Figure:
    """Portfolio NRR and GRR per quarter (quarters without enough history left out), with the
    NRR target (settings.nrr_target) as a dashed line."""
    d = df[df["nrr"].notna()]
    if d.empty:
        return empty("Not enough history for NRR yet: it needs eight quarters of revenue")
    fig = go.Figure()
    for col, name, color in (("nrr", "NRR", fmt.PRIMARY), ("grr", "GRR", fmt.SECONDARY)):
        vals = d[col].astype(float)
        fig.add_trace(
            go.Scatter(
                x=d["label"],
                y=vals,
                name=name,
                mode="lines+markers+text",
                line=dict(color=color, width=3),
                marker=dict(size=8),
                text=[fmt.pct(v) for v in vals],
                textposition="top center",
                textfont=dict(size=12, color=color),
                hovertemplate=f"{name} %{{x}}: %{{y:.1%}}<extra></extra>",
            )
        )
    fig.add_hline(
        y=target,
        line=dict(color=fmt.GOOD, dash="dash", width=1),
        annotation_text=f"NRR target {fmt.pct(target)}",
        annotation_position="top left",
        annotation_font=dict(size=11, color=fmt.GOOD),
    )
    lo = min(float(d["grr"].min()), float(d["nrr"].min()), target) - 0.05
    hi = max(float(d["nrr"].max()), target) + 0.06
    fig.update_yaxes(tickformat=".0%", range=[lo, hi])
    fig.update_xaxes(type="category")
    _partial_note(fig, d)
    return _layout(fig, "NRR and GRR (trailing twelve months)")


def retention_by_group(
    df: pd.DataFrame, metric: str = "nrr", dim_label: str = "group"
) -> go.Figure:
    """NRR (or GRR) per quarter, one line per group of `df` (largest by TTM revenue first)."""
    d = df[df[metric].notna()]
    if d.empty:
        return empty("Not enough history for retention by group yet")
    last = d[d["quarter"] == d["quarter"].max()].sort_values("ttm_revenue", ascending=False)
    groups = list(last["group"])
    fig = go.Figure()
    for i, g in enumerate(groups):
        gd = d[d["group"] == g]
        color = fmt.TIER_COLORS.get(g) or fmt.PALETTE[i % len(fmt.PALETTE)]
        fig.add_trace(
            go.Scatter(
                x=gd["label"],
                y=gd[metric].astype(float),
                name=fmt.short(g, 24),
                mode="lines+markers",
                line=dict(color=color, width=2.5),
                marker=dict(size=7),
                hovertemplate=f"{g} %{{x}}: %{{y:.1%}}<extra></extra>",
            )
        )
    fig.add_hline(y=1.0, line=dict(color=fmt.NEUTRAL, width=1, dash="dot"))
    fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(type="category")
    fig = _layout(fig, f"{metric.upper()} by {dim_label}")
    fig.update_layout(legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top"))
    return fig


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
    fig = go.Figure(
        go.Waterfall(
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
    )
    running, peak = 0.0, 0.0
    for v, (_, _, m) in zip(vals, steps, strict=True):
        running = v if m != "relative" else running + v
        peak = max(peak, running)
    top = peak * 1.12
    ticks, tick_text = _money_ticks([0, top], currency)
    fig.update_yaxes(tickvals=ticks, ticktext=tick_text, range=[0, top])
    fig.update_xaxes(type="category")
    return _layout(fig, f"Revenue bridge {start_label} → {end_label}", showlegend=False)


def sow_trend(df: pd.DataFrame) -> go.Figure:
    """Share of wallet per quarter (portfolio or a group)."""
    d = df[df["share_of_wallet"].notna()]
    if d.empty:
        return empty("No share of wallet: no account has both revenue and a wallet estimate")
    vals = d["share_of_wallet"].astype(float)
    fig = go.Figure(
        go.Scatter(
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
    )
    fig.update_yaxes(tickformat=".0%", range=[0, max(0.1, float(vals.max()) * 1.25)])
    fig.update_xaxes(type="category")
    _partial_note(fig, d)
    return _layout(fig, "Share of wallet (TTM revenue / wallet estimate)", showlegend=False)


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
    fig = go.Figure()
    for q, color in QUADRANT_COLORS.items():
        qd = d[d["q"] == q]
        if qd.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=qd["wallet"],
                y=qd["share"].clip(upper=1.5),
                mode="markers",
                name=q,
                marker=dict(
                    size=[6 + 26 * math.sqrt(max(v, 0) / smax) for v in qd["ttm"]],
                    color=color,
                    opacity=0.7,
                    line=dict(color="white", width=1),
                ),
                customdata=[
                    [lab, fmt.money(t, currency), fmt.money(w, currency)]
                    for lab, t, w in zip(qd["label"], qd["ttm"], qd["wallet"], strict=False)
                ],
                hovertemplate="<b>%{customdata[0]}</b><br>Wallet %{customdata[2]}<br>"
                "TTM %{customdata[1]}<br>Share %{y:.0%}<extra>" + q + "</extra>",
            )
        )
    _quadrant_labels(fig, d.nlargest(n_labels, "ttm"))
    if wallet_median:
        fig.add_vline(x=wallet_median, line=dict(color=fmt.NEUTRAL, dash="dash", width=1))
    if share_median is not None:
        fig.add_hline(y=share_median, line=dict(color=fmt.NEUTRAL, dash="dash", width=1))
    _quadrant_corners(fig)
    lo, hi = float(d["wallet"].min()), float(d["wallet"].max())
    ticks = [
        10**e * m
        for e in range(int(math.floor(math.log10(lo))), int(math.ceil(math.log10(hi))) + 1)
        for m in (1, 3)
        if lo / 3 <= 10**e * m <= hi * 3
    ]
    fig.update_xaxes(
        type="log",
        title="Wallet estimate (log scale)",
        tickvals=ticks,
        ticktext=[fmt.money(t, currency) for t in ticks],
    )
    fig.update_yaxes(title="Share of wallet", tickformat=".0%")
    fig = _layout(fig, "Wallet size vs share of wallet", height=440)
    return fig


def _quadrant_labels(fig: go.Figure, top: pd.DataFrame) -> None:
    """Name the given accounts' bubbles, spreading neighbours' labels: alternate sides and
    heights."""
    offsets = [
        (40, -28),
        (-40, -28),
        (40, 28),
        (-40, 28),
        (60, -50),
        (-60, -50),
        (60, 50),
        (-60, 50),
    ]
    for k, r in enumerate(top.sort_values("wallet").itertuples(index=False)):
        ax, ay = offsets[k % len(offsets)]
        fig.add_annotation(
            x=math.log10(r.wallet),
            y=min(r.share, 1.5),
            text=fmt.short(r.label, 20),
            showarrow=True,
            arrowhead=0,
            arrowcolor=fmt.NEUTRAL,
            ax=ax,
            ay=ay,
            font=dict(size=11),
            bgcolor="rgba(255,255,255,0.8)",
        )


def _quadrant_corners(fig: go.Figure) -> None:
    corners = (
        (0.99, 0.02, "right", "bottom", "GROW: large wallet, low share"),
        (0.99, 0.98, "right", "top", "DEFEND"),
        (0.01, 0.98, "left", "top", "MAINTAIN"),
        (0.01, 0.02, "left", "bottom", "MONITOR"),
    )
    for x, y, xa, ya, text in corners:
        fig.add_annotation(
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
        f"{t}  ({_heat_text(totals[t], value, currency)})" if totals is not None else str(t)
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
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[
                _wrap(fmt.short(c, 24)) if len(g.columns) <= 6 else fmt.short(c, 18)
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
    )
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_xaxes(side="top", showgrid=False, tickangle=0 if len(g.columns) <= 6 else -35)
    title = f"{HEATMAP_VALUE_LABELS[value]} by tier and {dim_label}"
    fig = _layout(fig, title, height=(170 if len(g.columns) <= 6 else 230) + 70 * len(g.index))
    fig.update_layout(
        margin=dict(t=80 if len(g.columns) <= 6 else 140),
        title=dict(y=0.99, yref="container", yanchor="top"),
    )
    return fig


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
    ylab = [
        f"{fmt.short(lab, 26)} · {fmt.short(t if isinstance(t, str) else '–', 6)}"
        for lab, t in zip(labels, table["assigned_tier"], strict=False)
    ]
    fig = go.Figure(
        go.Heatmap(
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
            customdata=[[s] for s in table["suggested_tier"]],
            hovertemplate="%{y}<br>%{x}: %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", showgrid=False, tickfont=dict(size=12))
    fig.update_xaxes(side="top", showgrid=False, tickfont=dict(size=12), tickangle=0)
    fig = _layout(fig, height=120 + 24 * len(table))
    fig.update_layout(margin=dict(t=80))
    return fig


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
    fig = go.Figure(
        go.Heatmap(
            z=zc,
            x=[f"Suggested<br>{c}" for c in ct.columns],
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
            hovertemplate="%{y}, %{x}: %{text} accounts<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_xaxes(side="top", showgrid=False, tickangle=0)
    return _layout(fig, height=100 + 64 * len(ct.index))


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
    fig = go.Figure(
        go.Sankey(
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
    )
    for x, text, anchor in ((0, "Now (settings)", "left"), (1, "What-if", "right")):
        fig.add_annotation(
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
    fig = _layout(fig, "Suggested tier: now → with the what-if weights", height=360)
    fig.update_layout(margin=dict(t=70))
    return fig


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
    open pipeline carry a ◆ in the corner. The three frames share index and columns."""
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
    cells = [[[row_labels[i], cols[j]] for j in xs] for i in ys]
    fig = go.Figure()
    # a pale grey base under the empty cells, then potential in oranges, then revenue in blues
    fig.add_trace(
        _grid_layer(
            _where(np.zeros_like(t), ~filled),
            xs,
            ys,
            colorscale=[[0, "#f4f5f7"], [1, "#f4f5f7"]],
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        _grid_layer(
            _where(p, has_pot),
            xs,
            ys,
            text=txt_pot,
            colorscale=fmt.SCALE_POTENTIAL,
            customdata=cells,
            hovertemplate="%{customdata[0]} · %{customdata[1]}<br>not bought; potential %{text}"
            "<extra></extra>",
        )
    )
    fig.add_trace(
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
        )
    )
    _no_potential_dots(fig, txt_pot)
    _pipeline_marks(fig, pl, row_labels, cols, currency)
    _grid_axes(fig, cols, row_labels)
    fig = _layout(fig, title, height=130 + 30 * len(ys), showlegend=False)
    fig.update_layout(margin=dict(t=90))
    return fig


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


def _no_potential_dots(fig: go.Figure, txt_pot: list[list[str]]) -> None:
    """A grey '·' on empty cells without potential (the potential layer leaves them blank)."""
    at = [(j, i) for i, r in enumerate(txt_pot) for j, v in enumerate(r) if v == "·"]
    if at:
        fig.add_trace(
            go.Scatter(
                x=[j for j, _ in at],
                y=[i for _, i in at],
                mode="text",
                text=["·"] * len(at),
                textfont=dict(color="#9aa5b1", size=14),
                hoverinfo="skip",
                showlegend=False,
            )
        )


def _pipeline_marks(fig, pl, row_labels: Sequence[str], cols: list, currency: str) -> None:
    """A ◆ in the top-right corner of each cell with open pipeline."""
    at = [(i, j) for i in range(len(pl)) for j in range(len(cols)) if not np.isnan(pl[i][j])]
    if not at:
        return
    fig.add_trace(
        go.Scatter(
            x=[j + 0.36 for _, j in at],
            y=[i - 0.28 for i, _ in at],
            mode="markers",
            marker=dict(
                symbol="diamond", size=9, color="#8e44ad", line=dict(color="white", width=1)
            ),
            name="Open pipeline",
            text=[
                f"{row_labels[i]} · {cols[j]}: open pipeline "
                + (fmt.money(pl[i][j], currency) if pl[i][j] else "(amount unknown)")
                for i, j in at
            ],
            hovertemplate="%{text}<extra></extra>",
        )
    )


def _grid_axes(fig: go.Figure, cols: list, row_labels: Sequence[str]) -> None:
    # many products: narrower columns, so shorter lines and a smaller font keep the level
    # labels apart (10 products at 1280 px: ~60 px a column)
    crowded = len(cols) > 8
    fig.update_xaxes(
        tickvals=list(range(len(cols))),
        ticktext=[_wrap(c, 8 if crowded else 11) for c in cols],
        tickfont=dict(size=11 if crowded else 12),
        side="top",
        showgrid=False,
        range=[-0.5, len(cols) - 0.5],
        tickangle=0,
    )
    fig.update_yaxes(
        tickvals=list(range(len(row_labels))),
        ticktext=[fmt.short(r, 28) for r in row_labels],
        autorange="reversed",
        showgrid=False,
    )


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
    fig = go.Figure()
    for lo, hi, band in (
        (0, amber_min, "red"),
        (amber_min, green_min, "amber"),
        (green_min, 5.4, "green"),
    ):
        fig.add_hrect(y0=lo, y1=hi, fillcolor=fmt.RAG_COLORS[band], opacity=0.07, line_width=0)
    fig.add_trace(
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
    )
    dash = ("dot", "dash", "dashdot", "longdash")
    for k, d in enumerate(dims):
        if d not in df:
            continue
        fig.add_trace(
            go.Scatter(
                x=x,
                y=df[d].astype(float),
                mode="lines+markers",
                name=d.replace("_", " ").capitalize(),
                line=dict(color=fmt.PALETTE[(k + 1) % len(fmt.PALETTE)], width=2, dash=dash[k % 4]),
                marker=dict(size=6),
                hovertemplate=f"{d.replace('_', ' ')} %{{x}}: %{{y:g}}<extra></extra>",
            )
        )
    fig.update_yaxes(range=[0, 5.6], tickvals=[1, 2, 3, 4, 5], title="1–5")
    fig.update_xaxes(type="category")
    fig = _layout(fig, "QBR score per review", height=360)
    fig.update_layout(
        bargap=0.4, legend=dict(orientation="h", y=-0.12, yanchor="top", x=0, xanchor="left")
    )
    return fig


def account_revenue(df: pd.DataFrame, currency: str = "$") -> go.Figure:
    """Quarter revenue bars of one account (df: label, revenue, partial)."""
    if df.empty:
        return empty("No revenue for this account")
    vals = df["revenue"].astype(float)
    fig = go.Figure(
        go.Bar(
            x=df["label"],
            y=vals,
            marker_color=[
                fmt.NEUTRAL if p else fmt.PRIMARY for p in df.get("partial", [False] * len(df))
            ],
            text=[fmt.money(v, currency) for v in vals],
            textposition="outside",
            textfont=dict(size=11),
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
    )
    ticks, labels = _money_ticks([0, float(vals.max()) * 1.15], currency)
    fig.update_yaxes(tickvals=ticks, ticktext=labels, range=[0, float(vals.max()) * 1.18])
    fig.update_xaxes(type="category")
    return _layout(fig, "Revenue per quarter", height=300, showlegend=False)
