"""Who sees what: the access file, and the viewer's scope applied where data is read (the
cursor every view, export and deck reads), not in widgets."""

from __future__ import annotations

import io
import json

import pytest
from pptx import Presentation

from kamdash.core.settings import load_settings
from kamdash.present.deck import qbr_deck
from kamdash.store.access import AccessProblem, Policy, Scope, Viewer, load_policy
from kamdash.store.filters import Filters, filter_options, scoped
from kamdash.store.snapshots import SnapshotStore
from kamdash.views.account_review import DeckError, review_accounts
from kamdash.views.summary import page_summary
from tests.helpers import canonical_db

ACCESS = """
[users."Sarah.Mitchell@Example.com"]
role = "kam"
owners = ["Sarah Mitchell"]
[users."vp.sales@example.com"]
role = "leader"
[users."east.lead@example.com"]
role = "leader"
teams = ["East"]
[users."revops@example.com"]
role = "admin"
"""


def policy(tmp_path, text: str = ACCESS) -> Policy | AccessProblem:
    (tmp_path / "access.toml").write_text(text, encoding="utf-8")
    return load_policy(tmp_path)


def test_addresses_match_ignoring_case_and_each_role_has_its_scope(tmp_path):
    p = policy(tmp_path)
    assert isinstance(p, Policy)
    kam = p.viewer({"email": " sarah.mitchell@EXAMPLE.com "})
    assert kam.role == "kam" and kam.scope == Scope(owners=("Sarah Mitchell",))
    assert not kam.is_admin
    assert p.viewer({"email": "vp.sales@example.com"}).scope.everything
    assert p.viewer({"email": "east.lead@example.com"}).scope == Scope(teams=("East",))
    assert p.viewer({"email": "revops@example.com"}).is_admin
    assert p.viewer({"email": "stranger@example.com"}) is None
    assert p.viewer({"sub": "revops@example.com"}) is None  # not the claim the file names


def test_the_file_may_name_another_claim(tmp_path):
    p = policy(tmp_path, 'claim = "preferred_username"\n' + ACCESS)
    assert p.viewer({"preferred_username": "revops@example.com"}).is_admin
    assert p.viewer({"email": "revops@example.com"}) is None


def test_kamdash_access_names_the_file(tmp_path, monkeypatch):
    elsewhere = tmp_path / "conf" / "who.toml"
    elsewhere.parent.mkdir()
    elsewhere.write_text('[users."a@b.c"]\nrole = "admin"\n', encoding="utf-8")
    monkeypatch.setenv("KAMDASH_ACCESS", str(elsewhere))
    assert load_policy(tmp_path / "data").viewer({"email": "A@B.C"}).is_admin


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (None, "no access file"),
        ("[users.x\n", "not valid TOML"),
        ("a = " + "[" * 5000 + "]" * 5000, "not valid TOML"),  # nesting: RecursionError
        ('[users."a@b.c"]\nrole = "boss"\n', "role must be one of kam, leader, admin"),
        ('[users."a@b.c"]\nrole = "kam"\n', "a kam needs `owners"),
        ('[users."a@b.c"]\nrole = "kam"\nowners = [1]\n', "must be a list of names"),
        ("claim = 'email'\n", "names no one"),
        ('[users]\n"a@b.c" = "admin"\n', "must be a table with a `role`"),
    ],
)
def test_a_missing_or_malformed_file_admits_no_one_and_says_what_to_do(tmp_path, text, says):
    if text is not None:
        (tmp_path / "access.toml").write_text(text, encoding="utf-8")
    p = load_policy(tmp_path)
    assert isinstance(p, AccessProblem)
    assert says in str(p) and str(tmp_path / "access.toml") in str(p)


def test_open_mode_is_one_admin_who_sees_everything():
    v = Viewer.open()
    assert v.is_admin and v.scope.everything and v.open_mode
    assert "open mode" in v.actor()


# --- scope where data is read --------------------------------------------------------------


def book():
    """Ann owns A and C (C only through its deals: the accounts sheet leaves it empty), Bob
    owns B; team North = Ann, South = Bob."""
    return canonical_db(
        accounts=[
            {"account_id": "A", "account_name": "Apex", "owner": "Ann Lee"},
            {"account_id": "B", "account_name": "Birch", "owner": "Bob Roy"},
            {"account_id": "C", "account_name": "Cedar", "owner": None},
        ],
        revenue=[
            {"account_id": a, "date": "2024-03-15", "amount": x}
            for a, x in (("A", 100), ("B", 200), ("C", 300))
        ],
        opportunities=[
            {"account_id": "C", "owner": "Ann Lee", "amount": 5, "stage": "Closed Won"},
            {"account_id": "B", "owner": "Bob Roy", "amount": 7, "stage": "Proposal"},
        ],
        team=[{"owner": "Ann Lee", "team": "North"}, {"owner": "Bob Roy", "team": "South"}],
    )


