"""The app's pages: where each one's file is, what its address and title are, and how to go to one."""

from __future__ import annotations

from typing import Any, NoReturn

import streamlit as st

from learn.strings_vi import t

PAGES = {
    "village": "views/village.py",
    "learner": "views/learner.py",
    "lessons": "views/lessons.py",
    "lesson": "views/lesson.py",
    "trainer": "views/trainer.py",
    "group_session": "views/group_session.py",
    "projector": "views/projector.py",
    "dashboard": "views/dashboard.py",
    "management": "views/management.py",
    "coach": "views/coach.py",
    "resident": "views/resident.py",
    "review": "views/review.py",
    "recording": "views/recording.py",
}


def pages() -> list[Any]:
    """The app's pages, made once per browser session: making them resolves every page's file on disk, which
    cost an eighth of a busy server's time when done on every run. (Not once per process: a page object
    carries the state of its session's current run, so sessions must not share one.)"""
    made = st.session_state.get("_pages")
    if made is not None:
        return made
    made = st.session_state["_pages"] = [
        st.Page(PAGES["village"], title=t("app.title"), url_path="village", default=True),
        st.Page(PAGES["learner"], title=t("learner.heading"), url_path="learner"),
        st.Page(PAGES["lessons"], title=t("nav.lessons"), url_path="lessons"),
        st.Page(PAGES["lesson"], title=t("app.title"), url_path="lesson"),
        st.Page(PAGES["trainer"], title=t("trainer.entry"), url_path="trainer"),
        st.Page(PAGES["group_session"], title=t("trainer.entry"), url_path="group-session"),
        st.Page(PAGES["projector"], title=t("projector.title"), url_path="projector"),
        st.Page(PAGES["dashboard"], title=t("dashboard.entry"), url_path="dashboard"),
        st.Page(PAGES["management"], title=t("admin.entry"), url_path="management"),
        st.Page(PAGES["coach"], title=t("trainer.entry"), url_path="coach"),
        st.Page(PAGES["resident"], title=t("trainer.entry"), url_path="resident"),
        st.Page(PAGES["review"], title=t("review.heading"), url_path="review"),
        st.Page(PAGES["recording"], title=t("recording.entry"), url_path="recording"),
    ]
    return made


#: where a tap's callback sends her (page, query): followed before any page is drawn
_AFTER_TAP = "_go_after_tap"


def go(page: str, **query: str) -> NoReturn:
    """Switch to one of the app's pages."""
    st.switch_page(PAGES[page], query_params=query or None)


def go_after_tap(page: str, **query: str) -> None:
    """From a button's callback: go to ``page`` before this run draws the screen she tapped on. A button that
    switches pages in the page's own code draws that screen up to the button first: a tap that leaves a screen
    then costs two screens' runs instead of one (the lesson's end, then the lessons, for "Học bài khác")."""
    st.session_state[_AFTER_TAP] = (page, query)


def follow() -> None:
    """In the entry script, before the page runs: the switch a tap's callback asked for, if any."""
    pending = st.session_state.pop(_AFTER_TAP, None)
    if pending is not None:
        go(pending[0], **pending[1])
