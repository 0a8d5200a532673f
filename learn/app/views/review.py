"""Spaced review, "Ôn lại" (issue 18): the questions that came back today, a few at a time, asked as the lesson
player asks them (the same big option buttons, the feedback with its explanation read aloud, Listen and Next in
the bar at the bottom), then a short spoken summary and the way back to the lesson home.

The round's id and her place in it are in the address (``?round=…&at=…``): a reload stays where she is."""

from __future__ import annotations

import streamlit as st

from learn.app import resources
from learn.app.auth import signed_in_learner
from learn.app.navigation import go
from learn.app.ui import ICONS, option_buttons, plain, screen_voice, tap_handler
from learn.services import review
from learn.strings_vi import t

learner_id = signed_in_learner().id
catalog = resources.catalog()
round_id = review.clean_round(st.query_params.get("round")) or ""
if not round_id:  # a new sitting (or an address that is not one of ours)
    round_id = review.new_round()
    st.query_params["round"] = round_id
    st.query_params["at"] = "0"
try:
    at = int(st.query_params.get("at", "0"))
except ValueError:
    at = 0
view = review.round_view(catalog, learner_id, round_id, at)


@tap_handler
def choose(option: int, position: int = view.position, learner: int = learner_id) -> None:
    review.answer(catalog, learner, round_id, position, option)


def move(position: int) -> None:
    st.query_params["at"] = str(position)


top = st.container(horizontal=True, vertical_alignment="center")
if view.finished:
    if view.answers:
        st.header(f"{ICONS['done']} {t('review.done_heading')}")
        st.success(t("review.done_score", right=view.right, asked=len(view.answers)), icon=ICONS["right"])
        st.write(t("review.done_praise"))
    else:
        st.info(t("review.none"), icon=ICONS["restart"])
    bar = screen_voice(review.summary_speech(view), key=f"review-{round_id}-done")
    if bar.button(t("review.back"), key="review-back", type="primary", icon=ICONS["lesson"], width="stretch"):
        go("lessons")
    st.stop()

item = view.current
assert item is not None
question = item.question
given = view.answer
top.caption(t("review.progress", current=view.position + 1, total=len(view.items)))
if top.button(t("nav.lessons"), key="to-lessons", icon=ICONS["lesson"], type="tertiary"):
    go("lessons")
st.progress((view.position + 1) / len(view.items))
st.subheader(f"{ICONS['restart']} {t('review.heading')}")
st.caption(t("review.from_lesson", title=plain(item.lesson.title)))
st.markdown(f"### {plain(question.prompt)}")
option_buttons(question, given.option_index if given is not None else None, key=str(view.position), choose=choose)
if given is None:
    st.caption(t("review.answer_first"))
    spoken = review.item_speech(item)
    voice_key = f"review-{round_id}-{view.position}"
else:
    if given.correct:
        st.success(plain(question.right), icon=ICONS["right"])
    else:
        st.error(f"{plain(question.wrong)}\n\n"
                 f"{t('lesson.correct_was', answer=plain(question.options[question.answer].text))}",
                 icon=ICONS["wrong"])
    spoken = review.answer_speech(item, given.correct)
    voice_key = f"review-{round_id}-{view.position}-feedback"  # a new clip: it plays on arrival

last = view.position == len(view.items) - 1
bar = screen_voice(spoken, key=voice_key)
bar.button(t("lesson.finish") if last else t("lesson.next"), key=f"next-{view.position}", type="primary",
           icon=ICONS["done" if last else "next"], icon_position="right", width="stretch",
           disabled=given is None, on_click=move, args=(view.position + 1,))
