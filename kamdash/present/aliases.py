"""Hide names: neutral, stable aliases for account, contact and KAM names (client-facing use).

When a KAM screen-shares a QBR or sends the deck afterwards, names of accounts, of the
customer's people and of our own KAMs must not show. `Aliases` replaces them everywhere they
can appear:

- account names -> "Account K7", contact (stakeholder) names -> "Contact C12", KAM (owner)
  names -> "KAM B3" (with `hide_owners`, which the app's "Hide names" turns on);
- in DataFrames: `account_name` / "Account" (by the row's `account_id` / "Account ID"),
  `parent_name` (by `parent_id`), `name` / `contact` columns, owner / KAM columns, any column
  the caller names, and by default every other text column (notes, reasons, titles,
  opportunity names, an ID that spells a name) through `text()`;
- in free text: every occurrence of a known name, case-insensitive, on word boundaries; an
  account's name also without its legal suffix ("Glenmore Retail LLC" -> "Glenmore Retail"),
  e-mail addresses (always masked: they usually spell a person and a company), and web
  domains spelling an account's name ("www.glenmoreretail.com").

Stability: an alias is derived from HMAC-SHA256(secret, kind + key), the key being the
account ID (never its name) or a person's normalised name. The secret is the installation's
(`installation_secret(data_dir)`: `<data_dir>/.kamdash_secret`, 32 random bytes made once,
mode 0600), so an account has the same alias on every screen, in every session, export and
deck, and in every snapshot of one installation; another installation (another secret) gives
other aliases, and nobody can compute an alias from a name. Codes are short; two keys whose
codes collide are told apart by probing further codes, in the order of their digests. The codes
given out are recorded in the installation's ledger (`<data_dir>/.kamdash_aliases.json`:
keyed digest -> code, no name, no ID), so a code, once given, stays with its account even when
a later snapshot brings an account that would have won the collision; codes are unique per
installation, hence within every snapshot. Without a ledger (`Aliases(secret, ...)`), the
result depends only on the secret and the set of keys registered, not on their order.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import duckdb
import pandas as pd

from kamdash.core.db import has_table, rows

try:  # a lock around the ledger's read-allocate-write (POSIX); elsewhere the last writer wins
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

log = logging.getLogger("kamdash")

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
OWNER_COLUMNS = ("owner", "kam", "kam (owner)", "account owner", "manager")
# The columns holding a row's account ID ("Account ID" is how tables name it on screen).
ID_COLUMNS = ("account_id", "account id")
SECRET_FILE = ".kamdash_secret"
LEDGER_FILE = ".kamdash_aliases.json"
# Used when the data directory cannot hold the installation's secret (a read-only folder):
# aliases then hold for this process only.
_PROCESS_SECRET = secrets.token_hex(32)


def new_salt() -> str:
    """A fresh random secret (aliases that hold for one object only: tests, one-off use)."""
    return secrets.token_hex(8)


def installation_secret(data_dir: str | Path) -> str:
    """The installation's alias key: `<data_dir>/.kamdash_secret`, 32 random bytes (hex) made
    once with mode 0600 (atomically: two processes starting together agree on one). OSError
    when the folder cannot hold it."""
    path = Path(data_dir) / SECRET_FILE
    with contextlib.suppress(FileNotFoundError):
        return _read_secret(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(os.urandom(32).hex() + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # fails when another process made it first: theirs is kept
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            with contextlib.suppress(FileExistsError):
                fd2 = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd2, "w", encoding="ascii") as f:
                    f.write(tmp.read_text(encoding="ascii"))
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    value = path.read_text(encoding="ascii").strip()
    if len(value) < 32:
        raise OSError(f"{path}: not an alias secret (delete it to make a new one)")
    return value


class AliasLedger:
    """The codes an installation has given out, by kind: keyed digest (hex) -> code, in
    `<data_dir>/.kamdash_aliases.json` (mode 0600; it holds neither a name nor an ID). Read,
    extended and written back under a lock, replaced atomically; a folder that cannot be
    written leaves the new codes in memory only."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def of(cls, data_dir: str | Path) -> AliasLedger:
        return cls(Path(data_dir) / LEDGER_FILE)

    def read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            log.warning("alias ledger %s unreadable (%s): codes not remembered", self.path, e)
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: dict(v) for k, v in data.items() if k in _PREFIX and isinstance(v, dict)}

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        lock = None
        try:
            lock = open(self.path.with_name(self.path.name + ".lock"), "a")  # noqa: SIM115
            if fcntl is not None:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        except OSError:  # a read-only folder: nothing will be written anyway
            lock = None
        try:
            yield
        finally:
            if lock is not None:
                lock.close()  # releases the lock

    def write(self, data: dict[str, dict[str, str]]) -> None:
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, separators=(",", ":"), sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except OSError as e:
            log.warning("alias ledger %s not written (%s): new codes held in memory", self.path, e)
            with contextlib.suppress(OSError):
                tmp.unlink()


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
    """The aliases of one kind of name ("Account K7"): a code derived from HMAC-SHA256(secret,
    kind + key), probing further codes past a collision; with a ledger, a key's code is the one
    the installation gave it before."""

    def __init__(self, salt: str, kind: str):
        self.salt, self.kind = salt, kind
        self.alias: dict[str, str] = {}  # key -> alias
        self.taken: set[str] = set()
        self.known: dict[str, str] = {}  # ledger: tag -> code (given out before)

    def _digest(self, key: str, n: int = 0) -> bytes:
        msg = f"{self.kind}\x1f{key}\x1f{n}".encode()
        return hmac.new(str(self.salt).encode(), msg, hashlib.sha256).digest()

    def tag(self, key: str) -> str:
        """How the ledger knows `key`: its keyed digest (no name, no ID)."""
        return self._digest(key)[:16].hex()

    def _give(self, key: str, code: str) -> str:
        self.taken.add(code)
        self.alias[key] = f"{_PREFIX[self.kind]} {code}"
        return self.alias[key]

    def get(self, key: str) -> str:
        """The alias of `key`, allocated when new (in memory: `register` records it)."""
        if key in self.alias:
            return self.alias[key]
        code = self.known.get(self.tag(key)) if self.known else None
        if code is not None:
            return self._give(key, code)
        n = 0
        while True:
            v = int.from_bytes(self._digest(key, n)[:8], "big")
            width = 99 if len(self.taken) < 1000 else 9999  # 2,376 codes, then more
            code = f"{_LETTERS[v % len(_LETTERS)]}{(v // len(_LETTERS)) % width + 1}"
            if code not in self.taken:
                break
            n += 1
        return self._give(key, code)

    def learn(self, known: Mapping[str, str]) -> None:
        """The codes the ledger holds: taken, and each one its key's."""
        self.known = dict(known)
        self.taken.update(self.known.values())

    def register(self, keys: Iterable[str], ledger: AliasLedger | None = None) -> None:
        # allocation in digest order, so who wins a collision depends only on the secret, the
        # set of names and the codes given out before, never on the order of registration
        new = sorted({k for k in keys if k not in self.alias}, key=lambda k: (self._digest(k), k))
        if not new:
            return
        if ledger is None:
            for k in new:
                self.get(k)
            return
        with ledger.locked():
            data = ledger.read()  # again, under the lock: another process may have added
            known = data.setdefault(self.kind, {})
            self.learn(known)
            fresh = [k for k in new if self.tag(k) not in known]
            for k in new:
                self.get(k)
            if fresh:
                for k in fresh:
                    known[self.tag(k)] = self.alias[k].rsplit(" ", 1)[1]
                ledger.write(data)
                self.known = dict(known)


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
    """Stable aliases of account, contact (and optionally KAM) names.

    `secret`: the key (`installation_secret(data_dir)` for aliases that hold across sessions
    and snapshots; None: a random one, aliases of this object only). `ledger`: the
    installation's record of the codes given out (`AliasLedger.of(data_dir)`), which keeps a
    code with its account across snapshots. `for_installation` builds both from a data dir.

    `enabled=False` gives a pass-through object with the same methods (names unchanged), so
    callers can always go through one object.
    """

    def __init__(
        self,
        secret: str | None = None,
        accounts: Iterable[tuple[str, str | None]] | Mapping[str, str | None] = (),
        contacts: Iterable[str] = (),
        owners: Iterable[str] = (),
        *,
        enabled: bool = True,
        hide_owners: bool = False,
        ledger: AliasLedger | None = None,
    ):
        self.salt = secret if secret is not None else new_salt()
        self.enabled = enabled
        self.hide_owners = hide_owners
        self.ledger = ledger
        self._codes = {kind: _Codes(self.salt, kind) for kind in _PREFIX}
        if ledger is not None:
            known = ledger.read()
            for kind, codes in self._codes.items():
                codes.learn(known.get(kind, {}))
        self._index = _TextIndex()
        self.register_accounts(accounts.items() if isinstance(accounts, Mapping) else accounts)
        self.register_contacts(contacts)
        if hide_owners:
            self.register_owners(owners)

    @classmethod
    def from_connection(
        cls,
        con: duckdb.DuckDBPyConnection,
        secret: str | None = None,
        *,
        enabled: bool = True,
        hide_owners: bool = False,
        ledger: AliasLedger | None = None,
    ) -> Aliases:
        """Aliases for every account, contact and KAM of a snapshot (use an unfiltered cursor:
        an account keeps its alias whatever the filters and whoever looks). Accounts are the
        accounts sheet's, and the IDs of revenue and deals it does not list; KAMs the owners
        of accounts and deals, and the team sheet's owners and managers."""

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
        listed = {str(i) for i, _ in accounts}
        for table in ("revenue", "opportunities"):
            more = [i for i in names(table, "account_id") if str(i) not in listed]
            accounts += [(i, None) for i in more]
            listed.update(str(i) for i in more)
        owners = names("accounts", "owner") + names("opportunities", "owner")
        owners += names("team", "owner") + names("team", "manager")
        contacts = names("stakeholders", "name")
        return cls(
            secret,
            accounts,
            contacts,
            owners,
            enabled=enabled,
            hide_owners=hide_owners,
            ledger=ledger,
        )

    @classmethod
    def for_installation(
        cls,
        con: duckdb.DuckDBPyConnection,
        data_dir: str | Path,
        *,
        enabled: bool = True,
        hide_owners: bool = True,
    ) -> Aliases:
        """`from_connection` with the installation's secret and ledger (in `data_dir`): the
        aliases of every screen, export and deck of this installation. A folder that cannot
        hold the secret (read-only) gives aliases that hold for this process only (logged)."""
        try:
            secret = installation_secret(data_dir)
        except OSError as e:
            log.warning("no alias secret in %s (%s): aliases hold for this process", data_dir, e)
            secret = _PROCESS_SECRET
        return cls.from_connection(
            con,
            secret,
            enabled=enabled,
            hide_owners=hide_owners,
            ledger=AliasLedger.of(data_dir),
        )

    # ---- registration ----------------------------------------------------------------------
    def register_accounts(
        self, accounts: Iterable[tuple[str, str | None]], *, record: bool = True
    ) -> None:
        pairs = [(str(i), n) for i, n in accounts if i is not None]
        codes = self._codes["account"]
        codes.register((i for i, _ in pairs), self.ledger if record else None)
        for i, n in pairs:
            if n is not None and str(n).strip():
                self._index.add_account(str(n), codes.alias[i])

    def register_contacts(self, names: Iterable[str]) -> None:
        self._register_people("contact", names)

    def register_owners(self, names: Iterable[str]) -> None:
        self._register_people("owner", names)

    def _register_people(self, kind: str, names: Iterable[str], *, record: bool = True) -> None:
        keys = list(dict.fromkeys(_norm(n) for n in names if n is not None and str(n).strip()))
        codes = self._codes[kind]
        codes.register(keys, self.ledger if record else None)
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
        if key not in self._codes["account"].alias:  # not in the snapshot: not recorded
            self.register_accounts([(key, account_name)], record=False)
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
        if key not in self._codes[kind].alias:  # not in the snapshot: not recorded
            self._register_people(kind, [str(name)], record=False)
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
        id_column: str | None = None,
        all_text: bool = True,
    ) -> pd.DataFrame:
        """A copy of `df` with names replaced.

        - account-name columns (account_name, account, customer) by the row's `id_column`
          (default: `account_id` or "Account ID") when present, else as text; parent_name /
          parent by `parent_id` when present;
        - contact columns (name, contact, contact_name, stakeholder...) by contact alias;
        - owner columns (owner, kam, "KAM (owner)", manager) only with `hide_owners`;
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
        ids = [id_column.casefold()] if id_column else ID_COLUMNS
        own_id = next((lower[i] for i in ids if i in lower), None)
        for c, kind in _column_kinds(out.columns, columns, all_text).items():
            if kind == "account":
                lc = str(c).casefold()
                idc = lower.get("parent_id") if lc.startswith("parent") else own_id
                # the IDs as given (an ID column itself goes through `text()`: one may spell
                # a name, as in a deals export keyed by account name)
                out[c] = self._accounts(out[c], df[idc] if idc not in (None, c) else None)
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
    return Aliases("", enabled=False)
