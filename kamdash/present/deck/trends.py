"""Trends: a native column chart of quarterly revenue (Q-7..Q, the partial quarter lighter) and
a native line chart of the QBR score with its points coloured by RAG band."""

from __future__ import annotations

from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.util import Inches, Pt

from kamdash.core import fmt
from kamdash.core.missing import Missing
from kamdash.present.deck.draw import (
    BODY_TOP,
    GREY,
    MARGIN,
    NAVY,
    RAG_RGB,
    Deck,
    W,
    chart,
    message,
    rgb,
    text,
)
from kamdash.views.account_review import AccountQbrData

TITLE = "Revenue and QBR trends"
TITLES = {  # the slide titled for the chart(s) it holds
    (True, True): TITLE,
    (True, False): "Revenue trend",
    (False, True): "QBR score trend",
}
PARTIAL_FILL = "#a8c6e0"


def sections(d: AccountQbrData) -> dict:
    """What the slide shows, by the name the closing note gives a section left out."""
    return {"revenue trend": d.revenue_trend, "QBR score trend": d.qbr_history}


def title(d: AccountQbrData) -> str:
    """The slide's title: for the charts it holds."""
    held = (not isinstance(d.revenue_trend, Missing), not isinstance(d.qbr_history, Missing))
    return TITLES.get(held, TITLE)


def render(deck: Deck, d: AccountQbrData, note: str | None) -> None:
    s, bottom = deck.slide(
        title(d),
        f"{deck.name(d)} · {deck.qlabel(d)}",
        d.rag,
        deck.footer(d, "quarter revenue = sum of the amounts dated in the quarter"),
        note,
    )
    # the charts present share the width side by side
    pairs = ((d.revenue_trend, _revenue), (d.qbr_history, _qbr))
    drawers = [draw for field, draw in pairs if not isinstance(field, Missing)]
    gap = Inches(0.4)
    cw = int((W - 2 * MARGIN - gap * (len(drawers) - 1)) / len(drawers))
    box = (BODY_TOP + Inches(0.05), cw, bottom - BODY_TOP - Inches(0.45))
    for k, draw in enumerate(drawers):
        draw(deck, s, d, MARGIN + k * (cw + gap), *box)


def _revenue(deck: Deck, s, d: AccountQbrData, x, y, cw, ch_h) -> None:
    t = d.revenue_trend
    cats = [
        lab + (" (partial)" if p else "") for lab, p in zip(t["label"], t["partial"], strict=True)
    ]
    vals = t["revenue"].tolist()
    series = {"Quarter revenue": vals}
    ch = chart(s, XL_CHART_TYPE.COLUMN_CLUSTERED, x, y, cw, ch_h, cats, series, "Quarterly revenue")
    nf = deck.money_format(vals)
    ch.value_axis.minimum_scale = min(0.0, min(vals))  # columns start at zero
    ch.category_axis.tick_labels.font.size = Pt(10)
    ch.value_axis.tick_labels.number_format = nf
    ch.value_axis.tick_labels.number_format_is_linked = False
    plot = ch.plots[0]
    plot.gap_width = 60
    plot.has_data_labels = len(vals) <= 8
    if plot.has_data_labels:
        dl = plot.data_labels
        dl.number_format = nf
        dl.number_format_is_linked = False
        dl.font.size = Pt(11)
        dl.position = XL_LABEL_POSITION.OUTSIDE_END
    ser = plot.series[0]
    ser.format.fill.solid()
    ser.format.fill.fore_color.rgb = NAVY
    for i, p in enumerate(t["partial"]):
        if p:
            pt = ser.points[i]
            pt.format.fill.solid()
            pt.format.fill.fore_color.rgb = rgb(PARTIAL_FILL)
    caption = f"TTM {d.quarter_label}: {deck.money(d.ttm)}"
    if d.ttm_prev is not None:
        caption += f" · a year before: {deck.money(d.ttm_prev)}"
    text(s, x, y + ch_h + Inches(0.05), cw, Inches(0.35), caption, 12, colour=GREY)


def _qbr(deck: Deck, s, d: AccountQbrData, x, y, cw, ch_h) -> None:
    h = d.qbr_history
    if h.empty:
        message(s, x, y, cw, ch_h, "no QBR recorded for this account")
        return
    cats = [fmt.day(v) for v in h["date"]]
    vals = [float(v) for v in h["score"]]
    # series 0: the score line (labelled); then one marker-only series per RAG band holding
    # the scores in that band (a per-band series renders its colour in every viewer, where
    # per-point marker colours do not)
    series = {"QBR score": vals}
    bands = [b for b in fmt.RAG if b in set(h["rag"])]
    for b in bands:
        series[fmt.RAG_LABELS[b]] = [
            v if r == b else None for v, r in zip(vals, h["rag"], strict=True)
        ]
    ch = chart(s, XL_CHART_TYPE.LINE_MARKERS, x, y, cw, ch_h, cats, series, "QBR score (1–5)")
    ch.has_legend = bool(bands)
    if bands:
        ch.legend.position = XL_LEGEND_POSITION.BOTTOM
        ch.legend.include_in_layout = False
        ch.legend.font.size = Pt(11)
    va = ch.value_axis
    va.minimum_scale, va.maximum_scale, va.major_unit = 1, 5, 1
    va.tick_labels.number_format = "0"
    va.tick_labels.number_format_is_linked = False
    plot = ch.plots[0]
    ser = plot.series[0]
    ser.smooth = False
    ser.format.line.color.rgb = GREY
    ser.format.line.width = Pt(2.25)
    ser.marker.style = XL_MARKER_STYLE.NONE
    for b, bs in zip(bands, list(plot.series)[1:], strict=True):
        _band_markers(bs, RAG_RGB[b])
    band_rule = f"RAG bands: green ≥ {d.rag_green_min:g}, amber ≥ {d.rag_amber_min:g}, red below"
    text(s, x, y + ch_h + Inches(0.05), cw, Inches(0.35), band_rule, 12, colour=GREY)


def _band_markers(series, colour) -> None:
    """A RAG band's series: markers only, in the band's colour, the score above each."""
    series.smooth = False
    series.format.line.fill.background()
    series.marker.style = XL_MARKER_STYLE.CIRCLE
    series.marker.size = 12
    series.marker.format.fill.solid()
    series.marker.format.fill.fore_color.rgb = colour
    series.marker.format.line.color.rgb = colour
    dl = series.data_labels
    dl.show_value = True
    dl.number_format = "0.0"
    dl.number_format_is_linked = False
    dl.font.size = Pt(12)
    dl.position = XL_LABEL_POSITION.ABOVE
