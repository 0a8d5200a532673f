"""`learn serve --workers N`: app processes behind nginx (issue 21). The generated configuration is checked by
nginx itself; one real `learn serve --workers 2` (shared by the tests below, in order) shows that a browser's
session stays on its process by nginx's cookie, uploads included; that a sign-in made on one process (a trainer's
browser, a resident's phone) holds on the other, and that the processes see the phone's own address; that nginx
serves clips and kept scripts itself; that a killed process is restarted while the other answers; and that
SIGTERM stops everything, leaving no process behind."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from learn.app import nginx, styles
from learn.app.workers import auto_count
from learn.strings_vi import t
from learn.tls import ensure_certificate, local_addresses
from tests.support.server import CONTENT, Server, process_tree, run_server

pytestmark = pytest.mark.server

if not nginx.nginx_binary():
    pytest.skip("needs Debian's nginx (make install, or apt-get install nginx)", allow_module_level=True)

PASSWORD = "mat-khau-tot"

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _nginx_t(front: nginx.Front) -> subprocess.CompletedProcess[str]:
    nginx.write(front)
    return subprocess.run(nginx.command(front, test=True), capture_output=True, text=True, timeout=30)


def test_the_generated_configuration_passes_nginx_t_over_http_and_https(tmp_path: Path) -> None:
    cert, key = ensure_certificate(tmp_path / "tls", ["127.0.0.1"])
    for tls in (None, (cert, key)):
        front = nginx.Front("0.0.0.0", 18443, (18601, 18602, 18603), tmp_path / "nginx", tmp_path / "audio", tls)
        checked = _nginx_t(front)
        assert checked.returncode == 0, checked.stderr
        conf = front.conf.read_text()
        assert ("ssl_certificate " in conf) == (tls is not None)
        assert conf.count("upstream hocso_w") == 3 and "hash $remote_addr" not in conf
    # a broken one is refused by the same check (what `learn serve` runs before starting anything)
    front.conf.write_text(front.conf.read_text().replace("events {", "events {{"))
    broken = subprocess.run(nginx.command(front, test=True), capture_output=True, text=True, timeout=30)
    assert broken.returncode != 0


def test_auto_is_one_per_core_and_fewer_when_a_speech_model_would_not_fit(tmp_path: Path) -> None:
    cores = len(os.sched_getaffinity(0))
    assert 1 <= auto_count() <= cores
    model = tmp_path / "model"
    model.mkdir()
    with (model / "HCLr.fst").open("wb") as huge:  # sparse: a model far bigger than this machine's memory
        huge.truncate(2**40)
    assert auto_count(model) == 1


# --- one real `learn serve --workers 2` ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("workers-home")
    # every browser may stay signed in here: Chromium on this machine is the laptop itself to the app, whichever
    # address it opens (tests/test_resident_device.py), and these tests play phones with it
    with run_server(home, {"LEARN_SHARED_DEVICES": "none"}, ("--workers", "2"), host="0.0.0.0") as running:
        env = {**os.environ, "LEARN_HOME": str(home), "LEARN_CONTENT_DIR": str(CONTENT)}
        env.pop("LEARN_DATABASE_URL", None)
        made = subprocess.run([str(Path(sys.executable).parent / "learn"), "users", "add", "mai", "--role",
                               "trainer", "--commune", "Xã Hòa Bình", "--name", "Chị Mai", "--password", PASSWORD],
                              env=env, capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
        yield running


def _get(url: str, cookie: str | None = None, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={**({"Cookie": cookie} if cookie else {}), **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def _ports(server: Server) -> dict[str, int]:
    """Each app process's loopback port, by its name in the routing cookie (from nginx's configuration)."""
    conf = (server.home / "nginx" / "nginx.conf").read_text()
    return {m[1]: int(m[2]) for m in re.finditer(r"upstream hocso_(w\d+) \{\s*server 127\.0\.0\.1:(\d+)", conf)}


def _worker_pid(server: Server, port: int) -> int:
    [pid] = [p for p, command in process_tree(server.pid).items()
             if "learn.app.launch" in command and f"--server.port {port} " in command]
    return pid


def _gone(pid: int) -> bool:
    """Exited (gone, or a zombie its parent has not reaped yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_browser_is_kept_on_its_process_by_a_cookie_uploads_included(served: Server) -> None:
    ports = _ports(served)
    assert sorted(ports) == ["w0", "w1"]
    # a first visit gets the cookie naming the process that answered; new visitors are spread over both
    firsts = [_get(f"{served.url}/")[1] for _ in range(4)]
    named = [h["x-hocso-worker"] for h in firsts]
    assert set(named) == {"w0", "w1"}
    assert all(h["set-cookie"].startswith(f"{nginx.ROUTE_COOKIE}={n};") for h, n in zip(firsts, named, strict=True))
    # with it, every request reaches that process (and the cookie is not set again)
    for worker in ("w0", "w1"):
        again = [_get(f"{served.url}/_stcore/health", f"{nginx.ROUTE_COOKIE}={worker}")[1] for _ in range(5)]
        assert [h["x-hocso-worker"] for h in again] == [worker] * 5
        assert not any(nginx.ROUTE_COOKIE in h.get("set-cookie", "") for h in again)

    def upload(session_id: str, worker: str) -> int:
        from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

        token = generate_xsrf_token_string()  # any pair a script makes (Streamlit compares the two)
        body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                b"Content-Type: audio/wav\r\n\r\n" + os.urandom(2000) + b"\r\n--b--\r\n")
        request = urllib.request.Request(
            f"{served.url}/_stcore/upload_file/{session_id}/answer", data=body, method="PUT",
            headers={"Content-Type": "multipart/form-data; boundary=b", "X-Xsrftoken": token,
                     "Cookie": f"_streamlit_xsrf={token}; {nginx.ROUTE_COOKIE}={worker}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    async def session(worker: str) -> tuple[str, int, int]:
        """A session opened with ``worker``'s cookie: which process answered the websocket, and the status of
        an upload to it sent with that cookie, then with the other process's."""
        import websockets
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        async with websockets.connect(served.url.replace("http", "ws", 1) + "/_stcore/stream",
                                      subprotocols=[websockets.Subprotocol("streamlit")],
                                      additional_headers={"Cookie": f"{nginx.ROUTE_COOKIE}={worker}"},
                                      max_size=2**24) as ws:
            assert ws.response is not None
            msg = BackMsg()
            msg.rerun_script.query_string = ""
            await ws.send(msg.SerializeToString())
            session_id = ""
            while not session_id:
                fwd = ForwardMsg()
                fwd.ParseFromString(await ws.recv())  # type: ignore[arg-type]
                if fwd.WhichOneof("type") == "new_session":
                    session_id = fwd.new_session.initialize.session_id
            same = await asyncio.to_thread(upload, session_id, worker)
            elsewhere = await asyncio.to_thread(upload, session_id, "w0" if worker == "w1" else "w1")
            return ws.response.headers["X-Hocso-Worker"], same, elsewhere

    holder, same, elsewhere = asyncio.run(asyncio.wait_for(session("w1"), timeout=60))
    assert holder == "w1"
    assert same == 204  # a recorded answer reaches the process holding the session
    assert elsewhere == 400  # what would happen without the cookie: "session invalid"


def test_nginx_serves_clips_and_the_kept_scripts_itself(served: Server) -> None:
    sound = b"ID3" + os.urandom(5000)
    key = hashlib.sha256(sound).hexdigest()
    (served.home / "audio" / key[:2]).mkdir(parents=True, exist_ok=True)
    (served.home / "audio" / key[:2] / f"{key}.mp3").write_bytes(sound)
    status, headers, body = _get(f"{served.url}/audio/{key}.mp3")
    assert (status, body, headers["content-type"]) == (200, sound, "audio/mpeg")
    assert "immutable" in headers["cache-control"] and "x-hocso-worker" not in headers  # not an app process
    status, _, body = _get(f"{served.url}/audio/{key}.mp3", Range="bytes=10-19")
    assert (status, body) == (206, sound[10:20])
    assert _get(f"{served.url}/audio/{'0' * 64}.mp3")[0] == 404

    from learn.app.static import first_screen_assets

    script = next(a for a in first_screen_assets() if a.endswith(".js"))
    deadline = time.monotonic() + 60
    while True:  # once a process has made its best copy, nginx keeps it and answers from its own disk
        status, headers, body = _get(f"{served.url}/{script.lstrip('/')}", **{"Accept-Encoding": "gzip, br"})
        assert status == 200 and headers["content-encoding"] == "br"
        if headers.get("x-hocso-cache") == "HIT":
            break
        assert time.monotonic() < deadline, headers
        time.sleep(0.5)
    assert not headers["etag"].endswith('-q"')  # not the quick copy


def _nginx_errors(server: Server) -> str:
    """nginx's complaints so far (why a request went to another process than its cookie's)."""
    return (server.home / "nginx" / "error.log").read_text(errors="replace")[-3000:]


def _connections_to(port: int, besides: int) -> int:
    """Open TCP connections (IPv4) to a loopback port but the one from port ``besides``: here nginx's."""
    rows = [row.split() for row in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(1 for row in rows
               if row[2].endswith(f":{port:04X}") and not row[1].endswith(f":{besides:04X}") and row[3] == "01")


def test_nginx_lets_go_of_an_idle_connection_before_the_app_process_does(served: Server) -> None:
    """An app process (uvicorn) closes a connection left idle a few seconds. Were nginx to keep it longer, a request
    sent on it as it closed would be reset: the process counted as failing, and the request (her page, or her
    session's next one) moved to the other process, or a recorded answer's upload answered 502 (seen: 2 requests
    in 40 sent 5 s apart). So nginx lets go first: measured here against the process's own idle close."""
    import select
    import socket

    port = _ports(served)["w1"]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as direct:
        direct.sendall(b"GET /_stcore/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert direct.recv(4096).startswith(b"HTTP/1.1 200")
        mine = direct.getsockname()[1]
        started = time.monotonic()
        assert _get(f"{served.url}/_stcore/health", f"{nginx.ROUTE_COOKIE}=w1")[1]["x-hocso-worker"] == "w1"
        assert _connections_to(port, mine) >= 1  # nginx keeps its connection for the next request, as it should
        nginx_let_go = app_closed = None
        while app_closed is None:
            if select.select([direct], [], [], 0.05)[0] and not direct.recv(4096):  # b"": the process closed it
                app_closed = time.monotonic() - started
            if nginx_let_go is None and _connections_to(port, mine) == 0:
                nginx_let_go = time.monotonic() - started
            assert time.monotonic() - started < 60
    # (the process's connection was idle since just before nginx's: it would close nginx's a little after)
    assert nginx_let_go is not None and nginx_let_go < app_closed - 0.5, (nginx_let_go, app_closed)


def test_a_sign_in_made_on_one_process_holds_on_the_other(served: Server) -> None:
    """Chromium plays a phone on the Wi-Fi (opening this machine's network address): her phone's sign-in, and a
    trainer's, made on one process hold on the other (both are in the database)."""
    from learn import services
    from learn.strings_vi import t
    from tests.support.browser import (
        BIRTH_YEAR,
        CHROMIUM,
        CHROMIUM_ARGS,
        LEARNER,
        PHONE,
        TIMEOUT_MS,
        VILLAGE,
        choose_village,
        expect,
        sync_api,
    )

    lan = [a for a in local_addresses() if not a.startswith("127.") and ":" not in a]
    if not lan:
        pytest.skip("this machine has no network address but loopback")
    phone_url = served.url.replace("127.0.0.1", lan[0])

    def other(worker: str) -> str:
        return "w1" if worker == "w0" else "w0"

    with served.data():  # on the roster, as a trainer adds her
        [village] = [v for v in services.villages() if v.name == VILLAGE]
        services.add_learner(village.id, LEARNER, BIRTH_YEAR)

    def sign_in(page: Page, base: str) -> None:
        choose_village(page, base)
        page.get_by_role("button", name=LEARNER).click()
        expect(page.get_by_text(t("lessons.heading", name=LEARNER))).to_be_visible()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            phone = browser.new_context(viewport=PHONE, locale="vi-VN")
            phone.set_default_timeout(TIMEOUT_MS)
            page = phone.new_page()
            sign_in(page, phone_url)
            page.wait_for_function("() => document.cookie.includes('hocso_device=')", timeout=10_000)
            cookies = {c["name"]: c for c in phone.cookies()}
            assert cookies.get("hocso_device", {}).get("value"), "the process took her phone for the laptop"
            first = cookies[nginx.ROUTE_COOKIE]["value"]
            phone.add_cookies([{**cookies[nginx.ROUTE_COOKIE], "value": other(first)}])  # type: ignore[list-item]
            response = page.reload()
            assert response is not None and response.headers["x-hocso-worker"] == other(first), _nginx_errors(served)
            expect(page.get_by_text(t("lessons.heading", name=LEARNER))).to_be_visible()

            laptop = browser.new_context(viewport=PHONE, locale="vi-VN")
            laptop.set_default_timeout(TIMEOUT_MS)
            page = laptop.new_page()

            # a trainer signs in on one process; a reload that reaches the other keeps her signed in
            page.goto(f"{served.url}/trainer")
            page.get_by_label(t("trainer.username")).fill("mai")
            page.get_by_label(t("trainer.password")).fill(PASSWORD)
            page.get_by_role("button", name=t("trainer.login")).click()
            expect(page.get_by_text(t("trainer.heading", name="Chị Mai"))).to_be_visible()
            # (the page writes the sign-in cookie from a script of its own, just after the heading shows)
            page.wait_for_function("() => document.cookie.includes('hocso_account=')")
            cookies = {c["name"]: c for c in laptop.cookies()}
            assert cookies.get("hocso_account", {}).get("value")
            first = cookies[nginx.ROUTE_COOKIE]["value"]
            laptop.add_cookies([{**cookies[nginx.ROUTE_COOKIE], "value": other(first)}])  # type: ignore[list-item]
            response = page.reload()
            assert response is not None and response.headers["x-hocso-worker"] == other(first), _nginx_errors(served)
            expect(page.get_by_text(t("trainer.heading", name="Chị Mai"))).to_be_visible()
            expect(page.get_by_label(t("trainer.password"))).to_have_count(0)
        finally:
            browser.close()


def test_the_load_benchmarks_residents_each_keep_their_routing_cookie(served: Server) -> None:
    """benchmarks/bench_workers.py plays each resident as one browser (benchmarks/st_client.py): the cookie nginx
    set on her first page load goes with her websocket, so her session is on the process that cookie names."""
    from benchmarks.st_client import Session

    async def resident() -> tuple[str, str]:
        session = Session(served.url)
        assert await session.load_page("/") == 200
        cookie = session.cookies[nginx.ROUTE_COOKIE]
        try:
            await session.open()
            return cookie, session.worker
        finally:
            await session.close()

    # nginx leaves a process out for FAIL_TIMEOUT_S after one failed request (an earlier test's traffic may have
    # made one): new browsers are spread over both once both are in turn again
    time.sleep(nginx.FAIL_TIMEOUT_S + 0.5)
    pairs = [asyncio.run(asyncio.wait_for(resident(), timeout=60)) for _ in range(4)]
    assert {cookie for cookie, _ in pairs} == {"w0", "w1"}
    assert all(cookie == worker for cookie, worker in pairs), pairs


def test_the_page_carries_the_apps_styles_once_and_no_run_sends_them(served: Server) -> None:
    """Large print, tiles: placed at the end of the page nginx hands out, after Streamlit's <head>; the first
    screen (the village tiles) then draws without sending any style of its own, or any picture."""
    from benchmarks.st_client import Run, Session

    with urllib.request.urlopen(f"{served.url}/", timeout=30) as response:
        page = response.read().decode()
    assert page.count(styles.in_page()) == 1 and page.index(styles.in_page()) > page.index("</head>")

    async def first_screen() -> Run:
        session = Session(served.url)
        try:
            return await session.open()
        finally:
            await session.close()

    run = asyncio.run(asyncio.wait_for(first_screen(), timeout=60))
    assert t("village.hint") in "\n".join(run.texts)
    assert not [text for text in run.texts if "<style" in text]
    # nor any picture inside it: the villages' drawings are addresses, which the phone fetches once and keeps
    assert run.images and all(url.startswith(f"{served.url}/pictures/") for url in run.images), run.images[:3]
    status, headers, _ = _get(run.images[0])
    assert status == 200 and headers["content-type"] == "image/svg+xml" and "immutable" in headers["cache-control"]


def test_a_killed_process_is_restarted_and_sigterm_stops_everything(served: Server) -> None:
    ports = _ports(served)
    victim = _worker_pid(served, ports["w0"])
    os.kill(victim, signal.SIGKILL)
    # meanwhile its browsers are answered by the other process, and their cookie follows the session there
    status, headers, _ = _get(f"{served.url}/_stcore/health", f"{nginx.ROUTE_COOKIE}=w0")
    assert status == 200 and headers["x-hocso-worker"] == "w1"
    assert headers["set-cookie"].startswith(f"{nginx.ROUTE_COOKIE}=w1;")
    deadline = time.monotonic() + 60
    while True:  # a new process on the same port, which nginx tries again after its pause
        status, headers, _ = _get(f"{served.url}/_stcore/health", f"{nginx.ROUTE_COOKIE}=w0")
        if status == 200 and headers["x-hocso-worker"] == "w0":
            break
        assert time.monotonic() < deadline, "the killed process was not back within 60 s"
        time.sleep(0.5)
    assert _worker_pid(served, ports["w0"]) != victim
    assert "restarting" in (served.home / "server.log").read_text()

    everything = process_tree(served.pid)
    assert sum("learn.app.launch" in c for c in everything.values()) == 2
    assert any(c.startswith("nginx: master") for c in everything.values())
    os.kill(served.pid, signal.SIGTERM)  # systemd's stop, or Ctrl-C's SIGINT: the same path
    deadline = time.monotonic() + 20
    while not all(_gone(pid) for pid in everything):
        assert time.monotonic() < deadline, {p: c for p, c in everything.items() if not _gone(p)}
        time.sleep(0.2)
    for port in (*ports.values(), int(served.url.rsplit(":", 1)[1])):
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
