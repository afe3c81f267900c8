"""kamdash: navigation and the frame shared by every page."""

import streamlit as st

st.set_page_config(page_title="kamdash", page_icon=":material/insights:", layout="wide")

pages = [
    st.Page("pages/portfolio.py", title="Portfolio", icon=":material/dashboard:", default=True),
]
st.navigation(pages).run()
