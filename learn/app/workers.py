"""`learn serve --workers N`: N app processes (each exactly what `learn serve` runs alone) on loopback ports, and
nginx in front of them on the public address (learn.app.nginx), all children of `learn serve`, which restarts a
process that dies and stops them all on Ctrl-C or SIGTERM.

One Streamlit process serves on about one core (docs/TECH-NOTES: 0.9 core at saturation); a session lives in the
process that opened it, so nginx routes each browser back to its own by a cookie. Everything else a resident or
trainer has (sign-ins, her phone's device token, locks, join-code counts, group sessions, narration) is in the
database or on disk, so any process can answer after a restart.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from learn.app import nginx
from learn.app.serving import streamlit_command
from learn.errors import LearnError

#: what one app process needs (measured: about 200 MiB idle, more with many sessions), and what is left to the
#: system, nginx and the database when `--workers auto` counts how many fit
WORKER_MIB = 300
RESERVE_MIB = 512
START_TIMEOUT_S = 90
#: a process that dies sooner than this after starting is restarted after a growing pause (up to 30 s)
STEADY_S = 10


def auto_count(model_dir: Path | None = None) -> int:
    """`--workers auto`: one per core this process may use, no more than the available memory holds (a loaded
    Vosk model costs each process about twice its size on disk)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    per_worker = WORKER_MIB + 2 * _size_mib(model_dir)
    available = _available_mib()
    fits = cores if available is None else (available - RESERVE_MIB) // per_worker
    return max(1, min(cores, fits))


def _size_mib(folder: Path | None) -> int:
    if folder is None or not folder.is_dir():
        return 0
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) // 2**20


def _available_mib() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def free_ports(count: int) -> list[int]:
    """``count`` loopback ports nothing listens on (kept for the whole run: a restarted process reuses its own)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """A child ends when `learn serve` is killed outright (no orphans listening on the ports)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class _Child:
    label: str
    command: list[str]
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_deaths: int = 0
    due: float = 0.0  # when to restart it, after it died
    restarts: int = 0
    port: int = 0

    def start(self) -> None:
        self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        self.started = time.monotonic()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
            return bool(response.read().strip() == b"ok")
    except OSError:
        return False


def _log(text: str) -> None:
    print(f"learn serve: {text}", file=sys.stderr, flush=True)


class Supervisor:
    """The app processes and nginx, started, watched and stopped together."""

    def __init__(self, script: Path, front: nginx.Front) -> None:
        self.front = front
        self.workers = [_Child(f"app process {nginx.name(k)} (127.0.0.1:{port})",
                               streamlit_command(script, "127.0.0.1", port), port=port)
                        for k, port in enumerate(front.worker_ports)]
        self.nginx = _Child("nginx", nginx.command(front))
        self.stopping = False

    def check(self) -> None:
        """Write nginx's configuration and have nginx check it (before anything starts)."""
        if not nginx.nginx_binary():
            raise LearnError("nginx is not installed", key="serve.no_nginx")
        nginx.write(self.front)
        done = subprocess.run(nginx.command(self.front, test=True), capture_output=True, text=True, timeout=30)
        if done.returncode:
            detail = (done.stderr or done.stdout).strip()
            raise LearnError(f"nginx refused {self.front.conf}: {detail}", key="serve.nginx_refused",
                             conf=str(self.front.conf), detail=detail)

    def run(self, ready: Callable[[], None]) -> int:
        """Start everything, call ``ready`` once nginx answers, then watch until told to stop; the exit status."""
        self.check()
        previous = {sig: signal.signal(sig, self._stop_signal) for sig in (signal.SIGTERM, signal.SIGINT,
                                                                          signal.SIGHUP)}
        try:
            for worker in self.workers:
                worker.start()
            if not self._wait_healthy():
                return 0 if self.stopping else 1
            self.nginx.start()
            if not self._wait_listening():
                return 0 if self.stopping else 1
            ready()
            while not self.stopping:
                self._watch()
                time.sleep(0.3)
            return 0
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop_signal(self, signum: int, frame: object) -> None:
        self.stopping = True

    def _wait_healthy(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        waiting = list(self.workers)
        while waiting and not self.stopping:
            for worker in list(waiting):
                if not worker.alive():
                    code = worker.proc.returncode if worker.proc else None
                    _log(f"{worker.label} exited with status {code} while starting")
                    return False
                if _healthy(worker.port):
                    waiting.remove(worker)
            if time.monotonic() > deadline:
                _log(f"{', '.join(w.label for w in waiting)} did not answer within {START_TIMEOUT_S} s")
                return False
            time.sleep(0.2)
        return not self.stopping

    def _wait_listening(self) -> bool:
        host = "127.0.0.1" if self.front.host in ("0.0.0.0", "") else self.front.host.strip("[]")
        if host == "::":
            host = "::1"
        deadline = time.monotonic() + 30
        while not self.stopping:
            if not self.nginx.alive():
                _log(f"nginx exited with status {self.nginx.proc.returncode if self.nginx.proc else None}; see "
                     f"{self.front.prefix / 'error.log'}")
                return False
            with contextlib.suppress(OSError), socket.create_connection((host, self.front.port), timeout=1):
                return True
            if time.monotonic() > deadline:
                _log(f"nginx does not listen on {self.front.host}:{self.front.port}")
                return False
            time.sleep(0.1)
        return False

    def _watch(self) -> None:
        """Restart whatever died (a process that keeps dying at once, after a growing pause)."""
        now = time.monotonic()
        for child in (*self.workers, self.nginx):
            if child.alive() or self.stopping:
                continue
            if child.due == 0.0:  # just found dead
                assert child.proc is not None
                lived = now - child.started
                child.quick_deaths = child.quick_deaths + 1 if lived < STEADY_S else 0
                pause = min(30.0, 0.5 * 2 ** child.quick_deaths) if child.quick_deaths else 0.0
                _log(f"{child.label} exited with status {child.proc.returncode} after {lived:.0f} s; "
                     f"restarting{f' in {pause:.0f} s' if pause else ''}")
                child.due = now + pause
            if now >= child.due:
                child.due = 0.0
                child.restarts += 1
                child.start()

    def _stop_all(self) -> None:
        """Stop nginx first (no new requests), then the app processes; anything left after 10 s is killed."""
        self.stopping = True
        children = [c for c in (self.nginx, *self.workers) if c.proc is not None]
        for child in children:
            if child.alive():
                assert child.proc is not None
                with contextlib.suppress(ProcessLookupError):
                    child.proc.terminate()  # nginx: fast shutdown; Streamlit: its own clean stop
        deadline = time.monotonic() + 10
        for child in children:
            assert child.proc is not None
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _log(f"{child.label} did not stop: killed")
                child.proc.kill()
                child.proc.wait()


def serve(script: Path, home: Path, host: str, port: int, count: int, *, audio_dir: Path | None,
          tls: tuple[Path, Path] | None, ready: Callable[[], None]) -> int:
    """Run ``count`` app processes behind nginx on ``host:port`` until stopped; the exit status."""
    front = nginx.Front(host=host, port=port, worker_ports=tuple(free_ports(count)), prefix=home / "nginx",
                        audio_dir=audio_dir, tls=tls)
    return Supervisor(script, front).run(ready)
