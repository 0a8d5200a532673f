"""Things made once per server process and shared by every session: settings, database, lesson catalog."""

from __future__ import annotations

import logging
import math
import threading
import time

import streamlit as st

from learn.errors import VoiceUnavailable
from learn.lessons.catalog import Catalog
from learn.lessons.pronunciation import load_lexicon
from learn.services import voice as services_voice
from learn.settings import Settings
from learn.voice import asr
from learn.voice.asr import Recognizer
from learn.voice.narrator import AudioCache, Narrator
from learn.voice.tts import engines_for
from progress_db.db import database as bound
from progress_db.db import open_db


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """The settings, read from the environment once."""
    return Settings.from_env()


log = logging.getLogger(__name__)

_pools: dict[str, object] = {}
_pools_lock = threading.Lock()


def database() -> object:
    """The progress database, opened and migrated once per process and URL. Not in Streamlit's cache: a pool
    that holds connections (and, mid-write, SQLite's write lock) must never be dropped under the sessions using
    it, which is what clearing the cache would do (``learn.app.guard`` also refuses such requests)."""
    url = settings().database_url
    with _pools_lock:
        handle = _pools.get(url)
        if handle is None:
            handle = _pools[url] = open_db(url)
            log.info("opened the progress database (%s)", url.split(":", 1)[0])
        elif bound.obj is not handle:  # another URL was opened since (tests): bind this one again
            bound.initialize(handle)
    _forget_old_voices(url)
    return handle


_voices_forgotten: dict[str, float] = {}


def _forget_old_voices(url: str) -> None:
    """At the first request and then once a day, per process and database: erase what residents said more
    than LEARN_KEEP_VOICE_DAYS ago (``services.voice.forget_old_voices``)."""
    now = time.monotonic()
    with _pools_lock:
        if now - _voices_forgotten.get(url, -math.inf) < 86400:
            return
        _voices_forgotten[url] = now
    try:
        erased = services_voice.forget_old_voices(settings().keep_voice_days)
    except Exception:  # a locked database must not take the page down: the next request tries again
        log.warning("could not erase old transcripts", exc_info=True)
        with _pools_lock:
            _voices_forgotten.pop(url, None)
        return
    if erased:
        log.info("erased %d transcripts older than %d days", erased, settings().keep_voice_days)


@st.cache_resource(show_spinner=False)
def narrator() -> Narrator | None:
    """The narrator with the configured engines; None when narration is off (LEARN_TTS=off; a value it cannot
    take stops the server at start, see ``learn.settings``)."""
    engines = engines_for(settings().tts)
    if not engines:
        return None
    # the offline voice says English loanwords through the content's pronunciation lexicon
    lexicon, _ = load_lexicon(settings().content_dir, pronounce=False)
    return Narrator(AudioCache(settings().audio_cache_dir), engines, lexicon)


@st.cache_resource(show_spinner=False)
def recognizer() -> Recognizer | None:
    """The speech recogniser, its model loaded once for the whole server; None (answers by tapping only) when
    there is no model, which is said once on the server's console."""
    try:
        return asr.load_recognizer(settings().vosk_model_dir)
    except VoiceUnavailable as exc:
        log.warning("answers by voice are off: %s", exc)
        return None


@st.cache_resource(show_spinner=False)
def catalog() -> Catalog:
    """Every valid lesson; broken lessons are left out and reported once on the server's console."""
    loaded = Catalog.load(settings().content_dir)
    for problem in loaded.problems:
        log.warning("lesson problem: %s", problem)
    return loaded
