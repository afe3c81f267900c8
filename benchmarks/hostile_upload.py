"""Peak memory of checking hostile workbooks: two at once in one process, as two Streamlit
sessions would, against an honest workbook for contrast.

    .venv/bin/python benchmarks/hostile_upload.py                  # this checkout
    .venv/bin/python benchmarks/hostile_upload.py --code /tmp/before --only amplify --copies 1

Each scenario runs in its own subprocess: it imports kamdash (from `--code`, default this
checkout), then runs `store.load.prepare()` (the Upload page's check) on `--copies` copies of the
workbook in as many threads at once, and reports the outcome (the refusal's message, or the
rows read), the wall time and the process's peak RSS (VmHWM: its high-water mark, Python and
imports included; `base` is VmHWM after the imports, before any check). A server adds
Streamlit's own ~0.2-0.3 GiB to these.

Workbooks (generated with zipfile's streaming writes into benchmarks/out/hostile/, gitignored;
nothing is stored in the repository):
- sst-1gb      44 MB on disk, its shared strings expand to 1 GB (23:1, under the 100:1 bomb ratio)
- sst-lying    the same, but the central directory and local header say the shared strings
               are 4 KB (with the CRC of those 4 KB, so zipfile's own bounded read is fooled)
- amplify      15 KB on disk: 100,000 cells each refer to one 10,000-character shared string,
               which python-calamine copies per cell (and Python again)
- sst-at-cap   the largest shared strings accepted (~127 MB of 1-3 letter strings)
- cells-at-cap a sheet of ~7.2M number cells, just under the read-memory estimate's limit
- honest-200k  kamdash.sample.write_large, ~200k revenue rows (9 sheets, 6.4 MB)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "hostile"
MIB = 2**20

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
    b'2006/relationships"><sheets><sheet name="Revenue" sheetId="1" r:id="rId1"/></sheets>'
    b"</workbook>"
)
WB_RELS = (
    HDR + b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    b'Target="sharedStrings.xml"/></Relationships>'
)
HEADER_ROW = b'<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c></row>'
HEADER_STRINGS = b"<si><t>Account ID</t></si><si><t>Date</t></si><si><t>Amount</t></si>"


def _workbook(path: Path, sheet_chunks, sst_chunks) -> Path:
    """One sheet ("Revenue") and shared strings, each written from an iterable of chunks."""
    tmp = path.with_suffix(".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WB)
        z.writestr("xl/_rels/workbook.xml.rels", WB_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as m:
            m.write(HDR + b"<worksheet " + NS + b"><sheetData>" + HEADER_ROW)
            for c in sheet_chunks:
                m.write(c)
            m.write(b"</sheetData></worksheet>")
        # (no zip64 for the shared strings: under 2 GiB, their sizes sit in the headers)
        with z.open("xl/sharedStrings.xml", "w") as m:
            m.write(HDR + b"<sst " + NS + b">" + HEADER_STRINGS)
            for c in sst_chunks:
                m.write(c)
            m.write(b"</sst>")
    tmp.replace(path)
    return path


def _rows(n: int) -> bytes:
    return b"".join(
        b'<row><c t="s"><v>3</v></c><c><v>45292</v></c><c><v>%d.5</v></c></row>' % i
        for i in range(n)
    )


def _repeat(chunk: bytes, total: int):
    n = 0
    while n < total:
        yield chunk
        n += len(chunk)


def sst_1gb(path: Path) -> Path:
    """~1 GB of ~100-character strings drawn from 64 (23:1 at deflate level 1)."""
    rnd = random.Random(1)
    pool = [
        b"<si><t>"
        + bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz ") for _ in range(90))
        + b"</t></si>"
        for _ in range(64)
    ]
    chunk = b"".join(rnd.choice(pool) for _ in range(40_000))
    return _workbook(path, [_rows(10)], _repeat(chunk, 1000 * MIB))


def sst_lying(path: Path) -> Path:
    """sst-1gb whose headers say the shared strings are 4 KB (with those 4 KB's CRC)."""
    src = OUT / "sst-1gb.xlsx"
    if not src.exists():
        sst_1gb(src)
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo("xl/sharedStrings.xml")
        with zf.open(info) as fh:
            crc = zlib.crc32(fh.read(4096))
    raw = bytearray(src.read_bytes())
    struct.pack_into("<III", raw, info.header_offset + 14, crc, info.compress_size, 4096)
    central = raw.find(b"PK\x01\x02")
    while central >= 0:
        n = struct.unpack_from("<H", raw, central + 28)[0]
        if raw[central + 46 : central + 46 + n] == b"xl/sharedStrings.xml":
            struct.pack_into("<I", raw, central + 16, crc)
            struct.pack_into("<I", raw, central + 24, 4096)
        central = raw.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(raw))
    return path


