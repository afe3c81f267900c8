"""The figures built in one go (`figures._figure`, `_hline`, `_vline`) are the figures the
update_* / add_* calls they replace would build: same traces, same layout."""

import json

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from kamdash.core import fmt
from kamdash.present import figures


def _same(a: go.Figure, b: go.Figure) -> None:
    assert json.loads(pio.to_json(a)) == json.loads(pio.to_json(b))


def test_figure_is_layout_of_updates():
    line = dict(color=fmt.NEUTRAL, width=1, dash="dot")
    notes = [dict(x="Q1", y=1.0, yref="paper", text="partial", showarrow=False)]
    legend = dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top")

    def traces():
        return [go.Scatter(x=["Q1", "Q2"], y=[1.0, 1.1], name="a <b>"), go.Bar(x=["Q1"], y=[2])]

    old = go.Figure()
    for t in traces():
        old.add_trace(t)
    old.update_yaxes(range=[0, 2])
    old.add_hline(y=1.0, line=line)
    old.add_vline(x=0.5, line=line)
    old.update_yaxes(tickformat=".0%")
    old.update_xaxes(type="category", title="Quarter")
    for n in notes:
        old.add_annotation(**n)
    old = figures._layout(old, "Title", height=420, showlegend=False)
    old.update_layout(legend=legend)
    new = figures._figure(
        traces(),
        "Title",
        height=420,
        xaxis=dict(type="category", title="Quarter"),
        yaxis=dict(range=[0, 2], tickformat=".0%"),
        annotations=notes,
        shapes=[figures._hline(1.0, line), figures._vline(0.5, line)],
        showlegend=False,
        legend=legend,
    )
    _same(old, new)


def test_figure_without_notes_or_shapes():
    old = figures._layout(go.Figure(go.Scatter(x=[1], y=[2])))
    new = figures._figure([go.Scatter(x=[1], y=[2])], annotations=[], shapes=[])
    _same(old, new)
    assert "annotations" not in new.to_plotly_json()["layout"]


def test_figure_dicts_update_the_shared_ones():
    """`margin` / `legend` update the shared ones, `title_style` the title and `axes` both axes
    after the shared axis style, as update_layout / update_*axes after `_layout` would."""
    old = figures._layout(go.Figure(go.Heatmap(z=[[1, 2]])), "Title", height=300)
    old.update_layout(
        margin=dict(t=80),
        title=dict(y=0.99, yref="container", yanchor="top"),
        legend=dict(y=1.02, font_size=12),
    )
    old.update_xaxes(automargin=False, side="top")
    old.update_yaxes(automargin=False)
    new = figures._figure(
        [go.Heatmap(z=[[1, 2]])],
        "Title",
        height=300,
        xaxis=dict(side="top"),
        title_style=dict(y=0.99, yref="container", yanchor="top"),
        axes=dict(automargin=False),
        margin=dict(t=80),
        legend=dict(y=1.02, font=dict(size=12)),
    )
    _same(old, new)


def test_one_go_figures_on_edge_inputs():
    """A few converted figures on edge inputs: empty, one row, missing values, HTML-looking
    names, a partial quarter; each is the figure the update_* / add_* calls would build."""
    h = "<b>Acme</b>"
    df = pd.DataFrame(
        {
            "group": ["A", h, "A", h],
            "quarter": [1, 1, 2, 2],
            "label": ["Q1", "Q1", "Q2", "Q2"],
            "partial": [False, False, True, True],
            "ttm_revenue": [1000.0, 2000.0, 1500.0, None],
            "nrr": [1.1, None, 0.9, 1.2],
        }
    )
    for measure in ("ttm_revenue", "nrr"):
        fig = figures.program_trend(df, measure, "M")
        layout = fig.to_plotly_json()["layout"]
        assert [a["text"] for a in layout["annotations"]] == ["partial"]
        assert layout["xaxis"]["categoryarray"] == ["Q1", "Q1", "Q2", "Q2"]
        assert ("shapes" in layout) == (measure == "nrr")
        assert all("<b>" not in t.name for t in fig.data)
    assert figures.program_trend(df.head(0), "nrr", "M").layout.annotations[0].text.startswith("No")
    rev = pd.DataFrame({"label": ["Q1"], "revenue": [0.0], "partial": [True]})
    fig = figures.account_revenue(rev)
    assert fig.data[0].text is None
    assert fig.layout.annotations[0].text == "No revenue in these quarters"
    tiers = pd.DataFrame({"tier": [h], "accounts": [1], "revenue": [0.0]})
    fig = figures.tier_mix(tiers)
    assert fig.data[0].name == "&lt;b&gt;Acme&lt;/b&gt;"
    assert fig.layout.height == 190 and fig.layout.yaxis.autorange == "reversed"
