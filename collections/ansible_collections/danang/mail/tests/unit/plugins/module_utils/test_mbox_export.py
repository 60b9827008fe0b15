# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The export of a mailbox before its purge (R-23): one mboxrd file, 0600, never through a link."""

from __future__ import annotations

import mailbox
import os

import pytest
from ansible_collections.danang.mail.plugins.module_utils import mbox_export

RAW = b"Subject: hi\r\n\r\nFrom here on\r\n>From there\r\n"


def test_messages_read_back_with_their_folder_and_from_lines_quoted(tmp_path):
    with mbox_export.mbox_file(str(tmp_path), "a@x.vn") as handle:
        mbox_export.write_message(handle, RAW, "INBOX")
        mbox_export.write_message(handle, b"Subject: sent\r\n\r\nok", "Sent")
    path = tmp_path / "a@x.vn.mbox"
    assert path.stat().st_mode & 0o777 == 0o600
    messages = list(mailbox.mbox(str(path)))
    assert [(m["Subject"], m["X-Mail-Folder"]) for m in messages] == [("hi", "INBOX"), ("sent", "Sent")]
    assert b">From here on\n>>From there\n" in path.read_bytes()


def test_a_failed_export_leaves_no_file(tmp_path):
    with pytest.raises(RuntimeError), mbox_export.mbox_file(str(tmp_path), "a@x.vn") as handle:
        handle.write(b"partial")
        raise RuntimeError("IMAP went away")
    assert os.listdir(tmp_path) == []


def test_links_are_refused(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    with (
        pytest.raises(mbox_export.ExportError, match="symbolic link"),
        mbox_export.mbox_file(str(tmp_path / "linked"), "a@x.vn"),
    ):
        pass
    (tmp_path / "real" / "a@x.vn.mbox").symlink_to(tmp_path / "elsewhere")
    with (
        pytest.raises(mbox_export.ExportError, match="not a regular file"),
        mbox_export.mbox_file(str(tmp_path / "real"), "a@x.vn"),
    ):
        pass
    assert not (tmp_path / "elsewhere").exists()
