"""The data contract: canonical tables, their columns, types and the synonyms real exports use.

Everything downstream (validation, the published snapshot, metrics) speaks these names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Canonical column types as DuckDB types.
TEXT, DATE, NUMBER, SCORE = "VARCHAR", "DATE", "DOUBLE", "DOUBLE"
# Columns on the 1-5 scale (typed SCORE = DOUBLE; values outside 1-5 are refused per cell).
SCORE_COLUMNS = frozenset(
    {
        "expansion_potential",
        "strategic_fit",
        "executive_access",
        "reference_value",
        "competitive_position",
        "influence",
        "strength",
        "relationship_depth",
        "pipeline_coverage",
        "plan_currency",
    }
)


@dataclass(frozen=True)
class RowCheck:
    """A per-table row rule, applied by validation (`rules.Rules.finish_table`) to the typed rows
    of the table (after the rows without their key or a needed value are skipped): the rows
    matching `condition` are reported as "{n} " + `text` at `level` ("error" refuses the load,
    "warning" loads), naming the file, sheet, `column` and rows; with `drop`, they are left out
    of the table. "{t}" in `condition` is the typed table, for conditions across its rows."""

    level: str
    code: str
    column: str
    condition: str
    text: str
    drop: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    types: dict[str, str]
    synonyms: tuple[str, ...] = ()  # sheet / file names that mean this table
    # required columns of which at least one must be present (e.g. stage or status)
    one_of: tuple[tuple[str, ...], ...] = ()
    description: str = ""
    # the row rules validation applies to this table:
    needs_rows: bool = False  # a header without rows refuses the load (else: loaded empty)
    skip_blank: tuple[str, ...] = ()  # rows without one of these are skipped, with a warning
    # skip_blank column -> (SQL over the typed row: rows kept although blank, code, note text),
    # e.g. open deals without an amount (normal at an early stage)
    keep_blank: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    one_row_per_id: bool = False  # a repeated account ID keeps its first row, with a warning
    # column -> SQL over the typed row, replacing or adding the column in the final table
    derived: dict[str, str] = field(default_factory=dict)
    # (code, text) of the warning for rows whose account is not in the accounts table
    orphan: tuple[str, str] | None = None
    # row checks (`RowCheck`): rows matching a condition are reported and, when `drop`, left out
    checks: tuple[RowCheck, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + tuple(c for g in self.one_of for c in g) + self.optional


# Words of opportunities.stage / .status that mean the deal was won or lost, matched as whole
# words of the lower-cased label with punctuation as spaces, so every CRM's spelling counts:
# "Closed Won" (Salesforce, Zoho), "Closed won" / "closedwon" (HubSpot), "won" (Pipedrive),
# "Won" (Dynamics Status; its lost reasons "Out-Sold" and "Canceled"), "Closed - Won".
# A label naming both (e.g. stage "Closed Lost", status "Won") is won.
WON_VALUES = frozenset({"won", "closedwon", "win", "booked", "signed"})
LOST_VALUES = frozenset(
    {"lost", "closedlost", "loss", "dead", "outsold", "out sold", "canceled", "cancelled"}
)


def _mentions(words: frozenset[str]) -> str:
    """SQL: the deal's stage or status has one of `words` as whole word(s)."""
    label = "lower(coalesce(stage, '') || ' ' || coalesce(status, ''))"
    spaced = f"' ' || regexp_replace({label}, '[^a-z0-9]+', ' ', 'g') || ' '"
    return f"regexp_matches({spaced}, ' ({'|'.join(sorted(words))}) ')"


_WON, _LOST = _mentions(WON_VALUES), _mentions(LOST_VALUES)
# "1", "T1", "tier 1" -> "Tier 1"; anything else is kept as written
_TIER = (
    "CASE WHEN regexp_full_match(lower(trim(tier)), '(tier|t)?\\s*([1-9])') "
    "THEN 'Tier ' || regexp_extract(lower(trim(tier)), '([1-9])') ELSE tier END"
)
UNKNOWN_ACCOUNT = (
    "unknown_account",
    "row(s) name an account ID that is not in the accounts table.",
)


