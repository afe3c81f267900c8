"""The frame every page shares (kamdash.ui.frame): sidebar filters and the as-of dates.
Streamlit AppTest, no browser."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from kamdash.core.periods import as_of
from kamdash.core.settings import Settings
from kamdash.store.snapshots import SnapshotStore
from tests.conftest import ROOT


def open_tiers(monkeypatch, data_dir) -> AppTest:
    monkeypatch.setenv("KAMDASH_DATA_DIR", str(data_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/tiers.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_sidebar_has_every_filter_and_both_dates(monkeypatch, sample_data_dir):
    at = open_tiers(monkeypatch, sample_data_dir)
    assert [w.key for w in at.sidebar.multiselect] == [
        "owner",
        "team",
        "region",
        "industry",
        "tier",
    ]
    industry = at.multiselect(key="industry")
    assert industry.label == "Industry" and len(industry.options) > 1
    who, caption = [c.value for c in at.sidebar.caption]
    assert who.startswith("Open mode")  # no sign-in configured in tests
    # the sample's last revenue date, then its later activity (contacts, QBRs), as dates
    a = as_of(SnapshotStore(sample_data_dir).open(), Settings())
    assert a.activity > a.date
    assert f"revenue to {a.date.isoformat()} · activity to {a.activity.isoformat()}" in caption
    assert "00:00:00" not in caption
    industry.set_value([industry.options[0]]).run()
    assert not at.exception
    assert "No account matches" not in [str(w.value) for w in at.warning]
