"""Files only this account may read: the database, its backups and sync bundles hold PIN and password hashes.

New files are created 0600 and new folders 0700 whatever the umask; files and folders an older version left
open to others (0644, 0755) are closed when the app or the `learn` command next uses them. Nothing here is
changed on a file this account does not own (it could not be, and it is the owner's choice).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def folder(path: Path) -> Path:
    """``path`` as a folder only this account can open: made 0700 if missing (its parents as the umask says),
    closed to others if it exists and is ours."""
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            pass
    close(path)
    return path


def close(path: Path) -> None:
    """Take group and other permissions off ``path`` (0644 becomes 0600, 0755 0700) if it exists, is ours and
    has any."""
    try:
        found = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(found.st_mode) or found.st_uid != os.geteuid() or not found.st_mode & 0o077:
        return
    try:
        os.chmod(path, stat.S_IMODE(found.st_mode) & ~0o077)
    except OSError:  # a read-only medium: nothing can be written there either
        pass


def create(path: Path) -> int:
    """Open ``path`` for writing, empty, readable only by this account (a file descriptor)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    close(path)  # it existed already, with its own mode
    return fd


def touch(path: Path) -> None:
    """Make ``path`` an empty 0600 file if it does not exist (before a library creates it with the umask's
    mode), else close it to others."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        close(path)
