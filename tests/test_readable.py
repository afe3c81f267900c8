"""Issue 14, on screen: readable figures and tables, defaults that fit the extract.

Hand-computed on the retention portfolio of tests/helpers.py (as of 2024-11-15; the last
complete quarter is 2024Q3) and on small frames; the pages through Streamlit's AppTest. The
browser half (1280x720, screenshots) is tests/test_readable_browser.py."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from kamdash.core import fmt
from kamdash.core.periods import period_context
from kamdash.core.settings import Settings
from kamdash.metrics.tiering import tier_heatmap, tier_scores
from kamdash.navigation import PAGES, default_page
from kamdash.present import figures
from kamdash.views import portfolio, tiers
from kamdash.views import retention as ret_view
from tests.conftest import ROOT
from tests.helpers import ACCOUNTS, canonical_db, portfolio_revenue, shown_text

APP = str(ROOT / "app.py")


def retention_db(accounts=ACCOUNTS):
    return canonical_db(accounts=accounts, revenue=portfolio_revenue())


# -- one tier order ----------------------------------------------------------------------------


def test_one_tier_order_everywhere():
    labels = ["No tier", "Tier 3", "Unassigned", "Gold", "Tier 1", None, "(none)", "Tier 2"]
    ordered = sorted(labels, key=fmt.tier_key)
    assert ordered[:4] == ["Tier 1", "Tier 2", "Tier 3", "Gold"]
    assert set(ordered[4:]) == {"No tier", "Unassigned", None, "(none)"}


def test_tier_heatmap_rows_in_tier_order():
    # tiers listed in the extract as Tier 3, Tier 1, (none), Tier 2
    accounts = [
        {**a, "tier": t}
        for a, t in zip(ACCOUNTS, ["Tier 3", "Tier 1", None, "Tier 2", "Tier 3"], strict=True)
    ]
    grid = tier_heatmap(retention_db(accounts), Settings(), "region", "count")
    assert list(grid.index) == ["Tier 1", "Tier 2", "Tier 3", "Unassigned"]


def test_accounts_by_tier_in_tier_order():
    accounts = [
        {**a, "tier": t}
        for a, t in zip(ACCOUNTS, ["Tier 2", "Tier 2", None, "Tier 1", "Tier 3"], strict=True)
    ]
    con = retention_db(accounts)
    s = Settings()
    ctx = period_context(con, s)
    out = portfolio.tiers(con, s, ctx, ctx.last_complete)
    # active in the TTM to 2024Q3: A, B (Tier 2), C (no tier), D (Tier 1); E has no revenue
    assert list(out["tier"]) == ["Tier 1", "Tier 2", fmt.UNTIERED]
    assert list(out["accounts"]) == [1, 2, 1]


# -- metric deltas -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zero"),
    [("+0.0 pts", True), ("0.0%", True), ("+0", True), ("$0", True), ("+0.4 pts", False),
     ("-2 pts", False), ("+10", False), ("–", False), (None, False)],
)  # fmt: skip
def test_a_change_that_reads_as_zero(text, zero):
    assert fmt.reads_as_zero(text) is zero


def open_page(monkeypatch, data_dir, url_path: str) -> AppTest:
    monkeypatch.setenv("KAMDASH_DATA_DIR", str(data_dir))
    at = AppTest.from_file(APP, default_timeout=90)
    page = next(p.file for p in PAGES if p.url_path == url_path)
    if page != default_page().file:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


def test_deltas_no_arrow_on_zero_and_no_bare_yoy(monkeypatch, flat_data_dir):
    """Three accounts, monthly over 2023-2024 (helpers.small_extract: amounts scale x i x
    (year - 2021)): TTM 2024Q4 = 12 x 3 x (1 + 2 + 3) = 216 vs 12 x 2 x 6 = 144 a year before:
    +50%, with its arrow. NRR needs a year-ago NRR (2023Q4, whose cohort would be 2022): no
    change and no bare "YoY"; no wallet sheet: none either. Active accounts stay 3: "+0"."""
    at = open_page(monkeypatch, flat_data_dir, "portfolio")
    revenue = metric(at, "Revenue TTM")
    assert revenue.value == "$216" and revenue.proto.delta == "+50%"
    assert revenue.proto.direction == MetricProto.MetricDirection.UP
    for label in ("NRR", "GRR", "Share of wallet"):
        m = metric(at, label)
        assert m.proto.delta == "" and m.proto.delta_description == "", label  # no bare "YoY"
    active = metric(at, "Active accounts")
    assert active.value == "3" and active.proto.delta == "+0"
    assert active.proto.direction == MetricProto.MetricDirection.NONE  # no arrow on zero
    assert active.proto.delta_description == "YoY"


def test_deltas_on_the_sample_keep_their_arrows(monkeypatch, sample_data_dir):
    at = open_page(monkeypatch, sample_data_dir, "portfolio")
    nrr = metric(at, "NRR")
    # NRR 2026Q3 vs 2025Q3: a real change, with its arrow and "YoY"
    assert nrr.proto.delta and not fmt.reads_as_zero(nrr.proto.delta)
    assert nrr.proto.direction != MetricProto.MetricDirection.NONE
    assert nrr.proto.delta_description == "YoY"


# -- the attention list ------------------------------------------------------------------------


def test_no_all_clear_when_nothing_could_be_checked(monkeypatch, reseller_data_dir):
    at = open_page(monkeypatch, reseller_data_dir, "portfolio")
    infos = [shown_text(i.value) for i in at.info]
    assert any("single-threaded not checked" in i for i in infos)
    assert any("red QBR not checked" in i for i in infos)
    assert any("plan freshness not checked" in i for i in infos)
    assert not at.success  # never "No account is shrinking, single-threaded..."


def test_all_clear_only_when_every_check_ran():
    # one account, growing, two active contacts, fresh plan, green QBR: nothing flagged
    accounts = [{"account_id": "A", "account_name": "Acme", "tier": "Tier 1",
                 "plan_updated": "2024-11-01"}]  # fmt: skip
    # 100 a quarter from 2022Q4 to 2024Q4: TTM(2024Q3) = TTM(2023Q3) = 400, not shrinking
    revenue = [{"account_id": "A", "date": f"{y}-{m:02d}-15", "amount": 100}
               for y in (2022, 2023, 2024) for m in (2, 5, 8, 11)]  # fmt: skip
    contacts = [{"account_id": "A", "name": n, "strength": 4} for n in ("a", "b")]
    qbr = [{"account_id": "A", "date": "2024-09-01", "relationship_depth": 5}]
    full = canonical_db(accounts=accounts, revenue=revenue, stakeholders=contacts, qbr=qbr)
    att = portfolio.attention(full, Settings(), 2024 * 4 + 2)
    assert att.table.empty and att.all_clear
    # the same without contacts and QBRs: nothing flagged, but not all clear
    part = canonical_db(accounts=accounts, revenue=revenue)
    att = portfolio.attention(part, Settings(), 2024 * 4 + 2)
    assert att.table.empty and not att.all_clear
    assert set(att.not_checked) == {"single_threaded", "red_qbr"}
    assert att.checked == ["shrinking", "stale_plan"]


def test_attention_rows_are_a_setting():
    con = canonical_db(accounts=ACCOUNTS, revenue=portfolio_revenue())
    att = portfolio.attention(con, Settings(attention_rows=1, shrinking_ratio=2.0), 2024 * 4 + 2)
    rows, flagged, at_risk = att.shown()
    # shrinking_ratio 2: growth below 2x is "shrinking". TTM(2024Q3) / TTM(2023Q3): A 600 / 550,
    # C (20 x 3 + 40 - 30) 70 / 160 shrink; B 240 / 50 and D 240 / 60 grow more than 2x
    assert flagged == 2 and at_risk == 600 + 70
    assert list(rows["account_id"]) == ["A"]  # the one with the most revenue at risk


# -- retention by group ------------------------------------------------------------------------


def test_split_by_defaults_to_a_dimension_with_more_than_one_value():
    dims = ["tier", "region", "industry", "owner"]
    con = retention_db()
    assert ret_view.default_dimension(con, dims) == "tier"  # Tier 1, 2, 3
    no_tier = [{k: v for k, v in a.items() if k != "tier"} for a in ACCOUNTS]
    assert ret_view.default_dimension(retention_db(no_tier), dims) == "region"  # EU, US
    one_region = [{**a, "region": "EU"} for a in no_tier]
    assert ret_view.default_dimension(retention_db(one_region), dims) == "owner"  # Ann, Bob, Cat
    blank = [{"account_id": a["account_id"], "account_name": a["account_name"]} for a in ACCOUNTS]
    assert ret_view.default_dimension(retention_db(blank), dims) == "tier"  # none: the first


def test_groups_carry_their_count_and_small_ones_are_marked():
    """NRR(2024Q3) by tier: cohort = accounts with TTM(2023Q3) > 0: Tier 1 A, B (2), Tier 2 C, D
    (2); E (Tier 3) had 50 - 50 = 0: no cohort, not drawn. Tier 1 NRR = (600 + 240) / (550 +
    50) = 140%."""
    con = retention_db()
    s = Settings()
    ctx = period_context(con, s)
    g = ret_view.by_group(con, s, ctx, ctx.last_complete, "tier")
    assert g.order == ["Tier 1", "Tier 2"] and g.accounts == {"Tier 1": 2, "Tier 2": 2}
    assert g.too_few == ["Tier 1", "Tier 2"] and g.min_accounts == 5
    last = g.table[g.table["quarter"] == ctx.last_complete].set_index("group")
    assert last.loc["Tier 1", "nrr"] == pytest.approx(1.4)
    g2 = ret_view.by_group(con, Settings(min_group_accounts=2), ctx, ctx.last_complete, "tier")
    assert g2.too_few == []
    fig = figures.retention_by_group(
        g.table, "nrr", "tier", order=["Tier 1", "Tier 2"], accounts=g.accounts, too_few=["Tier 1"]
    )
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert [t.name for t in lines] == ["Tier 1 (n=2) · too few to compare", "Tier 2 (n=2)"]
    assert lines[0].line.dash == "dot" and lines[1].line.dash is None


def test_group_legend_follows_tier_order_not_revenue():
    # Tier 2 carries more revenue than Tier 1 here: the legend still reads Tier 1, Tier 2, Tier 3
    df = pd.DataFrame(
        {
            "group": ["Tier 2", "Tier 3", "Tier 1"],
            "quarter": [1, 1, 1],
            "label": ["2024Q1"] * 3,
            "nrr": [1.0, 0.9, 1.2],
            "ttm_revenue": [300.0, 100.0, 200.0],
            "cohort_accounts": [9, 8, 7],
        }
    )
    order = sorted(df["group"], key=fmt.tier_key)
    fig = figures.retention_by_group(df, "nrr", "tier", order=order)
    assert [t.name for t in fig.data] == ["Tier 1", "Tier 2", "Tier 3"]


# -- figures -----------------------------------------------------------------------------------


def test_nrr_labels_are_never_crossed_by_the_target_line():
    nrr = [1.13, 1.10, 1.09, 1.08, 1.115]
    grr = [0.92, 0.92, 0.92, 0.91, 0.90]
    df = pd.DataFrame({"label": [f"Q{i}" for i in range(5)], "nrr": nrr, "grr": grr})
    fig = figures.retention_trend(df, 1.10)
    assert not fig.layout.annotations  # the target is named in the legend, not in the plot
    assert fig.data[0].name == "NRR target 110%" and fig.data[0].line.dash == "dash"
    lo, hi = fig.layout.yaxis.range
    px = figures._PLOT_PX / (hi - lo)  # pixels per unit of the axis
    for trace in fig.data[1:]:
        for v, where in zip(trace.y, trace.textposition, strict=True):
            # a label takes _LABEL_PX above (top) or below (bottom) its marker: the line at
            # 110% is never inside that band
            gap = (1.10 - v) * px
            if where.startswith("top"):
                assert not 0 < gap < figures._LABEL_PX, (v, where)
            else:
                assert not -figures._LABEL_PX < gap < 0, (v, where)
    # by hand: 109% and 108% sit just under the line: labels below; 113% and 111.5% above
    assert list(fig.data[1].textposition) == [
        "top center",
        "bottom center",
        "bottom center",
        "bottom center",
        "top center",
    ]


def test_a_churned_account_has_a_real_axis():
    df = pd.DataFrame({"label": ["2026Q1", "2026Q2"], "revenue": [0.0, 0.0], "partial": False})
    fig = figures.account_revenue(df, "$")
    assert list(fig.layout.yaxis.range) == [0, 1]  # from $0, never -1..+1
    assert list(fig.layout.yaxis.ticktext) == ["$0"]
    assert fig.layout.annotations[0].text == "No revenue in these quarters"
    df = pd.DataFrame({"label": ["2026Q1", "2026Q2"], "revenue": [0.0, 500.0]})
    fig = figures.account_revenue(df, "$")
    assert fig.layout.yaxis.range[0] == 0 and fig.layout.yaxis.range[1] == pytest.approx(590)


def test_wallet_labels_do_not_collide():
    # eight labelled bubbles crowded in one corner (px, y down) and long labels
    pts = [(600 + 6 * i, 100 + 5 * i, 12.0) for i in range(8)]
    widths = [150.0] * 8
    offsets = figures.place_labels(pts, widths)
    boxes = [
        (x + dx - w / 2, y + dy - 9, x + dx + w / 2, y + dy + 9)
        for (x, y, _), (dx, dy), w in zip(pts, offsets, widths, strict=True)
    ]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert figures._overlap(a, b) == 0, (a, b)


def test_wallet_quadrant_labels_only_the_largest():
    df = pd.DataFrame(
        {
            "account_id": list("abc"),
            "account_name": ["Alpha", "Beta", "Gamma"],
            "wallet": [1e5, 2e5, 3e6],
            "share": [0.5, 0.4, 0.2],
            "ttm": [5e4, 8e4, 6e5],
            "quadrant": ["Maintain", "Maintain", "Grow"],
        }
    )
    fig = figures.wallet_quadrant(df, 2e5, 0.4, n_labels=2)
    labelled = [a.text for a in fig.layout.annotations if a.showarrow]
    assert labelled == ["Gamma", "Beta"]


def test_scorecard_names_are_whole():
    name = "Jetstream Components Pty Ltd (APAC)"  # 35 characters: cut before, whole now
    table = pd.DataFrame(
        {
            "account_id": ["A", "B"],
            "assigned_tier": ["Tier 1", None],
            "expansion_potential": [5.0, 3.0],
            "tier_score": [5.0, 3.0],
            "suggested_tier": ["Tier 1", "Tier 2"],
        }
    )
    long = "A" * 45
    fig = figures.scorecard_heatmap(
        table, ["expansion_potential"], {"expansion_potential": 1}, [name, long], 3.8, 2.8
    )
    y = [t.replace("\u200b", "") for t in fig.data[0].y]
    assert y[0] == f"{name} · Tier 1" and "…" not in y[0]
    assert y[1].startswith("A" * 39 + "…")  # longer than 40: cut on the axis...
    assert fig.data[0].customdata[1][0][0] == long  # ...whole in the hover


# -- tiers and whitespace defaults --------------------------------------------------------------


def test_tiers_page_defaults_to_the_suggested_tier_without_assigned_ones():
    con = retention_db()
    assert tiers.default_basis(tier_scores(con, Settings())) == "assigned"
    blank = [{k: v for k, v in a.items() if k != "tier"} for a in ACCOUNTS]
    ts = tier_scores(retention_db(blank), Settings())
    assert ts.revenue_alone and tiers.default_basis(ts) == "suggested"
    mix = tiers.suggested_mix(ts)
    # TTM to 2024Q3: A 600, B 240, D 240, C 70 (E none): 4 active -> n1 = 1 (0.4 -> 1),
    # n12 = round(1.2) = 1: A Tier 1, the rest Tier 3
    assert mix.to_dict("list") == {
        "tier": ["Tier 1", "Tier 3"],
        "accounts": [1, 4],
        "revenue": [600.0, 550.0],
    }


def test_reseller_extract_tiers_a_tenth_from_revenue_alone(reseller_data_dir):
    from kamdash.store.snapshots import SnapshotStore, open_snapshot

    store = SnapshotStore(reseller_data_dir)
    con = open_snapshot(str(store.path(store.current_id()))).cursor()
    ts = tier_scores(con, Settings())
    assert ts.revenue_alone
    active = int((ts.table["ttm"] > 0).sum())
    counts = ts.table["suggested_tier"].value_counts()
    assert counts["Tier 1"] == round(active * 0.1)
    assert counts["Tier 1"] + counts["Tier 2"] == round(active * 0.3)
    dims = ret_view.dimensions(con)
    assert ret_view.default_dimension(con, dims) == "region"  # no tier in this extract
