"""What every slide draws with: the 16:9 page, colours, text boxes, rectangles, tables, native
charts, money formats, and `Deck`, the slide frame (title, subtitle, RAG strip, footer, page
number, an optional closing note) with the name and number formats of one deck. Every text a
slide, a table or a chart (and the workbook embedded in it) gets goes through `fmt.cell_text`:
a control character never breaks a deck, and chart workbooks hold text, never formulas."""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from contextlib import contextmanager

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt
from xlsxwriter import Workbook

from kamdash.core import fmt
from kamdash.core.settings import Settings
from kamdash.present.aliases import Aliases
from kamdash.views.account_review import AccountQbrData

W, H = Emu(12192000), Emu(6858000)  # 13.333 x 7.5 in, exactly 16:9
MARGIN = Inches(0.55)
BODY_TOP = Inches(1.55)
BODY_BOTTOM = Inches(6.85)
NOTE_H = Inches(0.5)  # the closing note sits at the foot of the body, which shrinks for it
NAVY = RGBColor(0x1F, 0x4E, 0x79)
INK = RGBColor(0x1B, 0x27, 0x33)
GREY = RGBColor(0x5F, 0x6B, 0x7A)
LIGHT = RGBColor(0xF3, 0xF6, 0xF9)
RULE = RGBColor(0xD5, 0xDD, 0xE6)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
FONT = "Calibri"


def rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


RAG_RGB = {k: rgb(v) for k, v in fmt.RAG_COLORS.items()}


def nice_step(raw: float) -> float:
    """A round axis step (1, 2, 2.5 or 5 times a power of ten) of at least `raw`."""
    if not raw or raw <= 0 or math.isnan(raw):
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def style_runs(tf, size: float, bold: bool, colour: RGBColor, align) -> None:
    for p in tf.paragraphs:
        if align is not None:
            p.alignment = align
        for r in p.runs:
            r.font.size = Pt(size)
            r.font.bold = bold
            r.font.name = FONT
            r.font.color.rgb = colour


def text(
    slide,
    x,
    y,
    w,
    h,
    content: str | Sequence[str | tuple[str, float, bool]],
    size: float = 14,
    bold: bool = False,
    colour: RGBColor = INK,
    align=PP_ALIGN.LEFT,
    anchor=MSO_ANCHOR.TOP,
):
    """A text box; `content` a string or several paragraphs (a paragraph may be a
    (text, size, bold) tuple)."""
    box = slide.shapes.add_textbox(x, y, w, h)
    tf = box.text_frame
    tf.word_wrap = True
    tf.vertical_anchor = anchor
    tf.margin_left = tf.margin_right = Inches(0.05)
    tf.margin_top = tf.margin_bottom = Inches(0.03)
    paras = [content] if isinstance(content, str) else list(content)
    styled = [p if isinstance(p, tuple) else (p, size, bold) for p in paras] or [("", size, bold)]
    for i, (t, sz, b) in enumerate(styled):
        para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        para.alignment = align
        run = para.add_run()
        run.text = fmt.cell_text(t)
        run.font.size = Pt(sz)
        run.font.bold = b
        run.font.name = FONT
        run.font.color.rgb = colour
    return box


def rect(slide, x, y, w, h, fill: RGBColor, line: RGBColor | None = None, shape=None):
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


def message(slide, x, y, w, h, words: str) -> None:
    """A plain notice where the account has nothing to show (no QBR yet, no contact mapped)."""
    rect(slide, x, y, w, h, LIGHT, RULE)
    text(
        slide,
        x + Inches(0.3),
        y,
        w - Inches(0.6),
        h,
        words[:1].upper() + words[1:] + ".",
        size=16,
        colour=GREY,
        anchor=MSO_ANCHOR.MIDDLE,
        align=PP_ALIGN.CENTER,
    )


