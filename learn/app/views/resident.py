"""One resident, for her village's tech team: her lessons (done, in progress, score, when), the questions she
got wrong, her outcomes; and caring for her record (details, PIN reset, moved away, deletion on request), each
change logged with who made it and when."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from learn import services
from learn.app import resources, tiles
from learn.app.auth import account_or_sign_in
from learn.app.navigation import go
from learn.app.ui import ICONS, message, plain, show_saved, shown_saved, tap_handler
from learn.errors import LearnError
from learn.services import care, languages, trainers
from learn.services.reports import local_time
from learn.strings_vi import t


def _local(at: datetime, clock: bool = False) -> str:
    return local_time(at).strftime("%H:%M %d/%m/%Y" if clock else "%d/%m/%Y")


who = account_or_sign_in()
catalog = resources.catalog()
if "resident_deleted" in st.session_state:  # her page is gone with her name: back to the village
    st.session_state["coach_note"] = t("resident.deleted")
    go("coach", village=str(st.session_state.pop("resident_deleted")))
for note in st.session_state.pop("resident_notes", []):
    st.success(note)
try:
    learner_id = int(st.query_params.get("learner", "0") or 0)
    seen = care.report(who, catalog, learner_id)
except (LearnError, ValueError) as exc:
    st.error(message(exc) if isinstance(exc, LearnError) else t("learner.not_found"))
    if st.button(t("coach.back"), icon=ICONS["back"], width="stretch", key="resident-home"):
        go("trainer")
    st.stop()

person = seen.person
tiles.apply()
with st.container(key="who", horizontal=True, vertical_alignment="center"):  # her picture, as on her screens
    tiles.picture(services.learner_picture(person), width=64, key=f"resident-{person.id}")
    st.header(f"{ICONS['learner']} {plain(person.name)}")
secret = "resident.has_pin" if person.has_pin else "resident.has_pictures" if person.has_pictures else "resident.no_pin"
st.caption(t("resident.details", year=person.birth_year or "–", household=plain(person.household or "–"),
             pin=t(secret)))
if seen.last_reset is not None:
    st.caption(t("resident.reset_line", by=plain(seen.last_reset.by or t("resident.someone")),
                 when=_local(seen.last_reset.at, clock=True)))
if person.left == "moved":
    st.warning(t("resident.moved_note"))
if st.button(t("coach.open"), icon=ICONS["back"], key="resident-back", width="stretch"):
    go("coach", village=str(person.village_id))

st.subheader(f"{ICONS['lesson']} {t('resident.lessons_heading')}")
if seen.lessons:
    st.dataframe(pd.DataFrame([{
        t("resident.col_lesson"): x.title, t("resident.col_state"): t(f"resident.state.{x.standing}"),
        t("resident.col_screens"): f"{x.position}/{x.screens}",
        t("resident.col_score"): f"{x.right}/{x.answered}" if x.answered else "–",
        t("resident.col_when"): _local(x.when) if x.when else ""} for x in seen.lessons]),
        hide_index=True, width="stretch", height="content")
else:
    st.caption(t("resident.lessons_none"))

st.subheader(f"{ICONS['wrong']} {t('resident.wrong_heading')}")
if not seen.wrong:
    st.caption(t("resident.wrong_none"))
for w in seen.wrong:
    line = "practice.wrong_line" if w.helped is not None else "resident.wrong_line"  # a pretend-phone screen
    st.markdown(t(line, lesson=plain(w.lesson_title), prompt=plain(w.prompt), chosen=plain(w.chosen),
                  right=plain(w.right), when=_local(w.when)))

st.subheader(f"{ICONS['right']} {t('resident.outcomes_heading')}")
ticked = [t(f"outcome.{k}") for k in trainers.OUTCOMES if k in seen.outcomes]
st.markdown("\n".join(f"- {x}" for x in ticked) if ticked else t("resident.outcomes_none"))


def _save_details() -> None:
    keys = {"name": f"rname-{person.id}", "birth_year": f"ryear-{person.id}", "household": f"rhouse-{person.id}"}
    changed = {field: str(st.session_state.get(key) or "") for field, key in keys.items()
               if st.session_state.get(key) != shown_saved(key)}
    try:
        after = care.change_details(who, person.id, **changed)
    except LearnError as exc:
        st.session_state["resident_problem"] = ("details", message(exc))
        return
    st.session_state["resident_notes"] = [t("resident.saved", name=plain(after.name))]


def _reset_pin() -> None:
    try:
        care.reset_pin(who, person.id, str(st.session_state.get(f"rpin-{person.id}") or "").strip() or None)
    except LearnError as exc:
        st.session_state["resident_problem"] = ("pin", message(exc))
        return
    st.session_state[f"rpin-{person.id}"] = ""
    st.session_state.pop(f"rpicked-{person.id}", None)
    st.session_state["resident_notes"] = [t("resident.pin_done", name=plain(person.name))]


def _set_pictures() -> None:
    try:
        care.reset_pin(who, person.id, None, st.session_state.get(f"rpicked-{person.id}", []))
    except LearnError as exc:
        st.session_state["resident_problem"] = ("pin", message(exc))
        return
    st.session_state.pop(f"rpicked-{person.id}", None)
    st.session_state["resident_notes"] = [t("resident.pictures_done", name=plain(person.name))]


def _tap_picture(picture: str) -> None:
    st.session_state[f"rpicked-{person.id}"] = [*st.session_state.get(f"rpicked-{person.id}", []), picture][:3]


def _untap_picture() -> None:
    st.session_state[f"rpicked-{person.id}"] = st.session_state.get(f"rpicked-{person.id}", [])[:-1]


def _move(back: bool) -> None:
    care.move_away(who, person.id, back=back)
    st.session_state["resident_notes"] = [t("coach.came_back" if back else "resident.moved", name=plain(person.name))]


def _delete() -> None:
    try:
        care.delete_on_request(who, person.id, str(st.session_state.get(f"rdel-{person.id}") or ""))
    except LearnError as exc:
        st.session_state["resident_problem"] = ("delete", message(exc))
        return
    st.session_state["resident_deleted"] = person.village_id


problem = st.session_state.pop("resident_problem", None)
st.subheader(f"{ICONS['learner']} {t('resident.manage_heading')}")
show_saved(f"rname-{person.id}", person.name)
show_saved(f"ryear-{person.id}", str(person.birth_year or ""))
show_saved(f"rhouse-{person.id}", person.household or "")
with st.form(f"details-{person.id}"):
    st.text_input(t("resident.name"), key=f"rname-{person.id}")
    st.text_input(t("resident.year"), key=f"ryear-{person.id}", max_chars=4)
    st.text_input(t("resident.household"), key=f"rhouse-{person.id}")
    if problem and problem[0] == "details":
        st.error(problem[1])
    st.form_submit_button(t("resident.save"), type="primary", width="stretch", on_click=_save_details)

# the language she hears the narration in (issue 20), when her commune has one besides Vietnamese
heard = languages.choice_for(who, person.id)
if heard.languages:
    spoken = {languages.VIETNAMESE: t("language.vietnamese")} | {x.code: x.name for x in heard.languages}
    show_saved(f"rlang-{person.id}", heard.current)

    def _set_language() -> None:
        code = str(st.session_state.get(f"rlang-{person.id}") or languages.VIETNAMESE)
        try:
            languages.set_for(who, person.id, code)
        except LearnError as exc:
            st.session_state["resident_problem"] = ("language", message(exc))
            return
        st.session_state["resident_notes"] = [t("language.resident_saved", name=plain(person.name),
                                                language=plain(spoken.get(code, code)))]

    st.radio(f":material/translate: {t('language.resident')}", list(spoken), key=f"rlang-{person.id}",
             horizontal=True, format_func=lambda code: t("language.option", name=plain(spoken[code])),
             on_change=_set_language)
    if problem and problem[0] == "language":
        st.error(problem[1])

with st.expander(t("resident.pin_heading"), icon=ICONS["lock"], expanded=bool(problem and problem[0] == "pin")):
    st.caption(t("resident.pin_hint"))
    with st.form(f"pin-{person.id}"):
        st.text_input(t("resident.pin_new"), key=f"rpin-{person.id}", max_chars=4, type="password")
        if problem and problem[0] == "pin":
            st.error(problem[1])
        st.form_submit_button(t("resident.pin_save"), width="stretch", on_click=_reset_pin)
    tiles.number_keypad()
    st.caption(t("resident.pictures_hint"))
    tapped = st.session_state.get(f"rpicked-{person.id}", [])
    tiles.password_pad(f"resident-{person.id}", tapped, tap="rpw-", on_tap=_tap_picture, on_undo=_untap_picture)
    st.button(t("resident.pictures_save"), key=f"rpw-save-{person.id}", width="stretch", on_click=_set_pictures,
              disabled=len(tapped) < 3)

with st.expander(t("resident.move_heading"), icon=ICONS["village"]):
    st.caption(t("resident.move_hint"))
    if person.left == "moved":
        st.button(t("resident.come_back"), key=f"rback-{person.id}", width="stretch", on_click=tap_handler(_move),
                  args=(True,))
    else:
        st.button(t("resident.move"), key=f"rmove-{person.id}", width="stretch", on_click=tap_handler(_move),
                  args=(False,))

with st.expander(t("resident.delete_heading"), icon=ICONS["wrong"],
                 expanded=bool(problem and problem[0] == "delete")):
    st.caption(t("resident.delete_hint", name=plain(person.name)))
    with st.form(f"delete-{person.id}", clear_on_submit=True):
        st.text_input(t("resident.delete_confirm"), key=f"rdel-{person.id}")
        if problem and problem[0] == "delete":
            st.error(problem[1])
        st.form_submit_button(t("resident.delete"), width="stretch", on_click=_delete)

if seen.history:
    st.subheader(f"{ICONS['timer']} {t('resident.history_heading')}")
    for entry in seen.history:
        st.caption(t("resident.history_line", when=_local(entry.at, clock=True),
                     by=plain(entry.by or t("resident.someone")), action=t(f"care.action.{entry.action}"),
                     detail=f" ({plain(entry.detail)})" if entry.detail else ""))
