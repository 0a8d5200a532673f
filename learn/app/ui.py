"""What the pages draw with: escaping and messages, the large-print style, narration and the microphone, grids that
show what is saved, and tap callbacks whose errors become messages. (Who is signed in: ``auth``; the pages and
going to one: ``navigation``.)"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import streamlit as st
import streamlit.components.v1 as components
from streamlit.delta_generator import DeltaGenerator

from learn import services
from learn.app import resources, styles
from learn.app.launch import AUDIO_URLS, LESSON_PICTURES, STYLES_IN_PAGE
from learn.app.navigation import go
from learn.app.webapp import picture_address
from learn.errors import LearnError
from learn.lessons import links
from learn.lessons.model import Lesson, Question
from learn.services import group_sessions, languages
from learn.services.narration import Listener
from learn.strings_vi import t
from progress_db.db import DatabaseError, MaxConnectionsExceeded
from progress_db.records import AccountInfo, GroupSessionInfo

#: what a page catches when storage fails for a moment (locked, full, a lost server): it keeps what it shows
STORAGE_ERRORS = (DatabaseError, MaxConnectionsExceeded)

# Material icons ship with Streamlit's own font, so they show on old phones that lack newer emoji.
ICONS = {
    "smartphone": ":material/smartphone:", "payments": ":material/payments:", "scams": ":material/gpp_maybe:",
    "vneid": ":material/badge:", "zalo": ":material/chat:", "selling-online": ":material/storefront:",
    "public-services": ":material/account_balance:", "lesson": ":material/menu_book:",
    "village": ":material/holiday_village:", "learner": ":material/person:", "lock": ":material/lock:",
    "add": ":material/person_add:", "search": ":material/search:", "question": ":material/help:",
    "right": ":material/check_circle:", "wrong": ":material/cancel:", "next": ":material/arrow_forward:",
    "back": ":material/arrow_back:", "done": ":material/celebration:", "restart": ":material/replay:",
    "undo": ":material/backspace:",
    "timer": ":material/schedule:", "app": ":material/school:", "listen": ":material/volume_up:",
    "slow": ":material/slow_motion_video:", "mic": ":material/mic:", "print": ":material/print:",
    "chart": ":material/bar_chart:", "projector": ":material/present_to_all:",
    "download": ":material/download:", "target": ":material/flag:",
}

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$:])")

# Big touch targets and large type for a 5-inch phone and for eyes that need glasses.


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


ButtonKind = Literal["primary", "secondary", "tertiary"]


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


def _plainly(error: Exception) -> str:
    """What she is told of a domain error or a storage failure (locked, a full disk, a lost server)."""
    return message(error) if isinstance(error, LearnError) else t("error.database")


@contextlib.contextmanager
def problems_said_plainly() -> Iterator[None]:
    """Around a page (main.py), and around a part of one that Streamlit runs alone (a fragment, for which it would
    draw its own English traceback): a domain error or a storage failure becomes a message in her language; what
    was saved before stays saved."""
    try:
        yield
    except (LearnError, *STORAGE_ERRORS) as exc:
        st.error(_plainly(exc))


def tap_handler(handle: Callable[..., object]) -> Callable[..., None]:
    """A button callback whose domain or storage error becomes a message on the page it leads to (callbacks run
    before the page, outside ``problems_said_plainly``); nothing half-done is shown as done."""
    @functools.wraps(handle)
    def run(*args: object, **kwargs: object) -> None:
        try:
            handle(*args, **kwargs)
        except (LearnError, *STORAGE_ERRORS) as exc:
            st.session_state["tap_error"] = _plainly(exc)
    return run


def show_tap_error() -> None:
    """The message of a tap that could not be done, once (main.py calls this before every page)."""
    problem = st.session_state.pop("tap_error", None)
    if problem:
        st.error(problem)


def page_style(css: str) -> None:
    """Send one of ``learn.app.styles`` with this run, unless the served page already carries them all (`learn
    serve`: then no run sends any)."""
    if not os.environ.get(STYLES_IN_PAGE):
        st.html(styles.element(css))


def apply_style() -> None:
    """The app's large print, on every page."""
    page_style(styles.LARGE_PRINT)


def narration(text: str, *, key: str, autoplay: bool = True, replay_button: bool = True) -> None:
    """Play ``text`` aloud (when the browser allows autoplay) with a big "listen again" button under it.

    Without any voice the text on screen is the lesson, so only a short note is shown.
    """
    narrator = resources.narrator()
    if narrator is None:  # narration switched off for this server (LEARN_TTS=off)
        return
    slow = st.session_state.get("slow_voice", False)
    spoken = services.speak(narrator, text, "slow" if slow else "normal", listener())
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


