"""The deterministic sample portfolio: a realistic KAM extract, as a CRM would export it.

`build_portfolio()` returns one DataFrame per canonical table, with the column headers a CRM
export would write ("Account ID", "Invoice Date", "Relationship Strength"...), all of them
recognised by the synonyms in `contract.py`, plus one or two extra columns (e.g. "Website",
"Invoice Number") to show extras are kept. `write_sample()` writes the shipped extract
(`data/sample/kamdash_sample.xlsx` and `data/sample/csv/<table>.csv`), `write_large()` the
same model at benchmark sizes.

Everything is drawn from generators seeded with `seed` (numpy `default_rng`, `random.Random`);
nothing reads the clock: the same arguments give byte-identical files. "Today" is fixed at
14 days after the last month of revenue (2026-10-15 for the default window
2023-10-01 .. 2026-09-30, whose last quarter is complete).

Stories a revenue leader would recognise, built in on purpose:
- concentration: account sizes are log-normal, the top 20% carry roughly 70% of revenue;
- expanders (growth of 25-60% a year plus cross-sold products: NRR above 120%), contracting
  accounts, churned accounts (revenue stops part way), two win-backs (churn, then come back),
  new logos in the last year, lost product lines, and a handful of credit notes;
- single-threaded accounts (at most one contact with strength >= 3), big ones included;
- reporting lines (who reports to whom) at the Tier 1 and 2 accounts, and a big Tier 1
  account whose only executive contact is a detractor;
- stale account plans (Tier 1 plans last updated more than six months ago);
- three accounts whose assigned tier disagrees with the tier their scores suggest;
- growth goals for this fiscal year (most Tier 1 and 2 accounts; a few set per quarter, the
  rest none): one KAM ahead of goal, the drifting KAM behind with thin pipeline;
- one KAM whose book is drifting: QBR scores falling quarter by quarter into red, thin
  pipeline, stale plans.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import re
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kamdash.core.settings import DEFAULT_TIER_WEIGHTS
from kamdash.metrics.tiering import CURRENT_REVENUE, revenue_quintile, weighted_score

# --------------------------------------------------------------------------------------------
# Export headers per canonical table: (header as the CRM writes it, canonical column or None
# for an extra column that is not part of the contract and must be kept as is).
# --------------------------------------------------------------------------------------------
HEADERS: dict[str, list[tuple[str, str | None]]] = {
    "accounts": [
        ("Account ID", "account_id"),
        ("Account Name", "account_name"),
        ("Account Owner", "owner"),
        ("Region", "region"),
        ("Industry", "industry"),
        ("Segment", "segment"),
        ("Tier", "tier"),
        ("Parent Account ID", "parent_id"),
        ("Plan Last Updated", "plan_updated"),
        ("Last QBR Date", "last_qbr"),
        ("Website", None),
    ],
    "revenue": [
        ("Invoice Date", "date"),
        ("Invoice Number", None),
        ("Account ID", "account_id"),
        ("Product", "product"),
        ("Business Unit", "business_unit"),
        ("Amount", "amount"),
    ],
    "wallet": [
        ("Account ID", "account_id"),
        ("Fiscal Year", "year"),
        ("Wallet Estimate", "wallet"),
        ("Estimate Source", None),
    ],
    "scores": [
        ("Account ID", "account_id"),
        ("Expansion Potential", "expansion_potential"),
        ("Strategic Fit", "strategic_fit"),
        ("Executive Access", "executive_access"),
        ("Reference Value", "reference_value"),
        ("Competitive Position", "competitive_position"),
    ],
    "stakeholders": [
        ("Account ID", "account_id"),
        ("Contact Name", "name"),
        ("Job Title", "title"),
        ("Buying Role", "role"),
        ("Seniority", "level"),
        ("Influence", "influence"),
        ("Sentiment", "sentiment"),
        ("Relationship Strength", "strength"),
        ("Last Contact Date", "last_contact"),
        ("Reports To", "reports_to"),
        ("Email", None),
    ],
    "opportunities": [
        ("Opportunity ID", "opportunity_id"),
        ("Opportunity Name", None),
        ("Account ID", "account_id"),
        ("Product", "product"),
        ("Business Unit", "business_unit"),
        ("Amount", "amount"),
        ("Stage", "stage"),
        ("Close Date", "close_date"),
        ("Opportunity Owner", "owner"),
    ],
    "qbr": [
        ("Account ID", "account_id"),
        ("QBR Date", "date"),
        ("Relationship Depth", "relationship_depth"),
        ("Pipeline Coverage", "pipeline_coverage"),
        ("Plan Currency", "plan_currency"),
        ("Notes", "notes"),
        ("Commitments Due", "commitments_due"),
        ("Commitments Done", "commitments_done"),
    ],
    "products": [
        ("Product", "product"),
        ("Product Line", "product_line"),
        ("List Price", "list_price"),
    ],
    "team": [
        ("Full Name", "owner"),
        ("Manager", "manager"),
        ("Team", "team"),
        ("Email", None),
    ],
    "targets": [
        ("Account ID", "account_id"),
        ("Period", "period"),
        ("Revenue Target", "target"),
        ("Set By", None),
    ],
}

# Sheet names of the workbook (CSV files are named <table>.csv).
SHEETS = {
    "accounts": "Accounts",
    "revenue": "Revenue",
    "wallet": "Wallet",
    "scores": "Scores",
    "stakeholders": "Stakeholders",
    "opportunities": "Opportunities",
    "qbr": "QBR",
    "products": "Products",
    "team": "Team",
    "targets": "Targets",
}

DATE_COLUMNS = {
    "accounts": ("plan_updated", "last_qbr"),
    "revenue": ("date",),
    "stakeholders": ("last_contact",),
    "opportunities": ("close_date",),
    "qbr": ("date",),
}

XLSX_NAME = "kamdash_sample.xlsx"

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------
# (region, share of accounts, TLD, company suffixes, subsidiary countries)
REGIONS = [
    ("North America", 0.34, "com", ["Inc.", "Corp.", "LLC", ", Inc.", "Group"], ["USA", "Canada"]),
    ("Northern Europe", 0.22, "eu", ["Ltd", "plc", "AB", "GmbH", "Group"], ["UK", "Germany"]),
    ("Southern Europe", 0.18, "eu", ["S.A.", "S.p.A.", "SAS", "Group", ""], ["France", "Italy"]),
    ("APAC", 0.16, "com", ["Pte Ltd", "Pty Ltd", "K.K.", "Holdings", ""], ["Japan", "Australia"]),
    (
        "Latin America",
        0.10,
        "com",
        ["S.A.", "Ltda.", "S.A. de C.V.", "Group"],
        ["Brazil", "Mexico"],
    ),
]

# The ten named KAMs: (name, region, team, manager)
KAMS = [
    ("Sarah Mitchell", "North America", "NA East", "Laura Bennett"),
    ("James O'Connor", "North America", "NA East", "Laura Bennett"),
    ("Priya Raman", "North America", "NA West", "Laura Bennett"),
    ("Lukas Becker", "Northern Europe", "Europe North", "Henrik Larsen"),
    ("Emma Lindqvist", "Northern Europe", "Europe North", "Henrik Larsen"),
    ("Marco Rossi", "Southern Europe", "Europe South", "Henrik Larsen"),
    ("Sofía Navarro", "Southern Europe", "Europe South", "Henrik Larsen"),
    ("Kenji Watanabe", "APAC", "APAC", "Mei Lin Tan"),
    ("Olivia Chen", "APAC", "APAC", "Mei Lin Tan"),
    ("Rafael Costa", "Latin America", "LATAM", "Mei Lin Tan"),
]
DRIFTING_KAM = "Lukas Becker"
AHEAD_KAM = "Olivia Chen"  # ahead of the growth goals set for this fiscal year

INDUSTRIES = {
    "Manufacturing": ["Industries", "Manufacturing", "Components", "Machinery", "Engineering"],
    "Retail": ["Retail", "Stores", "Brands", "Outfitters", "Retail Group"],
    "Financial Services": ["Bank", "Capital", "Insurance", "Financial", "Assurance"],
    "Healthcare": ["Health", "Medical", "Pharma", "Biosciences", "Care"],
    "Logistics": ["Logistics", "Freight", "Shipping", "Transport", "Cargo"],
    "Energy & Utilities": ["Energy", "Power", "Utilities", "Renewables", "Grid"],
    "Technology": ["Systems", "Software", "Technologies", "Networks", "Digital"],
    "Telecommunications": ["Telecom", "Communications", "Mobile", "Connect", "Broadband"],
}


def _words(s: str) -> list[str]:
    """Whitespace-separated words; '_' stands for a space inside one entry."""
    return [w.replace("_", " ") for w in s.split()]


INDUSTRY_SHARE = [0.17, 0.14, 0.14, 0.12, 0.12, 0.10, 0.12, 0.09]

PREFIXES = _words(
    """Northwind Apex Blue_Harbor Summit Crescent Ironbridge Silverline Redwood Granite
