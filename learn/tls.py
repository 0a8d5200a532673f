"""A certificate for `learn serve --https`: phones on the laptop's Wi-Fi may use the microphone only on HTTPS.

The laptop makes its own self-signed certificate once (with openssl), naming localhost and every address it has;
each phone accepts it once ("Nâng cao" → "Tiếp tục"). A commune server with a domain uses a real certificate
instead (behind a reverse proxy, or `--cert` and `--key`).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
from pathlib import Path

from learn.errors import CertificateError


def local_addresses() -> list[str]:
    """This machine's IP addresses (loopback first)."""
    found = ["127.0.0.1"]
    try:
        names = socket.getaddrinfo(socket.gethostname(), None)
        found += [str(a[4][0]) for a in names]
    except OSError:
        pass
    try:  # the address of the interface that would reach the LAN (nothing is sent)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            found.append(s.getsockname()[0])
    except OSError:
        pass
    out = []
    for address in found:
        try:
            ipaddress.ip_address(address.split("%")[0])
        except ValueError:
            continue
        if address.split("%")[0] not in out:
            out.append(address.split("%")[0])
    return out


def ensure_certificate(folder: Path, addresses: list[str] | None = None) -> tuple[Path, Path]:
    """The certificate and key in ``folder``, made if missing or if they do not name every current address."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    addresses = addresses or local_addresses()
    names = folder / "addresses.txt"
    wanted = "\n".join(sorted(addresses))
    if cert.is_file() and key.is_file() and names.is_file() and names.read_text() == wanted:
        return cert, key
    folder.mkdir(parents=True, exist_ok=True)
    alt = ",".join(["DNS:localhost", *(f"IP:{a}" for a in addresses)])
    done = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "825",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=Hoc So/O=Hoc So", "-addext", f"subjectAltName={alt}"],
        capture_output=True, text=True, timeout=60)
    if done.returncode:
        raise CertificateError(f"openssl could not make a certificate: {done.stderr.strip()}")
    os.chmod(key, 0o600)
    names.write_text(wanted)
    return cert, key
