"""The app's shell on a phone (issue 16), as served: what the page is before and around the Streamlit app.
(What the pages show of it, the install help: ``learn.app.shell``.)

- **Lost connection, in Vietnamese.** Streamlit's page marks its root element with the state of its websocket
  (``data-test-connection-state`` on ``[data-testid="stApp"]``: ``CONNECTED``, ``PINGING_SERVER``, …) and after
  six failed pings opens an English "Connection error … Are you connected to the internet?" dialog
  (``[data-testid="stDialog"]``). A constant script in the page's <head> watches that attribute: while the socket
  is down it hides Streamlit's dialog and shows our own calm message over the page; when Streamlit has
  reconnected by itself (it reruns the page at its URL, so she is on the screen she was on) the message goes.
  Its status widget ("Running…", "Stop") is hidden for good.
- **An icon on her home screen.** A web app manifest with the Học Số icons, and a minimal service worker: it
  touches only page loads (network first, never the websocket, the scripts or the clips: nothing of the app is
  ever served stale) and, when the server cannot be reached at all, answers with a small Vietnamese page that
  waits for the server and then reloads the same address. (Newer Chrome installs without a service worker; older
  Chrome, still on cheap phones, needs one with a fetch handler to offer "Thêm vào màn hình chính" as an app.)

Streamlit does not let a page edit its <head>, so ``learn serve`` (``learn.app.launch``) puts :class:`Shell` in
front of Streamlit: it serves the manifest, the icons, the service worker and the offline page, and adds our
<head> lines to the HTML page Streamlit serves (whatever its address), with ``<html lang="vi">``. If a Streamlit
release changes that page so that the lines cannot be placed, the page is served as Streamlit made it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import html
import json
import re
import secrets
from pathlib import Path

from learn import pictures
from learn.app import styles
from learn.strings_vi import t

THEME_COLOUR = "#0b5cad"  # the app's primary colour (learn.app.serving)
BACKGROUND_COLOUR = "#ffffff"
MANIFEST_PATH = "/manifest.webmanifest"
WORKER_PATH = "/sw.js"
OFFLINE_PATH = "/offline.html"
#: this server process's mark, new at each start: a page that finds another one after the server came back lost
#: its session with the old process (a restart, a worker killed), and loads itself again (see _SCRIPT)
BOOT_PATH = "/boot"
BOOT_MARK = secrets.token_hex(8)
#: the icons drawn for the app: the address each is served at, the file and its media type
ICONS: dict[str, tuple[Path, str]] = {
    "/icons/app-icon-192.png": (pictures.HERE / "app-icon-192.png", "image/png"),
    "/icons/app-icon-512.png": (pictures.HERE / "app-icon-512.png", "image/png"),
    "/icons/app-icon.svg": (pictures.HERE / "app-icon.svg", "image/svg+xml"),
}
#: the picture (no words) of how to put the icon on the home screen: the first screen and the QR card show it
ADD_TO_HOME = pictures.HERE / "add-to-home.svg"
#: the app's own drawings (villages', residents' and topics' pictures), by address: a browser keeps them, where a
#: drawing given to Streamlit as a file goes out inside every run's messages (the first screen's were 25 KiB)
PICTURES_PATH = "/pictures/"
#: the lessons' own pictures (below the content folder), the same way
LESSON_PICTURES_PATH = "/lesson-pictures/"
_PICTURE_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                  ".webp": "image/webp"}
_PICTURE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*\.(svg|png)")
#: a lesson picture's path below the content folder: plain names only (no dot files, no "..")
_LESSON_PICTURE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(/[A-Za-z0-9][A-Za-z0-9_-]*)*\.(svg|png|jpg|jpeg|webp)",
                                  re.I)
#: a picture opened by itself (not in the page) runs no script and loads nothing: a lesson's SVG came from a team
_PICTURE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# Addresses Streamlit answers with something other than its page: passed on untouched.
_NOT_PAGES = ("/static/", "/_stcore/", "/media/", "/component/", "/app/static/", "/audio/", "/icons/", PICTURES_PATH,
              LESSON_PICTURES_PATH)
_HTML_TAG = re.compile(r"<html\b[^>]*>", re.I)
_TITLE = re.compile(r"<title>.*?</title>", re.I | re.S)
_NOSCRIPT = re.compile(r"<noscript>.*?</noscript>", re.I | re.S)


def manifest() -> dict[str, object]:
    """The web app manifest: what a phone needs to put Học Số on its home screen as an app."""
    icons: list[dict[str, str]] = []
    for size in (192, 512):
        for purpose in ("any", "maskable"):
            icons.append({"src": f"/icons/app-icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png",
                          "purpose": purpose})
    icons.append({"src": "/icons/app-icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"})
    return {"id": "/", "name": t("app.title"), "short_name": t("app.title"), "description": t("app.tagline"),
            "lang": "vi", "dir": "ltr", "start_url": "/", "scope": "/", "display": "standalone",
            "theme_color": THEME_COLOUR, "background_color": BACKGROUND_COLOUR, "icons": icons}


# Our own constant CSS and script (no user text; the two messages are JSON-encoded into it).
_STYLE = """<style>
[data-testid="stStatusWidget"] { display: none !important; }
html.hocso-offline [data-testid="stDialog"] { display: none !important; }
#hocso-offline { position: fixed; inset: 0; z-index: 2147483000; display: none; align-items: center;
  justify-content: center; padding: 1.5rem; background: rgba(255, 255, 255, .9); }
