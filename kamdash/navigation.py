"""The pages of the app, in menu order: app.py builds `st.navigation` from this list and the
tests open every page in it. Plain data, so the tests and benchmarks read it without Streamlit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    file: str  # relative to app.py's folder
    title: str  # the menu entry; the page's own heading may say more
    icon: str
    url_path: str  # the page's address without the leading slash
    section: str
    default: bool = False  # also served at `/`


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "pages/portfolio.py",
        "Portfolio",
        ":material/dashboard:",
        "portfolio",
        "Portfolio",
        default=True,
    ),
    PageSpec("pages/tiers.py", "Tiers", ":material/stacks:", "tiers", "Portfolio"),
    PageSpec(
        "pages/retention.py",
        "Retention & wallet",
        ":material/trending_up:",
        "retention",
        "Portfolio",
    ),
    PageSpec(
        "pages/whitespace.py", "Whitespace", ":material/grid_view:", "whitespace", "Portfolio"
    ),
    PageSpec("pages/qbr.py", "QBR scorecard", ":material/person_pin:", "qbr", "Accounts"),
    PageSpec("pages/definitions.py", "Definitions", ":material/menu_book:", "definitions", "Data"),
    PageSpec("pages/upload.py", "Upload", ":material/upload_file:", "upload", "Data"),
)


def sections() -> dict[str, list[PageSpec]]:
    """The pages grouped by menu section, sections and pages in registry order."""
    out: dict[str, list[PageSpec]] = {}
    for p in PAGES:
        out.setdefault(p.section, []).append(p)
    return out


def default_page() -> PageSpec:
    (page,) = (p for p in PAGES if p.default)
    return page
