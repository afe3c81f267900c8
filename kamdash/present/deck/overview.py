"""The overview of a deck of several accounts: one row per account (tier, TTM revenue, NRR,
latest QBR score on its RAG colour, plan status: a column the extract cannot feed is left out),
twelve rows a slide; the closing line the accounts share at the foot of the last page."""

from __future__ import annotations

from pptx.enum.text import PP_ALIGN
from pptx.util import Inches

from kamdash.core import fmt
from kamdash.core.missing import Missing
from kamdash.present.deck.draw import BODY_TOP, MARGIN, RAG_RGB, Deck, W, table
from kamdash.views.account_review import AccountQbrData

TITLE = "QBR deck overview"
ROWS = 12


def render(
    deck: Deck, data: list[AccountQbrData], heading: str | None, note: str | None = None
) -> None:
    """`heading`: the deck's title (what made it, how many accounts); `note`: the closing line
    every account shares (what the extract lacks), on the last overview page."""
    chunks = [data[i : i + ROWS] for i in range(0, len(data), ROWS)]
    d0 = data[0]
    # columns the extract cannot feed (no QBR sheet, no plan dates) are left out
    qbr = not all(isinstance(d.qbr_history, Missing) for d in data)
    plan = not all(isinstance(d.plan, Missing) for d in data)
    header = ["Account", "Tier", "TTM revenue", "NRR"] + ["QBR score"] * qbr + ["Plan"] * plan
    widths = [4.2, 1.3, 1.7, 1.2] + [1.4] * qbr + [2.4] * plan
    align = [PP_ALIGN.LEFT, PP_ALIGN.LEFT, PP_ALIGN.RIGHT, PP_ALIGN.RIGHT]
    align += [PP_ALIGN.RIGHT] * qbr + [PP_ALIGN.LEFT] * plan
    for k, chunk in enumerate(chunks, 1):
        sub = f"{heading or f'{len(data)} accounts'} · {deck.qlabel(d0)}"
        if len(chunks) > 1:
            sub += f" · page {k} of {len(chunks)}"
        s, bottom = deck.slide(
            TITLE, sub, None, deck.footer(d0), note if k == len(chunks) else None
        )
        body, fills = [], {}
        for i, d in enumerate(chunk):
            latest = d.latest
            if qbr and latest is not None and latest.get("rag") in RAG_RGB:
                fills[(i, 4)] = RAG_RGB[latest["rag"]]
            row = [deck.name(d), d.tier or "–", deck.money(d.ttm), fmt.pct(d.nrr)]
            if qbr:
                row.append("–" if latest is None else f"{latest['score']:.1f}")
            if plan:
                row.append("–" if isinstance(d.plan, Missing) else str(d.plan.get("status")))
            body.append(row)
        top = BODY_TOP + Inches(0.15)
        row_h = min(0.38, (bottom - top) / Inches(1) / (len(body) + 1))
        table(
            s,
            MARGIN,
            top,
            W - 2 * MARGIN,
            header,
            body,
            widths,
            size=13,
            row_h=row_h,
            fills=fills,
            align=align,
        )
