"""Relationships: stakeholder coverage, multithreading and executive access per account.

Definitions (design brief, "Stakeholder coverage"; settings.active_strength_min, default 3):

- mapped = number of contacts (stakeholder rows) of the account.
- active = contacts with strength >= active_strength_min (a contact without a strength is not
  active).
- coverage = active / mapped (NaN when nothing is mapped).
- multithread depth = active; single-threaded = active <= 1 (an account with no contact mapped
  is single-threaded too).
- executive access = at least one contact with level 'executive' and strength >=
  active_strength_min (the brief's "strength >= 3" with the default setting).
- champions / detractors = contacts whose sentiment is 'champion' / 'detractor'.
- days since last contact = days from the latest last_contact to the as-of date
  (`periods.as_of`: the user-set as-of date, else the latest revenue date). A contact dated
  after it is shown as written and counts 0 days; it never moves the as-of date. None without
  an as-of date (no revenue and none set).
- level = the contact's band, executive / manager / user (`level_sql`, the one rule): the
  level column when it names one (CRM seniority words such as "C-Level", "VP", "Director",
  "Non-Manager" included), else the words of the job title ("Chief ...", "VP", "Managing
  Director" are executive; "Director", "Head of", "Manager", "Lead" manager; any other title
  user), else not recorded.

The relationship map of one account (`relationship_map`): its contacts with their level,
influence, sentiment and strength; who reports to whom (`reports_to`, resolved within the
account by contact ID when the sheet has one, else by name, case and spacing ignored; an entry
matching no contact, or several, is ignored and counted in a note); and the gaps, in plain
sentences without a contact's name:
- executive: no executive access (no executive contact with strength >= active_strength_min),
  or access only through detractors (every such contact's sentiment is 'detractor');
- buying roles: each role of settings.buying_roles ("A / B": either word) with no active
  contact whose role is one of its words (case and spacing ignored);
- levels: manager and user levels with no active contact (executive is the executive gap);
- stale: contacts whose last contact is more than settings.contact_stale_days before the
  as-of date (`AsOf.days_since`), and contacts without a last-contact date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from kamdash.core.db import columns, frame
from kamdash.core.missing import Missing, require
from kamdash.core.periods import as_of
from kamdash.core.settings import Settings

LEVELS = ("executive", "manager", "user")  # the map's bands, top to bottom
SENTIMENTS = ("champion", "supporter", "neutral", "detractor")

# The level rule (RE2 on lower-cased text), checked in this order: a level column's words, then
# a job title's. "Non-manager" is a user before "manag" reads as a manager.
_LEVEL_WORDS = (
    ("user", r"^(non[- ]?manag|individual|staff|user|end[- ]?user|employee|operational|junior)"),
    (
        "executive",
        r"(exec|c[- ]?level|c[- ]?suite|^cxo|^vp|vp[- ]level|vice[- ]pres|president|"
        r"chief|board|senior leader)",
    ),
    ("manager", r"(manag|director|head|lead|supervis|middle)"),
)
_TITLE_WORDS = (
    (
        "executive",
        r"\b(chief|ceo|cfo|cio|coo|cto|cmo|cpo|cdo|cro|ciso|president|vp|svp|evp|"
        r"founder|co-founder|managing director|general manager|chair|chairman|chairwoman|board)\b",
    ),
    ("manager", r"\b(director|head|manager|lead|supervisor)\b"),
)


def level_sql(level: str = "level", title: str = "title") -> str:
    """SQL: a contact's level band ('executive', 'manager', 'user' or NULL) from its level and
    title columns: the one level rule of every relationship figure."""
    lv, ti = f"lower(trim({level}))", f"lower(trim({title}))"
    whens = [f"WHEN regexp_matches({lv}, '{rx}') THEN '{band}'" for band, rx in _LEVEL_WORDS]
    whens += [f"WHEN regexp_matches({ti}, '{rx}') THEN '{band}'" for band, rx in _TITLE_WORDS]
    whens.append(f"WHEN {ti} <> '' THEN 'user'")
    return "CASE " + " ".join(whens) + " END"


def _days(days: pd.Series) -> pd.Series:
    """Days since a contact, 0 for a contact dated after the as-of date."""
    return days.astype("Int64").clip(lower=0)


def relationships(con: duckdb.DuckDBPyConnection, settings: Settings) -> pd.DataFrame | Missing:
    """One row per account of `accounts`: account_id, account_name, owner, tier, mapped, active,
    coverage, multithread_depth, single_threaded, executive_access, champions, detractors,
    last_contact, days_since_contact. Sorted by account_id."""
    miss = require(con, "stakeholders", "stakeholder coverage") or require(
        con, "accounts", "stakeholder coverage"
    )
    if miss:
        return miss
    at = as_of(con, settings).date
    # coverage = active / mapped, active = contacts with strength >= active_strength_min;
    # executive access = any executive-level contact (level_sql) with strength >=
    # active_strength_min
    sql = """
        WITH s AS (
            SELECT account_id, count(*) AS mapped,
                   count(*) FILTER (WHERE strength >= ?) AS active,
                   bool_or({level} = 'executive' AND strength >= ?) AS exec_access,
                   count(*) FILTER (WHERE lower(trim(sentiment)) = 'champion') AS champions,
                   count(*) FILTER (WHERE lower(trim(sentiment)) = 'detractor') AS detractors,
                   max(last_contact) AS last_contact
            FROM stakeholders GROUP BY account_id
        )
        SELECT a.account_id, a.account_name, a.owner, a.tier,
               coalesce(s.mapped, 0) AS mapped, coalesce(s.active, 0) AS active,
               s.active / nullif(s.mapped, 0) AS coverage,
               coalesce(s.active, 0) AS multithread_depth,
               coalesce(s.active, 0) <= 1 AS single_threaded,
               coalesce(s.exec_access, false) AS executive_access,
               coalesce(s.champions, 0) AS champions, coalesce(s.detractors, 0) AS detractors,
               s.last_contact, date_diff('day', s.last_contact, ?::DATE) AS days_since_contact
        FROM accounts a LEFT JOIN s USING (account_id)
        ORDER BY a.account_id
    """.replace("{level}", level_sql())
    t = settings.active_strength_min
    df = frame(con, sql, [t, t, at])
    df["days_since_contact"] = _days(df["days_since_contact"])
    for c in ("mapped", "active", "multithread_depth", "champions", "detractors"):
        df[c] = df[c].astype(int)
    df["coverage"] = df["coverage"].astype(float)
    return df


def contacts(
    con: duckdb.DuckDBPyConnection, settings: Settings, account_id: str
) -> pd.DataFrame | Missing:
    """One account's contacts for the QBR page and the map: name, title, role, level (the band
    of `level_sql`, None when not recorded), influence, sentiment, strength, active,
    last_contact, days_since_contact, stale (not touched for more than contact_stale_days),
    contact_id, reports_to (as written); executives first, then by influence and strength desc.
    """
    miss = require(con, "stakeholders", "stakeholder map")
    if miss:
        return miss
    at = as_of(con, settings).date
    have = set(columns(con, "stakeholders"))  # a snapshot published before reports_to lacks it
    extra = ", ".join(
        f"{c}::VARCHAR AS {c}" if c in have else f"NULL::VARCHAR AS {c}"
        for c in ("contact_id", "reports_to")
    )
    # active = strength >= active_strength_min; days since contact = as_of - last_contact
    sql = f"""
        WITH c AS (SELECT *, {level_sql()} AS band FROM stakeholders WHERE account_id = ?)
        SELECT name, title, role, band AS level, influence,
               lower(trim(sentiment)) AS sentiment, strength,
               coalesce(strength >= ?, false) AS active, last_contact,
               date_diff('day', last_contact, ?::DATE) AS days_since_contact, {extra}
        FROM c
        ORDER BY CASE band WHEN 'executive' THEN 0 WHEN 'manager' THEN 1
                 WHEN 'user' THEN 2 ELSE 3 END,
                 influence DESC NULLS LAST, strength DESC NULLS LAST, name
    """
    df = frame(con, sql, [account_id, settings.active_strength_min, at])
    df["days_since_contact"] = _days(df["days_since_contact"])
    df["stale"] = (df["days_since_contact"] > settings.contact_stale_days).fillna(False)
    df["stale"] = df["stale"].astype(bool)
    return df


# ---------------------------------------------------------------------------------------------
# The relationship map of one account
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """One gap of an account's relationships: `kind` is 'none' (no contact mapped),
    'executive', 'role', 'level' or 'stale'; `text` a plain sentence naming no contact."""

    kind: str
    text: str


@dataclass(eq=False)
class RelationshipMap:
    """One account's relationship map, as plain data.

    contacts: `contacts()` rows (executives first), plus `boss`: the row position (0-based)
        of the contact it reports to, -1 when none is given or it resolves to no contact.
    links: (boss row, report row) pairs, one per resolved reports-to.
    gaps: what is missing, most important first; notes: what the data leaves unsaid (reports-to
        entries matching no contact, roles or levels not recorded).
    no_active_levels: the levels (of LEVELS) with no active contact, for the map's bands.
    """

    account_id: str
    contacts: pd.DataFrame
    links: list[tuple[int, int]]
    gaps: list[Gap]
    notes: list[str] = field(default_factory=list)
    no_active_levels: list[str] = field(default_factory=list)
    active_strength_min: float = 3.0
    stale_days: int = 90

    def __eq__(self, other) -> bool:
        if not isinstance(other, RelationshipMap):
            return NotImplemented
        return self.contacts.equals(other.contacts) and all(
            getattr(self, k) == getattr(other, k)
            for k in self.__dataclass_fields__
            if k != "contacts"
        )

    __hash__ = None  # mutable, like a DataFrame


def _norm(x) -> str:
    return " ".join(str(x).split()).casefold()


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def resolve_reports_to(cts: pd.DataFrame) -> tuple[list[int], int, int]:
    """(boss row of each contact or -1, entries matching no contact, entries matching several).

    An entry is the contact's `reports_to` as written; it is looked up among the same rows
    (one account) by `contact_id` first, then by name, case and spacing ignored. A contact
    never reports to itself (such an entry matches no contact)."""
    by_id: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    ids = cts["contact_id"] if "contact_id" in cts else [None] * len(cts)
    for k, (cid, name) in enumerate(zip(ids, cts["name"], strict=True)):
        if isinstance(cid, str) and cid.strip():
            by_id.setdefault(cid.strip(), []).append(k)
        if isinstance(name, str) and name.strip():
            by_name.setdefault(_norm(name), []).append(k)
    boss, unmatched, ambiguous = [-1] * len(cts), 0, 0
    entries = cts["reports_to"] if "reports_to" in cts else [None] * len(cts)
    for k, r in enumerate(entries):
        if not isinstance(r, str) or not r.strip():
            continue
        hits = by_id.get(r.strip()) or by_name.get(_norm(r)) or []
        hits = [h for h in hits if h != k]
        if len(hits) == 1:
            boss[k] = hits[0]
        elif hits:
            ambiguous += 1
        else:
            unmatched += 1
    return boss, unmatched, ambiguous


def _role_words(role: str) -> list[str]:
    """'Technical Evaluator / Technical Buyer' -> ['technical evaluator', 'technical buyer']."""
    return [_norm(w) for w in str(role).split("/") if w.strip()]


def _role_gap(cts: pd.DataFrame, roles: Sequence[str], notes: list[str]) -> Gap | None:
    if not roles:
        return None
    has_role = cts["role"].map(lambda r: isinstance(r, str) and bool(r.strip()))
    if not has_role.any():
        notes.append("No buying role recorded for this account's contacts: role gaps not shown.")
        return None
    role = cts["role"].map(lambda r: _norm(r) if isinstance(r, str) else "")
    missing = []
    for wanted in roles:
        words = _role_words(wanted)
        if not words:
            continue
        mapped = role.isin(words)
        if not (mapped & cts["active"]).any():
            n = int(mapped.sum())
            how = "no contact" if n == 0 else f"{_plural(n, 'contact')}, none active"
            missing.append(f"{str(wanted).split('/')[0].strip()} ({how})")
    if not missing:
        return None
    return Gap("role", "Buying roles with no active relationship: " + ", ".join(missing) + ".")


def _level_gap(cts: pd.DataFrame, notes: list[str]) -> tuple[Gap | None, list[str]]:
    if cts["level"].isna().all():
        notes.append(
            "No level or job title recorded for this account's contacts: level gaps not shown."
        )
        return None, []
    empty = [lv for lv in LEVELS if not (cts["active"] & (cts["level"] == lv)).any()]
    parts = []
    for lv in empty:
        if lv == "executive":  # said by the executive gap
            continue
        n = int((cts["level"] == lv).sum())
        parts.append(
            f"{lv} ({'no contact' if n == 0 else _plural(n, 'contact') + ', none active'})"
        )
    gap = Gap("level", "Levels with no active relationship: " + ", ".join(parts) + ".")
    return (gap if parts else None), empty


def _executive_gap(cts: pd.DataFrame, strength_min: float) -> Gap | None:
    execs = cts[cts["level"] == "executive"]
    active = execs[execs["active"]]
    if execs.empty:
        return Gap("executive", "No executive access: no executive contact mapped.")
    if active.empty:
        return Gap(
            "executive",
            f"No executive access: {_plural(len(execs), 'executive contact')}, "
            f"{'none' if len(execs) > 1 else 'not'} at relationship strength "
            f"{strength_min:g} or more.",
        )
    if (active["sentiment"] == "detractor").all():
        if len(execs) == 1:
            why = "the only executive contact is a detractor."
        elif len(active) == 1:
            why = "the one active executive contact is a detractor."
        else:
            why = f"all {len(active)} active executive contacts are detractors."
        return Gap("executive", "Executive access only through a detractor: " + why)
    return None


def _stale_gap(cts: pd.DataFrame, days: int) -> list[Gap]:
    out = []
    stale = cts[cts["stale"]]
    if len(stale):
        act = int(stale["active"].sum())
        tail = f", {act} of them an active relationship" if act else ""
        out.append(
            Gap(
                "stale",
                f"{len(stale)} of {_plural(len(cts), 'contact')} not touched for more than "
                f"{days} days{tail}.",
            )
        )
    undated = int(cts["last_contact"].isna().sum())
    if undated:
        has = "has" if undated == 1 else "have"
        out.append(Gap("stale", f"{_plural(undated, 'contact')} {has} no last-contact date."))
    return out


def relationship_map(
    con: duckdb.DuckDBPyConnection, settings: Settings, account_id: str
) -> RelationshipMap | Missing:
    """The relationship map of one account: its contacts, who reports to whom, and the gaps
    (module docstring). Missing without a stakeholder sheet."""
    miss = require(con, "stakeholders", "relationship map")
    if miss:
        return miss
    cts = contacts(con, settings, account_id)
    if isinstance(cts, Missing):
        return cts
    cts = cts.reset_index(drop=True)
    boss, unmatched, ambiguous = resolve_reports_to(cts)
    cts["boss"] = boss
    links = [(b, k) for k, b in enumerate(boss) if b >= 0]
    out = RelationshipMap(
        account_id,
        cts,
        links,
        [],
        active_strength_min=settings.active_strength_min,
        stale_days=settings.contact_stale_days,
    )
    if unmatched:
        out.notes.append(
            f"{_plural(unmatched, 'reports-to entry', 'reports-to entries')} "
            f"match{'es' if unmatched == 1 else ''} no contact of this account: no line drawn."
        )
    if ambiguous:
        out.notes.append(
            f"{_plural(ambiguous, 'reports-to entry', 'reports-to entries')} "
            f"match{'es' if ambiguous == 1 else ''} several contacts of this account: "
            "no line drawn."
        )
    if cts.empty:
        out.gaps.append(
            Gap(
                "none",
                "No contact mapped for this account: every buying role and level is a blind spot.",
            )
        )
        out.no_active_levels = list(LEVELS)
        return out
    level_gap, out.no_active_levels = _level_gap(cts, out.notes)
    gaps = [
        _executive_gap(cts, settings.active_strength_min),
        _role_gap(cts, settings.buying_roles, out.notes),
        level_gap,
        *_stale_gap(cts, settings.contact_stale_days),
    ]
    out.gaps = [g for g in gaps if g is not None]
    return out