def listener() -> Listener:
    """Who hears this session's narration, for the tech team's recordings (issue 20): the signed-in trainer or
    staff member, else the resident and her village; in the narration language the resident chose."""
    learner_id = st.session_state.get("learner_id")
    return Listener(st.session_state.get("account_id"), learner_id, st.session_state.get("village_id"),
                    resources.settings().unreviewed_voices, heard_language(learner_id))


#: how long a session trusts the language it looked up for its resident: her trainer may change it on another
#: device meanwhile (her own change here is kept at once, see ``remember_language``)
LANGUAGE_FRESH = 30.0
_HEARD_IN = "_heard_in"  # (learner id, language code, when it was looked up)


def heard_language(learner_id: int | None) -> str:
    """The code of the narration language the session's resident hears ("vi" for none): looked up at most
    once a run (at most every ``LANGUAGE_FRESH`` seconds, and again for another resident)."""
    if learner_id is None:
        return languages.VIETNAMESE
    cached = st.session_state.get(_HEARD_IN)
    now = time.monotonic()
    if cached and cached[0] == learner_id and now - cached[2] < LANGUAGE_FRESH:
        return str(cached[1])
    try:
        code = languages.heard_in(learner_id)
    except STORAGE_ERRORS:  # storage busy for a moment: what was known, else Vietnamese
        return str(cached[1]) if cached and cached[0] == learner_id else languages.VIETNAMESE
    st.session_state[_HEARD_IN] = (learner_id, code, now)
    return code


def remember_language(learner_id: int, code: str | None) -> None:
    """The language just chosen for the session's resident: heard from the next clip on."""
    st.session_state[_HEARD_IN] = (learner_id, code or languages.VIETNAMESE, time.monotonic())


_SAY = "_say"  # what a speaker button asked to hear on this run: (text, taps so far)


def bottom_bar() -> DeltaGenerator:
    """The bar fixed to the bottom of the screen (one per screen): ``screen_voice`` puts Listen first in it; a
    page adds its Back and Next after that."""
    return st.container(key="bottom-bar", horizontal=True, gap="small", vertical_alignment="center")


def screen_voice(text: str | Sequence[str], *, key: str, bar: DeltaGenerator | None = None,
                 autoplay: bool = True) -> DeltaGenerator:
    """The screen's voice, the same on every resident screen: ``text`` (what this screen is and what to tap) is
    read aloud on arrival, and the one Listen control, first in the bottom bar, reads it again (a screen made of
    several lines gives them as a list: each recorded one is heard in the team's voice, see ``services.speak``).
    What a speaker button beside a choice asked for (``speaker``) plays instead, once. Returns the bar for the
    page's own buttons. With narration off for this server the bar holds only the page's buttons."""
    bar = bar or bottom_bar()
    narrator = resources.narrator()
    if narrator is None:
        return bar
    asked = st.session_state.pop(_SAY, None)
    said, taps = asked if asked else (text, 0)
    slow = st.session_state.get("slow_voice", False)
    spoken = services.speak(narrator, said, "slow" if slow else "normal", listener())
    replays = st.session_state.get(f"replay-{key}", 0) + taps
    if spoken.clip is None:  # no voice could read it: the words on screen are all there is (said on the page)
        st.caption(t(spoken.problem or "voice.unavailable"))
    with bar:
        if spoken.clip is not None:
            # a new end time makes a new player, which plays from the start (see ``narration``)
            st.audio(_clip_source(spoken.clip.path), format="audio/mpeg", autoplay=autoplay or replays > 0,
                     end_time=math.ceil(spoken.clip.seconds) + 1 + replays)
        if st.button(t("voice.listen"), key="listen", icon=ICONS["listen"], type="primary"):
            replay(key)
            st.rerun()
    return bar


def option_buttons(question: Question, given_option: int | None, *, key: str,
                   choose: Callable[[int], None]) -> None:
    """A question's options as big numbered buttons (keys ``option-<key>-<i>``). Once answered
    (``given_option``) they stay readable: the right one green with a tick, hers marked if wrong, none tappable."""
    answered = given_option is not None
    for i, option in enumerate(question.options):
        kind: ButtonKind = "secondary"
        icon: str | None = None
        if answered:
            if i == question.answer:
                kind, icon = "primary", ICONS["right"]
            elif i == given_option:
                icon = ICONS["wrong"]
        st.button(f"{i + 1}. {plain(option.text)}", key=f"option-{key}-{i}", type=kind, icon=icon,
                  width="stretch", disabled=answered, on_click=choose, args=(i,))


