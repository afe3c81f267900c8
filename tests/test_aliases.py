"""Hide names: stable aliases, DataFrames and free text."""

from __future__ import annotations

import pandas as pd

from kamdash.present.aliases import EMAIL_HIDDEN, WEBSITE_HIDDEN, Aliases, new_salt, passthrough
from tests.helpers import canonical_db

ACCOUNTS = [
    ("A1", "Glenmore Retail LLC"),
    ("A2", "Crescent Assurance Corp."),
    ("A3", "Lighthouse Retail plc"),
    ("A4", "Whitecliff Shipping Pty Ltd"),
]
CONTACTS = ["Zoe Wong", "Yusuf Jensen", "Hugo  Ito"]


def make(salt="s1", **kw) -> Aliases:
    return Aliases(salt, ACCOUNTS, CONTACTS, **kw)


def test_aliases_are_neutral_unique_and_stable_for_a_salt():
    a, b = make("s1"), make("s1")
    ids = [i for i, _ in ACCOUNTS]
    got = [a.account(i) for i in ids]
    assert got == [b.account(i) for i in ids]
    assert len(set(got)) == len(got)
    assert all(x.startswith("Account ") and len(x) <= 13 for x in got)
    assert a.contact("Zoe Wong").startswith("Contact ")
    assert a.contact("zoe  wong") == a.contact("Zoe Wong")  # case and spacing ignored
    # registration order does not matter
    c = Aliases("s1", list(reversed(ACCOUNTS)), list(reversed(CONTACTS)))
    assert [c.account(i) for i in ids] == got
    # another salt gives other aliases (not linkable across sessions)
    others = [make(f"other{k}").account("A1") for k in range(5)]
    assert any(o != got[0] for o in others)


def test_many_accounts_get_distinct_aliases():
    al = Aliases("x", [(f"ID{i}", f"Name {i}") for i in range(3000)])
    aliases = {al.account(f"ID{i}") for i in range(3000)}
    assert len(aliases) == 3000


def test_new_salt_is_random():
    assert new_salt() != new_salt()


def test_free_text_replaces_every_occurrence_and_short_forms():
    a = make()
    text = (
        "Call with Zoe Wong (Glenmore Retail LLC); glenmore retail wants a demo. "
        "yusuf jensen escalated at Whitecliff Shipping. Hugo Ito: ok. Zoe Wongs is someone else."
    )
    out = a.text(text)
    for real in ("Zoe Wong ", "Glenmore", "glenmore", "Yusuf", "yusuf", "Whitecliff", "Hugo"):
        assert real not in out, (real, out)
    assert a.contact("Zoe Wong") in out and a.account("A1") in out and a.account("A4") in out
    assert "Zoe Wongs" in out  # word boundaries: a longer word is not a name
    assert a.text("Retail is growing") == "Retail is growing"  # plain words stay
    assert a.text(None) is None and a.text(12) == 12


def test_emails_and_company_websites_are_masked():
    a = make()
    out = a.text("mail zoe.wong@glenmoreretail.com or see www.glenmoreretail.com/about")
    assert "glenmore" not in out.lower() and "zoe" not in out.lower()
    assert EMAIL_HIDDEN in out and WEBSITE_HIDDEN in out
    assert a.text("see www.example.org") == "see www.example.org"


def test_frame_replaces_name_columns_by_id_and_text_elsewhere():
    a = make()
    df = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A9"],
            "account_name": ["Glenmore Retail LLC", "Crescent Assurance Corp.", "New Co"],
            "parent_id": ["A3", None, None],
            "parent_name": ["Lighthouse Retail plc", None, None],
            "name": ["Zoe Wong", "Yusuf Jensen", None],
            "owner": ["James O'Connor"] * 3,
            "notes": ["Zoe Wong likes Lighthouse Retail", "ok", None],
            "amount": [1.0, 2.0, 3.0],
            "Customer label": ["Crescent Assurance", "x", "y"],
        }
    )
    out = a.frame(df, columns=["Customer label"])
    assert out["account_name"].tolist()[:2] == [a.account("A1"), a.account("A2")]
    assert out["account_name"].iloc[2] == a.account("A9")  # unknown id: registered on the fly
    assert out["parent_name"].iloc[0] == a.account("A3")
    assert out["name"].tolist()[:2] == [a.contact("Zoe Wong"), a.contact("Yusuf Jensen")]
    assert out["owner"].tolist() == df["owner"].tolist()  # our KAMs stay visible by default
    assert out["notes"].iloc[0] == f"{a.contact('Zoe Wong')} likes {a.account('A3')}"
    assert out["Customer label"].iloc[0] == a.account("A2")
    assert out["amount"].tolist() == [1.0, 2.0, 3.0]
    blob = out.to_csv()
    for _, real in ACCOUNTS:
        assert real not in blob
    assert df["account_name"].iloc[0] == "Glenmore Retail LLC"  # input untouched


