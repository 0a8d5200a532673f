"""Third screen, the lesson home (issue 16): a big "Học tiếp" card (the lesson and screen she left), then the
topics as picture tiles; a tile opens the topic's lessons (``?topic=<id>``, so Back and a reload keep it), each
with its picture, length and progress. Every screen speaks, and every choice has a speaker beside it.

A tile is a keyed container whose real button is stretched over it (CSS below), so the whole picture is the tap
target and tests still click a button: ``open-<lesson id>`` opens a lesson (on the "Học tiếp" card or in a
topic), ``topic-<topic id>`` opens a topic, ``open-review`` the spaced review ("Ôn lại", shown when questions are
due)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from learn import services
from learn.app import resources, styles
from learn.app.auth import sign_out_resident, signed_in_learner
from learn.app.listen_in import language_tile
from learn.app.navigation import go, go_after_tap
from learn.app.ui import ICONS, image_source, page_style, plain, screen_voice, speaker, tap_handler
from learn.lessons.model import Lesson
from learn.services import home as lesson_home
from learn.services import review
from learn.strings_vi import t

learner = signed_in_learner()
catalog = resources.catalog()
home = lesson_home.home(catalog, learner.id)
page_style(styles.HOME_TILES)


def ticks(cards: tuple[lesson_home.LessonCard, ...]) -> str:
    """Progress as pictures: a green tick per finished lesson, a half circle per started one, a ring per new."""
    marks = {"done": ":green[:material/check_circle:]", "started": ":orange[:material/clock_loader_40:]",
             "new": ":gray[:material/radio_button_unchecked:]"}
    return "".join(marks["done" if c.completed else c.status] for c in cards)


def picture(path: Path | None, icon: str, *, key: str, width: int) -> None:
    """A drawing, or (until there is one) the topic's big icon."""
    if path is not None:
        st.image(image_source(path), width=width)
    else:
        st.container(key=f"pic-{key}", width=width).markdown(icon)


@tap_handler
def open_lesson(lesson: Lesson, learner_id: int) -> None:
    """Open the lesson where she stopped; a finished lesson starts again from its first screen. Decided by her
    progress at the tap, not as the tile showed it: she may have gone on in it on another phone since."""
    if lesson_home.lesson_card(learner_id, lesson).status == "done":
        services.restart(learner_id, lesson)
    go_after_tap("lesson", lesson=lesson.id)


def lesson_button(card: lesson_home.LessonCard, label: str) -> None:
    """The lesson's tap target, stretched over its tile: ``open-<lesson id>``."""
    st.button(label, key=f"open-{card.lesson.id}", on_click=open_lesson, args=(card.lesson, learner.id))


def show_topic(topic_id: str) -> None:
    """Into a topic: in the address, so the phone's Back comes out of it and a reload stays in it."""
    st.query_params["topic"] = topic_id


def show_topics() -> None:
    """Back to the topics."""
    st.query_params.pop("topic", None)


def say_lesson(card: lesson_home.LessonCard) -> str:
    """What a lesson's speaker says: its name, its length and how far she got."""
    lesson = card.lesson
    return t(f"home.say.{card.status}", title=lesson.title, minutes=lesson.minutes, percent=card.percent)


# --- one topic's lessons ---------------------------------------------------------------------------------------
chosen = st.query_params.get("topic")
if chosen:
    tile = home.topic(chosen)
    if tile is None:
        st.warning(t("home.unknown_topic"))
        bar = screen_voice(t("home.unknown_topic"), key="home-unknown-topic")
        bar.button(t("home.back"), key="home-back", icon=ICONS["back"], type="primary", on_click=show_topics)
        st.stop()
    name = t(f"topic.{tile.topic}")
    with st.container(key="home-head", horizontal=True, vertical_alignment="center", gap="small"):
        picture(tile.picture, ICONS.get(tile.topic, ICONS["lesson"]), key=f"head-{tile.topic}", width=72)
        count = t("home.topic_count", done=tile.done, total=tile.total)
        st.container().markdown(f"### {plain(name)}\n\n{ticks(tile.cards)} {count}")
    for card in tile.cards:
        lesson = card.lesson
        words = t(f"home.lesson.{card.status}", percent=card.percent)
        with st.container(key=f"tile-lesson-{lesson.id}", horizontal=True, vertical_alignment="center",
                          gap="small"):
            picture(lesson_home.lesson_picture(catalog, lesson), ICONS.get(lesson.topic, ICONS["lesson"]),
                    key=lesson.id, width=88)
            st.container().markdown(f"**{plain(lesson.title)}**\n\n{ICONS['timer']} "
                                    f"{t('lessons.minutes', minutes=lesson.minutes)}\n\n{ticks((card,))} {words}")
            speaker(say_lesson(card), key=f"lesson-{lesson.id}")
            lesson_button(card, f"{plain(lesson.title)} · {words}")
    bar = screen_voice(t("home.voice.topic", topic=name), key=f"home-topic-{tile.topic}")
    bar.button(t("home.back"), key="home-back", icon=ICONS["back"], type="primary", width="stretch",
               on_click=show_topics)
    st.stop()

