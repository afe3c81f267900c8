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
    admin_only: bool = False  # absent from the menu and refused for anyone but an admin


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
    PageSpec("pages/program.py", "KAM program", ":material/groups:", "program", "Portfolio"),
    PageSpec("pages/qbr.py", "QBR scorecard", ":material/person_pin:", "qbr", "Accounts"),
    PageSpec("pages/definitions.py", "Definitions", ":material/menu_book:", "definitions", "Data"),
    PageSpec(
        "pages/upload.py", "Upload", ":material/upload_file:", "upload", "Data", admin_only=True
    ),
)


def sections(pages: tuple[PageSpec, ...] = PAGES) -> dict[str, list[PageSpec]]:
    """`pages` grouped by menu section, sections and pages in registry order."""
    out: dict[str, list[PageSpec]] = {}
    for p in pages:
        out.setdefault(p.section, []).append(p)
    return out


def default_page() -> PageSpec:
    (page,) = (p for p in PAGES if p.default)
    return page
