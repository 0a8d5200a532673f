"""A real `learn serve` for the tests that need one (the browser walks, the attacks on a running server, how it
serves): its own data folder with the demo commune, a free port on loopback, stopped with everything it started."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.paths import ROOT

#: the lessons the server reads: the real curriculum
CONTENT = ROOT / "content" / "vi"
START_TIMEOUT_S = 60


@dataclass(frozen=True)
class Server:
    """A running ``learn serve`` with its own data folder."""

    url: str
    home: Path
    pid: int = 0  # `learn serve` (the app runs in its process group)

    @contextmanager
    def data(self) -> Iterator[None]:
        """Work in the server's own SQLite database for a while (to put someone on its roster, or to check what
        it saved), then leave it unbound."""
        from progress_db.db import database, open_db

        handle = open_db(f"sqlite:///{self.home}/progress.sqlite3")
        try:
            yield
        finally:
            handle.close()
            database.initialize(None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and everything it started (it runs in its own process group)."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def run_server(home: Path, extra_env: dict[str, str] | None = None, serve_args: tuple[str, ...] = (),
               host: str = "127.0.0.1", address: str = "127.0.0.1", scheme: str = "http",
               port: int | None = None) -> Iterator[Server]:
    """Start `learn serve` with its own data folder (and any extra environment or arguments) listening on
    ``host`` (on ``port``: a restart of a server on its port; otherwise a free one); the tests reach it at
    ``scheme://address``. Stopped afterwards."""
    learn = Path(sys.executable).parent / "learn"
    assert learn.is_file(), f"no `learn` script next to {sys.executable}: run `pip install -e .` in this venv"
    # espeak-ng: the real offline voice, the same on every machine (gTTS cannot be reached from here)
    env = {**os.environ, "LEARN_HOME": str(home), "LEARN_CONTENT_DIR": str(CONTENT), "LEARN_TTS": "espeak",
           **(extra_env or {})}
    env.pop("LEARN_DATABASE_URL", None)  # the database must be the one in our LEARN_HOME

    init = subprocess.run([str(learn), "demo", "init"], env=env, capture_output=True, text=True, timeout=60)
    assert init.returncode == 0, f"`learn demo init` failed:\n{init.stdout}\n{init.stderr}"

    port = port or _free_port()
    url = f"{scheme}://{address}:{port}"
    log_path = home / "server.log"
    unverified = ssl._create_unverified_context()  # the laptop's own certificate is self-signed
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(learn), "serve", "--host", host, "--port", str(port), *serve_args], env=env,
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"`learn serve` exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2, context=unverified) as response:
                    if response.read().strip() == b"ok":
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"`learn serve` did not answer on {url} within {START_TIMEOUT_S} s:\n"
                            f"{log_path.read_text(errors='replace')}")
            time.sleep(0.2)
        yield Server(url, home, proc.pid)
    finally:
        _stop(proc)


def process_tree(pid: int) -> dict[int, str]:
    """Every process under ``pid`` (and itself), from /proc: its command line."""
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            found[current] = Path(f"/proc/{current}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found
