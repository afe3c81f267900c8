"""Growth goals (metrics/goals.py) against hand-computed figures; the targets table at load
(periods as exports write them, refused and warned rows naming file, column and row); the
sample's goal stories."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
import pytest

from kamdash import sample
from kamdash.core.missing import Missing
from kamdash.core.periods import fiscal_year_bounds, fiscal_year_of
from kamdash.core.settings import Settings
from kamdash.metrics.goals import account_goals, goal_year
from kamdash.store.filters import Filters, scoped
from kamdash.store.load import load_extract
from kamdash.store.snapshots import SnapshotStore
from tests.helpers import canonical_db

S = Settings()
FEB = Settings(fiscal_year_start_month=2)

ACCOUNTS = [
    {"account_id": "A", "account_name": "Acme", "owner": "Ann", "tier": "Tier 1"},
    {"account_id": "B", "account_name": "Beta", "owner": "Bob", "tier": "Tier 2"},
    {"account_id": "C", "account_name": "Cyan", "owner": "Ann", "tier": "Tier 2"},
    {"account_id": "D", "account_name": "Delta", "owner": "Cat", "tier": "Tier 3"},
    {"account_id": "E", "account_name": "Echo", "owner": "Cat", "tier": "Tier 3"},
    {"account_id": "F", "account_name": "Foxtrot", "owner": "Ann", "tier": None},
    {"account_id": "G", "account_name": "Golf", "owner": "Bob", "tier": "Tier 1"},
    {"account_id": "H", "account_name": "Hotel", "owner": "Dan", "tier": "Tier 3"},
]
REVENUE = [
    {"account_id": "A", "date": "2025-12-31", "amount": 999},  # the year before: left out
    {"account_id": "A", "date": "2026-01-15", "amount": 100},
    {"account_id": "A", "date": "2026-04-15", "amount": 100},  # the as-of date (mid-quarter)
    {"account_id": "B", "date": "2026-03-31", "amount": 50},
    {"account_id": "C", "date": "2026-02-01", "amount": 10},
    {"account_id": "D", "date": "2026-03-01", "amount": 40},
    {"account_id": "F", "date": "2026-02-10", "amount": 5},
    {"account_id": "G", "date": "2026-02-01", "amount": 120},
    {"account_id": "H", "date": "2026-02-01", "amount": 7},
]


def t(account: str, period: str, target: float) -> dict:
    return {"account_id": account, "period": period, "target": target}


TARGETS = [
    t("A", "FY2026", 300),  # two rows of one period add up: 400
    t("A", "FY2026", 100),
    *(t("B", f"2026Q{i}", v) for i, v in enumerate([30, 20, 25, 25], 1)),  # quarters only: 100
    t("D", "2026Q1", 10),  # two quarters of four, no year row: no target
    t("D", "2026Q2", 10),
    t("E", "FY2026", 80),  # the year row wins over quarters that do not add up to it
    *(t("E", f"2026Q{i}", 10) for i in range(1, 5)),
    t("F", "FY2025", 50),  # another fiscal year: no target this year
    t("G", "FY2026", 100),  # met: 120 to date
    t("Z", "FY2026", 1000),  # an account not in the extract: ignored
]


def opp(account, amount, close, stage="Proposal") -> dict:
    return {"account_id": account, "amount": amount, "stage": stage, "close_date": close}


DEALS = [
    opp("A", 50, "2026-06-01"),  # counted
    opp("A", 25, "2026-12-31"),  # the year's last day: counted
    opp("A", 70, "2027-01-01"),  # after the year: not counted
    opp("A", 20, "2026-04-15"),  # on the as-of date, not after it: not counted
    opp("A", None, "2026-06-01"),  # amount unknown: not counted
    opp("A", 500, "2026-05-01", "Closed Won"),  # not open
    opp("E", 30, "2026-06-01"),
    opp("G", 10, "2026-07-01"),
]
# FY2026: 2026-01-01 .. 2026-12-31, n = 365; as of 2026-04-15, e = 31 + 28 + 31 + 15 = 105
N, E = 365, 105


@pytest.fixture(scope="module")
def goals():
    con = canonical_db(accounts=ACCOUNTS, revenue=REVENUE, targets=TARGETS, opportunities=DEALS)
    g = account_goals(con, S)
    assert not isinstance(g, Missing), g
    return g


def row(df: pd.DataFrame, key: str, value) -> dict:
    found = df[df[key] == value]
    assert len(found) == 1, (value, df)
    return found.iloc[0].to_dict()


def close(a, b) -> bool:
    return a is not None and math.isclose(float(a), b, rel_tol=1e-12, abs_tol=1e-12)


def test_goal_year_january_start(goals):
    y = goals.year
    assert (y.label, y.start, y.end, y.as_of) == (
        "FY2026",
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
        dt.date(2026, 4, 15),
    )
    assert (y.days, y.elapsed) == (N, E)


def test_account_attainment_projection_gap_coverage(goals):
    a = row(goals.accounts, "account_id", "A")
    assert a["target"] == 400 and a["fytd"] == 200  # 100 + 100; December 2025 left out
    assert close(a["attainment"], 0.5)
    assert close(a["projection"], 200 * N / E)  # 695.238...
    assert close(a["projected_attainment"], 200 * N / E / 400)
    assert a["gap"] == 200
    assert a["pipeline"] == 75  # 50 + 25
    assert close(a["coverage"], 75 / 200)
    assert not a["goal_met"]
    b = row(goals.accounts, "account_id", "B")  # the four quarters make the year
    assert (b["target"], b["fytd"], b["gap"], b["pipeline"], b["coverage"]) == (100, 50, 50, 0, 0)
    e = row(goals.accounts, "account_id", "E")  # the year row, not 4 x 10
    assert (e["target"], e["fytd"], e["attainment"], e["projection"]) == (80, 0, 0, 0)
    assert close(e["coverage"], 30 / 80)
    g = row(goals.accounts, "account_id", "G")  # ahead: goal met, no coverage
    assert close(g["attainment"], 1.2) and g["gap"] == 0 and g["goal_met"]
    assert g["coverage"] is None


def test_accounts_without_a_goal(goals):
    for account, fytd in (("C", 10), ("D", 40), ("F", 5)):
        r = row(goals.accounts, "account_id", account)
        assert r["target"] is None and r["fytd"] == fytd
        assert r["attainment"] is None and r["gap"] is None and r["coverage"] is None
        assert not r["goal_met"]
    assert "Z" not in set(goals.accounts["account_id"])


def test_portfolio_counts_only_accounts_with_a_target(goals):
    total = goals.summary().iloc[0].to_dict()
    assert total["group"] is None
    assert total["accounts_with_target"] == 4  # A, B, E, G
    assert total["accounts_without_target"] == 4  # C, D, F, H have revenue this year
    assert total["fytd_without_target"] == 10 + 40 + 5 + 7
    assert total["target"] == 680 and total["fytd"] == 370
    assert close(total["attainment"], 370 / 680)
    assert close(total["projection"], 370 * N / E)  # 1,286.19
    assert close(total["projected_attainment"], 370 * N / E / 680)
    assert total["gap"] == 310  # 680 - 370: G's surplus offsets the others
    assert total["pipeline"] == 115  # 75 + 0 + 30 + 10
    assert close(total["coverage"], 115 / 310)


def test_per_kam_and_a_kam_without_any_target(goals):
    by = goals.summary(goals.accounts["owner"])
    bob = row(by, "group", "Bob")  # B and G
    assert (bob["target"], bob["fytd"], bob["gap"], bob["pipeline"]) == (200, 170, 30, 10)
    assert close(bob["attainment"], 0.85) and close(bob["coverage"], 10 / 30)
    cat = row(by, "group", "Cat")  # E with a target, D without
    assert (cat["accounts_with_target"], cat["accounts_without_target"]) == (1, 1)
    assert cat["attainment"] == 0 and close(cat["coverage"], 30 / 80)
    dan = row(by, "group", "Dan")  # revenue, no target at all
    assert (dan["accounts_with_target"], dan["accounts_without_target"]) == (0, 1)
    assert dan["fytd_without_target"] == 7
    for c in ("target", "attainment", "projection", "gap", "pipeline", "coverage"):
        assert dan[c] is None, c
    assert not dan["goal_met"]


def test_per_tier(goals):
    by = goals.summary(goals.accounts["tier"])
    t1 = row(by, "group", "Tier 1")  # A and G
    assert (t1["target"], t1["fytd"], t1["gap"]) == (500, 320, 180)
    assert close(t1["attainment"], 0.64)
    none = row(by, "group", "(none)")  # F: untiered, no target
    assert (none["accounts_with_target"], none["accounts_without_target"]) == (0, 1)


def test_a_group_that_met_its_goal():
    con = canonical_db(
        accounts=ACCOUNTS[:2],
        revenue=[
            {"account_id": "A", "date": "2026-03-15", "amount": 500},
            {"account_id": "B", "date": "2026-03-15", "amount": 10},
        ],
        targets=[t("A", "FY2026", 100), t("B", "FY2026", 100)],
        opportunities=[opp("B", 40, "2026-06-01")],
    )
    total = account_goals(con, S).summary().iloc[0]
    # B is 90 short, A 400 ahead: the group is past its goal
    assert total["gap"] == 0 and bool(total["goal_met"]) and total["coverage"] is None
    assert total["pipeline"] == 40


def test_february_fiscal_year_and_its_quarters():
    # FY2026 with a February start: 2025-02-01 .. 2026-01-31; "2026Q1" is Feb-Apr 2025
    assert fiscal_year_of(dt.date(2025, 3, 10), 2) == 2026
    assert fiscal_year_bounds(2026, 2) == (dt.date(2025, 2, 1), dt.date(2026, 1, 31))
    assert fiscal_year_bounds(2025, 2) == (dt.date(2024, 2, 1), dt.date(2025, 1, 31))
    con = canonical_db(
        accounts=ACCOUNTS[:2],
        revenue=[
            {"account_id": "A", "date": "2025-01-31", "amount": 1000},  # FY2025's last day
            {"account_id": "A", "date": "2025-02-01", "amount": 20},
            {"account_id": "A", "date": "2025-03-10", "amount": 18},
            {"account_id": "B", "date": "2025-02-20", "amount": 100},
        ],
        targets=[
            t("A", "FY2026", 730),
            *(t("B", f"2026Q{i}", 100) for i in range(1, 5)),
            t("B", "FY2025", 5),  # last year's: not this one
        ],
    )
    g = account_goals(con, FEB)
    y = g.year
    assert (y.label, y.start, y.end, y.days, y.elapsed) == (
        "FY2026",
        dt.date(2025, 2, 1),
        dt.date(2026, 1, 31),
        365,
        38,  # 28 days of February + 10 of March
    )
    a = row(g.accounts, "account_id", "A")
    assert a["fytd"] == 38 and close(a["attainment"], 38 / 730)
    assert close(a["projection"], 365.0) and close(a["projected_attainment"], 0.5)
    b = row(g.accounts, "account_id", "B")
    assert b["target"] == 400 and close(b["attainment"], 0.25)
    assert g.pipeline_missing is not None  # no opportunities sheet
    assert a["pipeline"] is None and a["coverage"] is None
    assert "opportunit" in g.pipeline_missing.message
    # with a January start the same data is FY2025 ... and has no target for it but B's
    jan = account_goals(con, S)
    assert jan.year.label == "FY2025"
    assert row(jan.accounts, "account_id", "B")["target"] == 5


def test_leap_fiscal_year():
    con = canonical_db(revenue=[{"account_id": "A", "date": "2024-03-01", "amount": 1}])
    y = goal_year(con, FEB)  # FY2025: 2024-02-01 .. 2025-01-31 holds 29 February 2024
    assert (y.label, y.days, y.elapsed) == ("FY2025", 366, 30)


def test_missing_targets_say_so():
    con = canonical_db(accounts=ACCOUNTS[:1], revenue=REVENUE[:2])
    m = account_goals(con, S)
    assert isinstance(m, Missing)
    assert m.message == "no targets sheet in this extract: growth goals not shown"
    con = canonical_db(accounts=ACCOUNTS[:1], revenue=REVENUE[:3], targets=[t("A", "FY2024", 5)])
    m = account_goals(con, S)
    assert m.message == (
        "no account has a target for FY2026 in the targets sheet (it holds FY2024): growth "
        "goals not shown"
    )


def test_a_filtered_cursor_sees_only_its_accounts_targets():
    con = canonical_db(accounts=ACCOUNTS, revenue=REVENUE, targets=TARGETS)
    cur = scoped(con, Filters(owners=("Bob",)))
    g = account_goals(cur, S)
    assert set(g.accounts["account_id"]) == {"B", "G"}
    assert cur.execute("SELECT DISTINCT account_id FROM targets ORDER BY 1").fetchall() == [
        ("B",),
        ("G",),
    ]


# -- the targets table at load ------------------------------------------------------------------

ACC_CSV = "Account ID,Account Name,Owner\nA1,Acme,Ann\nA2,Beta,Bob\nA3,Cyan,Ann\n"
REV_CSV = "Account ID,Date,Amount\nA1,2026-01-15,100\nA2,2026-02-15,50\nA3,2026-03-15,10\n"


def extract(tmp_path: Path, targets: str, name: str = "quotas.csv") -> list[Path]:
    (tmp_path / "accounts.csv").write_text(ACC_CSV)
    (tmp_path / "revenue.csv").write_text(REV_CSV)
    (tmp_path / name).write_text(targets)
    return [tmp_path / "accounts.csv", tmp_path / "revenue.csv", tmp_path / name]


def test_periods_as_exports_write_them(tmp_path):
    paths = extract(
        tmp_path,
        "Account ID,Fiscal Period,Quota\n"
        "A1,fy 2026,400\n"
        "A2,Q1 2026,10\nA2,2026-Q2,10\nA2,FY26 Q3,10\nA2,2026q4,10\n"
        "A3,FY26,5\n",
    )
    r = load_extract(paths, tmp_path / "data")
    assert r.snapshot_id, r.report.text()
    con = SnapshotStore(tmp_path / "data").open()
    got = con.execute("SELECT account_id, period, target FROM targets ORDER BY 1, 2").fetchall()
    con.close()
    assert got == [
        ("A1", "FY2026", 400.0),
        ("A2", "2026Q1", 10.0),
        ("A2", "2026Q2", 10.0),
        ("A2", "2026Q3", 10.0),
        ("A2", "2026Q4", 10.0),
        ("A3", "FY2026", 5.0),
    ]


def test_an_unreadable_period_refuses_the_load_naming_file_column_and_row(tmp_path):
    paths = extract(tmp_path, "Account ID,Period,Target\nA1,FY2026,400\nA2,FY26x,10\n")
    r = load_extract(paths, tmp_path / "data")
    assert r.snapshot_id is None
    (p,) = [p for p in r.report.errors]
    assert p.code == "bad_period" and p.rows == [3] and p.column == "Period"
    assert p.message == (
        'file "quotas.csv", column "Period", row 3: 1 period(s) are neither a fiscal year '
        '("FY2026") nor a fiscal quarter ("2026Q1", in the fiscal calendar of the settings).'
    )
    assert p.examples == ["FY26x"]


def test_quarters_that_do_not_add_up_and_incomplete_quarters_warn(tmp_path):
    paths = extract(
        tmp_path,
        "Account ID,Period,Target\n"
        "A1,FY2026,400\nA1,2026Q1,100\nA1,2026Q2,100\nA1,2026Q3,100\nA1,2026Q4,90\n"
        "A2,2026Q1,10\nA2,2026Q2,10\n"
        "A3,FY2026,0\n",
    )
    r = load_extract(paths, tmp_path / "data")
    assert r.snapshot_id, r.report.text()
    by = {p.code: p for p in r.report.problems}
    differ = by["quarters_differ_from_year"]
    assert differ.rows == [3, 4, 5, 6] and differ.column == "Target"
    assert "do not add up to the year's target" in differ.message
    partial = by["quarters_incomplete"]
    assert partial.rows == [7, 8] and partial.column == "Period"
    zero = by["target_not_positive"]
    assert zero.rows == [9]
    con = SnapshotStore(tmp_path / "data").open()
    g = account_goals(con, S)
    con.close()
    assert row(g.accounts, "account_id", "A1")["target"] == 400  # the year row wins
    assert row(g.accounts, "account_id", "A2")["target"] is None
    assert row(g.accounts, "account_id", "A3")["target"] is None  # a zero target was left out


# -- the sample's stories -----------------------------------------------------------------------


def test_sample_targets_one_kam_ahead_one_behind_with_thin_pipeline():
    pf = sample.build_portfolio()
    tg, acc, rev, op = pf["targets"], pf["accounts"], pf["revenue"], pf["opportunities"]
    assert set(tg["Period"]) == {"FY2026", "2026Q1", "2026Q2", "2026Q3", "2026Q4"}
    quarterly = tg[tg["Period"] != "FY2026"].groupby("Account ID")["Period"].nunique()
    assert 3 <= len(quarterly) <= 8 and (quarterly == 4).all()
    tiers = acc.set_index("Account ID")["Tier"]
    with_goal = set(tg["Account ID"])
    key = tiers[tiers.isin(["Tier 1", "Tier 2"])].index
    assert 0.6 < len(with_goal & set(key)) / len(key) < 0.95  # most key accounts, not all
    assert not with_goal & set(tiers[tiers == "Tier 3"].index)
    # per KAM, as plain pandas: FYTD to the last revenue date, projection, pipeline this year
    as_of = rev["Invoice Date"].max()
    start = pd.Timestamp(as_of.year, 1, 1)
    ytd = rev[rev["Invoice Date"] >= start].groupby("Account ID")["Amount"].sum()
    target = tg.groupby("Account ID")["Revenue Target"].sum()
    owner = acc.set_index("Account ID")["Account Owner"]
    open_ = op[~op["Stage"].str.startswith("Closed")]
    in_year = open_[
        (open_["Close Date"] > as_of) & (open_["Close Date"] <= pd.Timestamp(as_of.year, 12, 31))
    ]
    pipe = in_year.groupby("Account ID")["Amount"].sum()
    df = pd.DataFrame({"target": target, "ytd": ytd.reindex(target.index).fillna(0)})
    df["pipe"] = pipe.reindex(df.index).fillna(0)
    per = df.groupby(owner.reindex(df.index)).sum()
    elapsed = (as_of - start).days + 1
    per["projected"] = per["ytd"] * 365 / elapsed / per["target"]
    per["coverage"] = per["pipe"] / (per["target"] - per["ytd"]).clip(lower=0)
    assert per["projected"].idxmax() == sample.AHEAD_KAM
    assert per.loc[sample.AHEAD_KAM, "projected"] > 1.05
    assert per["projected"].idxmin() == sample.DRIFTING_KAM
    assert per.loc[sample.DRIFTING_KAM, "projected"] < 0.85
    assert per.loc[sample.DRIFTING_KAM, "coverage"] < 0.25  # thin pipeline
    assert per.loc[sample.AHEAD_KAM, "coverage"] > 1


def test_one_accounts_goal():
    con = canonical_db(accounts=ACCOUNTS, revenue=REVENUE, targets=TARGETS, opportunities=DEALS)
    one = account_goals(con, S, "A")
    assert list(one.accounts["account_id"]) == ["A"]
    assert one.accounts.iloc[0]["attainment"] == 0.5 and one.accounts.iloc[0]["coverage"] == 0.375
    assert account_goals(con, S, "C").accounts.iloc[0]["target"] is None  # no target
    assert account_goals(con, S, "E").accounts.iloc[0]["target"] == 80
    assert account_goals(con, S, "Z").accounts.empty  # not an account of the extract


def test_an_as_of_date_set_in_the_settings_cuts_a_quarter():
    # as of 2026-04-10: A's 2026-04-15 line is after it; the year is 100 days old
    con = canonical_db(accounts=ACCOUNTS, revenue=REVENUE, targets=TARGETS, opportunities=DEALS)
    g = account_goals(con, Settings(as_of="2026-04-10"))
    assert (g.year.as_of, g.year.elapsed) == (dt.date(2026, 4, 10), 100)
    a = row(g.accounts, "account_id", "A")
    assert a["fytd"] == 100 and close(a["attainment"], 0.25)
    assert close(a["projection"], 100 * 365 / 100)
    # open deals closing after 2026-04-10: the one on 2026-04-15 counts now (50 + 25 + 20)
    assert a["pipeline"] == 95 and close(a["coverage"], 95 / 300)
