"""KAM program: a row per KAM (their book's program metrics and growth goals), the team roll-up,
and the trend of the measures with dated history. Layout only: `kamdash.views.program`."""

import streamlit as st

from kamdash import ui
from kamdash.core import fmt
from kamdash.metrics.definitions import BY_KEY
from kamdash.present import figures
from kamdash.views import program as view

f = ui.page("KAM program")
s, ctx, q = f.settings, f.periods, f.quarter
head = st.container()  # the headline, drawn once the rows are chosen below it
heading = st.container()  # the table's heading, above the choice of rows
ways = view.groupings(f.con)
by = "owner"
if len(ways) > 1:
    by = st.segmented_control(
        "Rows",
        ways,
        format_func=lambda w: {"owner": "By KAM", "team": "Team roll-up"}[w],
        default="owner",
        required=True,
        key="prog_by",
        bind="query-params",
        persist_state="session",
        help="A row per KAM, or per team (the team table's teams, through each KAM); the "
        "trend follows.",
        label_visibility="collapsed",
    )


def _program(con, s, ctx, q, by):
    """The table's rows and the trend, computed together: they share a `Memo`."""
    memo = view.Memo()
    pv = view.program_view(con, s, ctx, q, by, memo=memo)
    if ui.is_missing(pv):
        return pv, None
    return pv, view.trend(con, s, ctx, q, by, memo=memo)


pv, tr = ui.cached(f, _program, s, ctx, q, by)
if ui.is_missing(pv):
    ui.missing(pv)
    st.stop()
with head:
    year = pv.goal_year
    goals_text = (
        f" Growth goals: **{year.label}** to date, as of {fmt.day(year.as_of)} (day {year.elapsed} "
        f"of {year.days})."
        if year
        else ""
    )
    st.caption(
        f"Each KAM's book: their accounts with revenue in the twelve months to "
        f"**{f.quarter_label()}**; plans and QBRs as of {fmt.day(pv.as_of)}.{goals_text} "
        "Click a column header to sort; **Open →** shows the KAM's book on the Portfolio page."
    )

    t = pv.total
    c = st.columns(5)
    ui.fact(
        c[0],
        "Goal attainment",
        fmt.pct(t.get("attainment")),
        None if year is None else f"projected {fmt.pct(t.get('projected_attainment'))}",
        help=fmt.md(f"{BY_KEY['attainment'].text} {BY_KEY['projection'].text}"),
    )
    ui.fact(
        c[1],
        "Coverage",
        view.coverage_text(t.get("coverage"), bool(t.get("goal_met"))),
        None if year is None else f"gap {f.money(t.get('gap'))}",
        help=fmt.md(BY_KEY["gap_and_coverage"].text),
    )
    ui.fact(
        c[2],
        "Plans fresh",
        fmt.pct(t.get("plan_fresh_rate")),
        f"{fmt.number(t.get('plan_accounts'))} accounts",
        help=fmt.md(BY_KEY["plan_freshness_rate"].text),
    )
    ui.fact(
        c[3],
        "QBR cadence",
        fmt.pct(t.get("qbr_adherence")),
        f"{fmt.number(t.get('qbr_due'))} due",
        help=fmt.md(BY_KEY["qbr_cadence_adherence"].text),
    )
    ui.fact(
        c[4],
        "Multithreaded",
        fmt.pct(t.get("multithreaded_rate")),
        f"exec access {fmt.pct(t.get('exec_access_rate'))}",
        help=fmt.md(BY_KEY["multithreading"].text),
    )
    for m in pv.missing:
        ui.missing(m)
    if year is not None and t.get("accounts_without_target"):
        st.caption(
            f"{fmt.number(t['accounts_without_target'])} accounts with revenue in {year.label} have "
            f"no target ({f.money(t['fytd_without_target'])} to date): left out of the goals."
        )


def laid_out(table, groups, key: str):
    """The table with a link to each book (its KAM or team filter on the Portfolio page)."""
    first = table.columns[0]
    shown = table.copy()
    if key == "owner":
        shown[first] = [
            f.owner(g) if g is not None else n for g, n in zip(groups, table[first], strict=True)
        ]

    def book(g):  # the filter as the sidebar writes it in the address (a KAM by alias if hidden)
        value = f.owner(g) if key == "owner" else g
        return None if g is None else "portfolio?" + ui.link_query(f.names, **{key: value})

    shown.insert(1, "Book", [book(g) for g in groups])
    config = {
        first: st.column_config.TextColumn(first, pinned=True),
        "Book": st.column_config.LinkColumn("Book", display_text="Open →", width="small"),
    }
    for col, help_text in view.COLUMN_HELP.items():
        config[col] = st.column_config.Column(col, help=help_text)
    for col in (*view.TIER_COLUMNS, *pv.extra_tiers):
        config[col] = st.column_config.Column(
            col.replace("Tier ", "T"), help=f"{col} accounts in the book.", width=40
        )
    formats = dict(view.FORMATS) | {x: "integer" for x in pv.extra_tiers}
    return shown, config, formats


heading.subheader("By KAM" if by == "owner" else "Team roll-up")
shown, config, formats = laid_out(pv.table, pv.groups, by)
ui.table(
    shown,
    "KAM program" if by == "owner" else "KAM program by team",
    names=None,  # KAMs shown as `f.owner` has them above; the table names no account
    formats=formats,
    currency=f.currency,
    column_config=config,
    width="stretch",
    key=f"program_{by}",
)

st.subheader("Trend over quarters")
measure = st.radio(
    "Measure",
    list(view.MEASURES),
    format_func=view.MEASURES.get,
    horizontal=True,
    key="prog_measure",
    bind="query-params",
    persist_state="session",
)
if ui.is_missing(tr):
    ui.missing(tr)
else:
    if by == "owner":
        tr = tr.assign(group=[g if g == view.NO_OWNER else f.owner(g) for g in tr["group"]])
    ui.plot(
        figures.program_trend(tr, measure, view.MEASURES[measure], view.GROUPINGS[by], f.currency),
        key="prog_trend",
    )
notes = [view.CURRENT_ONLY_TEXT]
if measure == "qbr_adherence":
    notes.insert(0, "QBR cadence is defined from the extract's first QBR on.")
if not ui.is_missing(tr) and tr.attrs.get("groups", 0) > view.TREND_GROUPS:
    notes.insert(
        0,
        f"The {view.TREND_GROUPS} largest of {tr.attrs['groups']:,} by TTM revenue are drawn; "
        "the KAM and team filters in the sidebar choose others.",
    )
st.caption(" ".join(notes))
