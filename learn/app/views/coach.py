"""Who has learned what in a village, for its tech team: the lesson x resident grid, the village's recent
activity, and a way into each resident's page (whom to visit next)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from learn.app import resources
from learn.app.auth import account_or_sign_in
from learn.app.navigation import go
from learn.app.ui import ICONS, message, plain, tap_handler
from learn.errors import LearnError
from learn.services import care, trainers
from learn.services.reports import local_time
from learn.strings_vi import t

MARKS = {"done": "✓", "going": "◐", "new": ""}


def _local(at: datetime) -> str:
    return local_time(at).strftime("%d/%m/%Y")


who = account_or_sign_in()
catalog = resources.catalog()
try:
    village = trainers.village_for(who, int(st.query_params.get("village", "0") or 0))
    grid = care.village_grid(who, catalog, village.id)
except (LearnError, ValueError) as exc:
    st.error(message(exc) if isinstance(exc, LearnError) else t("error.not_found"))
    if st.button(t("coach.back"), icon=ICONS["back"], width="stretch"):
        go("trainer")
    st.stop()

st.header(t("coach.heading", village=plain(village.name)))
note = st.session_state.pop("coach_note", None)
if note:
    st.success(note)
moved = care.moved_away(who, village.id)
st.caption(t("coach.counts", here=len(grid.residents), moved=len(moved)))
if st.button(t("coach.back"), icon=ICONS["back"], key="coach-back", width="stretch"):
    go("trainer")

if grid.residents:
    person = st.selectbox(t("coach.person_pick"), grid.residents, format_func=lambda p: p.name, key="coach_person")
    if st.button(t("coach.person_open"), icon=ICONS["learner"], type="primary", width="stretch", key="coach-person"):
        go("resident", learner=str(person.id))

st.subheader(f"{ICONS['lesson']} {t('coach.grid_heading')}")
st.caption(t("coach.grid_hint"))
if grid.residents:
    table = pd.DataFrame([{t("coach.col_name"): p.name, t("coach.col_done"): grid.done[p.id],
                           **{title: MARKS[grid.standing(p.id, lesson_id)] for lesson_id, title in grid.lessons}}
                          for p in grid.residents])
    st.dataframe(table, hide_index=True, width="stretch", height="content",
                 column_config={t("coach.col_name"): st.column_config.TextColumn(pinned=True)})
else:
    st.info(t("trainer.roster_empty"))
kept = care.village_review(who, catalog, village.id)  # spaced review (issue 18)
st.markdown(f"{ICONS['restart']} " + (t("review.coach_line", kept=kept.kept, reviewed=kept.reviewed) if kept.reviewed
                                      else t("review.coach_none")))

st.subheader(f"{ICONS['timer']} {t('coach.activity_heading')}")
activity = care.village_activity(who, catalog, village.id)
if not activity:
    st.caption(t("coach.activity_none"))
for line in activity:
    subject = t(f"outcome.short.{line.subject}") if line.kind == "outcome" else line.subject
    st.write(f"{_local(line.at)} · " + t(f"coach.activity.{line.kind}", name=plain(line.name),
                                          subject=plain(subject)))

st.subheader(f"{ICONS['mic']} {t('coach.heard_heading')}")  # what the recogniser heard (issue 19)
heard = care.village_heard(who, catalog, village.id)
st.caption(t("coach.heard_hint") if heard else t("coach.heard_none"))
for asked in heard[:10]:
    st.markdown(t("coach.heard_line", lesson=plain(asked.lesson_title), prompt=plain(asked.prompt),
                  heard=asked.heard, answered=asked.answered))
    said = ", ".join(f"«{plain(text)}» ×{times}" for text, times in asked.said)
    st.caption(t("coach.heard_said", said=said) if said else t("coach.heard_nothing_kept"))

if moved:
    with st.expander(t("coach.moved_heading"), icon=ICONS["village"]):
        for p in moved:
            def back(learner_id: int = p.id, name: str = p.name) -> None:
                care.move_away(who, learner_id, back=True)
                st.session_state["coach_note"] = t("coach.came_back", name=plain(name))
            st.button(f"{t('resident.come_back')}: {plain(p.name)}", key=f"back-{p.id}", width="stretch",
                      on_click=tap_handler(back))
