"""The relationship map: the level rule, reports-to resolution, the gaps against hand counts,
the figure (labels never overlap, names hideable), the deck slide, and an extract without
stakeholders. As of 2024-03-31 (the latest revenue), active = strength >= 3, stale after 90
days (the defaults)."""

from __future__ import annotations

import io
import itertools
import json

import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_AUTO_SHAPE_TYPE, MSO_SHAPE_TYPE

from kamdash.core.missing import Missing
from kamdash.core.settings import Settings
from kamdash.ingest.mapping import guess_columns
from kamdash.metrics import relationships as rel
from kamdash.present import figures
from kamdash.present.aliases import Aliases
from kamdash.present.deck import SLIDE_TITLES, qbr_deck
from kamdash.views.account_review import account_qbr_data
from tests.helpers import canonical_db

ACCOUNTS = [
    {"account_id": x, "account_name": f"Name {x}", "tier": "Tier 1", "owner": "Kim"}
    for x in "ABCDE"
]
REVENUE = [
    {"account_id": a, "date": d, "amount": 100}
    for a in "ABCDE"
    for d in ("2023-03-31", "2023-06-30", "2023-09-30", "2023-12-31", "2024-03-31")
]
CONTACTS = [
    # A: a full committee. Ann (exec, 4) and Al (manager, 3) active; Abe (user, 2) not, last
    # seen 2023-12-01 = 121 days before 2024-03-31 (> 90: stale); Amy (user, 4, a "technical
    # buyer") active, never dated
    {"account_id": "A", "name": "Ann Archer", "level": "Executive", "strength": 4,
     "sentiment": "champion", "role": "Economic Buyer", "influence": 5,
     "last_contact": "2024-03-01", "contact_id": "c-1"},
    {"account_id": "A", "name": "Al Abbott", "level": "manager", "strength": 3,
     "sentiment": "supporter", "role": "Decision  maker", "influence": 3,
     "last_contact": "2024-02-01", "contact_id": "c-2", "reports_to": "ann  ARCHER"},
    {"account_id": "A", "name": "Abe Adams", "level": "user", "strength": 2,
     "sentiment": "detractor", "role": "User", "influence": 2,
     "last_contact": "2023-12-01", "contact_id": "c-3", "reports_to": "c-2"},
    {"account_id": "A", "name": "Amy Avery", "level": "user", "strength": 4,
     "sentiment": "neutral", "role": "Technical Buyer", "influence": 2,
     "contact_id": "c-4", "reports_to": "Bo Brown"},  # Bo is B's: no line
    # B: no level column, the titles say it: Bo is an executive (VP), Bea a user; no roles
    {"account_id": "B", "name": "Bo Brown", "title": "VP Engineering", "strength": 5,
     "sentiment": "champion", "influence": 4, "last_contact": "2024-03-30"},
    {"account_id": "B", "name": "Bea Best", "title": "Data Analyst", "strength": 2,
     "sentiment": "neutral", "influence": 2, "last_contact": "2024-03-30",
     "reports_to": "Bo Brown"},
    # C: the only executive is a detractor, strong enough to count as executive access
    {"account_id": "C", "name": "Cy Cole", "level": "executive", "strength": 4,
     "sentiment": "detractor", "role": "Economic Buyer", "influence": 5,
     "last_contact": "2024-03-15"},
    {"account_id": "C", "name": "Cal Cruz", "level": "manager", "strength": 4,
     "sentiment": "champion", "role": "Decision Maker", "influence": 3,
     "last_contact": "2024-03-15", "reports_to": "Cy Cole"},
    # D: nothing mapped. E: two executives, neither at strength 3
    {"account_id": "E", "name": "Eve Ellis", "level": "C-Level", "strength": 2,
     "sentiment": "neutral", "influence": 5, "last_contact": "2024-03-20"},
    {"account_id": "E", "name": "Ed Eames", "level": "executive", "strength": 1,
     "sentiment": "neutral", "influence": 4, "last_contact": "2024-03-20",
     "reports_to": "Ed Eames"},  # himself: no line
]  # fmt: skip


def db(contacts=CONTACTS, **kw):
    return canonical_db(accounts=ACCOUNTS, revenue=REVENUE, stakeholders=contacts, **kw)


