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


def _is_nan(v) -> bool:
    return isinstance(v, float) and pd.isna(v)


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


class _Codes:
    """The aliases of one kind of name ("Account K7"): a code derived from HMAC-SHA256(salt,
    kind + key), probing further codes past a collision."""

    def __init__(self, salt: str, kind: str):
        self.salt, self.kind = salt, kind
        self.alias: dict[str, str] = {}  # key -> alias
        self.taken: set[str] = set()

    def _digest(self, key: str, n: int = 0) -> bytes:
        msg = f"{self.kind}\x1f{key}\x1f{n}".encode()
        return hmac.new(str(self.salt).encode(), msg, hashlib.sha256).digest()

    def get(self, key: str) -> str:
        """The alias of `key`, allocated when new."""
        if key in self.alias:
            return self.alias[key]
        n = 0
        while True:
            v = int.from_bytes(self._digest(key, n)[:8], "big")
            width = 99 if len(self.taken) < 1000 else 9999  # 2,376 codes, then more
            code = f"{_LETTERS[v % len(_LETTERS)]}{(v // len(_LETTERS)) % width + 1}"
            if code not in self.taken:
                break
            n += 1
        self.taken.add(code)
        self.alias[key] = f"{_PREFIX[self.kind]} {code}"
        return self.alias[key]

    def register(self, keys: Iterable[str]) -> None:
        # allocation in digest order, so who wins a collision depends only on the salt and
        # the set of names, never on the order they were registered in
        for k in sorted(
            {k for k in keys if k not in self.alias}, key=lambda k: (self._digest(k), k)
        ):
            self.get(k)


class _TextIndex:
    """Known names as they appear in free text: a normalised phrase -> its alias, looked up by
    the phrase's first word; compact spellings of account names for web domains."""

    def __init__(self):
        self.phrases: dict[str, str] = {}
        self.first: dict[str, list[str]] = {}  # first word -> phrases, longest first
        self.compacts: dict[str, str] = {}

    def add(self, phrase: str, alias: str) -> None:
        key = _norm(phrase)
        if not key or key in self.phrases:
            return
        self.phrases[key] = alias
        words = _WORD.findall(key)
        if words:
            self.first.setdefault(words[0], []).append(key)
            self.first[words[0]].sort(key=len, reverse=True)

    def add_account(self, name: str, alias: str) -> None:
        """The name, the name without its legal form, and its web-domain spelling."""
        self.add(name, alias)
        short = _stripped(name)
        if short:
            self.add(short, alias)
        c = _compact(name)
        if c:
            self.compacts.setdefault(c, alias)

    def replace(self, s: str) -> str:
        """`s` with e-mail addresses, company websites and every known name replaced."""
        s = _EMAIL.sub(EMAIL_HIDDEN, s)
        if self.compacts:
            s = _DOMAIN.sub(self._domain, s)
        low = s.casefold()
        if len(low) != len(s):  # casefold changed lengths (e.g. 'ß'): use a slower exact path
            return self._replace_regex(s)
        out, pos = [], 0
        for m in _WORD.finditer(low):
            if m.start() < pos:
                continue
            for phrase in self.first.get(m.group(), ()):  # longest first
                end = _match(low, m.start(), phrase)
                if end:
                    out += [s[pos : m.start()], self.phrases[phrase]]
                    pos = end
                    break
        out.append(s[pos:])
        return "".join(out)

    def _replace_regex(self, s: str) -> str:
        for phrase in sorted(self.phrases, key=len, reverse=True):
            pat = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in phrase.split(" ")) + r"(?!\w)"
            s = re.sub(pat, self.phrases[phrase], s, flags=re.IGNORECASE)
        return s

    def _domain(self, m: re.Match) -> str:
        host = re.sub(r"^https?://", "", m.group(), flags=re.IGNORECASE).split("/")[0]
        for label in host.casefold().split("."):
            if label in self.compacts or label.replace("-", "") in self.compacts:
                return WEBSITE_HIDDEN
        return m.group()


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
        return None  # the name continues into a longer word ("Zoe Wongs")
    return i


def _column_kinds(
    columns: Iterable, extra: Sequence[str] | Mapping[str, str], all_text: bool
) -> dict:
    """What each DataFrame column holds: 'account', 'contact', 'owner' or 'text' names (columns
    holding none are left out)."""
    given = dict(extra) if isinstance(extra, Mapping) else dict.fromkeys(extra, "text")
    kinds = {}
    for c in columns:
        lc = str(c).casefold()
        if c in given:
            kinds[c] = given[c]
        elif lc in ACCOUNT_NAME_COLUMNS:
            kinds[c] = "account"
        elif lc in CONTACT_NAME_COLUMNS:
            kinds[c] = "contact"
        elif lc in OWNER_COLUMNS:
            kinds[c] = "owner"
        elif all_text:
            kinds[c] = "text"
    return kinds


