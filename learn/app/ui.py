"""Small helpers shared by the pages: escaping, messages for errors, page links and the large-print style."""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, NoReturn
from urllib.parse import urlsplit

import streamlit as st
import streamlit.components.v1 as components

from learn import services
from learn.app import resources
from learn.app.launch import AUDIO_URLS
from learn.errors import LearnError, NotFound
from learn.lessons import links
from learn.lessons.model import Question
from learn.services import accounts
from learn.strings_vi import t
from progress_db.db import DatabaseError, MaxConnectionsExceeded
from progress_db.queries import AccountInfo, LearnerInfo

PAGES = {
    "village": "views/village.py",
    "learner": "views/learner.py",
    "lessons": "views/lessons.py",
    "lesson": "views/lesson.py",
    "trainer": "views/trainer.py",
    "session": "views/session.py",
    "projector": "views/projector.py",
    "dashboard": "views/dashboard.py",
    "coach": "views/coach.py",
    "resident": "views/resident.py",
}

# Material icons ship with Streamlit's own font, so they show on old phones that lack newer emoji.
ICONS = {
    "smartphone": ":material/smartphone:", "payments": ":material/payments:", "scams": ":material/gpp_maybe:",
    "vneid": ":material/badge:", "zalo": ":material/chat:", "selling-online": ":material/storefront:",
    "public-services": ":material/account_balance:", "lesson": ":material/menu_book:",
    "village": ":material/holiday_village:", "learner": ":material/person:", "lock": ":material/lock:",
    "add": ":material/person_add:", "search": ":material/search:", "question": ":material/help:",
    "right": ":material/check_circle:", "wrong": ":material/cancel:", "next": ":material/arrow_forward:",
    "back": ":material/arrow_back:", "done": ":material/celebration:", "restart": ":material/replay:",
    "timer": ":material/schedule:", "app": ":material/school:", "listen": ":material/volume_up:",
    "slow": ":material/slow_motion_video:", "mic": ":material/mic:", "print": ":material/print:",
    "chart": ":material/bar_chart:", "projector": ":material/present_to_all:",
    "download": ":material/download:", "target": ":material/flag:",
}

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$:])")

# Big touch targets and large type for a 5-inch phone and for eyes that need glasses.
STYLE = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 19px; }
.block-container { max-width: 720px; padding-top: 1.2rem; padding-bottom: 4rem; }
.stButton > button, .stFormSubmitButton > button {
  min-height: 3.6rem; font-size: 1.25rem; border-radius: 0.9rem; padding: 0.5rem 1rem; }
