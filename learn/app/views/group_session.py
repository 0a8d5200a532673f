"""A group session on the projector: attendance, the lesson in very large print, answers for each attendee."""

from __future__ import annotations

import streamlit as st

from learn import services
from learn.app import resources
from learn.app.auth import account_or_sign_in
from learn.app.navigation import go
from learn.app.pretend_phone import Tap, pretend_phone
from learn.app.ui import (
    ICONS,
    flash,
    group_session_on_screen,
    image_source,
    narration,
    plain,
    show_saved,
    shown_saved,
    tap_handler,
    voice_available,
    voice_input,
    without_links,
)
from learn.services import group_sessions
from learn.services import practice as practices
from learn.strings_vi import t
from progress_db.records import LearnerInfo

# The projector's large print: the back row of the cultural house must read it.
st.markdown("""<style>
.st-key-projector [data-testid="stMarkdownContainer"] p { font-size: 2.2rem; line-height: 1.45; }
.st-key-projector h2 { font-size: 3rem; }
</style>""", unsafe_allow_html=True)

# The same sign-in as the trainer page: a reload keeps the session open (the browser's cookie), and a password
# reset, a sign-out elsewhere or two hours unused close it here too.
who = account_or_sign_in()
session, lesson = group_session_on_screen(who, way_back=True)

came = group_sessions.attendees(who, session.id)
village = services.village(session.village_id)
st.header(t("session.heading", lesson=plain(lesson.title)))
st.caption(t("session.where", village=plain(village.name), count=len(came)))

if session.finished:
    st.subheader(f"{ICONS['done']} {t('session.summary')}")
    results = group_sessions.summary(who, lesson, session.id)
    for r in results:
        st.write(t("session.result", prompt=plain(r.prompt), right=r.right, answered=r.answered))
    st.subheader(t("session.who_came"))
    scores = group_sessions.person_scores(who, lesson, session.id)
    for person in came:
        st.write(t("session.person_result", name=plain(person.name), right=scores.get(person.id, 0),
                   asked=len(lesson.questions)))
    if st.button(t("session.back_to_trainer"), icon=ICONS["back"], width="stretch"):
        go("trainer")
    st.stop()

# The projector's own window (views/projector.py): only the screen, very large, following Next and Back.
st.link_button(t("projector.open"), f"projector?session={session.id}", key="to-projector", icon=ICONS["projector"],
               width="stretch")
st.caption(t("projector.open_help"))


def _save_attendance(residents: list[LearnerInfo]) -> None:
    """Save the ticks the trainer changed (a tick nobody touched stays as saved, whoever saved it)."""
    keys = {p.id: f"came-{session.id}-{p.id}" for p in residents}
    arrived = {i for i, k in keys.items() if st.session_state.get(k) and not shown_saved(k)}
    left = {i for i, k in keys.items() if not st.session_state.get(k) and shown_saved(k)}
    group_sessions.change_attendance(who, session.id, arrived, left)


with st.expander(t("session.attendance"), icon=ICONS["learner"], expanded=not came):
    residents = services.learners(session.village_id)
    ids = {p.id for p in came}
    for p in residents:
        show_saved(f"came-{session.id}-{p.id}", p.id in ids)
    with st.form("attendance"):
        for p in residents:
            st.checkbox(plain(p.name), key=f"came-{session.id}-{p.id}")
        st.form_submit_button(t("session.attendance_save"), type="primary", width="stretch",
                              on_click=tap_handler(_save_attendance), args=(residents,))

