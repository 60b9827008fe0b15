# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors a cmdlet run produces, as PowerShell error records carry them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from psrpcore.types import ErrorCategory


@dataclass
class CmdletError(Exception):
    """A failure of one cmdlet invocation (or of binding it).

    ``terminating`` errors stop their statement (PowerShell's ThrowTerminatingError and binding
    errors); the others are written to the error stream and the statement goes on, unless the
    cmdlet runs with -ErrorAction Stop.
    """

    message: str
    category: ErrorCategory = ErrorCategory.NotSpecified
    exception_type: str = "System.Exception"
    error_id: str = ""
    target: str | None = None
    terminating: bool = False

    def __str__(self) -> str:
        return self.message


def binding_error(
    message: str, error_id: str, cmdlet: str, exception_type: str, category: ErrorCategory
) -> CmdletError:
    """A parameter-binding error (always terminating): FullyQualifiedErrorId '<id>,<Cmdlet>'."""
    return CmdletError(message, category, exception_type, f"{error_id},{cmdlet}", terminating=True)


def task_error(
    message: str,
    exception: str,
    task_class: str,
    category: ErrorCategory = ErrorCategory.NotSpecified,
    target: str | None = None,
) -> CmdletError:
    """An Exchange task error (non-terminating, as Exchange's tasks write them).

    FullyQualifiedErrorId ``[FailureCategory=Cmdlet-<Exception>] <hash>,<task class>``; the engine
    puts ``[Server=…,RequestId=…,TimeStamp=…]`` before it when it writes the record (``stamp``).
    The hash is stable per message, as Exchange's is per error site.
    """
    return CmdletError(message, category, exception, failure_id(exception, message, task_class), target)


def failure_id(exception: str, message: str, task_class: str) -> str:
    short = exception.rsplit(".", 1)[-1]
    digest = hashlib.sha1(message.encode("utf-8")).hexdigest()[:8].upper()
    return f"[FailureCategory=Cmdlet-{short}] {digest},{task_class}"


def stamp(error_id: str, server: str, request_id: str, when: datetime) -> str:
    """Exchange's prefix of a task error id, as an on-premises capture shows it:
    ``[Server=EMAIL,RequestId=d85a204a-…,TimeStamp=05.05.2021 11:47:43] [FailureCategory=Cmdlet-
    ADOperationException] 268CEFB0,Microsoft.Exchange.Management.RecipientTasks.EnableMailbox``
    (learn.microsoft.com/en-us/answers/questions/385228); the time in the en-US form Exchange Online
    shows (``9/19/2018 7:38:34 PM``). Binding and engine errors keep PowerShell's plain ids."""
    if not error_id.startswith("[FailureCategory="):
        return error_id
    hour = when.hour % 12 or 12
    time = f"{when.month}/{when.day}/{when.year} {hour}:{when:%M:%S} {'AM' if when.hour < 12 else 'PM'}"
    return f"[Server={server},RequestId={request_id},TimeStamp={time}] {error_id}"