@pytest.fixture(scope="module")
def con():
    return db()


def gaps(m) -> list[str]:
    return [g.text for g in m.gaps]


# ------------------------------------------------------------------------------- the level rule


@pytest.mark.parametrize(
    "level, title, band",
    [
        ("Executive", None, "executive"),
        ("C-Level", None, "executive"),
        ("VP-Level", "Analyst", "executive"),  # the level column wins over the title
        ("Director", None, "manager"),
        ("Non-Manager", None, "user"),
        (None, "Chief Financial Officer", "executive"),
        (None, "EVP Operations", "executive"),
        (None, "Managing Director", "executive"),
        (None, "Director of IT", "manager"),
        (None, "Head of Procurement", "manager"),
        (None, "Product Owner", "user"),
        ("Primary", "IT Manager", "manager"),  # a level word kamdash cannot read: the title
        (None, None, None),
    ],
)
def test_level_rule(level, title, band):
    c = canonical_db(
        stakeholders=[{"account_id": "A", "name": "X", "level": level, "title": title}]
    )
    got = c.execute(f"SELECT {rel.level_sql()} FROM stakeholders").fetchall()[0][0]
    assert got == band


def test_executive_access_follows_the_level_rule(con):
    r = rel.relationships(con, Settings()).set_index("account_id")
    # Bo has no level but is a VP with strength 5: executive access through the title
    assert r.loc["B", "executive_access"]
    assert not r.loc["E", "executive_access"]  # 'C-Level' is an executive, but at strength 2


# ------------------------------------------------------------------------------- reports to


def test_reports_to_resolves_by_name_and_by_id_within_the_account(con):
    m = rel.relationship_map(con, Settings(), "A")
    names = list(m.contacts["name"])
    boss = {names[k]: (names[b] if b >= 0 else None) for k, b in enumerate(m.contacts["boss"])}
    assert boss == {
        "Ann Archer": None,
        "Al Abbott": "Ann Archer",  # "ann  ARCHER": case and spacing ignored
        "Abe Adams": "Al Abbott",  # "c-2": Al's contact ID
        "Amy Avery": None,  # "Bo Brown" is a contact of account B, not of A
    }
    assert sorted(m.links) == sorted(
        [(names.index("Ann Archer"), names.index("Al Abbott")),
         (names.index("Al Abbott"), names.index("Abe Adams"))]
    )  # fmt: skip
    assert m.notes == ["1 reports-to entry matches no contact of this account: no line drawn."]


def test_reports_to_oneself_or_to_a_name_held_twice_draws_no_line():
    contacts = [
        {"account_id": "A", "name": "Pat Lee", "reports_to": "Pat Lee"},
        {"account_id": "A", "name": "Sam Roe", "reports_to": "Kim Ode"},
        {"account_id": "A", "name": "Kim Ode"},
        {"account_id": "A", "name": "kim ode"},
        {"account_id": "A", "name": "Lou Fay", "reports_to": "nobody we know"},
    ]
    m = rel.relationship_map(db(contacts), Settings(), "A")
    assert m.links == []
    assert m.notes[:2] == [
        "2 reports-to entries match no contact of this account: no line drawn.",
        "1 reports-to entry matches several contacts of this account: no line drawn.",
    ]


def test_a_snapshot_published_before_reports_to_still_maps():
    c = db()
    c.execute("ALTER TABLE stakeholders DROP COLUMN reports_to")
    c.execute("ALTER TABLE stakeholders DROP COLUMN contact_id")
    m = rel.relationship_map(c, Settings(), "A")
    assert len(m.contacts) == 4 and m.links == [] and m.notes == []


@pytest.mark.parametrize(
    "header",
    ["Reports To", "Manager", "Reports to (name)", "Line manager", "ReportsToId", "Reports To ID"],
)
def test_reports_to_synonyms(header):
    got = guess_columns("stakeholders", ["Account ID", "Contact Name", header, "Contact ID"])
    assert got["reports_to"] == header and got["contact_id"] == "Contact ID"
    # in the team table, "Manager" stays the KAM's manager
    assert guess_columns("team", ["Full Name", "Manager"])["manager"] == "Manager"


