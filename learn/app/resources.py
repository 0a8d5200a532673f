"""Things made once per server process and shared by every session: settings, database, lesson catalog."""

from __future__ import annotations

import logging
import threading

import streamlit as st

from learn.errors import VoiceUnavailable
from learn.lessons.catalog import Catalog
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
    return handle


@st.cache_resource(show_spinner=False)
def narrator() -> Narrator | None:
    """The narrator with the configured engines; None when narration is off (LEARN_TTS=off; a value it cannot
    take stops the server at start, see ``learn.settings``)."""
    engines = engines_for(settings().tts)
    return Narrator(AudioCache(settings().audio_cache_dir), engines) if engines else None


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
