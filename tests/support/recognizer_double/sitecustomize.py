"""Loaded at interpreter start by the browser voice test (it puts this folder on PYTHONPATH of `learn serve`).

There is no Vosk model on this machine, so the server's recogniser is replaced by the TEST DOUBLE
``ScriptedRecognizer``: it answers HOCSO_TEST_TRANSCRIPT and writes every recording it receives (after the
real browser, upload and audio pipeline) to HOCSO_TEST_RECEIVED, where the test compares it with the source.
Nothing in the application knows about this file.
"""

import os
from pathlib import Path

if os.environ.get("HOCSO_TEST_RECEIVED"):
    from learn.voice import asr
    from tests.support.doubles import ScriptedRecognizer

    _double = ScriptedRecognizer(grammar=os.environ.get("HOCSO_TEST_TRANSCRIPT", "[unk]"),
                                 record_dir=Path(os.environ["HOCSO_TEST_RECEIVED"]))
    asr.load_recognizer = lambda model_dir: _double