def _t(**kw: str) -> dict[str, str]:
    return kw


# Growth goals: a target's period is a fiscal year ("FY2026") or a fiscal quarter ("2026Q1": the
# first quarter of fiscal year 2026 in the settings' fiscal calendar), however an export writes
# it: "FY 2026", "fy26", "2026" (a year), "2026 Q1", "2026-Q1", "Q1 2026", "Q1 FY26", "FY2026 Q1".
# (pattern over the text without case, spaces, "-", "_" and "/"; its canonical form)
_PERIODS = (
    ("(?:FY)?([0-9]{4})", "FY\\1"),
    ("FY([0-9]{2})", "FY20\\1"),
    ("(?:FY)?([0-9]{4})Q([1-4])", "\\1Q\\2"),
    ("FY([0-9]{2})Q([1-4])", "20\\1Q\\2"),
    ("Q([1-4])(?:FY)?([0-9]{4})", "\\2Q\\1"),
    ("Q([1-4])FY([0-9]{2})", "20\\2Q\\1"),
)


def period_sql(col: str = "period") -> str:
    """SQL: the canonical period ("FY2026" or "2026Q1") of text column `col`; NULL when it is
    neither a fiscal year nor a fiscal quarter ("FY26x", "H1 2026", a date)."""
    u = (
        f"upper(regexp_replace(regexp_replace(trim(CAST({col} AS VARCHAR)), '\\.0+$', ''), "
        "'[\\s_/-]+', '', 'g'))"
    )
    cases = " ".join(
        f"WHEN regexp_full_match({u}, '{p}') THEN regexp_replace({u}, '^{p}$', '{r}')"
        for p, r in _PERIODS
    )
    return f"(CASE {cases} END)"


