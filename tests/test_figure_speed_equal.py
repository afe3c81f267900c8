"""The figures built in one go (`figures._figure`, `_hline`, `_vline`) are the figures the
update_* / add_* calls they replace would build: same traces, same layout."""

import json

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
