"""Metric settings: one TOML file, defaults from the design brief, loaded once.

Look-up order: an explicit path, else `$KAMDASH_SETTINGS`, else `<data_dir>/settings.toml`,
else the defaults below. Unknown keys are refused with a message naming them.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

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
    rag_green_min: float = 4.0
    rag_amber_min: float = 3.0
    # Plan freshness: a plan is stale after this many days, per assigned tier
    plan_cadence_days: dict[str, int] = field(
        default_factory=lambda: {"Tier 1": 31, "Tier 2": 92, "Tier 3": 183}
    )
    # Relationships: a contact counts as an active relationship at strength >= this
    active_strength_min: float = 3.0
    # Whitespace: peers are accounts of the same industry within this TTM-size factor
    peer_size_factor: float = 3.0
    peer_min_count: int = 5  # fewer peers than this: fall back to the whole portfolio
    # Attention list: an account is "shrinking" when its TTM fell below this ratio of a year ago
    shrinking_ratio: float = 0.9
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


def settings_from_toml(path: Path) -> Settings:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f'settings file "{path}": not valid TOML ({e})') from e
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
