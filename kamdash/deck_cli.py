"""`python -m kamdash qbr-deck`: write a QBR deck (PPTX) for one account or a KAM's book."""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path

from kamdash.core.errors import os_problem
from kamdash.store.snapshots import SnapshotNotFound, SnapshotStore, StoreError, default_data_dir


def add_qbr_deck_arguments(sp: argparse.ArgumentParser) -> None:
    """The qbr-deck options (besides --data-dir, which every command has)."""
    who = sp.add_mutually_exclusive_group(required=True)
    who.add_argument("--account", action="append", help="account ID or exact name (repeatable)")
    who.add_argument("--owner", help="every account of this KAM (owner), biggest first")
    sp.add_argument("--out", required=True, help="the .pptx file to write")
    sp.add_argument(
        "--hide-names",
        action="store_true",
        help="replace account, contact and KAM names by neutral aliases (client-facing); the "
        "aliases are the installation's, as in the app",
    )
    sp.add_argument("--quarter", help="quarter like 2026Q3 (default: the last complete one)")


def cmd_qbr_deck(args: argparse.Namespace) -> int:
    from pptx import Presentation

    from kamdash.core.fmt import with_snapshot_currency
    from kamdash.core.periods import quarter_label
    from kamdash.core.settings import load_settings
    from kamdash.present.aliases import Aliases
    from kamdash.present.deck import book_heading, qbr_deck
    from kamdash.store.filters import Filters
    from kamdash.views.account_review import DeckError, accounts_for, resolve_quarter

    data_dir = Path(args.data_dir) if getattr(args, "data_dir", None) else default_data_dir()
    out = Path(args.out)
    if out.suffix.lower() != ".pptx":
        print(f"error: {out}: the deck is a .pptx file", file=sys.stderr)
        return 2
    store = SnapshotStore(data_dir)
    try:
        settings = load_settings(data_dir=store.data_dir)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        con = store.open()
    except SnapshotNotFound as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except StoreError as e:  # damaged
        print(f"error: {e}", file=sys.stderr)
        return 1
    try:
        cur = con.cursor()
        settings = with_snapshot_currency(settings, cur)
        ids = accounts_for(cur, account=args.account, owner=args.owner)
        qi, _ = resolve_quarter(cur, settings, args.quarter)
        # hidden names: the installation's aliases, the same as the app's screens and files
        aliases = Aliases.for_installation(cur, store.data_dir) if args.hide_names else None
        heading = None
        if args.owner:  # the book deck is titled for its KAM and how many accounts it holds
            owner = aliases.owner(args.owner) if aliases else args.owner
            heading = book_heading(Filters(owners=(owner,)))
        data = qbr_deck(cur, settings, ids, quarter=qi, aliases=aliases, heading=heading)
    except DeckError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        con.close()
    tmp = out.with_name(out.name + ".tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        tmp.replace(out)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        print(f"error: {os_problem(e, out, 'write the deck to', out.parent)}", file=sys.stderr)
        return 1
    slides = len(Presentation(io.BytesIO(data)).slides)
    names = "" if args.hide_names else f" ({', '.join(ids[:5])}{'...' if len(ids) > 5 else ''})"
    print(
        f"Wrote {out}: {len(ids)} account(s){names}, {slides} slides, "
        f"{quarter_label(qi, settings.fiscal_year_start_month)}"
        + (", names hidden" if args.hide_names else "")
        + "."
    )
    return 0
