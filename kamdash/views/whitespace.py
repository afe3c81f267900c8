"""What the Whitespace page shows, as plain data: the accounts x products grid of an industry
(or the whole filtered portfolio), one account's business units x products, and the biggest
opportunities. Potentials and reasons come from metrics.whitespace."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kamdash.metrics.whitespace import Whitespace

GRID_ROWS = 20  # accounts in the grid by default (the largest by TTM revenue)
GRID_ROWS_MAX = 40
OPPORTUNITIES_SHOWN = 15  # the biggest opportunities listed by default


def accounts(ws: Whitespace, industry: str | None = None) -> pd.DataFrame:
    """The accounts of the grid (of `industry`, None: all), largest TTM first: account_id,
    account_name, industry, account_ttm."""
    acc = (
        ws.cells[["account_id", "account_name", "industry", "account_ttm"]]
        .drop_duplicates("account_id")
        .sort_values(["account_ttm", "account_id"], ascending=[False, True])
    )
    return acc if industry is None else acc[acc["industry"] == industry]


def industries(ws: Whitespace) -> list[str]:
    return sorted(ws.cells["industry"].dropna().unique())


@dataclass(frozen=True)
class Grid:
    accounts: pd.DataFrame  # the rows drawn, in order (`accounts` columns)
    ttm: pd.DataFrame  # account x product frames indexed like `accounts`
    potential: pd.DataFrame
    pipeline: pd.DataFrame


def account_grid(ws: Whitespace, industry: str | None, n: int) -> Grid:
    """The `n` largest accounts of `industry` (None: all) against the products."""
    rows = accounts(ws, industry).head(n)
    ids = list(rows["account_id"])
    return Grid(
        rows,
        ws.grid("ttm", ids),
        ws.grid("potential", ids),
        ws.pipeline_grid(ids),
    )


def opportunities(ws: Whitespace, industry: str | None = None) -> pd.DataFrame:
    """Empty cells with potential, biggest first (`Whitespace.ranked`), of `industry`."""
    ranked = ws.ranked()
    if industry is None:
        return ranked
    return ranked[ranked["account_id"].isin(set(accounts(ws, industry)["account_id"]))]
