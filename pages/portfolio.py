"""Portfolio: headline figures of the published snapshot."""

import streamlit as st

from kamdash import ui
from kamdash.db import scalar

st.title("Portfolio")
f = ui.frame()
if f is None:
    ui.no_data_message()
    st.stop()

accounts = scalar(f.con, "SELECT count(*) FROM accounts")
revenue = scalar(f.con, "SELECT sum(amount) FROM revenue")
c1, c2 = st.columns(2)
c1.metric("Accounts", f"{accounts:,}")
c2.metric("Revenue (all periods)", ui.money(revenue))
