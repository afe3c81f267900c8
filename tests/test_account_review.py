"""The account review (kamdash.views.account_review): one object for the QBR page, the deck and
the benchmark. Figures are computed by hand on a tiny snapshot; the QBR page is driven with
Streamlit's AppTest on the shipped sample."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from kamdash.core.fmt import is_missing
from kamdash.core.missing import Missing
from kamdash.core.periods import label_to_quarter, period_context, quarter_as_of
from kamdash.core.settings import Settings
from kamdash.metrics.qbr import latest_qbr
from kamdash.store.filters import Filters, scoped
from kamdash.store.snapshots import SnapshotStore
from kamdash.views.account_review import (
    account_qbr_data,
    pick_account,
    review_accounts,
    step_account,
)
from tests.conftest import ROOT
from tests.helpers import canonical_db

S = Settings()
QUARTER_ENDS = ["03-15", "06-15", "09-15", "12-15"]


def _revenue(account: str, product: str, year: int, amount: float) -> list[dict]:
    return [
        {"account_id": account, "date": f"{year}-{md}", "amount": amount, "product": product}
        for md in QUARTER_ENDS
    ]


def _qbr(date: str, score: int) -> dict:
    dims = ("relationship_depth", "pipeline_coverage", "plan_currency")
    return {"account_id": "A", "date": date, **dict.fromkeys(dims, score)}


@pytest.fixture
def con():
    """A: 100 a quarter in 2023, 150 a quarter in 2024 (product Core); B: 50 a quarter in 2024
    (Support), a new logo; C: no revenue. As of 2024-12-15 (2024Q4 complete)."""
    return canonical_db(
        accounts=[
            {
                "account_id": "A",
                "account_name": "Acme",
                "owner": "Kim",
                "region": "EMEA",
                "industry": "Retail",
                "tier": "Tier 1",
                "plan_updated": "2024-10-01",
            },
            {"account_id": "B", "account_name": "Bolt", "owner": "Kim", "tier": "Tier 2"},
            {"account_id": "C", "account_name": "Cove", "owner": "Lee", "tier": "Tier 3"},
        ],  # fmt: skip
        revenue=_revenue("A", "Core", 2023, 100)
        + _revenue("A", "Core", 2024, 150)
        + _revenue("B", "Support", 2024, 50),
        wallet=[{"account_id": "A", "year": 2024, "wallet": 2000}],
        qbr=[_qbr("2024-08-10", 4), _qbr("2024-12-01", 2), _qbr("2025-01-20", 5)],
        stakeholders=[
            {
                "account_id": "A",
                "name": "Ann",
                "level": "executive",
                "strength": 4,
                "last_contact": "2024-11-15",
            },
            {
                "account_id": "A",
                "name": "Bo",
                "level": "user",
                "strength": 2,
                "last_contact": "2025-01-10",
            },
        ],  # fmt: skip
        opportunities=[
            {"account_id": "A", "amount": 300, "stage": "Proposal", "product": "Support"},
            {"account_id": "A", "amount": 500, "stage": "Closed Won", "product": "Core"},
            {"account_id": "B", "stage": "Prospecting", "product": "Core"},  # amount unknown
            {"account_id": "B", "stage": "Qualification", "product": "Core"},
        ],
    )


def test_headline_figures_by_hand(con):
    (d,) = account_qbr_data(con, S, ["A"])
    assert d.quarter_label == "2024Q4" and d.as_of == dt.date(2024, 12, 15) and not d.partial
    assert (d.account_name, d.owner, d.region, d.industry, d.tier) == (
        "Acme", "Kim", "EMEA", "Retail", "Tier 1",
    )  # fmt: skip
    assert d.ttm == pytest.approx(600.0)  # 4 x 150 in 2024Q1..Q4
    assert d.ttm_prev == pytest.approx(400.0)  # 4 x 100 in 2023Q1..Q4
    assert d.nrr == pytest.approx(1.5)  # 600 / 400
    assert d.wallet == pytest.approx(2000.0) and d.share == pytest.approx(0.3)  # 600 / 2000
    # plan updated 2024-10-01, as of 2024-12-15: 30 + 30 + 15 days; Tier 1 cadence is 31 days
    assert d.plan["days_since_plan"] == 75 and d.plan["stale"]
    assert d.revenue_trend["revenue"].tolist() == [100.0] * 4 + [150.0] * 4
    assert d.revenue_trend["label"].iloc[0] == "2023Q1"
    assert d.products_bought == ["Core"] and d.products_total == 2
    assert d.pipeline["amount"].tolist() == [300.0] and d.pipeline_total == pytest.approx(300.0)
    assert d.pipeline_unknown == 0


def test_open_deals_without_an_amount_are_counted_not_summed(con):
    (d,) = account_qbr_data(con, S, ["B"])
    assert len(d.pipeline) == 2 and d.pipeline_unknown == 2
    assert d.pipeline_total is None  # shown as "–", never as $0


def test_latest_qbr_is_the_last_dated_on_or_before_the_as_of_date(con):
    (d,) = account_qbr_data(con, S, ["A"])
    # the 2025-01-20 review lies after the as-of date 2024-12-15: left out
    assert d.qbr_history["date"].dt.date.tolist() == [dt.date(2024, 8, 10), dt.date(2024, 12, 1)]
    assert d.latest["score"] == pytest.approx(2.0) and d.rag == "red"
    assert d.latest["trend"] == pytest.approx(-2.0)  # 2.0 - 4.0


def test_an_earlier_quarter_is_as_of_its_end(con):
    (d,) = account_qbr_data(con, S, ["A"], quarter="2024Q3")
    assert d.as_of == dt.date(2024, 9, 30)
    assert d.latest["score"] == pytest.approx(4.0) and d.rag == "green"
    assert d.latest["trend"] is None  # its first QBR
    # a plan updated after 2024-09-30 is shown as written and counts 0 days
    assert d.plan["days_since_plan"] == 0 and not d.plan["stale"]
    assert d.ttm == pytest.approx(100 + 3 * 150)  # 2023Q4..2024Q3


def test_contact_dates_are_dates_and_days_never_negative(con):
    (d,) = account_qbr_data(con, S, ["A"])
    ct = d.contacts.set_index("name")
    assert ct.loc["Ann", "last_contact"] == dt.date(2024, 11, 15)
    assert ct.loc["Ann", "days_since_contact"] == 30  # to 2024-12-15
    # dated after the as-of date: shown as written, 0 days
    assert ct.loc["Bo", "last_contact"] == dt.date(2025, 1, 10)
    assert ct.loc["Bo", "days_since_contact"] == 0
    assert d.relationship["days_since_contact"] == 0 and d.relationship["active"] == 1


def test_sections_the_extract_cannot_feed_are_missing():
    con = canonical_db(
        accounts=[{"account_id": "A", "account_name": "Acme"}],
        revenue=_revenue("A", "Core", 2024, 10),
    )
    (d,) = account_qbr_data(con, S, ["A"])
    assert (
        d.wallet
        == d.share
        == Missing("wallet", "no wallet sheet in this extract: share of wallet not shown")
    )
    assert str(d.pipeline) == "no opportunities sheet in this extract: open pipeline not shown"
    for section in (d.qbr_history, d.relationship, d.contacts, d.plan):
        assert isinstance(section, Missing)
    assert d.ttm == pytest.approx(40.0) and d.nrr is None  # no year-ago quarters


def test_review_accounts_largest_ttm_first(con):
    acc = review_accounts(con, S)
    assert acc["account_id"].tolist() == ["A", "B", "C"]
    assert acc["ttm"].tolist()[:2] == pytest.approx([600.0, 200.0])
    assert pd.isna(acc["ttm"].iloc[2])


def test_pick_and_step_account():
    ids = ["A", "B", "C"]
    assert pick_account(ids) == "A"
    assert pick_account(ids, remembered="C") == "C"
    assert pick_account(ids, asked="B", remembered="C") == "B"
    assert pick_account(ids, asked="Bolt Ltd (B)") == "B"
    assert pick_account(ids, asked="nope", remembered="gone") == "A"
    assert pick_account([]) is None
    assert step_account(ids, "A", -1) == "C" and step_account(ids, "C", 1) == "A"
    assert step_account(ids, "gone", 1) == "B"


# ---------------------------------------------------------------------- on the shipped sample


@pytest.fixture(scope="module")
def sample(sample_data_dir):
    c = SnapshotStore(sample_data_dir).open()
    yield c.cursor()
    c.close()


def _eq(x, y) -> bool:
    """Equal, NaN/None alike, floats to the last bits of a differently ordered sum."""
    if is_missing(x) or is_missing(y):
        return is_missing(x) and is_missing(y)
    return x == pytest.approx(y, rel=1e-12) if isinstance(x, float) else x == y


def _same(a, b) -> None:
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=1e-12)
        elif isinstance(x, dict):
            assert x.keys() == y.keys(), name
            assert all(_eq(v, y[k]) for k, v in x.items()), name
        else:
            assert _eq(x, y), name


@pytest.mark.parametrize(
    "filters", [Filters(regions=("Northern Europe",)), Filters(owners=("Marco Rossi",))]
)
def test_account_figures_do_not_depend_on_the_filters(sample, filters):
    cur = scoped(sample, filters)
    ids = review_accounts(cur, S)["account_id"].tolist()[:3]
    for quarter in (None, "2025Q2"):
        got = account_qbr_data(cur, S, ids, quarter)
        for a, b in zip(account_qbr_data(sample.cursor(), S, ids, quarter), got, strict=True):
            _same(a, b)


@pytest.mark.parametrize("quarter", ["2026Q1", None])
def test_latest_qbr_is_the_attention_lists(sample, quarter):
    """Harborview at 2026Q1 was red 1.7 on Portfolio and amber 3.0 on the QBR page: both now
    take the latest QBR dated on or before the quarter's as-of date."""
    ctx = period_context(sample, S)
    qi = ctx.last_complete if quarter is None else label_to_quarter(quarter)
    rule = latest_qbr(sample, S, upto=quarter_as_of(ctx, qi)).set_index("account_id")
    ids = rule.index[:25].tolist() + ["ACC-00057"]
    for d in account_qbr_data(sample, S, ids, qi):
        assert d.latest["date"] == rule.loc[d.account_id, "date"], d.account_id
        assert d.rag == rule.loc[d.account_id, "rag"]
    if quarter == "2026Q1":
        (h,) = account_qbr_data(sample, S, ["ACC-00057"], quarter)
        assert (round(h.latest["score"], 1), h.rag) == (3.0, "amber")


