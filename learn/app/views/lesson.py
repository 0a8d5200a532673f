"""The lesson player: one step or one question per screen, big buttons, immediate feedback, saved at every tap;
the questions answered wrong come back once at the end; Listen, Back and Next stay in the bar at the bottom."""

from __future__ import annotations

import time

import streamlit as st

from learn import services
from learn.app import navigation, resources
from learn.app.auth import resident_signed_in, signed_in_learner
from learn.app.navigation import go, go_after_tap
from learn.app.pretend_phone import Tap, pretend_phone
from learn.app.ui import (
    ICONS,
    flash,
    image_source,
    message,
    option_buttons,
    plain,
    problems_said_plainly,
    replay,
    screen_voice,
    show_tap_error,
    tap_handler,
    voice_input,
    without_links,
)
from learn.errors import NotFound
from learn.lessons.model import Question
from learn.services import home, player
from learn.services import practice as practices
from learn.strings_vi import t

_JUST = "_player_after_tap"  # (learner, lesson, when, the screen a tap just led to)
lesson_id = st.query_params.get("lesson", "")
if not resident_signed_in():  # her own phone brings her back after a reload
    st.warning(t("lesson.sign_in_first"))
    st.session_state["pending_lesson"] = lesson_id
    if st.button(t("lesson.sign_in"), icon=ICONS["learner"], width="stretch", type="primary"):
        go("learner" if "village_id" in st.session_state else "village")
    st.stop()

try:
    lesson = services.lesson(resources.catalog(), lesson_id)
except NotFound as exc:
    st.error(message(exc))
    if st.button(t("nav.lessons"), width="stretch", type="primary"):
        go("lessons")
    st.stop()


@st.fragment
def lesson_screen() -> None:
    """The screen (step, question, practice or the lesson's end) and its bar. A tap on it reruns this alone, not
    the page around it: the lesson's lookup and the page's own parts stay as the last whole run made them (a step
    cost a tenth less: 22.0 ms against 24.6 here, side by side). So this does what a whole run does first: checks
    she is still signed in (after a long pause on a shared laptop, or her phone signed out since, she is sent to
    choose her name), follows a tap that leaves the screen, says why a tap could not be done, and says a problem
    in her language (Streamlit would show its own traceback for an error in a fragment)."""
    with problems_said_plainly():
        learner_id = signed_in_learner().id
        navigation.follow()
        show_tap_error()
        _screen(learner_id)