_PERIOD = period_sql()
# each target row's account and fiscal year ("A-17|2026"), and the same per account and fiscal
# year over the rows that count (an account, a readable period, a target above zero), with
# the quarter and year rows apart
_GOAL_KEY = f"account_id || '|' || regexp_extract({_PERIOD}, '([0-9]{{4}})', 1)"
_GOAL_YEARS = f"""(
    SELECT account_id || '|' || fy FROM (
        SELECT account_id, {_PERIOD} AS p, regexp_extract(p, '([0-9]{{4}})', 1) AS fy, target
        FROM {{t}} WHERE account_id IS NOT NULL AND target > 0
    ) WHERE p IS NOT NULL GROUP BY account_id, fy HAVING {{having}}
)"""
_YEAR_ROWS = "count(*) FILTER (p LIKE 'FY%')"
_QUARTER_SUM = "sum(target) FILTER (p LIKE '%Q%')"
_YEAR_SUM = "sum(target) FILTER (p LIKE 'FY%')"
TARGET_CHECKS = (
    RowCheck(
        "error",
        "bad_period",
        "period",
        f"{_PERIOD} IS NULL",
        'period(s) are neither a fiscal year ("FY2026") nor a fiscal quarter ("2026Q1", in '
        "the fiscal calendar of the settings).",
        drop=True,
    ),
    RowCheck(
        "warning",
        "target_not_positive",
        "target",
        "target <= 0",
        "target(s) are zero or below and were left out (a goal is above zero).",
        drop=True,
    ),
    RowCheck(
        "warning",
        "quarters_differ_from_year",
        "target",
        f"target > 0 AND {_PERIOD} LIKE '%Q%' AND {_GOAL_KEY} IN "
        + _GOAL_YEARS.replace(
            "{having}",
            f"{_YEAR_ROWS} > 0 AND abs({_QUARTER_SUM} - {_YEAR_SUM}) > "
            f"greatest(1, 0.001 * {_YEAR_SUM})",
        ),
        "quarterly target(s) do not add up to the year's target of the same account and fiscal "
        "year: the year's target is used.",
    ),
    RowCheck(
        "warning",
        "quarters_incomplete",
        "period",
        f"target > 0 AND {_PERIOD} LIKE '%Q%' AND {_GOAL_KEY} IN "
        + _GOAL_YEARS.replace(
            "{having}",
            f"{_YEAR_ROWS} = 0 AND count(DISTINCT p) FILTER (p LIKE '%Q%') < 4",
        ),
        "quarterly target(s) cover only part of a fiscal year with no year target: a year's "
        "target is its year row, or the sum of its four quarters, so these accounts have no "
        "target for that year.",
    ),
)


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in [
        TableSpec(
            "accounts",
            required=("account_id", "account_name"),
            optional=(
                "owner",
                "region",
                "industry",
                "segment",
                "tier",
                "parent_id",
                "plan_updated",
                "last_qbr",
            ),
            types=_t(
                account_id=TEXT,
                account_name=TEXT,
                owner=TEXT,
                region=TEXT,
                industry=TEXT,
                segment=TEXT,
                tier=TEXT,
                parent_id=TEXT,
                plan_updated=DATE,
                last_qbr=DATE,
            ),
            synonyms=("accounts", "account", "customers", "customer", "clients", "companies"),
            description="One row per account (customer).",
            needs_rows=True,
            one_row_per_id=True,
            derived={"tier": _TIER},
        ),
        TableSpec(
            "revenue",
            required=("account_id", "date", "amount"),
            optional=("product", "business_unit", "account_name"),
            types=_t(
                account_id=TEXT,
                date=DATE,
                amount=NUMBER,
                product=TEXT,
                business_unit=TEXT,
                account_name=TEXT,
            ),
            synonyms=(
                "revenue",
                "revenues",
                "sales",
                "bookings",
                "invoices",
                "billing",
                "orders",
                "transactions",
                "arr",
                "mrr",
            ),
            description="Revenue lines: an amount for an account on a date.",
            needs_rows=True,
            skip_blank=("amount", "date"),
            orphan=UNKNOWN_ACCOUNT,
        ),
        TableSpec(
            "wallet",
            required=("account_id", "wallet"),
            optional=("year", "as_of", "product"),
            types=_t(account_id=TEXT, wallet=NUMBER, year=NUMBER, as_of=DATE, product=TEXT),
            synonyms=("wallet", "wallets", "wallet estimates", "share of wallet", "tam"),
            description="The customer's total yearly spend in our categories (estimate).",
            orphan=UNKNOWN_ACCOUNT,
        ),
        TableSpec(
            "scores",
            required=("account_id",),
            optional=(
                "expansion_potential",
                "strategic_fit",
                "executive_access",
                "reference_value",
                "competitive_position",
            ),
            types=_t(
                account_id=TEXT,
                expansion_potential=SCORE,
                strategic_fit=SCORE,
                executive_access=SCORE,
                reference_value=SCORE,
                competitive_position=SCORE,
            ),
            synonyms=("scores", "scoring", "tiering", "tier scores", "scorecard", "segmentation"),
            description="Tiering criteria scored 1-5 per account.",
            orphan=UNKNOWN_ACCOUNT,
        ),
        TableSpec(
            "stakeholders",
            required=("account_id", "name"),
            optional=(
                "title",
                "role",
                "level",
                "influence",
                "sentiment",
                "strength",
                "last_contact",
                "contact_id",
                "reports_to",
            ),
            types=_t(
                account_id=TEXT,
                name=TEXT,
                title=TEXT,
                role=TEXT,
                level=TEXT,
                influence=SCORE,
                sentiment=TEXT,
                strength=SCORE,
                last_contact=DATE,
                # the contact's own ID and whom it reports to (a contact's name or ID, within
                # the same account): the lines of the relationship map
                contact_id=TEXT,
                reports_to=TEXT,
            ),
            synonyms=("stakeholders", "contacts", "stakeholder map", "people", "relationships"),
            description="Contacts at the account with their influence and sentiment.",
            derived={"sentiment": "lower(sentiment)", "level": "lower(level)"},
            orphan=UNKNOWN_ACCOUNT,
        ),
        TableSpec(
            "opportunities",
            required=("account_id", "amount"),
            one_of=(("stage", "status"),),
            optional=(
                "opportunity_id",
                "product",
                "business_unit",
                "close_date",
                "owner",
                "account_name",
                "actual_amount",
                "actual_close_date",
            ),
            types=_t(
                account_id=TEXT,
                amount=NUMBER,
                stage=TEXT,
                status=TEXT,
                opportunity_id=TEXT,
                product=TEXT,
                business_unit=TEXT,
                close_date=DATE,
                owner=TEXT,
                account_name=TEXT,
                actual_amount=NUMBER,
                actual_close_date=DATE,
            ),
            synonyms=("opportunities", "opportunity", "opps", "pipeline", "deals"),
            description="Open and closed opportunities.",
            needs_rows=True,
            skip_blank=("amount",),
            keep_blank={
                "amount": (
                    f"NOT ({_WON} OR {_LOST})",
                    "open_deal_without_amount",
                    "open deal(s) have no amount: counted in the pipeline with the amount unknown.",
                )
            },
            derived={
                # a won deal's actual figures (Dynamics "Actual Revenue" / "Actual Close Date",
                # Pipedrive "Won time") win over the estimates when present
                "amount": f"CASE WHEN {_WON} AND actual_amount IS NOT NULL "
                "THEN actual_amount ELSE amount END",
                "close_date": f"CASE WHEN {_WON} AND actual_close_date IS NOT NULL "
                "THEN actual_close_date ELSE close_date END",
                "is_won": _WON,
                "is_lost": f"(NOT {_WON} AND {_LOST})",
                "is_open": f"NOT ({_WON} OR {_LOST})",
            },
            orphan=(
                "opportunity_without_account",
                "opportunity row(s) have no matching account in the accounts table.",
            ),
        ),
        TableSpec(
            "qbr",
            required=("account_id", "date"),
            optional=(
                "relationship_depth",
                "pipeline_coverage",
                "plan_currency",
                "notes",
                "commitments_due",
                "commitments_done",
            ),
            types=_t(
                account_id=TEXT,
                date=DATE,
                relationship_depth=SCORE,
                pipeline_coverage=SCORE,
                plan_currency=SCORE,
                notes=TEXT,
                commitments_due=NUMBER,
                commitments_done=NUMBER,
            ),
            synonyms=("qbr", "qbrs", "qbr scores", "business reviews", "reviews"),
            description="Quarterly business review scores (1-5) per account.",
            orphan=UNKNOWN_ACCOUNT,
        ),
        TableSpec(
            "products",
            required=("product",),
            optional=("product_line", "list_price"),
            types=_t(product=TEXT, product_line=TEXT, list_price=NUMBER),
            synonyms=("products", "product list", "catalog", "catalogue", "price list"),
            description="Our product list.",
        ),
        TableSpec(
            "team",
            required=("owner",),
            optional=("manager", "team"),
            types=_t(owner=TEXT, manager=TEXT, team=TEXT),
            synonyms=("team", "teams", "kams", "owners", "sales team", "users", "reps"),
            description="Account owners (KAMs), their manager and team.",
        ),
        TableSpec(
            "targets",
            required=("account_id", "period", "target"),
            optional=(),
            types=_t(account_id=TEXT, period=TEXT, target=NUMBER),
            synonyms=(
                "targets",
                "target",
                "growth goals",
                "goals",
                "goal",
                "quotas",
                "quota",
                "revenue targets",
                "sales targets",
                "account targets",
                "revenue goals",
                "revenue plan",
                "sales plan",
            ),
            description="Growth goals: target revenue per account and fiscal year or quarter.",
            skip_blank=("period", "target"),
            derived={"period": _PERIOD},
            orphan=UNKNOWN_ACCOUNT,
            checks=TARGET_CHECKS,
        ),
    ]
}