# ------------------------------------------------------------------------------- the gaps


def test_gaps_of_a_full_committee(con):
    m = rel.relationship_map(con, Settings(), "A")
    assert gaps(m) == [
        # Economic Buyer: Ann; Decision Maker: Al ("Decision  maker"); Technical Buyer: Amy
        # (the setting's "Technical Evaluator / Technical Buyer"); User: Abe, strength 2
        "Buying roles with no active relationship: User (1 contact, none active).",
        # Abe: 2024-03-31 - 2023-12-01 = 121 days > 90, not active
        "1 of 4 contacts not touched for more than 90 days.",
        "1 contact has no last-contact date.",  # Amy
    ]
    assert m.no_active_levels == []  # executive Ann, manager Al, user Amy
    stale = dict(zip(m.contacts["name"], m.contacts["stale"], strict=True))
    assert stale == {"Ann Archer": False, "Al Abbott": False, "Abe Adams": True, "Amy Avery": False}


def test_gaps_from_titles_without_roles(con):
    m = rel.relationship_map(con, Settings(), "B")
    assert gaps(m) == ["Levels with no active relationship: manager (no contact), user (1 "
                       "contact, none active)."]  # fmt: skip
    assert m.no_active_levels == ["manager", "user"]
    assert m.notes == ["No buying role recorded for this account's contacts: role gaps not shown."]


def test_the_only_executive_is_a_detractor(con):
    m = rel.relationship_map(con, Settings(), "C")
    assert gaps(m)[0] == (
        "Executive access only through a detractor: the only executive contact is a detractor."
    )
    assert gaps(m)[1] == (
        "Buying roles with no active relationship: Technical Evaluator (no contact), User (no "
        "contact)."
    )


def test_no_executive_access_and_nothing_mapped(con):
    m = rel.relationship_map(con, Settings(), "E")
    assert gaps(m)[0] == (
        "No executive access: 2 executive contacts, none at relationship strength 3 or more."
    )
    assert m.notes[0] == "1 reports-to entry matches no contact of this account: no line drawn."
    d = rel.relationship_map(con, Settings(), "D")
    assert d.contacts.empty and gaps(d) == [
        "No contact mapped for this account: every buying role and level is a blind spot."
    ]
    assert d.no_active_levels == ["executive", "manager", "user"]


def test_gaps_follow_the_settings(con):
    s = Settings(buying_roles=("Economic Buyer", "Champion / Coach"), contact_stale_days=30,
                 active_strength_min=4)  # fmt: skip
    m = rel.relationship_map(con, s, "A")
    assert gaps(m) == [
        "Buying roles with no active relationship: Champion (no contact).",
        "Levels with no active relationship: manager (1 contact, none active).",  # Al is 3 < 4
        # Al: 2024-03-31 - 2024-02-01 = 59 days > 30; Abe 121
        "2 of 4 contacts not touched for more than 30 days.",
        "1 contact has no last-contact date.",
    ]


def test_no_stakeholder_sheet_says_so():
    c = canonical_db(accounts=ACCOUNTS, revenue=REVENUE)
    m = rel.relationship_map(c, Settings(), "A")
    assert m == Missing("stakeholders", "no stakeholder sheet in this extract: relationship map "
                                        "not shown")  # fmt: skip
    (d,) = account_qbr_data(c, Settings(), ["A"])
    assert d.relationship_map == m


# ------------------------------------------------------------------------------- the figure


def many(n: int, account: str = "A") -> list[dict]:
    """n contacts of one account, levels 6 : 12 : 12 as in a big buying committee, long names,
    each reporting to the one above it in a tree."""
    firsts = ["Jennifer", "Michael", "Anne-Marie", "Olusegun", "Wei", "Bartholomew", "Yuki"]
    lasts = ["Thompson", "Okafor", "Fernández-Díaz", "Kowalczyk", "Lindqvist", "Nakamura"]
    out = []
    for k in range(n):
        lv = "executive" if k % 5 == 0 else "manager" if k % 5 in (1, 2) else "user"
        out.append({
            "account_id": account, "name": f"{firsts[k % 7]} {lasts[k % 6]} {k}", "level": lv,
            "influence": {"executive": 4 + k % 2, "manager": 2 + k % 3, "user": 1 + k % 3}[lv],
            "strength": 1 + k % 5, "sentiment": ["champion", "neutral", "detractor"][k % 3],
            "role": "User", "last_contact": "2024-03-01",
            "reports_to": None if k == 0 else f"{firsts[(k - 1) // 3 % 7]} "
            f"{lasts[(k - 1) // 3 % 6]} {(k - 1) // 3}",
        })  # fmt: skip
    return out