def test_hide_owners_and_passthrough():
    a = make(hide_owners=True, owners=["James O'Connor"])
    assert a.owner("James O'Connor").startswith("KAM ")
    assert "James" not in a.text("James O'Connor owns it")
    p = passthrough()
    assert p.account("A1", "Glenmore Retail LLC") == "Glenmore Retail LLC"
    assert p.account("A1") == "A1"
    assert p.text("Zoe Wong") == "Zoe Wong"
    df = pd.DataFrame({"account_name": ["Glenmore"]})
    assert p.frame(df).equals(df)


def test_from_connection_knows_every_account_and_contact():
    con = canonical_db(
        accounts=[
            {"account_id": "A1", "account_name": "Glenmore Retail LLC", "owner": "Kim"},
            {"account_id": "A2", "account_name": "Crescent Assurance Corp.", "owner": "Kim"},
        ],
        stakeholders=[
            {"account_id": "A1", "name": "Zoe Wong"},
            {"account_id": "A2", "name": "Yusuf Jensen"},
        ],
    )
    a = Aliases.from_connection(con, "salt")
    assert set(a.account_ids()) == {"A1", "A2"}
    assert "zoe wong" in a.real_names() and "glenmore retail llc" in a.real_names()
    out = a.text("Yusuf Jensen of Crescent Assurance Corp.")
    assert "Yusuf" not in out and "Crescent" not in out


# ------------------------------------------------- the installation's aliases (secret, ledger)


def test_installation_secret_is_made_once_private_and_random(tmp_path):
    from kamdash.present.aliases import SECRET_FILE, installation_secret

    a = tmp_path / "one"
    secret = installation_secret(a)
    assert len(secret) == 64 and installation_secret(a) == secret  # made once, then read
    assert (a / SECRET_FILE).stat().st_mode & 0o777 == 0o600
    assert installation_secret(tmp_path / "two") != secret  # another installation
    assert not [p for p in a.iterdir() if p.name.endswith(".tmp")]


def installation(data_dir, accounts=ACCOUNTS, contacts=CONTACTS, owners=()):
    """Aliases as the app builds them for a data dir: its secret and ledger."""
    from kamdash.present.aliases import AliasLedger, installation_secret

    return Aliases(
        installation_secret(data_dir),
        accounts,
        contacts,
        owners,
        hide_owners=True,
        ledger=AliasLedger.of(data_dir),
    )


def test_same_installation_same_aliases_other_installation_other_aliases(tmp_path):
    one, again = installation(tmp_path / "a"), installation(tmp_path / "a")  # two sessions
    other = installation(tmp_path / "b")
    ids = [i for i, _ in ACCOUNTS]
    assert [one.account(i) for i in ids] == [again.account(i) for i in ids]
    assert one.contact("Zoe Wong") == again.contact("Zoe Wong")
    assert [one.account(i) for i in ids] != [other.account(i) for i in ids]


def test_the_alias_is_keyed_on_the_account_id_not_the_name(tmp_path):
    a = installation(tmp_path, [("A1", "Glenmore Retail LLC"), ("A2", "Other Co")])
    renamed = installation(tmp_path, [("A1", "Glenmore Retail Group"), ("A2", "Other Co")])
    assert a.account("A1") == renamed.account("A1")  # a renamed account keeps its alias
    # the same name under another ID gives another alias, and without the installation's
    # secret nobody gets the alias from the ID or the name
    twin = installation(tmp_path, [("B7", "Glenmore Retail LLC")])
    assert twin.account("B7") != a.account("A1")
    guesses = {Aliases(k, [("A1", "Glenmore Retail LLC")]).account("A1") for k in ("", "A1")}
    assert a.account("A1") not in guesses


def test_aliases_survive_a_later_snapshot_whose_accounts_would_win_collisions(tmp_path):
    first = [(f"ACC-{i:05d}", f"Name {i}") for i in range(300)]
    before = installation(tmp_path, first)
    got = {i: before.account(i) for i, _ in first}
    # next month: 2,000 more accounts, many of whose first codes collide with the first 300
    later = first + [(f"NEW-{i:05d}", f"New {i}") for i in range(2000)]
    after = installation(tmp_path, later)
    assert {i: after.account(i) for i, _ in first} == got
    everyone = [after.account(i) for i, _ in later]
    assert len(set(everyone)) == len(everyone)  # unique within the snapshot
    # without the ledger the collision order would have moved some of them
    bare = Aliases(after.salt, later)
    assert any(bare.account(i) != got[i] for i, _ in first)
    # a session started before the new accounts arrived agrees with one started after
    assert installation(tmp_path, first).account("ACC-00007") == got["ACC-00007"]


def test_the_ledger_holds_no_name_and_no_id(tmp_path):
    from kamdash.present.aliases import LEDGER_FILE

    installation(tmp_path, owners=["James O'Connor"])
    text = (tmp_path / LEDGER_FILE).read_text(encoding="utf-8")
    assert (tmp_path / LEDGER_FILE).stat().st_mode & 0o777 == 0o600
    for secret_thing in ['"A1"', "Glenmore", "Zoe", "James", "glenmore retail llc"]:
        assert secret_thing.casefold() not in text.casefold()


