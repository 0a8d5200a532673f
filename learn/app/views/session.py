"""A group session on the projector: attendance, the lesson in very large print, answers for each attendee."""

from __future__ import annotations

import streamlit as st

from learn import services
from learn.app import resources
from learn.app.ui import ICONS, go, message, narration, plain, without_links
from learn.errors import LearnError
from learn.services import accounts, sessions
from learn.strings_vi import t

# The projector's large print: the back row of the cultural house must read it.
st.markdown("""<style>
.st-key-projector [data-testid="stMarkdownContainer"] p { font-size: 2.2rem; line-height: 1.45; }
.st-key-projector h2 { font-size: 3rem; }
</style>""", unsafe_allow_html=True)

account_id = st.session_state.get("account_id")
if account_id is None:
    go("trainer")
try:
    who = accounts.account(account_id)
    session = sessions.get(who, int(st.query_params.get("session", "0") or 0))
    lesson = services.lesson(resources.catalog(), session.lesson_id)
except (LearnError, ValueError) as exc:
    st.error(message(exc) if isinstance(exc, LearnError) else t("session.not_found"))
    if st.button(t("session.back_to_trainer"), width="stretch"):
        go("trainer")
    st.stop()

came = sessions.attendees(who, session.id)
village = services.village(session.village_id)
st.header(t("session.heading", lesson=plain(lesson.title)))
st.caption(t("session.where", village=plain(village.name), count=len(came)))

if session.finished:
    st.subheader(f"{ICONS['done']} {t('session.summary')}")
    results = sessions.summary(who, lesson, session.id)
    for r in results:
        st.write(t("session.result", prompt=plain(r.prompt), right=r.right, answered=r.answered))
    st.subheader(t("session.who_came"))
    everyone = sessions.answers(who, session.id)
    for person in came:
        right = sum(ok for answers in everyone.values() for pid, (_, ok) in answers.items() if pid == person.id)
        st.write(t("session.person_result", name=plain(person.name), right=right, asked=len(lesson.questions)))
    if st.button(t("session.back_to_trainer"), icon=ICONS["back"], width="stretch"):
        go("trainer")
    st.stop()

with st.expander(t("session.attendance"), icon=ICONS["learner"], expanded=not came):
    with st.form("attendance"):
        ids = {p.id for p in came}
        marks = {p.id: st.checkbox(plain(p.name), value=p.id in ids, key=f"came-{p.id}")
                 for p in services.learners(session.village_id)}
        if st.form_submit_button(t("session.attendance_save"), type="primary", width="stretch"):
            sessions.mark_attendance(who, session.id, {i for i, on in marks.items() if on})
            st.rerun()

screen = lesson.screens[session.position]
with st.container(key="projector", border=True):
    st.caption(t("lesson.progress", current=session.position + 1, total=len(lesson.screens)))
    if screen.question is None:
        st.markdown(f"## {plain(screen.step.title)}")
        st.markdown(without_links(screen.step.body))
        if screen.step.picture is not None:
            path = resources.catalog().picture_path(lesson, screen.step.picture.path)
            if path is not None:
                st.image(str(path), caption=plain(screen.step.picture.alt), width=420)
        narration(screen.step.spoken, key=f"session-{session.id}-{session.position}", autoplay=False)
    else:
        question = screen.question
        st.markdown(f"## {plain(question.prompt)}")
        for i, option in enumerate(question.options):
            st.markdown(f"**{i + 1}.** {plain(option.text)}")
        narration(services.question_speech(question), key=f"session-{session.id}-{session.position}", autoplay=False)

if screen.question is not None:
    question = screen.question
    given = sessions.answers(who, session.id).get(question.id, {})
    choices = [t("session.no_answer"), *[f"{i + 1}. {o.text}" for i, o in enumerate(question.options)]]
    st.subheader(t("session.answers"))
    if "session_pending" in st.session_state:  # set before the grid is drawn (Streamlit's rule for widgets)
        key, value = st.session_state.pop("session_pending")
        st.session_state[key] = value
    if not came:
        st.info(t("session.nobody"))
    else:
        with st.form(f"answers-{question.id}"):
            group = st.selectbox(t("session.whole_group"), choices, key=f"group-{question.id}")
            picked = {p.id: st.radio(plain(p.name), choices, horizontal=True, key=f"ans-{question.id}-{p.id}",
                                     index=given[p.id][0] + 1 if p.id in given else 0) for p in came}
            if st.form_submit_button(t("session.answers_save"), type="primary", width="stretch"):
                whole = choices.index(group) - 1
                chosen = {pid: (whole if whole >= 0 else choices.index(value) - 1) for pid, value in picked.items()}
                sessions.record_answers(who, lesson, session.id, question.id,
                                        {pid: (o if o >= 0 else None) for pid, o in chosen.items()})
                st.rerun()
        recognizer = resources.recognizer()
        if recognizer is not None:  # an attendee may also answer by voice at the laptop
            speaker = st.selectbox(t("session.voice_who"), came, format_func=lambda p: p.name,
                                   key=f"speaker-{question.id}")
            count = st.session_state.get(f"smic-{question.id}", 0)
            recording = st.audio_input(t("session.voice_record"), key=f"smic-{question.id}-{count}")
            if recording is not None:
                st.session_state[f"smic-{question.id}"] = count + 1
                turn = services.hear(recognizer, recording.getvalue(), question)
                saved = sessions.record_spoken(who, lesson, session.id, question.id, speaker.id, turn)
                if saved and turn.index is not None:
                    # the grid shows the spoken answer, so a later "save" keeps it
                    st.session_state["session_pending"] = (f"ans-{question.id}-{speaker.id}", choices[turn.index + 1])
                else:
                    st.session_state["session_flash"] = turn.problem or "voice.not_understood"
                st.rerun()
            problem = st.session_state.pop("session_flash", None)
            if problem:
                st.warning(t(problem), icon=ICONS["mic"])
        if given:
            right = sum(ok for _, ok in given.values())
            st.success(t("session.result", prompt=plain(question.options[question.answer].text), right=right,
                         answered=len(given)))

row = st.container(horizontal=True, gap="medium")
if row.button(t("lesson.back"), key=f"sback-{session.position}", icon=ICONS["back"], width="stretch",
              disabled=session.position == 0):
    sessions.move(who, lesson, session.id, session.position - 1)
    st.rerun()
if session.position < len(lesson.screens) - 1:
    if row.button(t("lesson.next"), key=f"snext-{session.position}", type="primary", icon=ICONS["next"],
                  icon_position="right", width="stretch"):
        sessions.move(who, lesson, session.id, session.position + 1)
        st.rerun()
elif row.button(t("session.finish"), key="sfinish", type="primary", icon=ICONS["done"], width="stretch"):
    sessions.finish(who, lesson, session.id)
    st.rerun()
