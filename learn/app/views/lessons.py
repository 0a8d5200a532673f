"""Third screen: the lessons, grouped by topic, each with the learner's progress."""

from __future__ import annotations

import streamlit as st

from learn import services
from learn.app import resources
from learn.app.auth import signed_in_learner
from learn.app.navigation import go
from learn.app.ui import ICONS, ButtonKind, plain
from learn.strings_vi import t

learner = signed_in_learner()

st.header(t("lessons.heading", name=plain(learner.name)))
st.write(t("lessons.hint"))

groups = services.lesson_cards(resources.catalog(), learner.id)
if not groups:
    st.info(t("lessons.none"))
for topic, cards in groups:
    st.subheader(f"{ICONS.get(topic, ICONS['lesson'])} {t('topic.' + topic)}")
    for card in cards:
        lesson = card.lesson
        with st.container(border=True):
            st.markdown(f"**{plain(lesson.title)}**")
            st.caption(f"{ICONS['timer']} {t('lessons.minutes', minutes=lesson.minutes)} · {plain(lesson.summary)}")
            if card.status == "started":
                st.progress(card.percent / 100)
            label = t("lessons." + card.status, percent=card.percent)
            kind: ButtonKind = "secondary" if card.status == "done" else "primary"
            icon = ICONS["restart" if card.status == "done" else "next"]
            if st.button(label, key=f"open-{lesson.id}", type=kind, icon=icon, width="stretch"):
                if card.status == "done":
                    services.restart(learner.id, lesson)
                go("lesson", lesson=lesson.id)

st.divider()
if st.button(t("nav.change_learner"), icon=ICONS["learner"], width="stretch"):
    st.session_state.pop("learner_id", None)
    st.session_state.pop("learner_uid", None)
    go("learner")
