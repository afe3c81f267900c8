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
from dataclasses import dataclass, field
from pathlib import Path

from kamdash.core.settings import read_toml
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
    # confirmed merges of names written differently: kind ("product", "account_name") ->
    # {variant as written: the name it is read as} (the mapping file's [merge.<kind>] tables)
    merges: dict[str, dict[str, str]] = field(default_factory=dict)
    # near-duplicate names found while validating (`names.NearDuplicate`), for the Upload page
    suggested: list = field(default_factory=list)

    def to_toml(self) -> str:
        return mapping_to_toml(self)


def _source_names(s: SourceSheet) -> set[str]:
    names = {normalize(s.file), normalize(Path(s.file).stem)}
    if s.sheet:
        names.add(normalize(s.sheet))
    return names


# -- headers -----------------------------------------------------------------------------------
# Dynamics 365's hidden "(Do Not Modify) <Entity>" column holds the record's GUID: it is the
# entity's ID ("(Do Not Modify) Opportunity" is the opportunity ID); its other "(Do Not Modify)"
# columns are bookkeeping and never mapped.
_NEVER = re.compile(r"do\s+not\s+modify", re.I)
_RECORD_ID = re.compile(r"^\s*\(do\s+not\s+modify\)\s*([a-z ]+?)\s*$", re.I)
# A vendor's prefix on every header: Pipedrive's "Deal - Title", "Organization - Name"
_PREFIX = re.compile(
    r"^\s*(deal|opportunity|organi[sz]ation|person|account|product|lead)\s+-\s+", re.I
)
# A trailing note in brackets: "Amount (USD)", "Probability (%)", "Associated Company (Primary)"
_NOTE = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*$")


def header_keys(header: str) -> tuple[str, ...]:
    """The keys a header is matched by, strongest first: as written, then without a vendor's
    prefix or a trailing bracketed note. None for a column never to map."""
    if _NEVER.search(header):
        m = _RECORD_ID.match(header)
        entity = m.group(1).lower() if m else ""
        ok = entity and entity not in ("row checksum", "modified on")
        return (normalize(f"{entity} id"),) if ok else ()
    bare = _PREFIX.sub("", header)
    keys = [normalize(header), normalize(bare), normalize(_NOTE.sub("", bare))]
    return tuple(k for k in dict.fromkeys(keys) if k)


