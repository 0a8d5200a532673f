"""The projector's own window for a group session: only the screen the trainer is on, very large, following the
trainer's Next and Back within a second. No names, no answers of people, no controls."""

from __future__ import annotations

import math
from datetime import timedelta

import streamlit as st

from learn.app import resources
from learn.app.auth import account_or_sign_in, still_signed_in
from learn.app.pretend_phone import Tap, pretend_phone
from learn.app.ui import (
    STORAGE_ERRORS,
    group_session_on_screen,
    image_source,
    message,
    plain,
    tap_handler,
    without_links,
)
from learn.errors import LearnError
from learn.lessons.model import Lesson
from learn.services import group_sessions
from learn.services import practice as practices
from learn.strings_vi import t

#: how often the projector re-reads where the trainer is
FOLLOW_EVERY = timedelta(seconds=1)

# The whole window is the screen: none of Streamlit's header, toolbar or status, no page margins, no scrollbar;
# print scaled to the window (1280x720 or 1920x1080), so the back row of the cultural house reads it.
# A tick re-draws the same screen: it must not fade while it does. (Our own constant CSS, never user text.)
st.markdown("""<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"], [data-testid="stMainMenu"], footer { display: none !important; }
html, body, [data-testid="stAppViewContainer"] { overflow: hidden !important; }
[data-testid="stMain"] { scrollbar-width: none; }  /* nothing runs off at these sizes; if ever, no bar shows */
[data-testid="stAppViewContainer"], [data-testid="stMain"] { background: #ffffff; }
.block-container, [data-testid="stMainBlockContainer"] {
  max-width: 100% !important; padding: 3vh 4vw 2vh 4vw !important; }
/* style-only elements take no room */
[data-testid="stElementContainer"]:has(> [data-testid="stMarkdown"] style) { display: none; }
[data-testid="stElementToolbar"], [data-testid="stHeaderActionElements"] { display: none !important; }
[data-stale="true"], [data-testid="stElementContainer"] { opacity: 1 !important; transition: none !important; }
.st-key-projector-screen [data-testid="stMarkdownContainer"] * { color: #111; }
.st-key-projector-screen h1 {
  font-size: var(--projector-title, min(8.5vh, 4.78vw)) !important; line-height: 1.15; font-weight: 700;
  padding: 0 0 1.5vh 0 !important; }
.st-key-projector-screen [data-testid="stMarkdownContainer"] p,
.st-key-projector-screen [data-testid="stMarkdownContainer"] li {
  font-size: var(--projector-text, min(6vh, 3.4vw)); line-height: 1.35; }
.st-key-projector-screen [data-testid="stCaptionContainer"] p {
  font-size: min(3.2vh, 1.8vw); line-height: 1.2; color: #666 !important; }
.st-key-projector-screen [data-testid="stFullScreenFrame"] div { width: 100% !important; }
.st-key-projector-screen [data-testid="stImage"] img {
  width: 100% !important; height: auto; max-height: 66vh; object-fit: contain; }
[class*="st-key-projector-option-"] {
  border: 0.4vh solid #b8c4d6; border-radius: 1.6vh; padding: 1.2vh 2vw; background: #f3f6fb; }
[class*="st-key-projector-option-"] [data-testid="stMarkdownContainer"] { margin-bottom: 0 !important; }
[class*="st-key-projector-option-"] p { margin: 0 !important; }
.st-key-projector-end { padding-top: 20vh; }
.st-key-projector-end [data-testid="stMarkdownContainer"] { text-align: center; }
.st-key-projector-end h1 { font-size: min(11vh, 6.2vw) !important; color: #111; }
.st-key-projector-end h2 { font-size: min(6.5vh, 3.7vw) !important; color: #333; }
.st-key-projector-end p { font-size: min(5vh, 2.8vw) !important; color: #333; }
</style>""", unsafe_allow_html=True)


# Sizes are in vh (a hundredth of the window's height). Measured on Streamlit's font: a character is about 0.45
# em wide (0.47 in bold); the text is 92% of a 16:9 window's 177.8 vh width; lines are 1.35 em apart (titles
# 1.15); the counter and the margins take about 14 vh.
TITLE_VH = 8.5
LARGEST_VH, SMALLEST_VH = 7.5, 3.6  # a question's few words may be larger still: QUESTION_VH
QUESTION_VH = 9.5
_WIDTH_VH = 177.8 * 0.92
_ROOM_VH = 100 - 14


def _lines(text: str, em: float, width: float, char_em: float = 0.45) -> int:
    """About how many lines ``text`` takes at ``em`` (vh) in ``width`` (vh); words do not break, so a line is
    not quite full."""
    return max(1, math.ceil(len(text) * char_em * em / (width * 0.9)))


def _fitting(blocks: list[str], share: float, title: str, title_vh: float | None, extra_vh: float = 0,
             largest: float = LARGEST_VH) -> str:
    """The largest font size (CSS) at which the title and ``blocks`` (paragraphs, or options each in its own box
    of ``extra_vh``), in ``share`` of the width, fill the window without running off it; never tiny. With
    ``title_vh`` None the title is set in bold at the text's own size (a question's prompt)."""
    em = largest
    while em > SMALLEST_VH:
        size = title_vh or em
        height = _lines(title, size, _WIDTH_VH, 0.47) * size * 1.15 + 1.5 * (size / TITLE_VH)
        height += sum(_lines(b, em, _WIDTH_VH * share) * em * 1.35 + em * 0.4 + extra_vh for b in blocks)
        if height <= _ROOM_VH:
            break
        em -= 0.25
    return f"min({em:.2f}vh, {em * 9 / 16:.2f}vw)"


