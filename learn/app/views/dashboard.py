"""Commune staff's dashboard: each village against the commune's targets, lessons, months, hardest questions,
exports and the monthly report. Thin: every number comes from ``learn.services.reports``."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from learn.app import resources
from learn.app.auth import account_or_sign_in
from learn.app.navigation import go
from learn.app.ui import ICONS, message, plain, show_saved, shown_saved
from learn.errors import InvalidInput
from learn.lessons.model import CORE_TOPICS
from learn.services import care, exports, indicators, monthly, reports, trainers
from learn.services import sync as syncing
from learn.services.accounts import create_trainer, reset_password
from learn.strings_vi import STRINGS, t
from progress_db.records import AccountInfo

# The dashboard is read on a laptop: give the tables and charts the width of the screen (our own constant CSS).
st.markdown("<style>.block-container { max-width: 1280px; }</style>", unsafe_allow_html=True)

who: AccountInfo = account_or_sign_in()
if who.role not in ("staff", "admin"):
    st.error(t("dashboard.staff_only"))
    if st.button(t("dashboard.back"), icon=ICONS["back"], width="stretch"):
        go("trainer")
    st.stop()

catalog = resources.catalog()
communes = reports.communes(who)
heading = st.container()  # the page's title, first on the page, names the commune chosen below it
picked_commune: int | None = who.commune_id
if who.role == "admin":
    picked_commune = st.selectbox(t("dashboard.commune"), list(communes), format_func=lambda c: communes[c],
                                  key="dash_commune") if communes else None
if picked_commune is None or picked_commune not in communes:
    st.info(t("report.no_commune"))
    st.stop()
commune_id: int = picked_commune
heading.header(t("dashboard.heading", commune=plain(communes[commune_id])))

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


# A province-sized commune takes a second or two to count (grouping a million answers is SQLite's floor), so the
# numbers are kept for five minutes per account and filters: ticking a box or opening a panel stays instant.
@st.cache_data(ttl=300, show_spinner=False, max_entries=64)
def _dashboard(viewer: AccountInfo, commune: int, chosen: reports.Filters) -> reports.Dashboard:
    return reports.dashboard(viewer, resources.catalog(), commune, chosen)


try:
    with st.spinner(t("dashboard.loading")):
        dash = _dashboard(who, commune_id, filters)
except InvalidInput as exc:
    st.error(message(exc))
    st.stop()

when, refresh = st.columns([3, 1])
when.caption(t("dashboard.made_at", time=dash.made_at.strftime("%H:%M %d/%m/%Y")))
if refresh.button(t("dashboard.refresh"), icon=ICONS["restart"], key="dash_refresh", width="stretch"):
    _dashboard.clear()
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
        prompt = hard.question.prompt if hard.question else hard.row.question_id
        line = t("dashboard.hardest_item", prompt=plain(prompt), lesson=plain(hard.lesson_title),
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

# --- targets and the commune's villages and accounts (staff) ---
with st.expander(t("dashboard.targets_edit"), icon=ICONS["target"]):
    for note in st.session_state.pop("targets_notes", []):
        st.success(note)
    inputs = {k: f"target-{commune_id}-{k}" for k in indicators.KEYS}
    for k, key in inputs.items():  # the form shows the targets saved for the commune on screen
        show_saved(key, round(100 * dash.targets[k]))

    def save_targets() -> None:
        """Save the targets that were changed; a value outside 0..100 is refused with its message, and what was
        typed stays in the box to be corrected."""
        changed = {k: float(st.session_state[key]) / 100 for k, key in inputs.items()
                   if st.session_state.get(key) is not None and st.session_state[key] != shown_saved(key)}
        try:
            indicators.set_targets(who, commune_id, changed)
        except InvalidInput as exc:
            st.session_state["targets_problem"] = message(exc)
            return
        _dashboard.clear()
        st.session_state["targets_notes"] = [t("dashboard.targets_saved")]

    problem = st.session_state.pop("targets_problem", None)
    if problem:
        st.error(problem)
    with st.form("targets"):
        boxes = st.columns(3)
        for i, (k, key) in enumerate(inputs.items()):
            # no min/max here: the browser would clamp a typo silently; the service refuses it with a message
            boxes[i % 3].number_input(t("dashboard.target_input", indicator=t(f"indicator.{k}")), step=5, key=key)
        st.form_submit_button(t("dashboard.targets_save"), type="primary", width="stretch", on_click=save_targets)

with st.expander(t("sync.heading"), icon=ICONS["download"]):
    st.caption(t("sync.hint"))
    for kind, note in st.session_state.pop("sync_notes", []):
        (st.success if kind == "ok" else st.info)(note)
    with st.form("sync_upload", clear_on_submit=True):
        upload = st.file_uploader(t("sync.upload"), type=["hocso"], key="sync_file")
        if st.form_submit_button(t("sync.take"), type="primary", width="stretch") and upload is not None:
            try:
                got = syncing.receive(who, upload.getvalue(), resources.settings().sync_key, resources.catalog())
            except syncing.BundleRejected as exc:
                st.error(message(exc))
            else:
                parts = [t(f"sync.kind.{k}", count=n) for k, n in got.added.items()
                         if n and f"sync.kind.{k}" in STRINGS]
                st.session_state["sync_notes"] = [
                    ("info", t("sync.already")) if got.already else
                    ("ok", t("sync.done", what=", ".join(parts))) if parts else ("info", t("sync.nothing_new"))]
                _dashboard.clear()
                st.rerun()

with st.expander(t("dashboard.manage"), icon=ICONS["village"]):
    for note in st.session_state.pop("manage_notes", []):
        st.success(note)
    with st.form("add_village"):
        name = st.text_input(t("dashboard.village_name"), key="new_village")
        if st.form_submit_button(t("dashboard.add_village"), width="stretch"):
            try:
                trainers.add_village(who, commune_id, name)
            except InvalidInput as exc:
                st.error(message(exc))
            else:
                _dashboard.clear()
                st.session_state["manage_notes"] = [t("dashboard.village_added", name=plain(name.strip()))]
                st.rerun()
    if village_choices:
        with st.form("rename_village"):
            old = st.selectbox(t("dashboard.rename_which"), village_choices, format_func=lambda v: v.name,
                               key="rename_which")
            new = st.text_input(t("dashboard.rename_to"), key="rename_to")
            if st.form_submit_button(t("dashboard.rename"), width="stretch"):
                try:
                    renamed = trainers.rename_village(who, old.id, new)
                except InvalidInput as exc:
                    st.error(message(exc))
                else:
                    st.session_state["manage_notes"] = [t("dashboard.renamed", name=plain(renamed))]
                    _dashboard.clear()
                    st.rerun()
    st.caption(t("dashboard.accounts"))
    commune_team = trainers.commune_accounts(who, commune_id)
    st.dataframe([{t("trainer.username"): a.username, t("account.new_name"): a.name,
                   t("dashboard.role"): t(f"dashboard.role.{a.role}"),
                   t("dashboard.col_active"): "✓" if a.active else "–"}
                  for a in commune_team], hide_index=True, width="stretch", height="content")
    team = [a for a in commune_team if a.role == "trainer"]
    for note in st.session_state.pop("account_switch_notes", []):
        st.success(note)
    if team:
        with st.form("account_switch"):
            st.caption(t("dashboard.account_switch"))
            switched = st.selectbox(t("dashboard.reset_who"), team, key="switch_who",
                                  format_func=lambda a: f"{a.username} ({a.name})" + ("" if a.active else " –"))
            off, on = st.columns(2)
            if off.form_submit_button(t("dashboard.account_off"), width="stretch"):
                done = care.set_trainer_active(who, switched.id, False)
                st.session_state["account_switch_notes"] = [t("dashboard.account_off_done", username=done.username)]
                st.rerun()
            if on.form_submit_button(t("dashboard.account_on"), width="stretch"):
                done = care.set_trainer_active(who, switched.id, True)
                st.session_state["account_switch_notes"] = [t("dashboard.account_on_done", username=done.username)]
                st.rerun()
        with st.form("reset_password", clear_on_submit=True):
            st.caption(t("dashboard.reset_hint"))
            person = st.selectbox(t("dashboard.reset_who"), team, format_func=lambda a: f"{a.username} ({a.name})",
                                  key="reset_who")
            fresh = st.text_input(t("trainer.password"), type="password", key="reset_password_value")
            if st.form_submit_button(t("dashboard.reset"), width="stretch"):
                try:
                    done = reset_password(who, person.id, fresh)
                except InvalidInput as exc:
                    st.error(message(exc))
                else:
                    st.success(t("dashboard.reset_done", username=done.username))
    with st.form("new_trainer", clear_on_submit=False):
        st.caption(t("account.new_trainer"))
        new_user = st.text_input(t("trainer.username"), key="new_trainer_user")
        new_name = st.text_input(t("account.new_name"), key="new_trainer_name")
        new_password = st.text_input(t("trainer.password"), type="password", key="new_trainer_password")
        if st.form_submit_button(t("account.create"), width="stretch"):
            try:
                made = create_trainer(who, new_user, new_name, new_password, commune_id)
            except InvalidInput as exc:
                st.error(message(exc))
            else:
                st.success(t("account.created", username=made.username))

if st.button(t("dashboard.back"), icon=ICONS["back"], width="stretch"):
    go("trainer")
