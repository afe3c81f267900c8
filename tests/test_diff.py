"""What changed between two snapshots."""

from __future__ import annotations

from kamdash.store.diff import diff_snapshots
from kamdash.store.load import load_extract
from kamdash.store.snapshots import SnapshotStore


def _publish(tmp_path, name, accounts, revenue):
    d = tmp_path / name
    d.mkdir()
    (d / "accounts.csv").write_text(accounts)
    (d / "revenue.csv").write_text(revenue)
    r = load_extract([d / "accounts.csv", d / "revenue.csv"], tmp_path / "data")
    assert r.snapshot_id, r.report.text()
    return SnapshotStore(tmp_path / "data").path(r.snapshot_id)


def test_diff_accounts_revenue_tiers_owners(tmp_path):
    old = _publish(
        tmp_path,
        "old",
        "Account ID,Account Name,Owner,Tier\nA1,Acme,Ann,1\nA2,Beta,Bob,2\nA3,Gone,Cy,3\n",
        # 2024Q1 complete (latest date 2024-04-20 is in Q2, before June: Q2 partial)
        "Account ID,Date,Amount\nA1,2024-01-10,100\nA2,2024-02-10,50\nA1,2024-04-20,10\n",
    )
    new = _publish(
        tmp_path,
        "new",
        "Account ID,Account Name,Owner,Tier\nA1,Acme,Ann,2\nA2,Beta,Dee,2\nA4,New Co,Cy,3\n",
        # Q1 restated: A2 50 -> 45; Q2 completed (10 -> 10 + 30), which is not a restatement
        "Account ID,Date,Amount\nA1,2024-01-10,100\nA2,2024-02-10,45\nA1,2024-04-20,10\n"
        "A4,2024-06-01,30\n",
    )
    d = diff_snapshots(old, new)
    assert list(d.added["account_id"]) == ["A4"]
    assert list(d.removed["account_id"]) == ["A3"]
    assert d.tier_changes[["account_id", "old_tier", "new_tier"]].values.tolist() == [
        ["A1", "Tier 1", "Tier 2"]
    ]
    assert d.owner_changes[["account_id", "old_owner", "new_owner"]].values.tolist() == [
        ["A2", "Bob", "Dee"]
    ]
    rev = d.revenue.set_index("quarter")
    assert rev.loc["2024Q1", "old"] == 150 and rev.loc["2024Q1", "new"] == 145
    assert rev.loc["2024Q1", "change"] == -5 and bool(rev.loc["2024Q1", "restated"])
    assert rev.loc["2024Q2", "new"] == 40 and not bool(rev.loc["2024Q2", "restated"])
    assert list(d.restated["quarter"]) == ["2024Q1"]
    assert "1 account(s) added" in d.summary() and "restated in 1 quarter(s): 2024Q1" in d.summary()
    assert d.row_counts.set_index("table").loc["revenue"].tolist() == [3, 4]


def test_diff_against_nothing_lists_everything_as_added(tmp_path):
    new = _publish(
        tmp_path,
        "new",
        "Account ID,Account Name\nA1,Acme\n",
        "Account ID,Date,Amount\nA1,2024-03-01,5\n",
    )
    d = diff_snapshots(None, new)
    assert list(d.added["account_id"]) == ["A1"] and d.removed.empty
    assert d.revenue[["quarter", "new"]].values.tolist() == [["2024Q1", 5.0]]
    assert not d.revenue["restated"].any()