# Synonyms of canonical columns, compared after normalize(). Table-specific entries win over
# the general ones (e.g. "name" is the contact's name in stakeholders, the account's elsewhere).
COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "account_id": (
        "account id",
        "acct id",
        "account number",
        "account no",
        "account #",
        "acct #",
        "acct no",
        "customer id",
        "customer number",
        "customer no",
        "client id",
        "company id",
        "account key",
        "crm id",
        "sfdc id",
        "associated company id",  # HubSpot deals export
        "associated company ids",
        "organization id",  # Pipedrive
        "org id",
        "account",
    ),
    "account_name": (
        "account name",
        "acct name",
        "customer",
        "customer name",
        "client",
        "client name",
        "company",
        "company name",
        "organisation",
        "organization",
        "organization name",
        "organisation name",
        "associated company",  # HubSpot deals export
        "potential customer",  # Dynamics 365 opportunities
    ),
    "owner": (
        "owner",
        "account owner",
        "kam",
        "key account manager",
        "account manager",
        "am",
        "rep",
        "sales rep",
        "salesperson",
        "opportunity owner",
        "deal owner",  # HubSpot, Zoho
        "sales agent",
        "agent",
        "owner name",
    ),
    "region": (
        "region",
        "territory",
        "geo",
        "geography",
        "area",
        "market",
        "office location",
        "country",
    ),
    "industry": ("industry", "vertical", "sector", "industry segment"),
    "segment": ("segment", "customer segment", "size segment", "account segment"),
    "tier": ("tier", "account tier", "assigned tier", "kam tier", "priority"),
    "parent_id": (
        "parent id",
        "parent account id",
        "parent account",
        "ultimate parent id",
        "subsidiary of",
        "parent company",
        "parent",
    ),
    "plan_updated": (
        "plan updated",
        "account plan updated",
        "plan last updated",
        "plan date",
        "plan updated on",
        "last plan update",
    ),
    "last_qbr": ("last qbr", "last qbr date", "last business review", "qbr date"),
    "date": (
        "date",
        "invoice date",
        "order date",
        "booking date",
        "period",
        "month",
        "revenue date",
        "transaction date",
        "posting date",
        "qbr date",
        "review date",
        "meeting date",
    ),
    "amount": (
        "amount",
        "revenue",
        "sales",
        "sales amount",
        "net revenue",
        "value",
        "arr",
        "mrr",
        "close value",
        "deal value",
        "opportunity amount",
        "total",
        "net amount",
        "invoice amount",
        "booking amount",
        "amount usd",
    ),
    "product": (
        "product",
        "product name",
        "product line",
        "product category",
        "sku",
        "item",
        "solution",
    ),
    "business_unit": (
        "business unit",
        "bu",
        "division",
        "customer bu",
        "customer division",
        "department",
        "site",
        "subsidiary",
    ),
    "wallet": (
        "wallet",
        "wallet size",
        "wallet estimate",
        "total wallet",
        "addressable spend",
        "total spend",
        "category spend",
        "tam",
        "potential",
    ),
    "year": ("year", "fiscal year", "fy"),
    "as_of": ("as of", "as of date", "estimate date", "valid from"),
    "expansion_potential": ("expansion potential", "growth potential", "expansion"),
    "strategic_fit": ("strategic fit", "fit", "strategic alignment"),
    "executive_access": ("executive access", "exec access", "c level access"),
    "reference_value": ("reference value", "reference", "referenceability", "advocacy"),
    "competitive_position": ("competitive position", "competition", "competitive"),
    "name": ("name", "contact", "contact name", "full name", "stakeholder", "person"),
    "title": ("title", "job title", "position"),
    "role": ("role", "buying role", "decision role", "persona"),
    "level": ("level", "seniority", "contact level", "management level"),
    "influence": ("influence", "influence score", "power"),
    "sentiment": ("sentiment", "attitude", "disposition", "relationship status", "stance"),
    "strength": ("strength", "relationship strength", "relationship", "rapport"),
    "last_contact": (
        "last contact",
        "last contacted",
        "last contact date",
        "last activity",
        "last meeting",
        "last touch",
    ),
    "contact_id": ("contact id", "contact record id", "contact number", "contact no", "person id"),
    # whom the contact reports to (Salesforce "Reports To", "ReportsToId"); "manager" is the
    # team table's own column elsewhere, so here it is the stakeholders' (TABLE_COLUMN_SYNONYMS)
    "reports_to": (
        "reports to",
        "reports to name",
        "reports to full name",
        "reports to contact",
        "reports to id",
        "reportstoid",
        "reportsto",
        "line manager",
        "direct manager",
        "supervisor",
    ),
    "stage": (
        "stage",
        "opportunity stage",
        "sales stage",
        "deal stage",
        "pipeline stage",
        "stage name",
        "phase",
        "pipeline phase",  # Dynamics 365
    ),
    "status": (
        "status",
        "opportunity status",
        "deal status",
        "state",
        "outcome",
        "won lost",
        "status reason",  # Dynamics 365, when its Status column is left out
    ),
    "opportunity_id": (
        "opportunity id",
        "opp id",
        "deal id",
        "opportunity number",
        "id",
        "record id",  # HubSpot, Zoho
    ),
    "close_date": (
        "close date",
        "closed date",
        "closing date",  # Zoho
        "expected close",
        "expected close date",  # Pipedrive
        "est close date",  # Dynamics 365
        "estimated close date",
        "close",
        "won date",
        "deal closed on",
    ),
    # a won deal's actual figures, which win over the estimates (contract.TABLES derived)
    "actual_amount": ("actual revenue", "actual amount", "actual value", "won amount"),
    "actual_close_date": (
        "actual close date",
        "actual close",
        "won time",  # Pipedrive
        "won on",
        "date won",
    ),
    "relationship_depth": ("relationship depth", "relationship score", "depth"),
    "pipeline_coverage": ("pipeline coverage", "pipeline score", "coverage"),
    "plan_currency": ("plan currency", "plan score", "plan freshness"),
    "notes": ("notes", "comments", "remarks", "summary"),
    "commitments_due": ("commitments due", "commitments", "actions due"),
    "commitments_done": ("commitments done", "commitments met", "actions done", "completed"),
    "product_line": ("product line", "product family", "category", "line", "series"),
    "list_price": ("list price", "price", "unit price", "sales price"),
    "manager": ("manager", "sales manager", "reports to", "team lead"),
    "period": ("period", "fiscal period", "target period", "fiscal year", "fy", "year", "quarter"),
    "target": (
        "target",
        "target revenue",
        "revenue target",
        "quota",
        "revenue quota",
        "sales quota",
        "goal",
        "revenue goal",
        "growth goal",
        "sales goal",
        "plan",
        "revenue plan",
        "sales plan",
        "target amount",
    ),
    "team": ("team", "sales team", "office", "team name", "regional office", "sales office"),
}

