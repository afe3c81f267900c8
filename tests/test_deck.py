"""QBR deck (PPTX): slides, native charts carrying the engine's numbers, hidden names, CLI."""

from __future__ import annotations

import html
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE, XL_MARKER_STYLE

from kamdash.cli import main
from kamdash.core import fmt
from kamdash.core.db import columns, frame
from kamdash.core.periods import period_context, quarter_end, quarter_label
from kamdash.core.settings import Settings
from kamdash.metrics.grid import account_quarters
from kamdash.metrics.qbr import qbr_scores
from kamdash.metrics.relationships import contacts, relationships
from kamdash.metrics.retention import account_growth
from kamdash.metrics.wallet import account_share
from kamdash.metrics.whitespace import whitespace
from kamdash.present.aliases import Aliases
from kamdash.present.deck import SLIDE_TITLES, closing_note, qbr_deck
from kamdash.present.exports import to_csv_bytes
from kamdash.store.load import load_extract
from kamdash.store.snapshots import SnapshotStore
from kamdash.views.account_review import DeckError, account_qbr_data, accounts_for, resolve_quarter
from tests.helpers import canonical_db

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "kamdash_sample.xlsx"
ACCOUNT_TITLES = [
    SLIDE_TITLES[k]
    for k in (
        "scorecard",
        "trends",
        "relationships",
        "relationship_map",
        "whitespace",
        "commitments",
    )
]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("deck")
    src = SAMPLE
    if not src.is_file():  # the shipped sample not generated yet: write it
        from kamdash.sample import write_sample

        write_sample(d / "sample")
        src = d / "sample" / "kamdash_sample.xlsx"
    res = load_extract([src], d / "data")
    assert res.snapshot_id, res.report.text()
    return d / "data"


@pytest.fixture(scope="module")
def con(data_dir):
    c = SnapshotStore(data_dir).open()
    yield c.cursor()
    c.close()


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="module")
def account(con, settings) -> str:
    """An account with revenue history, several QBRs, contacts and whitespace."""
    q = qbr_scores(con, settings)
    ws = whitespace(con, settings).ranked()
    rel = relationships(con, settings)
    n_qbr = q.groupby("account_id").size()
    g = account_growth(con, settings)
    ok = g[g["growth"].notna()]["account_id"]
    cand = sorted(
        set(n_qbr[n_qbr >= 3].index)
        & set(ws["account_id"])
        & set(rel[rel["mapped"] >= 3]["account_id"])
        & set(ok)
    )
    assert cand
    return cand[0]


def slide_texts(slide) -> list[str]:
    out = []
    for sh in slide.shapes:
        if sh.has_text_frame:
            out.append(sh.text_frame.text)
        if getattr(sh, "has_table", False) and sh.has_table:
            out += [c.text for r in sh.table.rows for c in r.cells]
    return out


def charts(slide) -> list:
    return [sh.chart for sh in slide.shapes if getattr(sh, "has_chart", False) and sh.has_chart]


def deck(data: bytes):
    return Presentation(io.BytesIO(data))


@pytest.fixture(scope="module")
def one(con, settings, account):
    """The one-account deck, read back."""
    return deck(qbr_deck(con, settings, [account]))


@pytest.fixture(scope="module")
def qi(con, settings) -> int:
    return period_context(con, settings).last_complete


@pytest.fixture(scope="module")
def qbrs(con, settings, account):
    """The account's QBRs up to the as-of date, from the engine."""
    q = qbr_scores(con, settings)
    as_of = period_context(con, settings).as_of
    return q[(q["account_id"] == account) & (q["date"].dt.date <= as_of)]


def test_one_account_deck_slides_and_title(con, settings, account, one, qi):
    prs = one
    name = frame(con, "SELECT account_name FROM accounts WHERE account_id = ?", [account]).iloc[
        0, 0
    ]
    assert len(prs.slides) == 7
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles == [name, *ACCOUNT_TITLES]
    assert prs.slide_width * 9 == prs.slide_height * 16  # 16:9
    title_text = " ".join(slide_texts(prs.slides[0]))
    owner, tier = frame(
        con, "SELECT owner, tier FROM accounts WHERE account_id = ?", [account]
    ).iloc[0]
    assert owner in title_text and tier in title_text
    as_of = period_context(con, settings).as_of
    assert quarter_label(qi) in title_text and as_of.isoformat() in title_text


