"""Second screen: the learner taps their own name (PIN if they set one) or adds themselves."""

from __future__ import annotations

import streamlit as st

from learn import services
from learn.app import resources
from learn.app.auth import client_address
from learn.app.navigation import go
from learn.app.ui import ICONS, message, plain
from learn.errors import InvalidInput, JoinCodeNeeded, JoinLocked, NotFound, PinLocked, WrongJoinCode, WrongPin
from learn.strings_vi import t
from learn.text import fold

SEARCH_FROM = 8  # a search box only when the list no longer fits a phone screen

village_id = st.session_state.get("village_id")
if village_id is None:
    go("village")
try:
    village = services.village(village_id)
except NotFound as exc:
    st.session_state.pop("village_id", None)
    st.warning(message(exc))
    if st.button(t("nav.change_village"), icon=ICONS["village"], width="stretch"):
        go("village")
    st.stop()


def enter(learner_id: int, pin: str | None = None) -> None:
    person = services.sign_in_resident(learner_id, pin, client=client_address())
    st.session_state["learner_id"] = learner_id
    st.session_state["learner_uid"] = person.uid  # ids can be reused after a reset; the uid cannot
    st.session_state.pop("learner_seen", None)  # a new resident's pause starts now
    st.session_state.pop("pin_for", None)
    pending = st.session_state.pop("pending_lesson", None)
    if pending:
        go("lesson", lesson=pending)
    go("lessons")


st.caption(f"{ICONS['village']} {plain(village.name)}")
problem = st.session_state.pop("link_problem", None)
if problem:
    st.warning(problem)
st.header(t("learner.heading"))

required = resources.settings().join_code_required
if required and "village_code" not in st.session_state:
    # a server reachable from the internet: the names open only with the village's code (or its QR card)
    st.subheader(t("village.code_heading"))
    st.write(t("village.code_hint"))
    with st.form("join_code"):
        typed = st.text_input(t("village.code"), max_chars=6, key="join_code_value", placeholder="123456")
        if st.form_submit_button(t("village.code_open"), type="primary", width="stretch"):
            try:
                services.open_village(village.id, typed, required=True, client=client_address())
            except (JoinCodeNeeded, WrongJoinCode, JoinLocked) as exc:
                st.error(message(exc))
            else:
                st.session_state["village_code"] = typed.strip()
                st.rerun()
    if st.button(t("nav.change_village"), icon=ICONS["village"], width="stretch"):
        go("village")
    st.stop()
code = st.session_state.get("village_code")
try:
    people = services.residents(village.id, code, required=required)
except (JoinCodeNeeded, WrongJoinCode, JoinLocked) as exc:  # the code was renewed since: ask again
    st.session_state.pop("village_code", None)
    st.warning(message(exc))
    st.stop()

pin_for = st.session_state.get("pin_for")
chosen = next((p for p in people if p.id == pin_for), None)
if chosen is not None:
    st.subheader(t("learner.pin_ask", name=plain(chosen.name)))
    with st.form("pin"):
        pin = st.text_input(t("learner.pin"), type="password", max_chars=4, key="pin_value")
        submitted = st.form_submit_button(t("learner.pin_enter"), type="primary", width="stretch")
    if submitted:
        try:
            enter(chosen.id, pin)
        except (WrongPin, PinLocked) as exc:  # the count of wrong guesses is kept per learner, in the database
            st.error(message(exc))
    if st.button(t("learner.cancel"), width="stretch"):
        st.session_state.pop("pin_for", None)
        st.rerun()
    st.stop()

st.write(t("learner.hint") if people else t("learner.none"))
shown = people
if len(people) >= SEARCH_FROM:
    query = st.text_input(t("learner.search"), key="learner_search", icon=ICONS["search"])
    if query.strip():
        shown = [p for p in people if fold(query) in fold(p.name)]
for person in shown:
    label = plain(person.name)
    if person.birth_year:
        label += f" · {t('learner.year_badge', year=person.birth_year)}"
    if st.button(label, key=f"learner-{person.id}", icon=ICONS["lock" if person.has_pin else "learner"],
                 width="stretch"):
        if person.has_pin:
            st.session_state["pin_for"] = person.id
            st.rerun()
        enter(person.id)

with st.expander(t("learner.add"), icon=ICONS["add"], expanded=not people):
    with st.form("add_learner"):
        name = st.text_input(t("learner.name"), placeholder=t("learner.name_help"), max_chars=services.MAX_NAME,
                             key="new_name")
        year = st.text_input(t("learner.birth_year"), max_chars=4, key="new_year")
        pin = st.text_input(t("learner.pin"), type="password", max_chars=4, help=t("learner.pin_help"),
                            key="new_pin")
        if st.form_submit_button(t("learner.save"), type="primary", width="stretch"):
            try:
                added = services.join(village.id, code, name, year, pin, required=required)
            except InvalidInput as exc:
                st.error(message(exc))  # the form keeps what was typed
            else:
                st.toast(t("learner.added", name=plain(added.name)))
                enter(added.id, pin)

if st.button(t("nav.change_village"), icon=ICONS["village"], width="stretch"):
    go("village")
