"""How `learn serve` serves: compressed scripts, cut fonts that still draw every icon and Vietnamese letter,
TCP_NODELAY on its socket. (How fast it all is lives in the benchmarks.)"""

from __future__ import annotations

import gzip
import io
import json
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import brotli
import pytest
from fontTools.ttLib import TTFont

from learn import pictures
from learn.app import fonts, launch
from learn.app.static import STATIC, first_screen_assets
from learn.app.webapp import BOOT_MARK, BOOT_PATH, Shell, head, picture_address
from tests.support.server import run_server

OURS = Path(__file__).resolve().parent.parent / "learn"
MEDIA = STATIC / "static" / "media"


def _get(url: str, encoding: str | None) -> tuple[bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read(), {k.lower(): v for k, v in response.headers.items()}


def _ligatures(font: TTFont) -> set[str]:
    letters = {g: chr(c) for c, g in font.getBestCmap().items() if chr(c) in fonts.LIGATURE_LETTERS}
    names = set()
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for table in lookup.SubTable:
            table = table.ExtSubTable if lookup.LookupType == 7 else table
            for first, ligatures in (getattr(table, "ligatures", None) or {}).items():
                for ligature in ligatures:
                    spelt = [letters.get(g) for g in (first, *ligature.Component)]
                    if None not in spelt:
                        names.add("".join(spelt))  # type: ignore[arg-type]
    return names


@pytest.mark.browser  # it starts a real server
def test_scripts_arrive_compressed_and_unchanged(tmp_path: Path) -> None:
    script = next(a for a in first_screen_assets() if a.endswith(".js"))
    original = (STATIC / script.lstrip("/")).read_bytes()
    with run_server(tmp_path) as server:
        br, br_headers = _get(server.url + script, "br, gzip")
        gz, gz_headers = _get(server.url + script, "gzip")
        plain, plain_headers = _get(server.url + script, None)
    assert br_headers["content-encoding"] == "br" and brotli.decompress(br) == original
    assert gz_headers["content-encoding"] == "gzip" and gzip.decompress(gz) == original
    assert "content-encoding" not in plain_headers and plain == original
    assert len(br) < len(original) / 3 and "immutable" in br_headers["cache-control"]


def test_the_cut_icon_font_still_draws_every_icon_we_use() -> None:
    ours = set(re.findall(r":material/([a-z0-9_]+):", "".join(p.read_text() for p in OURS.rglob("*.py"))))
    full = next(MEDIA.glob(fonts.ICON_FONT)).read_bytes()
    wanted = fonts.icon_names(sorted((STATIC / "static" / "js").glob("*.js")), sorted(OURS.rglob("*.py")))
    cut = fonts.cut_icon_font(full, wanted)
    kept = _ligatures(TTFont(io.BytesIO(cut)))
    assert len(cut) < len(full) / 4
    assert ours and ours <= kept  # every icon the app shows
    assert {"expand_more", "check", "search"} <= kept  # and those Streamlit's own widgets use
    assert "skateboarding" not in kept  # an icon nobody here uses is left out


def test_the_cut_text_font_has_every_vietnamese_letter() -> None:
    full = next(MEDIA.glob(fonts.TEXT_FONT)).read_bytes()
    cut = TTFont(io.BytesIO(fonts.cut_text_font(full)))
    letters = set(cut.getBestCmap())
    vietnamese = "ăâđêôơưĂÂĐÊÔƠƯáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ₫"
    assert {ord(c) for c in vietnamese + vietnamese.upper()} <= letters


def test_the_server_socket_does_not_delay_small_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.web.server.starlette import starlette_app, starlette_server

    # what install() tells the pages of this process (as learn serve's): undone after the test
    monkeypatch.delenv(launch.AUDIO_URLS, raising=False)
    monkeypatch.delenv(launch.STYLES_IN_PAGE, raising=False)
    before, middleware = starlette_server._bind_socket, starlette_app.create_streamlit_middleware
    try:
        assert launch.install(None, warm=False) == []  # this Streamlit release still has both hooks
        sock = starlette_server._bind_socket("127.0.0.1", 0, 8)
        try:
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
            client = socket.create_connection(sock.getsockname())
            sock.setblocking(True)
            accepted, _ = sock.accept()
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1  # what every phone gets
            accepted.close()
            client.close()
        finally:
            sock.close()
    finally:
        starlette_server._bind_socket, starlette_app.create_streamlit_middleware = before, middleware


def test_a_damaged_kept_copy_is_made_again_not_served(tmp_path: Path) -> None:
    """A power cut right after the first start may leave a short file in the cache: phones would keep an empty
    script for a year."""
    from learn.app.static import PrecompressedStatic

    script = next(a for a in first_screen_assets() if a.endswith(".js"))
    file = (STATIC / script.lstrip("/")).resolve()
    PrecompressedStatic(None, tmp_path).warm([script])
    kept = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert kept
    for copy in kept:
        copy.write_bytes(b"")  # what the power cut left
    body, _ = PrecompressedStatic(None, tmp_path)._compressed(file, "br")
    assert brotli.decompress(body) == file.read_bytes()


def _call(app, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:  # type: ignore[no-untyped-def]
    import asyncio

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request"}

    scope = {"type": "http", "method": "GET", "path": path,
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start.get("headers", [])}, body


def test_narration_clips_are_served_to_keep(tmp_path: Path) -> None:
    """Clips are named by the hash of what they say: phones may keep them, a replay costs no data."""
    from learn.app.static import PrecompressedStatic

    key = "ab" + "c" * 62
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / f"{key}.mp3").write_bytes(bytes(range(256)) * 4)

    async def streamlit(scope, receive, send):  # type: ignore[no-untyped-def]
        raise AssertionError("clips must not reach Streamlit")

    app = PrecompressedStatic(streamlit, None, audio_dir=tmp_path)
    status, headers, body = _call(app, f"/audio/{key}.mp3")
    assert status == 200 and len(body) == 1024 and headers["content-type"] == "audio/mpeg"
    assert "immutable" in headers["cache-control"]
    status, headers, body = _call(app, f"/audio/{key}.mp3", {"Range": "bytes=1000-"})
    assert status == 206 and body == (bytes(range(256)) * 4)[1000:]
    assert headers["content-range"] == "bytes 1000-1023/1024"
    assert _call(app, f"/audio/{'d' * 64}.mp3")[0] == 404
    assert _call(app, f"/audio/{key}.mp3", {"Range": "bytes=5000-"})[0] == 416


def test_the_apps_drawings_are_served_to_keep_by_their_address_and_nothing_else_is() -> None:
    """A village's, a resident's or a topic's picture goes to the phone once and is kept (it went out inside every
    run's messages before); the address names the file's version, so a new drawing is fetched anew."""
    dog = pictures.person_picture("dog")
    address = picture_address(dog)
    assert address is not None and address.startswith("/pictures/people/dog.svg?v=")
    assert picture_address(Path(fonts.__file__)) is None  # not one of its drawings
    shell = Shell(None)
    status, headers, body = _call(shell, address.split("?")[0])
    assert status == 200 and body == dog.read_bytes() and headers["content-type"] == "image/svg+xml"
    assert "immutable" in headers["cache-control"]
    for other in ("/pictures/__init__.py", "/pictures/people/../../secrets.py", "/pictures/people/nobody.svg",
                  "/pictures/People/Dog.svg", "/pictures/"):
        assert _call(shell, other)[0] == 404, other


def test_a_lessons_pictures_are_served_to_keep_from_the_content_folder_and_nothing_else_is(tmp_path: Path) -> None:
    """A lesson's own pictures (its steps', and the one its tile shows) go to the phone once and are kept, as the
    app's drawings are; only pictures below the content folder, never its lesson texts or files outside it, and a
    picture opened by itself runs no script (a team drew it, or anyone who sent them a lesson)."""
    content = tmp_path / "content"
    (content / "smartphone" / "pictures").mkdir(parents=True)
    power = content / "smartphone" / "pictures" / "power-button.svg"
    power.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', encoding="utf-8")
    (content / "smartphone" / "phone-unlock.md").write_text("# Bật máy\n", encoding="utf-8")
    (tmp_path / "elsewhere.svg").write_text("<svg/>", encoding="utf-8")
    address = picture_address(power, content)
    assert address is not None and address.startswith("/lesson-pictures/smartphone/pictures/power-button.svg?v=")
    assert picture_address(power) is None  # without the content folder it is not served
    assert picture_address(tmp_path / "elsewhere.svg", content) is None
    shell = Shell(None, content_dir=content)
    status, headers, body = _call(shell, address.split("?")[0])
    assert status == 200 and body == power.read_bytes() and headers["content-type"] == "image/svg+xml"
    assert "immutable" in headers["cache-control"]
    assert "default-src 'none'" in headers["content-security-policy"] and headers["x-content-type-options"] == "nosniff"
    for other in ("/lesson-pictures/smartphone/phone-unlock.md", "/lesson-pictures/../elsewhere.svg",
                  "/lesson-pictures/smartphone/pictures/../../../elsewhere.svg", "/lesson-pictures/.hidden.svg",
                  "/lesson-pictures/smartphone/pictures/missing.svg", "/lesson-pictures/"):
        assert _call(shell, other)[0] == 404, other
    assert _call(Shell(None), address.split("?")[0])[0] == 404  # a server given no content folder serves none


def test_each_server_process_has_its_own_mark_for_pages_to_find_a_restart() -> None:
    """A page carries the mark of the process that served it and asks /boot when it comes back from a lost
    connection: the same process answers the same, never cached; another process (a restart) answers otherwise,
    and the page then loads itself again."""
    status, headers, mark = _call(Shell(None), BOOT_PATH)
    assert status == 200 and mark.decode() == BOOT_MARK and headers["cache-control"] == "no-store"
    assert len(BOOT_MARK) >= 16 and json.dumps(BOOT_MARK) in head() and BOOT_PATH in head()
    other = subprocess.run([sys.executable, "-c", "from learn.app.webapp import BOOT_MARK; print(BOOT_MARK)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert other and other != BOOT_MARK
