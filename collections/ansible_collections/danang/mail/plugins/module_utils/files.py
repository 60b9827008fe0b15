# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files the collection writes on the control node (the ledger, the credentials file): the one
atomic replace and the one exclusive lock. What a file may be (links, modes) is its owner's rule."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO, Optional


def fsync_directory(directory: str) -> None:
    """Make a rename itself durable: a crash after it must not bring the old file back."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def replacing(path: str, mode: int, before_rename: Callable[[], None] = lambda: None) -> Iterator[BinaryIO]:
    """A handle to a temporary file beside ``path`` (created 0600) that replaces ``path`` when the
    block ends without an error: given ``mode``, synced, ``before_rename()`` called (it raises to
    refuse), renamed, the directory synced. Readers see all or nothing; any error leaves ``path`` as
    it was and no temporary file behind."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        before_rename()
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    fsync_directory(directory)


def write_atomically(path: str, data: bytes, mode: int) -> None:
    """Replace ``path`` by ``data`` (see :func:`replacing`)."""
    with replacing(path, mode) as handle:
        handle.write(data)


@contextlib.contextmanager
def exclusive_lock(
    lock_file: str, *, mode: int = 0o644, timeout: Optional[float] = None, poll: float = 0.1
) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_file`` (created with ``mode``; a symbolic link is
    refused with ``OSError`` ELOOP). ``timeout`` None waits for ever; else ``TimeoutError``."""
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, mode)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if deadline is None else fcntl.LOCK_NB))
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or deadline is None:
                    raise
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"{lock_file} is held by another run") from None
                time.sleep(poll)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
