# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one atomic replace and the one exclusive lock (used by the ledger and the credentials file)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from ansible_collections.danang.mail.plugins.module_utils import files


def test_write_replaces_with_the_mode_and_leaves_no_temporary(tmp_path: Path):
    target = tmp_path / "secret.yml"
    target.write_bytes(b"old")
    files.write_atomically(str(target), b"new", 0o600)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["secret.yml"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch):
    target = tmp_path / "ledger.yml"
    target.write_bytes(b"old")

    def broken(_src: str, _dst: str) -> None:
        raise OSError(errno.EIO, "disk gone")

    monkeypatch.setattr(files.os, "replace", broken)
    with pytest.raises(OSError, match="disk gone"):
        files.write_atomically(str(target), b"new", 0o644)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["ledger.yml"]


def test_the_lock_excludes_a_second_holder_until_released(tmp_path: Path):
    lock = str(tmp_path / ".lock")
    with files.exclusive_lock(lock, mode=0o600):
        assert stat.S_IMODE(os.stat(lock).st_mode) == 0o600
        with (
            pytest.raises(TimeoutError, match="held by another run"),
            files.exclusive_lock(lock, timeout=0.2),
        ):
            pass
    with files.exclusive_lock(lock, timeout=0.2):
        pass


def test_a_symlinked_lock_file_is_refused(tmp_path: Path):
    (tmp_path / "elsewhere").write_text("", encoding="utf-8")
    (tmp_path / ".lock").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OSError) as raised, files.exclusive_lock(str(tmp_path / ".lock")):
        pass
    assert raised.value.errno == errno.ELOOP
