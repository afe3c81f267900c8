"""Relationship map: the account's contacts drawn as shapes (editable in PowerPoint) on level
bands, executive at the top, placed by influence, coloured by sentiment, sized by relationship
strength, faded when not touched for longer than the stale setting, with a connector from each
contact to the one it reports to (glued to both shapes: they move together); the gaps in plain
sentences beside it. The layout is the QBR page's (`figures.relationship_layout`), so the slide
and the page show the same map. Names are hidden with the deck's aliases."""

from __future__ import annotations

from pptx.enum.shapes import MSO_CONNECTOR, MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

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
    message,
    rect,
    rgb,
    text,
)
from kamdash.present.figures import (
    MAP_INITIALS_FONT,
    MAP_LABEL_FONT,
    SENTIMENT_COLORS,
    SENTIMENT_NAMES,
    relationship_layout,
)
from kamdash.views.account_review import AccountQbrData

TITLE = "Relationship map"
NO_CONTACT = "no contact mapped for this account"
NO_GAP = "No gap: executive access, and an active relationship in every buying role and level."
MISSING = Missing(
    "stakeholders", "no stakeholder sheet in this extract: relationship map not shown"
)
PT = 12700  # EMU per point: the layout's px are drawn as points
LABEL_W = Inches(1.9)  # (the right side of the slide holds the gaps)
MAP_W = Inches(8.6)
AXIS_H = Inches(0.45)
LEGEND_H = Inches(0.35)
FADE = 0.55  # how far a stale contact's colour is blended toward white


def sections(d: AccountQbrData) -> dict:
    """What the slide shows, by the name the closing note gives a section left out."""
    m = d.relationship_map
    return {"relationship map": MISSING if m is None else m}