def test_scorecard_shows_the_engine_figures(con, settings, account, one, qi, qbrs):
    g = account_growth(con, settings, qi=qi)
    g = g[g["account_id"] == account].iloc[0]
    sh = account_share(con, settings, qi=qi)
    sh = sh[sh["account_id"] == account].iloc[0]
    score_text = " ".join(slide_texts(one.slides[1]))
    assert fmt.money(g["ttm_now"]) in score_text
    assert fmt.pct(g["growth"]) in score_text
    assert fmt.pct(sh["share"]) in score_text
    assert f"{qbrs['score'].iloc[-1]:.1f}" in score_text
    assert not charts(one.slides[1])
    # the last four quarters of the trend chart add up to the TTM on the scorecard
    rev_chart, _ = charts(one.slides[2])
    assert sum(rev_chart.plots[0].series[0].values[-4:]) == pytest.approx(g["ttm_now"])


def test_revenue_chart_is_the_engine_grid_and_the_hand_sum(con, settings, account, one, qi):
    rev_chart, _ = charts(one.slides[2])
    assert rev_chart.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED
    aq = account_quarters(con, settings)
    eng = frame(
        con,
        f"SELECT q, rev FROM {aq} WHERE account_id = ? AND q BETWEEN ? AND ? ORDER BY q",
        [account, qi - 7, qi],
    )
    assert list(rev_chart.plots[0].categories) == [quarter_label(int(x)) for x in eng["q"]]
    assert list(rev_chart.plots[0].series[0].values) == pytest.approx(eng["rev"].tolist())
    # ... and by hand: sum of the account's amounts per calendar quarter
    hand = frame(
        con,
        "SELECT year(date) * 4 + quarter(date) - 1 AS q, sum(amount) AS s FROM revenue "
        "WHERE account_id = ? GROUP BY 1",
        [account],
    )
    by_hand = dict(zip(hand["q"], hand["s"], strict=True))
    assert list(rev_chart.plots[0].series[0].values) == pytest.approx(
        [by_hand.get(x, 0.0) for x in range(qi - 7, qi + 1)]
    )


def test_qbr_chart_has_the_scores_and_one_series_per_band(one, qbrs):
    _, qbr_chart = charts(one.slides[2])
    q = qbrs
    # a line chart: python-pptx names it by its first series, the plain score line; the
    # markers (RAG colours) belong to the band series
    assert qbr_chart.chart_type == XL_CHART_TYPE.LINE
    assert all(
        ser.marker.style == XL_MARKER_STYLE.CIRCLE for ser in list(qbr_chart.plots[0].series)[1:]
    )
    assert list(qbr_chart.plots[0].categories) == [d.date().isoformat() for d in q["date"].tolist()]
    assert list(qbr_chart.plots[0].series[0].values) == pytest.approx(q["score"].tolist())
    # one marker series per RAG band present, each holding exactly its band's scores
    for ser in list(qbr_chart.plots[0].series)[1:]:
        band = {v: k for k, v in fmt.RAG_LABELS.items()}[ser.name]
        want = [s if r == band else None for s, r in zip(q["score"], q["rag"], strict=True)]
        assert list(ser.values) == pytest.approx(want)


def test_relationship_slide_counts_contacts_by_sentiment(con, settings, account, one):
    (sent_chart,) = charts(one.slides[3])
    assert sent_chart.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED
    cts = contacts(con, settings, account)
    cats = list(sent_chart.plots[0].categories)
    vals = list(sent_chart.plots[0].series[0].values)
    assert cats[:4] == ["Champion", "Supporter", "Neutral", "Detractor"]
    counts = cts["sentiment"].value_counts()
    assert vals[:4] == [counts.get(s.lower(), 0) for s in cats[:4]]
    assert sum(vals) == len(cts)
    rel = relationships(con, settings)
    rel = rel[rel["account_id"] == account].iloc[0]
    assert vals[0] == rel["champions"] and vals[3] == rel["detractors"]
    rel_text = " ".join(slide_texts(one.slides[3]))
    assert fmt.pct(rel["coverage"]) in rel_text
    assert ("Single-threaded" in rel_text) == bool(rel["single_threaded"])


def test_whitespace_slide_has_the_engine_top_cells(con, settings, account, one, qi):
    # biggest on top: bar charts draw their first category at the bottom
    (ws_chart,) = charts(one.slides[5])
    assert ws_chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    top = whitespace(con, settings, qi=qi).ranked()
    top = top[top["account_id"] == account].head(6)
    assert list(ws_chart.plots[0].categories)[::-1] == top["product"].tolist()
    assert list(ws_chart.plots[0].series[0].values)[::-1] == pytest.approx(
        top["potential"].tolist()
    )
    ws_text = " ".join(slide_texts(one.slides[5]))
    assert all(r in ws_text for r in top["reason"])


