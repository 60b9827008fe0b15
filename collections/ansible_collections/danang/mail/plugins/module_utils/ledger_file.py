# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ledger as a file on the control node: which paths are accepted, the lock, the atomic write.

One ledger, one lock: ``flock`` locks the lock file's inode, so paths through symlinked directories
share it, while a symlinked or hard-linked ledger would have a lock file of its own (two runs would
issue one address twice) and be replaced by a plain file on write; both are refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator

from ansible_collections.danang.mail.plugins.module_utils.files import exclusive_lock, write_atomically
from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed


def require_directory(path: str) -> None:
    """The ledger's directory must exist: a typo in the path must not start a new, empty ledger."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ValidationFailed([Problem(path, "", "", f"the directory {directory} does not exist")])


def require_regular(path: str, status: os.stat_result) -> None:
    """A symlink or hard link would get a lock file of its own and be replaced by a plain file."""
    if stat.S_ISLNK(status.st_mode):
        message = "is a symbolic link: give the real file's path (one file, one lock)"
    elif not stat.S_ISREG(status.st_mode):
        message = "is not a regular file"
    elif status.st_nlink > 1:
        message = f"has {status.st_nlink} hard links: keep one name (one file, one lock)"
    else:
        return
    raise ValidationFailed([Problem(path, "", "", f"the ledger {path} {message}")])


def write_text_atomically(path: str, text: str) -> None:
    """Replace ``path`` by ``text`` through a temporary file and a rename: readers see all or nothing.

    ``text`` is written as it is (no newline translation); a symlink or hard link is refused, never
    replaced by a plain file.
    """
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    else:
        require_regular(path, status)
        mode = status.st_mode & 0o7777
    write_atomically(path, text.encode("utf-8"), mode)


def lock_path(path: str) -> str:
    return f"{path}.lock"


@contextlib.contextmanager
def ledger_lock(path: str, timeout: float | None = None, poll: float = 0.1) -> Iterator[None]:
    """Hold an exclusive ``fcntl`` lock on ``<ledger>.lock`` (the ledger itself is replaced by rename).

    Hold it from reading the ledger to writing it, so that two runs on one control node never
    issue one address twice. ``flock`` locks the lock file's inode, so paths through symlinked
    directories share it; a symlinked or hard-linked ledger (a second lock file) is refused, and
    so is a symlinked lock file. ``timeout`` None waits for ever.
    """
    require_directory(path)
    with contextlib.suppress(FileNotFoundError):
        require_regular(path, os.lstat(path))
    with lock_beside(path, timeout, poll):
        yield


@contextlib.contextmanager
def lock_beside(path: str, timeout: float | None = None, poll: float = 0.1) -> Iterator[None]:
    """The lock of ``ledger_lock`` without the checks of ``path`` itself: for a journal kept as a
    directory (``<directory>.lock``), which its reader checks. A symlinked lock file is refused."""
    held = contextlib.ExitStack()
    try:
        held.enter_context(exclusive_lock(lock_path(path), timeout=timeout, poll=poll))
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        message = f"the lock file {lock_path(path)} is a symbolic link: remove it"
        raise ValidationFailed([Problem(path, "", "", message)]) from None
    with held:
        yield
