"""Command line: python -m kamdash load|snapshots|use|metrics|sample|ensure-sample."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from kamdash.store.snapshots import SnapshotNotFound, SnapshotStore, StoreError, default_data_dir

SAMPLE_WORKBOOK = Path(__file__).resolve().parent.parent / "data" / "sample" / "kamdash_sample.xlsx"


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir) if args.data_dir else default_data_dir()


def _who() -> str | None:
    """The OS user, recorded in the audit trail for what the CLI publishes or switches."""
    try:
        return getpass.getuser() or None
    except Exception:  # noqa: BLE001 (no user name in this environment)
        return None


def cmd_load(args: argparse.Namespace) -> int:
    from kamdash.store.load import load_extract

    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.max_mb is not None and args.max_mb <= 0:
        print("error: --max-mb must be a positive number of MB", file=sys.stderr)
        return 2
    result = load_extract(
        paths,
        _data_dir(args),
        mapping_file=args.mapping,
        uploaded_by=_who(),
        max_bytes=None if args.max_mb is None else args.max_mb * 2**20,
    )
    print(result.report.text())
    if result.snapshot_id:
        counts = ", ".join(f"{t} {n:,}" for t, n in result.counts.items())
        print(f"\nPublished snapshot {result.snapshot_id} ({counts}); it is now current.")
        return 0
    print(
        f"\nRefused: {len(result.report.errors)} error(s). The current snapshot is unchanged.",
        file=sys.stderr,
    )
    return 1


def cmd_snapshots(args: argparse.Namespace) -> int:
    store = SnapshotStore(_data_dir(args))
    snaps = store.list()
    if not snaps:
        print(f"No snapshots in {_data_dir(args)}. Load one with: python -m kamdash load FILE")
        return 0
    problems = []
    print(f"{'':2}{'id':<31} {'created (UTC)':<26} {'files':<40} rows")
    for m in snaps:
        files = ", ".join(f["name"] for f in m.get("files", []))
        total = sum(m.get("row_counts", {}).values())
        mark = "* " if m["current"] else "  "
        problem = store.verify(m["id"]) if args.verify else None
        damaged = m["damaged"] or problem is not None
        if problem:
            problems.append(problem)
        print(
            f"{mark}{m['id']:<31} {m['created_at']:<26} {files[:40]:<40} {total:,}"
            + ("  DAMAGED" if damaged else "")
        )
    for p in problems:
        print(f"\n{p}", file=sys.stderr)
    return 1 if problems else 0


def cmd_use(args: argparse.Namespace) -> int:
    try:
        SnapshotStore(_data_dir(args)).use(args.snapshot_id, by=_who())
    except SnapshotNotFound as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except StoreError as e:  # damaged, disk full, read-only data folder
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"Snapshot {args.snapshot_id} is now current.")
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    from kamdash.core.fmt import with_snapshot_currency
    from kamdash.core.periods import period_context
    from kamdash.core.settings import load_settings
    from kamdash.views.summary import metrics_summary, page_summary

    store = SnapshotStore(_data_dir(args))
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
    try:
        cur = con.cursor()
        settings = with_snapshot_currency(settings, cur)
        ctx = period_context(cur, settings)
        out = metrics_summary(cur, settings, by=args.by, ctx=ctx)
        if args.by is None:
            out |= page_summary(cur, settings, ctx)
    finally:
        con.close()
    # allow_nan=False: a NaN slipping through fails loudly instead of printing invalid JSON
    print(json.dumps(out, indent=None if args.json else 2, default=str, allow_nan=False))
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from kamdash.sample import write_sample

    write_sample(Path(args.out))
    print(f"Sample extract written to {args.out}")
    return 0


def cmd_ensure_sample(args: argparse.Namespace) -> int:
    """Publish the shipped sample when nothing is published yet (used by `make run`)."""
    store = SnapshotStore(_data_dir(args))
    if store.current_id():
        print(f"Using the current snapshot {store.current_id()}.")
        return 0
    args.paths, args.mapping = [str(SAMPLE_WORKBOOK)], None
    return cmd_load(args)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kamdash", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, func, help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help)
        sp.add_argument("--data-dir", help="where snapshots live (default: data/)")
        sp.set_defaults(func=func)
        return sp

    sp = add("load", cmd_load, "Validate an extract and publish it as the current snapshot.")
    sp.add_argument("paths", nargs="+", help="one workbook, or several CSV files")
    sp.add_argument("--mapping", help="TOML mapping file (one section per table)")
    sp.add_argument(
        "--max-mb",
        type=int,
        default=None,
        help="refuse a file larger than this many MB (default 200, as uploads; a CSV export "
        "of 10M revenue lines is ~650 MB)",
    )
    sp = add("snapshots", cmd_snapshots, "List published snapshots (* = current).")
    sp.add_argument(
        "--verify",
        action="store_true",
        help="check every snapshot's file against its checksum (reads them all)",
    )
    sp = add("use", cmd_use, "Make an earlier snapshot current again.")
    sp.add_argument("snapshot_id")
    sp = add(
        "metrics",
        cmd_metrics,
        "Print the portfolio metrics of the current snapshot: retention, concentration and, "
        "without --by, what the pages show (bridge, retention by group, tiers, whitespace, QBR).",
    )
    sp.add_argument("--by", help="group by: tier, owner, region, industry, team")
    sp.add_argument("--json", action="store_true", help="compact JSON on one line")
    sp = add("sample", cmd_sample, "Write the deterministic sample extract.")
    sp.add_argument("--out", default="data/sample")
    add("ensure-sample", cmd_ensure_sample, "Publish the shipped sample if nothing is published.")
    from kamdash.deck_cli import add_qbr_deck_arguments, cmd_qbr_deck

    sp = add("qbr-deck", cmd_qbr_deck, "Write a QBR deck (PPTX) for an account or a KAM's book.")
    add_qbr_deck_arguments(sp)
    args = p.parse_args(argv)
    try:
        return args.func(args)
    except StoreError as e:  # a damaged snapshot, a full disk, a read-only data folder...
        print(f"error: {e}", file=sys.stderr)
        return 1
