"""kamdash: navigation and the frame shared by every page (the pages: kamdash/navigation.py)."""

from pathlib import Path

import streamlit as st

from kamdash import ui
from kamdash.navigation import PAGES, PageSpec, default_page, sections
from kamdash.store.access import Viewer

st.set_page_config(
    page_title="kamdash",
    # a local file: a Material icon here is fetched from fonts.gstatic.com by every browser
    page_icon=str(Path(__file__).parent / "kamdash" / "assets" / "favicon.png"),
    layout="wide",
    initial_sidebar_state="expanded",
)


def _page(spec: PageSpec) -> st.Page:
    # Streamlit serves the default page at `/` and nowhere else, though it reserves its
    # url_path: give it none, so a hidden page can answer at that path (below).
    url_path = "" if spec.default else spec.url_path
    return st.Page(
        spec.file, title=spec.title, icon=spec.icon, url_path=url_path, default=spec.default
    )


# who is looking decides which pages exist
viewer = ui.admission()
if not isinstance(viewer, Viewer):
    # sign-in, no access or setup: every address resolves (no "page not found" for a deep
    # link), no menu, and no page runs
    st.navigation([_page(spec) for spec in PAGES], position="hidden")
    viewer()
    st.stop()
allowed = tuple(spec for spec in PAGES if ui.may_open(spec, viewer))
built = {spec: _page(spec) for spec in allowed}
pages = {section: [built[s] for s in specs] for section, specs in sections(allowed).items()}
home_spec = default_page()
home = built[home_spec]


def _to_home() -> None:
    """`/portfolio` (a shared link, a bookmark) opens the default page at `/`, filters kept."""
    params = {k: st.query_params.get_all(k) for k in st.query_params}
    st.switch_page(home, query_params=params)


pages[home_spec.section].append(
    st.Page(_to_home, title=home_spec.title, url_path=home_spec.url_path, visibility="hidden")
)
ui.run_safely(st.navigation(pages).run)
