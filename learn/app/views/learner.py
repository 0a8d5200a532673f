"""Second screen: the resident finds her own picture and name and taps it (then her PIN or her 3 secret
pictures, if she has one), or adds herself: her name, her picture from the 24, and optionally a PIN or a
picture password. After a trainer cleared her PIN or picture password, tapping her name lets her choose a new
one (or go on without)."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from learn import services
from learn.app import auth, resources, tiles
from learn.app.auth import client_address, remember_resident
from learn.app.navigation import go
from learn.app.ui import ICONS, STORAGE_ERRORS, message, plain, replay, screen_voice
from learn.errors import InvalidInput, JoinCodeNeeded, JoinLocked, NotFound, PinLocked, WrongJoinCode, WrongPin
from learn.pictures import PASSWORD_LENGTH
from learn.services import people as residents_service
from learn.services import picture_passwords as pictures
from learn.strings_vi import t
from learn.text import fold
from progress_db.records import LearnerInfo

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


def own_device(learner_id: int) -> bool:
    """Whether this browser is one she signed in on before (then others' wrong tries cannot lock it)."""
    known = getattr(auth, "known_device", None)
    return bool(known(learner_id)) if callable(known) else False


def enter(learner_id: int, pin: str | Sequence[str] | None = None) -> None:
    person = services.sign_in_resident(learner_id, pin, client=client_address(), own_device=own_device(learner_id))
    st.session_state["learner_id"] = learner_id
    st.session_state["learner_uid"] = person.uid  # ids can be reused after a reset; the uid cannot
    remember_resident(person)  # her own phone keeps her signed in (not a shared laptop)
    st.session_state.pop("learner_seen", None)  # a new resident's pause starts now
    st.session_state.pop("pin_for", None)
    pending = st.session_state.pop("pending_lesson", None)
    if pending:
        go("lesson", lesson=pending)
    go("lessons")


def back_to_names() -> None:
    for key in ("pin_for", "renew_for", "adding", "pw_picked", "renew_picked"):
        st.session_state.pop(key, None)


def picker(name: str) -> tuple[list[str], object, object]:
    """What has been tapped on the picture pad kept under ``name``, and its tap and undo callbacks."""
    def tap(picture: str) -> None:
        st.session_state[name] = [*st.session_state.get(name, []), picture][:PASSWORD_LENGTH]

    def undo() -> None:
        st.session_state[name] = st.session_state.get(name, [])[:-1]

    return list(st.session_state.get(name, [])), tap, undo


tiles.apply()
st.caption(f"{ICONS['village']} {plain(village.name)}")
problem = st.session_state.pop("link_problem", None)
if problem:
    st.warning(problem)

required = resources.settings().join_code_required
if required and "village_code" not in st.session_state:
    # a server reachable from the internet: the names open only with the village's code (or its QR card)
    st.header(t("learner.heading"))
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


def signing_in(person: LearnerInfo) -> None:
    """Her PIN, or her 3 secret pictures: a wrong one is said aloud and written, and counts towards the lock."""
    tiles.who(services.learner_picture(person), person.name, key=str(person.id))
    wrong: str | None = None
    if person.has_pictures:
        st.markdown(f"**{t('learner.pictures_ask')}**")
        picked, tap, undo = picker("pw_picked")
        if len(picked) == PASSWORD_LENGTH:  # the 3rd tap checks
            st.session_state["pw_picked"], tapped, picked = [], tuple(picked), []
            try:
                enter(person.id, tapped)
            except (WrongPin, PinLocked) as exc:  # counted per learner, in the database
                wrong = message(exc)
        if wrong:
            st.error(wrong)
        tiles.password_pad("signin", picked, tap="pw-", on_tap=tap, on_undo=undo,  # type: ignore[arg-type]
                           hidden=True)
        voice = t("learner.pictures_voice")
    else:
        st.subheader(t("learner.pin_ask", name=plain(person.name)))
        with st.form("pin"):
            pin = st.text_input(t("learner.pin_box"), type="password", max_chars=4, key="pin_value")
            submitted = st.form_submit_button(t("learner.pin_enter"), type="primary", width="stretch")
        tiles.number_keypad()
        if submitted:
            try:
                enter(person.id, pin)
            except (WrongPin, PinLocked) as exc:  # the count of wrong guesses is kept per learner, in the database
                wrong = message(exc)
                st.error(wrong)
        voice = t("learner.pin_voice")
    if wrong:
        replay("signin-wrong")  # the same message again is played again
    bar = screen_voice(wrong or voice, key="signin-wrong" if wrong else f"signin-{person.id}")
    bar.button(t("learner.cancel"), key="pin-cancel", icon=ICONS["back"], width="stretch", on_click=back_to_names)


def renewing(person: LearnerInfo) -> None:
    """After a trainer's reset: 3 new secret pictures, or in without any."""
    tiles.who(services.learner_picture(person), person.name, key=str(person.id))
    st.subheader(t("learner.renew_heading", name=plain(person.name)))
    picked, tap, undo = picker("renew_picked")
    tiles.password_pad("renew", picked, tap="npw-", on_tap=tap, on_undo=undo)  # type: ignore[arg-type]
    save = st.button(t("learner.renew_save"), key="renew-save", type="primary", width="stretch",
                     disabled=len(picked) < PASSWORD_LENGTH)
    bar = screen_voice(t("learner.renew_voice"), key="renew")
    skip = bar.button(t("learner.renew_skip"), key="renew-skip", icon=ICONS["next"], width="stretch")
    if save or skip:
        chosen = picked if save else None
        try:
            residents_service.set_own_secret(person.id, picture_password=chosen)
        except InvalidInput as exc:
            st.error(message(exc))
            return
        st.session_state.pop("renew_picked", None)
        st.session_state.pop("renew_for", None)
        enter(person.id, tuple(chosen) if chosen else None)


def adding(first: bool) -> None:
    """Her name and year, her picture (a default picked already), and optionally a PIN or 3 secret pictures."""
    if first:  # nobody yet: she is the first
        if st.button(t("nav.change_village"), key="change-village", icon=ICONS["village"], type="tertiary"):
            go("village")
        st.header(t("learner.heading"))
        st.write(t("learner.none"))
        st.subheader(t("learner.add"))
    else:
        st.button(t("learner.cancel"), key="add-cancel", icon=ICONS["back"], type="tertiary", on_click=back_to_names)
        st.header(t("learner.add"))
    name = st.text_input(t("learner.name"), placeholder=t("learner.name_help"), max_chars=services.MAX_NAME,
                         key="new_name")
    year = st.text_input(t("learner.birth_year"), max_chars=4, key="new_year")
    if st.session_state.get("new_picture") not in pictures.choices():
        st.session_state["new_picture"] = pictures.suggested_picture(village.id)
    mine = st.session_state["new_picture"]
    with st.container(key="who", horizontal=True, vertical_alignment="center"):  # the one she has now
        tiles.picture(pictures.drawing(mine), width=64, key="new-picture")
        st.markdown(f"{t('learner.picture_heading')}: {t(f'picture.{mine}')}")
    st.caption(t("learner.picture_hint"))

    def pick(picture: str) -> None:
        st.session_state["new_picture"] = picture

    grid = tiles.grid("choose", per_row=3)
    for picture in pictures.choices():
        tiles.tile(grid, key=f"pick-{picture}", drawing=pictures.drawing(picture), name=t(f"picture.{picture}"),
                   tap=f"pick-{picture}", label=t(f"picture.{picture}"), chosen=picture == mine, width=72,
                   on_tap=pick, args=(picture,))
    st.subheader(t("learner.secret_heading"))
    kind = st.radio(t("learner.secret_heading"), ["none", "pin", "pictures"], key="new_secret", horizontal=True,
                    format_func=lambda k: t(f"learner.secret_{k}"), label_visibility="collapsed")
    pin: str | None = None
    chosen: list[str] = []
    if kind == "pin":
        pin = st.text_input(t("learner.pin"), type="password", max_chars=4, help=t("learner.pin_help"),
                            key="new_pin")
        tiles.number_keypad()
    elif kind == "pictures":
        st.caption(t("learner.secret_pictures_hint"))
        chosen, tap, undo = picker("new_pictures")
        tiles.password_pad("new", chosen, tap="npw-", on_tap=tap, on_undo=undo)  # type: ignore[arg-type]
    wrong = None
    if st.session_state.get("add-save"):  # "Lưu tên" (in the bottom bar, drawn below) was tapped
        try:
            added = services.join(village.id, code, name, year, pin, required=required, picture=mine,
                                  picture_password=chosen if kind == "pictures" else None)
        except (InvalidInput, *STORAGE_ERRORS) as exc:  # the bar, with "Lưu tên", stays for another try
            wrong = message(exc) if isinstance(exc, InvalidInput) else t("error.database")
            st.error(wrong)  # what was typed and tapped stays
            replay("learner-add-wrong")  # said aloud too, again if it is the same again
        else:
            st.toast(t("learner.added", name=plain(added.name)))
            for key in ("adding", "new_picture", "new_pictures", "new_secret"):
                st.session_state.pop(key, None)
            enter(added.id, tuple(chosen) if chosen else pin)
    bar = screen_voice(wrong or t("learner.add_voice"), key="learner-add-wrong" if wrong else "learner-add")
    bar.button(t("learner.save"), key="add-save", type="primary", width="stretch", icon=ICONS["add"])


by_id = {p.id: p for p in people}
if (chosen := by_id.get(st.session_state.get("pin_for", -1))) is not None:
    signing_in(chosen)
    st.stop()
if (renew := by_id.get(st.session_state.get("renew_for", -1))) is not None:
    renewing(renew)
    st.stop()
if st.session_state.get("adding") or not people:
    adding(first=not people)
    st.stop()

st.header(t("learner.heading"))
st.write(t("learner.hint"))
shown = people
if len(people) >= SEARCH_FROM:
    query = st.text_input(t("learner.search"), key="learner_search", icon=ICONS["search"])
    if query.strip():
        shown = [p for p in people if fold(query) in fold(p.name)]
grid = tiles.grid("people")
tapped = None
for person in shown:
    label = plain(person.name)
    note = None
    if person.birth_year:
        note = t("learner.year_badge", year=person.birth_year)
        label += f" · {note}"
    if tiles.tile(grid, key=f"learner-{person.id}", drawing=services.learner_picture(person), name=person.name,
                  tap=f"learner-{person.id}", label=label, say=person.name, note=note):
        tapped = person
if st.button(t("learner.add"), key="add-learner", icon=ICONS["add"], width="stretch"):
    st.session_state["adding"] = True
    st.rerun()
bar = screen_voice(t("learner.voice"), key="learner")
if bar.button(t("nav.change_village"), key="change-village", icon=ICONS["village"], width="stretch"):
    go("village")
if tapped is not None:
    if tapped.has_pin or tapped.has_pictures:
        st.session_state["pin_for"] = tapped.id
        st.session_state["pw_picked"] = []
        st.rerun()
    if tapped.reset_pending:
        st.session_state["renew_for"] = tapped.id
        st.rerun()
    enter(tapped.id)
