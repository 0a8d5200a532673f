"""Other homes of the same data (a trainer's laptop, the commune server): a database the test steps into and
out of, kept open meanwhile, with its own audio cache when it narrates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from peewee import Database

from learn.services import narration
from learn.voice.narrator import AudioCache, Narrator
from learn.voice.tts import EspeakEngine
from progress_db.db import database, open_db


class Place:
    """A database at ``url`` (opened and migrated the first time the test steps in) and, for a home that
    narrates, its audio cache ``audio``."""

    def __init__(self, url: str, audio: Path | None = None) -> None:
        self.url, self.audio = url, audio
        self.handle: Database | None = None

    @contextmanager
    def inside(self) -> Iterator[None]:
        """Work in this home for a while: its database is the bound one, then the one bound before."""
        before = database.obj
        if self.handle is None:
            self.handle = open_db(self.url)
        database.initialize(self.handle)
        narration.forget_recordings()  # what this process read of the other home's recordings
        try:
            yield
        finally:
            database.initialize(before)
            narration.forget_recordings()

    def narrator(self) -> Narrator:
        """espeak-ng narration into this home's audio cache."""
        assert self.audio is not None, "this place has no audio cache"
        return Narrator(AudioCache(self.audio), [EspeakEngine()])

    def close(self) -> None:
        """Close its connections (the test's own database is closed by its fixture)."""
        handle = self.handle
        if handle is not None:
            handle.close_all() if hasattr(handle, "close_all") else handle.close()
