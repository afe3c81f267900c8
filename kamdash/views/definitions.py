"""What the Definitions page shows about the data, as plain data: the settings in force and
where the published snapshot came from (files, tables, load warnings, precomputed figures)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from kamdash.core.db import has_table, rows
from kamdash.core.settings import Settings
from kamdash.ingest.contract import TABLES
from kamdash.metrics import precompute
from kamdash.metrics.definitions import DEFINITIONS


@dataclass(frozen=True)
class Shown:
    name: str
    text: str  # plain text, as the metric defines it
    settings: str  # the settings it uses, with their values in force ("" when none)


def definitions(settings: Settings) -> list[Shown]:
    """Every figure's definition (`metrics.definitions`), with the settings in force."""
    values = settings.to_dict()
    return [
        Shown(d.name, d.text, "; ".join(f"{k} = {_setting_text(values[k])}" for k in d.settings))
        for d in DEFINITIONS
    ]


def settings_table(settings: Settings) -> pd.DataFrame:
    """Setting, Value: every setting in force as one line of text."""
    values = settings.to_dict()
    return pd.DataFrame(
        {
            "Setting": list(values),
            "Value": [_setting_text(v) for v in values.values()],
        }
    )


def _setting_text(x) -> str:
    if isinstance(x, dict):
        return ", ".join(
            f"{k}: {v:g}" if isinstance(v, float) else f"{k}: {v}" for k, v in x.items()
        )
    if isinstance(x, list | tuple):  # buying_roles
        return "; ".join(str(v) for v in x)
    return "(extract's latest date)" if x is None else str(x)


@dataclass(frozen=True)
class Snapshot:
    published: str  # UTC, minutes
    source: str | None  # where revenue came from: "revenue", "opportunities" or None
    files: list[tuple[str, float]]  # (file name, MB)
    uploaded_by: str | None
    tables: pd.DataFrame  # Table, Rows, From (one row per canonical table)
    absent: list[str]  # canonical tables the extract lacks
    problems: list[str]  # load warnings, as written
    precomputed: str  # one sentence (`precompute.status`)


def snapshot(con: duckdb.DuckDBPyConnection, settings: Settings, manifest: dict) -> Snapshot:
    """The published snapshot behind unfiltered cursor `con`, with its manifest."""
    meta = dict(rows(con, "SELECT key, value FROM _meta")) if has_table(con, "_meta") else {}
    source = meta.get("revenue_source")
    counts, tables = manifest.get("row_counts", {}), manifest.get("tables", {})
    won = "won opportunities" if source == "opportunities" else "–"
    return Snapshot(
        published=(manifest.get("created_at") or "–").replace("T", " ")[:16],
        source=source,
        files=[(x["name"], x.get("bytes", 0) / 1e6) for x in manifest.get("files", [])],
        uploaded_by=manifest.get("uploaded_by"),
        tables=pd.DataFrame(
            {
                "Table": list(TABLES),
                "Rows": [
                    f"{counts[t]:,}" if t in counts else "not in this extract" for t in TABLES
                ],
                "From": [
                    f"{tables[t].get('file', '')} · {tables[t].get('source', '')}"
                    if t in tables
                    else (won if t == "revenue" else "–")
                    for t in TABLES
                ],
            }
        ),
        absent=[t for t in TABLES if t not in counts and not (t == "revenue" and source)],
        problems=[
            str(p.get("message", "")) for p in (manifest.get("report") or {}).get("problems", [])
        ],
        precomputed=precompute.status(con, settings),
    )
