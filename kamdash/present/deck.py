"""QBR deck export (PPTX): one account, or every account of a book, six slides each.

Per account: title (account, owner, tier, quarter, as-of date) · scorecard (QBR dimension
scores, weighted score and RAG band; TTM revenue, NRR, share of wallet, plan freshness) ·
trends (native column chart of quarterly revenue, native line chart of the QBR score) ·
relationships (coverage, multithreading, champions, detractors, executive access, a
single-threaded warning, key contacts; native column chart of contacts by sentiment) ·
whitespace (the account's biggest empty product cells with their potential and reason; a
native bar chart) · commitments (commitments due / done and notes of the recent QBRs).
A deck of several accounts starts with an overview slide (one row per account).

Every number comes from the metrics engine, computed on the whole portfolio (an unfiltered
cursor: whitespace peers and revenue quintiles do not change with the book being exported):
`retention.account_quarters` / `account_growth` (quarter revenue, TTM, account NRR = TTM(Q) /
TTM(Q-4)), `wallet.account_share`, `tiering.tier_scores` (suggested tier), `qbr.qbr_scores`,
`qbr.plan_freshness`, `relationships.relationships` / `contacts`, `whitespace.whitespace`.
`account_qbr_data()` returns those figures (the presentation-mode page can show the very same
numbers); `qbr_deck()` renders them.

Quarter: the deck's quarter Q defaults to the last complete quarter. For an earlier quarter
the deck is "as of" the end of Q (settings.as_of is set to that date, so QBRs, plan freshness
and contact recency are as they were then); for the last complete or the current (partial)
quarter it is as of the extract's date (the partial quarter is flagged). QBRs dated after the
as-of date are left out.

Names: pass `aliases` (kamdash.aliases.Aliases) to hide account and contact names in every
text, table and chart of the deck, and in its document properties.
A table missing from the extract makes its slide say so instead of failing.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence

import duckdb
import pandas as pd
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LABEL_POSITION,
    XL_LEGEND_POSITION,
    XL_MARKER_STYLE,
)
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from kamdash.core import fmt
from kamdash.core.fmt import as_float
from kamdash.core.missing import Missing
from kamdash.core.settings import Settings
from kamdash.present.aliases import Aliases, passthrough
from kamdash.views.account_review import (
    NOT_RECORDED,
    AccountQbrData,
    DeckError,
    account_qbr_data,
    accounts_for,
    resolve_quarter,
)

TOP_CONTACTS = 5
QBR_ROWS = 5
OVERVIEW_ROWS = 12
NRR_TARGET = 1.10
SLIDE_TITLES = {
    "scorecard": "QBR scorecard",
    "trends": "Revenue and QBR trends",
    "relationships": "Relationship summary",
    "whitespace": "Whitespace: where to grow",
    "commitments": "Commitments and notes",
    "overview": "QBR deck overview",
}
DIM_LABELS = {
    "relationship_depth": "Relationship depth",
    "pipeline_coverage": "Pipeline coverage",
    "plan_currency": "Plan currency",
}


def _nice_step(raw: float) -> float:
    """A round axis step (1, 2, 2.5 or 5 times a power of ten) of at least `raw`."""
    if not raw or raw <= 0 or math.isnan(raw):
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

W, H = Emu(12192000), Emu(6858000)  # 13.333 x 7.5 in, exactly 16:9
MARGIN = Inches(0.55)
BODY_TOP = Inches(1.55)
BODY_BOTTOM = Inches(6.85)
NAVY = RGBColor(0x1F, 0x4E, 0x79)
INK = RGBColor(0x1B, 0x27, 0x33)
GREY = RGBColor(0x5F, 0x6B, 0x7A)
LIGHT = RGBColor(0xF3, 0xF6, 0xF9)
RULE = RGBColor(0xD5, 0xDD, 0xE6)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
FONT = "Calibri"


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


RAG_RGB = {k: _rgb(v) for k, v in fmt.RAG_COLORS.items()}
SENTIMENT_RGB = {
    "champion": _rgb(fmt.GOOD),
    "supporter": _rgb("#7cb342"),
    "neutral": _rgb(fmt.NEUTRAL),
    "detractor": _rgb(fmt.BAD),
    NOT_RECORDED: _rgb("#c5ccd3"),
}


def _style_runs(tf, size: float, bold: bool, colour: RGBColor, align) -> None:
    for p in tf.paragraphs:
        if align is not None:
            p.alignment = align
        for r in p.runs:
            r.font.size = Pt(size)
            r.font.bold = bold
            r.font.name = FONT
            r.font.color.rgb = colour


def _text(
    slide,
    x,
    y,
    w,
    h,
    text: str | Sequence[str | tuple[str, float, bool]],
    size: float = 14,
    bold: bool = False,
    colour: RGBColor = INK,
    align=PP_ALIGN.LEFT,
    anchor=MSO_ANCHOR.TOP,
):
    """A text box; `text` a string or several paragraphs (a paragraph may be a
    (text, size, bold) tuple)."""
    box = slide.shapes.add_textbox(x, y, w, h)
    tf = box.text_frame
    tf.word_wrap = True
    tf.vertical_anchor = anchor
    tf.margin_left = tf.margin_right = Inches(0.05)
    tf.margin_top = tf.margin_bottom = Inches(0.03)
    paras = [text] if isinstance(text, str) else list(text)
    styled = [p if isinstance(p, tuple) else (p, size, bold) for p in paras] or [("", size, bold)]
    for i, (t, sz, b) in enumerate(styled):
        para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        para.alignment = align
        run = para.add_run()
        run.text = t
        run.font.size = Pt(sz)
        run.font.bold = b
        run.font.name = FONT
        run.font.color.rgb = colour
    return box


def _rect(slide, x, y, w, h, fill: RGBColor, line: RGBColor | None = None, shape=None):
    s = slide.shapes.add_shape(shape or MSO_SHAPE.RECTANGLE, x, y, w, h)
    s.fill.solid()
    s.fill.fore_color.rgb = fill
    if line is None:
        s.line.fill.background()
    else:
        s.line.color.rgb = line
        s.line.width = Pt(0.75)
    s.shadow.inherit = False
    return s


def _message(slide, x, y, w, h, text: str) -> None:
    """A plain notice where a section cannot be shown (a table missing from the extract)."""
    _rect(slide, x, y, w, h, LIGHT, RULE)
    _text(
        slide,
        x + Inches(0.3),
        y,
        w - Inches(0.6),
        h,
        text[:1].upper() + text[1:] + ".",
        size=16,
        colour=GREY,
        anchor=MSO_ANCHOR.MIDDLE,
        align=PP_ALIGN.CENTER,
    )


class _Deck:
    def __init__(self, aliases: Aliases, settings: Settings):
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = W, H
        self.layout = self.prs.slide_layouts[5]  # "Title Only": every slide has a real title
        self.al = aliases
        self.settings = settings
        self.cur = settings.currency

    # ---- frame shared by every slide ---------------------------------------------------------
    def slide(self, title: str, subtitle: str, rag: str | None, footer: str):
        s = self.prs.slides.add_slide(self.layout)
        t = s.shapes.title
        t.left, t.top, t.width, t.height = MARGIN, Inches(0.32), W - 2 * MARGIN, Inches(0.75)
        t.text = title
        tf = t.text_frame
        tf.word_wrap = True
        tf.vertical_anchor = MSO_ANCHOR.BOTTOM
        tf.margin_left = tf.margin_right = Inches(0.05)
        _style_runs(tf, 30, True, NAVY, PP_ALIGN.LEFT)
        _text(s, MARGIN, Inches(1.05), W - 2 * MARGIN, Inches(0.4), subtitle, 15, colour=GREY)
        # the account's RAG band as a strip down the left edge
        _rect(s, 0, 0, Inches(0.16), H, RAG_RGB.get(rag, RAG_RGB[None]))
        _rect(s, MARGIN, Inches(1.47), W - 2 * MARGIN, Emu(9525), RULE)
        _text(
            s,
            MARGIN,
            Inches(7.0),
            W - 2 * MARGIN - Inches(0.6),
            Inches(0.35),
            footer,
            10,
            colour=GREY,
        )
        _text(
            s,
            W - MARGIN - Inches(0.6),
            Inches(7.0),
            Inches(0.6),
            Inches(0.35),
            str(len(self.prs.slides)),
            10,
            colour=GREY,
            align=PP_ALIGN.RIGHT,
        )
        return s

    def name(self, d: AccountQbrData) -> str:
        return self.al.account(d.account_id, d.account_name)

    def owner(self, d: AccountQbrData) -> str:
        return self.al.owner(d.owner) if d.owner else "no owner recorded"

    def qlabel(self, d: AccountQbrData) -> str:
        return d.quarter_label + (" (partial)" if d.partial else "")

    def footer(self, d: AccountQbrData, extra: str = "") -> str:
        base = f"kamdash · {self.qlabel(d)} · as of {d.as_of.isoformat()}"
        return base + (f" · {extra}" if extra else "")

    def money(self, x) -> str:
        return fmt.money(x, self.cur)

    # ---- table helper ------------------------------------------------------------------------
    def table(
        self,
        slide,
        x,
        y,
        w,
        header: Sequence[str],
        body: Sequence[Sequence[str]],
        widths: Sequence[float],
        size: float = 13,
        row_h: float = 0.42,
        fills: dict[tuple[int, int], RGBColor] | None = None,
        align: Sequence | None = None,
    ):
        n = len(body) + 1
        shape = slide.shapes.add_table(n, len(header), x, y, w, Inches(row_h * n))
        tbl = shape.table
        tbl.first_row = True
        tbl.horz_banding = False
        total = sum(widths)
        for j, wt in enumerate(widths):
            tbl.columns[j].width = int(w * wt / total)
        for i in range(n):
            tbl.rows[i].height = Inches(row_h)
        fills = fills or {}
        for i, row in enumerate([list(header), *[list(r) for r in body]]):
            for j, val in enumerate(row):
                c = tbl.cell(i, j)
                c.text = "" if val is None else str(val)
                c.margin_left = c.margin_right = Inches(0.08)
                c.margin_top = c.margin_bottom = Inches(0.04)
                c.vertical_anchor = MSO_ANCHOR.MIDDLE
                c.fill.solid()
                if i == 0:
                    c.fill.fore_color.rgb = NAVY
                    colour, bold = WHITE, True
                else:
                    c.fill.fore_color.rgb = fills.get((i - 1, j), WHITE if i % 2 else LIGHT)
                    colour = WHITE if (i - 1, j) in fills else INK
                    bold = (i - 1, j) in fills
                al = align[j] if align else PP_ALIGN.LEFT
                _style_runs(c.text_frame, size, bold, colour, al)
        return shape

    # ---- chart helper ------------------------------------------------------------------------
    def chart(self, slide, kind, x, y, w, h, categories, series: dict[str, list], title: str):
        cd = CategoryChartData()
        cd.categories = list(categories)
        for name, values in series.items():
            cd.add_series(name, [None if v is None else float(v) for v in values])
        gf = slide.shapes.add_chart(kind, x, y, w, h, cd)
        ch = gf.chart
        ch.font.size = Pt(12)
        ch.font.name = FONT
        ch.font.color.rgb = INK
        ch.has_title = True
        ch.chart_title.text_frame.text = title
        _style_runs(ch.chart_title.text_frame, 16, True, INK, None)
        ch.has_legend = len(series) > 1
        va = ch.value_axis
        va.has_major_gridlines = True
        va.major_gridlines.format.line.color.rgb = RULE
        va.format.line.fill.background()
        va.tick_labels.font.size = Pt(11)
        ca = ch.category_axis
        ca.tick_labels.font.size = Pt(11)
        ca.format.line.color.rgb = RULE
        ca.has_major_gridlines = False
        return ch

    def money_format(self, values: Sequence[float]) -> str:
        m = max([abs(v) for v in values if v is not None] or [0])
        cur = self.cur.replace('"', "")
        if m >= 1e6:
            return f'"{cur}"#,##0.0,,"M"'
        if m >= 1e4:
            return f'"{cur}"#,##0,"k"'
        return f'"{cur}"#,##0'

    # ---- slides ------------------------------------------------------------------------------
    def overview(self, data: list[AccountQbrData], heading: str) -> None:
        chunks = [data[i : i + OVERVIEW_ROWS] for i in range(0, len(data), OVERVIEW_ROWS)]
        d0 = data[0]
        for k, chunk in enumerate(chunks, 1):
            sub = f"{heading} · " if heading else ""
            sub += f"{len(data)} accounts · {self.qlabel(d0)}"
            if len(chunks) > 1:
                sub += f" · page {k} of {len(chunks)}"
            s = self.slide(SLIDE_TITLES["overview"], sub, None, self.footer(d0))
            body, fills = [], {}
            for i, d in enumerate(chunk):
                last = d.latest
                score = "–" if last is None else f"{last['score']:.1f}"
                if last is not None and last.get("rag") in RAG_RGB:
                    fills[(i, 4)] = RAG_RGB[last["rag"]]
                plan = d.plan
                body.append(
                    [
                        self.name(d),
                        d.tier or "–",
                        self.money(d.ttm),
                        fmt.pct(d.nrr),
                        score,
                        "–" if isinstance(plan, Missing) else str(plan.get("status")),
                    ]
                )
            self.table(
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

    def title_slide(self, d: AccountQbrData) -> None:
        s = self.prs.slides.add_slide(self.layout)
        rag = d.rag
        _rect(s, 0, 0, Inches(0.16), H, RAG_RGB.get(rag, RAG_RGB[None]))
        _rect(s, Inches(0.16), 0, W - Inches(0.16), Inches(0.9), NAVY)
        _text(
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
        t.text = self.name(d)
        tf = t.text_frame
        tf.word_wrap = True
        tf.vertical_anchor = MSO_ANCHOR.BOTTOM
        _style_runs(tf, 44, True, NAVY, PP_ALIGN.LEFT)
        _text(
            s,
            MARGIN,
            Inches(3.1),
            W - 2 * MARGIN,
            Inches(0.5),
            f"{self.qlabel(d)} review · figures as of {d.as_of.isoformat()}",
            20,
            colour=GREY,
        )
        tier = d.tier or "no tier assigned"
        if d.suggested_tier and d.suggested_tier != d.tier:
            tier += f" (score suggests {d.suggested_tier})"
        facts = [
            ("Account owner", self.owner(d)),
            ("Tier", tier),
            ("Quarter", self.qlabel(d)),
            ("As of", d.as_of.isoformat()),
        ]
        y = Inches(4.1)
        for label, value in facts:
            _text(s, MARGIN, y, Inches(2.4), Inches(0.45), label, 16, colour=GREY)
            _text(s, MARGIN + Inches(2.4), y, Inches(5.6), Inches(0.45), value, 16, True)
            y += Inches(0.5)
        # RAG badge
        last = d.latest
        bx, by, bw, bh = Inches(9.2), Inches(4.15), Inches(3.55), Inches(1.9)
        if last is None:
            _message(s, bx, by, bw, bh, "no QBR score yet")
        else:
            _rect(
                s,
                bx,
                by,
                bw,
                bh,
                RAG_RGB.get(rag, RAG_RGB[None]),
                shape=MSO_SHAPE.ROUNDED_RECTANGLE,
            )
            _text(
                s,
                bx,
                by + Inches(0.15),
                bw,
                Inches(0.4),
                "QBR score",
                16,
                colour=WHITE,
                align=PP_ALIGN.CENTER,
            )
            _text(
                s,
                bx,
                by + Inches(0.5),
                bw,
                Inches(0.8),
                f"{last['score']:.1f} / 5",
                40,
                True,
                WHITE,
                PP_ALIGN.CENTER,
            )
            _text(
                s,
                bx,
                by + Inches(1.3),
                bw,
                Inches(0.4),
                f"{fmt.RAG_LABELS.get(rag, '–')} · {pd.Timestamp(last['date']).date().isoformat()}",
                16,
                colour=WHITE,
                align=PP_ALIGN.CENTER,
            )
        _text(
            s,
            MARGIN,
            Inches(7.0),
            W - 2 * MARGIN,
            Inches(0.35),
            "Prepared with kamdash · figures follow the metric definitions shown in the app",
            10,
            colour=GREY,
        )

    def kpi(self, slide, x, y, w, h, label, value, sub, colour: RGBColor = INK) -> None:
        _rect(slide, x, y, w, h, LIGHT, RULE)
        pad = Inches(0.18)
        _text(slide, x + pad, y + Inches(0.12), w - 2 * pad, Inches(0.4), label, 14, colour=GREY)
        _text(slide, x + pad, y + Inches(0.5), w - 2 * pad, Inches(0.8), value, 30, True, colour)
        _text(slide, x + pad, y + Inches(1.3), w - 2 * pad, h - Inches(1.4), sub, 12, colour=GREY)

    def scorecard(self, d: AccountQbrData) -> None:
        s = self.slide(
            SLIDE_TITLES["scorecard"],
            f"{self.name(d)} · {self.qlabel(d)}",
            d.rag,
            self.footer(d, "TTM = trailing twelve months"),
        )
        lx, lw = MARGIN, Inches(6.0)
        last = d.latest
        if isinstance(d.qbr_history, Missing):
            _message(s, lx, BODY_TOP + Inches(0.2), lw, Inches(2.5), d.qbr_history.message)
        elif last is None:
            _message(
                s, lx, BODY_TOP + Inches(0.2), lw, Inches(2.5), "no QBR recorded for this account"
            )
        else:
            date = pd.Timestamp(last["date"]).date().isoformat()
            _text(s, lx, BODY_TOP + Inches(0.05), lw, Inches(0.4), f"QBR of {date}", 16, True)
            body = []
            for dim in d.dimensions:
                v = last.get(dim)
                prev = self._previous_dim(d, dim)
                ch = "–" if prev is None or as_float(v) is None else f"{float(v) - prev:+.0f}"
                ch = "0" if ch in ("+0", "-0") else ch
                body.append(
                    [
                        DIM_LABELS.get(dim, dim.replace("_", " ").capitalize()),
                        "–" if as_float(v) is None else f"{float(v):.0f}",
                        f"{d.weights.get(dim, 0):g}",
                        ch,
                    ]
                )
            tr = as_float(last.get("trend"))
            body.append(
                [
                    "Weighted QBR score",
                    f"{last['score']:.1f}",
                    "",
                    "–" if tr is None else f"{tr:+.1f}",
                ]
            )
            rows_n = len(body)
            self.table(
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
            by = BODY_TOP + Inches(0.5 + 0.42 * (rows_n + 1) + 0.3)
            bh = BODY_BOTTOM - by
            rag = last.get("rag")
            _rect(
                s,
                lx,
                by,
                lw,
                bh,
                RAG_RGB.get(rag, RAG_RGB[None]),
                shape=MSO_SHAPE.ROUNDED_RECTANGLE,
            )
            _text(
                s,
                lx + Inches(0.3),
                by,
                Inches(2.6),
                bh,
                f"{last['score']:.1f}",
                48,
                True,
                WHITE,
                anchor=MSO_ANCHOR.MIDDLE,
            )
            band = f"green ≥ {d.rag_green_min:g}, amber ≥ {d.rag_amber_min:g}, red below"
            _text(
                s,
                lx + Inches(2.2),
                by,
                lw - Inches(2.4),
                bh,
                [
                    (fmt.RAG_LABELS.get(rag, "–"), 26, True),
                    ("weighted QBR score out of 5", 14, False),
                    (band, 14, False),
                ],
                colour=WHITE,
                anchor=MSO_ANCHOR.MIDDLE,
            )
        # KPI tiles
        rx = MARGIN + lw + Inches(0.45)
        rw = W - MARGIN - rx
        gap = Inches(0.25)
        tw = int((rw - gap) / 2)
        th = int((BODY_BOTTOM - BODY_TOP - Inches(0.05) - gap) / 2)
        y0 = BODY_TOP + Inches(0.05)
        # TTM revenue
        if d.ttm is None:
            self.kpi(s, rx, y0, tw, th, "TTM revenue", "–", "no revenue in this extract")
        else:
            if d.ttm_prev:
                sub = f"{fmt.pct(d.ttm / d.ttm_prev - 1) if d.ttm_prev > 0 else '–'} vs a year ago ({self.money(d.ttm_prev)})"
                if d.ttm_prev > 0 and d.ttm >= d.ttm_prev:
                    sub = "+" + sub
            else:
                sub = "no revenue a year ago" if d.ttm_prev == 0 else "history too short to compare"
            self.kpi(s, rx, y0, tw, th, f"TTM revenue {d.quarter_label}", self.money(d.ttm), sub)
        # NRR
        nrr_col = INK
        if d.nrr is not None:
            nrr_col = (
                RAG_RGB["green"]
                if d.nrr >= NRR_TARGET
                else RAG_RGB["amber"]
                if d.nrr >= 1
                else RAG_RGB["red"]
            )
        self.kpi(
            s,
            rx + tw + gap,
            y0,
            tw,
            th,
            "Net revenue retention",
            fmt.pct(d.nrr),
            f"TTM {d.quarter_label} vs a year before · target {fmt.pct(NRR_TARGET)}"
            if d.nrr is not None
            else "needs revenue a year before (TTM > 0) and two full years of data",
            nrr_col,
        )
        # share of wallet
        y1 = y0 + th + gap
        if isinstance(d.share, Missing):
            self.kpi(s, rx, y1, tw, th, "Share of wallet", "–", d.share.message)
        else:
            sub = (
                f"of an estimated {self.money(d.wallet)} yearly wallet"
                if d.wallet is not None
                else "no wallet estimate for this account"
            )
            self.kpi(s, rx, y1, tw, th, "Share of wallet", fmt.pct(d.share), sub)
        # plan freshness
        plan = d.plan
        if isinstance(plan, Missing):
            self.kpi(s, rx + tw + gap, y1, tw, th, "Plan freshness", "–", plan.message)
        else:
            days = plan.get("days_since_plan")
            stale = bool(plan.get("stale"))
            cadence = int(plan.get("cadence_days"))
            if days is None or pd.isna(days):
                value, sub = "No plan", "no plan date recorded"
            else:
                days = int(days)
                value = fmt.days(max(days, 0))
                pu = pd.Timestamp(plan.get("plan_updated")).date().isoformat()
                sub = f"plan updated {pu}"
                if days < 0:
                    sub += " (after the as-of date)"
            sub += f" · {'stale' if stale else 'fresh'}: reviewed every {cadence} days"
            col = RAG_RGB["red"] if stale else RAG_RGB["green"]
            self.kpi(s, rx + tw + gap, y1, tw, th, "Plan freshness", value, sub, col)

    def _previous_dim(self, d: AccountQbrData, dim: str) -> float | None:
        h = d.qbr_history
        if isinstance(h, Missing) or len(h) < 2:
            return None
        return as_float(h.iloc[-2][dim])

    def trends(self, d: AccountQbrData) -> None:
        s = self.slide(
            SLIDE_TITLES["trends"],
            f"{self.name(d)} · {self.qlabel(d)}",
            d.rag,
            self.footer(d, "quarter revenue = sum of the amounts dated in the quarter"),
        )
        cw = int((W - 2 * MARGIN - Inches(0.4)) / 2)
        ch_h = BODY_BOTTOM - BODY_TOP - Inches(0.45)
        y = BODY_TOP + Inches(0.05)
        t = d.revenue_trend
        if isinstance(t, Missing):
            _message(s, MARGIN, y, cw, ch_h, t.message)
        else:
            cats = [
                lab + (" (partial)" if p else "")
                for lab, p in zip(t["label"], t["partial"], strict=True)
            ]
            vals = t["revenue"].tolist()
            ch = self.chart(
                s,
                XL_CHART_TYPE.COLUMN_CLUSTERED,
                MARGIN,
                y,
                cw,
                ch_h,
                cats,
                {"Quarter revenue": vals},
                "Quarterly revenue",
            )
            nf = self.money_format(vals)
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
                    pt.format.fill.fore_color.rgb = _rgb("#a8c6e0")
            _text(
                s,
                MARGIN,
                y + ch_h + Inches(0.05),
                cw,
                Inches(0.35),
                f"TTM {d.quarter_label}: {self.money(d.ttm)}"
                + (f" · a year before: {self.money(d.ttm_prev)}" if d.ttm_prev is not None else ""),
                12,
                colour=GREY,
            )
        x2 = MARGIN + cw + Inches(0.4)
        h = d.qbr_history
        if isinstance(h, Missing):
            _message(s, x2, y, cw, ch_h, h.message)
        elif h.empty:
            _message(s, x2, y, cw, ch_h, "no QBR recorded for this account")
        else:
            cats = [pd.Timestamp(x).date().isoformat() for x in h["date"]]
            vals = [float(v) for v in h["score"]]
            # series 0: the score line (labelled); then one marker-only series per RAG band
            # holding the scores in that band (a per-band series renders its colour in every
            # viewer, where per-point marker colours do not)
            series = {"QBR score": vals}
            bands = [b for b in fmt.RAG if b in set(h["rag"])]
            for b in bands:
                series[fmt.RAG_LABELS[b]] = [
                    v if r == b else None for v, r in zip(vals, h["rag"], strict=True)
                ]
            ch = self.chart(
                s,
                XL_CHART_TYPE.LINE_MARKERS,
                x2,
                y,
                cw,
                ch_h,
                cats,
                series,
                "QBR score (1–5)",
            )
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
                bs.smooth = False
                bs.format.line.fill.background()
                bs.marker.style = XL_MARKER_STYLE.CIRCLE
                bs.marker.size = 12
                bs.marker.format.fill.solid()
                bs.marker.format.fill.fore_color.rgb = RAG_RGB[b]
                bs.marker.format.line.color.rgb = RAG_RGB[b]
                dl = bs.data_labels  # the score above each marker
                dl.show_value = True
                dl.number_format = "0.0"
                dl.number_format_is_linked = False
                dl.font.size = Pt(12)
                dl.position = XL_LABEL_POSITION.ABOVE
            _text(
                s,
                x2,
                y + ch_h + Inches(0.05),
                cw,
                Inches(0.35),
                f"RAG bands: green ≥ {d.rag_green_min:g}, amber ≥ {d.rag_amber_min:g}, red below",
                12,
                colour=GREY,
            )

    def relationships(self, d: AccountQbrData) -> None:
        s = self.slide(
            SLIDE_TITLES["relationships"],
            f"{self.name(d)} · stakeholder map",
            d.rag,
            self.footer(
                d,
                f"active relationship = strength ≥ {self.settings.active_strength_min:g} of 5",
            ),
        )
        rel = d.relationship
        lw = Inches(6.6)
        y = BODY_TOP + Inches(0.05)
        if isinstance(rel, Missing):
            _message(s, MARGIN, y, W - 2 * MARGIN, BODY_BOTTOM - y, rel.message)
            return
        mapped, active = int(rel["mapped"]), int(rel["active"])
        tiles = [
            (
                "Coverage",
                fmt.pct(as_float(rel["coverage"])),
                f"{active} of {mapped} contacts active",
            ),
            ("Multithreading", str(int(rel["multithread_depth"])), "active relationships"),
            (
                "Executive access",
                "Yes" if rel["executive_access"] else "No",
                "active executive contact" if rel["executive_access"] else "no active executive",
            ),
            ("Champions", str(int(rel["champions"])), "sentiment: champion"),
            ("Detractors", str(int(rel["detractors"])), "sentiment: detractor"),
            (
                "Last contact",
                "–"
                if rel.get("last_contact") is None or pd.isna(rel.get("last_contact"))
                else pd.Timestamp(rel["last_contact"]).date().isoformat(),
                "latest touch, any contact",
            ),
        ]
        gap = Inches(0.15)
        tw = int((lw - 2 * gap) / 3)
        th = Inches(1.12)
        for k, (label, value, sub) in enumerate(tiles):
            x = MARGIN + (k % 3) * (tw + gap)
            yy = y + (k // 3) * (th + gap)
            colour = INK
            if label == "Executive access":
                colour = RAG_RGB["green"] if rel["executive_access"] else RAG_RGB["red"]
            if label == "Detractors" and int(rel["detractors"]):
                colour = RAG_RGB["red"]
            if label == "Champions":
                colour = RAG_RGB["green"] if int(rel["champions"]) else RAG_RGB["amber"]
            _rect(s, x, yy, tw, th, LIGHT, RULE)
            _text(
                s,
                x + Inches(0.12),
                yy + Inches(0.06),
                tw - Inches(0.2),
                Inches(0.3),
                label,
                12,
                colour=GREY,
            )
            _text(
                s,
                x + Inches(0.12),
                yy + Inches(0.33),
                tw - Inches(0.2),
                Inches(0.5),
                value,
                24 if len(value) <= 6 else 18,
                True,
                colour,
            )
            _text(
                s,
                x + Inches(0.12),
                yy + Inches(0.8),
                tw - Inches(0.2),
                Inches(0.3),
                sub,
                10,
                colour=GREY,
            )
        yy = y + 2 * (th + gap)
        if bool(rel["single_threaded"]):
            _rect(s, MARGIN, yy, lw, Inches(0.62), RAG_RGB["red"])
            why = "no active relationship" if active == 0 else "only one active relationship"
            _text(
                s,
                MARGIN + Inches(0.15),
                yy,
                lw - Inches(0.3),
                Inches(0.62),
                f"Single-threaded: {why}. If that contact leaves, the account is uncovered.",
                13,
                True,
                WHITE,
                anchor=MSO_ANCHOR.MIDDLE,
            )
            yy += Inches(0.62) + gap
        cts = d.contacts
        if not isinstance(cts, Missing) and not cts.empty:
            top = cts.head(TOP_CONTACTS)
            body = [
                [
                    self.al.contact(r["name"]),
                    self.al.text(fmt.short(r["title"], 26)) if isinstance(r["title"], str) else "–",
                    (r["level"] or "–").capitalize() if isinstance(r["level"], str) else "–",
                    (r["sentiment"] or "–").capitalize()
                    if isinstance(r["sentiment"], str)
                    else "–",
                    "–" if as_float(r["strength"]) is None else f"{float(r['strength']):.0f}",
                ]
                for _, r in top.iterrows()
            ]
            room = BODY_BOTTOM - yy
            row_h = min(0.36, (room / 914400) / (len(body) + 1))
            self.table(
                s,
                MARGIN,
                yy,
                lw,
                ["Key contact", "Title", "Level", "Sentiment", "Strength"],
                body,
                [1.8, 2.3, 1.1, 1.2, 1.1],
                size=11,
                row_h=row_h,
                align=[PP_ALIGN.LEFT] * 4 + [PP_ALIGN.RIGHT],
            )
        elif not isinstance(cts, Missing):
            _message(s, MARGIN, yy, lw, Inches(1.0), "no contact mapped for this account")
        # chart: contacts by sentiment
        x2 = MARGIN + lw + Inches(0.4)
        cw = W - MARGIN - x2
        sent = d.sentiment
        if isinstance(sent, Missing):
            _message(s, x2, y, cw, BODY_BOTTOM - y, sent.message)
        elif int(sent["contacts"].sum()) == 0:
            _message(s, x2, y, cw, BODY_BOTTOM - y, "no contact mapped for this account")
        else:
            cats = [x.capitalize() for x in sent["sentiment"]]
            vals = [int(v) for v in sent["contacts"]]
            ch = self.chart(
                s,
                XL_CHART_TYPE.COLUMN_CLUSTERED,
                x2,
                y,
                cw,
                BODY_BOTTOM - y,
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

    def whitespace(self, d: AccountQbrData) -> None:
        s = self.slide(
            SLIDE_TITLES["whitespace"],
            f"{self.name(d)} · products not yet bought, by potential",
            d.rag,
            self.footer(
                d,
                "potential = median TTM spend on the product of comparable accounts that buy it",
            ),
        )
        y = BODY_TOP + Inches(0.05)
        wsp = d.whitespace
        if isinstance(wsp, Missing):
            _message(s, MARGIN, y, W - 2 * MARGIN, BODY_BOTTOM - y, wsp.message)
            return
        if wsp.empty:
            _message(
                s,
                MARGIN,
                y,
                W - 2 * MARGIN,
                BODY_BOTTOM - y,
                "no whitespace with peer potential: this account buys every product its peers buy",
            )
            return
        lw = Inches(7.3)
        body = [
            [
                r["product"],
                self.money(r["potential"]),
                self.al.text(r["reason"]),
                self.money(r["pipeline"]) if r["in_pipeline"] else "–",
            ]
            for _, r in wsp.iterrows()
        ]
        row_h = 0.62
        self.table(
            s,
            MARGIN,
            y,
            lw,
            ["Product", "Potential", "Why", "Open pipeline"],
            body,
            [1.9, 1.15, 3.3, 1.25],
            size=12,
            row_h=row_h,
            align=[PP_ALIGN.LEFT, PP_ALIGN.RIGHT, PP_ALIGN.LEFT, PP_ALIGN.RIGHT],
        )
        x2 = MARGIN + lw + Inches(0.35)
        cw = W - MARGIN - x2
        # a bar chart draws its first category at the bottom: feed smallest first so the
        # biggest potential is on top (same order as the table) and the axis stays below
        rev = wsp.iloc[::-1].reset_index(drop=True)
        vals = [float(v) for v in rev["potential"]]
        ch = self.chart(
            s,
            XL_CHART_TYPE.BAR_CLUSTERED,
            x2,
            y,
            cw,
            min(BODY_BOTTOM - y, Inches(1.3 + 0.75 * len(rev))),  # few bars: a shorter chart
            [str(p) for p in rev["product"]],
            {"Potential": vals},
            "Potential by product",
        )
        nf = self.money_format(vals)
        va = ch.value_axis
        va.minimum_scale = 0
        va.major_unit = _nice_step(max(vals) / 4)
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
        ser.format.fill.fore_color.rgb = _rgb(fmt.SECONDARY)
        if bool(wsp["in_pipeline"].any()):
            _text(
                s,
                MARGIN,
                BODY_BOTTOM - Inches(0.4),
                lw,
                Inches(0.4),
                "Lighter bars: already in open pipeline (amount in the table).",
                12,
                colour=GREY,
            )
        for i, ip in enumerate(rev["in_pipeline"]):
            if ip:
                pt = ser.points[i]
                pt.format.fill.solid()
                pt.format.fill.fore_color.rgb = _rgb("#f5b47a")

    def commitments(self, d: AccountQbrData) -> None:
        s = self.slide(
            SLIDE_TITLES["commitments"],
            f"{self.name(d)} · what was agreed and what was delivered",
            d.rag,
            self.footer(d, "from the QBR sheet"),
        )
        y = BODY_TOP + Inches(0.05)
        h = d.qbr_history
        if isinstance(h, Missing):
            _message(s, MARGIN, y, W - 2 * MARGIN, BODY_BOTTOM - y, h.message)
            return
        if h.empty:
            _message(
                s, MARGIN, y, W - 2 * MARGIN, BODY_BOTTOM - y, "no QBR recorded for this account"
            )
            return
        recent = h.tail(QBR_ROWS).iloc[::-1].reset_index(drop=True)
        last = recent.iloc[0]
        due, done = as_float(last["commitments_due"]), as_float(last["commitments_done"])
        tot_due = recent["commitments_due"].sum(min_count=1)
        tot_done = recent["commitments_done"].sum(min_count=1)
        lines = []
        date = pd.Timestamp(last["date"]).date().isoformat()
        if due is None:
            lines.append(f"Latest QBR {date}: no commitments recorded.")
        else:
            rate = f" ({fmt.pct(done / due)})" if due and done is not None else ""
            lines.append(
                f"Latest QBR {date}: {fmt.number(done)} of {fmt.number(due)} commitments done{rate}."
            )
        if len(recent) > 1 and not pd.isna(tot_due) and tot_due:
            lines.append(
                f"Last {len(recent)} QBRs: {fmt.number(tot_done)} of {fmt.number(tot_due)} done "
                f"({fmt.pct(tot_done / tot_due)})."
            )
        _text(s, MARGIN, y, W - 2 * MARGIN, Inches(0.75), lines, 16, True)
        body, fills = [], {}
        for i, r in recent.iterrows():
            if r["rag"] in RAG_RGB:
                fills[(i, 2)] = RAG_RGB[r["rag"]]
            cd, cdone = as_float(r["commitments_due"]), as_float(r["commitments_done"])
            body.append(
                [
                    pd.Timestamp(r["date"]).date().isoformat(),
                    f"{r['score']:.1f}" if as_float(r["score"]) is not None else "–",
                    fmt.RAG_LABELS.get(r["rag"], "–"),
                    "–" if cd is None else f"{fmt.number(cdone)} of {fmt.number(cd)}",
                    self.al.text(fmt.short(r["notes"], 150)) if isinstance(r["notes"], str) else "",
                ]
            )
        self.table(
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

    def account(self, d: AccountQbrData) -> None:
        self.title_slide(d)
        self.scorecard(d)
        self.trends(d)
        self.relationships(d)
        self.whitespace(d)
        self.commitments(d)

    def save(self, title: str) -> bytes:
        cp = self.prs.core_properties
        cp.title = title
        cp.author = "kamdash"
        cp.last_modified_by = "kamdash"
        cp.subject = "Quarterly business review"
        cp.keywords = ""
        cp.comments = ""
        cp.category = ""
        cp.revision = 1
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        cp.created = cp.modified = now
        buf = io.BytesIO()
        self.prs.save(buf)
        return buf.getvalue()


def render_deck(
    data: Sequence[AccountQbrData],
    settings: Settings,
    aliases: Aliases | None = None,
    heading: str | None = None,
) -> bytes:
    """The PPTX bytes of figures from `account_qbr_data` (overview slide when > 1 account)."""
    if not data:
        raise DeckError("no account to put in the deck")
    al = aliases or passthrough()
    deck = _Deck(al, settings)
    if len(data) > 1:
        deck.overview(list(data), heading and al.text(heading))
    for d in data:
        deck.account(d)
    title = (
        f"QBR {data[0].quarter_label}: {deck.name(data[0])}"
        if len(data) == 1
        else f"QBR {data[0].quarter_label}: {heading or f'{len(data)} accounts'}"
    )
    return deck.save(al.text(title))


def qbr_deck(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    account_ids: Sequence[str],
    quarter: int | str | None = None,
    aliases: Aliases | None = None,
    heading: str | None = None,
) -> bytes:
    """A QBR deck (PPTX bytes) for `account_ids` (use `accounts_for` to get a KAM's book).

    `con`: an unfiltered cursor of the snapshot; `quarter`: index, '2026Q3' or None (the last
    complete quarter); `aliases`: hide names (see kamdash.aliases); `heading`: the overview
    slide's subtitle for a multi-account deck (e.g. "Book of Lukas Becker")."""
    data = account_qbr_data(con, settings, account_ids, quarter)
    return render_deck(data, settings, aliases, heading)


def deck_filename(data_or_label: str, quarter_label: str) -> str:
    """A safe file name like 'qbr-2026Q3-account-k7.pptx'."""
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", str(data_or_label).casefold()).strip("-")[:60] or "deck"
    return f"qbr-{quarter_label}-{slug}.pptx"


__all__ = [
    "SLIDE_TITLES",
    "AccountQbrData",
    "DeckError",
    "account_qbr_data",
    "accounts_for",
    "deck_filename",
    "qbr_deck",
    "render_deck",
    "resolve_quarter",
]
