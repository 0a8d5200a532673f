"""First screen: the learner taps their village."""

from __future__ import annotations

import streamlit as st

from learn import services
from learn.app.ui import ICONS, go, plain
from learn.strings_vi import t

st.title(f"{ICONS['app']} {t('app.title')}")
st.caption(t("app.tagline"))
st.header(t("village.heading"))
st.write(t("village.hint"))

villages = services.villages()
if not villages:
    st.info(t("village.none"))

several_communes = len({v.commune for v in villages}) > 1
commune = None
for v in villages:
    if several_communes and v.commune != commune:
        commune = v.commune
        st.subheader(plain(v.commune))
    if st.button(plain(v.name), key=f"village-{v.id}", icon=ICONS["village"], width="stretch",
                 help=t("village.learners", count=v.learners)):
        st.session_state["village_id"] = v.id
        st.session_state.pop("learner_id", None)
        go("learner")

st.divider()
if st.button(t("trainer.entry"), key="to-trainer", icon=ICONS["lock"], type="tertiary"):
    go("trainer")
