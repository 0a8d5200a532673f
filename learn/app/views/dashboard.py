"""Commune staff's dashboard: each village against the commune's targets, lessons, months, hardest questions,
exports and the monthly report. Thin: every number comes from ``learn.services.reports``. (Changing targets,
villages and accounts, and taking in a sync bundle, is the commune's administration page.)"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from learn.app import resources
from learn.app.auth import account_or_sign_in
from learn.app.commune import commune_on_screen, forget_numbers, staff_only
from learn.app.commune import dashboard as numbers
from learn.app.navigation import go
from learn.app.ui import ICONS, message, plain
from learn.errors import InvalidInput
from learn.lessons.model import CORE_TOPICS
from learn.services import exports, indicators, monthly, reports
from learn.strings_vi import t
from progress_db.records import AccountInfo

# The dashboard is read on a laptop: give the tables and charts the width of the screen (our own constant CSS).
st.markdown("<style>.block-container { max-width: 1280px; }</style>", unsafe_allow_html=True)

who: AccountInfo = account_or_sign_in()
staff_only(who)
catalog = resources.catalog()
heading = st.container()  # the page's title, first on the page, names the commune chosen below it
commune_id, commune_name = commune_on_screen(who)
heading.header(t("dashboard.heading", commune=plain(commune_name)))

# --- filters ---
today = reports.local_today()
village_choices = reports.villages_to_filter(who, commune_id)
with st.container(border=True):
    left, middle, right = st.columns([2, 1, 1])
    picked = left.multiselect(t("dashboard.villages"), village_choices, format_func=lambda v: v.name,
                              placeholder=t("dashboard.all_villages"), key="dash_villages", select_all=False)
    topics = [topic for topic, _ in catalog.by_topic()]
    topic = middle.selectbox(t("dashboard.topic"), [None, *topics], key="dash_topic",
                             format_func=lambda x: t(f"topic.{x}") if x else t("dashboard.all_topics"))
    period = right.selectbox(t("dashboard.period"), [*reports.PERIODS, "custom"], key="dash_period",
                             format_func=lambda x: t(f"dashboard.period.{x}"))
    since, until = reports.period(period, today) if period != "custom" else (None, None)
    if period == "custom":
        chosen = st.date_input(t("dashboard.period"), (today - timedelta(days=30), today), format="DD/MM/YYYY",
                               key="dash_dates")
        if isinstance(chosen, tuple) and len(chosen) == 2:
            since, until = chosen
    st.caption(t("dashboard.period_hint"))

filters = reports.Filters(tuple(v.id for v in picked) or None, topic, since, until)


try:
    with st.spinner(t("dashboard.loading")):
        dash = numbers(who, commune_id, filters)
except InvalidInput as exc:
    st.error(message(exc))
    st.stop()

when, refresh = st.columns([3, 1])
when.caption(t("dashboard.made_at", time=dash.made_at.strftime("%H:%M %d/%m/%Y")))
if refresh.button(t("dashboard.refresh"), icon=ICONS["restart"], key="dash_refresh", width="stretch"):
    forget_numbers()
    st.rerun()
whole = dash.total
a, b, c, d = st.columns(4)
a.metric(t("dashboard.residents"), whole.row.learners)
b.metric(t("dashboard.completed"), whole.row.lessons_completed)
c.metric(t("dashboard.sessions"), whole.row.sessions)
d.metric(t("indicator.basic_skills"), f"{round(100 * whole.indicator('basic_skills'))}%")

# --- targets ---
st.subheader(f"{ICONS['target']} {t('dashboard.targets_heading')}")
st.caption(t("dashboard.targets_hint"))
frame = pd.DataFrame([{"indicator": t(f"indicator.{k}"), "value": round(100 * whole.indicator(k)),
                       "target": round(100 * dash.targets[k]), "met": whole.indicator(k) >= dash.targets[k]}
                      for k in indicators.KEYS])
ROW = 44  # pixels per bar: every label shows, and each target mark sits on its own bar
bars = alt.Chart(frame).mark_bar(size=26).encode(
    x=alt.X("value:Q", title="%", scale=alt.Scale(domain=[0, 100])),
    y=alt.Y("indicator:N", title=None, sort=None, axis=alt.Axis(labelLimit=320, labelFontSize=14)),
    color=alt.Color("met:N", legend=None, scale=alt.Scale(domain=[True, False], range=["#1b7f3b", "#e07b00"])),
    tooltip=[alt.Tooltip("indicator:N", title=t("report.col.indicator")),
             alt.Tooltip("value:Q", title=t("report.col.value") + " (%)"),
             alt.Tooltip("target:Q", title=t("report.col.target") + " (%)")])
labels = bars.mark_text(align="left", dx=4, fontSize=13).encode(text=alt.Text("value:Q", format="d"),
                                                                 color=alt.value("#111"))
ticks = alt.Chart(frame).mark_tick(color="#111", thickness=3, size=ROW - 8).encode(
    x="target:Q", y=alt.Y("indicator:N", sort=None))
st.altair_chart((bars + labels + ticks).properties(height=ROW * len(frame)), width="stretch",
                height=ROW * len(frame) + 60)

percent = st.column_config.ProgressColumn(format="%d%%", min_value=0, max_value=100)
total_label = t("dashboard.commune_row") if filters.village_ids is None else t("dashboard.selected_row")
# the whole commune (or the villages picked) first, so it is seen without scrolling
rows = [whole, *dash.villages]


def _name(r: reports.VillageReport) -> str:
    return total_label if r is whole else r.row.village


short = {k: t(f"indicator.short.{k}") for k in indicators.KEYS}
st.dataframe(pd.DataFrame([{t("report.col.village"): _name(r), **{short[k]: round(100 * r.indicator(k))
                                                                  for k in indicators.KEYS}} for r in rows]),
             hide_index=True, width="stretch", height="content",  # every village, no scrolling inside the table
             column_config={t("report.col.village"): st.column_config.TextColumn(pinned=True),
                            **{short[k]: st.column_config.ProgressColumn(short[k], help=t(f"indicator.{k}"),
                                                                         format="%d%%", min_value=0, max_value=100)
                               for k in indicators.KEYS}})

# --- the village table ---
st.subheader(f"{ICONS['village']} {t('dashboard.table_heading')}")
topic_columns = [x for x in CORE_TOPICS if topic in (None, x)]
done_header = t("report.col.lessons_completed") if since is None and until is None else t("dashboard.done_in_period")
st.dataframe(pd.DataFrame([{
    t("report.col.village"): _name(r),
    t("report.col.learners"): r.row.learners, done_header: r.row.lessons_completed,
    **{t(f"topic.{x}"): round(100 * r.share(x)) for x in topic_columns},
    t("report.col.sessions"): r.row.sessions,
    t("report.col.last_activity"): reports.local_time(r.row.last_activity).strftime("%d/%m/%Y")
    if r.row.last_activity else ""}
    for r in rows]), hide_index=True, width="stretch", height="content",
    column_config={t("report.col.village"): st.column_config.TextColumn(pinned=True),
                   **{t(f"topic.{x}"): percent for x in topic_columns}})

# --- lesson x village ---
st.subheader(f"{ICONS['lesson']} {t('dashboard.matrix_heading')}")
st.caption(t("dashboard.matrix_hint"))
cells = pd.DataFrame([{"village": v.row.village, "lesson": title, "share": round(100 * dash.matrix_share(v, lesson_id)),
                       "done": dash.matrix.get((v.row.village_id, lesson_id), 0), "of": v.row.learners}
                      for v in dash.villages for lesson_id, title in dash.lessons])
if not cells.empty:
    # lessons down the side (their titles are long), villages across (their names are short)
    heat = alt.Chart(cells).mark_rect(stroke="white").encode(
        x=alt.X("village:N", title=None, sort=None,
                axis=alt.Axis(labelAngle=-35, labelLimit=140, orient="top", labelOverlap=False)),
        y=alt.Y("lesson:N", title=None, sort=None, axis=alt.Axis(labelLimit=330, labelFontSize=13)),
        color=alt.Color("share:Q", title="%", scale=alt.Scale(domain=[0, 100], scheme="greens")),
        tooltip=[alt.Tooltip("village:N", title=t("report.col.village")),
                 alt.Tooltip("lesson:N", title=t("dashboard.lesson")),
                 alt.Tooltip("share:Q", title="%"), alt.Tooltip("done:Q", title=t("dashboard.done_people")),
                 alt.Tooltip("of:Q", title=t("report.col.learners"))])
    if len(dash.villages) <= 14:  # the number in each cell, when there is room for it
        heat = heat + heat.mark_text(fontSize=12).encode(
            text=alt.Text("share:Q", format="d"),
            color=alt.condition(alt.datum.share > 60, alt.value("white"), alt.value("#111")))
    st.altair_chart(heat.properties(height=30 * len(dash.lessons)), width="stretch",
                    height=30 * len(dash.lessons) + 140)

# --- over time ---
st.subheader(f"{ICONS['chart']} {t('dashboard.time_heading')}")
if dash.monthly:
    months = pd.DataFrame(dash.monthly, columns=["village", "month", "done"])
    months["month"] = months["month"].map(lambda m: f"{m[5:7]}/{m[:4]}")
    by_village = len(dash.villages) <= 12
    if not by_village:
        months = months.groupby("month", as_index=False, sort=False)["done"].sum()
    order = sorted(months["month"].unique(), key=lambda m: (m[3:], m[:2]))
    chart = alt.Chart(months).mark_bar(size=min(60, 600 // max(1, len(order)))).encode(
        x=alt.X("month:N", title=t("dashboard.month"), sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("sum(done):Q", title=t("dashboard.completed")),
        tooltip=[alt.Tooltip("month:N", title=t("dashboard.month")),
                 alt.Tooltip("sum(done):Q", title=t("dashboard.completed"))]
        + ([alt.Tooltip("village:N", title=t("report.col.village"))] if by_village else []))
    if by_village:
        chart = chart.encode(color=alt.Color("village:N", title=t("report.col.village"),
                                             scale=alt.Scale(scheme="tableau20"),
                                             legend=alt.Legend(orient="bottom", columns=4, labelLimit=200)))
    st.altair_chart(chart.properties(height=300), width="stretch", height=300 + 40 + 22 * 4)
else:
    st.info(t("dashboard.no_completions"))

# --- hardest questions ---
st.subheader(f"{ICONS['question']} {t('dashboard.hardest_heading')}")
st.caption(t("dashboard.hardest_hint", minimum=reports.HARDEST_MIN_ANSWERS))
if dash.hardest:
    for hard in dash.hardest:
        line = t("dashboard.hardest_item", prompt=plain(hard.prompt), lesson=plain(hard.lesson_title),
                 wrong=hard.row.wrong, answers=hard.row.answers)
        if hard.common_wrong:
            line += " " + t("dashboard.hardest_common", common=plain(hard.common_wrong))
        st.markdown("- " + line)
else:
    st.info(t("dashboard.no_hardest"))

# --- exports: made only when tapped ---
st.subheader(f"{ICONS['download']} {t('dashboard.exports')}")


def _learners_csv() -> str:
    names = {v.row.village_id: v.row.village for v in dash.villages}
    rows = reports.learners_report(who, catalog, commune_id, filters)
    return exports.as_csv(exports.learner_records(rows, names), exports.LEARNER_COLUMNS, people=True)


def _workbook() -> bytes:
    return exports.exports(dash, reports.learners_report(who, catalog, commune_id, filters))


def _monthly(month: date) -> str:
    # the report sent upward is always the whole commune's, whatever villages are picked above
    whole = reports.dashboard(who, catalog, commune_id, monthly.month_filters(month))
    return monthly.monthly_report(whole, reports.local_today())


one, two, three = st.columns(3)
one.download_button(t("dashboard.csv_villages"),
                    exports.as_csv(exports.as_records(rows), exports.VILLAGE_COLUMNS, people=True),
                    file_name="cac-thon.csv", mime="text/csv", icon=ICONS["download"], on_click="ignore",
                    width="stretch", key="dash_csv_villages")
two.download_button(t("dashboard.csv_learners"), _learners_csv, file_name="tien-do-nguoi-hoc.csv", mime="text/csv",
                    icon=ICONS["download"], on_click="ignore", width="stretch", key="dash_csv_learners")
three.download_button(t("dashboard.xlsx"), _workbook, file_name="hoc-so.xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      icon=ICONS["download"], on_click="ignore", width="stretch", key="dash_xlsx")
with st.container(border=True):
    st.markdown(f"**{t('dashboard.monthly_heading')}**")
    st.caption(t("dashboard.monthly_hint"))
    recent = [date(today.year - (today.month - 1 - i < 0), (today.month - 1 - i) % 12 + 1, 1) for i in range(12)]
    pick, get = st.columns([1, 2], vertical_alignment="bottom")
    month = pick.selectbox(t("dashboard.month"), recent, format_func=lambda m: m.strftime("%m/%Y"),
                           key="dash_month")
    get.download_button(t("dashboard.monthly"), partial(_monthly, month), file_name=f"bao-cao-{month:%Y-%m}.html",
                        mime="text/html", icon=ICONS["print"], on_click="ignore", width="stretch",
                        key="dash_monthly")

if st.button(t("admin.open"), icon=ICONS["village"], width="stretch", key="to-admin"):
    go("management")
if st.button(t("dashboard.back"), icon=ICONS["back"], width="stretch"):
    go("trainer")
