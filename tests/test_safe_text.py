"""Extract text is data, never markup.

Account names, tiers, regions, industries, products, notes, header, sheet and file names are
shown as written on every page: `fmt.md` escapes them wherever Streamlit renders Markdown
(no link, image, emphasis, `:color[]` directive, `$` math, HTML or autolinked URL / e-mail),
`fmt.plot_text` wherever Plotly reads HTML. The pages are run (AppTest) on a hostile extract
(tests/conftest.py `hostile_data_dir`); tests/test_browser_hostile.py checks the same pages in
Chromium: no outside request, no link to the hostile host.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from kamdash.core import fmt
from kamdash.navigation import PAGES
from kamdash.present import figures
from kamdash.store.snapshots import SnapshotStore
from tests.conftest import (
    HOSTILE,
    HOSTILE_FILE,
    HOSTILE_FORMULA,
    HOSTILE_HOST,
    HOSTILE_URL_PRODUCT,
    ROOT,
)
from tests.helpers import shown_text

APP = str(ROOT / "app.py")
WJ = "\u2060"

# every hostile text of the extract, and the rest of what Markdown (GFM + Streamlit) reads
CASES = [
    *HOSTILE.values(),
    HOSTILE_FORMULA,
    HOSTILE_URL_PRODUCT,
    HOSTILE_FILE,
    "**bold** __bold__ *it* _it_ ~~gone~~ `code`",
    "# Heading\n- item\n+ item\n1. one\n> quote\n\n    indented\n===",
    "&lt;b&gt; &amp; &#60;img&#62;",
    f"WWW.{HOSTILE_HOST} (www.{HOSTILE_HOST}) https://{HOSTILE_HOST}/x?a=1&b=2",
    f"mailto:bob@{HOSTILE_HOST} xmpp:a@{HOSTILE_HOST} a.b+c@{HOSTILE_HOST}",
    f"<https://{HOSTILE_HOST}> <bob@{HOSTILE_HOST}>",
    f"\\![x](http://{HOSTILE_HOST}/b.png) \\\\[x](http://{HOSTILE_HOST})",
    "a | b |\n|---|---|\n| c | d |",
    ":blue-badge[x] :small[y] :material/home: :+1: :-1:",
    f"[ref][1]\n\n[1]: http://{HOSTILE_HOST}",
    "$$\nx^2\n$$ and \\(x\\) and \\[x\\]",
    "O'Brien & Söhne GmbH — 100% (2026) #1",
    "",
]
# characters that can start or end Markdown (CommonMark, GFM, Streamlit's directives, math)
MARKUP = set("\\`*_{}[]()#+-.!|<>~$&=:")
# GFM autolink literals as remark-gfm finds them in the text left after escapes are resolved
AUTOLINK = re.compile(
    r"(?i)(?:https?://|(?<![0-9a-z])www\.|(?:mailto|xmpp):[-.\w+]|[-.\w+]@[-\w]+\.[-\w])"
)


def resolved(markdown: str) -> str:
    """The text a Markdown parser hands to remark-gfm's autolink search: escapes resolved, word
    joiners kept."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def unescaped(markdown: str) -> list[str]:
    """Markup characters of `markdown` not escaped with a backslash."""
    out, i = [], 0
    while i < len(markdown):
        ch = markdown[i]
        if ch == "\\" and i + 1 < len(markdown):
            i += 2
            continue
        if ch in MARKUP:
            out.append(ch)
        i += 1
    return out


# ------------------------------------------------------------------------------ fmt.md


@pytest.mark.parametrize("text", CASES)
def test_md_escapes_every_markup_character(text):
    out = fmt.md(text)
    assert unescaped(out) == []
    assert "\n" not in out and "\r" not in out, "a line break could start a block"


@pytest.mark.parametrize("text", CASES)
def test_md_leaves_no_autolink_literal(text):
    # escapes are resolved before remark-gfm looks for URLs and e-mails: only the word joiner
    # inside 'http:⁠//', 'www⁠.' and 'a⁠@b' keeps them text
    assert not AUTOLINK.search(resolved(fmt.md(text)))


@pytest.mark.parametrize("text", CASES)
def test_md_reads_as_the_text(text):
    assert shown_text(fmt.md(text)) == re.sub(r"\r\n?|\n", " ", text)


def test_md_of_none_is_empty():
    assert fmt.md(None) == ""


@pytest.mark.parametrize("text", CASES)
def test_md_parses_to_plain_text(text):
    """CommonMark (markdown-it) finds nothing but text in the escaped form."""
    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    tokens = md.parse(fmt.md(text))
    kinds = {t.type for t in tokens} - {"paragraph_open", "paragraph_close", "inline"}
    assert kinds == set()
    inline = [c for t in tokens if t.type == "inline" for c in t.children or []]
    assert {c.type for c in inline} <= {"text"}
    shown = "".join(c.content for c in inline).replace(WJ, "")
    assert shown == re.sub(r"\r\n?|\n", " ", text).strip(" ")


