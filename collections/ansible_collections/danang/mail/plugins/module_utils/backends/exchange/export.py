# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exporting a reclaimed mailbox before its purge (R-23), the way Exchange does it: a mailbox
export request writes the mailbox to a PST file on a UNC share, run by the Mailbox Replication
Service in the background (learn.microsoft.com/powershell/module/exchange/new-mailboxexportrequest;
the cmdlets need the "Mailbox Import Export" role, assigned to no role group by default).

An export takes time, so a purge with export spans runs: the first queues one request per mailbox
(``-Name`` below, ``-FilePath <share>\\<address>.pst``); a later run finds it with ONE
``Get-MailboxExportRequest -Name`` and purges only the mailboxes whose request is ``Completed``
(the request is removed first: the PST stays). A ``Failed`` request is reported with its failure
message (``Get-MailboxExportRequestStatistics``) and kept, so nothing is deleted until the operator
removes it (``Remove-MailboxExportRequest``) and a later run queues a new one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import OK, Invocation
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import (
    ExchangeError,
    ExchangeTransport,
)

EXPORT_NAME = "danang.mail R-23 export"
COMPLETED, FAILED = "Completed", "Failed"
_PART = r"[^\\/:*?\"<>|\x00-\x1f]+"
UNC = re.compile(rf"^\\\\{_PART}\\{_PART}(\\{_PART})*\\?$")
QUEUED = "export queued (status {status}): purged on a later run; nothing was deleted"


def share_problem(share: Optional[str]) -> Optional[str]:
    """Why ``share`` (exchange_export_share) cannot take exports, or None."""
    if not share:
        return "export asked but exchange_export_share is not set: nothing was deleted"
    if not UNC.match(share):
        return f"exchange_export_share: {share!r} is not a UNC path \\\\server\\share[\\dir]"
    return None


def export_path(share: str, address: str) -> str:
    """Where Exchange writes the PST of ``address``: one file per address on the share."""
    return f"{share.rstrip(chr(92))}\\{address}.pst"


def request_identity(alias: str) -> str:
    """The request's identity as the cmdlets take it: ``<alias>\\<name>``."""
    return f"{alias}\\{EXPORT_NAME}"


def queue_invocation(share: str, address: str) -> Invocation:
    params = {"Mailbox": address, "FilePath": export_path(share, address), "Name": EXPORT_NAME}
    return Invocation.of("New-MailboxExportRequest", params, address)


def remove_invocation(alias: str, address: str) -> Invocation:
    """Removes the request only; the PST it wrote stays on the share."""
    params = {"Identity": request_identity(alias), "Confirm": False}
    return Invocation.of("Remove-MailboxExportRequest", params, address)


class Exports:
    """The export requests of one purge call, on the system's PowerShell session."""

    def __init__(self, transport: ExchangeTransport, share: str, batch_size: int) -> None:
        self.transport = transport
        self.share = share
        self.batch_size = batch_size

    def statuses(self, addresses: Sequence[str]) -> dict[str, str]:
        """address -> Status of its export request (absent: none), from one bulk read."""
        requests = self.transport.query(
            Invocation.of("Get-MailboxExportRequest", {"Name": EXPORT_NAME}, select=("FilePath", "Status"))
        )
        by_path = {str(r.get("FilePath") or "").lower(): str(r.get("Status") or "") for r in requests}
        return {
            a: by_path[export_path(self.share, a).lower()]
            for a in addresses
            if export_path(self.share, a).lower() in by_path
        }

    def failure(self, alias: str) -> str:
        """The failure message of a Failed request."""
        try:
            (stats,) = self.transport.query(
                Invocation.of(
                    "Get-MailboxExportRequestStatistics",
                    {"Identity": request_identity(alias)},
                    select=("FailureType", "Message"),
                )
            )
        except (ExchangeError, ValueError) as exc:
            return f"its statistics could not be read: {exc}"
        return f"{stats.get('FailureType') or 'failure'}: {stats.get('Message') or ''}".strip()

    def run(
        self, invocations: list[Invocation], batch_size: Optional[int] = None
    ) -> dict[str, Optional[str]]:
        """address -> error of each invocation (None: done)."""
        size = batch_size or self.batch_size
        outcomes = self.transport.run(invocations, batch_size=size) if invocations else []
        return {
            str(o.invocation.key): None if o.status == OK else f"{o.invocation.cmdlet}: {o.error}"
            for o in outcomes
        }


def plan_exports(
    exports: Exports, statuses: Mapping[str, str], aliases: Mapping[str, str]
) -> tuple[dict[str, Optional[str]], list[str], set[str]]:
    """(address -> error for those not purged now, addresses whose export is Completed, addresses
    whose export is queued or running: not failures, a later run purges them)."""
    errors: dict[str, Optional[str]] = {}
    pending: set[str] = set()
    queue: list[Invocation] = []
    completed: list[str] = []
    for address, alias in aliases.items():
        status = statuses.get(address)
        if status is None:
            queue.append(queue_invocation(exports.share, address))
        elif status == COMPLETED:
            completed.append(address)
        elif status == FAILED:
            errors[address] = f"export failed ({exports.failure(alias)}): nothing was deleted; " + (
                f"remove the request ({request_identity(alias)}) to export again"
            )
        else:
            errors[address] = QUEUED.format(status=status)
            pending.add(address)
    # One pipeline each: every request has the same -Name, so in a shared pipeline an error
    # record could not be told apart (the day's purges are few).
    for address, error in exports.run(queue, batch_size=1).items():
        errors[address] = f"{error}: nothing was deleted" if error else QUEUED.format(status="Queued")
        if not error:
            pending.add(address)
    return errors, completed, pending


def export_aliases(records: Mapping[str, Mapping[str, Any]], addresses: Sequence[str]) -> dict[str, str]:
    return {a: str(records[a].get("Alias") or a.split("@")[0]) for a in addresses}
