"""Whitespace: the account's biggest empty product cells with their potential, the reason and
any open pipeline; a native bar chart of the potential (cells in pipeline lighter)."""

from __future__ import annotations

from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION
from pptx.enum.text import PP_ALIGN
from pptx.util import Inches, Pt

from kamdash.core import fmt
from kamdash.present.deck.draw import (
    BODY_TOP,
    GREY,
    MARGIN,
    Deck,
    W,
    chart,
    message,
    nice_step,
    rgb,
    table,
    text,
)
from kamdash.views.account_review import AccountQbrData

TITLE = "Whitespace: where to grow"
PIPELINE_FILL = "#f5b47a"
ROW_H = 0.62


def sections(d: AccountQbrData) -> dict:
    """What the slide shows, by the name the closing note gives a section left out."""
    return {"whitespace": d.whitespace}


def render(deck: Deck, d: AccountQbrData, note: str | None) -> None:
    s, bottom = deck.slide(
        TITLE,
        f"{deck.name(d)} · products not yet bought, by potential",
        d.rag,
        deck.footer(
            d, "potential = median TTM spend on the product of comparable accounts that buy it"
        ),
        note,
    )
    y = BODY_TOP + Inches(0.05)
    wsp = d.whitespace
    if wsp.empty:
        why = "no whitespace with peer potential: this account buys every product its peers buy"
        message(s, MARGIN, y, W - 2 * MARGIN, bottom - y, why)
        return
    lw = Inches(7.3)
    body = [
        [
            r["product"],
            deck.money(r["potential"]),
            deck.al.text(r["reason"]),
            deck.money(r["pipeline"]) if r["in_pipeline"] else "–",
        ]
        for _, r in wsp.iterrows()
    ]
    table(
        s,
        MARGIN,
        y,
        lw,
        ["Product", "Potential", "Why", "Open pipeline"],
        body,
        [1.9, 1.15, 3.3, 1.25],
        size=12,
        row_h=ROW_H,
        align=[PP_ALIGN.LEFT, PP_ALIGN.RIGHT, PP_ALIGN.LEFT, PP_ALIGN.RIGHT],
    )
    x2 = MARGIN + lw + Inches(0.35)
    _chart(deck, s, wsp, x2, y, W - MARGIN - x2, bottom)
    if bool(wsp["in_pipeline"].any()):
        legend = "Lighter bars: already in open pipeline (amount in the table)."
        text(s, MARGIN, bottom - Inches(0.4), lw, Inches(0.4), legend, 12, colour=GREY)


def _chart(deck: Deck, s, wsp, x, y, w, bottom) -> None:
    # a bar chart draws its first category at the bottom: feed smallest first so the biggest
    # potential is on top (same order as the table) and the axis stays below
    rev = wsp.iloc[::-1].reset_index(drop=True)
    vals = [float(v) for v in rev["potential"]]
    h = min(bottom - y, Inches(1.3 + 0.75 * len(rev)))  # few bars: a shorter chart
    cats = [str(p) for p in rev["product"]]
    ch = chart(
        s,
        XL_CHART_TYPE.BAR_CLUSTERED,
        x,
        y,
        w,
        h,
        cats,
        {"Potential": vals},
        "Potential by product",
    )
    nf = deck.money_format(vals)
    va = ch.value_axis
    va.minimum_scale = 0
    va.major_unit = nice_step(max(vals) / 4)
    va.tick_labels.number_format = nf
    va.tick_labels.number_format_is_linked = False
    plot = ch.plots[0]
    plot.gap_width = 50
    plot.has_data_labels = True
    plot.data_labels.number_format = nf
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.font.size = Pt(11)
    plot.data_labels.position = XL_LABEL_POSITION.OUTSIDE_END
    ser = plot.series[0]
    ser.format.fill.solid()
    ser.format.fill.fore_color.rgb = rgb(fmt.SECONDARY)
    for i, in_pipeline in enumerate(rev["in_pipeline"]):
        if in_pipeline:
            pt = ser.points[i]
            pt.format.fill.solid()
            pt.format.fill.fore_color.rgb = rgb(PIPELINE_FILL)
