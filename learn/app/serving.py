"""How `learn serve` starts Streamlit: one place for the server's settings (the benchmarks start their empty
reference page with the very same ones)."""

from __future__ import annotations

import sys
from pathlib import Path

from learn.app.guard import MAX_UPLOAD_MB


def streamlit_command(script: Path, host: str, port: int, tls: tuple[Path, Path] | None = None) -> list[str]:
    """The command line that serves ``script``."""
    args = [sys.executable, "-m", "learn.app.launch", "run", str(script),
            "--server.headless", "true", "--server.address", host, "--server.port", str(port),
            "--browser.gatherUsageStats", "false",
            # Streamlit's full garbage collection after every rerun costs most of a small server's time.
            "--runner.postScriptGC", "false",
            # no watching of source files for changes (a fifth of an idle server's time, measured with py-spy),
            # and no "magic" rewriting of the pages' code
            "--server.fileWatcherType", "none", "--runner.magicEnabled", "false",
            "--client.toolbarMode", "minimal", "--theme.base", "light",
            # uploads no bigger than the app needs (learn.app.guard holds the rest of the limits)
            "--server.maxUploadSize", str(MAX_UPLOAD_MB),
            # a calm blue for "go on": red is kept for wrong answers and warnings
            "--theme.primaryColor", "#0b5cad"]
    if tls is not None:
        args += ["--server.sslCertFile", str(tls[0]), "--server.sslKeyFile", str(tls[1])]
    return args
