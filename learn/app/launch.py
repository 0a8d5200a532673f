"""What `learn serve` runs: Streamlit, with four changes to how it serves (nothing about the app itself).

1. **TCP_NODELAY** on the listening socket (Linux hands it on to every connection). Streamlit answers a tap with
   several small websocket messages; without it the kernel holds back each later message until the phone
   acknowledges the first, and phones delay acknowledgements: 40 ms on every tap on the laptop's own Wi-Fi,
   a whole round trip (300 ms) over 3G.
2. **Compressed scripts and smaller fonts** (``learn.app.static``, ``learn.app.fonts``): Streamlit serves its
   JavaScript uncompressed and leaves compression to a reverse proxy, which a laptop in the commune hall does
   not have; and its two fonts are half of a first visit.
3. **The phone's shell** (``learn.app.webapp``): the page in Vietnamese (``lang="vi"``, our own lost-connection
   message instead of Streamlit's English dialog) and installable (a manifest, icons, a minimal service worker).
4. **A garbage collector sized for a crowd** (``collect_less``). Python's default collects its youngest objects
   every 700 allocations, many times inside every page run: what a run still holds is promoted, and once the run
   ends it is garbage that only a full collection frees. With 150 residents on one process, full collections
   came every few seconds and took 160-260 ms each, a pause for every resident on it (measured for issue 21).

They hook Streamlit's server at the two places it builds the socket and the middleware. If a Streamlit release
moves them the app still runs, without these gains, and says so; the tests and benchmarks catch it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import sys
import threading
from pathlib import Path

#: set in the server's environment when /audio/… is served (what `learn serve` runs)
AUDIO_URLS = "HOCSO_SERVE_AUDIO_URLS"  # internal: not a setting (those are LEARN_*)
#: set when the served page carries the app's styles (``learn.app.styles``): no run sends them then
STYLES_IN_PAGE = "HOCSO_STYLES_IN_PAGE"  # internal, like AUDIO_URLS
#: the content folder whose pictures the server hands out by address (``learn.app.webapp``), when it does
LESSON_PICTURES = "HOCSO_LESSON_PICTURES"  # internal, like AUDIO_URLS


#: young collections every 10,000 allocations instead of 700: most of a page run's objects are freed before one
GC_THRESHOLDS = (10_000, 20, 10)


def collect_less() -> None:
    """What is loaded at the start (Streamlit, its protobufs, our modules) is kept out of every later collection,
    and the young objects are collected less often (``GC_THRESHOLDS``)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _nodelay(bind):  # type: ignore[no-untyped-def]
    def bind_without_delay(*args, **kwargs):  # type: ignore[no-untyped-def]
        sock = bind(*args, **kwargs)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    return bind_without_delay


def install(cache_dir: Path | None, *, warm: bool = True, audio_dir: Path | None = None,
            content_dir: Path | None = None) -> list[str]:
    """Hook Streamlit's server (and, with ``warm``, make the compressed copies in the background); returns
    what could not be hooked."""
    from starlette.middleware import Middleware
    from streamlit.web.server.starlette import starlette_app, starlette_server

    from learn.app import guard
    from learn.app.static import STATIC, PrecompressedStatic, first_screen_assets
    from learn.app.webapp import Shell, patch_page

    missing = guard.install()
    shell = patch_page((STATIC / "index.html").read_text(encoding="utf-8")) is not None
    if not shell:
        missing.append("the Vietnamese page shell")
    if hasattr(starlette_server, "_bind_socket"):
        starlette_server._bind_socket = _nodelay(starlette_server._bind_socket)
    else:
        missing.append("TCP_NODELAY")
    if hasattr(starlette_app, "create_streamlit_middleware"):
        original = starlette_app.create_streamlit_middleware
        def with_compressed_static() -> list[Middleware]:
            stack = list(original())
            # after Streamlit's path security, before everything else
            stack.insert(min(1, len(stack)), Middleware(PrecompressedStatic, cache_dir=cache_dir,
                                                        audio_dir=audio_dir))
            # in front of that: the manifest, icons and offline page, and our <head> lines (learn.app.webapp)
            stack.insert(min(1, len(stack)), Middleware(Shell, content_dir=content_dir))
            return stack

        starlette_app.create_streamlit_middleware = with_compressed_static
        if shell:
            os.environ[STYLES_IN_PAGE] = "1"  # the pages then send none of learn.app.styles
        if audio_dir is not None:
            os.environ[AUDIO_URLS] = "1"  # the pages may then point players at /audio/…
        if content_dir is not None:
            os.environ[LESSON_PICTURES] = str(content_dir)  # and pictures at /lesson-pictures/…
        # make the first screen's best copies now, while nobody is waiting
        warmer = PrecompressedStatic(None, cache_dir)

        def warm_up() -> None:
            warmer.warm_fonts()
            warmer.warm(first_screen_assets())
            if cache_dir is not None:  # the benchmarks wait for this before a "first visit"
                with contextlib.suppress(OSError):
                    (cache_dir / "warm").write_text("ready\n")

        if warm:
            threading.Thread(target=warm_up, daemon=True).start()
    else:
        missing.append("compressed scripts")
    return missing


def _log_to_console() -> None:
    """The app's own log lines (``learn.*``: refused requests, resources made) on the server's console."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    ours = logging.getLogger("learn")
    ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    ours.propagate = False


def main() -> None:
    from learn.settings import Settings

    _log_to_console()

    try:
        settings: Settings | None = Settings.from_env()
    except ValueError:
        settings = None  # `learn serve` has already said what is wrong
    if settings is not None:  # a restore must wait until this server stops (progress_db.inuse)
        from progress_db import inuse

        inuse.hold(settings.home)
    missing = install(settings.home / "static-cache" if settings else None,
                      audio_dir=settings.audio_cache_dir if settings else None,
                      content_dir=settings.content_dir if settings else None)
    if missing:
        import logging

        logging.getLogger("learn.app.launch").warning(
            "this Streamlit release has moved its server; running without %s", ", ".join(missing))
    from streamlit.web import cli

    collect_less()
    sys.argv = ["streamlit", *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