def test_commitments_slide_has_the_latest_qbr(one, qbrs):
    c_text = " ".join(slide_texts(one.slides[6]))
    last = qbrs.iloc[-1]
    assert f"{fmt.number(last['commitments_done'])} of {fmt.number(last['commitments_due'])}" in (
        c_text
    )
    assert last["notes"][:40] in c_text


def test_charts_are_native_not_pictures(con, settings, account):
    data = qbr_deck(con, settings, [account])
    z = zipfile.ZipFile(io.BytesIO(data))
    names = z.namelist()
    assert sum(n.startswith("ppt/charts/chart") and n.endswith(".xml") for n in names) == 4
    assert not [n for n in names if n.startswith("ppt/media/")]
    # each chart carries its workbook, so it stays editable in PowerPoint
    assert sum(n.startswith("ppt/embeddings/") for n in names) == 4


def test_book_of_an_owner(con, settings):
    owner = frame(
        con, "SELECT owner FROM accounts GROUP BY owner ORDER BY count(*), owner LIMIT 1"
    ).iloc[0, 0]
    ids = accounts_for(con, owner=owner.upper())  # case ignored
    assert set(ids) == set(
        frame(con, "SELECT account_id FROM accounts WHERE owner = ?", [owner])["account_id"]
    )
    prs = deck(qbr_deck(con, settings, ids, heading=f"Book of {owner}"))
    pages = -(-len(ids) // 12)
    assert len(prs.slides) == pages + 7 * len(ids)
    assert [s.shapes.title.text for s in list(prs.slides)[:pages]] == [
        SLIDE_TITLES["overview"]
    ] * pages
    overview = " ".join(t for s in list(prs.slides)[:pages] for t in slide_texts(s))
    names = frame(con, "SELECT account_name FROM accounts WHERE owner = ?", [owner])
    assert all(n in overview for n in names["account_name"])
    # every account's seven slides follow, in the book's order (biggest TTM first)
    first_titles = [prs.slides[pages + 7 * k].shapes.title.text for k in range(len(ids))]
    by_id = dict(
        frame(con, "SELECT account_id, account_name FROM accounts").itertuples(index=False)
    )
    assert first_titles == [by_id[i] for i in ids]


def scan_parts(data: bytes) -> str:
    """Every part of a zip (and of zips inside it: the charts' workbooks) as text."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for n in z.namelist():
            raw = z.read(n)
            if raw[:2] == b"PK":
                out.append(scan_parts(raw))
            else:
                out.append(raw.decode("utf-8", "replace"))
    return "\n".join(out)


def test_hide_names_leaves_no_real_name_in_the_pptx_or_csv(con, settings, account):
    owner = frame(con, "SELECT owner FROM accounts WHERE account_id = ?", [account]).iloc[0, 0]
    ids = accounts_for(con, owner=owner)[:4]
    if account not in ids:
        ids = [account, *ids[:3]]
    al = Aliases.from_connection(con, "test-salt")
    data = qbr_deck(con, settings, ids, aliases=al, heading="Book")
    text = scan_parts(data)
    acc = frame(con, "SELECT account_id, account_name FROM accounts")
    sth = frame(con, "SELECT DISTINCT name FROM stakeholders WHERE account_id IN ?", [ids])
    real = [*acc["account_name"], *sth["name"]]
    assert len(sth) >= 5
    low = text.casefold()
    leaks = [n for n in real if n.casefold() in low or html.escape(n).casefold() in low]
    assert not leaks
    # the aliases are there instead
    prs = deck(data)
    titles = [s.shapes.title.text for s in prs.slides]
    assert al.account(account) in titles
    assert al.contact(sth["name"].iloc[0]) in text or any(
        al.contact(n) in text for n in sth["name"]
    )
    # the same session salt gives the same aliases; the CSV export hides names too
    al2 = Aliases.from_connection(con, "test-salt")
    assert al2.account(account) == al.account(account)
    extras = [c for c in columns(con, "accounts") if c.startswith("extra_")]
    extras += [c for c in columns(con, "stakeholders") if c.startswith("extra_")]
    table = frame(
        con,
        "SELECT * FROM stakeholders s JOIN accounts a USING (account_id) WHERE s.account_id IN ?",
        [ids],
    )
    assert extras and set(extras) <= set(table.columns)  # e-mails, websites: spelled names
    csv_text = to_csv_bytes(table, aliases=al).decode("utf-8-sig").casefold()
    assert not [n for n in real if n.casefold() in csv_text]


def tiny_extract():
    """Two accounts, revenue only (no QBR, stakeholder or wallet sheet, no plan dates)."""
    return canonical_db(
        accounts=[
            {"account_id": "A", "account_name": "Acme", "owner": "Kim", "tier": "Tier 1"},
            {"account_id": "B", "account_name": "Beta", "owner": "Kim", "tier": "Tier 2"},
        ],
        revenue=[
            {"account_id": a, "date": f"{y}-{m:02d}-15", "amount": 100.0 + m, "product": "P"}
            for a in ("A", "B")
            for y in (2024, 2025)
            for m in (3, 6, 9, 12)
        ],
    )


def test_sections_the_extract_cannot_feed_are_left_out_and_named(settings):
    prs = deck(qbr_deck(tiny_extract(), settings, ["A"]))
    # no relationship or commitments slide; the QBR chart and the wallet / plan tiles are gone,
    # and the slides left are titled for what they still show
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles == ["Acme", "Account scorecard", "Revenue trend", SLIDE_TITLES["whitespace"]]
    all_text = " ".join(t for s in prs.slides for t in slide_texts(s))
    assert "sheet in this extract." not in all_text  # no slide says what it cannot show
    assert "Share of wallet" not in all_text and "Plan freshness" not in all_text
    # one closing line, on the account's last slide, names each left-out section and why
    (note,) = [t for t in slide_texts(prs.slides[-1]) if t.startswith("Not in this deck: ")]
    assert all_text.count("Not in this deck") == 1
    assert (
        "QBR scores, QBR score trend, commitments and notes (no QBR sheet in this extract)" in note
    )
    assert "relationship summary, relationship map (no stakeholder sheet in this extract)" in note
    assert "share of wallet (no wallet sheet in this extract)" in note
    assert "plan freshness (no plan date (plan_updated) in the accounts sheet)" in note
    # the revenue chart is still there, alone, with the hand-computed quarters
    (rev_chart,) = charts(prs.slides[2])
    assert list(rev_chart.plots[0].series[0].values) == pytest.approx(
        [103.0, 106.0, 109.0, 112.0] * 2
    )
    # TTM 2025Q4 = 103 + 106 + 109 + 112 = 430; NRR = 430 / 430 = 100%
    score_text = " ".join(slide_texts(prs.slides[1]))
    assert "$430" in score_text and "100%" in score_text


def test_a_book_lacking_the_same_says_so_once_on_its_overview(settings):
    prs = deck(qbr_deck(tiny_extract(), settings, ["A", "B"], heading="Kim"))
    # overview + (title, scorecard, trends, whitespace) per account
    assert len(prs.slides) == 1 + 2 * 4
    notes = [
        (k, t) for k, s in enumerate(prs.slides) for t in slide_texts(s) if "Not in this deck" in t
    ]
    assert len(notes) == 1 and notes[0][0] == 0  # one closing line, on the overview
    assert notes[0][1].startswith("Not in this deck: ")


def test_a_full_extract_leaves_nothing_out(con, settings, account):
    (d,) = account_qbr_data(con, settings, [account])
    assert closing_note(d) is None


def nrr_value_colour(slide) -> str:
    (box,) = [sh for sh in slide.shapes if sh.has_text_frame and sh.text_frame.text == "100%"]
    return str(box.text_frame.paragraphs[0].runs[0].font.color.rgb)


def test_nrr_target_comes_from_the_settings(settings):
    green, amber = fmt.RAG_COLORS["green"][1:].upper(), fmt.RAG_COLORS["amber"][1:].upper()
    con = tiny_extract()
    # NRR 100%: below the default 110% target (amber), above a 95% one (green)
    default = deck(qbr_deck(con, settings, ["A"])).slides[1]
    assert "target 110%" in " ".join(slide_texts(default))
    assert nrr_value_colour(default) == amber
    low = deck(qbr_deck(con, Settings(nrr_target=0.95), ["A"])).slides[1]
    assert "target 95%" in " ".join(slide_texts(low))
    assert nrr_value_colour(low) == green


def test_a_plan_dated_after_the_as_of_date_is_shown_as_written(settings):
    con = tiny_extract()
    con.execute("UPDATE accounts SET plan_updated = DATE '2026-01-10' WHERE account_id = 'A'")
    prs = deck(qbr_deck(con, settings, ["A"]))
    score_text = " ".join(slide_texts(prs.slides[1]))
    # as of 2025-12-15 (the latest revenue): a later plan is 0 days old, its date as written
    assert "Plan freshness" in score_text and "0 days" in score_text
    assert "plan updated 2026-01-10 (after the as-of date)" in score_text
    note = " ".join(slide_texts(prs.slides[-1]))
    assert "Not in this deck: " in note and "plan freshness" not in note


def test_earlier_quarter_is_as_of_its_end(con, settings, account):
    ctx = period_context(con, settings)
    qi = ctx.last_complete - 2
    got_qi, s2 = resolve_quarter(con, settings, quarter_label(qi))
    assert got_qi == qi and s2.as_of == quarter_end(qi).isoformat()
    (d,) = account_qbr_data(con, settings, [account], quarter=quarter_label(qi))
    assert d.as_of == quarter_end(qi) and not d.partial
    assert d.revenue_trend["quarter"].iloc[-1] == qi
    assert (d.qbr_history["date"].dt.date <= quarter_end(qi)).all()
    with pytest.raises(DeckError, match="outside the data"):
        resolve_quarter(con, settings, quarter_label(ctx.current + 1))
    with pytest.raises(DeckError, match="write it like"):
        resolve_quarter(con, settings, "Q3-2026")


def test_accounts_for_errors(con):
    with pytest.raises(DeckError, match="no account"):
        accounts_for(con, account="NOPE-1")
    with pytest.raises(DeckError, match="owners:"):
        accounts_for(con, owner="Nobody Here")
    with pytest.raises(DeckError):
        accounts_for(con)
    name, aid = frame(con, "SELECT account_name, account_id FROM accounts LIMIT 1").iloc[0]
    assert accounts_for(con, account=f"  {name.upper()} ") == [aid]


def test_cli_end_to_end(data_dir, con, account, tmp_path, capsys):
    out = tmp_path / "decks" / "qbr.pptx"
    rc = main(
        [
            "qbr-deck",
            "--account",
            account,
            "--out",
            str(out),
            "--hide-names",
            "--data-dir",
            str(data_dir),
        ]
    )
    assert rc == 0, capsys.readouterr().err
    msg = capsys.readouterr().out
    assert "7 slides" in msg and "names hidden" in msg
    prs = Presentation(str(out))
    assert len(prs.slides) == 7
    name = frame(con, "SELECT account_name FROM accounts WHERE account_id = ?", [account]).iloc[
        0, 0
    ]
    assert name.casefold() not in scan_parts(out.read_bytes()).casefold()
    assert prs.slides[0].shapes.title.text.startswith("Account ")

    owner = frame(
        con, "SELECT owner FROM accounts GROUP BY owner ORDER BY count(*), owner LIMIT 1"
    ).iloc[0, 0]
    out2 = tmp_path / "book.pptx"
    rc = main(["qbr-deck", "--owner", owner, "--out", str(out2), "--data-dir", str(data_dir)])
    assert rc == 0
    assert len(Presentation(str(out2)).slides) > 7

    assert main(["qbr-deck", "--account", "NOPE", "--out", str(tmp_path / "x.pptx"),
                 "--data-dir", str(data_dir)]) == 2  # fmt: skip
    assert "no account" in capsys.readouterr().err
    assert not (tmp_path / "x.pptx").exists()
    assert main(["qbr-deck", "--account", account, "--out", str(tmp_path / "x.ppt"),
                 "--data-dir", str(data_dir)]) == 2  # fmt: skip
    assert main(["qbr-deck", "--account", account, "--out", str(tmp_path / "y.pptx"),
                 "--data-dir", str(tmp_path / "empty")]) == 2  # fmt: skip
    with pytest.raises(SystemExit):  # --account or --owner is required
        main(["qbr-deck", "--out", str(tmp_path / "z.pptx")])


def test_presentation_data_matches_the_deck(con, settings, account):
    (d,) = account_qbr_data(con, settings, [account])
    assert isinstance(d.revenue_trend, pd.DataFrame)
    assert d.latest is not None and d.rag in ("green", "amber", "red")
    assert d.quarter_label == quarter_label(period_context(con, settings).last_complete)
