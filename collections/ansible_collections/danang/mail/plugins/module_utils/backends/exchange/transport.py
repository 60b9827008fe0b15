# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange remote PowerShell (PSRP over WS-Management) through pypsrp: typed cmdlet calls only.

Since the April 2021 security update the ``Microsoft.Exchange`` endpoint runs in no-language mode:
it takes cmdlets with parameters as objects, never script text. So an ``invocation.Invocation`` is a
cmdlet name and typed parameter values (str, bool, int, :class:`Secret` for a SecureString,
``SWITCH`` for a switch); nothing is ever quoted or joined into PowerShell source.

Bulk: one RunspacePool serves every pipeline of a run. :meth:`ExchangeTransport.run_batch` sends
up to ``batch_size`` invocations as the statements of ONE pipeline (``AddStatement``), one PSRP
round trip for the lot. Exchange writes its errors as non-terminating error records, so the next
statements still run; each error is attributed to the invocation it names (the bound parameters
the server returns with it, its target object, or the identity in its text). What cannot be
attributed, and every statement of a pipeline whose connection was lost, is reported as
``unknown``: the backend then re-reads and decides (a re-run finishes the job).

Retries with exponential back-off: opening the pool, and a pipeline the server refused before it
started (HTTP 429/500/503, a WS-Management fault, a refused connection). A pipeline that may have
started is never sent twice. Exchange's throttling (PowerShellMaxCmdlets) refuses the Command
request with a WS-Management fault, "The user load quota of X requests per Y seconds has been
exceeded ... at least N milliseconds": nothing of that pipeline ran, so the transport waits the
hinted time and sends it again on the same session (:func:`quota_wait`), for up to
``THROTTLE_PATIENCE`` seconds of waiting per pipeline.

Credentials never reach a log or an error message: :class:`Secret` masks its ``repr``, the
connection's password field is ``repr=False``, and error texts come from the server's error
records, which do not echo parameter values.
"""

from __future__ import annotations

import contextlib
import re
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.clixml import plain, to_record
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (
    FAILED,
    IDENTIFYING,
    OK,
    UNKNOWN,
    Invocation,
    Outcome,
    PsError,
    Secret,
    Switch,
    Value,
    attribute,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.transport_security import (
    clear_text_allowed,
)

try:
    import requests
    from pypsrp.exceptions import WinRMError, WinRMTransportError, WSManFaultError
    from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool
    from pypsrp.serializer import TaggedValue
    from pypsrp.wsman import WSMan
    from spnego.exceptions import SpnegoError

    HAS_PYPSRP = True
    PYPSRP_IMPORT_ERROR: Optional[str] = None
    _AUTH_ERRORS: tuple = (SpnegoError,)
except ImportError:  # the modules report it with missing_required_lib('pypsrp')
    HAS_PYPSRP = False
    PYPSRP_IMPORT_ERROR = traceback.format_exc()
    _AUTH_ERRORS = ()

# pyspnego's kinit from the password fails with python-krb5's own error (wrong password, no KDC).
with contextlib.suppress(ImportError):
    from krb5 import Krb5Error

    _AUTH_ERRORS += (Krb5Error,)

AUTHS = ("kerberos", "negotiate", "ntlm", "basic", "credssp")
ENCRYPTIONS = ("auto", "always", "never")
CONFIGURATION = "Microsoft.Exchange"
_RETRY_HTTP = frozenset({429, 500, 502, 503, 504})
# WinRM's ERROR_WSMAN_QUOTA_USER (wsmerror.h): the fault Exchange's throttling answers a request with.
ERROR_WSMAN_QUOTA_USER = 0x803381A7
_QUOTA = re.compile(r"user load quota of .*? at least (\d+) milliseconds", re.IGNORECASE | re.DOTALL)
THROTTLE_PATIENCE = 900.0  # seconds of throttling waits per pipeline before giving it up


@dataclass
class BatchResult:
    outcomes: list[Outcome]
    output: list[dict[str, Any]]
    errors: list[PsError]
    lost: Optional[str] = None  # why the pipeline's end was not seen (connection dropped)


class ExchangeError(Exception):
    """Exchange cannot be used (unreachable, refused, a query failed); the message holds no secret."""


@dataclass(frozen=True)
class ExchangeConnection:
    """How to reach Exchange's remote PowerShell (the doc fragment danang.mail.exchange)."""

    server: str
    username: Optional[str] = None
    password: Optional[str] = field(default=None, repr=False)
    port: Optional[int] = None
    path: str = "PowerShell"
    auth: str = "kerberos"
    ssl: bool = False
    # Kerberos/Negotiate/NTLM encrypt the messages over plain HTTP ("auto"); Basic over plain HTTP
    # needs "never" and sends the password in clear: for the lab only.
    encryption: str = "auto"
    validate_certs: bool = True
    ca_file: Optional[str] = None
    configuration_name: str = CONFIGURATION
    timeout: int = 60
    batch_size: int = 50  # changes per pipeline (a change: one account's cmdlets, one quota, one reset)
    runspaces: int = 4  # sessions sending pipelines at once (Exchange allows 18 a user by default)
    retries: int = 4
    backoff: float = 2.0