# Per-table overrides: where the same header means different things in different tables.
TABLE_COLUMN_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    # a bare "Name" is the account's only in the accounts table (on a deal it names the deal)
    "accounts": {
        "account_name": (*COLUMN_SYNONYMS["account_name"], "name"),
        "account_id": (*COLUMN_SYNONYMS["account_id"], "record id"),  # HubSpot companies
    },
    "stakeholders": {
        "name": ("name", "contact", "contact name", "full name", "stakeholder"),
        "reports_to": (*COLUMN_SYNONYMS["reports_to"], "manager", "manager name", "boss"),
        "contact_id": (*COLUMN_SYNONYMS["contact_id"], "id", "record id"),
    },
    "products": {"product": ("product", "product name", "sku", "item", "name")},
    "team": {
        "owner": (
            "owner",
            "kam",
            "name",
            "rep",
            "user",
            "account manager",
            "full name",
            "sales agent",
            "agent",
            "sales rep",
        )
    },
    "qbr": {"date": ("date", "qbr date", "review date", "meeting date", "quarter date")},
    "opportunities": {
        "amount": (
            "amount",
            "close value",
            "deal value",
            "opportunity amount",
            "deal amount",
            "est revenue",  # Dynamics 365 "Est. Revenue"
            "estimated revenue",
        )
    },
}


def normalize(name: object) -> str:
    """Case, spacing and punctuation insensitive key: 'Account-Name ' -> 'account name'."""
    s = str(name or "").strip().lower().replace("#", " # ")
    s = re.sub(r"[_\-./\\()\[\]:,;'\"]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()
