# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a PSRP pipeline the way Exchange's no-language runspace does.

- Script text (a command with IsScript) is refused before anything runs: the pipeline fails with
  the error Exchange gives ("The syntax is not supported by this runspace...").
- An unknown command fails the pipeline (CommandNotFoundException), as do binding errors.
- Commands of one statement are piped: each object the previous command wrote is bound to the
  next command's pipeline parameter (Identity), or shaped by ``Select-Object -Property``
  (``select``). Statements run one after another.
- A cmdlet's non-terminating errors (Exchange's task errors: not found, already exists, data
  validation) go to the error stream and the statement goes on; -ErrorAction SilentlyContinue and
  Ignore drop them. A terminating one (binding errors, an unknown command, a non-terminating error
  under -ErrorAction Stop) ends its statement. With one statement that fails the pipeline; with
  several (batch mode) it is written to the error stream and the next statements run, except
  after -ErrorAction Stop, which stops the batch and fails it (PowerShell/PowerShell,
  src/System.Management.Automation/engine/hostifaces/PowerShell.cs, BatchInvocationWorkItem and
  BatchInvocationCallback: AppendExceptionToErrorStream, then the next statement, unless
  ActionPreferenceStopException).
- Task errors carry Exchange's ``[Server=…,RequestId=…,TimeStamp=…]`` id prefix (errors.stamp).
- Cmdlets run one at a time (the directory lock): uniqueness checks and writes never interleave.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from psrpcore import ServerPipeline
from psrpcore.types import (
    ErrorCategory,
    ErrorCategoryInfo,
    ErrorRecord,
    NETException,
    PSInvocationState,
)

from exchange_lab.cmdlets import (
    exports,
    filters,
    inbox,
    mailbox,
    mailbox_settings,
    mailbox_store,
    organization,
    permissions,
    recipients,
    select,
    users,
)
from exchange_lab.cmdlets.binder import bind
from exchange_lab.cmdlets.definitions import DEFINITIONS
from exchange_lab.cmdlets.errors import CmdletError, failure_id, stamp

log = logging.getLogger("exchange_lab.cmdlets")

IMPLEMENTATIONS = {
    **mailbox.CMDLETS,
    **mailbox_settings.CMDLETS,
    **mailbox_store.CMDLETS,
    **users.CMDLETS,
    **organization.CMDLETS,
    **inbox.CMDLETS,
    **permissions.CMDLETS,
    **exports.CMDLETS,
    **filters.CMDLETS,
    **recipients.CMDLETS,
}
_BY_LOWER = {name.lower(): name for name in DEFINITIONS}


@dataclass
class Context:
    """What a cmdlet implementation gets besides its bound parameters."""

    lab: Any
    user: str
    cmdlet: str
    task_class: str
    pipeline: ServerPipeline

    def warn(self, message: str) -> None:
        self.pipeline.write_warning(message)


SERVER = "EXLAB01"


def _record(error: CmdletError, activity: str) -> ErrorRecord:
    exception = NETException(Message=error.message)
    names = [error.exception_type]
    if error.exception_type != "System.Exception":
        names.append("System.Exception")
    exception.PSObject.type_names = [*names, "System.Object"]
    return ErrorRecord(
        Exception=exception,
        CategoryInfo=ErrorCategoryInfo(
            Category=error.category,
            Activity=activity,
            Reason=error.exception_type.rsplit(".", 1)[-1],
            TargetName=error.target or "",
        ),
        TargetObject=error.target,
        FullyQualifiedErrorId=error.error_id,
    )


def _fail(pipeline: ServerPipeline, error: CmdletError, activity: str) -> None:
    # psrpcore's ServerPipeline has no public "failed" transition; its state change sends PipelineState.
    pipeline._change_state(PSInvocationState.Failed, _record(error, activity))


def _write(pipeline: ServerPipeline, error: CmdletError, activity: str) -> None:
    record = _record(error, activity)
    pipeline.write_error(
        record.Exception,
        record.CategoryInfo,
        record.TargetObject,
        record.FullyQualifiedErrorId,
    )


class _Stop(Exception):
    """A statement ended by a terminating error; ``batch``: the later statements do not run."""

    def __init__(self, error: CmdletError, activity: str, batch: bool = False) -> None:
        self.error = error
        self.activity = activity
        self.batch = batch