def clear_text_refusal(c: ExchangeConnection) -> Optional[str]:
    """Why ``c`` would carry a password in clear to another host, or None. Over plain HTTP, Basic
    sends the service account's password as it is, and ``encryption=never`` the passwords set on
    accounts; Kerberos, Negotiate and NTLM with message encryption (``auto``) do neither."""
    if c.ssl or clear_text_allowed(c.server):
        return None
    if c.auth == "basic":
        return "Basic authentication over plain HTTP sends the password in clear"
    if c.encryption == "never":
        return "exchange_encryption=never over plain HTTP sends the accounts' passwords in clear"
    return None


def error_from_record(record: Any) -> PsError:
    """A pypsrp ErrorRecord as :class:`PsError` (defensive: servers fill different fields)."""
    exception = getattr(record, "exception", None)
    message = (
        getattr(record, "details_message", None)
        or (exception.adapted_properties.get("Message") if hasattr(exception, "adapted_properties") else None)
        or (
            exception.extended_properties.get("Message")
            if hasattr(exception, "extended_properties")
            else None
        )
        or (str(exception) if exception is not None else None)
        or getattr(record, "message", None)
        or "error"
    )
    bound = getattr(record, "invocation_bound_parameters", None) or {}
    bound_values = tuple(
        str(plain(v)).lower() for k, v in bound.items() if str(k) in IDENTIFYING and v is not None
    )
    target = getattr(record, "target_object", None)
    return PsError(
        message=str(message).strip(),
        category=str(getattr(record, "reason", "") or ""),
        error_id=str(getattr(record, "fq_error", "") or ""),
        target=str(plain(target)) if target is not None else "",
        command=str(getattr(record, "invocation_name", "") or getattr(record, "activity", "") or ""),
        bound=bound_values,
    )


def _refused_before_start(exc: BaseException) -> bool:
    """True when the server refused the request, so the pipeline never ran (safe to send again)."""
    if HAS_PYPSRP and isinstance(exc, WinRMTransportError):
        return exc.code in _RETRY_HTTP
    if HAS_PYPSRP and isinstance(exc, WSManFaultError):
        return True  # a fault answers the Command request: nothing was started
    return (
        HAS_PYPSRP
        and isinstance(exc, (requests.ConnectionError, requests.ConnectTimeout))
        and not isinstance(exc, requests.ReadTimeout)
    )


def _describe(exc: BaseException) -> str:
    if HAS_PYPSRP and isinstance(exc, WSManFaultError):
        return f"WS-Management fault: {exc.reason or exc.code}"
    if HAS_PYPSRP and isinstance(exc, WinRMTransportError):
        return f"HTTP {exc.code} from the server"
    if isinstance(exc, _AUTH_ERRORS):
        return f"Kerberos/Negotiate authentication failed: {exc}"
    return f"{type(exc).__name__}: {exc}"


def quota_wait(exc: BaseException) -> Optional[float]:
    """Seconds Exchange's throttling asks to wait when ``exc`` is its user-load-quota fault, else None."""
    if not (HAS_PYPSRP and isinstance(exc, WSManFaultError)):
        return None
    found = _QUOTA.search(str(exc.reason or ""))
    if found:
        return int(found.group(1)) / 1000
    return 1.0 if exc.code == ERROR_WSMAN_QUOTA_USER else None


