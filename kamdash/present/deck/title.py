"""The account's title slide: name, owner, tier, quarter, as-of date and the latest QBR score
as a RAG badge."""

from __future__ import annotations

from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Inches

from kamdash.core import fmt
from kamdash.core.missing import Missing
from kamdash.present.deck.draw import (
    GREY,
    MARGIN,
    NAVY,
    RAG_RGB,
    WHITE,
    Deck,
    H,
    W,
    message,
    rect,
    style_runs,
    text,
)
from kamdash.views.account_review import AccountQbrData


def render(deck: Deck, d: AccountQbrData) -> None:
    s = deck.add_slide()
    rect(s, 0, 0, Inches(0.16), H, RAG_RGB.get(d.rag, RAG_RGB[None]))
    rect(s, Inches(0.16), 0, W - Inches(0.16), Inches(0.9), NAVY)
    text(
        s,
        MARGIN,
        Inches(0.22),
        Inches(9),
        Inches(0.5),
        "Quarterly business review",
        18,
        True,
        WHITE,
    )
    t = s.shapes.title
    t.left, t.top, t.width, t.height = MARGIN, Inches(1.55), W - 2 * MARGIN, Inches(1.5)
    t.text = fmt.cell_text(deck.name(d))
    tf = t.text_frame
    tf.word_wrap = True
    tf.vertical_anchor = MSO_ANCHOR.BOTTOM
    style_runs(tf, 44, True, NAVY, PP_ALIGN.LEFT)
    sub = f"{deck.qlabel(d)} review · figures as of {d.as_of.isoformat()}"
    text(s, MARGIN, Inches(3.1), W - 2 * MARGIN, Inches(0.5), sub, 20, colour=GREY)
    tier = d.tier or "no tier assigned"
    if d.suggested_tier and d.suggested_tier != d.tier:
        tier += f" (score suggests {d.suggested_tier})"
    facts = [
        ("Account owner", deck.owner(d)),
        ("Tier", tier),
        ("Quarter", deck.qlabel(d)),
        ("As of", d.as_of.isoformat()),
    ]
    y = Inches(4.1)
    for label, value in facts:
        text(s, MARGIN, y, Inches(2.4), Inches(0.45), label, 16, colour=GREY)
        text(s, MARGIN + Inches(2.4), y, Inches(5.6), Inches(0.45), value, 16, True)
        y += Inches(0.5)
    _badge(s, d)
    text(
        s,
        MARGIN,
        Inches(7.0),
        W - 2 * MARGIN,
        Inches(0.35),
        "Prepared with kamdash · figures follow the metric definitions shown in the app",
        10,
        colour=GREY,
    )


def _badge(s, d: AccountQbrData) -> None:
    """The latest QBR score on its RAG colour (a notice when the account has none yet; nothing
    without a QBR sheet: the closing note says so)."""
    if isinstance(d.qbr_history, Missing):
        return
    last = d.latest
    bx, by, bw, bh = Inches(9.2), Inches(4.15), Inches(3.55), Inches(1.9)
    if last is None:
        message(s, bx, by, bw, bh, "no QBR score yet")
        return
    colour = RAG_RGB.get(d.rag, RAG_RGB[None])
    rect(s, bx, by, bw, bh, colour, shape=MSO_SHAPE.ROUNDED_RECTANGLE)
    centred = {"colour": WHITE, "align": PP_ALIGN.CENTER}
    text(s, bx, by + Inches(0.15), bw, Inches(0.4), "QBR score", 16, **centred)
    text(s, bx, by + Inches(0.5), bw, Inches(0.8), f"{last['score']:.1f} / 5", 40, True, **centred)
    when = f"{fmt.RAG_LABELS.get(d.rag, '–')} · {fmt.day(last['date'])}"
    text(s, bx, by + Inches(1.3), bw, Inches(0.4), when, 16, **centred)