def _paragraphs(markdown: str) -> list[str]:
    """A step's text as the blocks it shows as: paragraphs, and each item of a list on its own line."""
    blocks: list[str] = []
    for chunk in markdown.split("\n\n"):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if lines and all(line[:1] in "-*+" or line[:2].rstrip(".").isdigit() for line in lines):
            blocks += lines
        elif lines:
            blocks.append(" ".join(lines))
    return blocks


def _draw(lesson: Lesson, position: int) -> None:
    """The screen at ``position``: a step's title, text and picture, or a question's prompt and options."""
    screen = lesson.screens[max(0, min(position, len(lesson.screens) - 1))]
    with st.container(key="projector-screen"):
        st.caption(t("lesson.progress", current=screen.index + 1, total=len(lesson.screens)))
        if screen.practice is not None:
            _practice(lesson, screen.index)
        elif screen.question is None:
            step = screen.step
            picture = None if step.picture is None else resources.catalog().picture_path(lesson,
                                                                                          step.picture.path)
            # beside a picture the text has 3/5 of the width, less the gap
            _size(_fitting(_paragraphs(step.body), 1.0 if picture is None else 0.56, step.title, TITLE_VH))
            st.markdown(f"# {plain(step.title)}")
            if picture is None:
                st.markdown(without_links(step.body))
            else:
                text, image = st.columns([3, 2], gap="large", vertical_alignment="top")
                text.markdown(without_links(step.body))
                image.image(image_source(picture), width="stretch")
        else:
            question = screen.question
            # the prompt in bold as large as its options, each option in a box (about 6 vh of border and gap)
            size = _fitting([f"{i + 1}. {o.text}" for i, o in enumerate(question.options)], 0.95,
                            question.prompt, None, extra_vh=6, largest=QUESTION_VH)
            _size(size, title=size)
            st.markdown(f"# {plain(question.prompt)}")
            for i, option in enumerate(question.options):
                with st.container(key=f"projector-option-{i}"):
                    st.markdown(f"**{i + 1}.** {plain(option.text)}")


def _practice(lesson: Lesson, position: int) -> None:
    """A practice: the task and the hint beside the pretend phone, which the trainer may tap here for the group
    (the same taps as on the session page)."""
    @tap_handler
    def tapped(tap: Tap) -> None:
        practices.group_tap(who, lesson, session.id, position, tap.screen, tap.part, tap.typed)

    task = practices.group_view(who, lesson, session.id)
    words, phone = st.columns([3, 2], gap="large", vertical_alignment="top")
    said = task.hint or task.speech  # what the room hears: the task and the screen, a hint, or the end
    _size(_fitting([said], 0.56, "", None))
    words.markdown(plain(said))
    with phone:
        pretend_phone({**task.data(), "fit": True}, key=f"pphone-{session.id}-{position}", on_tap=tapped)


def _size(text: str, title: str | None = None) -> None:
    """Set the text (and title) size of this screen (lengths we computed, never user text)."""
    sizes = f"--projector-text: {text};" + (f" --projector-title: {title};" if title else "")
    st.markdown(f"<style>:root {{ {sizes} }}</style>", unsafe_allow_html=True)


def _finished(lesson: Lesson) -> None:
    """The end of the session: a neutral screen, no results."""
    with st.container(key="projector-end"):
        st.markdown(f"# {t('projector.finished')}")
        st.markdown(f"## {plain(lesson.title)}")
        st.markdown(t("projector.thanks"))


# The same sign-in as the trainer's pages: a second window of the same browser is signed in by its cookie.
# It is checked when the window opens (or reloads); each tick below looks at it again without counting as a use
# (a projector left on must not keep the laptop signed in for ever): a sign-out, a new password or an account
# switched off closes it within a second.
who = account_or_sign_in()
session, lesson = group_session_on_screen(who, way_back=False)

if session.finished:
    _finished(lesson)  # nothing moves any more: no need to keep asking
    st.stop()

shown = f"projector-{session.id}"  # the screen last drawn, kept when the database cannot be read for a moment
st.session_state[shown] = session.position


@st.fragment(run_every=FOLLOW_EVERY)
def follow() -> None:
    """Re-read the session every tick and draw the screen the trainer is on."""
    try:
        if not still_signed_in():
            st.rerun(scope="app")  # signed out elsewhere: the whole page then goes to the sign-in
        now = group_sessions.get(who, session.id)
    except STORAGE_ERRORS:
        now = None  # a busy or locked database: keep showing the last screen
    except LearnError as exc:
        st.error(message(exc))
        return
    if now is not None and now.finished:
        st.rerun()  # the whole page then shows the end, and stops asking
    if now is not None:
        st.session_state[shown] = now.position
    _draw(lesson, st.session_state[shown])


follow()