def _index(headers: list[str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """key -> headers (in order) by their key as written, and by their shortened keys."""
    exact: dict[str, list[str]] = {}
    loose: dict[str, list[str]] = {}
    for h in headers:
        keys = header_keys(h)
        if keys:
            exact.setdefault(keys[0], []).append(h)
        for k in keys[1:]:
            loose.setdefault(k, []).append(h)
    return exact, loose


def table_by_name(s: SourceSheet) -> str | None:
    """The canonical table a sheet/file name means ('Revenue', 'opps.csv', 'Key Accounts')."""
    best = max(TABLES, key=lambda t: _name_score(s, t))
    return best if _name_score(s, best) else None


def _name_score(s: SourceSheet, table: str) -> int:
    """100 when the sheet (or file) is named as the table; 50 + the synonym's length when a
    synonym is a whole word of its name (the longer, the more specific: "sales pipeline" is
    a pipeline more than sales); else 0."""
    n = normalize(s.sheet) if s.sheet else normalize(Path(s.file).stem)
    best = 0
    for syn in TABLES[table].synonyms:
        if n == syn:
            return 100
        if re.search(rf"\b{re.escape(syn)}\b", n):
            best = max(best, 50 + len(syn))
    return best


def synonyms_for(table: str, column: str) -> tuple[str, ...]:
    own = TABLE_COLUMN_SYNONYMS.get(table, {}).get(column)
    base = (normalize(column),) + COLUMN_SYNONYMS.get(column, ())
    return tuple(dict.fromkeys((own or ()) + base))


def guess_columns(
    table: str, headers: list[str], fixed: dict[str, str] | None = None
) -> dict[str, str]:
    """Canonical column -> source header, by synonyms; each header used at most once.
    Headers as written are matched first (a header equal to the canonical name or an earlier
    synonym wins over later ones), then headers without a vendor's prefix or bracketed note."""
    spec = TABLES[table]
    out = dict(fixed or {})
    used = set(out.values())
    for index in _index(headers):
        for col in spec.columns:
            if col in out:
                continue
            for syn in synonyms_for(table, col):
                hit = next((h for h in index.get(syn, ()) if h not in used), None)
                if hit is not None:
                    out[col] = hit
                    used.add(hit)
                    break
    return _name_as_id(table, out)


def _name_as_id(table: str, cols: dict[str, str]) -> dict[str, str]:
    """An accounts table named but not identified ("Account Name" alone, or a bare "Account"
    column of names): the name serves as the ID too, so the one column fills both. (Deal and
    revenue tables without an ID are handled by validation, which says so in the report.)"""
    if table != "accounts":
        return cols
    if "account_id" not in cols and "account_name" in cols:
        cols["account_id"] = cols["account_name"]
    elif "account_name" not in cols and "account_id" in cols:
        keys = header_keys(cols["account_id"])
        names = set(synonyms_for(table, "account_name")) | {"account"}
        if names & set(keys):
            cols["account_name"] = cols["account_id"]
    return cols


# Tables of deal or revenue lines: without an account ID column, the account name serves as
# the ID (validation derives the accounts from it).
DEAL_TABLES = ("opportunities", "revenue")


def _complete(table: str, cols: dict[str, str]) -> bool:
    spec = TABLES[table]
    if table in DEAL_TABLES and "account_id" not in cols and "account_name" in cols:
        cols = {**cols, "account_id": cols["account_name"]}  # the name serves as the ID
    return all(c in cols for c in spec.required) and all(
        any(c in cols for c in g) for g in spec.one_of
    )


def _content_score(table: str, cols: dict[str, str], deals: bool) -> int:
    """How much the headers say the sheet is `table`: 40 + its mapped columns when it has every
    required one, else 0. A stage (or a status with close dates) means deals, never revenue
    lines nor an accounts list: -80 to both. A team needs more than an owner column (every deal has one)."""
    if table in ("revenue", "accounts") and deals:
        return -80
    if not _complete(table, cols):
        return 0
    if table == "team" and not {"manager", "team"} & set(cols):
        return 0
    return 40 + len(set(cols.values()))


def _is_deals(headers: list[str]) -> bool:
    cols = guess_columns("opportunities", headers)
    return "stage" in cols or (
        "status" in cols and bool({"close_date", "actual_close_date"} & set(cols))
    )


def table_scores(s: SourceSheet, taken: set[str] = frozenset()) -> dict[str, int]:
    """Each table this sheet could be, with its score (name + content; see `_name_score` and
    `_content_score`): the tables it is named as, and those whose required columns it has."""
    deals = _is_deals(s.headers)
    out = {}
    for t in TABLES:
        if t in taken:
            continue
        named = _name_score(s, t)
        content = _content_score(t, guess_columns(t, s.headers), deals)
        if named or content > 0:
            out[t] = named + content
    return out


def guess_table(s: SourceSheet, taken: set[str]) -> str | None:
    """Which table a sheet is by its headers alone: the one whose required columns it has."""
    deals = _is_deals(s.headers)
    scores = {
        t: _content_score(t, guess_columns(t, s.headers), deals) for t in TABLES if t not in taken
    }
    best = max(scores, key=lambda t: scores[t], default=None)
    return best if best is not None and scores[best] > 0 else None


def header_key(headers: list[str]) -> str:
    """Key of a remembered mapping: the normalized headers, in order."""
    return hashlib.sha256("\x1f".join(normalize(h) for h in headers).encode()).hexdigest()[:16]


# a mapping file: [table] sections of "column" = "header", and [merge.<kind>] tables
MAPPING_DEPTH = 3
MAPPING_TODO = (
    'Fix it (sections like [revenue] with lines like amount = "Net Amount"; see the README), '
    "or load without it."
)


def read_mapping_file(path: Path) -> dict[str, dict[str, str]]:
    """The sections of a TOML mapping file; a ValueError naming the file, what is wrong and
    what to do (unreadable, not TOML, nested too deeply, unknown tables or columns...)."""
    raw = read_toml(Path(path), "mapping", MAPPING_DEPTH, MAPPING_TODO)
    out: dict[str, dict[str, str]] = {}
    for table, section in raw.items():
        if table == "merge":
            out["merge"] = _read_merges(path, section)
            continue
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


# names that can be merged ([merge.<kind>] in a mapping file), and what they name
MERGE_KINDS = {"product": "product", "account_name": "account"}


def _read_merges(path: Path, section: object) -> dict[str, dict[str, str]]:
    """[merge.product] "GTXPro" = "GTX Pro": each variant as written -> the name it is read as."""
    if not isinstance(section, dict):
        raise ValueError(f'mapping file "{path}": [merge] must hold tables like [merge.product]')
    for kind, pairs in section.items():
        if kind not in MERGE_KINDS:
            raise ValueError(
                f'mapping file "{path}": [merge.{kind}] is not a name kamdash merges '
                f"(known: {', '.join(f'[merge.{k}]' for k in MERGE_KINDS)})"
            )
        if not isinstance(pairs, dict) or not all(isinstance(v, str) for v in pairs.values()):
            raise ValueError(
                f'mapping file "{path}": [merge.{kind}] must list "variant" = "name" lines'
            )
    return {k: dict(v) for k, v in section.items()}


def _matches_source(s: SourceSheet, source: str) -> bool:
    return normalize(source) in _source_names(s)


def build_mapping(
    sheets: list[SourceSheet],
    mapping_file: dict[str, dict[str, str]] | None = None,
    remembered: dict[str, dict] | None = None,
) -> Mapping:
    """Decide the table and column mapping of every sheet. See the module docstring."""
    m = Mapping(merges=dict((mapping_file or {}).get("merge", {})))
    rest = list(sheets)
    # 1. mapping file sections
    for table, section in (mapping_file or {}).items():
        if table == "merge":
            continue
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
    _by_score(m, rest)
    m.unmatched = rest
    for s in rest:
        m.notes.append(f"{_loc(s)} matches no kamdash table and was not loaded")
    return m


def _by_score(m: Mapping, rest: list[SourceSheet]) -> None:
    """Sheets to tables by name and content (`table_scores`), best pairs first, each table and
    sheet used once; removes the sheets mapped from `rest`."""
    pairs = []
    for i, s in enumerate(rest):
        for t, score in table_scores(s, set(m.tables)).items():
            pairs.append((-score, i, list(TABLES).index(t), t, s))
    done: set[int] = set()
    for _, i, _, t, s in sorted(pairs, key=lambda p: p[:3]):
        if i in done or t in m.tables:
            continue
        done.add(i)
        m.tables[t] = TableMapping(t, s, guess_columns(t, s.headers))
        if not _name_score(s, t):
            m.notes.append(f"{_loc(s)} read as the {t} table (recognised by its columns)")
    rest[:] = [s for i, s in enumerate(rest) if i not in done]


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
        try:  # a damaged remembered mapping is ignored (the columns are matched by name)
            raw = read_toml(f, "remembered mapping", MAPPING_DEPTH, "")
        except ValueError:
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
