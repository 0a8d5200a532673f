"""The nginx configuration `learn serve --workers N` runs in front of its app processes (written into
``$LEARN_HOME/nginx`` at every start, from the settings; nothing in /etc is used).

**Sticky by a cookie, not by address** (a whole village shares one Wi-Fi address). Streamlit keeps a session in
the process that opened its websocket, and the session's other requests (uploads to
``/_stcore/upload_file/<session>/…``, in-memory media at ``/media/…``) fail anywhere else. nginx gives each
browser a cookie, ``hocso_worker=w<K>``, naming the process that answered it, and sends every request carrying
it to that process (one upstream group per process, the others as its backups). A browser without it (a first
visit) goes to the next process in turn and gets the cookie with the page. When a process is down, its backups
answer and the cookie is set again to the one that did, so that the session's uploads follow its new websocket
(also after the dead process is back). ``X-Hocso-Worker`` names the process that answered (the cookie's value:
nothing a visitor does not already see).

**The visitor's address reaches the app** as ``X-Forwarded-For`` (``$remote_addr``, never a header a phone
sent), which the app server (uvicorn) believes from loopback only: the sign-in limits count per phone, and the
laptop's own browser is still "the laptop" for ``LEARN_SHARED_DEVICES=local``.

**nginx serves from disk** the narration clips (``/audio/<hash>.mp3``, named by what they say) and Streamlit's
scripts as the app processes compress them (kept in nginx's cache once made at the best level, not the quick
copy a process hands out while it makes that one, nor a font before it is cut).
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from learn.app import fonts
from learn.app.guard import MAX_UPLOAD_MB

#: the routing cookie nginx sets (not the app's: the app never reads it)
ROUTE_COOKIE = "hocso_worker"
#: a process that refused a connection is left alone this long before nginx tries it again
FAIL_TIMEOUT_S = 3
#: nginx lets go of an idle connection to an app process after this long, before the process would (uvicorn, under
#: Streamlit, closes one after 5 s): else nginx may send a request on a connection the process is closing, which is
#: reset, counted as the process failing (left out for FAIL_TIMEOUT_S) and sent to another process instead, moving
#: her session there, or answered 502 if it was a recorded answer's upload (never sent twice)
IDLE_TIMEOUT_S = 4


@dataclass(frozen=True)
class Front:
    """What nginx listens on and serves."""

    host: str
    port: int
    worker_ports: tuple[int, ...]
    prefix: Path  # nginx's own folder: config, pid, logs, cache, temporary files
    audio_dir: Path | None = None
    tls: tuple[Path, Path] | None = None  # certificate and key

    @property
    def conf(self) -> Path:
        return self.prefix / "nginx.conf"


def name(index: int) -> str:
    """A process's name in the routing cookie."""
    return f"w{index}"


def _listen(front: Front) -> str:
    host = f"[{front.host}]" if ":" in front.host else front.host
    return f"{host}:{front.port}" + (" ssl http2" if front.tls else "")


def _proxy_headers(accept_encoding: str = "$http_accept_encoding") -> str:
    """What every proxied location sends on (nginx drops inherited proxy_set_header lines in a location that
    sets any, so each location gets all of them)."""
    return f"""            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $hocso_connection;
            proxy_set_header Accept-Encoding {accept_encoding};"""


