# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors a cmdlet run produces, as PowerShell error records carry them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from psrpcore.types import ErrorCategory


@dataclass
class CmdletError(Exception):
    """A failure of one cmdlet invocation (or of binding it).

    ``terminating`` errors stop the pipeline (PowerShell's ThrowTerminatingError and binding
    errors); the others are written to the error stream and the pipeline goes on, unless the
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
    """An Exchange task error: FullyQualifiedErrorId as remote Exchange writes it.

    ``[Server=...] [FailureCategory=Cmdlet-<Exception>] <hash>,<task class>``; the hash is stable
    per message, as Exchange's is per error site.
    """
    short = exception.rsplit(".", 1)[-1]
    digest = hashlib.sha1(message.encode("utf-8")).hexdigest()[:8].upper()
    error_id = f"[Server=EXLAB01] [FailureCategory=Cmdlet-{short}] {digest},{task_class}"
    return CmdletError(message, category, exception, error_id, target)
