"""First screen: the learner taps their village."""

from __future__ import annotations

import streamlit as st

from learn import services
from learn.app import resources
from learn.app.auth import client_address
from learn.app.navigation import go
from learn.app.ui import ICONS, message, plain
from learn.errors import LearnError
from learn.strings_vi import t

# A QR card from the tech team opens its village directly: /?village=ID&code=CODE
link = st.query_params.to_dict()
if link.get("village", "").isdigit():
    st.query_params.clear()
    st.session_state["village_id"] = int(link["village"])
    st.session_state.pop("learner_id", None)
    st.session_state.pop("village_code", None)
    if link.get("code"):
        try:
            services.open_village(int(link["village"]), link["code"], client=client_address(),
                                  required=resources.settings().join_code_required)
        except LearnError as exc:
            st.session_state["link_problem"] = message(exc)
        else:
            st.session_state["village_code"] = link["code"].strip()
    go("learner")

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
        st.session_state.pop("village_code", None)
        go("learner")

st.divider()
if st.button(t("trainer.entry"), key="to-trainer", icon=ICONS["lock"], type="tertiary"):
    go("trainer")