def table(
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
    """A native table: a navy header row, banded body rows; `fills` colours body cells (the
    cell's text then turns white and bold); `widths` are relative column widths."""
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
            c.text = fmt.cell_text(val)
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
            style_runs(c.text_frame, size, bold, colour, align[j] if align else PP_ALIGN.LEFT)
    return shape


class _TextWorkbookWriter(CategoryWorkbookWriter):
    """The workbook embedded in a chart (what PowerPoint's "Edit Data" opens), its text written
    as text: XlsxWriter's `write()` would turn a category like '=HYPERLINK(...)' into a live
    formula and 'http://...' into a hyperlink."""

    @contextmanager
    def _open_worksheet(self, xlsx_file):
        options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        workbook = Workbook(xlsx_file, options)
        worksheet = workbook.add_worksheet()
        yield workbook, worksheet
        workbook.close()


class _ChartData(CategoryChartData):
    @property
    def _workbook_writer(self):
        return _TextWorkbookWriter(self)


def chart(slide, kind, x, y, w, h, categories, series: dict[str, list], title: str):
    """A native (editable) chart with the deck's fonts, a title and light gridlines. Category
    and series names are text, never formulas or links, in the chart and its workbook."""
    cd = _ChartData()
    cd.categories = [fmt.cell_text(c) for c in categories]
    for name, values in series.items():
        cd.add_series(fmt.cell_text(name), [None if v is None else float(v) for v in values])
    ch = slide.shapes.add_chart(kind, x, y, w, h, cd).chart
    ch.font.size = Pt(12)
    ch.font.name = FONT
    ch.font.color.rgb = INK
    ch.has_title = True
    ch.chart_title.text_frame.text = fmt.cell_text(title)
    style_runs(ch.chart_title.text_frame, 16, True, INK, None)
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


def money_format(values: Sequence[float], currency: str) -> str:
    """An Excel number format for chart labels: $1.2M, $45k or $900 by the largest value."""
    m = max([abs(v) for v in values if v is not None] or [0])
    cur = currency.replace('"', "")
    if m >= 1e6:
        return f'"{cur}"#,##0.0,,"M"'
    if m >= 1e4:
        return f'"{cur}"#,##0,"k"'
    return f'"{cur}"#,##0'


class Deck:
    """One presentation being drawn: the slide frame, and names and money as this deck shows
    them (aliases when names are hidden, the extract's currency)."""

    def __init__(self, aliases: Aliases, settings: Settings):
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = W, H
        self.layout = self.prs.slide_layouts[5]  # "Title Only": every slide has a real title
        self.al = aliases
        self.settings = settings

    def add_slide(self):
        return self.prs.slides.add_slide(self.layout)

    def slide(self, title: str, subtitle: str, rag: str | None, footer: str, note: str | None):
        """A framed slide and the bottom of its body (raised when a closing `note` is drawn)."""
        s = self.add_slide()
        t = s.shapes.title
        t.left, t.top, t.width, t.height = MARGIN, Inches(0.32), W - 2 * MARGIN, Inches(0.75)
        t.text = fmt.cell_text(title)
        tf = t.text_frame
        tf.word_wrap = True
        tf.vertical_anchor = MSO_ANCHOR.BOTTOM
        tf.margin_left = tf.margin_right = Inches(0.05)
        style_runs(tf, 30, True, NAVY, PP_ALIGN.LEFT)
        text(s, MARGIN, Inches(1.05), W - 2 * MARGIN, Inches(0.4), subtitle, 15, colour=GREY)
        # the account's RAG band as a strip down the left edge
        rect(s, 0, 0, Inches(0.16), H, RAG_RGB.get(rag, RAG_RGB[None]))
        rect(s, MARGIN, Inches(1.47), W - 2 * MARGIN, Emu(9525), RULE)
        foot_w = W - 2 * MARGIN - Inches(0.6)
        text(s, MARGIN, Inches(7.0), foot_w, Inches(0.35), footer, 10, colour=GREY)
        page = str(len(self.prs.slides))
        x = W - MARGIN - Inches(0.6)
        text(
            s,
            x,
            Inches(7.0),
            Inches(0.6),
            Inches(0.35),
            page,
            10,
            colour=GREY,
            align=PP_ALIGN.RIGHT,
        )
        if not note:
            return s, BODY_BOTTOM
        bottom = BODY_BOTTOM - NOTE_H
        text(s, MARGIN, bottom + Inches(0.05), W - 2 * MARGIN, NOTE_H, note, 11, colour=GREY)
        return s, bottom

    def name(self, d: AccountQbrData) -> str:
        return self.al.account(d.account_id, d.account_name)

    def owner(self, d: AccountQbrData) -> str:
        return self.al.owner(d.owner) if d.owner else "no owner recorded"

    def money(self, x) -> str:
        return fmt.money(x, self.settings.currency)

    def money_format(self, values: Sequence[float]) -> str:
        return money_format(values, self.settings.currency)

    @staticmethod
    def qlabel(d: AccountQbrData) -> str:
        return d.quarter_label + (" (partial)" if d.partial else "")

    def footer(self, d: AccountQbrData, extra: str = "") -> str:
        base = f"kamdash · {self.qlabel(d)} · as of {d.as_of.isoformat()}"
        return base + (f" · {extra}" if extra else "")

    def save(self, title: str) -> bytes:
        cp = self.prs.core_properties
        cp.title = fmt.cell_text(title)
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
