"""The figure definitions the Definitions page and help texts render."""

from __future__ import annotations

from dataclasses import fields

from kamdash.core.settings import Settings
from kamdash.metrics.definitions import BY_KEY, DEFINITIONS


def test_every_figure_of_the_brief_is_defined_once():
    keys = [d.key for d in DEFINITIONS]
    assert len(keys) == len(set(keys)) == len(BY_KEY)
    assert {
        "nrr", "grr", "point_in_time", "revenue_bridge", "share_of_wallet", "concentration",
        "as_of", "partial_period", "tier_score", "revenue_at_risk", "stakeholder_coverage",
        "qbr_score", "whitespace_potential",
    } <= set(keys)  # fmt: skip


def test_settings_named_exist_and_texts_are_plain():
    known = {f.name for f in fields(Settings)}
    for d in DEFINITIONS:
        assert set(d.settings) <= known, d.key
        assert d.text and not any(ch in d.text for ch in "*_`#[]<>"), d.key
