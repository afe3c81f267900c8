"""Hide names: neutral, stable aliases for account and contact names (client-facing use).

When a KAM screen-shares a QBR or sends the deck afterwards, names of accounts and of the
customer's people must not show. `Aliases` replaces them everywhere they can appear:

- account names -> "Account K7", contact (stakeholder) names -> "Contact C12";
- in DataFrames: `account_name` (by `account_id`), `parent_name` (by `parent_id`), `name` /
  `contact` columns, any column the caller names, and by default every other text column
  (notes, reasons, titles, opportunity names) through `text()`;
- in free text: every occurrence of a known name, case-insensitive, on word boundaries; an
  account's name also without its legal suffix ("Glenmore Retail LLC" -> "Glenmore Retail"),
  e-mail addresses (always masked: they usually spell a person and a company), and web
  domains spelling an account's name ("www.glenmoreretail.com").

Stability: an alias is derived from HMAC-SHA256(salt, kind + id), so the same salt and the
same account give the same alias (one salt per session: `new_salt()`); another salt gives other
aliases, so aliases cannot be linked across sessions. Codes are short; two ids whose codes
collide are told apart by probing further codes, in the order of their digests (so the result
depends only on the salt and the set of names registered, not on the order of registration).

KAM (owner) names are our own people and stay visible unless `hide_owners=True`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence

import duckdb
import pandas as pd

from kamdash.core.db import has_table, rows

# Letters without I/O (read as 1/0) for the code's first character.
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_PREFIX = {"account": "Account", "contact": "Contact", "owner": "KAM"}
# Trailing words that are legal forms / generic group words, stripped to get the name
# people actually write ("Whitecliff Shipping" for "Whitecliff Shipping Ltd").
_SUFFIXES = {
    "llc",
    "llp",
    "lp",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "ltd",
    "limited",
    "ltda",
    "pty",
    "pte",
    "plc",
    "gmbh",
    "ag",
    "kg",
    "sa",
    "sas",
    "sarl",
    "spa",
    "srl",
    "nv",
    "bv",
    "ab",
    "as",
    "asa",
    "oy",
    "kk",
    "cv",
    "de",
    "group",
    "holding",
    "holdings",
}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_DOMAIN = re.compile(r"\b(?:https?://)?(?:[\w-]+\.)+[a-z]{2,}\b(?:/\S*)?", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)
EMAIL_HIDDEN = "(e-mail hidden)"
WEBSITE_HIDDEN = "(website hidden)"
# DataFrame columns holding names, by kind.
ACCOUNT_NAME_COLUMNS = ("account_name", "account", "customer", "parent_name", "parent")
CONTACT_NAME_COLUMNS = ("name", "contact", "contact_name", "stakeholder", "stakeholder_name")
OWNER_COLUMNS = ("owner", "kam", "manager")


def new_salt() -> str:
    """A fresh random salt (one per session)."""
    return secrets.token_hex(8)


def _norm(name) -> str:
    return " ".join(str(name).split()).casefold()


def _stripped(name: str) -> str | None:
    """The name without trailing legal-form words, or None when nothing distinctive is left."""
    words = str(name).replace(",", " ").split()
    changed = False
    while len(words) > 1 and re.sub(r"[.\s]", "", words[-1]).casefold() in _SUFFIXES:
        words.pop()
        changed = True
    # "Pty Ltd", "S. A." split oddly: also drop one-letter leftovers like "S." "A."
    while len(words) > 1 and len(words[-1].strip(".")) <= 1:
        words.pop()
        changed = True
    out = " ".join(words)
    if not changed or len(out) < 5:
        return None
    return out


def _compact(name: str) -> str | None:
    """'Glenmore Retail LLC' -> 'glenmoreretail' (how a web domain spells it)."""
    base = _stripped(name) or str(name)
    c = re.sub(r"[^0-9a-z]", "", base.casefold())
    return c if len(c) >= 6 else None


class Aliases:
    """Stable aliases of account, contact (and optionally owner) names for one session.

    `enabled=False` gives a pass-through object with the same methods (names unchanged), so
    callers can always go through one object.
    """

    def __init__(
        self,
        salt: str | None = None,
        accounts: Iterable[tuple[str, str | None]] | Mapping[str, str | None] = (),
        contacts: Iterable[str] = (),
        owners: Iterable[str] = (),
        *,
        enabled: bool = True,
        hide_owners: bool = False,
    ):
        self.salt = salt if salt is not None else new_salt()
        self.enabled = enabled
        self.hide_owners = hide_owners
        self._codes: dict[str, dict[str, str]] = {k: {} for k in _PREFIX}  # kind -> key -> alias
        self._taken: dict[str, set[str]] = {k: set() for k in _PREFIX}
        self._account_names: dict[str, str] = {}  # account_id -> real name
        # free-text index: normalised name -> alias; first word -> candidate names
        self._phrases: dict[str, str] = {}
        self._first: dict[str, list[str]] = {}
        self._compacts: dict[str, str] = {}
        items = accounts.items() if isinstance(accounts, Mapping) else accounts
        self.register_accounts(items)
        self.register_contacts(contacts)
        if hide_owners:
            self.register_owners(owners)

    # ---- construction ----------------------------------------------------------------------
    @classmethod
    def from_connection(
        cls,
        con: duckdb.DuckDBPyConnection,
        salt: str | None = None,
        *,
        enabled: bool = True,
        hide_owners: bool = False,
    ) -> Aliases:
        """Aliases for every account and contact of a snapshot (use an unfiltered cursor so an
        account keeps its alias whatever the filters)."""
        accounts, contacts, owners = [], [], []
        if has_table(con, "accounts"):
            accounts = rows(
                con,
                "SELECT account_id, min(account_name) FROM accounts "
                "WHERE account_id IS NOT NULL GROUP BY account_id",
            )
            owners = [r[0] for r in rows(con, "SELECT DISTINCT owner FROM accounts") if r[0]]
        if has_table(con, "stakeholders"):
            contacts = [r[0] for r in rows(con, "SELECT DISTINCT name FROM stakeholders") if r[0]]
        if has_table(con, "team"):
            owners += [r[0] for r in rows(con, "SELECT DISTINCT owner FROM team") if r[0]]
            owners += [r[0] for r in rows(con, "SELECT DISTINCT manager FROM team") if r[0]]
        return cls(
            salt,
            accounts,
            contacts,
            owners,
            enabled=enabled,
            hide_owners=hide_owners,
        )

    def _digest(self, kind: str, key: str, n: int = 0) -> bytes:
        msg = f"{kind}\x1f{key}\x1f{n}".encode()
        return hmac.new(str(self.salt).encode(), msg, hashlib.sha256).digest()

    def _code(self, kind: str, key: str) -> str:
        """The alias of (kind, key): register it (probing past collisions) when new."""
        codes = self._codes[kind]
        if key in codes:
            return codes[key]
        n = 0
        while True:
            d = self._digest(kind, key, n)
            v = int.from_bytes(d[:8], "big")
            width = 99 if len(self._taken[kind]) < 1000 else 9999  # 2,376 codes, then more
            code = f"{_LETTERS[v % len(_LETTERS)]}{(v // len(_LETTERS)) % width + 1}"
            if code not in self._taken[kind]:
                break
            n += 1
        alias = f"{_PREFIX[kind]} {code}"
        self._taken[kind].add(code)
        codes[key] = alias
        return alias

    def _register(self, kind: str, keys: Iterable[str]) -> None:
        new = sorted(
            {k for k in keys if k not in self._codes[kind]},
            key=lambda k: (
                self._digest(kind, k),
                k,
            ),
        )
        for k in new:
            self._code(kind, k)

    def _index(self, phrase: str, alias: str) -> None:
        key = _norm(phrase)
        if not key or key in self._phrases:
            return
        self._phrases[key] = alias
        words = _WORD.findall(key)
        if words:
            self._first.setdefault(words[0], []).append(key)
            self._first[words[0]].sort(key=len, reverse=True)

    def register_accounts(self, accounts: Iterable[tuple[str, str | None]]) -> None:
        pairs = [(str(i), n) for i, n in accounts if i is not None]
        self._register("account", [i for i, _ in pairs])
        for i, n in pairs:
            alias = self._codes["account"][i]
            if n is None or not str(n).strip():
                continue
            self._account_names.setdefault(i, str(n))
            self._index(str(n), alias)
            s = _stripped(str(n))
            if s:
                self._index(s, alias)
            c = _compact(str(n))
            if c:
                self._compacts.setdefault(c, alias)

    def register_contacts(self, names: Iterable[str]) -> None:
        keys = {_norm(n): str(n) for n in names if n is not None and str(n).strip()}
        self._register("contact", keys)
        for k in keys:
            self._index(k, self._codes["contact"][k])

    def register_owners(self, names: Iterable[str]) -> None:
        keys = {_norm(n): str(n) for n in names if n is not None and str(n).strip()}
        self._register("owner", keys)
        for k in keys:
            self._index(k, self._codes["owner"][k])

    # ---- single values ---------------------------------------------------------------------
    def account(self, account_id, account_name=None) -> str:
        """How an account is shown: its name (or ID), or its alias when names are hidden."""
        if not self.enabled:
            return str(account_name if account_name not in (None, "") else account_id)
        if account_id is None or (isinstance(account_id, float) and pd.isna(account_id)):
            return self.text(account_name) if account_name else "–"
        key = str(account_id)
        if key not in self._codes["account"]:
            self.register_accounts([(key, account_name)])
        return self._codes["account"][key]

    def contact(self, name) -> str:
        if not self.enabled or name is None or (isinstance(name, float) and pd.isna(name)):
            return name
        key = _norm(name)
        if not key:
            return name
        if key not in self._codes["contact"]:
            self.register_contacts([str(name)])
        return self._codes["contact"][key]

    def owner(self, name) -> str:
        if not (self.enabled and self.hide_owners) or name is None:
            return name
        if isinstance(name, float) and pd.isna(name):
            return name
        key = _norm(name)
        if not key:
            return name
        if key not in self._codes["owner"]:
            self.register_owners([str(name)])
        return self._codes["owner"][key]

    # ---- free text -------------------------------------------------------------------------
    def text(self, s):
        """`s` with every known name replaced by its alias (non-strings returned as is)."""
        if not self.enabled or not isinstance(s, str) or not s:
            return s
        s = _EMAIL.sub(EMAIL_HIDDEN, s)
        if self._compacts:
            s = _DOMAIN.sub(self._domain, s)
        low = s.casefold()
        if len(low) != len(s):  # casefold changed lengths (e.g. 'ß'): use a slower exact path
            return self._text_regex(s)
        out, pos = [], 0
        for m in _WORD.finditer(low):
            if m.start() < pos:
                continue
            cands = self._first.get(m.group())
            if not cands:
                continue
            for phrase in cands:  # longest first
                hit = self._match(low, m.start(), phrase)
                if hit:
                    out.append(s[pos : m.start()])
                    out.append(self._phrases[phrase])
                    pos = hit
                    break
        out.append(s[pos:])
        return "".join(out)

    @staticmethod
    def _match(low: str, start: int, phrase: str) -> int | None:
        """End of `phrase` matched at `start` (whitespace runs equal any whitespace), or None."""
        i, j = start, 0
        n, m = len(low), len(phrase)
        while j < m:
            if i >= n:
                return None
            if phrase[j] == " ":
                if not low[i].isspace():
                    return None
                while i < n and low[i].isspace():
                    i += 1
                j += 1
                continue
            if low[i] != phrase[j]:
                return None
            i += 1
            j += 1
        if i < n and (low[i].isalnum() or low[i] == "_") and (phrase[-1].isalnum()):
            return None
        return i

    def _text_regex(self, s: str) -> str:
        for phrase in sorted(self._phrases, key=len, reverse=True):
            pat = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in phrase.split(" ")) + r"(?!\w)"
            s = re.sub(pat, self._phrases[phrase], s, flags=re.IGNORECASE)
        return s

    def _domain(self, m: re.Match) -> str:
        host = re.sub(r"^https?://", "", m.group(), flags=re.IGNORECASE).split("/")[0]
        for label in host.casefold().split("."):
            if label in self._compacts or label.replace("-", "") in self._compacts:
                return WEBSITE_HIDDEN
        return m.group()

    # ---- DataFrames ------------------------------------------------------------------------
    def frame(
        self,
        df: pd.DataFrame,
        columns: Sequence[str] | Mapping[str, str] = (),
        *,
        id_column: str = "account_id",
        all_text: bool = True,
    ) -> pd.DataFrame:
        """A copy of `df` with names replaced.

        - account-name columns (account_name, account, customer) by the row's `id_column`
          when present, else as text; parent_name / parent by `parent_id` when present;
        - contact columns (name, contact, contact_name, stakeholder...) by contact alias;
        - owner columns (owner, kam, manager) only with `hide_owners`;
        - `columns`: extra columns to treat as text, or a mapping column -> kind
          ("account", "contact", "owner", "text");
        - with `all_text` (default) every other text column goes through `text()`.
        Column names are matched case-insensitively. The index is left as is unless it is
        text (then it goes through `text()`).
        """
        if not self.enabled:
            return df.copy()
        out = df.copy()
        kinds: dict[str, str] = {}
        extra = dict(columns) if isinstance(columns, Mapping) else dict.fromkeys(columns, "text")
        lower = {str(c).casefold(): c for c in out.columns}
        for c in out.columns:
            lc = str(c).casefold()
            if c in extra:
                kinds[c] = extra[c]
            elif lc in ACCOUNT_NAME_COLUMNS:
                kinds[c] = "account"
            elif lc in CONTACT_NAME_COLUMNS:
                kinds[c] = "contact"
            elif lc in OWNER_COLUMNS:
                kinds[c] = "owner"
            elif all_text:
                kinds[c] = "text"
        for c, kind in kinds.items():
            col = out[c]
            if kind == "account":
                lc = str(c).casefold()
                idc = lower.get("parent_id") if lc.startswith("parent") else lower.get(id_column)
                if idc is not None and idc != c:
                    out[c] = [
                        v
                        if v is None or (isinstance(v, float) and pd.isna(v))
                        else self.account(i, v)
                        for i, v in zip(out[idc], col, strict=True)
                    ]
                else:
                    out[c] = col.map(self._account_by_name)
            elif kind == "contact":
                out[c] = col.map(self.contact)
            elif kind == "owner":
                out[c] = col.map(self.owner) if self.hide_owners else col
            elif col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
                out[c] = col.map(self.text)
        if not isinstance(out.index, pd.MultiIndex) and (
            out.index.dtype == object or pd.api.types.is_string_dtype(out.index.dtype)
        ):
            out.index = out.index.map(self.text)
        if not isinstance(out.columns, pd.MultiIndex):
            out.columns = [self.text(c) if isinstance(c, str) else c for c in out.columns]
        return out

    def _account_by_name(self, v):
        if not isinstance(v, str):
            return v
        alias = self._phrases.get(_norm(v))
        return alias if alias else self.text(v)

    # ---- inspection (tests, checks) -----------------------------------------------------------
    def real_names(self) -> set[str]:
        """Every real name this object hides (normalised), for checks like 'none left'."""
        return set(self._phrases)

    def account_ids(self) -> dict[str, str]:
        return dict(self._codes["account"])


def passthrough() -> Aliases:
    """An `Aliases` that shows every name as it is (names not hidden)."""
    return Aliases(salt="", enabled=False)
