# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ledger as a file: one file one lock (links refused), durable rename, line endings kept."""

from __future__ import annotations

import datetime
import os
import stat
import threading

import pytest
from ansible_collections.danang.mail.plugins.module_utils import ledger_file
from ansible_collections.danang.mail.plugins.module_utils.ledger import (
    Ledger,
    LedgerEntry,
    appended_text,
    load_ledger,
)
from ansible_collections.danang.mail.plugins.module_utils.ledger_file import (
    ledger_lock,
    write_text_atomically,
)
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed

DAY = datetime.date(2026, 11, 29)


def append(ledger: Ledger, entries) -> None:
    """What address_alloc does with its new entries: the appended text, written atomically."""
    write_text_atomically(ledger.path, appended_text(ledger, entries))


def person(local: str, holder: str) -> LedgerEntry:
    return LedgerEntry(f"{local}@danang.gov.vn", "person", holder, DAY)


@pytest.fixture
def ledger_path(tmp_path):
    path = tmp_path / "real" / "ledger.yml"
    path.parent.mkdir()
    path.write_text(appended_text(Ledger(str(path), (), None), [person("a", "A")]), encoding="utf-8")
    return path


def test_symlinked_ledger_is_refused_and_stays_a_symlink(ledger_path, tmp_path):
    link = tmp_path / "link.yml"
    link.symlink_to(ledger_path)
    text = ledger_path.read_text(encoding="utf-8")
    for attempt in (
        lambda: load_ledger(str(link)),
        lambda: ledger_lock(str(link)).__enter__(),
        lambda: write_text_atomically(str(link), text + "x"),
    ):
        with pytest.raises(ValidationFailed, match="is a symbolic link: give the real file's path"):
            attempt()
    assert link.is_symlink()
    assert ledger_path.read_text(encoding="utf-8") == text
    assert not (tmp_path / "link.yml.lock").exists()


def test_hard_linked_ledger_is_refused(ledger_path, tmp_path):
    os.link(ledger_path, tmp_path / "other.yml")
    with pytest.raises(ValidationFailed, match="has 2 hard links: keep one name"):
        load_ledger(str(ledger_path))
    with pytest.raises(ValidationFailed, match="has 2 hard links"):
        ledger_lock(str(tmp_path / "other.yml")).__enter__()


def test_ledger_that_is_not_a_file_is_refused(tmp_path):
    (tmp_path / "ledger.yml").mkdir()
    with pytest.raises(ValidationFailed, match="is not a regular file"):
        load_ledger(str(tmp_path / "ledger.yml"))


def test_symlinked_lock_file_is_refused_and_its_target_not_created(ledger_path, tmp_path):
    os.symlink(tmp_path / "elsewhere", f"{ledger_path}.lock")
    with pytest.raises(ValidationFailed, match=r"ledger\.yml\.lock is a symbolic link: remove it"):
        ledger_lock(str(ledger_path)).__enter__()
    assert not (tmp_path / "elsewhere").exists()


def test_paths_through_a_symlinked_directory_share_one_lock(ledger_path, tmp_path):
    alias = tmp_path / "alias"
    alias.symlink_to(ledger_path.parent, target_is_directory=True)
    events: list[str] = []
    started = threading.Event()

    def second() -> None:
        started.set()
        with ledger_lock(str(alias / "ledger.yml")):
            events.append("second")

    with ledger_lock(str(ledger_path)):
        thread = threading.Thread(target=second)
        thread.start()
        started.wait(5)
        thread.join(0.3)  # blocked on the same lock file, reached through the alias
        events.append("first done")
    thread.join(5)
    assert events == ["first done", "second"]


def test_crlf_ledger_stays_crlf_when_appended(tmp_path):
    path = tmp_path / "ledger.yml"
    text = appended_text(Ledger(str(path), (), None), [person("a", "A")]).replace("\n", "\r\n")
    path.write_bytes(text.encode("utf-8"))
    ledger = load_ledger(str(path))
    assert ledger.text == text  # read as written, not translated
    append(ledger, [person("b", "B")])
    data = path.read_bytes()
    assert data.startswith(text.rsplit("# seal", 1)[0].encode("utf-8"))
    assert data.count(b"\n") == data.count(b"\r\n") == text.count("\r\n") + 1
    assert [e.id for e in load_ledger(str(path)).entries] == ["A", "B"]


def test_lf_ledger_stays_lf(ledger_path):
    append(load_ledger(str(ledger_path)), [person("b", "B")])
    assert b"\r" not in ledger_path.read_bytes()


def test_write_fsyncs_the_file_then_the_directory_after_the_rename(ledger_path, monkeypatch):
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append("fsync dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    monkeypatch.setattr(ledger_file.os, "fsync", fsync)
    monkeypatch.setattr(ledger_file.os, "replace", lambda a, b: (calls.append("rename"), real_replace(a, b)))
    append(load_ledger(str(ledger_path)), [person("b", "B")])
    assert calls == ["fsync file", "rename", "fsync dir"]


def test_new_ledger_gets_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        write_text_atomically(str(tmp_path / "ledger.yml"), "addresses:\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "ledger.yml").st_mode) == 0o640