def ids(cur, table="accounts"):
    return sorted(r[0] for r in cur.execute(f"SELECT account_id FROM {table}").fetchall())


def test_a_kam_reads_only_their_book_whatever_the_filters_ask():
    con = book()
    ann = Scope(owners=(" ann lee ",))  # typed by hand: case and spaces ignored
    assert ids(scoped(con, None, ann)) == ["A", "C"]  # C by the deal-owner rule
    assert ids(scoped(con, None, ann), "revenue") == ["A", "C"]
    assert ids(scoped(con, None, ann), "opportunities") == ["C"]
    # a filter (or a URL parameter) naming another book never widens the scope
    assert ids(scoped(con, Filters(owners=("Bob Roy",)), ann)) == []
    assert ids(scoped(con, Filters(teams=("South",)), ann)) == []
    total = scoped(con, None, ann).execute("SELECT sum(amount) FROM revenue").fetchone()[0]
    assert total == 400  # 100 + 300, not the portfolio's 600


def test_filter_options_and_the_team_table_name_no_other_kam():
    con = book()
    cur = scoped(con, None, Scope(owners=("Ann Lee",)))
    options = filter_options(cur)
    assert options["owners"] == ["Ann Lee"]
    assert options["teams"] == ["North"]
    assert cur.execute("SELECT list(owner) FROM team").fetchone()[0] == ["Ann Lee"]


def test_a_leader_of_teams_sees_their_teams_and_a_scope_naming_no_one_sees_nothing():
    con = book()
    assert ids(scoped(con, None, Scope(teams=("south",)))) == ["B"]
    assert ids(scoped(con, None, Scope(teams=("Nowhere",)))) == []
    assert ids(scoped(con, None, Scope(owners=("Nobody",)))) == []
    assert ids(scoped(con, None, Scope.all())) == ["A", "B", "C"]


@pytest.fixture(scope="module")
def sample(sample_data_dir):
    store = SnapshotStore(sample_data_dir)
    con = store.open()
    owners = [
        r[0]
        for r in con.execute(
            "SELECT owner FROM accounts GROUP BY owner ORDER BY count(*) DESC, owner"
        ).fetchall()
    ]
    return con, load_settings(data_dir=sample_data_dir), owners


def book_of(con, owner: str) -> tuple[set[str], set[str]]:
    """(account IDs, account names) of `owner`'s book."""
    found = con.execute(
        "SELECT account_id, account_name FROM accounts WHERE owner = ?", [owner]
    ).fetchall()
    return {r[0] for r in found}, {r[1] for r in found}


def test_every_figure_of_a_kam_comes_from_their_book_only(sample):
    """page_summary is every page's figures (what the views hand to pages and exports)."""
    con, settings, owners = sample
    mine, theirs = owners[0], owners[1]
    cur = scoped(con, None, Scope(owners=(mine,)))
    out = json.dumps(page_summary(cur, settings), default=str)
    their_ids, their_names = book_of(con, theirs)
    my_ids, _ = book_of(con, mine)
    assert not [a for a in their_ids if f'"{a}"' in out]
    assert not [n for n in their_names if n in out]
    assert theirs not in out
    assert [a for a in my_ids if f'"{a}"' in out]
    n = cur.execute("SELECT count(DISTINCT account_id) FROM accounts").fetchone()[0]
    total = con.execute("SELECT count(*) FROM accounts").fetchone()[0]
    assert n == len(my_ids) < total
    assert len(review_accounts(cur, settings)) == n


def test_a_deck_of_another_books_account_is_refused_and_a_book_deck_holds_only_mine(sample):
    con, settings, owners = sample
    mine, theirs = owners[0], owners[1]
    cur = scoped(con, None, Scope(owners=(mine,)))
    other = con.execute(
        "SELECT min(account_id) FROM accounts WHERE owner = ?", [theirs]
    ).fetchone()[0]
    with pytest.raises(DeckError):
        qbr_deck(cur, settings, [other])
    my_ids = review_accounts(cur, settings)["account_id"].tolist()[:3]
    deck = Presentation(io.BytesIO(qbr_deck(cur, settings, my_ids)))
    text = " ".join(
        shape.text_frame.text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_text_frame
    )
    assert not [n for n in book_of(con, theirs)[1] if n in text]
    assert [n for n in book_of(con, mine)[1] if n in text]
