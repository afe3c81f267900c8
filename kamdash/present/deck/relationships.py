"""Relationship summary: coverage, multithreading, executive access, champions, detractors and
last contact as tiles; a single-threaded warning; the key contacts; a native column chart of
contacts by sentiment."""

from __future__ import annotations

from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Inches, Pt

from kamdash.core import fmt
from kamdash.core.fmt import as_float
from kamdash.core.missing import Missing
from kamdash.present.deck.draw import (
    BODY_TOP,
    GREY,
    INK,
    LIGHT,
    MARGIN,
    RAG_RGB,
    RULE,
    WHITE,
    Deck,
    W,
    chart,
    message,
    rect,
    rgb,
    table,
    text,
)
from kamdash.views.account_review import NOT_RECORDED, AccountQbrData

TITLE = "Relationship summary"
TOP_CONTACTS = 5
SENTIMENT_RGB = {
    "champion": rgb(fmt.GOOD),
    "supporter": rgb("#7cb342"),
    "neutral": rgb(fmt.NEUTRAL),
    "detractor": rgb(fmt.BAD),
    NOT_RECORDED: rgb("#c5ccd3"),
}
NO_CONTACT = "no contact mapped for this account"


def sections(d: AccountQbrData) -> dict:
    """What the slide shows, by the name the closing note gives a section left out."""
    return {"relationship summary": d.relationship}


def render(deck: Deck, d: AccountQbrData, note: str | None) -> None:
    active_min = deck.settings.active_strength_min
    s, bottom = deck.slide(
        TITLE,
        f"{deck.name(d)} · stakeholder map",
        d.rag,
        deck.footer(d, f"active relationship = strength ≥ {active_min:g} of 5"),
        note,
    )
    rel = d.relationship
    lw, gap = Inches(6.6), Inches(0.15)
    y = BODY_TOP + Inches(0.05)
    tw, th = int((lw - 2 * gap) / 3), Inches(1.12)
    for k, tile in enumerate(_tiles(rel)):
        _tile(s, MARGIN + (k % 3) * (tw + gap), y + (k // 3) * (th + gap), tw, th, *tile)
    yy = y + 2 * (th + gap)
    if bool(rel["single_threaded"]):
        _single_threaded(s, int(rel["active"]), yy, lw)
        yy += Inches(0.62) + gap
    cts = d.contacts
    if not isinstance(cts, Missing) and not cts.empty:
        _contacts(deck, s, cts, yy, lw, bottom)
    elif not isinstance(cts, Missing):
        message(s, MARGIN, yy, lw, Inches(1.0), NO_CONTACT)
    x2 = MARGIN + lw + Inches(0.4)
    _sentiment(s, d.sentiment, x2, y, W - MARGIN - x2, bottom - y)


def _tiles(rel: dict) -> list[tuple]:
    """(label, value, sub-line, value colour) of the six tiles."""
    mapped, active = int(rel["mapped"]), int(rel["active"])
    exec_ok, champions, detractors = (
        bool(rel["executive_access"]),
        int(rel["champions"]),
        int(rel["detractors"]),
    )
    green, amber, red = RAG_RGB["green"], RAG_RGB["amber"], RAG_RGB["red"]
    return [
        (
            "Coverage",
            fmt.pct(as_float(rel["coverage"])),
            f"{active} of {mapped} contacts active",
            INK,
        ),
        ("Multithreading", str(int(rel["multithread_depth"])), "active relationships", INK),
        (
            "Executive access",
            "Yes" if exec_ok else "No",
            "active executive contact" if exec_ok else "no active executive",
            green if exec_ok else red,
        ),
        ("Champions", str(champions), "sentiment: champion", green if champions else amber),
        ("Detractors", str(detractors), "sentiment: detractor", red if detractors else INK),
        ("Last contact", fmt.day(rel.get("last_contact")), "latest touch, any contact", INK),
    ]


def _tile(s, x, y, w, h, label: str, value: str, sub: str, colour) -> None:
    rect(s, x, y, w, h, LIGHT, RULE)
    inner = w - Inches(0.2)
    text(s, x + Inches(0.12), y + Inches(0.06), inner, Inches(0.3), label, 12, colour=GREY)
    size = 24 if len(value) <= 6 else 18
    text(s, x + Inches(0.12), y + Inches(0.33), inner, Inches(0.5), value, size, True, colour)
    text(s, x + Inches(0.12), y + Inches(0.8), inner, Inches(0.3), sub, 10, colour=GREY)


def _single_threaded(s, active: int, y, w) -> None:
    rect(s, MARGIN, y, w, Inches(0.62), RAG_RGB["red"])
    why = "no active relationship" if active == 0 else "only one active relationship"
    warning = f"Single-threaded: {why}. If that contact leaves, the account is uncovered."
    x = MARGIN + Inches(0.15)
    text(s, x, y, w - Inches(0.3), Inches(0.62), warning, 13, True, WHITE, anchor=MSO_ANCHOR.MIDDLE)


def _contacts(deck: Deck, s, cts, y, w, bottom) -> None:
    """The key contacts (strongest first, as the engine ranks them), fitted above `bottom`."""
    body = [
        [
            deck.al.contact(r["name"]),
            deck.al.text(fmt.short(r["title"], 26)) if isinstance(r["title"], str) else "–",
            (r["level"] or "–").capitalize() if isinstance(r["level"], str) else "–",
            (r["sentiment"] or "–").capitalize() if isinstance(r["sentiment"], str) else "–",
            "–" if as_float(r["strength"]) is None else f"{float(r['strength']):.0f}",
        ]
        for _, r in cts.head(TOP_CONTACTS).iterrows()
    ]
    row_h = min(0.36, ((bottom - y) / 914400) / (len(body) + 1))  # 914,400 EMU per inch
    table(
        s,
        MARGIN,
        y,
        w,
        ["Key contact", "Title", "Level", "Sentiment", "Strength"],
        body,
        [1.8, 2.3, 1.1, 1.2, 1.1],
        size=11,
        row_h=row_h,
        align=[PP_ALIGN.LEFT] * 4 + [PP_ALIGN.RIGHT],
    )


def _sentiment(s, sent, x, y, w, h) -> None:
    """Contacts by sentiment, each column in its sentiment's colour."""
    if isinstance(sent, Missing):
        return
    if int(sent["contacts"].sum()) == 0:
        message(s, x, y, w, h, NO_CONTACT)
        return
    vals = [int(v) for v in sent["contacts"]]
    cats = [c.capitalize() for c in sent["sentiment"]]
    ch = chart(
        s,
        XL_CHART_TYPE.COLUMN_CLUSTERED,
        x,
        y,
        w,
        h,
        cats,
        {"Contacts": vals},
        "Contacts by sentiment",
    )
    va = ch.value_axis
    va.minimum_scale = 0
    va.major_unit = 1 if max(vals) <= 8 else None
    va.tick_labels.number_format = "0"
    va.tick_labels.number_format_is_linked = False
    plot = ch.plots[0]
    plot.gap_width = 50
    plot.has_data_labels = True
    plot.data_labels.font.size = Pt(12)
    plot.data_labels.number_format = "0"
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.position = XL_LABEL_POSITION.OUTSIDE_END
    ser = plot.series[0]
    for i, name in enumerate(sent["sentiment"]):
        pt = ser.points[i]
        pt.format.fill.solid()
        pt.format.fill.fore_color.rgb = SENTIMENT_RGB.get(name, SENTIMENT_RGB[NOT_RECORDED])
