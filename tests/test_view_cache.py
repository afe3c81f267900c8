"""The cache of page views (kamdash.ui.cached): keyed on the snapshot, the viewer's scope and
the sidebar filters, so two viewers' books or two filter choices never share an entry."""

from __future__ import annotations

import pandas as pd
import pytest

from kamdash import ui
from kamdash.core.db import rows
from kamdash.core.settings import Settings
from kamdash.store.access import Scope, Viewer
from kamdash.store.filters import Filters, scoped
from tests.helpers import canonical_db

CALLS: list[str] = []


def account_ids(con, label: str = "") -> list[str]:
    CALLS.append(label)
    return [r[0] for r in rows(con, "SELECT account_id FROM accounts ORDER BY account_id")]


@pytest.fixture
def snapshot(monkeypatch, tmp_path):
    monkeypatch.setenv("KAMDASH_DATA_DIR", str(tmp_path))
    ui._cached_view.clear()
    CALLS.clear()
    con = canonical_db(
        accounts=[
            {"account_id": "A", "account_name": "Acme", "owner": "Ann", "region": "EU"},
            {"account_id": "B", "account_name": "Beta", "owner": "Bob", "region": "EU"},
            {"account_id": "C", "account_name": "Cyan", "owner": "Ann", "region": "US"},
        ]
    )
    yield con
    ui._cached_view.clear()


def frame(con, scope: Scope, filters: Filters | None = None, sid: str = "s1") -> ui.Frame:
    filters = filters or Filters()
    who = Viewer("x@example.com", "kam", scope)
    return ui.Frame(
        scoped(con, filters, scope), who, Settings(), None, None, None, sid, filters, con
    )


def test_two_scopes_never_share_an_entry(snapshot):
    ann, bob = Scope(owners=("Ann",)), Scope(owners=("Bob",))
    assert ui.cached(frame(snapshot, ann), account_ids) == ["A", "C"]
    assert ui.cached(frame(snapshot, bob), account_ids) == ["B"]
    assert ui.cached(frame(snapshot, Scope.all()), account_ids) == ["A", "B", "C"]
    assert len(CALLS) == 3
    # the same scope again: served from the cache, each caller its own copy
    first = ui.cached(frame(snapshot, ann), account_ids)
    first.append("Z")
    assert ui.cached(frame(snapshot, ann), account_ids) == ["A", "C"]
    assert len(CALLS) == 3


def test_filters_snapshot_and_arguments_are_in_the_key(snapshot):
    everyone = Scope.all()
    assert ui.cached(frame(snapshot, everyone), account_ids) == ["A", "B", "C"]
    us = Filters(regions=("US",))
    assert ui.cached(frame(snapshot, everyone, us), account_ids) == ["C"]
    assert ui.cached(frame(snapshot, everyone, sid="s2"), account_ids) == ["A", "B", "C"]
    assert ui.cached(frame(snapshot, everyone), account_ids, "other") == ["A", "B", "C"]
    assert CALLS == ["", "", "", "other"]
    ui.cached(frame(snapshot, everyone, us), account_ids)
    assert len(CALLS) == 4


def test_an_argument_without_a_faithful_repr_is_refused(snapshot):
    f = frame(snapshot, Scope.all())
    with pytest.raises(TypeError, match="DataFrame"):
        ui.cached(f, account_ids, pd.DataFrame({"a": range(100)}))
    with pytest.raises(TypeError, match="object"):
        ui.cached(f, account_ids, object())
    assert CALLS == []


def test_an_unfiltered_view_ignores_the_filters_but_not_the_scope(snapshot):
    everyone, ann = Scope.all(), Scope(owners=("Ann",))
    us, eu = Filters(regions=("US",)), Filters(regions=("EU",))
    # computed without the sidebar filters: the filtered frame still sees the whole scope
    assert ui.cached(frame(snapshot, everyone, us), account_ids, unfiltered=True) == [
        "A",
        "B",
        "C",
    ]
    # another filter choice finds it computed; a filtered view of the same function does not
    assert ui.cached(frame(snapshot, everyone, eu), account_ids, unfiltered=True) == [
        "A",
        "B",
        "C",
    ]
    assert ui.cached(frame(snapshot, everyone, eu), account_ids) == ["A", "B"]
    assert len(CALLS) == 2
    # a KAM's book is its own entry, filters or not
    assert ui.cached(frame(snapshot, ann, us), account_ids, unfiltered=True) == ["A", "C"]
    assert len(CALLS) == 3


def test_the_sidebar_lists_each_viewers_own_book(monkeypatch, tmp_path, sample_data_dir):
    # the filter options are cached per snapshot and scope: a KAM's list, then a leader's, then
    # another KAM's, in one server process, each their own
    from streamlit.testing.v1 import AppTest

    from kamdash.store.filters import filter_options
    from kamdash.store.snapshots import SnapshotStore
    from tests.conftest import ROOT

    owners = filter_options(SnapshotStore(sample_data_dir).open())["owners"]
    access = tmp_path / "access.toml"
    access.write_text(
        f'[users."ann@x.com"]\nrole = "kam"\nowners = ["{owners[0]}"]\n'
        f'[users."bob@x.com"]\nrole = "kam"\nowners = ["{owners[1]}"]\n'
        '[users."lea@x.com"]\nrole = "leader"\n'
    )
    monkeypatch.setenv("KAMDASH_DATA_DIR", str(sample_data_dir))
    monkeypatch.setenv("KAMDASH_ACCESS", str(access))
    monkeypatch.setattr(ui, "sign_in_configured", lambda: True)
    ui._policy.clear()
    listed = {}
    for who in ("ann@x.com", "lea@x.com", "bob@x.com"):
        monkeypatch.setattr(ui, "_claims", lambda who=who: {"email": who})
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page("pages/tiers.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        listed[who] = list(at.multiselect(key="owner").options)
    assert listed["ann@x.com"] == [owners[0]]
    assert listed["bob@x.com"] == [owners[1]]
    assert listed["lea@x.com"] == owners