Evergreen Pioneer Horizon Keystone Lakeshore Meridian Oakridge Pinnacle Riverside Sterling
Trident Vanguard Westfield Beacon Cobalt Eastgate Falconer Harborview Juniper Kingsway
Lighthouse Monarch Nordvik Orion Polaris Regal Sapphire Titanfield Unity Vertex Willow Zenith
Aurora Bristol Cascade Dominion Frontier Gateway Highland Jetstream Kestrel Liberty Maple
Northstar Oceanic Paragon Crownpoint Bluewater Clearview Copperfield Driftwood Emberly Fairhaven
Greystone Hawthorne Ironwood Larkspur Millbrook Newhaven Oakmont Peregrine Quayside Rosewood
Stonegate Thornbury Upland Valemont Whitecliff Yellowstone Ashford Briarwood Castlegate
Deerfield Elmstead Foxhollow Glenmore Hillcrest Ivybridge Kingfisher Lindenwood Moorland"""
)

FIRST_NAMES = _words(
    """Anna Ben Carla David Elena Farid Grace Hannah Ivan Julia Kevin Lena Mateo Nadia Omar
Paula Quentin Rosa Samuel Tara Umar Vera William Xin Yusuf Zoe Aisha Bruno Chloe Diego Emil Fatima
Georg Hugo Ingrid Jonas Katarina Liam Maya Nils Olga Pedro Rania Stefan Tomas Ursula Victor Wendy
Yara Amir Beatriz Connor Daniela Eamon Freya Gustavo Helena Isaac Jasmine Kofi Lucia Mikael
Noor Oscar Petra Ravi Sanne Theo Valentina Wei Akira Bianca Chidi Dara"""
)
LAST_NAMES = _words(
    """Smith Johnson Garcia M\u00fcller Rossi Dubois Silva Tanaka Kim Nguyen Patel Cohen