# --------------------------------------------------------------------------- fmt.plot_text


@pytest.mark.parametrize("text", CASES)
def test_plot_text_leaves_no_tag(text):
    out = fmt.plot_text(text)
    assert "<" not in out and ">" not in out
    # every '&' starts one of the entities Plotly turns back into the character
    assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt);)*", out, re.S)
    back = out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert back == text


def strings(obj) -> list[str]:
    """Every string of a parsed JSON value."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in strings(v)]
    return []


def tags(fig_json: dict) -> list[str]:
    """HTML tags Plotly would render as markup in a figure: links and images (its own <b>,
    <i>, <br> and <extra> are fine)."""
    return [t for s in strings(fig_json) for t in re.findall(r"(?i)<\s*(?:a|img)\b[^>]*>?", s)]


def template_leaks(fig_json: dict) -> list[str]:
    """Hover / text templates carrying extract text (they must take it as customdata)."""
    out = []
    for trace in fig_json.get("data", []):
        for key in ("hovertemplate", "texttemplate"):
            t = trace.get(key)
            for s in t if isinstance(t, list) else [t]:
                if isinstance(s, str) and HOSTILE_HOST in s:
                    out.append(s)
    return out


def test_figures_escape_extract_text():
    a = HOSTILE["anchor"]
    grid = pd.DataFrame([[100.0, 0.0]], index=["acc"], columns=[a, "P"])
    pot = pd.DataFrame([[0.0, 50.0]], index=["acc"], columns=[a, "P"])
    pipe = pd.DataFrame([[5.0, float("nan")]], index=["acc"], columns=[a, "P"])
    ws = figures.whitespace_grid(grid, pot, pipe, [a], f"Accounts × products · {a}")
    tiers = pd.DataFrame({"tier": [a, "Tier 1"], "accounts": [3, 4], "revenue": [10.0, 20.0]})
    mix = figures.tier_mix(tiers)
    by = pd.DataFrame(
        {
            "group": [a, a],
            "quarter": [1, 2],
            "label": ["2025Q1", "2025Q2"],
            "nrr": [1.0, 1.1],
            "ttm_revenue": [10.0, 10.0],
        }
    )
    ret = figures.retention_by_group(by, "nrr", "region")
    heat = figures.tier_heatmap(
        pd.DataFrame([[1.0, 2.0, 3.0]], index=[a], columns=[a, "EU", "All"]), "count", "region"
    )
    for fig in (ws, mix, ret, heat):
        spec = json.loads(fig.to_json())
        assert tags(spec) == []
        assert template_leaks(spec) == []
        assert any("&lt;a href" in s for s in strings(spec)), "the text is shown, as text"


# ------------------------------------------------------------------ every page, hostile extract

BODY_TYPES = {"title", "header", "subheader", "markdown", "caption", "alert", "toast"}
# hostile constructs as written, unescaped, in a Markdown body
RAW = {
    "image": re.compile(r"(?<!\\)!\["),
    "link": re.compile(r"(?<!\\)\]\("),
    "html": re.compile(r"(?<!\\)<(?=[A-Za-z/!?])"),
    "directive": re.compile(r"(?<!\\):(?:red\[|material/|smile:)"),
    "math": re.compile(r"(?<!\\)\$x\^"),
}


def markdown_fields(at: AppTest) -> list[tuple[str, str]]:
    """(element type, text) of every string the run gives Streamlit to render as Markdown:
    bodies of text elements and alerts, widget and metric labels and help, expander / tab /
    status labels, radio and pills options, st.table cells, progress text."""
    out: list[tuple[str, str]] = []

    def walk(node) -> None:
        typ = getattr(node, "type", "")
        p = getattr(node, "proto", None)
        if p is not None and hasattr(p, "ListFields"):
            fields = {f.name: v for f, v in p.ListFields()}
            if typ in BODY_TYPES or typ in ("info", "warning", "error", "success"):
                out.append((typ, str(fields.get("body", ""))))
            for name in ("label", "help"):
                if isinstance(fields.get(name), str):
                    out.append((f"{typ}.{name}", fields[name]))
            if typ == "radio":
                out.extend(("radio.option", str(o)) for o in node.options)
            if typ == "button_group":
                out.extend(("pills.option", o.content) for o in p.options)
            if typ == "progress":
                out.append(("progress", str(node.text)))
        if typ == "table":
            df = node.value
            out.extend(("table.column", str(c)) for c in df.columns)
            out.extend(("table", str(v)) for v in df.astype(str).to_numpy().ravel())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return out


def markup_problems(fields: list[tuple[str, str]]) -> list[str]:
    bad = []
    for where, text in fields:
        for kind, rx in RAW.items():
            if rx.search(text):
                bad.append(f"{where}: {kind} in {text[:120]!r}")
        if AUTOLINK.search(resolved(text)):
            bad.append(f"{where}: autolink in {text[:120]!r}")
    return bad


def figure_problems(at: AppTest) -> list[str]:
    bad = []
    for e in at.get("plotly_chart"):
        spec = json.loads(e.proto.spec)
        bad += [f"plotly tag {t!r}" for t in tags(spec)]
        bad += [f"plotly template {t!r}" for t in template_leaks(spec)]
    return bad


def run_page(monkeypatch, data_dir, file: str, query: dict | None = None) -> AppTest:
    monkeypatch.setenv("KAMDASH_DATA_DIR", str(data_dir))
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(file)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def hostile_shown(fields: list[tuple[str, str]]) -> bool:
    """Whether some hostile text reached a Markdown element (escaped): the check is not
    vacuous."""
    return any(HOSTILE_HOST in shown_text(t) for _, t in fields)


@pytest.fixture(scope="module")
def hostile_accounts(hostile_data_dir) -> dict[str, str]:
    """An account whose tier is hostile and one whose whitespace holds the formula product."""
    con = SnapshotStore(hostile_data_dir).open()
    try:
        cur = con.cursor()
        tier = cur.execute(
            "SELECT a.account_id FROM accounts a JOIN qbr q USING (account_id) "
            "WHERE a.tier LIKE '%:red[%' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchone()[0]
    finally:
        con.close()
    return {"tier": tier}


# pages where the hostile text reaches a Markdown element / a figure on the default view
SHOWS_HOSTILE = {"portfolio", "qbr", "definitions"}
FIGURE_SHOWS_HOSTILE = {"portfolio", "tiers", "retention", "whitespace"}


def figures_show_hostile(at: AppTest) -> bool:
    specs = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    return any(HOSTILE_HOST in s for spec in specs for s in strings(spec))


@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.url_path)
def test_every_page_shows_extract_text_as_text(monkeypatch, hostile_data_dir, spec):
    at = run_page(monkeypatch, hostile_data_dir, spec.file)
    fields = markdown_fields(at)
    assert markup_problems(fields) == []
    assert figure_problems(at) == []
    if spec.url_path in SHOWS_HOSTILE:
        assert hostile_shown(fields), "the hostile text is shown (escaped)"
    if spec.url_path in FIGURE_SHOWS_HOSTILE:
        assert figures_show_hostile(at), "the hostile text is in a figure (escaped)"


def test_tiers_what_if_names_the_accounts_as_written(monkeypatch, hostile_data_dir):
    tiers = next(p for p in PAGES if p.url_path == "tiers")
    at = run_page(monkeypatch, hostile_data_dir, tiers.file)
    weights = [s for s in at.slider if str(s.key).startswith("w_")]
    weights[0].set_value(0)
    weights[-1].set_value(60).run()
    assert not at.exception
    fields = markdown_fields(at)
    assert markup_problems(fields) == []
    assert hostile_shown(fields), "accounts changing tier are named, escaped"


def test_qbr_page_of_an_account_with_a_hostile_tier(
    monkeypatch, hostile_data_dir, hostile_accounts
):
    qbr = next(p for p in PAGES if p.url_path == "qbr")
    at = run_page(monkeypatch, hostile_data_dir, qbr.file, {"account": hostile_accounts["tier"]})
    fields = markdown_fields(at)
    assert markup_problems(fields) == []
    assert figure_problems(at) == []
    shown = "\n".join(shown_text(t) for _, t in fields)
    assert HOSTILE["directive"] in shown and HOSTILE["math"] in shown, "tier shown as written"
    assert HOSTILE["autolink"] in shown, "notes shown as written"


def test_whitespace_page_of_a_hostile_industry(monkeypatch, hostile_data_dir):
    ws = next(p for p in PAGES if p.url_path == "whitespace")
    at = run_page(monkeypatch, hostile_data_dir, ws.file)
    industry = next(o for o in at.selectbox(key="ws_industry").options if HOSTILE_HOST in o)
    at.selectbox(key="ws_industry").set_value(industry).run()
    assert not at.exception
    fields = markdown_fields(at)
    assert markup_problems(fields) == []
    assert figure_problems(at) == []
    assert hostile_shown(fields)
    at.radio(key="ws_mode").set_value("account").run()
    assert not at.exception
    assert markup_problems(markdown_fields(at)) == []
    assert figure_problems(at) == []


def test_definitions_page_names_the_hostile_file_as_written(monkeypatch, hostile_data_dir):
    d = next(p for p in PAGES if p.url_path == "definitions")
    fields = markdown_fields(run_page(monkeypatch, hostile_data_dir, d.file))
    assert markup_problems(fields) == []
    assert any(HOSTILE_FILE in shown_text(t) for w, t in fields if w == "markdown")
    assert any(HOSTILE_FILE in shown_text(t) for w, t in fields if w == "table")
