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
        "revenue_at_risk",
        "Revenue at risk",
        "Twelve-month revenue of the accounts needing attention: shrinking (revenue below the "
        "shrinking ratio of a year before), single-threaded, with a stale plan, or red at their "
        "latest QBR as of the quarter.",
        ("shrinking_ratio", "active_strength_min", "plan_cadence_days", "rag_amber_min"),
    ),
    Definition(
        "stakeholder_coverage",
        "Stakeholder coverage",
        "Contacts with relationship strength at or above the active minimum / contacts mapped. "
        "Multithread depth = number of such contacts; single-threaded = at most one; executive "
        "access = an executive-level contact at that strength.",
        ("active_strength_min",),
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
        "its revenue, or the whole portfolio when there are fewer than the minimum. Cells in "
        "open pipeline are marked.",
        ("peer_size_factor", "peer_min_count"),
    ),
]

BY_KEY = {d.key: d for d in DEFINITIONS}
