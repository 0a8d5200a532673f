"""First screen: the learner taps their village: a tile with its picture and name (a speaker says the name)."""

from __future__ import annotations

import streamlit as st

from learn import services
from learn.app import resources, shell, tiles
from learn.app.auth import client_address, returning_resident
from learn.app.navigation import go
from learn.app.ui import ICONS, message, plain, screen_voice
from learn.errors import LearnError
from learn.services import picture_passwords as pictures
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
if returning_resident():  # her own phone remembers her: straight to her lessons ("Đổi người học" is there)
    go("lessons")

st.title(f"{ICONS['app']} {t('app.title')}")
st.caption(t("app.tagline"))
st.header(t("village.heading"))
st.write(t("village.hint"))
tiles.apply()

villages = services.villages()
if not villages:
    st.info(t("village.none"))

several_communes = len({v.commune for v in villages}) > 1
commune = None
grid = None
chosen = None
for v in villages:
    if grid is None or (several_communes and v.commune != commune):
        commune = v.commune
        if several_communes:
            st.subheader(plain(v.commune))
        grid = tiles.grid(f"villages-{v.commune_id}")
    if tiles.tile(grid, key=f"village-{v.id}", drawing=pictures.drawing(v.picture), name=v.name,
                  tap=f"village-{v.id}", label=plain(v.name), say=v.name,
                  note=t("village.learners", count=v.learners)):
        chosen = v.id
if chosen is not None:
    st.session_state["village_id"] = chosen
    st.session_state.pop("learner_id", None)
    st.session_state.pop("village_code", None)
    go("learner")

screen_voice(t("village.voice"), key="village")
st.divider()
shell.install_hint()
if st.button(t("trainer.entry"), key="to-trainer", icon=ICONS["lock"], type="tertiary"):
    go("trainer")
