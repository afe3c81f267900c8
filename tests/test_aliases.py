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