def _fade(hex_colour: str, k: float = FADE) -> str:
    c = hex_colour.lstrip("#")
    rgb3 = [int(c[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(v + (255 - v) * k):02X}" for v in rgb3)


def render(deck: Deck, d: AccountQbrData, note: str | None) -> None:
    m = d.relationship_map
    st = deck.settings
    s, bottom = deck.slide(
        TITLE,
        f"{deck.name(d)} · who is who in the buying organisation",
        d.rag,
        deck.footer(
            d,
            f"active = strength ≥ {st.active_strength_min:g} of 5 · faded = no contact for "
            f"more than {st.contact_stale_days} days",
        ),
        note,
    )
    x0, y0 = MARGIN, BODY_TOP + Inches(0.05)
    panel_x = x0 + MAP_W + Inches(0.3)
    _gaps(s, m, panel_x, y0, W - MARGIN - panel_x, bottom - y0)
    if m.contacts.empty:
        message(s, x0, y0, MAP_W, bottom - y0, NO_CONTACT)
        return
    _map(deck, s, m, x0, y0, bottom)


def _map(deck: Deck, s, m, x0, y0, bottom) -> None:
    """The bands, the connectors, the contacts and the influence axis."""
    cts = m.contacts
    plot_x, plot_w = x0 + LABEL_W, MAP_W - LABEL_W
    lay = relationship_layout(cts, deck.al, plot_width=plot_w / PT)
    plot_top = y0 + LEGEND_H
    room = bottom - plot_top - AXIS_H
    ky = min(1.0, room / (lay.height * PT))  # squeeze a tall map to the slide
    plot_h = int(lay.height * PT * ky)
    x_lo, x_hi = lay.x_range
    unit = plot_w / (x_hi - x_lo)

    def px(xv: float) -> int:
        return int(plot_x + (xv - x_lo) * unit)

    def py(yv: float) -> int:
        return int(plot_top + plot_h - yv * PT * ky)

    _legend(s, cts, x0, y0, MAP_W)
    for k, (b, lo, hi) in enumerate(lay.bands):
        gap = b in m.no_active_levels
        fill = rgb("#FBEDED") if gap else (LIGHT if k % 2 == 0 else WHITE)
        band = rect(s, plot_x, py(hi), plot_w, py(lo) - py(hi), fill)
        band.name = f"Band {b or 'not recorded'}"
        sel = cts["level"].isna() if b is None else cts["level"] == b
        n, active = int(sel.sum()), int((sel & cts["active"]).sum())
        name = "Level not recorded" if b is None else b.capitalize()
        text(
            s,
            x0,
            py(hi),
            LABEL_W - Inches(0.1),
            py(lo) - py(hi),
            [(name, 13, True), (f"{active} of {n} active", 11, False)],
            colour=INK,
            align=PP_ALIGN.RIGHT,
            anchor=MSO_ANCHOR.MIDDLE,
        )
        if gap:
            text(
                s,
                plot_x + plot_w - Inches(2.2),
                py(hi),
                Inches(2.2),
                Inches(0.3),
                "no active relationship",
                10,
                colour=RAG_RGB["red"],
                align=PP_ALIGN.RIGHT,
            )
    dots = []
    pts = lay.points
    for k, p in enumerate(pts.itertuples(index=False)):
        r = int(p.size * PT * ky / 2)
        sent = cts["sentiment"].iloc[k]
        sent = sent if sent in SENTIMENT_COLORS else None
        colour = SENTIMENT_COLORS[sent]
        stale = bool(cts["stale"].iloc[k])
        dot = rect(
            s,
            px(p.x) - r,
            py(p.y) - r,
            2 * r,
            2 * r,
            rgb(_fade(colour) if stale else colour),
            WHITE,
            MSO_SHAPE.OVAL,
        )
        dot.name = f"Contact {p.label}"
        dots.append(dot)
    # connectors under the contacts: drawn after them, then moved behind them in z-order
    tree = s.shapes._spTree
    first_dot = min(tree.index(dot._element) for dot in dots)
    for b, r_ in m.links:
        line = _connector(s, dots[b], dots[r_])
        tree.remove(line._element)
        tree.insert(first_dot, line._element)
        first_dot += 1
    for k, p in enumerate(pts.itertuples(index=False)):
        dot = dots[k]
        if lay.mode == "names":  # the name beside its marker, on the side the layout chose
            w = Emu(int((p.width - p.size + 14) * PT))
            h = Inches(0.24)
            gap = Pt(2)
            left = dot.left + dot.width + gap if p.side == "right" else dot.left - gap - w
            box = text(
                s,
                left,
                dot.top + dot.height // 2 - h // 2,
                w,
                h,
                p.label,
                MAP_LABEL_FONT - 1,
                colour=INK,
                align=PP_ALIGN.LEFT if p.side == "right" else PP_ALIGN.RIGHT,
                anchor=MSO_ANCHOR.MIDDLE,
            )
            tf = box.text_frame
            tf.margin_top = tf.margin_bottom = tf.margin_left = tf.margin_right = 0
            tf.word_wrap = False
            box.name = f"Name {p.label}"
        else:
            sent = cts["sentiment"].iloc[k]
            dark = sent not in ("champion", "neutral", "detractor") or bool(cts["stale"].iloc[k])
            tf = dot.text_frame
            tf.margin_left = tf.margin_right = tf.margin_top = tf.margin_bottom = 0
            tf.word_wrap = False
            tf.vertical_anchor = MSO_ANCHOR.MIDDLE
            para = tf.paragraphs[0]
            para.alignment = PP_ALIGN.CENTER
            run = para.add_run()
            run.text = p.label
            run.font.size = Pt(MAP_INITIALS_FONT - (1 if len(p.label) > 3 else 0))
            run.font.bold = True
            run.font.color.rgb = INK if dark else WHITE
    axis_y = int(plot_top + plot_h)
    rect(s, plot_x, axis_y, plot_w, Emu(9525), RULE)
    for c in lay.columns:
        text(
            s,
            px(c) - Inches(0.3),
            axis_y + Inches(0.02),
            Inches(0.6),
            Inches(0.25),
            "n/a" if c == 0 else str(c),
            11,
            colour=GREY,
            align=PP_ALIGN.CENTER,
        )
    text(
        s,
        plot_x,
        axis_y + Inches(0.2),
        plot_w,
        Inches(0.25),
        "Influence (1–5) →",
        11,
        colour=GREY,
        align=PP_ALIGN.CENTER,
    )


# An oval's connection sites, counter-clockwise from the top: 0 top, 2 left, 4 bottom, 6 right
_SITES = {"top": 0, "left": 2, "bottom": 4, "right": 6}


def _site(shape, side: str) -> tuple[int, int]:
    x, y, w, h = shape.left, shape.top, shape.width, shape.height
    return {
        "top": (x + w // 2, y),
        "left": (x, y + h // 2),
        "bottom": (x + w // 2, y + h),
        "right": (x + w, y + h // 2),
    }[side]


def _connector(s, boss, report):
    """A straight connector glued to both contacts (they move together when edited): from
    the boss's bottom to the report's top, or side to side within a row."""
    if abs(boss.top + boss.height // 2 - report.top - report.height // 2) < Pt(6):
        a, b = (boss, report) if boss.left < report.left else (report, boss)
        ends = ((a, "right"), (b, "left"))
    else:
        a, b = (boss, report) if boss.top < report.top else (report, boss)
        ends = ((a, "bottom"), (b, "top"))
    (x1, y1), (x2, y2) = _site(*ends[0]), _site(*ends[1])
    line = s.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, x1, y1, x2, y2)
    line._connect_begin_to(ends[0][0], _SITES[ends[0][1]])
    line._connect_end_to(ends[1][0], _SITES[ends[1][1]])
    line.line.color.rgb = rgb("#8A96A3")
    line.line.width = Pt(1)
    line.name = "Reports to"
    return line


def _legend(s, cts, x, y, w) -> None:
    """Sentiment colours (those present), and what size and lines say."""
    present = {v if v in SENTIMENT_COLORS else None for v in cts["sentiment"]}
    cx = x + LABEL_W
    for sent, colour in SENTIMENT_COLORS.items():
        if sent not in present:
            continue
        rect(s, cx, y + Inches(0.08), Inches(0.16), Inches(0.16), rgb(colour), None, MSO_SHAPE.OVAL)
        label = SENTIMENT_NAMES[sent].replace("Sentiment not recorded", "Not recorded")
        text(s, cx + Inches(0.18), y, Inches(1.2), Inches(0.3), label, 11, colour=INK)
        cx += Inches(0.3) + Inches(0.075) * len(label)
    text(
        s,
        cx + Inches(0.1),
        y,
        x + w - cx - Inches(0.1),
        Inches(0.3),
        "size = strength · line = reports to",
        11,
        colour=GREY,
    )


def _gaps(s, m, x, y, w, h) -> None:
    """The gaps, one sentence a paragraph, and what the data leaves unsaid."""
    rect(s, x, y, w, h, LIGHT, RULE)
    paras: list[tuple[str, float, bool]] = [("Gaps", 16, True)]
    if m.gaps:
        paras += [(f"• {g.text}", 12, False) for g in m.gaps]
    else:
        paras.append((NO_GAP, 12, False))
    paras += [(n, 10, False) for n in m.notes]
    box = text(s, x + Inches(0.12), y + Inches(0.08), w - Inches(0.24), h - Inches(0.16), paras)
    tf = box.text_frame
    for k, para in enumerate(tf.paragraphs):
        para.space_after = Pt(6)
        if k > len(paras) - 1 - len(m.notes):
            for run in para.runs:
                run.font.color.rgb = GREY
