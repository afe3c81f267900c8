"""QBR deck export (PPTX): one account, or every account of a book.

Per account, one module a slide: `title` (account, owner, tier, quarter, as-of date, latest
QBR score) · `scorecard` (QBR dimension scores, weighted score and RAG band; TTM revenue, NRR
against `settings.nrr_target`, share of wallet, plan freshness) · `trends` (native column chart
of quarterly revenue, native line chart of the QBR score) · `relationships` (coverage,
multithreading, champions, detractors, executive access, a single-threaded warning, key
contacts; native column chart of contacts by sentiment) · `whitespace` (the biggest empty
product cells with their potential and reason; a native bar chart) · `commitments`
(commitments due / done and notes of the recent QBRs). A deck of several accounts starts with
an `overview` slide (one row per account). `draw` holds what they share.

The slides render `kamdash.views.account_review.AccountQbrData`, the very figures the QBR page
shows. A section the extract cannot feed (a `Missing` field: no stakeholder, QBR or wallet
sheet...) is left out, a slide with nothing left is dropped, and the account's last slide says
in one closing line what was left out and why.

Names: pass `aliases` (kamdash.present.aliases.Aliases) to hide account and contact names in
every text, table and chart of the deck, and in its document properties.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import duckdb

from kamdash.core.missing import Missing
from kamdash.core.settings import Settings
from kamdash.present.aliases import Aliases, passthrough
from kamdash.present.deck import (
    commitments,
    overview,
    relationships,
    scorecard,
    title,
    trends,
    whitespace,
)
from kamdash.present.deck.draw import Deck
from kamdash.views.account_review import AccountQbrData, DeckError, account_qbr_data

ACCOUNT_SLIDES = (scorecard, trends, relationships, whitespace, commitments)
SLIDE_TITLES = {
    "scorecard": scorecard.TITLE,
    "trends": trends.TITLE,
    "relationships": relationships.TITLE,
    "whitespace": whitespace.TITLE,
    "commitments": commitments.TITLE,
    "overview": overview.TITLE,
}


def closing_note(d: AccountQbrData) -> str | None:
    """'Not in this deck: <sections> (<why>) · ...' for the account's Missing sections, those
    with the same reason named together; None when nothing is left out."""
    by_reason: dict[str, list[str]] = {}
    for slide in ACCOUNT_SLIDES:
        for label, field in slide.sections(d).items():
            if isinstance(field, Missing):
                # a Missing message reads "<why>: <what> not shown"; the label says the what
                why = field.message.split(":")[0].strip()
                by_reason.setdefault(why, []).append(label)
    if not by_reason:
        return None
    parts = [f"{', '.join(labels)} ({why})" for why, labels in by_reason.items()]
    return "Not in this deck: " + " · ".join(parts)


def _account(deck: Deck, d: AccountQbrData) -> None:
    title.render(deck, d)
    shown = [
        slide
        for slide in ACCOUNT_SLIDES
        if not all(isinstance(f, Missing) for f in slide.sections(d).values())
    ]
    note = closing_note(d)
    for k, slide in enumerate(shown):
        slide.render(deck, d, note if k == len(shown) - 1 else None)


def render_deck(
    data: Sequence[AccountQbrData],
    settings: Settings,
    aliases: Aliases | None = None,
    heading: str | None = None,
) -> bytes:
    """The PPTX bytes of figures from `account_qbr_data` (overview slide when > 1 account)."""
    if not data:
        raise DeckError("no account to put in the deck")
    al = aliases or passthrough()
    deck = Deck(al, settings)
    if len(data) > 1:
        overview.render(deck, list(data), heading and al.text(heading))
    for d in data:
        _account(deck, d)
    what = deck.name(data[0]) if len(data) == 1 else heading or f"{len(data)} accounts"
    return deck.save(al.text(f"QBR {data[0].quarter_label}: {what}"))


def qbr_deck(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    account_ids: Sequence[str],
    quarter: int | str | None = None,
    aliases: Aliases | None = None,
    heading: str | None = None,
) -> bytes:
    """A QBR deck (PPTX bytes) for `account_ids` (`views.account_review.accounts_for` gives a
    KAM's book).

    `con`: an unfiltered cursor of the snapshot; `quarter`: index, '2026Q3' or None (the last
    complete quarter); `aliases`: hide names; `heading`: the overview slide's subtitle for a
    multi-account deck (e.g. "Book of Lukas Becker")."""
    data = account_qbr_data(con, settings, account_ids, quarter)
    return render_deck(data, settings, aliases, heading)


def deck_filename(data_or_label: str, quarter_label: str) -> str:
    """A safe file name like 'qbr-2026Q3-account-k7.pptx'."""
    slug = re.sub(r"[^a-z0-9]+", "-", str(data_or_label).casefold()).strip("-")[:60] or "deck"
    return f"qbr-{quarter_label}-{slug}.pptx"


__all__ = ["SLIDE_TITLES", "closing_note", "deck_filename", "qbr_deck", "render_deck"]