def _no_language(pipeline: ServerPipeline) -> CmdletError | None:
    for command in pipeline.metadata.commands:
        if command.is_script:
            return CmdletError(
                "The syntax is not supported by this runspace. This can occur if the runspace is in "
                "no-language mode.",
                ErrorCategory.ParserError,
                "System.Management.Automation.ParseException",
                "ScriptsNotAllowed",
                command.command_text,
                terminating=True,
            )
    return None


def _run_command(
    pipeline: ServerPipeline, lab: Any, user: str, command: Any, inputs: list[Any] | None
) -> list[Any]:
    if command.command_text.strip().lower() == select.NAME.lower():  # PowerShell's, not Exchange's
        try:
            return select.select_object(command.parameters, inputs)
        except CmdletError as error:
            raise _Stop(error, select.NAME) from None
    name = _BY_LOWER.get(command.command_text.strip().lower())
    if name is None or name not in IMPLEMENTATIONS:
        raise _Stop(
            CmdletError(
                f"The term '{command.command_text}' is not recognized as the name of a cmdlet, "
                "function, script file, "
                "or operable program. Check the spelling of the name, or if a path was included, "
                "verify that the path "
                "is correct and try again.",
                ErrorCategory.ObjectNotFound,
                "System.Management.Automation.CommandNotFoundException",
                "CommandNotFoundException",
                command.command_text,
                terminating=True,
            ),
            command.command_text,
        )
    definition = DEFINITIONS[name]
    ctx = Context(lab, user, name, definition.task_class, pipeline)
    output: list[Any] = []
    for item in [None] if inputs is None else inputs:
        piped = None if item is None else {"Identity": item}
        try:
            bound = bind(definition, command.parameters, piped)
        except CmdletError as error:
            raise _Stop(error, name) from None
        action = bound.common.get("ErrorAction", "Continue")
        try:
            fault = lab.faults.cmdlet_fault(user, name)
            if fault:
                transient = "Microsoft.Exchange.Data.Storage.StorageTransientException"
                raise CmdletError(
                    fault,
                    ErrorCategory.ResourceUnavailable,
                    transient,
                    failure_id(transient, fault, definition.task_class),
                )
            if (
                definition.confirm_impact_high
                and bound.get("Confirm") is not False
                and not bound.get("WhatIf")
            ):
                raise CmdletError(
                    "A command that prompts the user failed because the host program or the command "
                    "type does not "
                    "support user interaction. The host was attempting to request confirmation with "
                    "the following "
                    f"message: Are you sure you want to perform this action?\n{name} -Identity "
                    f'"{bound.get("Identity")}"',
                    ErrorCategory.NotSpecified,
                    "System.Management.Automation.Host.HostException",
                    "HostException",
                    terminating=True,
                )
            if bound.get("WhatIf"):
                continue
            result: Iterable[Any] | None = IMPLEMENTATIONS[name](ctx, bound)
            output.extend(result or [])
        except CmdletError as error:
            log.info("%s: %s", name, error.message)
            error.error_id = stamp(error.error_id, SERVER, str(uuid.uuid4()), lab.clock.now())
            if error.terminating or action == "Stop":
                # A non-terminating error under Stop is PowerShell's ActionPreferenceStopException.
                stops = action == "Stop" and not error.terminating
                raise _Stop(error, name, stops) from None
            if action not in ("SilentlyContinue", "Ignore"):
                _write(pipeline, error, name)
    return output


def run_pipeline(lab: Any, shell: Any, pipeline: ServerPipeline, inputs: list[Any]) -> None:
    refused = _no_language(pipeline)
    if refused is not None:
        _fail(pipeline, refused, refused.target or "")
        return
    statements: list[list[Any]] = [[]]
    for command in pipeline.metadata.commands:
        statements[-1].append(command)
        if command.end_of_statement:
            statements.append([])
    statements = [s for s in statements if s]
    try:
        with lab.directory.lock:
            for index, statement in enumerate(statements):
                try:
                    objects: list[Any] | None = inputs if index == 0 and inputs else None
                    for command in statement:
                        objects = _run_command(pipeline, lab, shell.user, command, objects)
                    for obj in objects or []:
                        pipeline.write_output(obj)
                except _Stop as stop:
                    if len(statements) == 1 or stop.batch:
                        raise
                    _write(pipeline, stop.error, stop.activity)
    except _Stop as stop:
        _fail(pipeline, stop.error, stop.activity)
        return
    except Exception:  # a lab bug must not kill the server: report it as PowerShell would
        log.exception("pipeline failed")
        _fail(
            pipeline,
            CmdletError("An internal error occurred in the Exchange lab (see its log).", terminating=True),
            "",
        )
        return
    pipeline.complete()
