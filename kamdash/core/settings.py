"""Metric settings: one TOML file, defaults from the design brief, loaded once.

Look-up order: an explicit path, else `$KAMDASH_SETTINGS`, else `<data_dir>/settings.toml`,
else the defaults below. Unknown keys are refused with a message naming them.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from kamdash.core.errors import os_reason

DEFAULT_TIER_WEIGHTS = {
    "expansion_potential": 30.0,
    "strategic_fit": 25.0,
    "current_revenue": 20.0,
    "executive_access": 15.0,
    "reference_value": 10.0,
}


@dataclass(frozen=True)
class Settings:
    # Periods
    fiscal_year_start_month: int = 1  # 1 = January (calendar quarters)
    as_of: str | None = None  # ISO date overriding the extract's latest date, or None
    retention_basis: str = "ttm"  # "ttm" (default) or "point" (quarter vs same quarter a year ago)
    # Tiering: weights of the 1-5 criteria ("current_revenue" is scored by TTM quintile)
    tier_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TIER_WEIGHTS))
    # Suggested tier from the tier score: >= tier1_min is Tier 1, >= tier2_min Tier 2, else Tier 3
    tier1_min: float = 3.8
    tier2_min: float = 2.8
    # Tiering from revenue alone (no scores sheet, or no criterion but current revenue): the
    # field's rule of thumb on TTM revenue rank: Tier 1 = the top share of accounts, Tier 2 =
    # the next share, Tier 3 = the rest
    revenue_tier1_share: float = 0.10
    revenue_tier2_share: float = 0.20
    # QBR: weights of the 1-5 dimensions, RAG bands on the weighted score
    qbr_weights: dict[str, float] = field(
        default_factory=lambda: {
            "relationship_depth": 1.0,
            "pipeline_coverage": 1.0,
            "plan_currency": 1.0,
        }
    )
    # Retention: the NRR a strategic account program aims above (design brief: 110%; best in
    # class 120%+); drawn as the target line and used for the "on target" colour
    nrr_target: float = 1.10
    # Retention by group: a group of fewer accounts (in its cohort) than this is marked "too few
    # accounts to compare" and drawn apart, never as if comparable
    min_group_accounts: int = 5
    rag_green_min: float = 4.0
    rag_amber_min: float = 3.0
    # Plan freshness: a plan is stale after this many days, per assigned tier
    plan_cadence_days: dict[str, int] = field(
        default_factory=lambda: {"Tier 1": 31, "Tier 2": 92, "Tier 3": 183}
    )
    # QBR cadence: an account of these tiers is due a QBR within this many days (Tier 1
    # quarterly, Tier 2 twice a year); tiers not listed (Tier 3: programmatic coverage, no QBR)
    # are not counted in QBR cadence adherence
    qbr_cadence_days: dict[str, int] = field(default_factory=lambda: {"Tier 1": 92, "Tier 2": 183})
    # Relationships: a contact counts as an active relationship at strength >= this
    active_strength_min: float = 3.0
    # Relationship map: the buying roles an account should have an active relationship in
    # (matched to the stakeholders' role, case and spacing ignored; "A / B" accepts either
    # word for the same role), and the days after which a contact not touched is a gap
    buying_roles: tuple[str, ...] = (
        "Economic Buyer",
        "Decision Maker",
        "Technical Evaluator / Technical Buyer",
        "User / Business User / End User",
    )
    contact_stale_days: int = 90
    # Whitespace: peers are accounts of the same industry within this TTM-size factor
    peer_size_factor: float = 3.0
    peer_min_count: int = 5  # fewer peers than this: fall back to the whole portfolio
    # Privacy and confidence: a figure computed from other accounts (a peer median) is shown
    # only when it rests on at least this many of them
    min_peers: int = 5
    # Attention list: an account is "shrinking" when its TTM fell below this ratio of a year ago
    shrinking_ratio: float = 0.9
    # Attention list: the accounts listed (largest revenue at risk first); single-threaded
    # counts for accounts of these assigned tiers, or with at least this TTM revenue (0: no
    # revenue rule)
    attention_rows: int = 15
    single_thread_tiers: tuple[str, ...] = ("Tier 1", "Tier 2")
    single_thread_min_revenue: float = 0.0
    # Loading: revenue on account IDs missing from the accounts table above this share of all
    # revenue refuses the load (the IDs are most likely written differently); below it, a warning
    unknown_revenue_max_share: float = 0.02
    # Money: the symbol shown when the extract writes no currency and none is set below
    currency: str = "$"
    # The currency every amount is loaded and shown in (ISO code, e.g. "EUR"); None: the
    # extract's own one currency
    reporting_currency: str | None = None
    # Rates to the reporting currency: {"USD" = 0.92} means 1 USD = 0.92 of it; with them,
    # amounts in several currencies are converted instead of refused
    currency_rates: dict[str, float] = field(default_factory=dict)
    # What an ambiguous symbol (or a currency column's word) means: {"¥" = "JPY", "$" = "CAD"}
    currency_symbols: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def load_settings(path: str | Path | None = None, data_dir: str | Path | None = None) -> Settings:
    """Settings from a TOML file (flat keys as in `Settings`), defaults where absent."""
    candidates = [path, os.environ.get("KAMDASH_SETTINGS")]
    if data_dir is not None:
        candidates.append(Path(data_dir) / "settings.toml")
    for c in candidates:
        if c and Path(c).is_file():
            return settings_from_toml(Path(c))
    return Settings()


# the deepest nesting TOML files of kamdash may hold: settings are flat keys and one level of
# tables ([tier_weights]); mapping files two ([merge.product])
SETTINGS_DEPTH = 2
MAX_TOML_BYTES = 1 << 20  # a settings or mapping file is a few lines: 1 MB is plenty


def _nesting(raw: dict) -> tuple[int, str]:
    """The deepest nesting of tables and arrays in `raw` (the file itself is 1; a table or an
    array in it 2...) and the dotted key where it is; iterative (no recursion)."""
    deepest, where = 1, ""
    stack: list[tuple[object, int, str]] = [(raw, 1, "")]
    while stack:
        obj, depth, key = stack.pop()
        if depth > deepest:
            deepest, where = depth, key
        children = obj.items() if isinstance(obj, dict) else enumerate(obj)
        for k, v in children:
            if isinstance(v, dict | list):
                stack.append((v, depth + 1, f"{key}.{k}" if key else str(k)))
    return deepest, where


def read_toml(path: Path, kind: str, max_depth: int, todo: str) -> dict:
    """A small TOML file (`kind`: "settings", "mapping"...) as a dict, or a ValueError whose
    message names the file, says what is wrong in plain words and ends with `todo`: a file that
    cannot be read, is not UTF-8, is too large, is not valid TOML, or nests tables or arrays
    more than `max_depth` levels (10,000 nested arrays, `a = [[[[...]]]]`, overflow Python's
    TOML reader: that is said as such, never a RecursionError)."""
    try:
        size = path.stat().st_size
        if size > MAX_TOML_BYTES:
            raise ValueError(
                f'{kind} file "{path}" is {size / 2**20:,.1f} MB: too large for a {kind} file '
                f"(at most {MAX_TOML_BYTES / 2**20:.0f} MB). {todo}"
            )
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(
            f'{kind} file "{path}" is not UTF-8 text (byte {e.start:,} is not): save it as '
            f"UTF-8 text. {todo}"
        ) from e
    except OSError as e:
        raise ValueError(f'{kind} file "{path}" cannot be read ({os_reason(e)}). {todo}') from e
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f'{kind} file "{path}": not valid TOML ({e}). {todo}') from e
    except RecursionError as e:
        raise ValueError(
            f'{kind} file "{path}" could not be read: its tables or arrays are nested inside '
            f"each other hundreds of levels deep (at most {max_depth} make sense). {todo}"
        ) from e
    depth, where = _nesting(raw)
    if depth > max_depth:
        raise ValueError(
            f'{kind} file "{path}": "{where}" is nested {depth} levels deep; a {kind} file '
            f"holds at most {max_depth} (keys, and tables of keys). {todo}"
        )
    return raw


def settings_from_toml(path: Path) -> Settings:
    raw = read_toml(
        path,
        "settings",
        SETTINGS_DEPTH,
        "Fix it (one setting per line, like nrr_target = 1.1, or tables like [tier_weights]), "
        "or remove the file to use the defaults.",
    )
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(
            f'settings file "{path}": unknown setting(s) {", ".join(unknown)}; '
            f"known: {', '.join(sorted(known))}"
        )
    base = Settings()
    merged = {}
    for k, v in raw.items():
        default = getattr(base, k)
        merged[k] = {**default, **v} if isinstance(default, dict) else v
    return Settings(**{**asdict(base), **merged})
