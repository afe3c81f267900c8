"""Support for the Upload page (no Streamlit here): saving uploads, mapping choices, the
downloadable copy of offending rows.

Uploaded files go to `<temp dir>/kamdash-uploads/<random>/` (UPLOADS_ROOT); each folder has a
`.touched` marker whose time is the folder's last use. `sweep_uploads` removes folders unused
for 30 minutes (`store.load.start_sweeper` runs it periodically: Streamlit has no session-end
hook, so an abandoned upload is otherwise never removed)."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from kamdash.core.errors import StoreError, os_problem
from kamdash.core.fmt import formula_safe
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


UPLOAD_IDLE_SECONDS = 30 * 60  # an upload folder unused this long is removed by the sweep
MARKER = ".touched"


def uploads_root() -> Path:
    """Where uploaded files are kept while they are checked: `<temp dir>/kamdash-uploads`."""
    return Path(tempfile.gettempdir()) / "kamdash-uploads"


def save_uploads(files: list[tuple[str, bytes]]) -> tuple[Path, list[Path]]:
    """Write uploaded files (name, content) into a new folder under `uploads_root()`.
    StoreError (nothing left behind) when the disk is full or the folder is not writable."""
    root = uploads_root()
    d = root / uuid.uuid4().hex
    paths, seen = [], set()
    try:
        d.mkdir(parents=True)
        (d / MARKER).touch()
        for name, content in files:
            n = safe_name(name)
            while n.lower() in seen:
                n = "_" + n
            seen.add(n.lower())
            (d / n).write_bytes(content)
            paths.append(d / n)
    except OSError as e:
        shutil.rmtree(d, ignore_errors=True)
        where = e.filename or d
        raise StoreError(
            os_problem(e, where, "save the uploaded file to", root)
            + " Nothing was checked or published."
        ) from e
    return d, paths


def touch_uploads(d: Path | None) -> None:
    """Mark an upload folder in use now (the sweep leaves it alone for UPLOAD_IDLE_SECONDS)."""
    if d is not None:
        with contextlib.suppress(OSError):
            os.utime(Path(d) / MARKER)


def remove_uploads(d: Path | None) -> None:
    if d is not None:
        shutil.rmtree(d, ignore_errors=True)


def sweep_uploads(max_idle_seconds: float = UPLOAD_IDLE_SECONDS) -> list[Path]:
    """Remove the upload folders unused for `max_idle_seconds` (by their marker's time, else
    the folder's); returns them."""
    root = uploads_root()
    cutoff = time.time() - max_idle_seconds
    removed = []
    if not root.is_dir():
        return removed
    for d in root.iterdir():
        with contextlib.suppress(OSError):
            marker = d / MARKER
            used = (marker if marker.exists() else d).stat().st_mtime
            if d.is_dir() and used < cutoff:
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d)
    return removed


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
    w.writerow([_safe_cell(h) for h in head + cells])
    for p in problems:
        for row in p.offending:
            r = row.get("_row", row.get("_source_row"))
            where = [p.level, p.code, p.file, p.sheet, p.column, r]
            w.writerow([_safe_cell(v) for v in where + [row.get(k) for k in cells]])
    return buf.getvalue().encode("utf-8-sig")


# A plain decimal number ("-50", "+1.5e3"): the cell a spreadsheet reads as that number.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _safe_cell(v: object) -> str:
    """Any field (header, file, sheet, column, cell) as text that cannot run as a formula when
    the CSV is opened in a spreadsheet; a plain number ("-50") stays a number."""
    s = "" if v is None else str(v)
    return s if _NUMBER.fullmatch(s) else formula_safe(s)
