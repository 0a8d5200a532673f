"""What a village phone and a commune laptop feel: the server time of a lesson step against an empty page on the
same server settings, bytes per step (audio included), the first visit over 3G in Chromium, and 30, 100 and 300
residents stepping through a lesson at once against one `learn serve` on this machine."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from benchmarks.st_client import Run, Session
from learn.app.serving import streamlit_command
from learn.lessons.catalog import Catalog
from learn.settings import DEFAULT_CONTENT_DIR

HERE = Path(__file__).resolve().parent
APP = HERE.parent / "learn" / "app" / "main.py"
LESSON = "phone-unlock"
LOADS = (30, 100, 300)
THINK_S = (2.0, 6.0)  # a resident reads, listens, then taps
CHROMIUM = Path("/usr/bin/chromium")
# the village phone: 750 kbit/s down, 300 ms round trip
THREE_G = {"offline": False, "latency": 300, "downloadThroughput": 750_000 / 8, "uploadThroughput": 250_000 / 8}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(home: Path, script: Path = APP, env: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """A server with `learn serve`'s settings on ``script``; yields its URL and pid."""
    port = _free_port()
    full = {**os.environ, "LEARN_HOME": str(home), "LEARN_TTS": "espeak", **(env or {})}
    full.pop("LEARN_DATABASE_URL", None)
    log = (home / f"server-{port}.log").open("wb")
    proc = subprocess.Popen(streamlit_command(script, "127.0.0.1", port), env=full, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {(home / f'server-{port}.log').read_text()[-2000:]}")
            time.sleep(0.2)
        # a laptop that has served before: its compressed scripts and cut fonts are made once per release
        # (on a background thread at the first start); measure after that, not during it
        while not (home / "static-cache" / "warm").exists() and time.monotonic() < deadline + 180:
            time.sleep(0.5)
        yield url, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _prepare(home: Path, residents: int) -> list[tuple[int, int]]:
    """A commune with ``residents`` learners; returns (village id, learner id) pairs. Narration pre-made."""
    from learn import services
    from progress_db import community
    from progress_db.db import database, open_db

    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LEARN_HOME": str(home), "LEARN_TTS": "espeak"}
    env.pop("LEARN_DATABASE_URL", None)
    learn = Path(sys.executable).parent / "learn"
    subprocess.run([str(learn), "demo", "init"], env=env, check=True, capture_output=True)
    subprocess.run([str(learn), "narrate", "--lesson", LESSON, "--speed", "normal"], env=env, check=True,
                   capture_output=True)
    handle = open_db(f"sqlite:///{home / 'progress.sqlite3'}")
    villages = [v.id for v in community.list_villages()]
    people = [(villages[i % len(villages)], services.add_learner(villages[i % len(villages)], f"Người thử {i}").id)
              for i in range(residents)]
    handle.close_all()
    database.initialize(None)
    return people


def _media_bytes(url: str, run: Run) -> int:
    total = 0
    for path in run.media:
        with urllib.request.urlopen(path if path.startswith("http") else url + path, timeout=30) as r:
            total += len(r.read())
    return total


async def _walk(url: str, village: int, learner: int, answer: dict[int, int], think: tuple[float, float] | None,
                samples: list[float], step_bytes: list[int] | None = None,
                step_ws_bytes: list[int] | None = None, not_saved: list[int] | None = None) -> int:
    """One resident: village, name, the lesson, every screen to the end, answering each question. Returns the
    number of answers given."""
    session = Session(url)
    rng = random.Random(learner)
    try:
        run = await session.open()
        run = await session.tap(run, f"village-{village}")
        run = await session.tap(run, f"learner-{learner}")
        run = await session.tap(run, f"open-{LESSON}")
        answers = 0
        position = 0
        while "done-more" not in run.buttons:
            if think:
                await asyncio.sleep(rng.uniform(*think))
            option = f"option-{position}-{answer.get(position, 0)}"
            for _ in range(4):  # as she would: a tap the server could not save says so, and she taps again
                if position not in answer or option not in run.buttons:
                    break
                run = await session.tap(run, option)
                samples.append(run.seconds)
                if f"next-{position}" not in run.disabled:
                    answers += 1
                    break
                if not_saved is not None:
                    not_saved.append(learner)
                await asyncio.sleep(1.0)
            if think:
                await asyncio.sleep(rng.uniform(*think) / 2)
            run = await session.tap(run, f"next-{position}")
            samples.append(run.seconds)
            if step_bytes is not None:
                step_bytes.append(run.bytes + _media_bytes(url, run))
            if step_ws_bytes is not None:
                step_ws_bytes.append(run.bytes)
            position += 1
        return answers
    finally:
        await session.close()


def _answers() -> dict[int, int]:
    lesson = Catalog.load(DEFAULT_CONTENT_DIR).get(LESSON)
    assert lesson is not None
    return {i: s.question.answer for i, s in enumerate(lesson.screens) if s.question is not None}


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def page_cost(home: Path) -> dict[str, object]:
    """Server time of a lesson step vs an empty page with the same server settings, side by side; bytes per
    step with the audio. Each walk is a new resident (a finished lesson would open on its last screen)."""
    people = _prepare(home, 4)
    answer = _answers()
    out: dict[str, object] = {}
    with server(home) as (url, _), server(home, HERE / "empty_app.py") as (empty_url, _):
        step_times: list[float] = []
        step_bytes: list[int] = []
        step_ws_bytes: list[int] = []
        floor: list[float] = []

        async def measure() -> None:
            await _walk(url, *people[0], answer, None, [])  # warm-up: first runs compile and cache
            for village, learner in people[1:]:
                await _walk(url, village, learner, answer, None, step_times, step_bytes, step_ws_bytes)
            empty = Session(empty_url)
            await empty.open()
            for _ in range(len(step_times)):
                floor.append((await empty._rerun([])).seconds)
            await empty.close()

        asyncio.run(measure())
    out["page_step_rerun_ms"] = round(1000 * statistics.median(step_times), 1)
    out["page_empty_rerun_ms"] = round(1000 * statistics.median(floor), 1)
    out["page_cost_ratio"] = round(statistics.median(step_times) / statistics.median(floor), 2)
    out["page_bytes_per_step_kb"] = round(statistics.mean(step_bytes) / 1024, 1)  # with the narration it fetches
    out["page_websocket_kb_per_step"] = round(statistics.mean(step_ws_bytes) / 1024, 1)  # the websocket alone
    return out


PRACTICE_LESSON = "pay-electricity-bill"


def practice_cost(home: Path, residents: int = 4) -> dict[str, object]:
    """Server time of a tap on the pretend phone (issue 18) against a tap on Next of a lesson step, side by side
    in the same lesson and server: each resident starts on the electricity bill's practice, taps one wrong part,
    then the right one on every pretend screen (the code typed on the keypad), then Next through the rest."""
    from progress_db import learning
    from progress_db.db import database, open_db

    people = _prepare(home, residents)
    env = {**os.environ, "LEARN_HOME": str(home), "LEARN_TTS": "espeak"}
    env.pop("LEARN_DATABASE_URL", None)
    subprocess.run([str(Path(sys.executable).parent / "learn"), "narrate", "--lesson", PRACTICE_LESSON, "--speed",
                    "normal"], env=env, check=True, capture_output=True)
    lesson = Catalog.load(DEFAULT_CONTENT_DIR).get(PRACTICE_LESSON)
    assert lesson is not None
    position = next(s.index for s in lesson.screens if s.practice is not None)
    practice = lesson.screens[position].practice
    assert practice is not None
    handle = open_db(f"sqlite:///{home / 'progress.sqlite3'}")
    for _, learner in people:
        learning.save_position(learner, lesson.id, position, len(lesson.screens))
    handle.close_all()
    database.initialize(None)
    taps: list[float] = []
    steps: list[float] = []

    async def one(village: int, learner: int, tap_times: list[float], step_times: list[float]) -> None:
        session = Session(url)
        try:
            run = await session.open()
            run = await session.tap(run, f"village-{village}")
            run = await session.tap(run, f"learner-{learner}")
            run = await session.tap(run, f"open-{lesson.id}")
            phone = f"phone-{lesson.id}-{position}"
            for i, screen in enumerate(practice.path):
                if i == 0:  # one wrong tap first: a hint, heard and shown
                    wrong = next(p.id for p in screen.parts if p.tappable and p.id != screen.target)
                    run = await session.trigger(run, phone, "tap", {"screen": screen.id, "part": wrong})
                    tap_times.append(run.seconds)
                run = await session.trigger(run, phone, "tap", {"screen": screen.id, "part": screen.target,
                                                                "typed": screen.type})
                tap_times.append(run.seconds)
            at = position
            while "done-more" not in run.buttons:
                question = lesson.screens[at].question if at < len(lesson.screens) else None
                if question is not None and f"option-{at}-{question.answer}" in run.buttons:
                    run = await session.tap(run, f"option-{at}-{question.answer}")
                run = await session.tap(run, f"next-{at}")
                if at > position and lesson.screens[at].question is None:
                    step_times.append(run.seconds)  # Next on a step's text: the lesson step's own cost
                at += 1
        finally:
            await session.close()

    with server(home) as (url, _):
        async def measure() -> None:
            await one(*people[0], [], [])  # warm-up: first runs compile and cache
            for village, learner in people[1:]:
                await one(village, learner, taps, steps)

        asyncio.run(measure())
    return {"practice_tap_ms": round(1000 * statistics.median(taps), 1),
            "practice_step_ms": round(1000 * statistics.median(steps), 1),
            "practice_tap_ratio": round(statistics.median(taps) / statistics.median(steps), 2)}


def load(home: Path, residents: int) -> dict[str, object]:
    """``residents`` stepping through a lesson at once, with think time, against one server."""
    from progress_db.db import database, open_db
    from progress_db.models import Attempt

    people = _prepare(home, residents)
    answer = _answers()
    samples: list[float] = []
    not_saved: list[int] = []  # answer taps the page said it could not save (she tapped again)
    with server(home) as (url, pid):
        cpu_before, wall_before = _cpu_seconds(pid), time.monotonic()
        peak = [_rss_mb(pid)]

        async def everyone() -> list[int]:
            async def one(i: int, village: int, learner: int) -> int:
                await asyncio.sleep(i * 10 / residents)  # arrivals spread over ten seconds
                return await _walk(url, village, learner, answer, THINK_S, samples, not_saved=not_saved)

            async def watch() -> None:
                while True:
                    peak.append(_rss_mb(pid))
                    await asyncio.sleep(1)

            watcher = asyncio.create_task(watch())
            try:
                return list(await asyncio.gather(*(one(i, v, p) for i, (v, p) in enumerate(people))))
            finally:
                watcher.cancel()

        given = asyncio.run(everyone())
        cpu = (_cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before)
    handle = open_db(f"sqlite:///{home / 'progress.sqlite3'}")
    with database.connection_context():
        stored = Attempt.select().count()
    handle.close_all()
    database.initialize(None)
    samples.sort()
    return {f"load_{residents}_p50_ms": round(1000 * samples[len(samples) // 2], 1),
            f"load_{residents}_p95_ms": round(1000 * samples[int(len(samples) * 0.95)], 1),
            f"load_{residents}_answers_lost": sum(given) - stored,
            f"load_{residents}_answer_taps_not_saved": len(not_saved),
            f"load_{residents}_server_cpu_cores": round(cpu, 2),
            f"load_{residents}_server_peak_rss_mb": round(max(peak), 1)}


def _one_phone(browser, url: str) -> list[tuple[str, float, float]]:  # type: ignore[no-untyped-def]
    """A new phone over 3G: a first visit, then a reload; (which, seconds, KiB received) for each."""
    context = browser.new_context(viewport={"width": 412, "height": 915}, locale="vi-VN")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", THREE_G)
    received: list[int] = []
    cdp.on("Network.loadingFinished", lambda e: received.append(int(e["encodedDataLength"])))
    cdp.on("Network.webSocketFrameReceived", lambda e: received.append(len(e["response"]["payloadData"])))
    found = []
    for label, go in (("cold", lambda: page.goto(url)), ("warm", page.reload)):
        received.clear()
        start = time.perf_counter()
        go()
        page.locator("[class*='st-key-village-'] button:visible").first.wait_for(timeout=120_000)
        found.append((label, time.perf_counter() - start, sum(received) / 1024))
    context.close()
    return found


def first_visit(home: Path) -> dict[str, object]:
    """Bytes and seconds until the village buttons can be tapped, over 3G, cold and then a warm reload."""
    from playwright.sync_api import sync_playwright

    _prepare(home, 0)
    out: dict[str, object] = {}
    with server(home) as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        times: dict[str, list[float]] = {"cold": [], "warm": []}
        sizes: dict[str, list[float]] = {"cold": [], "warm": []}
        for _ in range(3):  # three phones, each: a first visit, then a reload
            for label, seconds, kb in _one_phone(browser, url):
                times[label].append(seconds)
                sizes[label].append(kb)
        for label in ("cold", "warm"):
            out[f"first_visit_{label}_s"] = round(statistics.median(times[label]), 2)
            out[f"first_visit_{label}_kb"] = round(statistics.median(sizes[label]), 1)
        browser.close()
    return out


def run() -> dict[str, object]:
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out.update(first_visit(Path(tmp) / "visit"))
    with tempfile.TemporaryDirectory() as tmp:
        out.update(page_cost(Path(tmp) / "cost"))
    with tempfile.TemporaryDirectory() as tmp:
        out.update(practice_cost(Path(tmp) / "practice"))
    for residents in LOADS:
        with tempfile.TemporaryDirectory() as tmp:
            out.update(load(Path(tmp) / f"load{residents}", residents))
    return out


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    with tempfile.TemporaryDirectory() as tmp:
        if which == "visit":
            print(first_visit(Path(tmp)))
        elif which == "cost":
            print(page_cost(Path(tmp)))
        elif which == "practice":
            print(practice_cost(Path(tmp)))
        elif which.isdigit():
            print(load(Path(tmp), int(which)))
        else:
            print(run())
