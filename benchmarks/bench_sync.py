"""Sync imports under attack and under load (issue 14): the peak memory of `learn sync import` on two bombs, and
what residents' taps see while a 60,000-answer bundle is imported into the database they write to.

    python -m benchmarks.bench_sync [--code DIR]

``--code DIR`` runs the importer from another copy of the code (for example an older one unpacked with
``git archive``), so the same attacks can be measured before and after a change. Each import runs in its own
process, measured with /usr/bin/time; the taps come from this process, through the app's own queries.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

from progress_db import community, learning
from progress_db.db import DatabaseError, open_db

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("communes", "villages", "learners", "progress", "sessions", "attendance", "attempts", "utterances",
         "outcomes")


def _bundle(payload: bytes) -> bytes:
    header = {"format": "hoc-so-sync", "version": 1, "bundle": "b" * 32, "origin": "o" * 32,
              "created_at": "2026-11-30 10:00:00", "since": None, "payload_bytes": len(payload),
              "payload_sha256": hashlib.sha256(payload).hexdigest(), "signature": None}
    return json.dumps(header, sort_keys=True).encode() + b"\n" + payload


def size_bomb(unpacked: int) -> bytes:
    """Valid JSON records padded with ``unpacked`` bytes of spaces: about 1,000 times smaller compressed."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(b"{" + b",".join(f'"{k}":[]'.encode() for k in KINDS) + b"," + b'"pad":"')]
    block = b" " * (16 << 20)
    for _ in range(unpacked // len(block)):
        parts.append(packer.compress(block))
    parts += [packer.compress(b'"}'), packer.flush()]
    return _bundle(b"".join(parts))


def records_bomb(count: int) -> bytes:
    """``count`` empty records (``{}``), about 1,000 times smaller compressed."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(b"{" + b",".join(f'"{k}":[]'.encode() for k in KINDS if k != "attempts")
                             + b',"attempts":[{}')]
    block = b",{}" * (1 << 20)
    for _ in range((count - 1) // (1 << 20)):
        parts.append(packer.compress(block))
    parts += [packer.compress(b"]}"), packer.flush()]
    return _bundle(b"".join(parts))


def _import(code: Path, home: Path, bundle: Path) -> tuple[int, float, float, str]:
    """Run `learn sync import` from ``code``: (exit status, peak memory in MiB, seconds, last line said)."""
    env = {**os.environ, "PYTHONPATH": str(code), "LEARN_HOME": str(home), "LEARN_CONTENT_DIR":
           str(ROOT / "content" / "vi")}
    env.pop("LEARN_DATABASE_URL", None)
    env.pop("LEARN_SYNC_KEY", None)
    program = "import sys; from learn.cli import cli; cli(['sync', 'import', sys.argv[1]])"
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-c", program, str(bundle)],
                          capture_output=True, text=True, env=env, timeout=1800, cwd=home.parent)
    seconds = time.perf_counter() - start
    lines = done.stderr.strip().splitlines()
    said = next((x for x in reversed(lines[:-1]) if x.strip() and not x.startswith("Command exited")),
                done.stdout.strip()[-200:])
    return done.returncode, int(lines[-1]) / 1024, seconds, said[:160]


def nesting_bomb(depth: int) -> bytes:
    """Brackets ``depth`` deep where the answers should be."""
    return _bundle(gzip.compress(b'{"attempts":' + b"[" * depth + b"]" * depth + b"}"))


def bombs(code: Path, work: Path) -> dict[str, object]:
    """The issue's two bombs (2 MB that unpack to 2 GiB of spaces, 120 KB of 40 million empty records), 20 million
    empty records (under the unpacked limit), brackets 5 million deep, and an empty bundle for the baseline."""
    empty = _bundle(gzip.compress(json.dumps({k: [] for k in KINDS}).encode()))
    results: dict[str, object] = {}
    for name, make in (("empty_bundle", lambda: empty), ("size_bomb", lambda: size_bomb(2 << 30)),
                       ("records_bomb", lambda: records_bomb(40_000_000)),
                       ("records_bomb_20m", lambda: records_bomb(20_000_000)),
                       ("nesting_bomb", lambda: nesting_bomb(5_000_000))):
        path = work / f"{name}.hocso"
        path.write_bytes(make())
        home = work / f"home-{name}"
        status, mib, seconds, said = _import(code, home, path)
        results[name] = {"file_kib": round(path.stat().st_size / 1024), "exit": status, "peak_mib": round(mib),
                         "seconds": round(seconds, 1), "said": said}
        path.unlink()
    return results


def _laptop_bundle(work: Path, learners: int) -> Path:
    """A laptop's whole history (`learn demo seed`), exported as one bundle."""
    home = work / "laptop"
    env = {**os.environ, "LEARN_HOME": str(home)}
    env.pop("LEARN_DATABASE_URL", None)
    env.pop("LEARN_SYNC_KEY", None)
    learn = str(Path(sys.executable).parent / "learn")
    subprocess.run([learn, "demo", "seed", "--villages", "12", "--learners", str(learners), "--months", "8"],
                   env=env, check=True, capture_output=True)
    bundle = work / "laptop.hocso"
    subprocess.run([learn, "sync", "export", "--all", "-o", str(bundle)], env=env, check=True, capture_output=True)
    return bundle


def taps_during_import(code: Path, work: Path, bundle: Path) -> dict[str, object]:
    """Residents answer on the server (one answer every 20 ms, through the app's query) while the bundle is
    imported there: how many answers were not saved, and how long the others waited."""
    home = work / "server"
    url = f"sqlite:///{home / 'progress.sqlite3'}"
    handle = open_db(url)
    village = community.get_or_create_village(community.get_or_create_commune("Xã Khác"), "Thôn Khác")
    person = community.add_learner(village, "Bà Chờ", "ba cho", None, None, None)
    stop = threading.Event()
    waits: list[float] = []
    failed = 0

    def tap() -> None:
        nonlocal failed
        while not stop.is_set():
            start = time.perf_counter()
            try:
                learning.record_answer(person.id, "tap-test", "q", 0, True, "tap", 1, 3)
                waits.append(time.perf_counter() - start)
            except DatabaseError:  # "database is locked" after the busy timeout: the answer is not saved
                failed += 1
            time.sleep(0.02)

    tapper = threading.Thread(target=tap)
    tapper.start()
    try:
        status, mib, seconds, said = _import(code, home, bundle)
    finally:
        stop.set()
        tapper.join()
        handle.close_all()
    waits.sort()
    return {"exit": status, "import_s": round(seconds, 1), "peak_mib": round(mib), "said": said,
            "taps": len(waits) + failed, "not_saved": failed,
            "wait_p50_ms": round(statistics.median(waits) * 1000, 1) if waits else None,
            "wait_p95_ms": round(waits[int(len(waits) * 0.95)] * 1000, 1) if waits else None,
            "wait_max_ms": round(waits[-1] * 1000, 1) if waits else None}


def answers_in(bundle: Path) -> int:
    records = json.loads(gzip.decompress(bundle.read_bytes().partition(b"\n")[2]))
    return len(records["attempts"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="the code tree whose importer is measured")
    parser.add_argument("--learners", type=int, default=2_850, help="residents of the laptop (60,000 answers)")
    parser.add_argument("--skip-bombs", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        results: dict[str, object] = {} if args.skip_bombs else bombs(args.code.resolve(), work)
        bundle = _laptop_bundle(work, args.learners)
        results["import"] = {"answers": answers_in(bundle), "bundle_kib": round(bundle.stat().st_size / 1024),
                             **taps_during_import(args.code.resolve(), work, bundle)}
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
