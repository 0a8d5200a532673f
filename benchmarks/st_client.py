"""A minimal Streamlit client speaking the app's own websocket protocol (``/_stcore/stream``, protobuf BackMsg and
ForwardMsg), so hundreds of simulated residents can step through lessons on 2 cores: a browser per resident would
measure the browsers, not the server.

It does what the frontend does for our pages: keeps the widget states, taps a button by its key (a rerun with the
button's trigger), and waits for the run to finish, following page switches.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState


@dataclass
class Run:
    """What one rerun sent back: its buttons by key, its texts, the time it took and the bytes."""

    buttons: dict[str, str] = field(default_factory=dict)  # widget key -> widget id
    fragments: dict[str, str] = field(default_factory=dict)  # widget or element id -> its fragment's id
    disabled: set[str] = field(default_factory=set)  # keys of the buttons shown but not tappable
    inputs: dict[str, str] = field(default_factory=dict)  # text boxes: widget key -> widget id
    components: dict[str, str] = field(default_factory=dict)  # st.components.v2: key -> element id
    texts: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)  # audio the browser then fetches
    images: list[str] = field(default_factory=list)  # the pictures' addresses (or data: URLs, sent inside the run)
    seconds: float = 0.0
    script_ms: float = 0.0  # the server's own count of the script's run (page profile)
    messages: int = 0
    bytes: int = 0
    page_hash: str = ""


class Session:
    """One browser tab's worth of Streamlit session, with its own cookie jar (``cookies``: name -> value), sent
    with the page load and the websocket and updated from their ``Set-Cookie`` (nginx's routing cookie)."""

    def __init__(self, url: str, cookies: dict[str, str] | None = None) -> None:
        self.base = url.rstrip("/")
        self.url = url.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
        self.ws: websockets.ClientConnection | None = None
        self.page_hash = ""
        self.query = ""
        self.cookies: dict[str, str] = dict(cookies or {})
        self.worker = ""  # X-Hocso-Worker of the websocket's answer: which app process holds the session

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def _keep(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value

    async def load_page(self, path: str = "/") -> int:
        """An HTTP GET with this jar (the page load before the websocket, or the health check a browser makes
        before reconnecting); keeps the cookies it sets; its status."""
        def get() -> int:
            request = urllib.request.Request(self.base + path, headers=self._cookie_header())
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
                    self._keep(response.headers.get_all("Set-Cookie") or [])
                    return int(response.status)
            except urllib.error.HTTPError as exc:
                return exc.code

        return await asyncio.to_thread(get)

    async def connect(self) -> None:
        self.ws = await websockets.connect(self.url, subprotocols=[websockets.Subprotocol("streamlit")],
                                          additional_headers=self._cookie_header(), max_size=2**24,
                                          open_timeout=60, ping_interval=None)
        if self.ws.response is not None:
            self._keep(self.ws.response.headers.get_all("Set-Cookie"))
            self.worker = self.ws.response.headers.get("X-Hocso-Worker", "")

    async def open(self, query: str = "") -> Run:
        await self.connect()
        self.query = query
        return await self._rerun([])

    async def reconnect(self) -> Run:
        """What the browser does when its websocket drops: check the server's health, connect again with the
        same cookies, and rerun the page it was on (a new session if the process holding the old one died)."""
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        await self.connect()
        return await self._rerun([])

    async def idle(self, seconds: float) -> bool:
        """Wait ``seconds`` (a resident reading); False as soon as the websocket closes meanwhile (the browser
        notices at once, not at the next tap)."""
        assert self.ws is not None
        try:
            await asyncio.wait_for(self.ws.wait_closed(), timeout=seconds)
        except TimeoutError:
            return True
        return False

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def tap(self, run: Run, key: str) -> Run:
        """Tap the button with this key (what a resident's finger does)."""
        widget = run.buttons.get(key)
        if widget is None:
            raise KeyError(f"no button {key!r} on this screen: {sorted(run.buttons)[:20]}")
        return await self._rerun([WidgetState(id=widget, trigger_value=True)], run.fragments.get(widget, ""))

    async def trigger(self, run: Run, key: str, event: str, value: object) -> Run:
        """What a component's ``setTriggerValue(event, value)`` sends (a tap on the pretend phone)."""
        from streamlit.components.v2.bidi_component.main import _make_trigger_id

        element = run.components.get(key)
        if element is None:
            raise KeyError(f"no component {key!r} on this screen: {sorted(run.components)}")
        payload = json.dumps([{"event": event, "value": value}])
        return await self._rerun([WidgetState(id=_make_trigger_id(element, "events"), json_trigger_value=payload)],
                                 run.fragments.get(element, ""))

    async def submit(self, run: Run, button: str, texts: dict[str, str]) -> Run:
        """Type ``texts`` (by text box key) into a form and press its submit button (by key or label)."""
        states = [WidgetState(id=run.inputs[key], string_value=value) for key, value in texts.items()]
        return await self._rerun([*states, WidgetState(id=run.buttons[button], trigger_value=True)])

    async def _rerun(self, states: list[WidgetState], fragment: str = "") -> Run:
        """A rerun with these widget states: of the whole page, or, for a widget of a fragment (``fragment``:
        its id, as the browser sends it), of that fragment alone."""
        assert self.ws is not None
        msg = BackMsg()
        msg.rerun_script.fragment_id = fragment
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_script_hash = self.page_hash
        msg.rerun_script.widget_states.widgets.extend(states)
        # what the browser tells the server with every rerun: the page's address (the app then points the tab's
        # icon and the players at the files it serves itself), the phone's time zone and language
        info = msg.rerun_script.context_info
        info.url, info.locale, info.color_scheme = self.base + "/", "vi-VN", "light"
        info.timezone, info.timezone_offset = "Asia/Ho_Chi_Minh", -420
        run = Run()
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout=120)
            run.bytes += len(raw)
            run.messages += 1
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)  # type: ignore[arg-type]
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = fwd.new_session.page_script_hash
            elif kind == "page_info_changed":
                self.query = fwd.page_info_changed.query_string
            elif kind == "navigation":
                self.page_hash = fwd.navigation.page_script_hash
            elif kind == "page_profile":
                run.script_ms = fwd.page_profile.exec_time / 1000 if fwd.page_profile.exec_time > 1000 \
                    else float(fwd.page_profile.exec_time)
            elif kind == "delta":
                self._read_delta(fwd, run)
            elif kind == "script_finished":
                # a page switch ends the run early and starts another: wait for the one that finishes
                if fwd.script_finished in (ForwardMsg.FINISHED_SUCCESSFULLY,
                                           ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                    run.seconds = time.perf_counter() - start
                    run.page_hash = self.page_hash
                    return run
                if fwd.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise RuntimeError("the page failed to compile")
                run.buttons.clear()
                run.fragments.clear()
                run.disabled.clear()
                run.texts.clear()
                run.media.clear()
                run.images.clear()

    @staticmethod
    def _read_delta(fwd: ForwardMsg, run: Run) -> None:
        if fwd.delta.WhichOneof("type") != "new_element":
            return
        element = fwd.delta.new_element
        kind = element.WhichOneof("type")
        if fwd.delta.fragment_id:
            widget = getattr(getattr(element, kind), "id", "") if kind else ""
            if widget:
                run.fragments[widget] = fwd.delta.fragment_id
        if kind in ("button", "download_button"):
            button = getattr(element, kind)
            key = _user_key(button.id) or button.label
            run.buttons[key] = button.id
            if button.disabled:
                run.disabled.add(key)
        elif kind == "bidi_component":
            run.components[_user_key(element.bidi_component.id) or element.bidi_component.component_name] = \
                element.bidi_component.id
        elif kind == "text_input":
            box = element.text_input
            run.inputs[_user_key(box.id) or box.label] = box.id
        elif kind == "markdown":
            run.texts.append(element.markdown.body)
        elif kind == "html":
            run.texts.append(element.html.body)
        elif kind == "audio" and element.audio.url:
            run.media.append(element.audio.url)
        elif kind == "imgs":
            run.images.extend(image.url for image in element.imgs.imgs)
        elif kind == "exception":
            raise RuntimeError(f"the page raised: {element.exception.message}")
        elif kind == "alert":
            run.texts.append(element.alert.body)


def _user_key(widget_id: str) -> str | None:
    """The key our code gave a widget, from the id Streamlit builds (``$$ID-<hash>-<key>``)."""
    if widget_id.startswith("$$ID-"):
        rest = widget_id[len("$$ID-"):]
        _, _, key = rest.partition("-")
        return key if key and key != "None" else None
    return None
