"""What a visitor on the village Wi-Fi may not do to the server, whoever they are (`learn serve` installs it).

Streamlit takes any message a browser may send from anyone who opens its websocket, signed in or not:

- **No clearing of the server's caches.** A ``clear_cache`` message clears every cached resource of the process
  for everyone. The app's shared things (the database pool, the catalog, the narrator, the recogniser) are not in
  Streamlit's cache at all (``learn.app.resources`` keeps them per process), so a clear could not reach them;
  and the message is refused here too, with a line in the log, so no visitor can throw away anything.
- **Uploads only as big as the app needs**, and only a few held at a time. The app takes two uploads: a spoken
  answer (about 10 to 15 seconds of 16 kHz audio: under 1 MB) and a sync bundle on the staff page. Streamlit
  keeps every uploaded file in memory until its session ends, and accepts a file for any open session whether
  the page asked for one or not. So: each file at most ``MAX_UPLOAD_MB`` (Streamlit's own limit, set by
  ``learn.app.serving``); a session holds at most its ``FILES_PER_SESSION`` newest files (older ones are dropped,
  a page only ever reads the newest); all sessions together at most ``MAX_HELD_BYTES``, beyond which uploads are
  refused (503) until some are freed; and freed memory goes back to the system at once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

#: the largest file anyone may upload (a sync bundle of a whole commune's year is a few MB)
MAX_UPLOAD_MB = 16
#: files a session keeps: a recording, or a bundle, and the one before it
FILES_PER_SESSION = 2
#: every session's uploads together
MAX_HELD_BYTES = 96 * 1024 * 1024


def install() -> list[str]:
    """Hook Streamlit's session and upload store; returns what could not be hooked."""
    missing = []
    try:
        from streamlit.runtime.app_session import AppSession
        AppSession._handle_clear_cache_request = _refuse_clear_cache  # type: ignore[method-assign]
    except (ImportError, AttributeError):
        missing.append("refusing clear_cache")
    try:
        from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager as Store
        if not hasattr(Store, "_total_bytes") and not hasattr(Store(""), "_total_bytes"):
            raise AttributeError("_total_bytes")
        Store.add_file = _capped(Store.add_file)  # type: ignore[method-assign]
        Store.remove_file = _trimming(Store.remove_file)  # type: ignore[method-assign]
        Store.remove_session_files = _trimming(Store.remove_session_files)  # type: ignore[method-assign]
    except (ImportError, AttributeError):
        missing.append("upload limits")
    return missing


_last_refusal = 0.0


def _refuse_clear_cache(self: Any) -> None:
    """Instead of clearing every cache of the process: nothing, and a line in the log (at most one a minute)."""
    global _last_refusal
    now = time.monotonic()
    if now - _last_refusal > 60:
        _last_refusal = now
        log.warning("refused a request to clear the server's caches (session %s)", getattr(self, "id", "?"))


def _capped(add_file: Callable[..., None]) -> Callable[..., None]:
    def add_capped(self: Any, session_id: str, file: Any) -> None:
        from starlette.exceptions import HTTPException

        with self._lock:
            mine = list(self.file_storage.get(session_id, {}))
            held = self._total_bytes
        for stale in mine[:max(0, len(mine) - FILES_PER_SESSION + 1)]:  # the oldest go first
            self.remove_file(session_id, stale)
        with self._lock:
            held = self._total_bytes
        if held + len(file.data) > MAX_HELD_BYTES:
            log.warning("refused an upload of %d bytes: %d bytes of uploads already held", len(file.data), held)
            raise HTTPException(status_code=503, detail="Server busy: too many uploads held")
        add_file(self, session_id, file)
    return add_capped


def _trimming(remove: Callable[..., None]) -> Callable[..., None]:
    def remove_and_trim(self: Any, *args: Any, **kwargs: Any) -> None:
        remove(self, *args, **kwargs)
        _give_back_memory()
    return remove_and_trim


_libc: Any = None
_trim_lock = threading.Lock()


def _give_back_memory() -> None:
    """Return freed heap to the system (glibc keeps it otherwise: a flood of uploads would stay in the server's
    memory long after the files are gone). A no-op where there is no glibc."""
    global _libc
    with _trim_lock:
        if _libc is None:
            name = ctypes.util.find_library("c")
            _libc = ctypes.CDLL(name) if name else False
        if _libc and hasattr(_libc, "malloc_trim"):
            _libc.malloc_trim(0)
