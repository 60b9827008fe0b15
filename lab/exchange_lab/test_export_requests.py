"""Mailbox export requests (no server; the lab's store, clock and share directory).

Sources: learn.microsoft.com/powershell/module/exchange/new-mailboxexportrequest ("-FilePath
specifies the network share path of the .pst file", e.g. ``\\\\SERVER01\\PST Files\\exported.pst``;
requests are named per mailbox, ``<alias>\\<Name>``, default name MailboxExport; "the name must be
unique per mailbox"), …/get-mailboxexportrequest (``-Status``, ``-Name`` filters; statuses Queued,
InProgress, Completed, Failed), …/get-mailboxexportrequeststatistics (FailureType, Message),
…/remove-mailboxexportrequest ("removing a completed request" leaves the .pst); the cmdlets' sets
from ../shared/reference/exchange-cmdlets.json (test_cmdlet_definitions.py). The lab's file format
(JSON, not PST) is its own (cmdlets/exports.py).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from exchange_lab.cmdlets.binder import bind
from exchange_lab.cmdlets.definitions import DEFINITIONS
from exchange_lab.cmdlets.engine import IMPLEMENTATIONS, Context
from exchange_lab.cmdlets.errors import CmdletError
from exchange_lab.cmdlets.exports import FORMAT
from exchange_lab.store import MailboxStore

ADDRESS = "tamnv@danang.gov.vn"
DN = "CN=Nguyen Van Tam,OU=DanangMail,DC=danang,DC=gov,DC=vn"
SHARE = "\\\\EXLAB01\\exports"
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = NOW
        self.zone = UTC

    def now(self) -> datetime:
        return self.at


def _lab(tmp_path: Path) -> SimpleNamespace:
    entry = {
        "dn": DN,
        "objectclass": ["top", "person", "user"],
        "msexchmailboxguid": [uuid.UUID("6f1c1c52-0b4e-4b43-9d4e-1a0f0a0b0c0d").bytes_le],
        "proxyaddresses": [f"SMTP:{ADDRESS}"],
        "mailnickname": ["tamnv"],
    }
    directory = SimpleNamespace(
        resolve=lambda identity: [DN] if identity.lower() in (ADDRESS, "tamnv", DN.lower()) else [],
        read=lambda dn: entry if dn == DN else None,
    )
    (tmp_path / "state" / "sent").mkdir(parents=True)
    (tmp_path / "state" / "sent" / "1.json").write_text(
        json.dumps({"sender": ADDRESS, "subject": "Kính gửi", "to": ["a@danang.gov.vn"]}), encoding="utf-8"
    )
    (tmp_path / "shares" / "exlab01" / "exports").mkdir(parents=True)
    return SimpleNamespace(
        store=MailboxStore(tmp_path / "store.sqlite3"),
        directory=directory,
        clock=Clock(),
        state_dir=tmp_path / "state",
        share_dir=tmp_path / "shares",
    )


def _run(lab: SimpleNamespace, cmdlet: str, params: list[tuple[str | None, object]]) -> list:
    definition = DEFINITIONS[cmdlet]
    ctx = Context(lab, "Administrator", cmdlet, definition.task_class, pipeline=None)
    return IMPLEMENTATIONS[cmdlet](ctx, bind(definition, params)) or []


def _new(lab: SimpleNamespace, path: str, name: str = "danang.mail R-23 export") -> list:
    return _run(lab, "New-MailboxExportRequest", [("Mailbox", ADDRESS), ("FilePath", path), ("Name", name)])


def test_a_request_is_queued_then_completes_on_the_lab_clock_and_its_removal_keeps_the_file(
    tmp_path: Path,
) -> None:
    lab = _lab(tmp_path)
    path = f"{SHARE}\\{ADDRESS}.pst"
    (queued,) = _new(lab, path)
    assert (queued.Name, queued.Status, queued.FilePath) == ("danang.mail R-23 export", "Queued", path)
    assert queued.Identity == "danang.gov.vn/DanangMail/Nguyen Van Tam\\danang.mail R-23 export"
    (still,) = _run(lab, "Get-MailboxExportRequest", [("Name", "danang.mail R-23 export")])
    assert still.Status == "Queued"  # no time has passed
    exported = tmp_path / "shares" / "exlab01" / "exports" / f"{ADDRESS}.pst"
    assert not exported.exists()
    lab.clock.at = NOW + timedelta(hours=1)
    (done,) = _run(lab, "Get-MailboxExportRequest", [("Status", "Completed")])
    assert done.Status == "Completed"
    content = json.loads(exported.read_text(encoding="utf-8"))
    assert (content["format"], content["mailbox"]) == (FORMAT, ADDRESS)
    assert [m["subject"] for m in content["sent"]] == ["Kính gửi"]
    assert exported.stat().st_mode & 0o777 == 0o600
    _run(lab, "Remove-MailboxExportRequest", [(None, "tamnv\\danang.mail R-23 export"), ("Confirm", False)])
    assert _run(lab, "Get-MailboxExportRequest", []) == []
    assert exported.exists()  # removing a request leaves its file


def test_the_name_is_unique_per_mailbox_and_the_path_must_be_unc(tmp_path: Path) -> None:
    lab = _lab(tmp_path)
    _new(lab, f"{SHARE}\\{ADDRESS}.pst", name="MailboxExport")
    with pytest.raises(CmdletError, match="unique per mailbox"):
        _new(lab, f"{SHARE}\\again.pst", name="MailboxExport")
    with pytest.raises(CmdletError, match="UNC"):
        _new(lab, "C:\\PST\\tamnv.pst", name="other")
    with pytest.raises(CmdletError, match="parameter name 'ExportPath'"):  # refused as unknown
        bind(DEFINITIONS["New-MailboxExportRequest"], [("Mailbox", ADDRESS), ("ExportPath", "x")])


def test_a_share_directory_gone_fails_the_request_with_its_message(tmp_path: Path) -> None:
    lab = _lab(tmp_path)
    path = f"{SHARE}\\missing\\{ADDRESS}.pst"
    _new(lab, path)
    lab.clock.at = NOW + timedelta(hours=1)
    identity = "tamnv\\danang.mail R-23 export"
    (stats,) = _run(lab, "Get-MailboxExportRequestStatistics", [("Identity", identity)])
    assert (stats.Status, stats.FailureType) == ("Failed", "UnableToOpenPSTPermanentException")
    assert f"Unable to open PST file '{path}'" in stats.Message
