"""The definition of each figure, in plain words, for the Definitions page and help texts.

One text per figure, written beside the metrics that compute it (the module named in each
entry); `settings` names the `Settings` fields the figure depends on, so a page can show their
values next to the text. Texts are plain: no Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Definition:
    key: str  # stable identifier: "nrr", "tier_score"...
    name: str  # what the page calls it
    text: str  # the definition, plain text
    settings: tuple[str, ...] = ()  # names of the `Settings` fields the figure uses


DEFINITIONS = [
    Definition(
        "nrr",
        "Net revenue retention (NRR)",
        "Trailing-twelve-month basis: the cohort is the accounts with revenue in the twelve "
        "months ending a year before the quarter; NRR = their revenue in the twelve months to "
        "the quarter / their revenue a year before. New accounts are left out; an account that "
        "left and came back counts with what it has now. Undefined when the year-ago window is "
        "not fully inside the data.",
        ("retention_basis", "nrr_target", "fiscal_year_start_month"),
    ),
    Definition(
        "grr",
        "Gross revenue retention (GRR)",
        "Same cohort as NRR; each account counts at most what it had a year before, so "
        "expansion never offsets losses: GRR = sum of min(revenue now, revenue a year before) / "
        "revenue a year before. Never above 100%.",
        ("retention_basis", "fiscal_year_start_month"),
    ),
    Definition(
        "point_in_time",
        "Point-in-time retention",
        "NRR and GRR on one quarter's revenue against the same quarter a year before, with the "
        "same cohort rule, for recurring-revenue extracts. Undefined when that quarter is "
        "before the data starts.",
        ("retention_basis",),
    ),
    Definition(
        "revenue_bridge",
        "Revenue bridge",
        "From a start period to an end period, per account: start + new + expansion + "
        "reactivation - contraction - churn = end, summing exactly. New: no revenue before; "
        "reactivation: revenue before the start period but none in it; churn: revenue at the "
        "start, none at the end.",
        ("fiscal_year_start_month",),
    ),
    Definition(
        "share_of_wallet",
        "Share of wallet",
        "Our twelve-month revenue / the account's wallet estimate (the latest estimate dated on "
        "or before the period; an undated one when there is none). For a group: total revenue / "
        "total wallet over its active accounts that have an estimate; the others are counted "
        "apart.",
        ("fiscal_year_start_month",),
    ),
    Definition(
        "concentration",
        "Revenue concentration",
        "On twelve-month revenue of the last complete quarter, over active accounts: the share "
        "of revenue of the top 10% and 20% of accounts (rounded to the nearest whole account, "
        "at least one), the HHI (sum of squared revenue shares in percent, 0 to 10,000) and "
        "the Pareto curve.",
        (),
    ),
    Definition(
        "as_of",
        "As-of date",
        "The latest revenue (or won-deal) date, unless set in the settings. Contacts, plan "
        "updates and QBRs dated later are shown as written and count 0 days; they never move "
        "the as-of date, nor do close dates of open deals.",
        ("as_of",),
    ),
    Definition(
        "partial_period",
        "Partial period",
        "A quarter is partial when the as-of date falls before its last month. Its figures "
        "are flagged, never silently compared with complete quarters.",
        ("as_of", "fiscal_year_start_month"),
    ),
    Definition(
        "tier_score",
        "Tier score",
        "Weighted mean of the 1-5 criteria an account has (the weights of missing criteria "
        "are shared out among the others). Current revenue is scored by twelve-month revenue "
        "quintile among active accounts. The score suggests Tier 1 at or above the Tier 1 "
        "minimum, Tier 2 at or above the Tier 2 minimum, else Tier 3.",
        ("tier_weights", "tier1_min", "tier2_min"),
    ),
    Definition(
        "revenue_tiers",
        "Tiers from revenue alone",
        "When current revenue is the only criterion (no scores sheet), the suggested tier "
        "follows the field's rule of thumb on twelve-month revenue rank among active accounts: "
        "Tier 1 = the top share of accounts (default 10%), Tier 2 = the next share (default "
        "20%), Tier 3 = the rest and accounts without revenue. Counts are rounded to the "
        "nearest whole account (at least one in Tier 1); tied accounts share the higher tier. "
        "The Tiers page says when tiers come from revenue alone.",
        ("revenue_tier1_share", "revenue_tier2_share"),
    ),
    Definition(
        "revenue_at_risk",
        "Revenue at risk",
        "Twelve-month revenue of the accounts needing attention: shrinking (revenue below the "
        "shrinking ratio of a year before), single-threaded where it matters (accounts of the "
        "single-thread tiers, or with at least the single-thread revenue), with a stale plan, "
        "or red at their latest QBR as of the quarter. The list is ranked by it, the accounts "
        "with the most revenue at risk first, and shows the first attention rows; each reason "
        "is a filter. A check whose table or column is missing is said to be not checked, "
        "never read as nothing found.",
        (
            "shrinking_ratio",
            "active_strength_min",
            "single_thread_tiers",
            "single_thread_min_revenue",
            "plan_cadence_days",
            "rag_amber_min",
            "attention_rows",
        ),
    ),
    Definition(
        "stakeholder_coverage",
        "Stakeholder coverage",
        "Contacts with relationship strength at or above the active minimum / contacts mapped. "
        "Multithread depth = number of such contacts; single-threaded = at most one; executive "
        "access = an executive-level contact (see contact level) at that strength.",
        ("active_strength_min",),
    ),
    Definition(
        "contact_level",
        "Contact level",
        "Each contact is an executive, a manager or a user: the level column when it says so "
        "(CRM seniority words such as C-Level, VP, Director or Non-Manager included), else the "
        "job title (Chief, President, VP, Managing Director: executive; Director, Head, "
        "Manager, Lead: manager; any other title: user), else not recorded.",
        (),
    ),
    Definition(
        "relationship_map",
        "Relationship map",
        "An account's contacts placed by level (executive at the top) and influence, coloured "
        "by sentiment, sized by relationship strength, with a line from each contact to the "
        "one it reports to: the reports-to column names a contact of the same account by its "
        "contact ID or its name (case and spacing ignored); an entry that matches no contact, "
        "or several, draws no line and is counted in a note.",
        ("active_strength_min",),
    ),
    Definition(
        "relationship_gaps",
        "Relationship gaps",
        "What the map is missing. No executive access: no executive contact at the active "
        "strength, or access only through detractors. Buying roles with no active "
        "relationship: each role of the buying roles setting that no active contact holds "
        "(A / B in the setting accepts either word). Levels with no active relationship: "
        "manager or user level without an active contact. Contacts not touched: last contact "
        "more days before the as-of date than the stale setting, or no last-contact date.",
        ("active_strength_min", "buying_roles", "contact_stale_days"),
    ),
    Definition(
        "qbr_score",
        "QBR score",
        "Weighted mean of the 1-5 dimensions a review has (relationship depth, pipeline "
        "coverage, plan currency). Green at or above the green minimum, amber at or above the "
        "amber minimum, red below; trend = change since the previous QBR.",
        ("qbr_weights", "rag_green_min", "rag_amber_min"),
    ),
    Definition(
        "whitespace_potential",
        "Whitespace potential",
        "For a product an account does not buy: the median twelve-month spend on it among "
        "peers who buy it. Peers are accounts of the same industry within the size factor of "
        "its revenue, or the whole portfolio when there are fewer than the minimum. A median "
        "of fewer buyers than the minimum peer figure is not shown (no estimate): it would "
        "reveal another account's spend and says little. Cells in open pipeline are marked. "
        "Confidence: high when the median is of industry peers of similar size, low when the "
        "account fell back to the whole portfolio (the same median for every such account); "
        "the biggest opportunities list every high-confidence estimate before the low ones.",
        ("peer_size_factor", "peer_min_count", "min_peers"),
    ),
    Definition(
        "retention_groups",
        "Retention by group",
        "NRR or GRR of each group's accounts (tier, region, industry, KAM, team), with the "
        "number of accounts in its cohort (active a year before). A group of fewer accounts "
        "than the minimum is drawn apart and marked too few to compare: one or two accounts "
        "can put a group at 200%. The split first shown is the first dimension with more "
        "than one value in the extract.",
        ("min_group_accounts", "retention_basis"),
    ),
    # -- KAM program (metrics/program.py) and growth goals (metrics/goals.py) -------------------
    Definition(
        "kam_book",
        "A KAM's book (program metrics)",
        "The accounts a KAM owns (a team: its KAMs' accounts) that have revenue in the twelve "
        "months to the quarter. The program rates below count these accounts; an earlier "
        "quarter is seen as of its end.",
        ("fiscal_year_start_month",),
    ),
    Definition(
        "plan_freshness_rate",
        "Plan freshness rate",
        "Share of the book's accounts whose account plan was updated within the plan cadence "
        "of the account's tier (untiered: the Tier 3 cadence). An account with no plan date "
        "counts as not fresh. Current only: an extract holds only the latest plan date.",
        ("plan_cadence_days",),
    ),
    Definition(
        "qbr_cadence_adherence",
        "QBR cadence adherence",
        "Share of the book's accounts, among those of a tier with a QBR cadence, whose latest "
        "QBR (QBR sheet or last QBR date) is at most that many days old. Tiers without a "
        "cadence are not counted. Before the QBR history starts (the QBR sheet's first date) "
        "it is not defined.",
        ("qbr_cadence_days",),
    ),
    Definition(
        "multithreading",
        "Multithreading",
        "Share of the book's accounts with at least two active relationships (contacts at or "
        "above the active strength). Executive access: share with an executive-level contact "
        "at that strength. Current only: the stakeholder sheet holds today's contacts.",
        ("active_strength_min",),
    ),
    Definition(
        "growth_target",
        "Growth goal (target)",
        "Target revenue per account for a fiscal year (FY2026) or a fiscal quarter (2026Q1, "
        "in the fiscal calendar of the settings). A year's target is its year row, else the "
        "sum of its four quarters; quarters that do not add up to the year, or a year with "
        "only some quarters, are reported at load (the year row wins; some quarters alone "
        "set no target). Rows of one account and period add up.",
        ("fiscal_year_start_month",),
    ),
    Definition(
        "attainment",
        "Goal attainment",
        "Fiscal-year-to-date revenue (from the first day of the fiscal year to the as-of date) "
        "/ the year's target. For a KAM, a tier or the portfolio: over the accounts with a "
        "target only (total year-to-date revenue / total target); the accounts without one "
        "are counted apart.",
        ("fiscal_year_start_month", "as_of"),
    ),
    Definition(
        "projection",
        "Projection",
        "Fiscal-year-to-date revenue × days in the fiscal year / days elapsed (the first day "
        "to the as-of date, both included); projected attainment = projection / target.",
        ("fiscal_year_start_month", "as_of"),
    ),
    Definition(
        "gap_and_coverage",
        "Gap to goal and pipeline coverage",
        "Gap = target − fiscal-year-to-date revenue, at least 0 (a group's: its total target − "
        "its total revenue, so an account ahead offsets one behind). Pipeline coverage = open "
        "pipeline with a known amount and an expected close after the as-of date, up to the "
        'end of the fiscal year, of the accounts with a target / gap. A gap of 0 is "goal '
        'met".',
        ("fiscal_year_start_month", "as_of"),
    ),
]

BY_KEY = {d.key: d for d in DEFINITIONS}
