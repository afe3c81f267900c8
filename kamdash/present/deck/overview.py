"""The overview of a deck of several accounts: one row per account (tier, TTM revenue, NRR,
latest QBR score on its RAG colour, plan status), twelve rows a slide."""

from __future__ import annotations

from pptx.enum.text import PP_ALIGN
from pptx.util import Inches

from kamdash.core import fmt
from kamdash.core.missing import Missing
from kamdash.present.deck.draw import BODY_TOP, MARGIN, RAG_RGB, Deck, W, table
from kamdash.views.account_review import AccountQbrData

TITLE = "QBR deck overview"
ROWS = 12


def render(deck: Deck, data: list[AccountQbrData], heading: str | None) -> None:
    chunks = [data[i : i + ROWS] for i in range(0, len(data), ROWS)]
    d0 = data[0]
    for k, chunk in enumerate(chunks, 1):
        sub = f"{heading} · " if heading else ""
        sub += f"{len(data)} accounts · {deck.qlabel(d0)}"
        if len(chunks) > 1:
            sub += f" · page {k} of {len(chunks)}"
        s, _ = deck.slide(TITLE, sub, None, deck.footer(d0), None)
        body, fills = [], {}
        for i, d in enumerate(chunk):
            last = d.latest
            if last is not None and last.get("rag") in RAG_RGB:
                fills[(i, 4)] = RAG_RGB[last["rag"]]
            body.append(
                [
                    deck.name(d),
                    d.tier or "–",
                    deck.money(d.ttm),
                    fmt.pct(d.nrr),
                    "–" if last is None else f"{last['score']:.1f}",
                    "–" if isinstance(d.plan, Missing) else str(d.plan.get("status")),
                ]
            )
        table(
            s,
            MARGIN,
            BODY_TOP + Inches(0.15),
            W - 2 * MARGIN,
            ["Account", "Tier", "TTM revenue", "NRR", "QBR score", "Plan"],
            body,
            [4.2, 1.3, 1.7, 1.2, 1.4, 2.4],
            size=13,
            row_h=0.38,
            fills=fills,
            align=[PP_ALIGN.LEFT, PP_ALIGN.LEFT] + [PP_ALIGN.RIGHT] * 3 + [PP_ALIGN.LEFT],
        )