# --- the home: "Học tiếp", then the topics ---------------------------------------------------------------------
with st.container(key="home-who", horizontal=True, vertical_alignment="center", gap="small"):
    face = services.learner_picture(learner)
    if face is not None:
        st.image(image_source(face), width=56)
    st.container().subheader(t("lessons.heading", name=plain(learner.name)))
go_on = home.go_on
with st.container(key="tile-go-on", horizontal=True, vertical_alignment="center"):
    if go_on.card is None:
        st.container().markdown(f"### :blue[{ICONS['done']}]\n\n**{t('home.go_on.all_done')}**")
        speaker(t("home.go_on.all_done"), key="go-on")
    else:
        card = go_on.card
        lesson = card.lesson
        shown = lesson_home.lesson_picture(catalog, lesson)
        picture(shown, ICONS.get(lesson.topic, ICONS["lesson"]), key="go-on", width=96)
        where = (t("home.screen", current=card.position + 1, total=card.screens) if go_on.kind == "resume"
                 else t("lessons.minutes", minutes=lesson.minutes))
        st.container().markdown(f"### :blue[{ICONS['next']} {t(f'home.go_on.{go_on.kind}')}]\n\n"
                                f"**{plain(lesson.title)}**\n\n{where}")
        speaker(t(f"home.say.{go_on.kind}", title=lesson.title, minutes=lesson.minutes,
                  current=card.position + 1, total=card.screens), key="go-on")
        lesson_button(card, f"{t(f'home.go_on.{go_on.kind}')}: {plain(lesson.title)}")

# spaced review (issue 18): a big picture card with a count, only when questions are due
if home.review:
    with st.container(key="tile-review", horizontal=True, vertical_alignment="center"):
        st.image(image_source(lesson_home.REVIEW_PICTURE), width=96)
        st.container().markdown(f"### :orange[{ICONS['restart']} {t('review.card')}]\n\n"
                                f"**{t('review.card_count', count=home.review)}**")
        speaker(t("review.say_card", count=home.review), key="review")
        if st.button(t("review.card_open", count=home.review), key="open-review"):
            go("review", round=review.new_round(), at="0")  # a new sitting, named in the address

if not home.topics:
    st.info(t("lessons.none"))
with st.container(key="home-topics", horizontal=True):
    for tile in home.topics:
        name = t(f"topic.{tile.topic}")
        with st.container(key=f"tile-topic-{tile.topic}"):
            picture(tile.picture, ICONS.get(tile.topic, ICONS["lesson"]), key=tile.topic, width=80)
            speaker(t("home.say.topic", topic=name, done=tile.done, total=tile.total), key=f"topic-{tile.topic}")
            st.markdown(f"**{plain(name)}**\n\n{ticks(tile.cards)} "
                        f"{t('home.topic_count', done=tile.done, total=tile.total)}")
            st.button(name, key=f"topic-{tile.topic}", on_click=show_topic, args=(tile.topic,))

language_tile(learner)  # "Nghe bằng tiếng…" (issue 20): only when her commune has another language

voice = t(f"home.voice.{go_on.kind}")
if home.review:
    voice = f"{t('review.home_voice', count=home.review)} {voice}"
screen_voice(voice, key=f"home-{go_on.kind}-review-{home.review}" if home.review else f"home-{go_on.kind}")

st.divider()
if st.button(t("nav.change_learner"), key="change-learner", icon=ICONS["learner"], width="stretch"):
    sign_out_resident()  # and this phone forgets her
    go("learner")
