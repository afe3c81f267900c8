"""The scorecard: the latest QBR's dimension scores, weighted score and RAG band; KPI tiles for
TTM revenue, NRR (against `settings.nrr_target`), share of wallet and plan freshness."""

from __future__ import annotations

from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Inches

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
    message,
    rect,
    table,
    text,
)
from kamdash.views.account_review import AccountQbrData

TITLE = "QBR scorecard"
TITLE_WITHOUT_QBR = "Account scorecard"  # no QBR sheet: the slide holds the KPI tiles only
DIM_LABELS = {
    "relationship_depth": "Relationship depth",
    "pipeline_coverage": "Pipeline coverage",
    "plan_currency": "Plan currency",
}


def sections(d: AccountQbrData) -> dict:
    """What the slide shows, by the name the closing note gives a section left out."""
    # TTM revenue is never Missing (a dash at worst), so the scorecard is never left out
    return {
        "TTM revenue": d.ttm,
        "QBR scores": d.qbr_history,
        "share of wallet": d.share,
        "plan freshness": d.plan,
    }


def title(d: AccountQbrData) -> str:
    """The slide's title: for what it shows."""
    return TITLE_WITHOUT_QBR if isinstance(d.qbr_history, Missing) else TITLE


def render(deck: Deck, d: AccountQbrData, note: str | None) -> None:
    s, bottom = deck.slide(
        title(d),
        f"{deck.name(d)} · {deck.qlabel(d)}",
        d.rag,
        deck.footer(d, "TTM = trailing twelve months"),
        note,
    )
    lw = Inches(6.0)
    tiles_x = MARGIN  # without a QBR sheet the tiles take the whole width
    if not isinstance(d.qbr_history, Missing):
        _qbr_panel(s, d, lw, bottom)
        tiles_x = MARGIN + lw + Inches(0.45)
    tiles = [_ttm(deck, d), _nrr(deck, d)]
    if not isinstance(d.share, Missing):
        tiles.append(_share(deck, d))
    if not isinstance(d.plan, Missing):
        tiles.append(_plan(d.plan, d.as_of))
    gap = Inches(0.25)
    tw = int((W - MARGIN - tiles_x - gap) / 2)
    th = int((bottom - BODY_TOP - Inches(0.05) - gap) / 2)
    for k, tile in enumerate(tiles):
        x = tiles_x + (k % 2) * (tw + gap)
        y = BODY_TOP + Inches(0.05) + (k // 2) * (th + gap)
        _kpi(s, x, y, tw, th, *tile)


def _qbr_panel(s, d: AccountQbrData, lw, bottom) -> None:
    """The latest QBR: a table of its dimensions (score, weight, change) over a RAG block."""
    lx, last = MARGIN, d.latest
    if last is None:
        message(s, lx, BODY_TOP + Inches(0.2), lw, Inches(2.5), "no QBR recorded for this account")
        return
    text(
        s, lx, BODY_TOP + Inches(0.05), lw, Inches(0.4), f"QBR of {fmt.day(last['date'])}", 16, True
    )
    body = [_dimension_row(d, dim, last.get(dim)) for dim in d.dimensions]
    tr = as_float(last.get("trend"))
    body.append(
        ["Weighted QBR score", f"{last['score']:.1f}", "", "–" if tr is None else f"{tr:+.1f}"]
    )
    table(
        s,
        lx,
        BODY_TOP + Inches(0.5),
        lw,
        ["Dimension (1–5)", "Score", "Weight", "Change"],
        body,
        [3.0, 1.0, 1.0, 1.0],
        size=14,
        row_h=0.42,
        align=[PP_ALIGN.LEFT, PP_ALIGN.RIGHT, PP_ALIGN.RIGHT, PP_ALIGN.RIGHT],
    )
    by = BODY_TOP + Inches(0.5 + 0.42 * (len(body) + 1) + 0.3)
    bh = bottom - by
    rag = last.get("rag")
    rect(s, lx, by, lw, bh, RAG_RGB.get(rag, RAG_RGB[None]), shape=MSO_SHAPE.ROUNDED_RECTANGLE)
    score = f"{last['score']:.1f}"
    text(s, lx + Inches(0.3), by, Inches(2.6), bh, score, 48, True, WHITE, anchor=MSO_ANCHOR.MIDDLE)
    band = f"green ≥ {d.rag_green_min:g}, amber ≥ {d.rag_amber_min:g}, red below"
    paras = [
        (fmt.RAG_LABELS.get(rag, "–"), 26, True),
        ("weighted QBR score out of 5", 14, False),
        (band, 14, False),
    ]
    text(
        s, lx + Inches(2.2), by, lw - Inches(2.4), bh, paras, colour=WHITE, anchor=MSO_ANCHOR.MIDDLE
    )


def _dimension_row(d: AccountQbrData, dim: str, v) -> list[str]:
    """Label, score, weight and change since the previous QBR of one dimension."""
    h = d.qbr_history
    prev = as_float(h.iloc[-2][dim]) if len(h) >= 2 else None
    ch = "–" if prev is None or as_float(v) is None else f"{float(v) - prev:+.0f}"
    return [
        DIM_LABELS.get(dim, dim.replace("_", " ").capitalize()),
        "–" if as_float(v) is None else f"{float(v):.0f}",
        f"{d.weights.get(dim, 0):g}",
        "0" if ch in ("+0", "-0") else ch,
    ]


def _kpi(s, x, y, w, h, label, value, sub, colour=INK) -> None:
    rect(s, x, y, w, h, LIGHT, RULE)
    pad = Inches(0.18)
    text(s, x + pad, y + Inches(0.12), w - 2 * pad, Inches(0.4), label, 14, colour=GREY)
    text(s, x + pad, y + Inches(0.5), w - 2 * pad, Inches(0.8), value, 30, True, colour)
    text(s, x + pad, y + Inches(1.3), w - 2 * pad, h - Inches(1.4), sub, 12, colour=GREY)


def _ttm(deck: Deck, d: AccountQbrData) -> tuple:
    if d.ttm is None:
        return ("TTM revenue", "–", "no revenue in this extract")
    if d.ttm_prev:
        change = fmt.pct(d.ttm / d.ttm_prev - 1) if d.ttm_prev > 0 else "–"
        sub = f"{change} vs a year ago ({deck.money(d.ttm_prev)})"
        if d.ttm_prev > 0 and d.ttm >= d.ttm_prev:
            sub = "+" + sub
    else:
        sub = "no revenue a year ago" if d.ttm_prev == 0 else "history too short to compare"
    return (f"TTM revenue {d.quarter_label}", deck.money(d.ttm), sub)


def _nrr(deck: Deck, d: AccountQbrData) -> tuple:
    target = deck.settings.nrr_target
    if d.nrr is None:
        sub = "needs revenue a year before (TTM > 0) and two full years of data"
        return ("Net revenue retention", fmt.pct(d.nrr), sub, INK)
    band = "green" if d.nrr >= target else "amber" if d.nrr >= 1 else "red"
    sub = f"TTM {d.quarter_label} vs a year before · target {fmt.pct(target)}"
    return ("Net revenue retention", fmt.pct(d.nrr), sub, RAG_RGB[band])


def _share(deck: Deck, d: AccountQbrData) -> tuple:
    sub = (
        f"of an estimated {deck.money(d.wallet)} yearly wallet"
        if d.wallet is not None
        else "no wallet estimate for this account"
    )
    return ("Share of wallet", fmt.pct(d.share), sub)


def _plan(plan: dict, as_of) -> tuple:
    stale = bool(plan.get("stale"))
    days = as_float(plan.get("days_since_plan"))
    if days is None:
        value, sub = "No plan", "no plan date recorded"
    else:
        value = fmt.days(max(int(days), 0))
        sub = f"plan updated {fmt.day(plan.get('plan_updated'))}"
        # the engine counts a plan dated after the as-of date as 0 days old: say why
        if fmt.as_date(plan.get("plan_updated")) > as_of:
            sub += " (after the as-of date)"
    cadence = int(plan.get("cadence_days"))
    sub += f" · {'stale' if stale else 'fresh'}: reviewed every {cadence} days"
    return ("Plan freshness", value, sub, RAG_RGB["red"] if stale else RAG_RGB["green"])
