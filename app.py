"""kamdash: navigation and the frame shared by every page."""

import streamlit as st

st.set_page_config(
    page_title="kamdash",
    page_icon=":material/insights:",
    layout="wide",
    initial_sidebar_state="expanded",
)

pages = {
    "Portfolio": [
        st.Page(
            "pages/portfolio.py",
            title="Portfolio",
            icon=":material/dashboard:",
            url_path="portfolio",
            default=True,
        ),
        st.Page("pages/tiers.py", title="Tiers", icon=":material/stacks:", url_path="tiers"),
        st.Page(
            "pages/retention.py",
            title="Retention & wallet",
            icon=":material/trending_up:",
            url_path="retention",
        ),
        st.Page(
            "pages/whitespace.py",
            title="Whitespace",
            icon=":material/grid_view:",
            url_path="whitespace",
        ),
    ],
    "Accounts": [
        st.Page(
            "pages/qbr.py", title="QBR scorecard", icon=":material/person_pin:", url_path="qbr"
        ),
    ],
    "Data": [
        st.Page(
            "pages/definitions.py",
            title="Definitions",
            icon=":material/menu_book:",
            url_path="definitions",
        ),
        st.Page(
            "pages/upload.py", title="Upload", icon=":material/upload_file:", url_path="upload"
        ),
    ],
}
st.navigation(pages).run()
