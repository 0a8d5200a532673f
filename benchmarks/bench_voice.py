"""Voice benchmarks: narration (offline engine) and the spoken-answer pipeline, plus recognition with a model.

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


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


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


def recognition() -> dict[str, float | str]:
    model = os.environ.get("LEARN_VOSK_MODEL")
    if not model:
        return {"recognition": "skipped: LEARN_VOSK_MODEL is not set (no model can be downloaded here)"}
    from learn.voice.asr import VoskRecognizer, expected_phrases

    before = rss_mb()
    started = time.perf_counter()
    recognizer = VoskRecognizer(Path(model))
    load = time.perf_counter() - started
    memory = rss_mb() - before
    clips = sorted((SHARED / "vi-real").glob("*.wav"))
    pcms = [prepare(c.read_bytes()).pcm for c in clips]
    audio = sum(len(p) / 2 / RATE for p in pcms)
    started = time.perf_counter()
    for p in pcms:
        recognizer.transcribe(p)
    free = time.perf_counter() - started
    phrases = expected_phrases(["Có", "Không"])
    started = time.perf_counter()
    for p in pcms:
        recognizer.transcribe(p, phrases)
    grammar = time.perf_counter() - started
    return {"model_load_seconds": round(load, 2), "model_memory_mb": round(memory),
            "recognition_rtf_free": round(free / audio, 3), "recognition_rtf_grammar": round(grammar / audio, 3)}


def run() -> dict[str, object]:
    return {**narration(), **pipeline(), **recognition()}