def _is_text(values) -> bool:
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)


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
        self._codes = {kind: _Codes(self.salt, kind) for kind in _PREFIX}
        self._index = _TextIndex()
        self.register_accounts(accounts.items() if isinstance(accounts, Mapping) else accounts)
        self.register_contacts(contacts)
        if hide_owners:
            self.register_owners(owners)

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

        def names(table: str, column: str) -> list[str]:
            if not has_table(con, table):
                return []
            return [r[0] for r in rows(con, f"SELECT DISTINCT {column} FROM {table}") if r[0]]

        accounts = []
        if has_table(con, "accounts"):
            accounts = rows(
                con,
                "SELECT account_id, min(account_name) FROM accounts "
                "WHERE account_id IS NOT NULL GROUP BY account_id",
            )
        owners = names("accounts", "owner") + names("team", "owner") + names("team", "manager")
        contacts = names("stakeholders", "name")
        return cls(salt, accounts, contacts, owners, enabled=enabled, hide_owners=hide_owners)

    # ---- registration ----------------------------------------------------------------------
    def register_accounts(self, accounts: Iterable[tuple[str, str | None]]) -> None:
        pairs = [(str(i), n) for i, n in accounts if i is not None]
        codes = self._codes["account"]
        codes.register(i for i, _ in pairs)
        for i, n in pairs:
            if n is not None and str(n).strip():
                self._index.add_account(str(n), codes.alias[i])

    def register_contacts(self, names: Iterable[str]) -> None:
        self._register_people("contact", names)

    def register_owners(self, names: Iterable[str]) -> None:
        self._register_people("owner", names)

    def _register_people(self, kind: str, names: Iterable[str]) -> None:
        keys = list(dict.fromkeys(_norm(n) for n in names if n is not None and str(n).strip()))
        codes = self._codes[kind]
        codes.register(keys)
        for k in keys:
            self._index.add(k, codes.alias[k])

    # ---- single values ---------------------------------------------------------------------
    def account(self, account_id, account_name=None) -> str:
        """How an account is shown: its name (or ID), or its alias when names are hidden."""
        if not self.enabled:
            return str(account_name if account_name not in (None, "") else account_id)
        if account_id is None or _is_nan(account_id):
            return self.text(account_name) if account_name else "–"
        key = str(account_id)
        if key not in self._codes["account"].alias:
            self.register_accounts([(key, account_name)])
        return self._codes["account"].alias[key]

    def contact(self, name) -> str:
        return self._person("contact", name) if self.enabled else name

    def owner(self, name) -> str:
        return self._person("owner", name) if self.enabled and self.hide_owners else name

    def _person(self, kind: str, name):
        if name is None or _is_nan(name):
            return name
        key = _norm(name)
        if not key:
            return name
        if key not in self._codes[kind].alias:
            self._register_people(kind, [str(name)])
        return self._codes[kind].alias[key]

    def text(self, s):
        """`s` with every known name replaced by its alias (non-strings returned as is)."""
        if not self.enabled or not isinstance(s, str) or not s:
            return s
        return self._index.replace(s)

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
        lower = {str(c).casefold(): c for c in out.columns}
        for c, kind in _column_kinds(out.columns, columns, all_text).items():
            if kind == "account":
                lc = str(c).casefold()
                idc = lower.get("parent_id") if lc.startswith("parent") else lower.get(id_column)
                out[c] = self._accounts(out[c], out[idc] if idc not in (None, c) else None)
            elif kind == "contact":
                out[c] = out[c].map(self.contact)
            elif kind == "owner":
                if self.hide_owners:
                    out[c] = out[c].map(self.owner)
            elif _is_text(out[c]):
                out[c] = out[c].map(self.text)
        if not isinstance(out.index, pd.MultiIndex) and _is_text(out.index):
            out.index = out.index.map(self.text)
        if not isinstance(out.columns, pd.MultiIndex):
            out.columns = [self.text(c) if isinstance(c, str) else c for c in out.columns]
        return out

    def _accounts(self, names: pd.Series, ids: pd.Series | None):
        """Account names by their row's ID (by the name itself without an ID column)."""
        if ids is None:
            return names.map(self._account_by_name)
        return [
            v if v is None or _is_nan(v) else self.account(i, v)
            for i, v in zip(ids, names, strict=True)
        ]

    def _account_by_name(self, v):
        if not isinstance(v, str):
            return v
        return self._index.phrases.get(_norm(v)) or self.text(v)

    # ---- inspection (tests, checks) -----------------------------------------------------------
    def real_names(self) -> set[str]:
        """Every real name this object hides (normalised), for checks like 'none left'."""
        return set(self._index.phrases)

    def account_ids(self) -> dict[str, str]:
        return dict(self._codes["account"].alias)


def passthrough() -> Aliases:
    """An `Aliases` that shows every name as it is (names not hidden)."""
    return Aliases(salt="", enabled=False)