html.hocso-offline #hocso-offline { display: flex; }
#hocso-offline .hocso-card { max-width: 22rem; padding: 1.5rem 1.25rem; text-align: center; background: #fff;
  border: 3px solid #0b5cad; border-radius: 1.2rem; box-shadow: 0 6px 24px rgba(0, 0, 0, .18);
  font-family: "Source Sans", "Source Sans Pro", "Noto Sans", sans-serif; color: #1a1a1a; }
#hocso-offline .hocso-title { font-size: 1.6rem; font-weight: 700; margin: .8rem 0 .5rem; }
#hocso-offline .hocso-hint { font-size: 1.25rem; line-height: 1.5; margin: 0; }
#hocso-offline svg { width: 6rem; height: 6rem; }
#hocso-offline .hocso-turn { transform-origin: 48px 48px; animation: hocso-turn 2s linear infinite; }
@keyframes hocso-turn { to { transform: rotate(360deg); } }
@media (display-mode: standalone) { .st-key-install-hint { display: none; } }
</style>"""

# A wifi sign, and a ring turning around it: "trying again".
_PICTURE = ('<svg viewBox="0 0 96 96" aria-hidden="true">'
            '<circle cx="48" cy="48" r="44" fill="#e8f0fa"/>'
            '<g class="hocso-turn"><path d="M48 8a40 40 0 0 1 40 40" fill="none" stroke="#e65100" '
            'stroke-width="6" stroke-linecap="round"/></g>'
            '<g fill="none" stroke="#0b5cad" stroke-width="6" stroke-linecap="round">'
            '<path d="M24 44a34 34 0 0 1 48 0"/><path d="M32 53a22 22 0 0 1 32 0"/>'
            '<path d="M40 62a10 10 0 0 1 16 0"/></g><circle cx="48" cy="71" r="4.5" fill="#0b5cad"/></svg>')

_SCRIPT = """<script>
(() => {
  const TEXT = %(text)s;
  const PICTURE = %(picture)s;
  const UP = ["CONNECTED", "STATIC_CONNECTED"];
  const root = document.documentElement;
  const BOOT = %(mark)s;  // the process that served this page, which holds its session
  let connectedOnce = false, pending = 0, waiting = 0, lost = false;
  // Which server process holds this page's session. Streamlit reconnects a page to a restarted server without a
  // run: the page shown is the dead process's, and her first tap on it would only start a new session (the tap
  // itself lost, or "choose your name" where her phone would have brought her back). So a page that comes back
  // to another process loads itself again: her phone's cookie brings her to the screen she was on.
  const sameServer = (tries) => fetch("%(boot)s", {cache: "no-store"}).then((r) => r.ok ? r.text() : null)
    .then((m) => { if (m !== null && m !== BOOT) location.reload(); else if (m === null) throw 0; })
    .catch(() => { if (tries > 1) setTimeout(() => sameServer(tries - 1), 2000); });
  root.lang = "vi";
  const overlay = () => {
    let box = document.getElementById("hocso-offline");
    if (!box && document.body) {
      box = document.createElement("div");
      box.id = "hocso-offline";
      box.setAttribute("role", "alert");
      box.setAttribute("aria-live", "assertive");
      const card = document.createElement("div");
      card.className = "hocso-card";
      card.innerHTML = PICTURE;
      const title = document.createElement("p");
      title.className = "hocso-title";
      title.textContent = TEXT.offline;
      const hint = document.createElement("p");
      hint.className = "hocso-hint";
      hint.textContent = TEXT.hint;
      card.append(title, hint);
      box.append(card);
      document.body.append(box);
    }
    return box;
  };
  const down = () => {
    overlay();
    root.classList.add("hocso-offline");
  };
  const up = () => {
    root.classList.remove("hocso-offline");
    clearInterval(waiting);
    waiting = 0;
  };
  const check = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app && app.getAttribute("data-test-connection-state");
    if (!state) return;
    if (UP.includes(state)) {
      if (lost) sameServer(3);
      connectedOnce = true;
      lost = false;
      clearTimeout(pending);
      pending = 0;
      up();
      return;
    }
    // The first connection of a visit is not a lost one; a short blink (a restart of the socket) is not shown.
    if (!(connectedOnce || state === "DISCONNECTED_FOREVER")) return;
    lost = true;
    if (state === "DISCONNECTED_FOREVER" && !waiting) {
      // Streamlit has given up: wait for the server ourselves, then load the same address again.
      waiting = setInterval(() => {
        fetch("/_stcore/health", {cache: "no-store"}).then((r) => r.ok && location.reload(), () => {});
      }, 3000);
    }
    if (pending || root.classList.contains("hocso-offline")) return;
    pending = setTimeout(() => {
      pending = 0;
      const now = document.querySelector('[data-testid="stApp"]');
      if (now && !UP.includes(now.getAttribute("data-test-connection-state"))) down();
    }, 1200);
  };
  new MutationObserver(check).observe(root, {subtree: true, attributes: true,
                                             attributeFilter: ["data-test-connection-state"]});
  setInterval(check, 1000);
  if ("serviceWorker" in navigator) {
    addEventListener("load", () => navigator.serviceWorker.register("%(worker)s").catch(() => {}));
  }
})();
</script>"""


def _script() -> str:
    text = {"offline": t("shell.offline"), "hint": t("shell.offline_hint")}
    # JSON inside <script>: no "</" can close the element early
    encode = lambda value: json.dumps(value, ensure_ascii=False).replace("</", "<\\/")  # noqa: E731
    return _SCRIPT % {"text": encode(text), "picture": encode(_PICTURE), "worker": WORKER_PATH, "boot": BOOT_PATH,
                      "mark": encode(BOOT_MARK)}


def head() -> str:
    """What goes into the <head> of every page: the manifest and icons, the colour, our style and script."""
    title = html.escape(t("app.title"))
    return "\n".join([
        f'<link rel="manifest" href="{MANIFEST_PATH}">',
        f'<meta name="theme-color" content="{THEME_COLOUR}">',
        '<meta name="mobile-web-app-capable" content="yes">',
        '<meta name="apple-mobile-web-app-capable" content="yes">',
        f'<meta name="apple-mobile-web-app-title" content="{title}">',
        '<link rel="apple-touch-icon" href="/icons/app-icon-192.png">',
        '<link rel="icon" type="image/png" sizes="192x192" href="/icons/app-icon-192.png">',
        _STYLE, _script()])


def patch_page(page: str) -> str | None:
    """Streamlit's HTML page with our <head> lines, ``lang="vi"`` and our title; None when this is not a page
    they can be placed in (a Streamlit release changed it: it is then served as it is)."""
    if "</head>" not in page or not _HTML_TAG.search(page):
        return None
    page = _HTML_TAG.sub('<html lang="vi">', page, count=1)
    page = _TITLE.sub(f"<title>{html.escape(t('app.title'))}</title>", page, count=1)
    page = _NOSCRIPT.sub(f"<noscript><p>{html.escape(t('shell.no_script'))}</p></noscript>", page, count=1)
    page = page.replace("</head>", head() + "\n</head>", 1)
    # the app's own styles, once, after everything in <head> (where Streamlit adds its own as it draws): a rule of
    # ours still wins over one of Streamlit's of the same weight, as when a run sent it
    if "</body>" not in page:
        return page + styles.in_page()
    return page.replace("</body>", styles.in_page() + "\n</body>", 1)


def offline_page() -> str:
    """The page the service worker shows when the server cannot be reached at all (a reload, or the home-screen
    icon, while the laptop is off): the same message; it loads the same address again once the server answers."""
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="theme-color" content="{THEME_COLOUR}"><title>{html.escape(t("app.title"))}</title>
{_STYLE}</head>
<body class="hocso-offline-page" style="margin:0">
<div id="hocso-offline" role="alert" style="display:flex"><div class="hocso-card">{_PICTURE}
<p class="hocso-title">{html.escape(t("shell.offline"))}</p>
<p class="hocso-hint">{html.escape(t("shell.offline_hint"))}</p>
</div></div>
<script>
setInterval(() => {{
  fetch("/_stcore/health", {{cache: "no-store"}}).then((r) => r.ok && location.reload(), () => {{}});
}}, 3000);
</script></body></html>
"""


