"""Speech: narration (text to speech) and answers by voice (speech to an answer). Engines hide behind small
protocols.

Only this package imports ``gtts`` and ``vosk``, and only inside functions, so the app starts and the lessons work
as text (and by tapping) on a machine that has neither.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

#: What a learner may tell any screen by voice: hear it again, or go on.
Command = Literal["repeat", "next"]

#: Narration speeds a learner can choose.
SPEEDS = ("normal", "slow")


class Synthesizer(Protocol):
    """A text-to-speech engine: writes one audio file (any format ffmpeg reads) for a short text."""

    #: stable engine id, stored with every clip ("gtts", "espeak")
    name: str
    #: voice id within the engine ("vi")
    voice: str

    def available(self) -> bool:
        """Whether the engine can be tried now (installed; for online engines, not known to be offline)."""
        ...

    def synthesize(self, text: str, speed: str, out: Path) -> None:
        """Write speech for ``text`` to ``out``; raise VoiceUnavailable when it cannot."""
        ...