.stButton > button p, .stFormSubmitButton > button p { font-size: 1.25rem; }
[data-testid="stMarkdownContainer"] p { font-size: 1.3rem; line-height: 1.6; }
input { font-size: 1.3rem !important; }
/* After an answer the options stay readable: the right one green, the others plain (not greyed out). */
[class*="st-key-option-"] button:disabled { opacity: 1; color: inherit; cursor: default; }
[class*="st-key-option-"] button[kind="primary"]:disabled {
  background: #1b7f3b; border-color: #1b7f3b; color: #fff; }
</style>
"""


def plain(text: str) -> str:
    """Text shown literally inside Markdown (names in buttons and headings): no formatting, links or HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def without_links(markdown: str) -> str:
    """Lesson Markdown in which nothing can become a tappable link or image (the validator refuses links; this
    is the second fence, e.g. for content checked by an older release): see ``learn.lessons.links.inert``."""
    return links.inert(markdown)


def message(error: LearnError) -> str:
    """The Vietnamese message for a domain error."""
    return t(error.key, **error.values)


def go(page: str, **query: str) -> NoReturn:
    """Switch to one of the app's pages."""
    st.switch_page(PAGES[page], query_params=query or None)


ButtonKind = Literal["primary", "secondary", "tertiary"]


def _still_here(key: str, idle: timedelta) -> bool:
    """Whether this browser session was used within ``idle`` (and note that it is used now)."""
    now = datetime.now(UTC)
    seen = st.session_state.get(key)
    st.session_state[key] = now
    return seen is None or now - seen <= idle


def signed_in_learner() -> LearnerInfo:
    """The learner of this session, checked against the database; otherwise back to choosing one.

    On a shared laptop the next resident must not find the last one signed in: after a long pause the learner
    taps their name again (their progress is saved)."""
    learner_id = st.session_state.get("learner_id")
    if learner_id is not None and not _still_here("learner_seen", services.LEARNER_IDLE):
        for key in ("learner_id", "learner_uid"):
            st.session_state.pop(key, None)
        st.session_state["link_problem"] = t("learner.expired")
        learner_id = None
    if learner_id is None:
        go("learner" if "village_id" in st.session_state else "village")
    try:
        return services.learner(learner_id, st.session_state.get("learner_uid"))
    except NotFound:
        for key in ("learner_id", "learner_uid"):
            st.session_state.pop(key, None)
        go("learner" if "village_id" in st.session_state else "village")


#: the cookie that keeps a trainer or staff member signed in across a reload of the page
ACCOUNT_COOKIE = "hocso_account"


def signed_in_account() -> AccountInfo | None:
    """The trainer, staff or admin account signed in on this session (or, after a reload, in this browser),
    if it still exists and has not been left unused too long."""
    account_id = st.session_state.get("account_id")
    if account_id is None:
        token = st.context.cookies.get(ACCOUNT_COOKIE)
        found = accounts.browser_account(token) if isinstance(token, str) and token else None
        if found is None:
            return None
        st.session_state["account_id"], st.session_state["account_token"] = found.id, token
        st.session_state.pop("account_seen", None)
        return found
    if not _still_here("account_seen", accounts.SESSION_IDLE):
        sign_out()
        st.session_state["account_note"] = t("account.expired")
        return None
    token = st.session_state.get("account_token")
    if token is not None:  # also keeps the browser's sign-in fresh; a new password has ended it
        found = accounts.browser_account(token)
        if found is None or found.id != account_id:
            sign_out()
            st.session_state["account_note"] = t("account.expired")
            return None
        return found
    try:
        return accounts.account(account_id)
    except NotFound:
        st.session_state.pop("account_id", None)
        return None


def client_address() -> str | None:
    """The network address this browser session connects from (what lock-outs count per phone); None when
    unknown (the laptop itself, or a test)."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else None


def show_saved(key: str, saved: object) -> object:
    """Make the widget under ``key`` show what is saved: a keyed widget keeps its own value from run to run
    and ignores ``value=``/``index=`` after its first run, so a grid drawn that way shows stale rows and a later
    save writes them back. Call before the widget is drawn (and draw it without a default): the widget is set
    to ``saved`` whenever what is saved changed since it was last shown, or the widget is new; an edit not yet
    saved is left alone otherwise. Returns the value the widget was last set to (what the row shows as saved)."""
    mark = f"saved::{key}"
    if key not in st.session_state or st.session_state.get(mark, _NEVER) != saved:
        st.session_state[key] = saved
        st.session_state[mark] = saved
    return saved


def shown_saved(key: str) -> object:
    """What :func:`show_saved` last put in the widget under ``key`` (in a form's callback: the row as it was
    shown, to compare the submitted value with)."""
    return st.session_state.get(f"saved::{key}", _NEVER)


_NEVER = object()


def still_signed_in() -> bool:
    """Whether this browser's sign-in still holds, looked at without counting as a use (for a page that
    refreshes by itself, like the projector: it must not keep the laptop signed in for ever)."""
    token = st.session_state.get("account_token")
    if token is None:  # signed in on this session only (no browser cookie): nothing else to end it
        return st.session_state.get("account_id") is not None
    return accounts.browser_account(token, touch=False) is not None


def tap_handler(handle: Callable[..., object]) -> Callable[..., None]:
    """A button callback whose domain or storage error becomes a message on the page it leads to (callbacks run
    before the page, outside the error mapping in main.py); nothing half-done is shown as done."""
    @functools.wraps(handle)
    def run(*args: object, **kwargs: object) -> None:
        try:
            handle(*args, **kwargs)
        except LearnError as exc:
            st.session_state["tap_error"] = message(exc)
        except (DatabaseError, MaxConnectionsExceeded):
            st.session_state["tap_error"] = t("error.database")
    return run


def show_tap_error() -> None:
    """The message of a tap that could not be done, once (main.py calls this before every page)."""
    problem = st.session_state.pop("tap_error", None)
    if problem:
        st.error(problem)


def sign_in(who: AccountInfo) -> None:
    """Sign ``who`` in on this session, and in this browser so that a reload keeps them signed in."""
    st.session_state["account_id"] = who.id
    st.session_state["account_token"] = st.session_state["set_account_cookie"] = accounts.remember_browser(who)
    st.session_state.pop("account_seen", None)


def sign_out() -> None:
    """Sign out of this session and this browser."""
    accounts.forget_browser(st.session_state.pop("account_token", None))
    st.session_state.pop("account_id", None)
    st.session_state["set_account_cookie"] = ""


def write_account_cookie() -> None:
    """Set or clear the sign-in cookie when asked (main.py calls this on every run; our own constant script,
    the token being URL-safe random text)."""
    token = st.session_state.pop("set_account_cookie", None)
    if token is None:
        return
    age = 0 if token == "" else int(accounts.SESSION_IDLE.total_seconds()) * 6
    components.html(f"""<script>