def test_a_folder_that_cannot_be_written_still_gives_consistent_aliases(tmp_path, monkeypatch):
    from kamdash.present import aliases as mod

    con = canonical_db(accounts=[{"account_id": a, "account_name": n} for a, n in ACCOUNTS])

    # the ledger cannot be written (a read-only folder): codes are held in memory
    def read_only(*args):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(mod.os, "replace", read_only)
    a = Aliases.for_installation(con, tmp_path)
    assert a.account("A1") == Aliases.for_installation(con, tmp_path).account("A1")
    assert not (tmp_path / mod.LEDGER_FILE).exists()

    # no secret can be made there: aliases hold for this process
    def refuse(data_dir):
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(mod, "installation_secret", refuse)
    b = Aliases.for_installation(con, tmp_path / "ro")
    assert b.account("A1") == Aliases.for_installation(con, tmp_path / "ro").account("A1")
    assert b.account("A1").startswith("Account ")


def test_kams_are_hidden_too_and_frames_use_the_on_screen_id_column(tmp_path):
    a = installation(tmp_path, owners=["James O'Connor", "Sarah Mitchell"])
    df = pd.DataFrame(
        {
            "Account ID": ["A1", "Glenmore Retail LLC"],  # a deals export keyed by name
            "Account": ["Glenmore Retail LLC", "Glenmore Retail LLC"],
            "KAM": ["James O'Connor", None],
            "Name": ["Zoe Wong", "Hugo Ito"],
            "Why": ["Sarah Mitchell owes Zoe Wong a call", "ok"],
            "TTM": [1.0, 2.0],
        }
    )
    out = a.frame(df)
    assert out["Account"].iloc[0] == a.account("A1")  # by the row's ID
    assert out["KAM"].iloc[0] == a.owner("James O'Connor") and out["KAM"].iloc[0].startswith("KAM ")
    assert pd.isna(out["KAM"].iloc[1])
    assert out["Name"].tolist() == [a.contact("Zoe Wong"), a.contact("Hugo Ito")]
    assert out["Why"].iloc[0] == f"{a.owner('Sarah Mitchell')} owes {a.contact('Zoe Wong')} a call"
    blob = out.to_csv().casefold()
    for real in ("glenmore", "james", "sarah", "zoe", "hugo"):
        assert real not in blob, real
    assert out["TTM"].tolist() == [1.0, 2.0]


def test_from_connection_knows_deal_owners_and_accounts_only_in_revenue(tmp_path):
    con = canonical_db(
        accounts=[{"account_id": "A1", "account_name": "Glenmore Retail LLC", "owner": None}],
        revenue=[{"account_id": "Z9", "date": "2025-01-15", "amount": 10.0}],
        opportunities=[{"account_id": "A1", "amount": 5.0, "stage": "Won", "owner": "Kim Lee"}],
    )
    a = Aliases.for_installation(con, tmp_path)
    assert set(a.account_ids()) == {"A1", "Z9"}
    assert a.owner("Kim Lee").startswith("KAM ") and "kim lee" in a.real_names()
    assert Aliases.for_installation(con, tmp_path).account("Z9") == a.account("Z9")


def test_aliases_hold_across_the_published_snapshots_of_one_data_dir(tmp_path):
    from kamdash.store.load import load_extract
    from kamdash.store.snapshots import SnapshotStore
    from tests.helpers import small_extract

    def publish(data_dir, folder, scale, extra=False):
        paths = small_extract(folder, scale)
        if extra:  # next month: one more account, renamed ones
            text = paths[0].read_text().replace("Beta", "Beta Holdings") + "A4,Delta,2\n"
            paths[0].write_text(text)
            with paths[1].open("a") as f:
                f.write("A4,2024-12-01,5\n")
        assert load_extract(paths, data_dir).snapshot_id
        con = SnapshotStore(data_dir).open()
        return Aliases.for_installation(con.cursor(), data_dir)

    first = publish(tmp_path / "data", tmp_path / "m1", 1)
    second = publish(tmp_path / "data", tmp_path / "m2", 2, extra=True)
    assert len(SnapshotStore(tmp_path / "data").list()) == 2
    ids = ["A1", "A2", "A3"]
    assert [first.account(i) for i in ids] == [second.account(i) for i in ids]
    assert second.account("A4") not in [second.account(i) for i in ids]
    elsewhere = publish(tmp_path / "other", tmp_path / "m3", 1)  # another installation
    assert [elsewhere.account(i) for i in ids] != [first.account(i) for i in ids]


def test_the_sample_has_one_alias_per_account_in_every_session(sample_data_dir):
    from kamdash.store.snapshots import SnapshotStore

    con = SnapshotStore(sample_data_dir).open()
    try:
        one = Aliases.for_installation(con.cursor(), sample_data_dir)
        two = Aliases.for_installation(con.cursor(), sample_data_dir)
        ids = sorted(one.account_ids())
        assert len(ids) == 300
        aliases = [one.account(i) for i in ids]
        assert len(set(aliases)) == 300 and aliases == [two.account(i) for i in ids]
    finally:
        con.close()