def speaker(text: str, *, key: str, where: DeltaGenerator | None = None) -> None:
    """A speaker button beside a choice (a village, a name, a topic, a lesson): a tap reads ``text`` aloud
    through the screen's player, for someone who cannot read the choice's label."""
    if resources.narrator() is None:
        return

    (where or st).button("", key=f"say-{key}", icon=ICONS["listen"], help=t("voice.say_this"), on_click=say,
                         args=(text,))


def _clip_source(path: Path) -> str:
    """Where the player gets a clip: from `learn serve`'s /audio/ (phones keep it: a replay or a second visit
    costs no data), else the file itself through Streamlit (under AppTest or a plain `streamlit run`)."""
    return served_address(f"/audio/{path.stem}.mp3") or str(path)


def served_address(path: str) -> str | None:
    """The full address of ``path`` on `learn serve`'s own server (its /audio/ and /icons/), as this browser
    reached it; None when the page is not served that way (AppTest, a plain `streamlit run`)."""
    url = st.context.url if os.environ.get(AUDIO_URLS) else None
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        seen = urlsplit(url)
        return f"{seen.scheme}://{seen.netloc}{path}"
    return None


def served_picture(file: Path) -> str | None:
    """The full address of one of the app's drawings or of a lesson's picture on `learn serve`'s server (the
    browser keeps it; given as a file, a picture goes out inside every run); None when it is neither or the page is
    not served that way."""
    content = os.environ.get(LESSON_PICTURES)
    address = picture_address(file, Path(content) if content else None)
    return served_address(address) if address else None


def image_source(file: Path) -> str:
    """What ``st.image`` is given for ``file``: its served address (``served_picture``), else the file itself."""
    return served_picture(file) or str(file)


def replay(key: str) -> None:
    """Make the narration under ``key`` play again on the next run (what "Nghe lại" and "nghe lại" do)."""
    st.session_state[f"replay-{key}"] = st.session_state.get(f"replay-{key}", 0) + 1


def flash(screen: str, message_key: str) -> None:
    """A message about what was just said, shown (and read aloud once) on this screen until the learner acts
    again."""
    st.session_state["voice_flash"] = (screen, message_key)
    st.session_state["voice_flash_said"] = False


def say(text: str) -> None:
    """Have the screen's one player (``screen_voice``, later in this run) read ``text`` instead, once."""
    taps = st.session_state.get("_say_taps", 0) + 1
    st.session_state["_say_taps"] = taps
    st.session_state[_SAY] = (text, taps)


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


def voice_available() -> bool:
    """Whether this server can hear spoken answers (a speech model is installed)."""
    return resources.recognizer() is not None


def voice_input(key: str, question: Question | None, *, label: str | None = None,
                widget: str = "mic", spoken_by_screen: bool = False) -> services.VoiceTurn | None:
    """The microphone (only when a recogniser is installed): what was just said, or None. The message of the
    last turn on this ``key`` (see ``flash``) is shown above it and read: by the screen's one player when the page
    has ``screen_voice`` after this (``spoken_by_screen``), else by a player of its own.

    Each recording is understood once: the recorder is then replaced by a fresh one (``widget``-key-count).
    """
    pending = st.session_state.get("voice_flash")
    if pending and pending[0] == key:
        st.warning(t(pending[1]), icon=ICONS["mic"])
        if not spoken_by_screen:
            narration(t(pending[1]), key=f"flash-{key}", replay_button=False)
        elif not st.session_state.get("voice_flash_said"):  # through the screen's one player, once
            st.session_state["voice_flash_said"] = True
            say(t(pending[1]))
    recognizer = resources.recognizer()
    if recognizer is None:  # no model on this server: tapping only, and no microphone to wonder about
        return None
    count = st.session_state.get(f"{widget}-{key}", 0)
    label = label or t("voice.record_answer" if question is not None else "voice.record_command")
    recording = st.audio_input(label, key=f"{widget}-{key}-{count}")
    if recording is None:
        return None
    st.session_state[f"{widget}-{key}"] = count + 1
    st.session_state.pop("voice_flash", None)  # a new try: the old message no longer applies
    return services.hear(recognizer, recording.getvalue(), question)


def group_session_on_screen(who: AccountInfo, *, way_back: bool) -> tuple[GroupSessionInfo, Lesson]:
    """The group session the address names (``?session=N``), of ``who``'s commune, with its lesson; otherwise its
    message (and, with ``way_back``, a button back to the trainer page), and the page stops."""
    try:
        session = group_sessions.get(who, int(st.query_params.get("session", "0") or 0))
        return session, services.lesson(resources.catalog(), session.lesson_id)
    except (LearnError, ValueError) as exc:
        st.error(message(exc) if isinstance(exc, LearnError) else t("session.not_found"))
        if way_back and st.button(t("session.back_to_trainer"), width="stretch"):
            go("trainer")
        st.stop()
