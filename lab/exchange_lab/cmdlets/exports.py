# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mailbox export requests (New-/Get-/Remove-MailboxExportRequest, Get-MailboxExportRequestStatistics).

As Exchange: a request is named per mailbox (identity ``<mailbox>\\<Name>``, Name ``MailboxExport``
when not given), takes a UNC ``-FilePath`` only, starts ``Queued`` and is carried out in the
background; a completed request stays until it is removed, and removing it leaves the file
(learn.microsoft.com/powershell/module/exchange/new-mailboxexportrequest, …/get-mailboxexportrequest,
…/get-mailboxexportrequeststatistics, …/remove-mailboxexportrequest).

The lab carries a request out at the first read once ``EXPORT_DELAY`` has passed on the lab clock
(tests move the clock, never sleep). The UNC path ``\\\\server\\share\\rest`` maps to
``<share_dir>/<server>/<share>/rest`` (lower-case server and share); a share is there when its
directory is. The file is NOT a PST: it is JSON (``FORMAT``) with what the lab holds of the
mailbox: its statistics, folders and the messages it sent (the lab stores no other items).
A missing directory at that moment fails the request, as MRS does when it cannot open the PST.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from exchange_lab.cmdlets import common
from exchange_lab.cmdlets.binder import Bound
from exchange_lab.cmdlets.errors import task_error
from exchange_lab.cmdlets.objects import canonical_name, first, ps_object
from exchange_lab.directory import guid_from_bytes
from exchange_lab.ews_items import FOLDERS

KEY = "export_requests"
DEFAULT_NAME = "MailboxExport"
EXPORT_DELAY = timedelta(minutes=1)
FORMAT = "danang-lab-mailbox-export/1 (JSON, not PST)"
REQUEST_TYPES = [
    "Microsoft.Exchange.Management.RecipientTasks.MailboxExportRequest",
    "Microsoft.Exchange.Management.RecipientTasks.RequestBase",
]
STATISTICS_TYPES = ["Microsoft.Exchange.Management.RecipientTasks.MailboxExportRequestStatistics"]
ARGUMENT = "System.ArgumentException"
CANNOT_OPEN = "UnableToOpenPSTPermanentException"
_UNC = re.compile(r"^\\\\([^\\/]+)\\([^\\/]+)((?:\\[^\\/]+)+)$")


def _requests(ctx: Any) -> list[dict[str, Any]]:
    return ctx.lab.store.config(KEY, [])


def local_path(share_dir: Path, file_path: str) -> Path | None:
    """Where the lab keeps the file of a UNC path, or None when it is not a UNC path to a file."""
    match = _UNC.match(file_path)
    if not match:
        return None
    server, share, rest = match.groups()
    parts = [p for p in rest.split("\\") if p]
    if any(p in (".", "..") for p in parts):
        return None
    return share_dir.joinpath(server.lower(), share.lower(), *parts)


def _identity(request: dict[str, Any]) -> str:
    return f"{request['MailboxName']}\\{request['Name']}"


def _find(ctx: Any, identity: str) -> tuple[list[dict[str, Any]], int]:
    requests = _requests(ctx)
    mailbox, _, name = identity.rpartition("\\")
    entry = common.resolve(ctx, mailbox, mailbox=True) if mailbox else None
    guid = guid_from_bytes(first(entry, "msExchMailboxGuid")) if entry is not None else None
    for index, request in enumerate(requests):
        if guid is not None and request["Guid"] == guid and request["Name"].lower() == name.lower():
            return requests, index
        if request["RequestGuid"] == identity.lower():
            return requests, index
    raise common.not_found(identity, ctx.task_class)


def _advance(ctx: Any, requests: list[dict[str, Any]]) -> None:
    """Carry out the queued requests whose time has come (the Mailbox Replication Service)."""
    now = ctx.lab.clock.now()
    changed = False
    for request in requests:
        if request["Status"] != "Queued" or now < datetime.fromisoformat(request["Queued"]) + EXPORT_DELAY:
            continue
        target = local_path(ctx.lab.share_dir, request["FilePath"])
        try:
            assert target is not None  # checked by New-MailboxExportRequest
            _write(ctx, request, target)
            request["Status"] = "Completed"
        except OSError as exc:
            request.update(
                Status="Failed",
                FailureType=CANNOT_OPEN,
                Message=f"Unable to open PST file '{request['FilePath']}'. Error details: "
                f"Could not find a part of the path '{request['FilePath']}'. ({exc.strerror})",
            )
        request["Finished"] = now.isoformat()
        changed = True
    if changed:
        ctx.lab.store.set_config(KEY, requests)


