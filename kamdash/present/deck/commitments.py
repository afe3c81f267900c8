"""Commitments and notes: commitments done / due at the latest QBR and over the recent ones,
and a table of the recent QBRs (score, RAG, commitments, notes)."""

from __future__ import annotations

import pandas as pd
from pptx.enum.text import PP_ALIGN
from pptx.util import Inches

from kamdash.core import fmt
from kamdash.core.fmt import as_float
from kamdash.present.deck.draw import BODY_TOP, MARGIN, RAG_RGB, Deck, W, message, table, text
from kamdash.views.account_review import AccountQbrData

TITLE = "Commitments and notes"
QBR_ROWS = 5


def sections(d: AccountQbrData) -> dict:
    """What the slide shows, by the name the closing note gives a section left out."""
    return {"commitments and notes": d.qbr_history}


def render(deck: Deck, d: AccountQbrData, note: str | None) -> None:
    s, bottom = deck.slide(
        TITLE,
        f"{deck.name(d)} · what was agreed and what was delivered",
        d.rag,
        deck.footer(d, "from the QBR sheet"),
        note,
    )
    y = BODY_TOP + Inches(0.05)
    h = d.qbr_history
    if h.empty:
        message(s, MARGIN, y, W - 2 * MARGIN, bottom - y, "no QBR recorded for this account")
        return
    recent = h.tail(QBR_ROWS).iloc[::-1].reset_index(drop=True)  # newest first
    text(s, MARGIN, y, W - 2 * MARGIN, Inches(0.75), _summary(recent), 16, True)
    body, fills = [], {}
    for i, r in recent.iterrows():
        if r["rag"] in RAG_RGB:
            fills[(i, 2)] = RAG_RGB[r["rag"]]
        due, done = as_float(r["commitments_due"]), as_float(r["commitments_done"])
        body.append(
            [
                fmt.day(r["date"]),
                f"{r['score']:.1f}" if as_float(r["score"]) is not None else "–",
                fmt.RAG_LABELS.get(r["rag"], "–"),
                "–" if due is None else f"{fmt.number(done)} of {fmt.number(due)}",
                deck.al.text(fmt.short(r["notes"], 150)) if isinstance(r["notes"], str) else "",
            ]
        )
    table(
        s,
        MARGIN,
        y + Inches(0.9),
        W - 2 * MARGIN,
        ["QBR date", "Score", "RAG", "Commitments done", "Notes"],
        body,
        [1.35, 0.8, 0.9, 1.75, 7.4],
        size=13,
        row_h=0.62,
        fills=fills,
        align=[PP_ALIGN.LEFT, PP_ALIGN.RIGHT, PP_ALIGN.CENTER, PP_ALIGN.RIGHT, PP_ALIGN.LEFT],
    )


def _summary(recent: pd.DataFrame) -> list[str]:
    """One line on the latest QBR's commitments, one on the recent QBRs' together."""
    last = recent.iloc[0]
    due, done = as_float(last["commitments_due"]), as_float(last["commitments_done"])
    date = fmt.day(last["date"])
    if due is None:
        lines = [f"Latest QBR {date}: no commitments recorded."]
    else:
        rate = f" ({fmt.pct(done / due)})" if due and done is not None else ""
        lines = [
            f"Latest QBR {date}: {fmt.number(done)} of {fmt.number(due)} commitments done{rate}."
        ]
    tot_due = recent["commitments_due"].sum(min_count=1)
    tot_done = recent["commitments_done"].sum(min_count=1)
    if len(recent) > 1 and not pd.isna(tot_due) and tot_due:
        lines.append(
            f"Last {len(recent)} QBRs: {fmt.number(tot_done)} of {fmt.number(tot_due)} done "
            f"({fmt.pct(tot_done / tot_due)})."
        )
    return lines