class ExchangeTransport:
    """One RunspacePool on Exchange's remote PowerShell, opened on first use, reopened after a
    dropped connection; and, for pipelines in parallel, more sessions of the same kind (``lanes``)."""

    def __init__(
        self, connection: ExchangeConnection, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        if not HAS_PYPSRP:
            raise ExchangeError("the Python library pypsrp is needed for the Exchange backend")
        self.connection = connection
        self._sleep = sleep
        self._pool: Any = None
        self._keys_exchanged = False
        self.round_trips = 0  # pipelines sent (benchmarks)
        self.throttle_waits = 0  # requests Exchange's throttling refused (benchmarks)
        self._lanes: list[ExchangeTransport] = []  # more sessions for pipelines in parallel
        self._lanes_full = False  # Exchange refused one more session (PowerShellMaxConcurrency)

    # --- the pool --------------------------------------------------------------------------------
    def _open(self) -> Any:
        c = self.connection
        cert: Any = c.ca_file if (c.ssl and c.validate_certs and c.ca_file) else c.validate_certs
        wsman = WSMan(
            c.server,
            port=c.port,
            path=c.path,
            ssl=c.ssl,
            auth=c.auth,
            username=c.username,
            password=c.password,
            cert_validation=cert,
            encryption=c.encryption,
            connection_timeout=c.timeout,
            read_timeout=c.timeout + 10,
            operation_timeout=c.timeout,
        )
        pool = RunspacePool(wsman, configuration_name=c.configuration_name)
        pool.open()
        return pool

    def pool(self) -> Any:
        if self._pool is None:
            refusal = clear_text_refusal(self.connection)
            if refusal:
                raise ExchangeError(
                    f"Exchange {self.connection.server}: refused: {refusal} to a host that is not a "
                    "loopback address; use exchange_ssl (HTTPS)"
                )
            self._pool = self._retry("open the remote PowerShell session", self._open)
            self._keys_exchanged = False
        return self._pool

    def _retry(self, what: str, call: Callable[[], Any]) -> Any:
        attempt = 0
        throttled = 0.0
        while True:
            try:
                return call()
            except (WinRMError, requests.RequestException, OSError, *_AUTH_ERRORS) as exc:
                wait = quota_wait(exc)
                if wait is not None and throttled + wait <= THROTTLE_PATIENCE:
                    throttled += wait
                    self.throttle_waits += 1
                    self._sleep(wait)
                    continue
                retriable = _refused_before_start(exc) and wait is None
                if not retriable or attempt >= self.connection.retries:
                    where = f"{self.connection.server}:{self.connection.port or ''}/{self.connection.path}"
                    raise ExchangeError(f"Exchange {where}: cannot {what}: {_describe(exc)}") from None
            self._sleep(self.connection.backoff * 2**attempt)
            attempt += 1

    def _drop(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            with contextlib.suppress(WinRMError, requests.RequestException, OSError):
                pool.close()  # best effort: the connection may be gone already

    def close(self) -> None:
        for lane in self._lanes:
            lane.close()
            self.round_trips += lane.round_trips  # the counters outlive the sessions
            self.throttle_waits += lane.throttle_waits
        self._lanes, self._lanes_full = [], False
        self._drop()

    def lanes(self, wanted: int) -> list[ExchangeTransport]:
        """This session and up to ``wanted - 1`` more (at most ``runspaces`` in all), as many as
        Exchange lets the user open: one refused stops the growing, the work goes on with fewer."""
        try:
            self.pool()  # the connection's checks, once
        except ExchangeError:
            return [self]  # its pipelines fail as "not attempted", with the reason
        wanted = max(1, min(wanted, self.connection.runspaces))
        while len(self._lanes) + 1 < wanted and not self._lanes_full:
            lane = ExchangeTransport(self.connection, sleep=self._sleep)
            try:
                lane._pool = lane._open()
            except (WinRMError, requests.RequestException, OSError):
                self._lanes_full = True
                break
            self._lanes.append(lane)
        return [self, *self._lanes[: wanted - 1]]

    def counters(self) -> tuple[int, int]:
        """(pipelines sent, requests throttled) over every session of this transport (benchmarks)."""
        every = [self, *self._lanes]
        return sum(t.round_trips for t in every), sum(t.throttle_waits for t in every)

    # --- pipelines -------------------------------------------------------------------------------
    def _value(self, value: Value) -> Any:
        if isinstance(value, Secret):
            if not self._keys_exchanged:
                self._pool.exchange_keys()
                self._keys_exchanged = True
            return TaggedValue("SS", value.value)
        if isinstance(value, (list, tuple)):
            return [self._value(v) for v in value]
        return value

    def _build(self, invocations: Sequence[Invocation]) -> Any:
        shell = PowerShell(self.pool())
        for invocation in invocations:
            for command in (invocation.source, invocation):
                if command is None:
                    continue
                shell.add_cmdlet(command.cmdlet)
                for name, value in command.parameters:
                    if isinstance(value, Switch):
                        shell.add_parameter(name)
                    else:
                        shell.add_parameter(name, self._value(value))
            if invocation.select:  # piped in the same statement
                shell.add_cmdlet("Select-Object").add_parameter("Property", list(invocation.select))
            shell.add_statement()
        return shell

    def _start(self, invocations: Sequence[Invocation]) -> Any:
        """Send the pipeline; retried (a new pool when needed) while the server refuses it."""

        def send() -> Any:
            try:
                shell = self._build(invocations)
                shell.begin_invoke()
            except BaseException as exc:
                if quota_wait(exc) is None:  # throttled: the session stays, nothing ran
                    self._drop()
                raise
            self.round_trips += 1
            return shell

        return self._retry("start a pipeline", send)

    def run_batch(self, invocations: Sequence[Invocation]) -> BatchResult:
        """Run ``invocations`` as the statements of one pipeline; one :class:`Outcome` each."""
        outcomes = [Outcome(inv) for inv in invocations]
        shell = self._start(invocations)
        lost = None
        try:
            shell.end_invoke()
        except (WinRMError, requests.RequestException, OSError) as exc:
            lost = f"the connection was lost during the pipeline ({_describe(exc)}); its outcome is unknown"
            self._drop()
        errors = [error_from_record(r) for r in shell.streams.error]
        if lost is None:
            try:
                shell.close()
            except (WinRMError, requests.RequestException, OSError):
                self._drop()
        found, loose = attribute(errors, invocations)
        stopped = lost is not None or shell.state != PSInvocationState.COMPLETED
        for index, outcome in enumerate(outcomes):
            if index in found:
                outcome.status = FAILED
                outcome.error = "; ".join(str(e) for e in found[index])
            elif loose or stopped:
                outcome.status = UNKNOWN
                outcome.error = (
                    lost or "; ".join(str(e) for e in loose) or "the pipeline stopped before its end"
                )
        return BatchResult(outcomes, [to_record(o) for o in shell.output], errors, lost)

    def run(self, invocations: Sequence[Invocation], batch_size: Optional[int] = None) -> list[Outcome]:
        """Every invocation, ``batch_size`` statements per pipeline, in order; one outcome each."""
        size = max(1, batch_size or self.connection.batch_size)
        outcomes: list[Outcome] = []
        for start in range(0, len(invocations), size):
            batch = invocations[start : start + size]
            try:
                outcomes.extend(self.run_batch(batch).outcomes)
            except ExchangeError as exc:  # refused even after the retries: nothing of it ran
                outcomes.extend(Outcome(inv, FAILED, f"not attempted: {exc}") for inv in batch)
        return outcomes

    def read_batch(self, invocations: Sequence[Invocation]) -> BatchResult:
        """Reads as the statements of one pipeline, sent again while the connection drops."""
        for attempt in range(self.connection.retries + 1):
            result = self.run_batch(invocations)
            if result.lost is None:
                break
            self._sleep(self.connection.backoff * 2**attempt)
        return result

    def query(self, invocation: Invocation) -> list[dict[str, Any]]:
        """A read (Get-*) in its own pipeline; raises :class:`ExchangeError` on any error record.

        A read changes nothing, so a pipeline whose connection dropped is simply sent again."""
        result = self.read_batch([invocation])
        if result.lost or result.errors or result.outcomes[0].status != OK:
            reason = result.lost or "; ".join(str(e) for e in result.errors) or result.outcomes[0].error
            raise ExchangeError(f"Exchange {invocation}: {reason}")
        return result.output