def amplify(path: Path) -> Path:
    row = b'<row><c t="s"><v>3</v></c><c><v>45292</v></c><c t="s"><v>3</v></c></row>'
    return _workbook(path, [row * 50_000], [b"<si><t>" + b"x" * 10_000 + b"</t></si>"])


def sst_at_cap(path: Path) -> Path:
    """~127 MB of 1-3 letter strings: the most strings the shared-strings cap lets through."""
    rnd = random.Random(2)
    letters = b"abcdefghijklmnopqrstuvwxyz"
    chunk = b"".join(
        b"<si><t>" + bytes(rnd.choice(letters) for _ in range(rnd.randint(1, 3))) + b"</t></si>"
        for _ in range(200_000)
    )
    return _workbook(path, [_rows(10)], _repeat(chunk, 127 * MIB - 2 * len(chunk)))


def cells_at_cap(path: Path) -> Path:
    """~7.2M number cells (720k rows x 10), just under the read-memory estimate's limit."""
    rnd = random.Random(3)
    rows = b"".join(
        b"<row>"
        + b"".join(b"<c><v>%d.25</v></c>" % rnd.randrange(10**6) for _ in range(10))
        + b"</row>"
        for _ in range(20_000)
    )
    return _workbook(path, _repeat(rows, len(rows) * 36), [])


def honest(path: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from kamdash.sample import write_large

    info = write_large(path.parent / "honest-200k", n_accounts=546, months=60, fmt="xlsx", seed=7)
    Path(info["path"]).replace(path)
    return path


SCENARIOS = {
    "sst-1gb": sst_1gb,
    "sst-lying": sst_lying,
    "amplify": amplify,
    "sst-at-cap": sst_at_cap,
    "cells-at-cap": cells_at_cap,
    "honest-200k": honest,
}


def workbook(name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.xlsx"
    if not path.exists():
        print(f"generating {path.name}…", file=sys.stderr, flush=True)
        SCENARIOS[name](path)
    return path


# ------------------------------------------------------------------------------- measuring
CHILD = r"""
import json, sys, threading, time, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from kamdash.store.load import prepare

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
path, copies = Path(sys.argv[2]), int(sys.argv[3])
base = hwm()
out = [None] * copies

def check(i):
    data = Path(tempfile.mkdtemp(prefix="kamdash-bench-"))
    try:
        r = prepare([path], data, max_bytes=2**40)
        if r.ok:
            out[i] = "ok: %s rows read" % format(sum(r.counts.values()), ",")
            r.discard()
        else:
            out[i] = "refused: " + r.report.errors[0].message
    except BaseException as e:
        out[i] = "crashed: %s: %s" % (type(e).__name__, str(e)[:200])

t = time.perf_counter()
threads = [threading.Thread(target=check, args=(i,)) for i in range(copies)]
for th in threads: th.start()
for th in threads: th.join()
print(json.dumps({"base": base, "peak": hwm(), "seconds": time.perf_counter() - t, "out": out}))
"""


def measure(name: str, copies: int, code: Path) -> dict:
    path = workbook(name)
    with zipfile.ZipFile(path) as zf:
        expanded = sum(i.file_size for i in zf.infolist())
    p = subprocess.run(
        [sys.executable, "-c", CHILD, str(code), str(path), str(copies)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(code)},
    )
    if p.returncode != 0:
        res = {
            "base": None,
            "peak": None,
            "seconds": None,
            "out": [f"process died ({p.returncode})"],
        }
        res["out"][0] += ": " + (p.stderr.strip().splitlines() or [""])[-1][:200]
    else:
        res = json.loads(p.stdout.strip().splitlines()[-1])
    res |= {
        "name": name,
        "copies": copies,
        "mb": path.stat().st_size / MIB,
        "expanded_mb": expanded / MIB,
    }
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--code", default=str(ROOT), help="the kamdash checkout to measure")
    ap.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios")
    ap.add_argument("--copies", type=int, default=2, help="checks at once (threads)")
    args = ap.parse_args(argv)
    code = Path(args.code).resolve()
    rows = []
    print(f"kamdash from {code}; {args.copies} check(s) at once per scenario", flush=True)
    print(
        "| workbook | on disk MB | header says expanded MB | checks at once | outcome | "
        "seconds | base MiB | peak RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in args.only.split(","):
        r = measure(name, args.copies, code)
        rows.append(r)
        outcome = "; ".join(sorted({o[:150] for o in r["out"]}))
        fmt = lambda v, d=0: "—" if v is None else f"{v:,.{d}f}"  # noqa: E731
        print(
            f"| {name} | {r['mb']:,.1f} | {r['expanded_mb']:,.0f} | {r['copies']} | {outcome} | "
            f"{fmt(r['seconds'], 1)} | {fmt(r['base'])} | {fmt(r['peak'])} |",
            flush=True,
        )
    (OUT / f"results-{int(time.time())}.json").write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
