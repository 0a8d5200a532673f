"""An anonymous visitor on the Wi-Fi, speaking to a real `learn serve` the way an attacker's script would: its own
Streamlit websocket session, any BackMsg it likes, PUTs to the upload route (with a self-made XSRF token pair, as
a script can), and the server's memory read from /proc."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string


class Visitor:
    """One anonymous websocket session."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ws: websockets.ClientConnection | None = None
        self.session_id = ""

    async def open(self) -> None:
        self.ws = await websockets.connect(self.url.replace("http", "ws", 1) + "/_stcore/stream",
                                          subprotocols=[websockets.Subprotocol("streamlit")], max_size=2**24)
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        await self.ws.send(msg.SerializeToString())
        while not self.session_id:
            fwd = ForwardMsg()
            fwd.ParseFromString(await self.ws.recv())  # type: ignore[arg-type]
            if fwd.WhichOneof("type") == "new_session":
                self.session_id = fwd.new_session.initialize.session_id

    async def send(self, msg: BackMsg) -> None:
        assert self.ws is not None
        await self.ws.send(msg.SerializeToString())

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    def upload(self, size: int, file_id: str) -> int:
        """PUT ``size`` random bytes as a file of this session; the HTTP status."""
        token = generate_xsrf_token_string()
        boundary = "hocso-visitor"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode() + os.urandom(size) \
            + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(
            f"{self.url}/_stcore/upload_file/{self.session_id}/{file_id}", data=body, method="PUT",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-Xsrftoken": token,
                     "Cookie": f"_streamlit_xsrf={token}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code
        except urllib.error.URLError:  # the server refused before reading the body and closed the connection
            return 413


def app_rss_mib(serve_pid: int) -> float:
    """Resident memory of the app's server process (the `learn.app.launch` child of `learn serve`), in MiB."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) != serve_pid:
                continue
            command = (proc / "cmdline").read_bytes()
            if b"learn.app.launch" in command:
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except (OSError, ProcessLookupError):
            continue
    raise LookupError(f"no app server in process group {serve_pid}")
