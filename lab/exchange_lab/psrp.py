# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PSRP shells over WS-Management, on psrpcore's server-side runspace pool and pipelines.

One ``Shell`` is one runspace pool (a WinRS shell whose resource URI names the session
configuration). The WS-Management actions map onto it as a WinRM server does:

- Create carries ``creationXml``: the SessionCapability and InitRunspacePool fragments;
- Command carries the first fragment of CreatePipeline, its ``CommandId`` is the pipeline id;
- Send carries further fragments (PublicKey, pipeline input, host responses);
- Receive returns what the pool queued for the pool (no CommandId) or for one pipeline, waiting up
  to the OperationTimeout and otherwise answering with the timeout fault pypsrp polls through;
- Signal (Terminate, ctrl_c) ends a pipeline, Delete closes the pool.

psrpcore holds the session key: when the client sends its public key the pool answers with the
encrypted session key, and SecureString values in later messages deserialize to PSSecureString.
Pipelines run synchronously in the Command (or last Send) request through ``runner``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from psrpcore import ServerPipeline, ServerRunspacePool
from psrpcore._payload import PSRPPayload, StreamType
from psrpcore.types import PSInvocationState, RunspacePoolState

from exchange_lab.wsman import ERROR_OPERATION_TIMEOUT, ERROR_SHELL_NOT_FOUND, WSManFault

# Largest PSRP fragment the lab queues; a Receive answer holds as many as its envelope allows.
FRAGMENT_SIZE = 32_768
DONE_STATES = {PSInvocationState.Completed, PSInvocationState.Failed, PSInvocationState.Stopped}

# runner(shell, pipeline, input objects): runs the pipeline's commands and leaves it in a done state.
Runner = Callable[["Shell", ServerPipeline, list[Any]], None]


class Shell:
    def __init__(self, shell_id: str, user: str, resource_uri: str, runner: Runner) -> None:
        self.shell_id = shell_id
        self.user = user
        self.resource_uri = resource_uri
        self.created = time.time()
        self.pool = ServerRunspacePool()
        self.cond = threading.Condition()
        self._runner = runner
        self._queues: dict[uuid.UUID | None, deque[bytes]] = {}
        self._inputs: dict[uuid.UUID, list[Any]] = {}
        self.closed = False

    # -- incoming ------------------------------------------------------------------------------
    def feed(self, data: bytes, pipeline_id: uuid.UUID | None = None) -> None:
        """Hand PSRP fragments to the pool, act on every complete message, queue the answers."""
        with self.cond:
            self.pool.receive_data(PSRPPayload(data, StreamType.default, pipeline_id))
            while True:
                event = self.pool.next_event()
                if event is None:
                    break
                self._on_event(event)
            self._flush()

    def new_pipeline(self, command_id: str) -> uuid.UUID:
        try:
            pipeline_id = uuid.UUID(command_id)
        except ValueError:
            raise WSManFault(2150858817, f"The CommandId {command_id!r} is not a GUID.") from None
        with self.cond:
            ServerPipeline(self.pool, pipeline_id)
        return pipeline_id

    def _on_event(self, event: Any) -> None:
        name = type(event).__name__
        if name == "CreatePipelineEvent":
            if event.pipeline.no_input:
                self._run(event.pipeline_id)
            else:
                self._inputs[event.pipeline_id] = []
        elif name == "PipelineInputEvent":
            self._inputs.setdefault(event.pipeline_id, []).append(event.data)
        elif name == "EndOfPipelineInputEvent":
            self._run(event.pipeline_id)
        elif name in ("SetMaxRunspacesEvent", "SetMinRunspacesEvent", "ResetRunspaceStateEvent"):
            self.pool.runspace_availability_response(event.ci, True)
        elif name == "GetAvailableRunspacesEvent":
            self.pool.runspace_availability_response(event.ci, self.pool.max_runspaces)

    def _run(self, pipeline_id: uuid.UUID) -> None:
        pipeline = self.pool.pipeline_table[pipeline_id]
        pipeline.start()
        self._runner(self, pipeline, self._inputs.pop(pipeline_id, []))

    def _flush(self) -> None:
        while True:
            payload = self.pool.data_to_send(FRAGMENT_SIZE)
            if payload is None:
                break
            self._queues.setdefault(payload.pipeline_id, deque()).append(payload.data)
        self.cond.notify_all()

    # -- outgoing ------------------------------------------------------------------------------
    def receive(
        self, pipeline_id: uuid.UUID | None, timeout: float, max_bytes: int
    ) -> tuple[list[bytes], bool]:
        """Queued blobs for the pool or one pipeline and whether that pipeline is done.

        Waits up to ``timeout`` for something to send; nothing at all is the timeout fault.
        """
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                if self.closed:
                    raise WSManFault(ERROR_SHELL_NOT_FOUND, f"The shell {self.shell_id} was closed.")
                queue = self._queues.get(pipeline_id)
                if queue:
                    break
                if pipeline_id is not None and self._pipeline_done(pipeline_id):
                    return [], True
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WSManFault(
                        ERROR_OPERATION_TIMEOUT,
                        "The WS-Management service cannot complete the operation within the time "
                        "specified in "
                        "OperationTimeout.",
                        "w:TimedOut",
                    )
                self.cond.wait(left)
            blobs: list[bytes] = []
            size = 0
            while queue and (not blobs or size + len(queue[0]) <= max_bytes):
                blob = queue.popleft()
                blobs.append(blob)
                size += len(blob)
            done = pipeline_id is not None and not queue and self._pipeline_done(pipeline_id)
            return blobs, done

    def _pipeline_done(self, pipeline_id: uuid.UUID) -> bool:
        pipeline = self.pool.pipeline_table.get(pipeline_id)
        return pipeline is None or pipeline.state in DONE_STATES

    # -- signals and close -----------------------------------------------------------------------
    def signal(self, pipeline_id: uuid.UUID, code: str) -> None:
        with self.cond:
            pipeline = self.pool.pipeline_table.get(pipeline_id)
            if pipeline is None:
                return
            if pipeline.state == PSInvocationState.Running:
                pipeline.stop()
                self._flush()
            if code.lower().endswith("terminate"):
                pipeline.close()
                self._queues.pop(pipeline_id, None)

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.pool.pipeline_table.clear()
            if self.pool.state == RunspacePoolState.Opened:
                self.pool.close()
            self.cond.notify_all()

    def break_pool(self, error: Any) -> None:
        """Mark the pool Broken (a dropped session): the client sees RunspacePoolState Broken."""
        with self.cond:
            if self.pool.state == RunspacePoolState.Opened:
                self.pool.set_broken(error)
                self._flush()
