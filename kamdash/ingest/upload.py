"""Support for the Upload page (no Streamlit here): saving uploads, mapping choices, the
downloadable copy of offending rows."""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from pathlib import Path

from kamdash.ingest.contract import TABLES
from kamdash.ingest.mapping import Mapping, TableMapping, guess_columns, remember
from kamdash.ingest.names import NearDuplicate
from kamdash.ingest.report import Report
from kamdash.ingest.staging import SourceSheet

NONE = "(none)"


def safe_name(name: str) -> str:
    """A file name safe to write: no directories, no control characters."""
    base = Path(str(name).replace("\\", "/")).name
    base = re.sub(r"[\x00-\x1f<>:\"|?*]", "_", base).strip(" .")
    return base or "upload"


def save_uploads(files: list[tuple[str, bytes]]) -> tuple[Path, list[Path]]:
    """Write uploaded files (name, content) into a new temporary directory."""
    d = Path(tempfile.mkdtemp(prefix="kamdash-upload-"))
    paths, seen = [], set()
    for name, content in files:
        n = safe_name(name)
        while n.lower() in seen:
            n = "_" + n
        seen.add(n.lower())
        (d / n).write_bytes(content)
        paths.append(d / n)
    return d, paths


def remove_uploads(d: Path | None) -> None:
    if d is not None:
        shutil.rmtree(d, ignore_errors=True)


def columns_for(table: str, sheet: SourceSheet, tm: TableMapping | None) -> dict[str, str]:
    """The columns offered for `table` read from `sheet`: the current mapping when it is that
    sheet, else what name matching finds in the newly chosen one (never all "(none)")."""
    if tm is not None and tm.source == (sheet.sheet or sheet.file):
        return dict(tm.columns)
    return guess_columns(table, sheet.headers)


def mapping_sections(
    mapping: Mapping,
    choices: dict[str, dict[str, str]],
    merges: list[NearDuplicate] | None = None,
) -> dict:
    """Mapping-file sections from what the user chose on the page.

    `choices[table]` holds `source` (sheet or file name) and canonical column -> source header
    (NONE for "not in this extract"). `merges` are the near-duplicate names the user ticked;
    they join the merges already in force as the `merge` section."""
    out: dict = {}
    for table, chosen in choices.items():
        if table not in TABLES or not chosen.get("source") or chosen["source"] == NONE:
            continue
        out[table] = {k: v for k, v in chosen.items() if v and v != NONE}
    merge = {k: dict(v) for k, v in mapping.merges.items()}
    for d in merges or []:
        merge.setdefault(d.kind, {})[d.variant] = d.canonical
    if merge:
        out["merge"] = merge
    return out


def remember_confirmed(data_dir: Path, mapping: Mapping, user_tables: set[str]) -> list[Path]:
    """Save the mappings the user confirmed or changed, for the next extract with the same
    headers."""
    saved = []
    for t in user_tables:
        tm: TableMapping | None = mapping.tables.get(t)
        if tm is not None:
            saved.append(remember(data_dir, tm))
    return saved


def offending_rows_csv(report: Report) -> bytes:
    """One CSV of every row a problem points at: the problem, where, then the row's cells."""
    problems = [p for p in report.problems if p.offending]
    keys: list[str] = []
    for p in problems:
        for row in p.offending:
            for k in row:
                if k not in keys:
                    keys.append(k)
    head = ["level", "problem", "file", "sheet", "column", "row"]
    cells = [k for k in keys if k not in ("_row", "_source_row")]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(head + cells)
    for p in problems:
        for row in p.offending:
            r = row.get("_row", row.get("_source_row"))
            values = [_safe_cell(row.get(k)) for k in cells]
            w.writerow([p.level, p.code, p.file, p.sheet or "", p.column or "", r, *values])
    return buf.getvalue().encode("utf-8-sig")


def _safe_cell(v: object) -> str:
    """Text that cannot run as a formula when the CSV is opened in a spreadsheet."""
    s = "" if v is None else str(v)
    if s[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(s)
            return s  # a plain negative number stays a number
        except ValueError:
            return "'" + s
    return s