def _write(ctx: Any, request: dict[str, Any], target: Path) -> None:
    address = request["Address"].lower()
    sent_dir = ctx.lab.state_dir / "sent"
    sent = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(sent_dir.glob("*.json"))]
    row = ctx.lab.store.get(request["Guid"]) or {}
    content = {
        "format": FORMAT,
        "mailbox": request["Address"],
        "display_name": row.get("display_name"),
        "exported": ctx.lab.clock.now().isoformat(),
        "statistics": {k: row.get(k) for k in ("item_count", "total_item_size", "last_logon_time")},
        "folders": [name for name, *_ in FOLDERS.values() if name],
        "sent": [m for m in sent if str(m.get("sender", "")).lower() == address],
    }
    if not target.parent.is_dir():
        raise FileNotFoundError(2, "no such directory", str(target.parent))
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(content, out, ensure_ascii=False, indent=1)


def _object(request: dict[str, Any]) -> Any:
    props = {
        "Name": request["Name"],
        "Mailbox": request["MailboxName"],
        "FilePath": request["FilePath"],
        "Status": request["Status"],
        "RequestGuid": request["RequestGuid"],
        "BatchName": "",
        "Identity": _identity(request),
    }
    return ps_object(REQUEST_TYPES, props, _identity(request))


def new_mailbox_export_request(ctx: Any, b: Bound) -> list[Any]:
    entry = common.resolve(ctx, b.get("Mailbox"), mailbox=True)
    file_path = b.get("FilePath")
    if local_path(ctx.lab.share_dir, file_path) is None:
        raise task_error(
            f"The file path '{file_path}' isn't a network (UNC) path. Specify a path such as "
            "\\\\SERVER01\\PST Files\\exported.pst.",
            ARGUMENT,
            ctx.task_class,
            target=file_path,
        )
    guid = guid_from_bytes(first(entry, "msExchMailboxGuid"))
    name = b.get("Name") or DEFAULT_NAME
    requests = _requests(ctx)
    if any(r["Guid"] == guid and r["Name"].lower() == name.lower() for r in requests):
        raise task_error(
            f"The name must be unique per mailbox. There is already a request named '{name}' for "
            f"mailbox '{canonical_name(entry['dn'])}'. Remove it or specify a unique name.",
            ARGUMENT,
            ctx.task_class,
            target=name,
        )
    request = {
        "Name": name,
        "Guid": guid,
        "Address": common.smtp_addresses(entry)[0] if common.smtp_addresses(entry) else first(entry, "mail"),
        "MailboxName": canonical_name(entry["dn"]),
        "FilePath": file_path,
        "Status": "Queued",
        "RequestGuid": str(uuid.uuid4()),
        "Queued": ctx.lab.clock.now().isoformat(),
    }
    requests.append(request)
    ctx.lab.store.set_config(KEY, requests)
    return [_object(request)]


def get_mailbox_export_request(ctx: Any, b: Bound) -> list[Any]:
    requests = _requests(ctx)
    _advance(ctx, requests)
    if b.get("Identity"):
        requests, index = _find(ctx, b.get("Identity"))
        return [_object(requests[index])]
    if b.get("Mailbox"):
        entry = common.resolve(ctx, b.get("Mailbox"), mailbox=True)
        guid = guid_from_bytes(first(entry, "msExchMailboxGuid"))
        requests = [r for r in requests if r["Guid"] == guid]
    if b.get("Name"):
        requests = [r for r in requests if r["Name"].lower() == b.get("Name").lower()]
    if b.get("Status"):
        requests = [r for r in requests if r["Status"].lower() == str(b.get("Status")).lower()]
    return [_object(r) for r in requests]


def get_mailbox_export_request_statistics(ctx: Any, b: Bound) -> list[Any]:
    _advance(ctx, _requests(ctx))
    requests, index = _find(ctx, b.get("Identity"))
    request = requests[index]
    props = {
        "Name": request["Name"],
        "Status": request["Status"],
        "FilePath": request["FilePath"],
        "RequestGuid": request["RequestGuid"],
        "QueuedTimestamp": datetime.fromisoformat(request["Queued"]).astimezone(ctx.lab.clock.zone),
        "PercentComplete": 100 if request["Status"] == "Completed" else 0,
        "FailureType": request.get("FailureType"),
        "Message": request.get("Message") or "",
        "Identity": _identity(request),
    }
    return [ps_object(STATISTICS_TYPES, props, _identity(request))]


def remove_mailbox_export_request(ctx: Any, b: Bound) -> None:
    requests, index = _find(ctx, b.get("Identity"))
    del requests[index]  # the file stays on the share
    ctx.lab.store.set_config(KEY, requests)


CMDLETS = {
    "New-MailboxExportRequest": new_mailbox_export_request,
    "Get-MailboxExportRequest": get_mailbox_export_request,
    "Get-MailboxExportRequestStatistics": get_mailbox_export_request_statistics,
    "Remove-MailboxExportRequest": remove_mailbox_export_request,
}
