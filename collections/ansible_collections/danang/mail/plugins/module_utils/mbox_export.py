# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A reclaimed mailbox's content written before it is purged (R-23): ``<export_dir>/<address>.mbox``.

One mboxrd file per address (``From `` lines of the content quoted with ``>``, readable by mutt,
Thunderbird's ImportExportTools and Python's ``mailbox.mbox``); each message gets an
``X-Mail-Folder`` header naming the folder it came from, so one file keeps the folder structure.
The file is written beside its target (mode 0600) and renamed over it only once complete: an
export that failed leaves no file that looks whole. A symlinked directory or target is refused, so
an export never writes through a link someone planted.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from typing import BinaryIO, ContextManager

from ansible_collections.danang.mail.plugins.module_utils.files import replacing

_FROM = re.compile(rb"^(>*From )", re.MULTILINE)
SEPARATOR = b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"


class ExportError(Exception):
    """The content could not be written: nothing may be deleted."""


def export_path(export_dir: str, address: str) -> str:
    return os.path.join(export_dir, f"{address}.mbox")


def _refuse_links(export_dir: str, target: str) -> None:
    try:
        if not stat.S_ISDIR(os.lstat(export_dir).st_mode):
            raise ExportError(f"{export_dir} is not a directory (a symbolic link is refused)")
    except FileNotFoundError:
        raise ExportError(f"the export directory {export_dir} does not exist") from None
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISREG(os.lstat(target).st_mode):
            raise ExportError(f"{target} exists and is not a regular file (a symbolic link is refused)")


def write_message(handle: BinaryIO, raw: bytes, folder: str) -> None:
    """One message in mboxrd form, LF line endings, tagged with its folder."""
    body = raw.replace(b"\r\n", b"\n")
    header = f"X-Mail-Folder: {folder}\n".encode()
    handle.write(SEPARATOR + header + _FROM.sub(rb">\1", body))
    handle.write(b"\n" if body.endswith(b"\n") else b"\n\n")


def mbox_file(export_dir: str, address: str) -> ContextManager[BinaryIO]:
    """A handle to write ``address``'s export to; renamed into place (0600) when the block ends
    without an error, removed otherwise. Raises ``ExportError`` for a refused target."""
    target = export_path(export_dir, address)
    _refuse_links(export_dir, target)
    # Checked again before the rename: nothing may have been planted while the content was read.
    return replacing(target, 0o600, lambda: _refuse_links(export_dir, target))