screen = lesson.screens[session.position]
with st.container(key="projector", border=True):
    st.caption(t("lesson.progress", current=session.position + 1, total=len(lesson.screens)))
    if screen.practice is not None:
        # the trainer taps on the pretend phone for the group; the projector's window shows the same screen
        @tap_handler
        def tapped(tap: Tap, position: int = session.position) -> None:
            practices.group_tap(who, lesson, session.id, position, tap.screen, tap.part, tap.typed)

        task = practices.group_view(who, lesson, session.id)
        st.markdown(f"## {plain(screen.practice.task)}")
        pretend_phone(task.data(), key=f"sphone-{session.id}-{session.position}", on_tap=tapped)
        st.caption(t("practice.group_hint"))
        narration(task.speech, key=f"session-{session.id}-{session.position}-{task.key}",
                  autoplay=task.step > 0 or task.misses > 0)
    elif screen.question is None:
        st.markdown(f"## {plain(screen.step.title)}")
        st.markdown(without_links(screen.step.body))
        if screen.step.picture is not None:
            path = resources.catalog().picture_path(lesson, screen.step.picture.path)
            if path is not None:
                st.image(image_source(path), caption=plain(screen.step.picture.alt), width=420)
        narration(screen.step.spoken, key=f"session-{session.id}-{session.position}", autoplay=False)
    else:
        question = screen.question
        st.markdown(f"## {plain(question.prompt)}")
        for i, option in enumerate(question.options):
            st.markdown(f"**{i + 1}.** {plain(option.text)}")
        narration(services.question_speech(question), key=f"session-{session.id}-{session.position}", autoplay=False)

if screen.question is not None:
    question = screen.question
    given = group_sessions.answers(who, session.id).get(question.id, {})
    choices = [t("session.no_answer"), *[f"{i + 1}. {o.text}" for i, o in enumerate(question.options)]]
    st.subheader(t("session.answers"))
    if not came:
        st.info(t("session.nobody"))
    else:
        rows = {p.id: f"ans-{session.id}-{question.id}-{p.id}" for p in came}
        for pid, key in rows.items():  # every row shows what is saved for that attendee
            show_saved(key, choices[given[pid][0] + 1] if pid in given else choices[0])

        def save_answers() -> None:
            """Save the rows the trainer changed, and the whole group's choice for the others."""
            def option(value: object) -> int | None:
                return choices.index(str(value)) - 1 if value in choices[1:] else None
            group_key = f"group-{session.id}-{question.id}"
            changes = group_sessions.grid_changes({pid: option(shown_saved(k)) for pid, k in rows.items()},
                                            {pid: option(st.session_state.get(k)) for pid, k in rows.items()},
                                            option(st.session_state.get(group_key)))
            st.session_state[group_key] = choices[0]  # the group box is ready for the next question
            group_sessions.record_answers(who, lesson, session.id, question.id, changes)

        with st.form(f"answers-{question.id}"):
            st.selectbox(t("session.whole_group"), choices, key=f"group-{session.id}-{question.id}",
                         help=t("session.whole_group_help"))
            for pid, key in rows.items():
                st.radio(plain(next(p.name for p in came if p.id == pid)), choices, horizontal=True, key=key)
            st.form_submit_button(t("session.answers_save"), type="primary", width="stretch",
                                  on_click=tap_handler(save_answers))
        if voice_available():  # an attendee may also answer by voice at the laptop
            speaker = st.selectbox(t("session.voice_who"), came, format_func=lambda p: p.name,
                                   key=f"speaker-{question.id}")
            turn = voice_input(question.id, question, label=t("session.voice_record"), widget="smic")
            if turn is not None:
                saved = group_sessions.record_spoken(who, lesson, session.id, question.id, speaker.id, turn)
                if not saved or turn.index is None:  # a spoken answer shows in the grid by itself
                    flash(question.id, turn.problem or "voice.not_understood")
                st.rerun()
        if given:
            right = sum(ok for _, ok in given.values())
            st.success(t("session.result", prompt=plain(question.options[question.answer].text), right=right,
                         answered=len(given)))

row = st.container(horizontal=True, gap="medium")
if row.button(t("lesson.back"), key=f"sback-{session.position}", icon=ICONS["back"], width="stretch",
              disabled=session.position == 0):
    group_sessions.move(who, lesson, session.id, session.position - 1)
    st.rerun()
if session.position < len(lesson.screens) - 1:
    if row.button(t("lesson.next"), key=f"snext-{session.position}", type="primary", icon=ICONS["next"],
                  icon_position="right", width="stretch"):
        group_sessions.move(who, lesson, session.id, session.position + 1)
        st.rerun()
elif row.button(t("session.finish"), key="sfinish", type="primary", icon=ICONS["done"], width="stretch"):
    group_sessions.finish(who, lesson, session.id)
    st.rerun()