def overlaps(boxes) -> list:
    return [
        (i, j)
        for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2)
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


@pytest.mark.parametrize("n", [3, 8, 12, 20, 30])
def test_no_label_overlaps_another_at_1280x720(n):
    m = rel.relationship_map(db(many(n)), Settings(), "A")
    lay = figures.relationship_layout(m.contacts)
    boxes = figures.map_label_boxes(lay)
    assert overlaps(boxes) == []
    # every label inside the plot, every contact inside its level's band
    assert all(b[0] >= 0 and b[2] <= lay.width for b in boxes)
    bands = {b: (lo, hi) for b, lo, hi in lay.bands}
    for p, box in zip(lay.points.itertuples(), boxes, strict=True):
        lo, hi = bands[p.band]
        assert lo <= box[1] and box[3] <= hi
    # names beside the markers while they fit, initials (names on hover) for a big committee
    assert lay.mode == ("initials" if n == 30 else "names")
    fig = figures.relationship_map(m)
    assert fig.layout.height <= 720 - 100  # the map and its heading fit on one screen
    texts = [t for tr in fig.data if tr.text for t in tr.text]
    assert len(texts) == n


def test_labels_stay_apart_where_the_page_puts_the_map():
    # the map's column on a 1280 screen with the sidebar is ~450 px of plot; wider only helps
    m = rel.relationship_map(db(many(30)), Settings(), "A")
    lay = figures.relationship_layout(m.contacts)
    for width in (figures.MAP_PLOT_WIDTH, 600, 900):
        assert overlaps(figures.map_label_boxes(lay, width)) == []


def test_figure_encodes_sentiment_strength_level_and_reporting_lines(con):
    m = rel.relationship_map(con, Settings(), "A")
    fig = figures.relationship_map(m)
    by_name = {tr.name: tr for tr in fig.data}
    assert set(by_name) == {"Reports to", "Champion", "Supporter", "Detractor", "Neutral",
                            "Faded: no contact for 90+ days"}  # fmt: skip
    assert list(by_name["Champion"].text) == ["Ann Archer"]
    assert by_name["Champion"].marker.color == figures.SENTIMENT_COLORS["champion"]
    # size = strength: Ann 4, Abe 2
    assert by_name["Champion"].marker.size[0] == figures.map_marker_px(4)
    assert by_name["Detractor"].marker.size[0] == figures.map_marker_px(2)
    assert list(by_name["Detractor"].marker.opacity) == [0.4]  # Abe: stale, faded
    # executive band on top
    assert by_name["Champion"].y[0] > by_name["Supporter"].y[0] > by_name["Detractor"].y[0]
    line = by_name["Reports to"]
    assert len(line.x) == 3 * len(m.links)
    ticks = list(fig.layout.yaxis.ticktext)
    assert ticks[0] == "<b>Executive</b><br>1 of 1 active"


def test_hidden_names_never_reach_the_figure(con):
    for account, n in (("A", 4), ("A", 30)):
        c = con if n == 4 else db(many(30))
        al = Aliases.from_connection(c, "salt")
        m = rel.relationship_map(c, Settings(), account)
        shown = json.dumps(figures.relationship_map(m, al).to_plotly_json(), default=str)
        for real in m.contacts["name"]:
            assert real not in shown and real.split()[0] not in shown
        lay = figures.relationship_layout(m.contacts, al)
        codes = {al.contact(x).split()[-1] for x in m.contacts["name"]}
        if lay.mode == "names":
            assert set(lay.points["label"]) == {al.contact(x) for x in m.contacts["name"]}
        else:
            assert set(lay.points["label"]) == codes