const secure = window.parent.location.protocol === "https:" ? "; Secure" : "";
window.parent.document.cookie = "{ACCOUNT_COOKIE}={token}; Path=/; Max-Age={age}; SameSite=Strict" + secure;
</script>""", height=0)


def apply_style() -> None:
    """Inject the app's large-print style (our own constant CSS, never user text)."""
    st.markdown(STYLE, unsafe_allow_html=True)


def narration(text: str, *, key: str, autoplay: bool = True, replay_button: bool = True) -> None:
    """Play ``text`` aloud (when the browser allows autoplay) with a big "listen again" button under it.

    Without any voice the text on screen is the lesson, so only a short note is shown.
    """
    narrator = resources.narrator()
    if narrator is None:  # narration switched off for this server (LEARN_TTS=off)
        return
    slow = st.session_state.get("slow_voice", False)
    spoken = services.speak(narrator, text, "slow" if slow else "normal")
    if spoken.clip is None:
        st.caption(t(spoken.problem or "voice.unavailable"))
        return
    replays = st.session_state.get(f"replay-{key}", 0)
    # One player per screen. "Listen again" must give the browser a new player, which starts from the
    # beginning and may autoplay: an end time past the clip's end changes nothing audible but makes it new.
    st.audio(_clip_source(spoken.clip.path), format="audio/mpeg", autoplay=autoplay or replays > 0,
             end_time=math.ceil(spoken.clip.seconds) + 1 + replays)
    if replay_button and st.button(t("voice.listen"), key=f"listen-{key}", icon=ICONS["listen"], width="stretch"):
        replay(key)
        st.rerun()


def _clip_source(path: Path) -> str:
    """Where the player gets a clip: from `learn serve`'s /audio/ (phones keep it: a replay or a second visit
    costs no data), else the file itself through Streamlit (under AppTest or a plain `streamlit run`)."""
    url = st.context.url if os.environ.get(AUDIO_URLS) else None
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        seen = urlsplit(url)
        return f"{seen.scheme}://{seen.netloc}/audio/{path.stem}.mp3"
    return str(path)


def replay(key: str) -> None:
    """Make the narration under ``key`` play again on the next run (what "Nghe lại" and "nghe lại" do)."""
    st.session_state[f"replay-{key}"] = st.session_state.get(f"replay-{key}", 0) + 1


def flash(screen: str, message_key: str) -> None:
    """A message about what was just said, shown (and read aloud) on this screen until the learner acts again."""
    st.session_state["voice_flash"] = (screen, message_key)


# The microphone would hear the phone's own narration, and Chromium drops a recording started while a player is
# sounding: a tap on the recorder first pauses every player on the page. (Our own constant script, run in the
# component's same-origin frame, listening on the app's page.)
_PAUSE_SCRIPT = """<script>
const page = window.parent.document;
if (!page.hocSoPausesNarration) {
  page.hocSoPausesNarration = true;
  page.hocSoRecording = false;
  page.addEventListener("pointerdown", (event) => {
    const button = event.target.closest('[data-testid="stAudioInputActionButton"]');
    if (!button) return;
    page.hocSoRecording = button.getAttribute("aria-label") !== "Stop recording";
    if (page.hocSoRecording) page.querySelectorAll("audio").forEach((player) => player.pause());
  }, true);
  // Streamlit may start an autoplaying player again when the page redraws: not while the learner speaks.
  page.addEventListener("play", (event) => { if (page.hocSoRecording) event.target.pause(); }, true);
}
</script>"""


def pause_narration_while_recording() -> None:
    """Install the pause-on-record helper (on every page, so it is ready before the learner reaches a mic)."""
    if resources.recognizer() is not None:
        components.html(_PAUSE_SCRIPT, height=0)


def voice_input(key: str, question: Question | None) -> services.VoiceTurn | None:
    """The microphone (only when a recogniser is installed): what the learner just said, or None.

    Each recording is understood once: the recorder is then replaced by a fresh one.
    """
    pending = st.session_state.get("voice_flash")
    if pending and pending[0] == key:
        st.warning(t(pending[1]), icon=ICONS["mic"])
        narration(t(pending[1]), key=f"flash-{key}", replay_button=False)
    recognizer = resources.recognizer()
    if recognizer is None:  # no model on this server: tapping only, and no microphone to wonder about
        return None
    count = st.session_state.get(f"mic-{key}", 0)
    label = t("voice.record_answer" if question is not None else "voice.record_command")
    recording = st.audio_input(label, key=f"mic-{key}-{count}")
    if recording is None:
        return None
    st.session_state[f"mic-{key}"] = count + 1
    st.session_state.pop("voice_flash", None)  # a new try: the old message no longer applies
    return services.hear(recognizer, recording.getvalue(), question)
