"""The resident's own choice of narration language (issue 20), on her home screen: a tile "Nghe bằng tiếng…"
with one big button per language (Vietnamese first), each with a speaker that says "Nghe bằng tiếng Mường" for
someone who cannot read it; the one she hears is marked (filled, with a tick). Only shown when her commune has a
language besides Vietnamese. A tap changes what she hears from the next clip on, and says so. And the form a
commune's team adds a language with (the recording page, the management page)."""

from __future__ import annotations

import streamlit as st

from learn.app import styles
from learn.app.ui import (
    ICONS,
    STORAGE_ERRORS,
    heard_language,
    message,
    page_style,
    plain,
    remember_language,
    say,
    speaker,
    tap_handler,
)
from learn.errors import InvalidInput
from learn.services import languages
from learn.strings_vi import t
from progress_db.records import AccountInfo, LearnerInfo


def language_tile(learner: LearnerInfo) -> None:
    """The tile (keys: ``tile-language``; buttons ``hear-in-<code>``, speakers ``say-language-<code>``)."""
    try:
        choices = languages.of_resident(learner.id)
    except STORAGE_ERRORS:  # storage busy for a moment: the tile waits for the next visit
        return
    if not choices:
        return
    current = heard_language(learner.id)

    def choose(code: str, name: str) -> None:
        languages.set_own(learner.id, code)
        remember_language(learner.id, code)
        say(t("language.chosen", name=name))

    page_style(styles.LANGUAGE_TILE)
    with st.container(key="tile-language", gap="small"):
        st.markdown(f"**:material/translate: {t('language.tile')}**")
        for code, name in [(languages.VIETNAMESE, t("language.vietnamese"))] + [(x.code, x.name) for x in choices]:
            mine = code == current
            with st.container(key=f"hear-row-{code}", horizontal=True, vertical_alignment="center", gap="small"):
                st.button(t("language.option", name=plain(name)), key=f"hear-in-{code}", width="stretch",
                          type="primary" if mine else "secondary", icon=ICONS["right"] if mine else None,
                          on_click=tap_handler(choose), args=(code, name))
                speaker(t("language.say", name=name), key=f"language-{code}")


def add_language_form(who: AccountInfo, commune_id: int, *, key: str, notes: str) -> None:
    """The trainer's and staff's form to add a narration language to the commune (its name and short code). A
    refused entry stays in the boxes with its message; an added one is announced under ``notes`` (a session
    key the page shows) and the boxes empty."""
    name_key, code_key, problem_key = f"{key}-name", f"{key}-code", f"{key}-problem"

    def add() -> None:
        try:
            made = languages.add(who, commune_id, str(st.session_state.get(code_key) or ""),
                                 str(st.session_state.get(name_key) or ""))
        except InvalidInput as exc:
            st.session_state[problem_key] = message(exc)
            return
        st.session_state[name_key] = st.session_state[code_key] = ""
        st.session_state[notes] = [*st.session_state.get(notes, []), t("language.added", name=plain(made.name))]

    with st.form(key):
        st.text_input(t("language.name"), key=name_key)
        st.text_input(t("language.code"), key=code_key, max_chars=12)
        problem = st.session_state.pop(problem_key, None)
        if problem:
            st.error(problem)
        st.form_submit_button(t("language.add"), width="stretch", on_click=tap_handler(add))