# ---------------------------------------------------------------------- the QBR page (AppTest)


def _qbr_page(monkeypatch, data_dir, query: dict) -> AppTest:
    monkeypatch.setenv("KAMDASH_DATA_DIR", str(data_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page("pages/qbr.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_page_shows_the_review_of_the_chosen_quarter(monkeypatch, sample_data_dir):
    at = _qbr_page(monkeypatch, sample_data_dir, {"account": "ACC-00057", "period": "2026Q1"})
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["QBR score"] == "3.0"
    assert any("QBR Amber" in m.value for m in at.markdown)
    (contacts,) = [df.value for df in at.dataframe if "Last contact" in df.value.columns]
    # dates, not timestamps (a timestamp column is shown as "2026-10-13 00:00:00")
    assert len(contacts) and all(type(x) is dt.date for x in contacts["Last contact"])
    assert (contacts["Days since"] >= 0).all()
    # contacts dated after 2026-03-31 are shown as written, 0 days since
    later = contacts["Last contact"] > dt.date(2026, 3, 31)
    assert later.any() and (contacts.loc[later, "Days since"] == 0).all()


def test_the_chosen_account_survives_switching_pages(monkeypatch, sample_data_dir):
    at = _qbr_page(monkeypatch, sample_data_dir, {})
    other = "ACC-00057"
    assert at.selectbox(key="account").value != other, "opens on the largest account"
    at.selectbox(key="account").set_value(other).run()
    assert at.query_params["account"] in (other, [other])
    # another page (its address has no ?account=), then back
    at.switch_page("pages/definitions.py")
    at.query_params.pop("account", None)
    at.run()
    assert not at.exception
    at.switch_page("pages/qbr.py").run()
    assert not at.exception
    assert at.selectbox(key="account").value == other
    assert at.query_params["account"] in (other, [other])
