"""Upload resources are bounded: abandoned checks and uploaded files are swept after 30 minutes
idle (by a sweeper thread, without waiting for another load), checks run at most two at a time
(the others wait and say so), and workbooks whose shared strings or sheets would expand beyond
what a check may hold in memory are refused before python-calamine parses them.

The memory actually used by hostile workbooks is measured in benchmarks/hostile_upload.py."""

from __future__ import annotations

import os
import re
import struct
import threading
import time
import zipfile
import zlib
from pathlib import Path

import duckdb
import pytest

import kamdash.ingest.zipscan as zipscan
import kamdash.store.load as load
from kamdash.ingest import upload
from kamdash.ingest.readers import read_sources
from kamdash.ingest.report import ExtractError
from kamdash.store.load import check_slot, prepare, start_sweeper, stop_sweeper, sweep
from kamdash.store.snapshots import CheckExpired, SnapshotStore, StoreError
from tests.helpers import small_extract

HOUR = 3600


def _age(path: Path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


# -- sweeping abandoned checks and uploads ------------------------------------------------------
def test_uploads_are_saved_under_a_known_root_and_swept_when_idle(tmp_path):
    old, old_paths = upload.save_uploads([("accounts.csv", b"a,b\n1,2\n")])
    new, _ = upload.save_uploads([("accounts.csv", b"a,b\n1,2\n")])
    assert old.parent == upload.uploads_root() == new.parent
    assert old_paths == [old / "accounts.csv"] and (old / upload.MARKER).is_file()
    _age(old / upload.MARKER, HOUR)
    _age(new / upload.MARKER, HOUR)
    upload.touch_uploads(new)  # in use again
    removed = upload.sweep_uploads(30 * 60)
    assert old in removed and not old.exists()
    assert new.is_dir() and new not in removed
    upload.remove_uploads(new)


def test_a_check_left_unpublished_expires_and_says_so(tmp_path):
    data = tmp_path / "data"
    store = SnapshotStore(data)
    first = load_first(tmp_path, data)
    d, paths = upload.save_uploads(
        [(p.name, p.read_bytes()) for p in small_extract(tmp_path / "x", 2)]
    )
    prepared = prepare(paths, data, upload_dir=d)
    assert prepared.ok and not prepared.expired
    pending = prepared.pending.tmp
    assert sweep(data, 30 * 60) == []  # fresh: kept
    _age(pending, 31 * 60)
    _age(d / upload.MARKER, 31 * 60)
    removed = sweep(data, 30 * 60)
    assert pending in removed and d in removed
    assert not pending.exists() and not d.exists()
    assert prepared.expired and not prepared.touch()
    with pytest.raises(CheckExpired) as e:
        prepared.publish(uploaded_by="admin@example.com")
    assert isinstance(e.value, StoreError)
    assert str(e.value) == (
        "This check expired after 30 minutes without activity and was removed; nothing was "
        "published. Check the extract again."
    )
    assert store.current_id() == first and [m["id"] for m in store.list()] == [first]


def load_first(tmp_path: Path, data: Path) -> str:
    r = load.load_extract(small_extract(tmp_path / "first", 1), data)
    assert r.snapshot_id
    return r.snapshot_id


def test_a_check_in_use_is_not_swept(tmp_path):
    data = tmp_path / "data"
    prepared = prepare(small_extract(tmp_path / "x", 1), data)
    _age(prepared.pending.tmp, 31 * 60)
    assert prepared.touch()  # the Upload page touches it on every interaction
    assert sweep(data, 30 * 60) == []
    assert prepared.publish()


def test_a_long_running_load_keeps_its_folder_alive(tmp_path):
    store = SnapshotStore(tmp_path / "data")
    pending = store.begin()
    with pending.keep_alive(interval=0.05):
        _age(pending.tmp, HOUR)
        time.sleep(0.3)  # the heartbeat touches it meanwhile
        assert store.sweep_pending(60) == []
    assert pending.tmp.is_dir()
    _age(pending.tmp, HOUR)
    assert store.sweep_pending(60) == [pending.tmp]  # the load is over (killed): swept


def test_the_sweeper_runs_without_another_load(tmp_path):
    data = tmp_path / "data"
    prepared = prepare(small_extract(tmp_path / "x", 1), data)
    _age(prepared.pending.tmp, HOUR)
    stop_sweeper()  # a page run earlier in this process (AppTest) may have started one
    thread = start_sweeper(data, interval_seconds=0.05)
    try:
        assert start_sweeper(data, interval_seconds=0.05) is thread  # one per process
        assert thread.daemon and thread.is_alive()
        deadline = time.monotonic() + 10
        while prepared.pending.tmp.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert prepared.expired
    finally:
        stop_sweeper()
    assert not thread.is_alive()


# -- at most two checks at once -----------------------------------------------------------------
def test_checks_beyond_the_limit_wait_and_say_so(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "MAX_CONCURRENT_CHECKS", 1)
    said: list[tuple[str, float]] = []
    result = {}
    with check_slot():
        t = threading.Thread(
            target=lambda: result.setdefault(
                "r",
                prepare(
                    small_extract(tmp_path / "x", 1),
                    tmp_path / "data",
                    progress=lambda text, f: said.append((text, f)),
                ),
            )
        )
        t.start()
        deadline = time.monotonic() + 10
        while not said and time.monotonic() < deadline:
            time.sleep(0.01)
        assert said == [("Waiting for another check to finish…", 0.0)]
        time.sleep(0.2)
        assert "r" not in result  # still waiting for the slot
    t.join(60)
    assert result["r"].ok and said[-1] == ("Checked.", 1.0)
    assert load.checks_running() == 0


def test_a_check_that_waits_too_long_is_refused_plainly(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "MAX_CONCURRENT_CHECKS", 1)
    with check_slot():
        r = prepare(small_extract(tmp_path / "x", 1), tmp_path / "data", slot_timeout=0.1)
    assert not r.ok
    assert [p.message for p in r.report.errors] == [
        "The server is busy: 1 other checks were still running after 0 minutes. Nothing was "
        "checked or published; try again in a few minutes."
    ]
    assert not (tmp_path / "data" / "snapshots").exists() or not list(
        (tmp_path / "data" / "snapshots").iterdir()
    )


# -- hostile workbooks: refused before parsing ----------------------------------------------------
HDR = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
CT = (
    HDR + b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)
RELS = (
    HDR + b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WB = (
    HDR + b"<workbook " + NS + b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
    b'2006/relationships"><sheets><sheet name="Accounts" sheetId="1" r:id="rId1"/></sheets>'
    b"</workbook>"
)
WB_RELS = (
    HDR + b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    b'Target="sharedStrings.xml"/></Relationships>'
)


def hostile_xlsx(path: Path, rows: bytes, repeat: int, strings: bytes, strings_repeat: int = 1):
    """A workbook of one sheet ("Accounts": a header of two shared strings, then `rows` written
    `repeat` times) and shared strings ("Account ID", "Account Name", then `strings` written
    `strings_repeat` times), written with zipfile's streaming writes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WB)
        z.writestr("xl/_rels/workbook.xml.rels", WB_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as m:
            m.write(HDR + b"<worksheet " + NS + b"><sheetData>")
            m.write(b'<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>')
            for _ in range(repeat):
                m.write(rows)
            m.write(b"</sheetData></worksheet>")
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as m:
            m.write(
                HDR + b"<sst " + NS + b"><si><t>Account ID</t></si><si><t>Account Name</t></si>"
            )
            for _ in range(strings_repeat):
                m.write(strings)
            m.write(b"</sst>")
    return path


def refusal(path: Path) -> list[str]:
    con = duckdb.connect()
    try:
        with pytest.raises(ExtractError) as e:
            read_sources([path], con)
    finally:
        con.close()
    return [p.message for p in e.value.problems]


def test_cells_repeating_a_long_shared_text_are_refused_before_parsing(tmp_path):
    """15 KB on disk: 100,000 cells each refer to one 10,000-character shared string, which
    python-calamine copies per cell (then Python again): 4 GB of memory for one upload."""
    p = hostile_xlsx(
        tmp_path / "amplify.xlsx",
        b'<row><c t="s"><v>2</v></c><c t="s"><v>2</v></c></row>',
        50_000,
        b"<si><t>" + b"x" * 10_000 + b"</t></si>",
    )
    assert p.stat().st_size < 100_000
    start = time.perf_counter()
    [msg] = refusal(p)
    assert time.perf_counter() - start < 10
    assert msg.startswith(
        'file "amplify.xlsx", sheet "Accounts" was refused: reading it would take about '
    )
    assert re.search(
        r"MB of memory \(limit 640 MB\): its cells repeat 9[0-9]{2} MB of shared text\.", msg
    )
    assert msg.endswith(
        "Save the sheet as CSV (kamdash reads large CSV files without this limit), or remove "
        "unused rows, columns or long texts, and upload it again"
    )
    # an honest workbook of the same make (cells referring to their own short texts) loads
    rows = b"".join(
        b'<row><c t="s"><v>%d</v></c><c t="s"><v>%d</v></c></row>' % (2 + i, 3 + i)
        for i in range(0, 200, 2)
    )
    strings = b"".join(b"<si><t>A%d</t></si>" % i for i in range(202))
    p = hostile_xlsx(tmp_path / "fine.xlsx", rows, 1, strings)
    con = duckdb.connect()
    [sheet] = read_sources([p], con)
    assert sheet.n_rows == 100 and sheet.headers == ["Account ID", "Account Name"]
    con.close()


def test_shared_strings_over_the_cap_are_refused_from_the_central_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(zipscan, "MAX_SHARED_STRINGS", 2**20)
    p = hostile_xlsx(
        tmp_path / "text.xlsx",
        b'<row><c t="s"><v>2</v></c><c><v>1</v></c></row>',
        1,
        b"<si><t>" + b"abcdefgh" * 12 + b"</t></si>",
        20_000,
    )
    assert refusal(p) == [
        'file "text.xlsx" was refused: its shared text (part "xl/sharedStrings.xml") would '
        "expand to 2 MB when opened (limit 1 MB). Save the sheet as CSV (kamdash reads large "
        "CSV files without this limit), or remove unused rows, columns or long texts, and "
        "upload it again"
    ]


def test_shared_strings_lying_about_their_size_are_refused_while_streamed(tmp_path):
    """The central directory and local header say 4 KB (and carry the CRC of those first 4 KB,
    so zipfile's own bounded read passes); the stream holds 50 MB, which calamine would
    inflate whole."""
    p = hostile_xlsx(
        tmp_path / "liar.xlsx",
        b'<row><c t="s"><v>2</v></c><c><v>1</v></c></row>',
        1,
        b"<si><t>" + b"y" * 1000 + b"</t></si>",
        50_000,
    )
    with zipfile.ZipFile(p) as zf:
        info = zf.getinfo("xl/sharedStrings.xml")
        first = zf.open(info).read(4096)
    raw = bytearray(p.read_bytes())
    crc = zlib.crc32(first)
    struct.pack_into("<I", raw, info.header_offset + 14, crc)
    central = raw.find(b"PK\x01\x02")
    while central >= 0:
        n = struct.unpack_from("<H", raw, central + 28)[0]
        if raw[central + 46 : central + 46 + n] == b"xl/sharedStrings.xml":
            struct.pack_into("<I", raw, central + 16, crc)
            struct.pack_into("<I", raw, central + 24, 4096)
        central = raw.find(b"PK\x01\x02", central + 4)
    # (zip64 sizes of the local header, if any, are in its extra field: cleared to 4096 too)
    p.write_bytes(bytes(raw))
    with zipfile.ZipFile(p) as zf:
        assert zf.getinfo("xl/sharedStrings.xml").file_size == 4096
        assert len(zf.read("xl/sharedStrings.xml")) == 4096  # zipfile alone is fooled
    assert refusal(p) == [
        'file "liar.xlsx" was refused: its part "xl/sharedStrings.xml" holds more than the '
        "4,096 bytes its header says (a damaged file, or one built to exhaust memory when "
        "opened). Open it in Excel and save it again, or export it again"
    ]


def test_a_sheet_of_too_many_cells_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(zipscan, "MAX_READ_MEMORY", 2**20)
    p = hostile_xlsx(
        tmp_path / "cells.xlsx",
        b"<row>" + b"<c><v>1.5</v></c>" * 10 + b"</row>",
        3_000,
        b"",
    )
    [msg] = refusal(p)
    assert msg == (
        'file "cells.xlsx", sheet "Accounts" was refused: reading it would take about 2 MB of '
        "memory (limit 1 MB): it has up to 30,002 cells. Save the sheet as CSV (kamdash reads "
        "large CSV files without this limit), or remove unused rows, columns or long texts, "
        "and upload it again"
    )


@pytest.mark.parametrize(
    "buf",
    [
        b'<c r="A1" t="s"><v>0</v></c>' * 50,  # nothing to find
        b"<t>caf\xc3\xa9 &amp; &#233; _x0041_</t>",  # escapes that are not control characters
        b"<t>a\x01b</t>",
        b"<t>tab\tnewline\n</t>",  # allowed whitespace
        b"<t>x\x7f</t>",
        b"<t>_x0001_</t>",
        b"<t>_x001F_</t>",
        b"<t>_x007f_</t>",
        b"<t>_x0020_</t>",
        b"<t>&#1;</t>",
        b"<t>&#x1b;</t>",
        b"<t>&#10;&#13;&#9;</t>",
        b"<t>&#127;</t>",
        b"<t>&#0031;</t>",
        b"<t>&#32;</t>",
    ],
)
def test_control_prefilter_agrees_with_the_full_pattern(buf):
    # the cheap pre-filter of the sheet scan must find exactly what the full pattern finds
    assert zipscan._may_hold_control(buf) == (zipscan._CONTROL_HINT.search(buf) is not None)


def test_control_prefilter_sees_every_raw_control_byte():
    for b in range(256):
        buf = b"<t>" + bytes([b]) + b"</t>"
        assert zipscan._may_hold_control(buf) == (zipscan._CONTROL_HINT.search(buf) is not None)
