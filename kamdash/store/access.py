"""Who may see what: `access.toml` in the data folder (or the file `$KAMDASH_ACCESS` names).

```toml
claim = "email"            # the sign-in claim that names a user (Entra ID: preferred_username)
[users."sarah.mitchell@example.com"]
role = "kam"               # the accounts whose owner is one of `owners`
owners = ["Sarah Mitchell"]
[users."vp.sales@example.com"]
role = "leader"            # every account, or only those of `teams = [...]`
[users."revops@example.com"]
role = "admin"             # every account; may upload, publish, make current, compare
```

Addresses match ignoring case and surrounding spaces. Anything wrong with the file (missing,
unreadable, malformed, an unknown role, a kam without owners) admits no one: `load_policy`
returns an `AccessProblem` saying what the deployer must do, never a half-read policy.

The `Viewer` a policy admits becomes a `Scope` (`store.filters`), applied where data is read.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROLES = ("kam", "leader", "admin")
FILE_NAME = "access.toml"
DEFAULT_CLAIM = "email"


@dataclass(frozen=True)
class Scope:
    """The accounts a viewer may see: all (`everything`), or those whose owner is one of
    `owners` or belongs to one of `teams` (by the team table)."""

    owners: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    everything: bool = False

    @classmethod
    def all(cls) -> Scope:
        return cls(everything=True)


EVERYTHING = Scope.all()


@dataclass(frozen=True)
class Viewer:
    """The person looking: their address (None in open mode), role and scope."""

    address: str | None
    role: str
    scope: Scope
    open_mode: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @classmethod
    def open(cls) -> Viewer:
        """Open mode (no sign-in configured, a laptop): one person, who may do everything."""
        return cls(None, "admin", Scope.all(), open_mode=True)

    def actor(self) -> str:
        """Who an action is recorded as: the signed-in address; in open mode the OS user."""
        if self.address:
            return self.address
        try:
            return f"{getpass.getuser()} (open mode)"
        except (KeyError, OSError):  # no user name in this environment
            return "open mode"

    def describe(self) -> str:
        if self.open_mode:
            return "open mode (no sign-in)"
        what = {"kam": "KAM", "leader": "leader", "admin": "admin"}[self.role]
        return f"{self.address} · {what}"


@dataclass(frozen=True)
class AccessProblem:
    """Why no one is admitted, addressed to the deployer."""

    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Policy:
    claim: str
    users: dict[str, Viewer]  # lower-cased address -> viewer
    path: Path

    def viewer(self, claims: dict) -> Viewer | None:
        """The viewer the signed-in `claims` name, or None (not in the file)."""
        address = claims.get(self.claim)
        if not isinstance(address, str) or not address.strip():
            return None
        return self.users.get(address.strip().casefold())


def policy_path(data_dir: Path) -> Path:
    env = os.environ.get("KAMDASH_ACCESS")
    return Path(env) if env else Path(data_dir) / FILE_NAME


def _strings(value, field: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f'{where}: `{field}` must be a list of names, e.g. {field} = ["..."]')
    return tuple(v.strip() for v in value if v.strip())


def _viewer(address: str, entry, path: Path) -> Viewer:
    where = f'[users."{address}"]'
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a table with a `role`")
    role = entry.get("role")
    if role not in ROLES:
        raise ValueError(f"{where}: role must be one of {', '.join(ROLES)} (found {role!r})")
    owners = _strings(entry.get("owners"), "owners", where)
    teams = _strings(entry.get("teams"), "teams", where)
    if role == "kam":
        if not owners:
            raise ValueError(f'{where}: a kam needs `owners = ["Name as in the CRM"]`')
        scope = Scope(owners=owners)
    elif role == "leader" and teams:
        scope = Scope(teams=teams)
    else:
        scope = Scope.all()
    return Viewer(address, role, scope)


def load_policy(data_dir: Path) -> Policy | AccessProblem:
    """The access policy, or what is wrong with it (then no one is admitted)."""
    path = policy_path(data_dir)
    example = (
        'Create it with a line per person, e.g.\n\n[users."you@example.com"]\nrole = "admin"\n\n'
        "(roles: kam with owners = [...], leader, admin; see the README, Sign-in)."
    )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return AccessProblem(
            f"Sign-in is configured but there is no access file at {path}, so no one is "
            f"admitted. {example}"
        )
    except (OSError, UnicodeDecodeError) as e:
        return AccessProblem(
            f"The access file {path} cannot be read ({e.__class__.__name__}), so no one is "
            "admitted. Check its permissions and that it is UTF-8 text."
        )
    try:
        raw = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as e:
        return AccessProblem(
            f"The access file {path} is not valid TOML ({str(e)[:200]}), so no one is admitted. "
            "Fix it and reload the page."
        )
    claim = raw.get("claim", DEFAULT_CLAIM)
    users = raw.get("users")
    try:
        if not isinstance(claim, str) or not claim.strip():
            raise ValueError('`claim` must be the name of a sign-in claim, e.g. claim = "email"')
        if not isinstance(users, dict) or not users:
            raise ValueError('it names no one: add a [users."address"] table per person')
        viewers = {
            str(a).strip().casefold(): _viewer(str(a).strip(), e, path) for a, e in users.items()
        }
    except ValueError as e:
        return AccessProblem(
            f"The access file {path} is not usable: {e}. No one is admitted until it is fixed."
        )
    return Policy(claim.strip(), viewers, path)