def _screen(learner_id: int) -> None:
    just = st.session_state.pop(_JUST, None)  # at once: never left over for a later run
    # The screen a tap of this very run led to (its callback, run just before the page, knows it: read once, not
    # twice); else the screen as saved.
    view = (just[3] if just and just[:2] == (learner_id, lesson.id) and time.monotonic() - just[2] < 2
            and just[3].lesson is lesson else services.player_view(learner_id, lesson))

    # Taps are handled in callbacks, which Streamlit runs before the page: a tap costs one run of the page, not two.
    @tap_handler
    def move(position: int, learner: int = learner_id) -> None:
        st.session_state[_JUST] = (learner, lesson.id, time.monotonic(), services.step_to(learner, lesson, position))


    @tap_handler
    def choose(option: int, position: int = view.position, learner: int = learner_id) -> None:
        st.session_state[_JUST] = (learner, lesson.id, time.monotonic(),
                                   services.answer(learner, lesson, position, option))


    if view.finished:
        st.balloons()
        st.header(f"{ICONS['done']} {t('lesson.done_heading')}")
        st.markdown(f"**{plain(lesson.title)}**")
        if view.asked:
            scores = t("lesson.done_first", score=view.first_score, asked=view.asked)
            if view.retries:
                scores += "\n\n" + t("lesson.done_retried", score=view.score, asked=view.asked)
            st.success(scores, icon=ICONS["right"])
        st.write(t("lesson.done_praise"))
        following = home.next_in_topic(resources.catalog(), learner_id, lesson)
        speech = player.completion_speech(view)
        if following is not None:
            st.markdown(f"### {ICONS['next']} {t('lesson.next_lesson_is', title=plain(following.title))}")
            speech.append(t("lesson.next_lesson_speech"))
        bar = screen_voice(speech, key=f"{lesson.id}-done")
        if following is not None:
            bar.button(t("lesson.next_lesson"), key="next-lesson", type="primary", icon=ICONS["next"],
                       icon_position="right", width="stretch", on_click=go_after_tap, args=("lesson",),
                       kwargs={"lesson": following.id})
        st.button(t("lesson.done_more"), type="secondary" if following else "primary", icon=ICONS["lesson"],
                  width="stretch", key="done-more", on_click=go_after_tap, args=("lessons",))
        if st.button(t("lesson.restart"), icon=ICONS["restart"], width="stretch", key="restart"):
            services.restart(learner_id, lesson)
            st.rerun()
        # the steps to take home: a large-print page to print, or to keep on the phone
        st.download_button(t("handout.download"), lambda: services.handout(resources.catalog(), lesson),
                           file_name=f"{lesson.id}.html", mime="text/html", icon=ICONS["print"], width="stretch",
                           key="handout", on_click="ignore")
        return

    screen = view.screen
    assert screen is not None
    top = st.container(horizontal=True, vertical_alignment="center")
    if view.retry is None:
        where = t("lesson.progress", current=view.position + 1, total=view.total)
    else:
        where = t("lesson.retry_progress", current=view.retry + 1, total=len(view.retries))
    top.button(t("nav.lessons"), key="to-lessons", icon=ICONS["lesson"], type="tertiary", on_click=go_after_tap,
               args=("lessons",))
    # kept outside the widget's own key, which Streamlit forgets on pages without the toggle
    st.session_state["slow_voice"] = top.toggle(t("voice.slow"), value=st.session_state.get("slow_voice", False))
    # where she is, over the bar that shows it (one element)
    st.progress(min(1.0, (view.position + 1) / view.end), text=f"{plain(lesson.title)} · {where}")


    def ask(question: Question) -> str | list[str]:
        """Draw the question, its options and (once answered) the feedback; return what the screen reads aloud."""
        given = view.answer
        prompt = f"### {plain(question.prompt)}"
        if view.retry is None:  # one element, the heading and the question: a step costs a server run per element
            st.markdown(f"### {ICONS['question']} {t('lesson.question')}\n\n{prompt}")
        else:
            st.subheader(f"{ICONS['restart']} {t('lesson.retry_heading')}")
            if given is None:
                st.info(t("lesson.retry_hint"))
            st.markdown(prompt)
        option_buttons(question, given.option_index if given is not None else None, key=str(view.position),
                       choose=choose)
        if given is None:
            st.caption(t("lesson.answer_first"))
            spoken = services.question_speech(question)
            return spoken if view.retry is None else services.retry_speech(question)
        if given.correct:
            st.success(plain(question.right), icon=ICONS["right"])
        else:
            correct = question.options[question.answer].text
            st.error(f"{plain(question.wrong)}\n\n"
                     f"{t('lesson.correct_was', answer=plain(correct))}", icon=ICONS["wrong"])
        if given.mode == "voice" and given.transcript:
            st.caption(t("voice.heard", text=plain(given.transcript)))
        return services.feedback_speech(question, given.correct)


    question = screen.question
    screen_key = f"{lesson.id}-{view.position}"
    practice_done = True
    if screen.practice is not None:
        # a task on the pretend phone: she taps on the drawn screen itself; each tap is stored and answered
        @tap_handler
        def tapped(tap: Tap, position: int = view.position, learner: int = learner_id) -> None:
            result = practices.tap(learner, lesson, position, tap.screen, tap.part, tap.typed)
            if result.kind.startswith("hint") or result.kind == "shown":
                st.session_state["practice_wrong"] = (lesson.id, position, tap.screen, tap.part)

        wrong = st.session_state.get("practice_wrong")  # (lesson, screen, pretend screen, part) last tapped wrong
        task = practices.view(learner_id, lesson, screen.practice,
                              wrong[2:] if wrong and wrong[:2] == (lesson.id, view.position) else None)
        # the pretend phone first, on screen at once; the task (also said) under it, and that it is only practice
        st.markdown(f"**{ICONS['smartphone']} {t('practice.heading')}**")
        pretend_phone(task.data(), key=f"phone-{screen_key}", on_tap=tapped)
        st.markdown(plain(screen.practice.task))
        st.caption(t("practice.safe") if task.done else f"{t('practice.tap_here')} {t('practice.safe')}")
        spoken: str | list[str] = task.speech
        voice_key = f"{screen_key}-{task.key}"
        practice_done = task.done
    elif question is None:
        st.markdown(f"## {plain(screen.step.title)}\n\n{without_links(screen.step.body)}")  # one element
        picture = screen.step.picture
        if picture is not None:
            path = resources.catalog().picture_path(lesson, picture.path)
            if path is not None:
                st.image(image_source(path), caption=plain(picture.alt), width="stretch")
            else:
                st.caption(t("lesson.picture", alt=plain(picture.alt)))
        spoken = screen.step.spoken
        voice_key = screen_key
    else:
        spoken = ask(question)
        # once answered, the player reads the feedback instead (a new clip: it plays on arrival)
        voice_key = screen_key if view.answer is None else f"{screen_key}-feedback"

    # Answers and "nghe lại" / "tiếp" by voice, when this server has a speech model.
    turn = (voice_input(screen_key, question if view.answer is None else None, spoken_by_screen=True)
            if practice_done else None)
    if turn is not None:
        outcome = services.act_on(learner_id, lesson, view, turn)
        if outcome.replay:  # the feedback, once the question is answered; else the screen itself
            replay(voice_key)
        elif outcome.problem:
            flash(screen_key, outcome.problem)
        st.rerun()

    # The one Listen control, then Back and Next, in the bar fixed to the bottom of the screen: on every screen, even
    # under a tall picture, within the thumb's reach without scrolling; Next the larger, where the right thumb is.
    bar = screen_voice(spoken, key=voice_key)
    bar.button(t("lesson.back"), key=f"back-{view.position}", icon=ICONS["back"], width="content",
               disabled=view.position == 0, on_click=move, args=(view.position - 1,))
    last = view.position == view.end - 1
    bar.button(t("lesson.finish") if last else t("lesson.next"), key=f"next-{view.position}", type="primary",
               icon=ICONS["done" if last else "next"], icon_position="right", width="stretch",
               disabled=not (view.can_go_on and practice_done), on_click=move, args=(view.position + 1,))


lesson_screen()