def render(front: Front) -> str:
    """The whole nginx.conf."""
    p = front.prefix
    servers = [f"127.0.0.1:{port}" for port in front.worker_ports]
    peer = f"max_fails=1 fail_timeout={FAIL_TIMEOUT_S}s"
    secure = "; Secure" if front.tls else ""
    keep = f"        keepalive 16;\n        keepalive_timeout {IDLE_TIMEOUT_S}s;\n    }}"
    groups = ["    upstream hocso_any {\n" + "".join(f"        server {s} {peer};\n" for s in servers)
              + keep]
    for k, own in enumerate(servers):
        lines = [f"        server {own} {peer};\n"]
        lines += [f"        server {s} {peer} backup;\n" for s in servers if s != own]
        groups.append(f"    upstream hocso_{name(k)} {{\n" + "".join(lines) + keep)
    pools = "".join(f"        {name(k)} hocso_{name(k)};\n" for k in range(len(servers)))
    served = "".join(f'        "~(^|\\s){s.replace(".", chr(92) + ".")}$" {name(k)};\n'
                     for k, s in enumerate(servers))
    same = "".join(f'        "{name(k)}|{name(k)}" "";\n' for k in range(len(servers)))
    # nginx refuses to start as root with its workers as "nobody", who cannot read the 0700 data folder: the
    # workers run as whoever runs `learn serve` (the directive is only allowed, and only needed, as root)
    # the two fonts the app processes cut (learn.app.fonts): Streamlit's whole font until the cut one is made
    cut_fonts = "|".join(pattern.split(".")[0] for pattern in (fonts.ICON_FONT, fonts.TEXT_FONT))
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    tls = ""
    if front.tls:
        tls = f"""        ssl_certificate {front.tls[0]};
        ssl_certificate_key {front.tls[1]};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:hocso_tls:2m;
        ssl_session_timeout 1d;
"""
    audio = ""
    if front.audio_dir is not None:
        audio = f"""        # narration clips, from the audio cache (named by the hash of what they say: never stale)
        location ~ "^/audio/([0-9a-f]{{2}})([0-9a-f]{{62}})\\.mp3$" {{
            alias {front.audio_dir}/$1/$1$2.mp3;
            default_type audio/mpeg;
            add_header Cache-Control "public, immutable, max-age=31536000";
        }}
"""
    return f"""# Made by `learn serve --workers {len(servers)}` at every start (edits are lost): see learn/app/nginx.py.
{user}worker_processes 1;
# a websocket per resident, and one to her app process: more than the usual soft limit of 1,024 open files
worker_rlimit_nofile 8192;
pid {p}/nginx.pid;
error_log {p}/error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    access_log off;
    server_tokens off;
    default_type application/octet-stream;
    sendfile on;
    tcp_nodelay on;
    client_body_temp_path {p}/tmp/body;
    proxy_temp_path {p}/tmp/proxy;
    fastcgi_temp_path {p}/tmp/fastcgi;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
    proxy_cache_path {p}/cache levels=1:2 keys_zone=hocso_static:4m max_size=200m inactive=60d use_temp_path=off;

    map $http_upgrade $hocso_connection {{
        default upgrade;
        "" "";
    }}
    # which process this browser's session lives in (its routing cookie), else the next in turn
    map $cookie_{ROUTE_COOKIE} $hocso_pool {{
{pools}        default hocso_any;
    }}
    # which process answered (the last one tried)
    map $upstream_addr $hocso_served {{
{served}        default "";
    }}
    # the routing cookie, set when it does not already name the process that answered
    map "$cookie_{ROUTE_COOKIE}|$hocso_served" $hocso_route_cookie {{
{same}        "~\\|$" "";
        default "{ROUTE_COOKIE}=$hocso_served; Path=/; HttpOnly; SameSite=Lax{secure}";
    }}
    map $http_accept_encoding $hocso_encoding {{
        "~*(^|[\\s,])br($|[\\s,;])" br;
        "~*(^|[\\s,])gzip($|[\\s,;])" gzip;
        default "";
    }}
    # not kept: a process's quick copy (the best one is being made), a font before it is cut
    map "$uri|$upstream_http_etag|$upstream_http_cache_control" $hocso_no_store {{
        "~-q\\"\\|" 1;
        "~^/static/media/({cut_fonts})\\.[^|]*\\|[^|]*\\|public, immutable" 1;
        default 0;
    }}

{chr(10).join(groups)}

    server {{
        listen {_listen(front)};
{tls}        client_max_body_size {MAX_UPLOAD_MB}m;
        proxy_http_version 1.1;
        proxy_connect_timeout 2s;
        # a resident's websocket stays open for the whole lesson (Streamlit pings it)
        proxy_read_timeout 1d;
        proxy_send_timeout 1d;

{audio}        # Streamlit's scripts, styles and fonts: the same in every process, compressed by them once
        location /static/ {{
            proxy_pass http://hocso_any;
{_proxy_headers("$hocso_encoding")}
            proxy_cache hocso_static;
            proxy_cache_key "$uri|$hocso_encoding";
            proxy_cache_valid 200 30d;
            proxy_cache_lock on;
            proxy_no_cache $hocso_no_store;
            proxy_ignore_headers Vary;
            add_header X-Hocso-Cache $upstream_cache_status;
        }}

        location / {{
            proxy_pass http://$hocso_pool;
{_proxy_headers()}
            add_header Set-Cookie $hocso_route_cookie always;
            add_header X-Hocso-Worker $hocso_served always;
        }}
    }}
}}
"""


def write(front: Front) -> Path:
    """Write the configuration (and the folders nginx writes into); its path."""
    for sub in ("tmp", "cache"):
        (front.prefix / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    conf = front.conf
    partial = conf.with_suffix(".partial")
    partial.write_text(render(front), encoding="utf-8")
    os.replace(partial, conf)
    return conf


def command(front: Front, *, test: bool = False) -> list[str]:
    """The command that runs nginx in the foreground on this configuration (or, with ``test``, checks it)."""
    binary = nginx_binary()
    base = [binary, "-p", f"{front.prefix}/", "-c", str(front.conf), "-e", f"{front.prefix}/error.log"]
    return [*base, "-t", "-q"] if test else [*base, "-g", "daemon off;"]


def nginx_binary() -> str:
    """Debian's nginx (in /usr/sbin, often not on a user's PATH), or whichever is on the PATH; "" when none."""
    import shutil

    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    return found or ""