def worker_script() -> str:
    """The service worker: page loads go to the network first and fall back to the offline page; nothing else
    passes through it (the websocket never does; scripts, clips and uploads are left to the browser)."""
    version = hashlib.sha256(offline_page().encode()).hexdigest()[:12]
    return f"""const CACHE = "hocso-offline-{version}";
const OFFLINE = "{OFFLINE_PATH}";
self.addEventListener("install", (event) => {{
  event.waitUntil(caches.open(CACHE).then((cache) => cache.add(new Request(OFFLINE, {{cache: "reload"}})))
    .then(() => self.skipWaiting()));
}});
self.addEventListener("activate", (event) => {{
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((key) => key.startsWith("hocso-") && key !== CACHE).map((key) => caches.delete(key))))
    .then(() => self.clients.claim()));
}});
self.addEventListener("fetch", (event) => {{
  if (event.request.mode !== "navigate" || event.request.method !== "GET") return;
  event.respondWith(fetch(event.request).catch(() => caches.match(OFFLINE)));
}});
"""


class Shell:
    """ASGI middleware in front of Streamlit: the manifest, icons, service worker and offline page, and our
    <head> lines in Streamlit's HTML page; the app's drawings and (with ``content_dir``) the lessons' pictures."""

    def __init__(self, app, content_dir: Path | None = None) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.content_dir = content_dir
        self._fixed: dict[str, tuple[bytes, str, str]] = {
            MANIFEST_PATH: (json.dumps(manifest(), ensure_ascii=False, indent=1).encode(),
                            "application/manifest+json", "no-cache"),
            WORKER_PATH: (worker_script().encode(), "text/javascript; charset=utf-8", "no-cache"),
            OFFLINE_PATH: (offline_page().encode(), "text/html; charset=utf-8", "no-cache"),
            BOOT_PATH: (BOOT_MARK.encode(), "text/plain", "no-store"),
        }

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path in self._fixed:
            await _answer(scope, send, *self._fixed[path])
            return
        if path in ICONS:
            file, kind = ICONS[path]
            try:
                body = file.read_bytes()
            except OSError:
                await _answer(scope, send, b"", "text/plain", "no-cache", status=404)
                return
            await _answer(scope, send, body, kind, "public, max-age=86400")
            return
        if path.startswith((PICTURES_PATH, LESSON_PICTURES_PATH)):
            found = _picture_file(path, self.content_dir)
            try:
                data = found.read_bytes() if found is not None else None
            except OSError:
                data = None
            if data is None or found is None:
                await _answer(scope, send, b"", "text/plain", "no-cache", status=404)
            else:  # the address carries the file's version (picture_address): kept as long as it is the same
                await _answer(scope, send, data, _PICTURE_TYPES[found.suffix.lower()],
                              "public, max-age=31536000, immutable", policy=_PICTURE_POLICY)
            return
        if path.startswith(_NOT_PAGES):
            await self.app(scope, receive, send)
            return
        await self._page(scope, receive, send)

    async def _page(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        """Pass the request on; if the answer is Streamlit's HTML page, add our lines to it."""
        headers = dict(scope.get("headers", []))
        gzip_ok = "gzip" in headers.get(b"accept-encoding", b"").decode().lower()
        # the page itself, uncompressed and in full (no 304 for a copy patched by an older release of ours)
        asked = dict(scope, headers=[(k, v) for k, v in scope.get("headers", [])
                                     if k not in (b"accept-encoding", b"if-none-match", b"if-modified-since")])
        start: dict[str, object] = {}
        chunks: list[bytes] = []

        async def capture(message) -> None:  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                kind = dict(message.get("headers", [])).get(b"content-type", b"")
                if message.get("status") == 200 and kind.startswith(b"text/html") and scope["method"] == "GET":
                    start.update(message)
                    return
                await send(message)
                return
            if not start:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            raw = b"".join(chunks)
            patched = patch_page(raw.decode("utf-8", "replace"))
            body = raw if patched is None else patched.encode()
            kept = [(k, v) for k, v in start.get("headers", [])  # type: ignore[attr-defined]
                    if k not in (b"content-length", b"etag", b"last-modified", b"content-encoding")]
            if gzip_ok:
                body = gzip.compress(body, 6, mtime=0)
                kept.append((b"content-encoding", b"gzip"))
            kept += [(b"content-length", str(len(body)).encode()), (b"vary", b"Accept-Encoding")]
            await send({"type": "http.response.start", "status": 200, "headers": kept})
            await send({"type": "http.response.body", "body": body})

        await self.app(asked, receive, capture)


def _picture_folders(content_dir: Path | None) -> list[tuple[str, Path, re.Pattern[str]]]:
    """Where pictures are served from: the address each folder is under, the folder, the names served in it."""
    folders = [(PICTURES_PATH, pictures.HERE, _PICTURE_NAME)]
    if content_dir is not None:
        folders.append((LESSON_PICTURES_PATH, content_dir, _LESSON_PICTURE_NAME))
    return folders


def _picture_file(path: str, content_dir: Path | None) -> Path | None:
    """The picture served at the address ``path``: a file inside its folder, or None for anything else."""
    for prefix, folder, names in _picture_folders(content_dir):
        if path.startswith(prefix):
            name = path[len(prefix):]
            if not names.fullmatch(name):
                return None
            root = folder.resolve()
            file = (root / name).resolve()
            return file if file.is_relative_to(root) and file.is_file() else None
    return None


@functools.lru_cache(maxsize=1024)
def picture_address(file: Path, content_dir: Path | None = None) -> str | None:
    """The address ``file`` is served at (with its version, so a browser may keep it), if it is one of the app's
    drawings or a picture below ``content_dir``; else None. Worked out once per process (a new release's drawings
    come with a restart; a lesson picture changed in place keeps its old address until then)."""
    try:
        resolved = file.resolve()
        version = file.stat().st_mtime_ns
    except OSError:
        return None
    for prefix, folder, names in _picture_folders(content_dir):
        if resolved.is_relative_to(folder.resolve()):
            name = resolved.relative_to(folder.resolve()).as_posix()
            return f"{prefix}{name}?v={version:x}" if names.fullmatch(name) else None
    return None


async def _answer(scope, send, body: bytes, kind: str, cache: str, status: int = 200,  # type: ignore[no-untyped-def]
                  policy: str | None = None) -> None:
    headers = [(b"content-type", kind.encode()), (b"cache-control", cache.encode()),
               (b"content-length", str(len(body)).encode())]
    if policy is not None:
        headers += [(b"content-security-policy", policy.encode()), (b"x-content-type-options", b"nosniff")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