Andersson Novak Kowalski Jensen Murphy O'Brien Schmidt Fischer Romano Moreau Costa Sato Park Tran
Shah Levi Nilsson Horvat Nowak Hansen Walsh Kelly Weber Wagner Ricci Laurent Pereira Suzuki Lee Pham
Mehta Friedman Berg Kr\u00e1l Lewandowski Larsen Byrne Chen Hoffmann Becker Greco Fontaine Almeida
Ito Choi Vu Iyer Adler Lindberg Varga Zieli\u0144ski Olsen Doyle Wong Bauer Ortiz Santos Mendes
Kato Yoon Do Rao Stein Holm"""
)

BUSINESS_UNITS = [
    "Operations",
    "Finance",
    "R&D",
    "Sales & Marketing",
    "IT",
    "Supply Chain",
    "Customer Service",
    "HR",
]

# (product, product line, list price, popularity, recurring)
PRODUCT_CATALOGUE = [
    ("Core Platform", "Platform", 120_000, 5.0, True),
    ("Analytics Suite", "Software", 60_000, 2.2, True),
    ("Data Integration", "Software", 45_000, 1.6, True),
    ("Security Add-on", "Software", 30_000, 1.3, True),
    ("Mobile Workforce", "Software", 25_000, 0.9, True),
    ("Premium Support", "Support", 20_000, 1.8, True),
    ("Managed Services", "Services", 90_000, 0.8, True),
    ("Professional Services", "Services", 1_800, 1.5, False),
    ("Training & Enablement", "Services", 1_200, 0.9, False),
    ("IoT Connect", "Platform", 40_000, 0.7, True),
    ("AI Assistant", "Software", 35_000, 0.8, True),
    ("Compliance Pack", "Software", 15_000, 0.6, True),
]

EXEC_TITLES = [
    "Chief Executive Officer",
    "Chief Financial Officer",
    "Chief Information Officer",
    "Chief Operating Officer",
    "Chief Technology Officer",
    "Chief Procurement Officer",
    "Chief Digital Officer",
    "EVP Operations",
    "SVP Supply Chain",
    "VP Finance",
    "VP Information Technology",
    "General Manager",
]
MANAGER_TITLES = [
    "Director of IT",
    "Head of Procurement",
    "Finance Director",
    "Operations Director",
    "Head of Data & Analytics",
    "IT Manager",
    "Procurement Manager",
    "Program Manager",
    "Head of Security",
    "Plant Manager",
    "Head of Customer Operations",
    "Engineering Manager",
]
USER_TITLES = [
    "Business Analyst",
    "Data Analyst",
    "Systems Administrator",
    "Operations Specialist",
    "Buyer",
    "Finance Analyst",
    "Solutions Engineer",
    "Project Coordinator",
    "IT Specialist",
    "Power User",
]
ROLES = {
    "Executive": ["Economic Buyer", "Executive Sponsor", "Decision Maker"],
    "Manager": ["Decision Maker", "Technical Evaluator", "Influencer", "Procurement"],
    "User": ["User", "Influencer", "Technical Evaluator", "Gatekeeper"],
}

QBR_NOTES = {
    "green": [
        "Strong quarter; executive sponsor engaged; expansion into {bu} on track.",
        "Joint roadmap agreed; {product} rollout ahead of plan.",
        "Renewal signed early; customer keen to be a reference.",
        "Value review well received; next step: business case for {product}.",
    ],
    "amber": [
        "Stable; pipeline thin for {product}, agree next steps with procurement.",
        "Usage flat in {bu}; adoption workshop planned.",
        "Sponsor supportive but budget review pending for next year.",
        "Good operational relationship, little executive access yet.",
    ],
    "red": [
        "At risk: champion left, no replacement sponsor identified.",
        "Budget freeze announced; {product} renewal under review.",
        "Escalation on service issues in {bu}; recovery plan agreed.",
        "Competitor evaluation under way; plan not updated since last review.",
        "Commitments slipped again; meeting cancelled twice by the customer.",
    ],
}

STAGES_OPEN = ["Prospecting", "Qualification", "Proposal", "Negotiation"]
STAGE_OPEN_P = [0.3, 0.3, 0.25, 0.15]

# Archetype codes of the revenue model
STABLE, EXPAND, CONTRACT, CHURN, WINBACK, NEW, LATE = range(7)
ARCHETYPE_NAMES = ["stable", "expand", "contract", "churn", "winback", "new", "late_start"]

SEASON = np.array([0.93, 0.95, 1.02, 0.98, 1.0, 1.03, 0.95, 0.92, 1.02, 1.03, 1.05, 1.12])


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------
def _rngs(seed: int, section: int) -> tuple[np.random.Generator, random.Random]:
    """Independent generators per section, so changing one part never shifts the others."""
    return np.random.default_rng([seed, section]), random.Random(seed * 1000 + section)


def _day(x) -> np.datetime64:
    return np.datetime64(x, "D")


def _check_args(n_accounts: int, months: int, n_products: int) -> None:
    if n_accounts < 10:
        raise ValueError("n_accounts must be at least 10")
    if months < 15:
        raise ValueError("months must be at least 15 (the stories need five quarters)")
    if not 1 <= n_products <= len(PRODUCT_CATALOGUE):
        raise ValueError(f"n_products must be between 1 and {len(PRODUCT_CATALOGUE)}")


def _simulate(
    n_accounts: int,
    seed: int,
    start: str,
    months: int,
    n_products: int,
    density: float,
) -> dict:
    _check_args(n_accounts, months, n_products)
    n, m = n_accounts, months
    m0 = np.datetime64(str(start)[:7], "M")
    month_start = (m0 + np.arange(months + 1)).astype("datetime64[D]")
    cal_month = (m0 + np.arange(months)).astype(int) % 12  # 0 = January
    life = _lifecycles(n, m, seed)
    cells = _cells(life, seed, n_products, density)
    rev = _revenue_rows(life, cells, seed, n_products, cal_month)
    rev["date"] = month_start[rev["mon"]] + (rev["day"] - 1)

    # trailing twelve months and the year before, per account (the stories are built on them)
    last12 = rev["mon"] >= m - 12
    prev12 = (rev["mon"] >= m - 24) & (rev["mon"] < m - 12)
    ttm = np.bincount(rev["acc"][last12], weights=rev["amount"][last12], minlength=n)
    ttm_prev = np.bincount(rev["acc"][prev12], weights=rev["amount"][prev12], minlength=n)
    last_mon = np.full(n, -1)
    np.maximum.at(last_mon, rev["acc"], rev["mon"])

    return {
        "n": n,
        "months": m,
        "n_products": n_products,
        "month_start": month_start,
        "today": month_start[months] + 14,
        **{k: life[k] for k in ("size", "pct", "arche", "growth", "a_start", "a_end")},
        **{k: cells.pop(k) for k in ("industry", "n_bu", "bu_rank")},
        "cells": cells,
        "rev": rev,
        "ttm": ttm,
        "ttm_prev": ttm_prev,
        "last_mon": last_mon,
    }


def _archetypes(rng: np.random.Generator, n: int, order: np.ndarray) -> np.ndarray:
    """Each account's story (STABLE, EXPAND...); the largest accounts never churn or start late."""
    arche = np.full(n, STABLE)
    perm = rng.permutation(n)
    k = lambda share, least=1: max(least, int(round(share * n)))  # noqa: E731
    counts = [
        (WINBACK, max(2, n // 150)),
        (NEW, k(0.06, 3)),
        (LATE, k(0.05)),
        (CHURN, k(0.07, 3)),
        (EXPAND, k(0.12, 2)),
        (CONTRACT, k(0.10, 2)),
    ]
    # the very largest accounts neither churn nor arrive late: they are the core of the book
    top = set(order[: max(1, n // 50)].tolist())
    pool = [i for i in perm.tolist() if i not in top]
    # a few of the top accounts expand (the compounding story)
    for i in order[: max(1, n // 50)][::2]:
        arche[i] = EXPAND
    pos = 0
    for code, cnt in counts:
        for i in pool[pos : pos + cnt]:
            arche[i] = code
        pos += cnt
    return arche


def _lifecycles(n: int, m: int, seed: int) -> dict:
    """Accounts: size, archetype, active months [a_start, a_end), win-back gap, growth."""
    rng, _ = _rngs(seed, 1)
    # annual revenue around the last year: log-normal (heavy tail), a floor for the smallest
    size = 6_000 + np.exp(rng.normal(np.log(85_000), 1.35, n))
    size = np.minimum(size, 40_000_000)
    order = np.argsort(-size, kind="stable")
    rank = np.empty(n, int)
    rank[order] = np.arange(n)
    pct = 1.0 - rank / max(n - 1, 1)  # 1 = biggest
    arche = _archetypes(rng, n, order)

    a_start = np.zeros(n, int)
    a_end = np.full(n, m)
    gap0 = np.full(n, m)  # win-backs: no revenue in [gap0, gap1)
    gap1 = np.full(n, m)
    growth = rng.normal(0.04, 0.06, n)
    sel = arche == EXPAND
    growth[sel] = rng.uniform(0.25, 0.6, sel.sum())
    sel = arche == CONTRACT
    growth[sel] = rng.uniform(-0.35, -0.12, sel.sum())
    sel = arche == CHURN
    growth[sel] = rng.uniform(-0.3, 0.0, sel.sum())
    a_end[sel] = rng.integers(min(8, m // 3), m - 3, sel.sum())
    sel = arche == NEW
    a_start[sel] = rng.integers(m - 12, m - 2, sel.sum())
    growth[sel] = rng.uniform(0.0, 0.3, sel.sum())
    sel = arche == LATE
    a_start[sel] = rng.integers(m // 6, max(m // 6 + 1, m - 13), sel.sum())
    sel = arche == WINBACK
    gap0[sel] = rng.integers(min(6, m // 4), m // 2, sel.sum())
    gap1[sel] = gap0[sel] + rng.integers(6, 10, sel.sum())
    gap1 = np.maximum(np.minimum(gap1, m - 6), np.minimum(gap0 + 3, m))
    return {
        "n": n,
        "m": m,
        "size": size,
        "pct": pct,
        "arche": arche,
        "growth": growth,
        "a_start": a_start,
        "a_end": a_end,
        "gap0": gap0,
        "gap1": gap1,
    }


def _append(cells: dict, idx: np.ndarray, **new: np.ndarray) -> dict:
    """The cells plus copies of the cells `idx`, with the columns given in `new` replaced."""
    return {k: np.concatenate([v, new[k] if k in new else v[idx]]) for k, v in cells.items()}


def _cells(life: dict, seed: int, n_products: int, density: float) -> dict:
    """Cells (account, product, business unit) with an active interval [start, end), their
    monthly base amount, slot (0 = the account's first product) and `new` (ramping up); plus
    each account's industry and business units."""
    rng, _ = _rngs(seed, 2)
    n, m, pct, arche = life["n"], life["m"], life["pct"], life["arche"]
    pop = np.array([p[3] for p in PRODUCT_CATALOGUE[:n_products]])
    ind_idx = rng.choice(len(INDUSTRIES), n, p=INDUSTRY_SHARE)
    affinity = np.exp(
        np.random.default_rng([seed, 99]).normal(0, 0.4, (len(INDUSTRIES), n_products))
    )
    w = pop[None, :] * affinity[ind_idx]
    keys = np.log(w) + rng.gumbel(size=(n, n_products))
    keys[:, 0] += 6.0  # nearly everyone starts with the core platform
    prod_rank = np.argsort(-keys, axis=1, kind="stable")
    lam = np.maximum(0.0, density * n_products * (0.35 + 1.3 * pct**1.5) - 1.0)
    n_cells = np.clip(1 + rng.poisson(lam), 1, n_products)
    n_bu = 1 + rng.binomial(3, 0.15 + 0.7 * pct)
    bu_keys = rng.random((n, len(BUSINESS_UNITS)))
    bu_rank = np.argsort(bu_keys, axis=1, kind="stable")

    cols = np.arange(n_products)[None, :]
    mask = cols < n_cells[:, None]
    c_acc = np.broadcast_to(np.arange(n)[:, None], mask.shape)[mask]
    c_slot = np.broadcast_to(cols, mask.shape)[mask]  # 0 = the account's first product
    c_bu = bu_rank[c_acc, rng.integers(0, 1 << 30, c_acc.size) % n_bu[c_acc]]
    nc = c_acc.size
    c_start = life["a_start"][c_acc].copy()
    c_end = life["a_end"][c_acc].copy()
    p_cross = np.where(arche[c_acc] == EXPAND, 0.55, 0.07)
    cross = (c_slot > 0) & (rng.random(nc) < p_cross)
    lo = c_start + 3
    c_start = np.where(
        cross, lo + (rng.random(nc) * np.maximum(m - 2 - lo, 1)).astype(int), c_start
    )
    p_drop = np.where(arche[c_acc] == CONTRACT, 0.3, 0.06)
    drop = (c_slot > 0) & ~cross & (arche[c_acc] != CHURN) & (rng.random(nc) < p_drop)
    dlo = c_start + 4
    c_end = np.where(drop, dlo + (rng.random(nc) * np.maximum(m - dlo, 1)).astype(int), c_end)
    wgt = rng.gamma(1.5, 1.0, nc) * np.where(c_slot == 0, 3.0, 1.0)
    wsum = np.bincount(c_acc, weights=wgt, minlength=n)
    c_base = life["size"][c_acc] / 12.0 * wgt / wsum[c_acc]
    cells = {
        "acc": c_acc,
        "slot": c_slot,
        "prod": prod_rank[mask],
        "bu": c_bu,
        "start": c_start,
        "end": c_end,
        "base": np.where(cross, c_base * 1.4, c_base),
        "new": (c_start > 0) | cross,
    }
    cells = _second_units(rng, cells, pct, n_bu, bu_rank)
    cells = _winbacks(rng, cells, life)
    cells["start"] = np.minimum(cells["start"], m)
    cells["end"] = np.clip(cells["end"], cells["start"], m)
    return {**cells, "industry": ind_idx, "n_bu": n_bu, "bu_rank": bu_rank}


def _second_units(
    rng: np.random.Generator, cells: dict, pct: np.ndarray, n_bu: np.ndarray, bu_rank: np.ndarray
) -> dict:
    """Big accounts buy the same product in a second business unit."""
    c_acc = cells["acc"]
    dup = (n_bu[c_acc] > 1) & (rng.random(c_acc.size) < 0.5 * pct[c_acc] ** 3)
    first_bu_pos = np.argmax(bu_rank[c_acc] == cells["bu"][:, None], axis=1)
    dup_bu = bu_rank[c_acc, (first_bu_pos + 1) % n_bu[c_acc]]
    d = np.flatnonzero(dup)
    start = cells["start"][d] + rng.integers(0, 12, d.size)
    base = cells["base"][d] * rng.uniform(0.3, 0.8, d.size)
    return _append(
        cells,
        d,
        slot=cells["slot"][d] + 100,
        bu=dup_bu[d],
        start=start,
        base=base,
        new=np.ones(d.size, bool),
    )


def _winbacks(rng: np.random.Generator, cells: dict, life: dict) -> dict:
    """Win-backs: the account stops, then comes back with its core product and a few others."""
    m, gap0 = life["m"], life["gap0"]
    c_acc = cells["acc"]
    wb = (gap0[c_acc] < m) & (cells["end"] > gap0[c_acc])
    back = np.flatnonzero(wb & ((cells["slot"] == 0) | (rng.random(c_acc.size) < 0.4)))
    b_start = life["gap1"][c_acc[back]]
    cells["end"] = np.where(wb, np.minimum(cells["end"], gap0[c_acc]), cells["end"])
    return _append(
        cells,
        back,
        start=b_start,
        end=np.full(back.size, m),
        base=cells["base"][back] * 0.7,
        new=np.ones(back.size, bool),
    )


def _revenue_rows(
    life: dict, cells: dict, seed: int, n_products: int, cal_month: np.ndarray
) -> dict:
    """Monthly invoice lines of every cell, and a few credit notes; sorted by month, day,
    account, product."""
    rng, _ = _rngs(seed, 3)
    m = life["m"]
    lengths = cells["end"] - cells["start"]
    total = int(lengths.sum())
    cell = np.repeat(np.arange(cells["acc"].size), lengths)
    offs = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    mon = cells["start"][cell] + offs
    acc = cells["acc"][cell]
    prod = cells["prod"][cell]
    recurring = np.array([p[4] for p in PRODUCT_CATALOGUE[:n_products]])[prod]
    ramp = np.where(cells["new"][cell], np.minimum(1.0, 0.35 + 0.25 * offs), 1.0)
    anchor = m - 6.5
    sigma = np.where(recurring, 0.06, 0.35)
    amount = (
        cells["base"][cell]
        * np.exp(life["growth"][acc] * (mon - anchor) / 12.0)
        * SEASON[cal_month[mon]]
        * ramp
        * np.exp(rng.normal(0.0, 1.0, total) * sigma)
    )
    keep = recurring | (rng.random(total) < 0.55)  # project work is billed in some months
    amount = np.where(recurring, amount, amount / 0.55)
    bill_day = rng.integers(1, 29, life["n"])
    day = np.where(recurring, bill_day[acc], rng.integers(1, 29, total))
    sel = keep & (amount >= 1.0)
    lines = {
        "acc": acc[sel],
        "mon": mon[sel],
        "prod": prod[sel],
        "bu": cells["bu"][cell][sel],
        "day": day[sel],
        "amount": np.round(amount[sel], 2),
    }
    lines = _credit_notes(rng, lines, recurring[sel], life["n"])
    srt = np.lexsort((lines["prod"], lines["acc"], lines["day"], lines["mon"]))
    types = {"acc": np.int32, "mon": np.int32, "day": np.int32, "prod": np.int16, "bu": np.int16}
    rev = {k: lines[k][srt].astype(t) for k, t in types.items()}
    return {**rev, "amount": lines["amount"][srt], "is_cn": lines["is_cn"][srt]}


def _credit_notes(rng: np.random.Generator, lines: dict, recurring: np.ndarray, n: int) -> dict:
    """A handful of negative lines a few days after an invoice (`is_cn` marks them)."""
    amount, day = lines["amount"], lines["day"]
    n_cn = max(3, n // 30)
    cand = np.flatnonzero(recurring & (amount >= 2000))
    pick = np.sort(rng.choice(cand, min(n_cn, cand.size), replace=False))
    cn_amount = -np.round(amount[pick] * rng.uniform(0.1, 0.6, pick.size), 2)
    cn_day = np.minimum(day[pick] + rng.integers(3, 15, pick.size), 28)
    lines = _append(lines, pick, day=cn_day, amount=cn_amount)
    lines["is_cn"] = np.arange(lines["acc"].size) >= amount.size
    return lines


def _kams(n: int) -> list[tuple[str, str, str, str]]:
    """The ten named KAMs, more (generated) for very large books (about 30 accounts each)."""
    kams = list(KAMS)
    want = max(len(KAMS), int(round(n / 30)))
    r = random.Random(4242)
    used = {k[0] for k in kams}
    i = 0
    while len(kams) < want:
        base = KAMS[i % len(KAMS)]
        name = f"{r.choice(FIRST_NAMES)} {r.choice(LAST_NAMES)}"
        if name not in used:
            used.add(name)
            kams.append((name, base[1], base[2], base[3]))
        i += 1
    return kams


def _slug(s: str) -> str:
    s = s.lower().replace("&", "and")
    s = s.translate(str.maketrans("áéíóúüñçãõłńś", "aeiouuncaolns"))
    return re.sub(r"[^a-z0-9]+", "", s)


def _names(
    r: random.Random, industry: np.ndarray, region: np.ndarray
) -> tuple[list[str], list[str], list[str], set[str]]:
    """Unique company names from the industry's nouns: stems, full names, web sites and the
    set of stems used."""
    inds = list(INDUSTRIES)
    used: set[str] = set()
    stems, names, sites = [], [], []
    for i in range(industry.size):
        nouns = INDUSTRIES[inds[industry[i]]]
        stem = ""
        for attempt in range(40):
            stem = f"{r.choice(PREFIXES)} {r.choice(nouns)}"
            if attempt > 20:
                stem = f"{r.choice(PREFIXES)} {stem}"
            if stem not in used:
                break
        used.add(stem)
        suffix = r.choice(REGIONS[region[i]][3])
        name = stem + (suffix if suffix.startswith(",") else (" " + suffix if suffix else ""))
        stems.append(stem)
        names.append(name)
        sites.append(f"www.{_slug(stem)}.{REGIONS[region[i]][2]}")
    return stems, names, sites, used


def _subsidiaries(
    sim: dict,
    ids: list[str],
    region: np.ndarray,
    parents: list[int],
    kids: list[int],
    stems: list[str],
    names: list[str],
    sites: list[str],
    used: set[str],
) -> list[str | None]:
    """Every seventh of `kids` becomes a subsidiary of one of the first `parents`: named and
    hosted after its group, in its group's industry. Each account's parent_id."""
    n = sim["n"]
    parent: list[str | None] = [None] * n
    n_sub = max(2, n // 50)
    chosen_parents = parents[: max(1, n_sub // 2)]
    for j, i in enumerate(kids[: n_sub * 7 : 7]):
        p = chosen_parents[j % len(chosen_parents)]
        country = REGIONS[region[i]][4][j % 2]
        stem = f"{stems[p]} {country}"
        if stem in used:
            stem = f"{stems[p]} {country} {j + 2}"
        used.add(stem)
        names[i] = stem
        sites[i] = f"www.{_slug(stems[p])}.{REGIONS[region[p]][2]}/{_slug(country)}"
        parent[i] = ids[p]
        sim["industry"][i] = sim["industry"][p]
    return parent


def _accounts(sim: dict, seed: int) -> dict:
    """Account attributes: names, owners, tiers, parents, plan dates. Python lists."""
    n, pct, arche, ttm = sim["n"], sim["pct"], sim["arche"], sim["ttm"]
    rng, r = _rngs(seed, 4)
    width = max(5, len(str(n)))
    ids = [f"ACC-{i + 1:0{width}d}" for i in range(n)]
    region = rng.choice(len(REGIONS), n, p=[x[1] for x in REGIONS])
    kams = _kams(n)
    by_region: dict[str, list[int]] = {}
    for j, kk in enumerate(kams):
        by_region.setdefault(kk[1], []).append(j)

    # assigned tier: by size (with a little noise), churned accounts down to Tier 3
    noisy = sim["size"] * np.exp(rng.normal(0, 0.25, n))
    noisy = np.where(ttm > 0, noisy, 0.0)
    o = np.argsort(-noisy, kind="stable")
    tier = np.full(n, 3)
    n1, n2 = max(2, int(round(0.10 * n))), max(3, int(round(0.25 * n)))
    tier[o[:n1]] = 1
    tier[o[n1 : n1 + n2]] = 2
    tier[ttm <= 0] = 3

    # owners: Tier 1 accounts spread evenly over the region's KAMs, then the rest
    owner = np.zeros(n, int)
    counter: dict[str, int] = {}
    for i in np.lexsort((np.arange(n), tier)):
        reg = REGIONS[region[i]][0]
        js = by_region[reg]
        c = counter.get(reg, 0)
        owner[i] = js[(c + r.randrange(2 if tier[i] == 3 else 1)) % len(js)]
        counter[reg] = c + 1

    stems, names, sites, used = _names(r, sim["industry"], region)
    # subsidiaries: a few mid-size accounts belong to a Tier 1 group
    parents = [i for i in o[:n1] if arche[i] != CHURN]
    kids = [i for i in o[n1 + 5 :] if ttm[i] > 0 and arche[i] in (STABLE, EXPAND)]
    parent = _subsidiaries(sim, ids, region, parents, kids, stems, names, sites, used)

    segment = np.where(pct >= 0.75, "Enterprise", np.where(pct >= 0.35, "Mid-Market", "Commercial"))
    return {
        "ids": ids,
        "names": names,
        "stems": stems,
        "sites": sites,
        "region": region,
        "tier": tier,
        "owner": owner,
        "kams": kams,
        "parent": parent,
        "segment": segment,
        "order_by_ttm": np.argsort(-ttm, kind="stable"),
    }


def _scores(sim: dict, acc: dict, seed: int) -> tuple[dict[str, np.ndarray], list[int]]:
    """Scores 1-5 that put each account's tier score inside its assigned tier's band (with a
    margin of 0.2, robust to a one-step difference in the revenue quintile), except for three
    deliberate mismatches."""
    rng, _ = _rngs(seed, 5)
    n, tier, ttm, arche = sim["n"], acc["tier"], sim["ttm"], sim["arche"]
    q = revenue_quintile(ttm)
    band_tier = tier.copy()
    # deliberate mismatches: a big expanding Tier 3, a legacy Tier 1, an under-tiered Tier 2
    mism: list[int] = []
    t3 = [i for i in acc["order_by_ttm"] if tier[i] == 3 and ttm[i] > 0 and arche[i] != CHURN]
    t1 = [
        i
        for i in acc["order_by_ttm"][::-1]
        if tier[i] == 1 and arche[i] in (STABLE, CONTRACT) and ttm[i] > 0
    ]
    t2 = [i for i in acc["order_by_ttm"] if tier[i] == 2 and ttm[i] > 0]
    if t3:
        mism.append(t3[0])
        band_tier[t3[0]] = 1
        arche[t3[0]] = EXPAND if arche[t3[0]] == STABLE else arche[t3[0]]
    if t1:
        mism.append(t1[0])
        band_tier[t1[0]] = 3
    if t2:
        mism.append(t2[0])
        band_tier[t2[0]] = 1
    lo = np.select([band_tier == 1, band_tier == 2], [4.05, 3.05], 1.0)
    hi = np.select([band_tier == 1, band_tier == 2], [5.0, 3.55], 2.55)
    target = lo + (hi - lo) * rng.uniform(0.2, 0.8, n)
    # the criteria score that puts the tier score on target, given the revenue quintile q
    w = DEFAULT_TIER_WEIGHTS
    total, w_rev = sum(w.values()), w[CURRENT_REVENUE]
    need = (total * target - w_rev * q) / (total - w_rev)
    keys = ["expansion_potential", "strategic_fit", "executive_access", "reference_value"]
    health = np.select([arche == EXPAND, arche == CONTRACT, arche == CHURN], [0.6, -0.6, -0.8], 0.0)
    bias = {
        "expansion_potential": 0.4 * health,
        "strategic_fit": 0.0 * health,
        "executive_access": 0.2 * health,
        "reference_value": 0.3 * health,
    }
    s = {k: np.clip(np.rint(need + bias[k] + rng.normal(0, 0.6, n)), 1, 5) for k in keys}
    zero = ttm <= 0
    for k in keys:  # no revenue: low scores either way (criterion missing or quintile 1)
        s[k] = np.where(zero, np.minimum(s[k], 2), s[k])
    stack = np.stack([s[k] for k in keys], axis=1)
    for _ in range(60):
        sc = weighted_score({**dict(zip(keys, stack.T, strict=True)), CURRENT_REVENUE: q}, w)
        up, down = sc < lo - 1e-9, sc > hi + 1e-9
        if not (up.any() or down.any()):
            break
        j_up = np.argmin(np.where(stack < 5, stack, 9), axis=1)
        j_dn = np.argmax(np.where(stack > 1, stack, -9), axis=1)
        rows = np.arange(n)
        stack[rows[up], j_up[up]] += 1
        stack[rows[down], j_dn[down]] -= 1
    s = {k: stack[:, j].astype(int) for j, k in enumerate(keys)}
    s["competitive_position"] = np.clip(np.rint(3 + health + rng.normal(0, 0.9, n)), 1, 5).astype(
        int
    )
    return s, mism


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------
def _frame(table: str, data: dict[str, object]) -> pd.DataFrame:
    """A frame with the export headers, in HEADERS order, from canonical/extra keyed data."""
    cols = {}
    for header, canon in HEADERS[table]:
        cols[header] = data[canon if canon else header]
    df = pd.DataFrame(cols)
    for c in DATE_COLUMNS.get(table, ()):
        header = _header(table, c)
        df[header] = pd.to_datetime(pd.Series(df[header], dtype="object")).astype("datetime64[s]")
    return df


def _header(table: str, canon: str) -> str:
    return next(h for h, c in HEADERS[table] if c == canon)


def _as_date(d: np.datetime64 | None):
    return None if d is None else np.datetime64(d, "D")


@dataclass
class _Book:
    """What the tables of `_build` draw on. `r` and `rng` are consumed table after table, in
    `_build`'s order, so that order is part of the output."""

    sim: dict
    acc: dict
    r: random.Random
    rng: np.random.Generator
    kam_names: list[str]
    pnames: list[str]
    drifting: int  # index of DRIFTING_KAM in kam_names
    adopted: list[set[int]]  # per account, the products it still buys in the last month


def _build(sim: dict, seed: int, with_revenue: bool = True) -> dict[str, pd.DataFrame]:
    acc = _accounts(sim, seed)
    scores, _mismatched = _scores(sim, acc, seed)
    kam_names = [k[0] for k in acc["kams"]]
    adopted: list[set[int]] = [set() for _ in range(sim["n"])]
    cells = sim["cells"]
    for a, p, e in zip(
        cells["acc"].tolist(), cells["prod"].tolist(), cells["end"].tolist(), strict=True
    ):
        if e >= sim["months"] - 1:
            adopted[a].add(p)
    _, r = _rngs(seed, 6)
    rng, _ = _rngs(seed, 7)
    pnames = [p[0] for p in PRODUCT_CATALOGUE[: sim["n_products"]]]
    b = _Book(sim, acc, r, rng, kam_names, pnames, kam_names.index(DRIFTING_KAM), adopted)
    plan_days = _plan_days(b)
    stakeholders = _stakeholders(b)
    op, open_pipe = _opportunities(b)
    qb, last_qbr = _qbrs(b, plan_days, open_pipe)
    wallet = _wallet(b)
    today = sim["today"]
    accounts = {
        "account_id": acc["ids"],
        "account_name": acc["names"],
        "owner": [kam_names[j] for j in acc["owner"]],
        "region": [REGIONS[j][0] for j in acc["region"]],
        "industry": [list(INDUSTRIES)[j] for j in sim["industry"]],
        "segment": acc["segment"].tolist(),
        "tier": [f"Tier {t}" for t in acc["tier"]],
        "parent_id": acc["parent"],
        "plan_updated": [None if d is None else today - d for d in plan_days],
        "last_qbr": last_qbr,
        "Website": acc["sites"],
    }
    tables = {"accounts": _frame("accounts", accounts)}
    if with_revenue:
        tables["revenue"] = revenue_frame(sim, acc["ids"])
    tables["wallet"] = _frame("wallet", wallet)
    tables["scores"] = _frame("scores", {"account_id": acc["ids"], **scores})
    tables["stakeholders"] = _frame("stakeholders", stakeholders)
    tables["opportunities"] = _frame("opportunities", op)
    tables["qbr"] = _frame("qbr", qb)
    return {**tables, **_reference_tables(b), "targets": _frame("targets", _targets(b, seed))}


def _reference_tables(b: _Book) -> dict[str, pd.DataFrame]:
    """The product list and the KAM team."""
    products = PRODUCT_CATALOGUE[: b.sim["n_products"]]
    kams = b.acc["kams"]
    return {
        "products": _frame(
            "products",
            {
                "product": b.pnames,
                "product_line": [p[1] for p in products],
                "list_price": [int(p[2]) for p in products],
            },
        ),
        "team": _frame(
            "team",
            {
                "owner": b.kam_names,
                "manager": [k[3] for k in kams],
                "team": [k[2] for k in kams],
                "Email": [
                    f"{_slug(k[0].split(' ')[0])}.{_slug(k[0].split(' ', 1)[1])}@kamdash.example"
                    for k in kams
                ],
            },
        ),
    }


def _plan_days(b: _Book) -> list[int | None]:
    """Days since each account plan was updated (None: no plan date): every fifth Tier 1
    account and most of the drifting KAM's book are stale."""
    r, n, ttm = b.r, b.sim["n"], b.sim["ttm"]
    tier, owner, order = b.acc["tier"], b.acc["owner"], b.acc["order_by_ttm"]
    t1 = [i for i in order if tier[i] == 1]
    stale_t1 = set(t1[2::5])  # every fifth Tier 1 account (not the top two)
    stale_t1 |= {i for i in t1 if owner[i] == b.drifting and r.random() < 0.7}
    plan_days: list[int | None] = []
    for i in range(n):
        if tier[i] == 1:
            d = r.randint(190, 420) if i in stale_t1 else r.randint(2, 30)
        elif tier[i] == 2:
            d = r.randint(200, 400) if owner[i] == b.drifting else r.randint(5, 150)
        elif ttm[i] <= 0 or r.random() < 0.45:
            d = None
        else:
            d = r.randint(30, 700)
        plan_days.append(d)
    return plan_days


STAKEHOLDER_KEYS = [
    "account_id",
    "name",
    "title",
    "role",
    "level",
    "influence",
    "sentiment",
    "strength",
    "last_contact",
    "Email",
]


def _stakeholders(b: _Book) -> dict[str, list]:
    """Contacts per account (more for Tier 1); some accounts deliberately single-threaded."""
    r, n, arche = b.r, b.sim["n"], b.sim["arche"]
    tier, owner, order = b.acc["tier"], b.acc["owner"], b.acc["order_by_ttm"]
    t1_all = [i for i in order if tier[i] == 1]
    top10 = set(order[: max(1, n // 30)].tolist())
    single = {i for i in t1_all if i in top10 and i in set(t1_all[1::4])}
    single |= set(t1_all[3::6])
    single |= {i for i in range(n) if tier[i] == 2 and r.random() < 0.25}
    st_rows: dict[str, list] = {k: [] for k in STAKEHOLDER_KEYS}
    for i in range(n):
        if tier[i] == 1:
            k = min(12, r.randint(3, 7) + int(5 * b.sim["pct"][i] ** 4) + r.randint(0, 3))
        elif tier[i] == 2:
            k = r.randint(2, 6)
        else:
            k = r.randint(1, 3)
        health = {EXPAND: 1.0, CONTRACT: -0.7, CHURN: -1.2, WINBACK: -0.5}.get(int(arche[i]), 0.0)
        if owner[i] == b.drifting:
            health -= 0.6
        rows = _people(b, i, k, health)
        # threading: single-threaded accounts have exactly one strong contact, the others
        # (Tier 1/2) at least two
        idx = sorted(range(k), key=lambda c: -rows[c][5])
        if i in single or tier[i] == 3 and k == 1:
            rows[idx[0]][5] = max(rows[idx[0]][5], 3)
            for c in idx[1:]:
                rows[c][5] = min(rows[c][5], 2)
        elif tier[i] in (1, 2) and k >= 2:
            for c in idx[:2]:
                rows[c][5] = max(rows[c][5], 3)
        for row in rows:
            for key, val in zip(STAKEHOLDER_KEYS, _contact(b, i, row, health), strict=True):
                st_rows[key].append(val)
    st_rows["reports_to"] = _reporting_lines(b, st_rows)
    _hostile_executive(b, st_rows, single)
    return st_rows


def _reporting_lines(b: _Book, st: dict[str, list]) -> list[str | None]:
    """Whom each contact of a key account (Tier 1 and 2) reports to, by name, from the levels
    alone (no random draw, so the other tables are unchanged): the other executives report to
    the first one, managers to the executives in turn, users to the managers in turn (to an
    executive where no manager is mapped). Tier 3 contacts have none recorded."""
    tier = dict(zip(b.acc["ids"], b.acc["tier"], strict=True))
    by_account: dict[str, list[int]] = {}
    for k, a in enumerate(st["account_id"]):
        by_account.setdefault(a, []).append(k)
    out: list[str | None] = [None] * len(st["account_id"])
    for a, ks in by_account.items():
        if tier[a] == 3:
            continue
        execs, managers, users = (
            [k for k in ks if st["level"][k] == lv] for lv in ("Executive", "Manager", "User")
        )
        for k in execs[1:]:
            out[k] = st["name"][execs[0]]
        for j, k in enumerate(managers):
            if execs:
                out[k] = st["name"][execs[j % len(execs)]]
        above = managers or execs
        for j, k in enumerate(users):
            if above:
                out[k] = st["name"][above[j % len(above)]]
    return out


def _hostile_executive(b: _Book, st: dict[str, list], single: set[int]) -> None:
    """The story of a big Tier 1 account whose only executive contact is a detractor (strong
    enough to count as executive access, but hostile): the largest multithreaded Tier 1
    account after the top two with exactly one executive contact."""
    tier, order, ids = b.acc["tier"], b.acc["order_by_ttm"], b.acc["ids"]
    for i in [i for i in order if tier[i] == 1][2:]:
        if i in single:
            continue
        execs = [
            k
            for k, (a, lv) in enumerate(zip(st["account_id"], st["level"], strict=True))
            if a == ids[i] and lv == "Executive"
        ]
        if len(execs) == 1:
            st["sentiment"][execs[0]] = "Detractor"
            st["strength"][execs[0]] = max(st["strength"][execs[0]], 3)
            return


def _people(b: _Book, i: int, k: int, health: float) -> list[list]:
    """k contacts of account i: [name, title, role, level, influence, strength]."""
    r = b.r
    names_used: set[str] = set()
    rows = []
    for c in range(k):
        lvl = (
            "Executive"
            if c == 0 and b.acc["tier"][i] == 1
            else r.choices(["Executive", "Manager", "User"], [0.22, 0.43, 0.35])[0]
        )
        for _ in range(20):
            nm = f"{r.choice(FIRST_NAMES)} {r.choice(LAST_NAMES)}"
            if nm not in names_used:
                break
        names_used.add(nm)
        title = r.choice(
            {"Executive": EXEC_TITLES, "Manager": MANAGER_TITLES, "User": USER_TITLES}[lvl]
        )
        infl = {
            "Executive": r.randint(4, 5),
            "Manager": r.randint(2, 4),
            "User": r.randint(1, 3),
        }[lvl]
        strength = int(np.clip(round(r.gauss(3.0 + 0.6 * health, 1.1)), 1, 5))
        rows.append([nm, title, r.choice(ROLES[lvl]), lvl, infl, strength])
    return rows


def _contact(b: _Book, i: int, row: list, health: float) -> list:
    """One stakeholder row (STAKEHOLDER_KEYS order): sentiment, last contact and e-mail added."""
    r, sim = b.r, b.sim
    today, m, last_mon = sim["today"], sim["months"], sim["last_mon"]
    nm, title, role, lvl, infl, strength = row
    u = r.random() + 0.25 * health + 0.15 * (strength - 3)
    sentiment = (
        "Detractor"
        if u < 0.12
        else "Neutral"
        if u < 0.42
        else "Supporter"
        if u < 0.8
        else "Champion"
    )
    days = int(r.expovariate(1 / (25 if strength >= 3 else 110)))
    if sim["arche"][i] == CHURN and last_mon[i] >= 0:
        days += int((today - sim["month_start"][min(last_mon[i] + 1, m)]).astype(int))
    last = today - min(days, 900) - 1
    email = (
        f"{_slug(nm.split(' ')[0])}.{_slug(nm.split(' ', 1)[1])}"
        f"@{b.acc['sites'][i].split('/')[0][4:]}"
    )
    return [b.acc["ids"][i], nm, title, role, lvl, infl, sentiment, strength, last, email]


OPPORTUNITY_KEYS = [
    "opportunity_id",
    "Opportunity Name",
    "account_id",
    "product",
    "business_unit",
    "amount",
    "stage",
    "close_date",
    "owner",
]


def _add_opp(b: _Book, op: dict, i, p, bu, amount, stage, close, label=None) -> None:
    op["opportunity_id"].append(None)
    op["Opportunity Name"].append(
        f"{b.acc['stems'][i]} - {label or b.pnames[p]} ({BUSINESS_UNITS[bu]})"
    )
    op["account_id"].append(b.acc["ids"][i])
    op["product"].append(b.pnames[p])
    op["business_unit"].append(BUSINESS_UNITS[bu])
    op["amount"].append(int(max(1000, round(amount, -2))))
    op["stage"].append(stage)
    op["close_date"].append(close)
    op["owner"].append(b.kam_names[b.acc["owner"][i]])


def _opportunities(b: _Book) -> tuple[dict[str, list], np.ndarray]:
    """Won deals behind every start in the window, closed and open deals per account, numbered
    by close date like a CRM would; and each account's open pipeline."""
    r, sim = b.r, b.sim
    m, ms, cells = sim["months"], sim["month_start"], sim["cells"]
    op: dict[str, list] = {k: [] for k in OPPORTUNITY_KEYS}
    open_pipe = np.zeros(sim["n"])
    # won deals behind every cross-sell / new-logo / win-back start in the window
    for a, p, bu, s0, base in zip(
        cells["acc"].tolist(),
        cells["prod"].tolist(),
        cells["bu"].tolist(),
        cells["start"].tolist(),
        cells["base"].tolist(),
        strict=True,
    ):
        if 0 < s0 < m:
            amount, close = base * 12 * r.uniform(0.8, 1.2), ms[s0] - r.randint(5, 40)
            _add_opp(b, op, a, p, bu, amount, "Closed Won", close)
    for i in range(sim["n"]):
        _account_opps(b, op, i, open_pipe)
    o_idx = sorted(
        range(len(op["account_id"])), key=lambda j: (op["close_date"][j], op["account_id"][j], j)
    )
    for k in op:
        op[k] = [op[k][j] for j in o_idx]
    op["opportunity_id"] = [f"OPP-{j + 1:06d}" for j in range(len(o_idx))]
    return op, open_pipe


def _account_opps(b: _Book, op: dict, i: int, open_pipe: np.ndarray) -> None:
    """Account i's closed deals, its lost renewal when it churned, and its open deals (mostly
    on its whitespace; few for the drifting KAM's book)."""
    r, rng, sim = b.r, b.rng, b.sim
    m, ms, today, arche, last_mon = (
        sim["months"],
        sim["month_start"],
        sim["today"],
        sim["arche"],
        sim["last_mon"],
    )
    tier = int(b.acc["tier"][i])
    size = max(sim["size"][i], 20_000)
    bus = sim["bu_rank"][i, : sim["n_bu"][i]].tolist()
    for _ in range(int(rng.poisson({1: 6.0, 2: 3.0, 3: 1.2}[tier]))):
        p = r.randrange(len(b.pnames))
        close = ms[r.randrange(3, m)] + r.randint(0, 27)
        if close >= today:
            continue
        stage = "Closed Won" if r.random() < 0.2 else "Closed Lost"
        _add_opp(b, op, i, p, r.choice(bus), size * r.uniform(0.05, 0.4), stage, close)
    if arche[i] == CHURN and 0 <= last_mon[i] < m - 1:
        amount, close = size * r.uniform(0.6, 1.0), ms[last_mon[i]] + r.randint(0, 20)
        _add_opp(b, op, i, 0, bus[0], amount, "Closed Lost", close, label="Renewal")
    if sim["ttm"][i] <= 0:
        return
    lam_open = {1: 3.0, 2: 1.5, 3: 0.4}[tier]
    if arche[i] == EXPAND:
        lam_open *= 1.6
    if b.acc["owner"][i] == b.drifting:
        lam_open *= 0.25
    n_p = len(b.pnames)
    white = [p for p in range(n_p) if p not in b.adopted[i]] or list(range(n_p))
    for _ in range(int(rng.poisson(lam_open))):
        p = r.choice(white) if r.random() < 0.75 else r.randrange(n_p)
        stage = r.choices(STAGES_OPEN, STAGE_OPEN_P)[0]
        close = today + (r.randint(-40, -5) if r.random() < 0.06 else r.randint(10, 300))
        amt = size * r.uniform(0.05, 0.4)
        open_pipe[i] += amt
        _add_opp(b, op, i, p, r.choice(bus), amt, stage, close)


QBR_KEYS = [
    "account_id",
    "date",
    "relationship_depth",
    "pipeline_coverage",
    "plan_currency",
    "notes",
    "commitments_due",
    "commitments_done",
]


def _qbrs(
    b: _Book, plan_days: list[int | None], open_pipe: np.ndarray
) -> tuple[dict[str, list], list]:
    """QBRs in the last four quarters for Tier 1 and 2 accounts (a dated last QBR for a few
    Tier 3 ones); each account's last QBR date."""
    r, sim = b.r, b.sim
    qb: dict[str, list] = {k: [] for k in QBR_KEYS}
    last_qbr: list = [None] * sim["n"]
    for i in range(sim["n"]):
        if b.acc["tier"][i] == 3:
            if sim["ttm"][i] > 0 and r.random() < 0.15:
                last_qbr[i] = sim["today"] - r.randint(200, 500)
            continue
        last_qbr[i] = _account_qbrs(b, i, plan_days[i], open_pipe[i], qb)
    return qb, last_qbr


def _account_qbrs(b: _Book, i: int, plan_days: int | None, pipe_i: float, qb: dict):
    """Account i's QBRs (mid-quarter of the last four quarters while it is a customer), scored
    from its story; the date of the last one (None without any)."""
    r, sim = b.r, b.sim
    m, ms, arche, tier = sim["months"], sim["month_start"], sim["arche"], b.acc["tier"]
    drifting = b.acc["owner"][i] == b.drifting
    health = {EXPAND: 0.8, CONTRACT: -0.7, CHURN: -1.3, WINBACK: -0.4}.get(int(arche[i]), 0.1)
    base = 3.6 + health + r.gauss(0, 0.35)
    cov = pipe_i / max(sim["size"][i], 1.0)
    last = None
    for qn, qm in enumerate([m - 11, m - 8, m - 5, m - 2]):
        if qm > sim["last_mon"][i] + 1:
            break  # no QBR after the account left
        if qm < sim["a_start"][i]:
            continue  # nor before it became a customer
        drift = -0.8 * qn if drifting else 0.0
        trend = (
            0.15 * qn
            if arche[i] == EXPAND
            else (-0.2 * qn if arche[i] in (CONTRACT, CHURN) else 0.0)
        )
        depth = int(np.clip(round(base + drift + trend + r.gauss(0, 0.5)), 1, 5))
        cadence = 31 if tier[i] == 1 else 92
        age = 999 if plan_days is None else plan_days
        pc0 = 4.4 if age <= cadence else 3.3 if age <= 2 * cadence else 1.8
        pipe0 = 1.5 + 6 * cov
        if drifting:  # a book that was fine a year ago and slid since
            pipe0, pc0, depth = 4.0, 4.3, int(np.clip(round(3.9 + drift), 1, 5))
        pipe = int(np.clip(round(pipe0 + drift + r.gauss(0, 0.5)), 1, 5))
        pc = int(np.clip(round(pc0 + drift + r.gauss(0, 0.5)), 1, 5))
        mean = (depth + pipe + pc) / 3
        band = "green" if mean >= 4 else "amber" if mean >= 3 else "red"
        due = r.randint(2, 7)
        rate = {"green": 0.9, "amber": 0.7, "red": 0.35}[band]
        done = min(due, max(0, round(due * rate + r.gauss(0, 0.6))))
        ad = sorted(b.adopted[i]) or [0]
        note = r.choice(QBR_NOTES[band]).format(
            bu=BUSINESS_UNITS[sim["bu_rank"][i, r.randrange(sim["n_bu"][i])]],
            product=b.pnames[r.choice(ad)],
        )
        last = ms[qm] + r.randint(2, 25)
        for key, val in zip(
            qb, [b.acc["ids"][i], last, depth, pipe, pc, note, due, done], strict=True
        ):
            qb[key].append(val)
    return last


def _targets(b: _Book, seed: int) -> dict[str, list]:
    """Revenue targets for the fiscal year of the last revenue date (January start): a Tier 1 or
    2 account with revenue this year gets one, except every eighth Tier 2 account; every fifth
    Tier 1 account's is set per quarter (the four add up to the year). Each is its projected
    revenue (revenue to date scaled to the whole year) over a factor, rounded: the ahead KAM's
    goals are below their run rate, the drifting KAM's well above it. A generator of its own,
    so the other tables are unchanged."""
    rng, _ = _rngs(seed, 8)
    rev, sim = b.sim["rev"], b.sim
    as_of = rev["date"].max()
    year = int(str(as_of)[:4])
    start = np.datetime64(f"{year}-01-01", "D")
    days = int((np.datetime64(f"{year + 1}-01-01", "D") - start).astype(int))
    elapsed = int((as_of - start).astype(int)) + 1
    ytd = rev["date"] >= start
    fytd = np.bincount(rev["acc"][ytd], weights=rev["amount"][ytd], minlength=sim["n"])
    tier, owner, order = b.acc["tier"], b.acc["owner"], b.acc["order_by_ttm"]
    ahead = b.kam_names.index(AHEAD_KAM) if AHEAD_KAM in b.kam_names else -1
    season = [float(SEASON[3 * k : 3 * k + 3].sum()) for k in range(4)]
    out: dict[str, list] = {"account_id": [], "period": [], "target": [], "Set By": []}
    t1 = t2 = 0
    for i in order.tolist():
        if tier[i] == 3 or fytd[i] <= 0 or sim["ttm"][i] <= 0:
            continue
        t1 += tier[i] == 1
        t2 += tier[i] == 2
        if tier[i] == 2 and t2 % 8 == 0:
            continue  # no goal set
        # projected revenue / target: above 1 ahead of goal, below 1 behind it
        lo, hi = (1.08, 1.18) if owner[i] == ahead else (0.92, 1.06)
        if owner[i] == b.drifting:
            lo, hi = 0.72, 0.82
        target = max(5_000.0, round(fytd[i] * days / elapsed / rng.uniform(lo, hi), -3))
        who = b.acc["kams"][owner[i]][3]  # the KAM's manager sets the goal
        if tier[i] == 1 and t1 % 5 == 0:
            parts = [round(target * w / sum(season), -2) for w in season[:3]]
            rows = [(f"{year}Q{k + 1}", v) for k, v in enumerate([*parts, target - sum(parts)])]
        else:
            rows = [(f"FY{year}", target)]
        for period, value in rows:
            out["account_id"].append(b.acc["ids"][i])
            out["period"].append(period)
            out["target"].append(int(value))
            out["Set By"].append(who)
    return out


def _wallet(b: _Book) -> dict[str, list]:
    """Wallet estimates for the last three years (none before a new account's first year)."""
    rng, sim = b.rng, b.sim
    n, m, ms, arche = sim["n"], sim["months"], sim["month_start"], sim["arche"]
    years = sorted({int(str(ms[j])[:4]) for j in range(max(0, m - 30), m)})[-3:]
    share = np.clip(rng.beta(2.0, 4.0, n) + 0.25 * sim["pct"] ** 2, 0.05, 0.8)
    share = np.where(arche == EXPAND, share * 0.6, share)
    pot = np.maximum(sim["size"], 15_000) / share
    wl: dict[str, list] = {"account_id": [], "year": [], "wallet": [], "Estimate Source": []}
    sources = ["Analyst estimate", "Customer disclosed", "Annual report", "KAM estimate"]
    src = rng.integers(0, len(sources), n)
    for yi, y in enumerate(years):
        g = (1.05 ** (yi - len(years) + 1)) * np.exp(rng.normal(0, 0.05, n))
        val = np.round(pot * g, -3)
        for i in range(n):
            if yi == 0 and arche[i] == NEW:
                continue  # no estimate before the account was a customer
            wl["account_id"].append(b.acc["ids"][i])
            wl["year"].append(y)
            wl["wallet"].append(int(val[i]))
            wl["Estimate Source"].append(sources[src[i]])
    return wl


def _inv_width(rows: int) -> int:
    return max(7, len(str(rows)))


def revenue_frame(sim: dict, ids: list[str]) -> pd.DataFrame:
    rev = sim["rev"]
    pnames = [p[0] for p in PRODUCT_CATALOGUE[: sim["n_products"]]]
    nr = rev["acc"].size
    inv = np.where(rev["is_cn"], "CN-", "INV-")
    seq = np.empty(nr, np.int64)
    for flag in (False, True):
        sel = rev["is_cn"] == flag
        seq[sel] = np.arange(1, sel.sum() + 1)
    w = _inv_width(nr)
    numbers = [f"{p}{s:0{w}d}" for p, s in zip(inv.tolist(), seq.tolist(), strict=True)]
    return pd.DataFrame(
        {
            "Invoice Date": rev["date"].astype("datetime64[s]"),
            "Invoice Number": numbers,
            "Account ID": pd.Categorical.from_codes(rev["acc"], categories=ids).astype(object),
            "Product": pd.Categorical.from_codes(rev["prod"], categories=pnames).astype(object),
            "Business Unit": pd.Categorical.from_codes(rev["bu"], categories=BUSINESS_UNITS).astype(
                object
            ),
            "Amount": rev["amount"],
        }
    )


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
def sample_today(start: str = "2023-10-01", months: int = 36) -> dt.date:
    """The fixed "today" of a generated portfolio: 14 days after its last month."""
    last = np.datetime64(str(start)[:7], "M") + months
    return (last.astype("datetime64[D]") + 14).astype(object)


def build_portfolio(
    n_accounts: int = 300,
    seed: int = 7,
    start: str = "2023-10-01",
    months: int = 36,
    n_products: int = 8,
    density: float = 0.7,
) -> dict[str, pd.DataFrame]:
    """The sample portfolio: canonical table name -> DataFrame with the export headers.

    Dates are datetime64 columns (no time of day), amounts floats, scores integers.
    `density` is the mean share of the product list an account buys (bigger accounts more).
    """
    sim = _simulate(n_accounts, seed, start, months, n_products, density)
    return _build(sim, seed)


def write_csv(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> list[Path]:
    """One UTF-8, comma-separated CSV per table, ISO dates, '\\n' line ends."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in tables.items():
        p = out / f"{name}.csv"
        df.to_csv(
            p,
            index=False,
            date_format="%Y-%m-%d",
            float_format="%.2f",
            lineterminator="\n",
            encoding="utf-8",
        )
        paths.append(p)
    return paths


def write_xlsx(tables: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """One sheet per table (openpyxl write-only): real Excel dates, numbers as numbers.

    The file is made reproducible: fixed document timestamps and zip entry times.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, df in tables.items():
        ws = wb.create_sheet(SHEETS.get(name, name))
        cols = []
        for j, c in enumerate(df.columns):
            s = df[c]
            if pd.api.types.is_datetime64_any_dtype(s):
                vals = s.to_numpy("datetime64[D]").astype(object).tolist()
                width = 12
            else:
                vals = [None if v is None or v != v else v for v in s.astype(object).tolist()]
                width = min(40, max([len(str(c))] + [len(str(v)) for v in vals[:200]]) + 2)
            ws.column_dimensions[get_column_letter(j + 1)].width = max(width, len(str(c)) + 2)
            cols.append(vals)
        ws.freeze_panes = "A2"
        header = []
        for c in df.columns:
            cell = WriteOnlyCell(ws, value=str(c))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in zip(*cols, strict=True):
            ws.append(row)
    wb.properties.creator = "kamdash sample generator"
    buf = io.BytesIO()
    wb.save(buf)
    _reproducible_zip(buf.getvalue(), path)
    return path


def _reproducible_zip(data: bytes, path: Path) -> None:
    stamp = "2026-01-01T00:00:00Z"
    with (
        zipfile.ZipFile(io.BytesIO(data)) as zin,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    body,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zout.writestr(zi, body)


def write_sample(out_dir: str | Path = "data/sample", **kw) -> dict[str, Path]:
    """Write `out_dir/kamdash_sample.xlsx` and `out_dir/csv/<table>.csv`.

    Keyword arguments go to `build_portfolio` (n_accounts, seed, start, months...).
    """
    out = Path(out_dir)
    tables = build_portfolio(**kw)
    xlsx = write_xlsx(tables, out / XLSX_NAME)
    write_csv(tables, out / "csv")
    return {"xlsx": xlsx, "csv": out / "csv"}


def write_large(
    out_dir: str | Path,
    n_accounts: int = 20_000,
    months: int = 60,
    fmt: str = "csv",
    seed: int = 7,
    n_products: int = 10,
    density: float = 1.0,
    start: str | None = None,
) -> dict:
    """The same model at benchmark sizes: `out_dir/csv/<table>.csv` or
    `out_dir/kamdash_large.xlsx`. The window ends 2026-09-30 unless `start` is given.

    The revenue table is written straight from numpy arrays (CSV through DuckDB), so 10M
    rows take well under a minute to write. Returns paths, row counts and seconds taken.
    """
    if fmt not in ("csv", "xlsx"):
        raise ValueError('fmt must be "csv" or "xlsx"')
    t0 = time.perf_counter()
    if start is None:
        start = str(np.datetime64("2026-10", "M") - months) + "-01"
    sim = _simulate(n_accounts, seed, start, months, n_products, density)
    tables = _build(sim, seed, with_revenue=fmt == "xlsx")
    out = Path(out_dir)
    rows = {k: len(v) for k, v in tables.items()}
    rows["revenue"] = int(sim["rev"]["acc"].size)
    if fmt == "xlsx":
        path = write_xlsx(tables, out / "kamdash_large.xlsx")
    else:
        path = out / "csv"
        write_csv(tables, path)
        _write_revenue_csv_duckdb(sim, [*tables["accounts"]["Account ID"]], path / "revenue.csv")
    return {"path": path, "rows": rows, "seconds": round(time.perf_counter() - t0, 2)}


def _write_revenue_csv_duckdb(sim: dict, ids: list[str], path: Path) -> None:
    import duckdb

    rev = sim["rev"]
    pnames = [p[0] for p in PRODUCT_CATALOGUE[: sim["n_products"]]]
    seq = np.empty(rev["acc"].size, np.int64)
    for flag in (False, True):
        sel = rev["is_cn"] == flag
        seq[sel] = np.arange(1, sel.sum() + 1)
    df = pd.DataFrame(
        {
            "d": rev["date"].astype("datetime64[s]"),
            "cn": rev["is_cn"],
            "seq": seq,
            "a": pd.Categorical.from_codes(rev["acc"], categories=ids),
            "p": pd.Categorical.from_codes(rev["prod"], categories=pnames),
            "b": pd.Categorical.from_codes(rev["bu"], categories=BUSINESS_UNITS),
            "amt": rev["amount"],
        }
    )
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET enable_progress_bar = false")
        con.register("rev", df)
        target = str(path).replace("'", "''")
        con.execute(
            f"""COPY (SELECT
                    strftime(CAST(d AS DATE), '%Y-%m-%d') AS "Invoice Date",
                    CASE WHEN cn THEN 'CN-' ELSE 'INV-' END || lpad(CAST(seq AS VARCHAR), {_inv_width(seq.size)}, '0')
                        AS "Invoice Number",
                    CAST(a AS VARCHAR) AS "Account ID",
                    CAST(p AS VARCHAR) AS "Product",
                    CAST(b AS VARCHAR) AS "Business Unit",
                    CAST(round(amt, 2) AS DECIMAL(18, 2)) AS "Amount"
                FROM rev) TO '{target}' (HEADER, DELIMITER ',')"""
        )
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m kamdash.sample",
        description="Write the deterministic sample extract (xlsx + csv/).",
    )
    ap.add_argument("--out", default="data/sample", help="output directory (default data/sample)")
    ap.add_argument("--accounts", type=int, default=None, help="number of accounts")
    ap.add_argument("--months", type=int, default=None, help="months of revenue")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--large", action="store_true", help="benchmark size (write_large)")
    ap.add_argument("--format", choices=["csv", "xlsx"], default="csv", help="with --large")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    if a.large:
        res = write_large(
            a.out,
            n_accounts=a.accounts or 20_000,
            months=a.months or 60,
            fmt=a.format,
            seed=a.seed,
        )
        print(f"wrote {res['path']} ({res['rows']['revenue']:,} revenue rows) in {res['seconds']}s")
        return 0
    kw = {"seed": a.seed}
    if a.accounts:
        kw["n_accounts"] = a.accounts
    if a.months:
        kw["months"] = a.months
    paths = write_sample(a.out, **kw)
    print(f"wrote {paths['xlsx']} and {paths['csv']}/ in {time.perf_counter() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
