"""Column mapping: which sheet/file is which canonical table, and which header is which column.

Three sources, strongest first:
1. a mapping file (TOML, one section per canonical table, `source` = sheet or file name,
   every other key a canonical column set to the source header);
2. a remembered mapping (saved when a user confirmed one) for a sheet with the same headers;
3. synonyms (contract.py), case, spacing and punctuation insensitive.

Unmapped source headers are kept as extras.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kamdash.ingest.contract import COLUMN_SYNONYMS, TABLE_COLUMN_SYNONYMS, TABLES, normalize
from kamdash.ingest.staging import SourceSheet


@dataclass
class TableMapping:
    table: str
    sheet: SourceSheet
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> source header
    how: str = "synonyms"  # "synonyms" | "mapping file" | "remembered" | "user"

    @property
    def extras(self) -> list[str]:
        used = set(self.columns.values())
        return [h for h in self.sheet.headers if h not in used]

    @property
    def source(self) -> str:
        return self.sheet.sheet or self.sheet.file


@dataclass
class Mapping:
    tables: dict[str, TableMapping] = field(default_factory=dict)
    unmatched: list[SourceSheet] = field(default_factory=list)  # sheets that are no table
    notes: list[str] = field(default_factory=list)

    def to_toml(self) -> str:
        return mapping_to_toml(self)


def _source_names(s: SourceSheet) -> set[str]:
    names = {normalize(s.file), normalize(Path(s.file).stem)}
    if s.sheet:
        names.add(normalize(s.sheet))
    return names


def table_by_name(s: SourceSheet) -> str | None:
    """The canonical table a sheet/file name means ('Revenue', 'opps.csv', 'Key Accounts')."""
    names = [normalize(s.sheet)] if s.sheet else [normalize(Path(s.file).stem)]
    for n in names:
        for t in TABLES.values():
            if n in t.synonyms:
                return t.name
    for n in names:  # a synonym as a whole word inside the name: "crm accounts export"
        for t in TABLES.values():
            if any(re.search(rf"\b{re.escape(syn)}\b", n) for syn in t.synonyms):
                return t.name
    return None


def synonyms_for(table: str, column: str) -> tuple[str, ...]:
    own = TABLE_COLUMN_SYNONYMS.get(table, {}).get(column)
    base = (normalize(column),) + COLUMN_SYNONYMS.get(column, ())
    return tuple(dict.fromkeys((own or ()) + base))


def guess_columns(
    table: str, headers: list[str], fixed: dict[str, str] | None = None
) -> dict[str, str]:
    """Canonical column -> source header, by synonyms; each header used at most once.
    A header equal to the canonical name or an earlier synonym wins over later ones."""
    spec = TABLES[table]
    out = dict(fixed or {})
    used = set(out.values())
    norm = {h: normalize(h) for h in headers}
    for col in spec.columns:
        if col in out:
            continue
        for syn in synonyms_for(table, col):
            hit = next((h for h in headers if h not in used and norm[h] == syn), None)
            if hit is not None:
                out[col] = hit
                used.add(hit)
                break
    return out


def _coverage(table: str, cols: dict[str, str]) -> int:
    spec = TABLES[table]
    req = sum(c in cols for c in spec.required) + sum(
        any(c in cols for c in group) for group in spec.one_of
    )
    return req * 10 + len(cols)


def guess_table(s: SourceSheet, taken: set[str]) -> str | None:
    """Which table a sheet is by its headers alone: the one whose required columns it has."""
    best, best_score = None, 0
    for t, spec in TABLES.items():
        if t in taken:
            continue
        cols = guess_columns(t, s.headers)
        need = len(spec.required) + len(spec.one_of)
        if _coverage(t, cols) // 10 < need:
            continue
        score = _coverage(t, cols)
        if score > best_score:
            best, best_score = t, score
    return best


def header_key(headers: list[str]) -> str:
    """Key of a remembered mapping: the normalized headers, in order."""
    return hashlib.sha256("\x1f".join(normalize(h) for h in headers).encode()).hexdigest()[:16]


def read_mapping_file(path: Path) -> dict[str, dict[str, str]]:
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ValueError(f'mapping file "{path}": {e}') from e
    out: dict[str, dict[str, str]] = {}
    for table, section in raw.items():
        if table not in TABLES:
            raise ValueError(
                f'mapping file "{path}": [{table}] is not a table kamdash knows '
                f"(known: {', '.join(TABLES)})"
            )
        if not isinstance(section, dict):
            raise ValueError(f'mapping file "{path}": [{table}] must be a section')
        spec = TABLES[table]
        for k, v in section.items():
            if k != "source" and k not in spec.types:
                raise ValueError(
                    f'mapping file "{path}": [{table}] has "{k}", which is not a column of '
                    f"{table} (known: {', '.join(spec.columns)})"
                )
            if not isinstance(v, str):
                raise ValueError(f'mapping file "{path}": [{table}] {k} must be a text value')
        out[table] = dict(section)
    return out


def _matches_source(s: SourceSheet, source: str) -> bool:
    return normalize(source) in _source_names(s)


def build_mapping(
    sheets: list[SourceSheet],
    mapping_file: dict[str, dict[str, str]] | None = None,
    remembered: dict[str, dict] | None = None,
) -> Mapping:
    """Decide the table and column mapping of every sheet. See the module docstring."""
    m = Mapping()
    rest = list(sheets)
    # 1. mapping file sections
    for table, section in (mapping_file or {}).items():
        src = section.get("source")
        cands = [s for s in rest if src is None or _matches_source(s, src)]
        if src is None:
            cands = [s for s in cands if table_by_name(s) == table]
        if not cands:
            m.notes.append(f'mapping file: no sheet or file named "{src}" for [{table}]')
            continue
        s = cands[0]
        fixed = {k: v for k, v in section.items() if k != "source"}
        missing = [v for v in fixed.values() if v not in s.headers]
        if missing:
            m.notes.append(
                f"mapping file: [{table}] names column(s) {', '.join(repr(x) for x in missing)} "
                f"that {_loc(s)} does not have"
            )
            fixed = {k: v for k, v in fixed.items() if v in s.headers}
        m.tables[table] = TableMapping(
            table, s, guess_columns(table, s.headers, fixed), "mapping file"
        )
        rest.remove(s)
    # 2. remembered mappings, 3. names and synonyms
    for s in list(rest):
        mem = (remembered or {}).get(header_key(s.headers))
        if mem and mem["table"] not in m.tables:
            fixed = {k: v for k, v in mem["columns"].items() if v in s.headers}
            m.tables[mem["table"]] = TableMapping(mem["table"], s, fixed, "remembered")
            rest.remove(s)
    for s in list(rest):
        t = table_by_name(s)
        if t and t not in m.tables:
            m.tables[t] = TableMapping(t, s, guess_columns(t, s.headers))
            rest.remove(s)
    for s in list(rest):
        t = guess_table(s, set(m.tables))
        if t:
            m.tables[t] = TableMapping(t, s, guess_columns(t, s.headers))
            m.notes.append(f"{_loc(s)} read as the {t} table (recognised by its columns)")
            rest.remove(s)
    m.unmatched = rest
    for s in rest:
        m.notes.append(f"{_loc(s)} matches no kamdash table and was not loaded")
    return m


def _loc(s: SourceSheet) -> str:
    return f'file "{s.file}", sheet "{s.sheet}"' if s.sheet else f'file "{s.file}"'


def _toml_str(v: str) -> str:
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mapping_to_toml(m: Mapping) -> str:
    parts = []
    for t, tm in m.tables.items():
        lines = [f"[{t}]", f"source = {_toml_str(tm.source)}"]
        lines += [f"{k} = {_toml_str(v)}" for k, v in tm.columns.items()]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


# -- remembered mappings -----------------------------------------------------------------------
def remembered_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "mappings"


def load_remembered(data_dir: Path) -> dict[str, dict]:
    """header key -> {"table": ..., "columns": {...}} for every saved mapping."""
    out = {}
    d = remembered_dir(data_dir)
    if not d.is_dir():
        return out
    for f in sorted(d.glob("*.toml")):
        try:
            raw = tomllib.loads(f.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue
        for table, section in raw.items():
            if table in TABLES and isinstance(section, dict):
                cols = {k: v for k, v in section.items() if k in TABLES[table].types}
                out[f.stem] = {"table": table, "columns": cols}
    return out


def remember(data_dir: Path, tm: TableMapping) -> Path:
    """Save a confirmed table mapping, reused next time a sheet has the same headers."""
    d = remembered_dir(data_dir)
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{header_key(tm.sheet.headers)}.toml"
    lines = [f"[{tm.table}]", f"source = {_toml_str(tm.source)}"]
    lines += [f"{k} = {_toml_str(v)}" for k, v in tm.columns.items()]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
