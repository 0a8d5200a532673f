"""The lesson player: one step or one question per screen, big buttons, immediate feedback, saved at every tap."""

from __future__ import annotations

import streamlit as st

from learn import services
from learn.app import resources
from learn.app.auth import signed_in_learner
from learn.app.navigation import go
from learn.app.ui import (
    ICONS,
    ButtonKind,
    flash,
    message,
    narration,
    plain,
    replay,
    tap_handler,
    voice_input,
    without_links,
)
from learn.errors import NotFound
from learn.strings_vi import t

lesson_id = st.query_params.get("lesson", "")
if st.session_state.get("learner_id") is None:
    st.warning(t("lesson.sign_in_first"))
    st.session_state["pending_lesson"] = lesson_id
    if st.button(t("lesson.sign_in"), icon=ICONS["learner"], width="stretch", type="primary"):
        go("learner" if "village_id" in st.session_state else "village")
    st.stop()
learner_id = signed_in_learner().id

try:
    lesson = services.lesson(resources.catalog(), lesson_id)
except NotFound as exc:
    st.error(message(exc))
    if st.button(t("nav.lessons"), width="stretch", type="primary"):
        go("lessons")
    st.stop()

view = services.player_view(learner_id, lesson)


# Taps are handled in callbacks, which Streamlit runs before the page: a tap costs one run of the page, not two.
@tap_handler
def move(position: int, learner: int = learner_id) -> None:
    services.step_to(learner, lesson, position)


@tap_handler
def choose(option: int, position: int = view.position, learner: int = learner_id) -> None:
    services.answer(learner, lesson, position, option)


if view.finished:
    st.balloons()
    st.header(f"{ICONS['done']} {t('lesson.done_heading')}")
    st.markdown(f"**{plain(lesson.title)}**")
    if view.asked:
        st.success(t("lesson.done_score", score=view.score, asked=view.asked))
    st.write(t("lesson.done_praise"))
    narration(services.done_speech(lesson), key=f"{lesson.id}-done")
    if st.button(t("lesson.done_more"), type="primary", icon=ICONS["lesson"], width="stretch", key="done-more"):
        go("lessons")
    if st.button(t("lesson.restart"), icon=ICONS["restart"], width="stretch", key="restart"):
        services.restart(learner_id, lesson)
        st.rerun()
    # the steps to take home: a large-print page to print, or to keep on the phone
    st.download_button(t("handout.download"), lambda: services.handout(resources.catalog(), lesson),
                       file_name=f"{lesson.id}.html", mime="text/html", icon=ICONS["print"], width="stretch",
                       key="handout", on_click="ignore")
    st.stop()

screen = view.screen
assert screen is not None
top = st.container(horizontal=True, vertical_alignment="center")
top.caption(f"{plain(lesson.title)} · {t('lesson.progress', current=view.position + 1, total=view.total)}")
if top.button(t("nav.lessons"), key="to-lessons", icon=ICONS["lesson"], type="tertiary"):
    go("lessons")
# kept outside the widget's own key, which Streamlit forgets on pages without the toggle
st.session_state["slow_voice"] = top.toggle(t("voice.slow"), value=st.session_state.get("slow_voice", False))
st.progress((view.position + 1) / view.total)

question = screen.question
if question is None:
    st.header(plain(screen.step.title))
    st.markdown(without_links(screen.step.body))
    picture = screen.step.picture
    if picture is not None:
        path = resources.catalog().picture_path(lesson, picture.path)
        if path is not None:
            st.image(str(path), caption=plain(picture.alt), width="stretch")
        else:
            st.caption(t("lesson.picture", alt=plain(picture.alt)))
    narration(screen.step.spoken, key=f"{lesson.id}-{view.position}")
else:
    st.subheader(f"{ICONS['question']} {t('lesson.question')}")
    st.markdown(f"### {plain(question.prompt)}")
    given = view.answer
    if given is None:  # once answered, the player reads the feedback instead
        narration(services.question_speech(question), key=f"{lesson.id}-{view.position}")
    for i, option in enumerate(question.options):
        label = f"{i + 1}. {plain(option.text)}"
        kind: ButtonKind = "secondary"
        icon: str | None = None
        if given is not None:
            if i == question.answer:
                kind, icon = "primary", ICONS["right"]
            elif i == given.option_index:
                icon = ICONS["wrong"]
        st.button(label, key=f"option-{view.position}-{i}", type=kind, icon=icon, width="stretch",
                  disabled=given is not None, on_click=choose, args=(i,))
    if given is None:
        st.caption(t("lesson.answer_first"))
    elif given.correct:
        st.success(plain(question.right), icon=ICONS["right"])
        narration(services.feedback_speech(question, True), key=f"{lesson.id}-{view.position}-feedback")
    else:
        correct = question.options[question.answer].text
        st.error(f"{plain(question.wrong)}\n\n"
                 f"{t('lesson.correct_was', answer=plain(correct))}", icon=ICONS["wrong"])
        narration(services.feedback_speech(question, False), key=f"{lesson.id}-{view.position}-feedback")
    if given is not None and given.mode == "voice" and given.transcript:
        st.caption(t("voice.heard", text=plain(given.transcript)))

# Answers and "nghe lại" / "tiếp" by voice, when this server has a speech model.
asking = question if view.answer is None else None
screen_key = f"{lesson.id}-{view.position}"
turn = voice_input(screen_key, asking)
if turn is not None:
    outcome = services.act_on(learner_id, lesson, view, turn)
    if outcome.replay:  # the feedback, once the question is answered; else the screen itself
        replay(screen_key + ("-feedback" if question is not None and asking is None else ""))
    elif outcome.problem:
        flash(screen_key, outcome.problem)
    st.rerun()

# Back and Next side by side on every screen size, Next the larger, where the right thumb is.
row = st.container(horizontal=True, gap="medium")
row.button(t("lesson.back"), key=f"back-{view.position}", icon=ICONS["back"], width="stretch",
           disabled=view.position == 0, on_click=move, args=(view.position - 1,))
last = view.position == view.total - 1
row.button(t("lesson.finish") if last else t("lesson.next"), key=f"next-{view.position}", type="primary",
           icon=ICONS["done" if last else "next"], icon_position="right", width="stretch",
           disabled=not view.can_go_on, on_click=move, args=(view.position + 1,))
