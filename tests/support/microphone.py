"""Chromium's fake microphone in the real-browser tests: recording on a page's st.audio_input, and finding the
clip it played in what the server kept."""

from __future__ import annotations

import numpy as np

from tests.support.browser import sync_api


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Best normalised cross-correlation of ``b`` slid along ``a`` (the recording starts at an unknown time)."""
    a, b = a - a.mean(), b - b.mean()
    full = np.correlate(a, b, mode="valid") if len(a) >= len(b) else np.correlate(b, a, mode="valid")
    short = b if len(a) >= len(b) else a
    long = a if len(a) >= len(b) else b
    energy = np.sqrt(np.convolve(long * long, np.ones(len(short)), mode="valid")) * np.linalg.norm(short)
    return float(np.max(full / (energy + 1e-9)))


def record(page, start, stop) -> None:
    """Tap record, let the fake microphone play the clip, tap stop.

    Headless Chromium's fake capture device now and then ends a recording by itself within a second of its
    start (seen with and without narration playing, and with no message to the page): the recorder then goes back
    to "Record" and nothing is sent. A resident would tap again, and so does this test (at most four times).
    """
    for _ in range(4):
        start.click()
        try:  # a recording that ended by itself at once may show "Stop recording" too briefly to be seen
            stop.wait_for(state="visible", timeout=5_000)
        except sync_api.TimeoutError:
            continue
        # the narration stops, or the microphone would hear the phone itself
        assert page.evaluate("() => [...document.querySelectorAll('audio')].every(a => a.paused)")
        page.wait_for_timeout(3000)  # the clip starts one second in and lasts about 1.4 s
        if stop.is_visible():
            stop.click()
            return
    raise AssertionError("the recorder never kept a recording for 3 seconds in four tries")
