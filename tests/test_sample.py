"""The sample portfolio generator: determinism, shape, headers the contract recognises, and the
stories a revenue leader should find in it (measured here with plain pandas)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kamdash import sample
from kamdash.core.settings import DEFAULT_TIER_WEIGHTS, Settings
from kamdash.ingest import contract

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "sample"
TODAY = pd.Timestamp("2026-10-15")
LAST_Q_START = pd.Timestamp("2026-07-01")
TTM_START = pd.Timestamp("2025-10-01")  # the last four quarters: 2025-Q4 .. 2026-Q3
PREV_START = pd.Timestamp("2024-10-01")


@pytest.fixture(scope="module")
def pf() -> dict[str, pd.DataFrame]:
    return sample.build_portfolio()


def col(table: str, canon: str) -> str:
    return next(h for h, c in sample.HEADERS[table] if c == canon)


def ttm(rev: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    d = rev[col("revenue", "date")]
    sel = rev[(d >= start) & (d < end)]
    return sel.groupby(col("revenue", "account_id"))[col("revenue", "amount")].sum()


# ---------------------------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------------------------
def test_same_seed_same_frames_other_seed_differs():
    a = sample.build_portfolio(n_accounts=60, seed=3)
    b = sample.build_portfolio(n_accounts=60, seed=3)
    c = sample.build_portfolio(n_accounts=60, seed=4)
    assert a.keys() == b.keys()
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k])
    assert not a["revenue"].equals(c["revenue"])


def test_same_seed_byte_identical_files(tmp_path):
    for d in ("one", "two"):
        sample.write_sample(tmp_path / d, n_accounts=40, months=18, seed=11)
    one = sorted((tmp_path / "one").rglob("*.*"))
    assert {p.name for p in one} == {sample.XLSX_NAME} | {f"{t}.csv" for t in contract.TABLES}
    for p in one:
        q = tmp_path / "two" / p.relative_to(tmp_path / "one")
        assert p.read_bytes() == q.read_bytes(), p.name


def test_shipped_sample_is_what_the_generator_writes(tmp_path):
    """data/sample/csv is current: regenerate with `python -m kamdash.sample --out data/sample`."""
    sample.write_csv(sample.build_portfolio(), tmp_path)
    for t in contract.TABLES:
        shipped = SHIPPED / "csv" / f"{t}.csv"
        assert shipped.read_bytes() == (tmp_path / f"{t}.csv").read_bytes(), t
    xlsx = SHIPPED / sample.XLSX_NAME
    assert xlsx.is_file() and xlsx.stat().st_size < 5 * 2**20


def test_large_writer_matches_the_sample_writer(tmp_path):
    """write_large (numpy + DuckDB for revenue) writes the same bytes as the sample path."""
    kw = dict(n_accounts=50, seed=5, start="2023-10-01", months=24, n_products=8, density=0.7)
    res = sample.write_large(tmp_path / "large", fmt="csv", **kw)
    sample.write_csv(sample.build_portfolio(**kw), tmp_path / "small")
    for t in contract.TABLES:
        big = (tmp_path / "large" / "csv" / f"{t}.csv").read_bytes()
        assert big == (tmp_path / "small" / f"{t}.csv").read_bytes(), t
    n_lines = (tmp_path / "large" / "csv" / "revenue.csv").read_bytes().count(b"\n")
    assert n_lines == res["rows"]["revenue"] + 1


def test_xlsx_has_real_dates_and_numbers(tmp_path):
    from openpyxl import load_workbook

    tables = sample.build_portfolio(n_accounts=30, months=15)
    path = sample.write_xlsx(tables, tmp_path / "s.xlsx")
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == [sample.SHEETS[t] for t in tables]
    rows = list(wb["Revenue"].iter_rows(min_row=1, max_row=2, values_only=True))
    assert list(rows[0]) == list(tables["revenue"].columns)
    date, _, acc, _, _, amount = rows[1]
    assert hasattr(date, "year") and isinstance(amount, float) and isinstance(acc, str)
    assert sum(1 for _ in wb["Revenue"].iter_rows(values_only=True)) == len(tables["revenue"]) + 1


# ---------------------------------------------------------------------------------------------
# Shape and headers
# ---------------------------------------------------------------------------------------------
def test_sizes_and_vocabulary(pf):
    acc, rev = pf["accounts"], pf["revenue"]
    assert len(acc) == 300 and acc["Account ID"].is_unique
    assert 40_000 <= len(rev) <= 50_000
    assert set(acc["Tier"]) == {"Tier 1", "Tier 2", "Tier 3"}
    assert 4 <= acc["Region"].nunique() <= 5
    assert acc["Industry"].nunique() == 8
    assert len(pf["team"]) == 10 and set(acc["Account Owner"]) == set(pf["team"]["Full Name"])
    assert set(pf["products"]["Product"]) == set(rev["Product"]) and len(pf["products"]) == 8
    per_acc = rev.groupby("Account ID")["Business Unit"].nunique()
    assert per_acc.max() >= 3  # several customer BUs per account
    # monthly revenue over 36 months whose last quarter is complete
    d = rev["Invoice Date"]
    assert d.min() >= pd.Timestamp("2023-10-01") and d.max() <= pd.Timestamp("2026-09-30")
    assert d.dt.to_period("M").nunique() == 36 and (d >= "2026-09-01").any()
    assert rev["Invoice Number"].is_unique
    # account names look like company names, contacts like people
    assert acc["Account Name"].is_unique
    assert acc["Account Name"].str.split().str.len().min() >= 2
    assert pf["stakeholders"]["Contact Name"].str.count(" ").min() >= 1
    # subsidiaries point at existing accounts
    parents = acc["Parent Account ID"].dropna()
    assert len(parents) >= 2 and parents.isin(acc["Account ID"]).all()
    # wallet: yearly, a couple of years, above what we sell
    w = pf["wallet"]
    assert w["Fiscal Year"].nunique() >= 2
    latest = w.sort_values("Fiscal Year").groupby("Account ID")["Wallet Estimate"].last()
    share = (ttm(rev, TTM_START, LAST_Q_START + pd.DateOffset(months=3)) / latest).dropna()
    assert share.median() < 0.6 and (share > 0).all()


def test_value_domains(pf):
    for c in [h for h, k in sample.HEADERS["scores"] if k != "account_id"]:
        assert pf["scores"][c].between(1, 5).all(), c
    st = pf["stakeholders"]
    assert set(st["Seniority"]) == {"Executive", "Manager", "User"}
    assert set(st["Sentiment"]) == {"Champion", "Supporter", "Neutral", "Detractor"}
    assert st["Influence"].between(1, 5).all() and st["Relationship Strength"].between(1, 5).all()
    assert (st["Last Contact Date"] < TODAY).all()
    tiers = pf["accounts"].set_index("Account ID")["Tier"]
    n = st.groupby("Account ID").size().reindex(tiers.index).fillna(0)
    assert n[tiers == "Tier 1"].between(3, 12).all()
    assert n[tiers == "Tier 3"].max() <= n[tiers == "Tier 1"].min()
    op = pf["opportunities"]
    assert set(op["Stage"]) == {
        "Prospecting",
        "Qualification",
        "Proposal",
        "Negotiation",
        "Closed Won",
        "Closed Lost",
    }
    closed = op["Stage"].str.startswith("Closed")
    assert (op.loc[closed, "Close Date"] < TODAY).all()
    assert (op.loc[~closed, "Close Date"] >= TODAY).mean() > 0.8 and op["Opportunity ID"].is_unique
    q = pf["qbr"]
    for c in ["Relationship Depth", "Pipeline Coverage", "Plan Currency"]:
        assert q[c].between(1, 5).all()
    assert (q["Commitments Done"] <= q["Commitments Due"]).all()
    qt = q.merge(pf["accounts"][["Account ID", "Tier"]])
    assert set(qt["Tier"]) == {"Tier 1", "Tier 2"}
    assert qt.groupby("Account ID").size().max() == 4
    rev = pf["revenue"]
    current = set(rev.loc[rev["Invoice Date"] >= LAST_Q_START, "Account ID"])
    before = set(rev.loc[rev["Invoice Date"] < TTM_START, "Account ID"])
    t1 = qt[(qt["Tier"] == "Tier 1") & qt["Account ID"].isin(current & before)]
    assert t1.groupby("Account ID").size().min() == 4  # Tier 1 all year: four QBRs
    assert qt["Account ID"].nunique() > qt[qt["Tier"] == "Tier 1"]["Account ID"].nunique()


def _resolve(table: str, header: str) -> set[str]:
    """Canonical columns of `table` whose synonyms (the table-specific ones where the contract
    has them, else the general ones; plus the canonical name) include the normalized header."""
    key = contract.normalize(header)
    hits = set()
    for c in contract.TABLES[table].columns:
        own = contract.TABLE_COLUMN_SYNONYMS.get(table, {}).get(c)  # wins over the general
        syn = (own or contract.COLUMN_SYNONYMS.get(c, ())) + (contract.normalize(c),)
        if key in syn:
            hits.add(c)
    return hits


@pytest.mark.parametrize("table", list(contract.TABLES))
def test_every_header_is_recognised_by_the_contract(table, pf):
    headers = sample.HEADERS[table]
    assert list(pf[table].columns) == [h for h, _ in headers]
    for header, canon in headers:
        if canon is None:  # an extra column: must not be taken for a contract column
            assert _resolve(table, header) == set(), header
        else:
            assert _resolve(table, header) == {canon}, header
    spec = contract.TABLES[table]
    mapped = {c for _, c in headers if c}
    assert set(spec.required) <= mapped
    assert all(set(g) & mapped for g in spec.one_of)
    # the sheet and the CSV file name both name the table
    assert contract.normalize(sample.SHEETS[table]) in spec.synonyms
    assert contract.normalize(table) in spec.synonyms
    assert any(c is None for _, c in sample.HEADERS["accounts"])  # extras are shipped


# ---------------------------------------------------------------------------------------------
# Stories
# ---------------------------------------------------------------------------------------------
def test_concentration(pf):
    last = ttm(pf["revenue"], TTM_START, pd.Timestamp("2026-10-01"))
    last = last[last > 0].sort_values(ascending=False)
    top20 = last.iloc[: max(1, round(0.2 * len(last)))].sum() / last.sum()
    assert 0.6 <= top20 <= 0.8, top20


def test_growth_churn_winback_new_logos_credit_notes(pf):
    rev = pf["revenue"]
    last = ttm(rev, TTM_START, pd.Timestamp("2026-10-01"))
    prev = ttm(rev, PREV_START, TTM_START)
    cohort = prev[prev > 0]
    ratio = last.reindex(cohort.index).fillna(0) / cohort
    nrr = ratio.mul(cohort).sum() / cohort.sum()
    assert 1.0 < nrr < 1.25, nrr
    assert (ratio > 1.2).sum() >= 15  # strong expanders
    assert (ratio == 0).sum() >= 5  # churned within the last year
    months = rev.assign(m=rev["Invoice Date"].dt.to_period("M")).groupby("Account ID")["m"]
    first, lastm = months.min(), months.max()
    assert (lastm < pd.Period("2026-07", "M")).sum() >= 12  # revenue stopped part way
    assert (first >= pd.Period("2025-10", "M")).sum() >= 5  # new logos in the last year

    def longest_gap(s: pd.Series) -> int:
        u = np.sort(s.unique().astype("int64"))  # periods as month ordinals
        return int(np.diff(u).max()) if len(u) > 1 else 0

    gaps = months.apply(longest_gap)
    back = gaps[(gaps >= 4) & (lastm >= pd.Period("2026-07", "M"))]
    assert 1 <= len(back) <= 5  # churned and came back
    assert 3 <= (rev["Amount"] < 0).sum() <= 30  # a handful of credit notes


def test_single_threaded_and_stale_plans(pf):
    acc = pf["accounts"].set_index("Account ID")
    st = pf["stakeholders"]
    strong = st[st["Relationship Strength"] >= 3].groupby("Account ID").size()
    strong = strong.reindex(acc.index).fillna(0)
    t1 = acc.index[acc["Tier"] == "Tier 1"]
    single_t1 = [a for a in t1 if strong[a] <= 1]
    assert len(single_t1) >= 1
    last = ttm(pf["revenue"], TTM_START, pd.Timestamp("2026-10-01")).sort_values(ascending=False)
    assert set(single_t1) & set(last.index[:30])  # including big ones
    age = (TODAY - acc.loc[t1, "Plan Last Updated"]).dt.days
    assert (age > 182).sum() >= 2 and (age <= 31).sum() >= len(t1) / 2


def test_reporting_lines_and_a_tier_1_account_whose_only_executive_is_a_detractor(pf):
    acc = pf["accounts"].set_index("Account ID")
    st = pf["stakeholders"]
    tiers = st["Account ID"].map(acc["Tier"])
    # who reports to whom: at the key accounts, always a contact of the same account
    assert st.loc[tiers != "Tier 3", "Reports To"].notna().mean() > 0.6
    assert st.loc[tiers == "Tier 3", "Reports To"].isna().all()
    given = st.dropna(subset=["Reports To"])
    people = set(zip(st["Account ID"], st["Contact Name"], strict=True))
    pairs = zip(given["Account ID"], given["Reports To"], strict=True)
    assert all(pair in people for pair in pairs)
    assert (given["Reports To"] != given["Contact Name"]).all()
    # the story: a big Tier 1 account whose only executive contact is a detractor, strong
    # enough (>= 3) to count as executive access
    ex = st[st["Seniority"] == "Executive"]
    per = ex.groupby("Account ID")["Sentiment"].agg(list)
    t1 = acc.index[acc["Tier"] == "Tier 1"]
    hostile = [a for a in t1 if per.get(a) == ["Detractor"]]
    assert hostile == ["ACC-00162"]
    assert ex.loc[ex["Account ID"] == "ACC-00162", "Relationship Strength"].iloc[0] >= 3
    assert (st["Account ID"] == "ACC-00162").sum() >= 10  # and a full map around it
    last = ttm(pf["revenue"], TTM_START, pd.Timestamp("2026-10-01")).sort_values(ascending=False)
    assert "ACC-00162" in set(last.index[:15])


def test_assigned_tier_disagrees_with_scores_for_a_few(pf):
    s = Settings()
    sc = pf["scores"].set_index("Account ID")
    last = ttm(pf["revenue"], TTM_START, pd.Timestamp("2026-10-01")).reindex(sc.index).fillna(0)
    active = last[last > 0]
    quint = np.ceil(5 * active.rank(method="first") / len(active)).reindex(sc.index)
    w = DEFAULT_TIER_WEIGHTS
    num = sum(w[k] * sc[k.replace("_", " ").title()] for k in w if k != "current_revenue")
    num = num + w["current_revenue"] * quint.fillna(0)
    den = sum(w.values()) - np.where(quint.isna(), w["current_revenue"], 0)
    score = num / den
    suggested = np.where(
        score >= s.tier1_min, "Tier 1", np.where(score >= s.tier2_min, "Tier 2", "Tier 3")
    )
    assigned = pf["accounts"].set_index("Account ID").loc[sc.index, "Tier"]
    mismatched = int((assigned != suggested).sum())
    assert 2 <= mismatched <= 5, mismatched
    assert math.isclose(score.max(), 5.0) or score.max() <= 5.0


def test_a_drifting_kam(pf):
    q = pf["qbr"].merge(pf["accounts"][["Account ID", "Account Owner"]])
    q["score"] = q[["Relationship Depth", "Pipeline Coverage", "Plan Currency"]].mean(axis=1)
    q["quarter"] = q["QBR Date"].dt.to_period("Q")
    latest = q[q["quarter"] == q["quarter"].max()]
    red = (
        latest.assign(red=latest["score"] < 3).groupby("Account Owner")["red"].agg(["sum", "mean"])
    )
    worst = red["mean"].idxmax()
    assert worst == sample.DRIFTING_KAM
    assert red.loc[worst, "sum"] >= 3 and red.loc[worst, "mean"] >= 0.8
    assert red.drop(worst)["mean"].max() <= 0.35
    trend = q[q["Account Owner"] == worst].groupby("quarter")["score"].mean()
    assert trend.iloc[-1] < trend.iloc[0] - 1.0


def test_today_is_fixed():
    assert sample.sample_today() == TODAY.date()
    acc = sample.build_portfolio(n_accounts=40)["accounts"]
    assert acc["Plan Last Updated"].max() < TODAY and acc["Last QBR Date"].max() < TODAY