def test_extract_text_in_the_figure_is_data():
    contacts = [
        {"account_id": "A", "name": "<b>Eve</b> & Co", "level": "executive", "strength": 3,
         "title": '<a href="http://x">CFO</a>', "influence": 4},
    ]  # fmt: skip
    fig = figures.relationship_map(rel.relationship_map(db(contacts), Settings(), "A"))
    shown = json.dumps(fig.to_plotly_json(), default=str)
    assert "<b>Eve" not in shown and "<a href" not in shown
    assert "&lt;b&gt;Eve&lt;/b&gt; &amp; Co" in shown


# ------------------------------------------------------------------------------- the deck


def slide_of(data: bytes, title: str):
    prs = Presentation(io.BytesIO(data))
    (s,) = [s for s in prs.slides if s.shapes.title.text == title]
    return s


def test_deck_slide_draws_the_map_with_shapes(con):
    data = qbr_deck(con, Settings(), ["A"])
    s = slide_of(data, SLIDE_TITLES["relationship_map"])
    shapes = [sh for sh in s.shapes if sh.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE]
    ovals = [
        sh
        for sh in shapes
        if sh.auto_shape_type == MSO_AUTO_SHAPE_TYPE.OVAL and sh.name.startswith("Contact ")
    ]
    assert len(ovals) == 4
    lines = [sh for sh in s.shapes if sh.name == "Reports to"]
    assert len(lines) == 2  # Al -> Ann, Abe -> Al
    for ln in lines:  # glued to the contacts: they move together in PowerPoint
        xml = ln._element.xml
        assert "<a:stCxn" in xml and "<a:endCxn" in xml
    text = " ".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame)
    assert "Ann Archer" in text and "Executive" in text and "1 of 1 active" in text
    assert "Buying roles with no active relationship: User (1 contact, none active)." in text


def test_deck_slide_hides_names(con):
    al = Aliases.from_connection(con, "salt")
    data = qbr_deck(con, Settings(), ["A", "C"], aliases=al)
    prs = Presentation(io.BytesIO(data))
    text = " ".join(
        sh.text_frame.text for sl in prs.slides for sh in sl.shapes if sh.has_text_frame
    )
    for real in ["Ann Archer", "Al Abbott", "Abe Adams", "Amy Avery", "Cy Cole", "Cal Cruz"]:
        assert real not in text
    assert al.contact("Ann Archer") in text
    c = [s for s in prs.slides if s.shapes.title.text == SLIDE_TITLES["relationship_map"]][1]
    c_text = " ".join(sh.text_frame.text for sh in c.shapes if sh.has_text_frame)
    assert "the only executive contact is a detractor" in c_text


def test_deck_slide_of_thirty_contacts_stays_on_the_slide():
    c = db(many(30))
    s = slide_of(qbr_deck(c, Settings(), ["A"]), SLIDE_TITLES["relationship_map"])
    prs_w, prs_h = 12192000, 6858000
    ovals = [sh for sh in s.shapes if sh.name.startswith("Contact ")]
    assert len(ovals) == 30
    assert all(o.left >= 0 and o.left + o.width <= prs_w and o.top + o.height <= prs_h
               for o in ovals)  # fmt: skip
    boxes = [(o.left, o.top, o.left + o.width, o.top + o.height) for o in ovals]
    assert overlaps(boxes) == []


def test_deck_without_stakeholders_leaves_the_map_out_and_says_why():
    c = canonical_db(accounts=ACCOUNTS, revenue=REVENUE)
    prs = Presentation(io.BytesIO(qbr_deck(c, Settings(), ["A"])))
    titles = [s.shapes.title.text for s in prs.slides]
    assert SLIDE_TITLES["relationship_map"] not in titles
    note = [
        sh.text_frame.text
        for sh in prs.slides[-1].shapes
        if sh.has_text_frame and sh.text_frame.text.startswith("Not in this deck")
    ]
    assert (
        "relationship summary, relationship map (no stakeholder sheet in this extract)" in (note[0])
    )


def test_the_review_carries_the_map(con):
    """The review the QBR page and the deck render carries the map (as dates, like contacts)."""
    (d,) = account_qbr_data(con, Settings(), ["A"])
    assert d.relationship_map.contacts is d.contacts
    assert isinstance(d.contacts["last_contact"].iloc[0], type(pd.Timestamp("2024-01-01").date()))
