"""Loaded at interpreter start by the browser voice test (it puts this folder on PYTHONPATH of `learn serve`).

A SPY, not a double: the server's real Vosk recogniser still hears every recording and decides; this only writes
each PCM it is given (after the real browser, upload and audio pipeline) to HOCSO_TEST_RECEIVED, where the test
compares it with the clip the fake microphone played. Nothing in the application knows about this file.
"""

import os
from pathlib import Path

if os.environ.get("HOCSO_TEST_RECEIVED"):
    import itertools

    from learn.voice import asr

    _folder = Path(os.environ["HOCSO_TEST_RECEIVED"])
    _numbers = itertools.count(1)
    _transcribe = asr.VoskRecognizer.transcribe

    def _spied(self, pcm, phrases=None):  # type: ignore[no-untyped-def]
        _folder.mkdir(parents=True, exist_ok=True)
        (_folder / f"received-{next(_numbers)}.pcm").write_bytes(pcm)
        return _transcribe(self, pcm, phrases)

    asr.VoskRecognizer.transcribe = _spied  # type: ignore[method-assign]
