# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's HTTP server: PowerShell remoting, EWS and the control endpoint on one loopback port.

- ``/PowerShell`` and ``/wsman``: WS-Management carrying PSRP (``wsman.py``, ``psrp.py``); only the
  ``Microsoft.Exchange`` session configuration exists, as on an Exchange server.
- ``/EWS/Exchange.asmx``: handed to ``ews.handle(body, user, lab)`` (imported when first used).
- ``/lab/...``: the control endpoint for tests (``control.py``); never used by the backend.

Every request but the control endpoint needs HTTP Basic credentials that the AD stand-in accepts or,
when the lab has a keytab, Negotiate/Kerberos with WinRM message encryption (``auth.py``).
"""

from __future__ import annotations

import base64
import importlib
import logging
import ssl
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from exchange_lab import auth, control, wsman
from exchange_lab.clock import LabClock
from exchange_lab.cmdlets import engine
from exchange_lab.directory import Directory
from exchange_lab.psrp import Shell
from exchange_lab.store import MailboxStore
from exchange_lab.throttling import Throttling
from exchange_lab.wsman import NS, WSManFault, rsp, sub

log = logging.getLogger("exchange_lab")

EXCHANGE_RESOURCE_URI = "http://schemas.microsoft.com/powershell/Microsoft.Exchange"
SHELL_RESOURCE_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
MACHINE = "EXLAB01.danang.gov.vn"


class Lab:
    """What every endpoint shares: the directory, the mailbox store, the clock, faults, shells."""

    def __init__(self, state_dir: Path, directory: Directory, store: MailboxStore, clock: LabClock) -> None:
        self.state_dir = state_dir
        self.directory = directory
        self.store = store
        self.clock = clock
        self.share_dir = state_dir / "shares"  # UNC shares (mailbox exports); --share-dir
        self.faults = control.Faults()
        self.throttling = Throttling()
        self.shells: dict[str, Shell] = {}
        self.shells_lock = threading.Lock()
        self.shells_opened = 0  # since the lab started (tests: a session is kept, not reopened)
        self._rules: Any = None
        self._items: Any = None

    def runner(self, shell: Shell, pipeline: Any, inputs: list[Any]) -> None:
        cmdlets = [command.command_text for command in pipeline.metadata.commands]
        self.throttling.admit_pipeline(shell.user, len(cmdlets))  # may refuse: a WS-Management fault
        # Server time outside the directory lock: pipelines of other runspaces overlap, as on Exchange.
        time.sleep(self.throttling.server_time(cmdlets))
        engine.run_pipeline(self, shell, pipeline, inputs)

    @property
    def rules(self) -> Any:
        """The inbox-rule store shared with EWS (inbox_rules.InboxRuleStore), created when first used."""
        if self._rules is None:
            inbox_rules = importlib.import_module("exchange_lab.inbox_rules")
            self._rules = inbox_rules.InboxRuleStore(self.state_dir / "inbox_rules.json")
        return self._rules

    @property
    def items(self) -> Any:
        """The messages EWS delivered into the mailboxes (mail_items.ItemStore), created when first used."""
        if self._items is None:
            mail_items = importlib.import_module("exchange_lab.mail_items")
            self._items = mail_items.ItemStore(self.state_dir / "items.sqlite3")
        return self._items

    def shell(self, request: wsman.WSManRequest, user: str) -> Shell:
        shell_id = request.selectors.get("ShellId", "").upper()
        with self.shells_lock:
            shell = self.shells.get(shell_id)
        if shell is None or shell.user.lower() != user.lower():
            raise WSManFault(
                wsman.ERROR_SHELL_NOT_FOUND,
                f"The request for the Windows Remote Shell with ShellId {shell_id} failed because "
                "the shell was not "
                "found on the server. Possible causes are: the specified ShellId is incorrect or "
                "the shell no longer "
                "exists on the server. Provide the correct ShellId or create a new shell and retry "
                "the operation.",
            )
        return shell


class Handler(BaseHTTPRequestHandler):
    server_version = "Microsoft-HTTPAPI/2.0"
    protocol_version = "HTTP/1.1"
    lab: Lab  # set on the subclass made by make_server
    kerberos = False  # the lab has a keytab: Negotiate/Kerberos offered too

    def setup(self) -> None:
        super().setup()
        self.auth = auth.Connection()  # one per TCP connection, as the security context
        self.sealed = False  # this request came encrypted: so goes its answer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    # -- plumbing --------------------------------------------------------------------------------
    def _send(self, status: int, content_type: str, body: bytes, extra: dict[str, str] | None = None) -> None:
        extra = {**self.auth.reply, **(extra or {})}
        self.auth.reply.clear()
        if self.sealed:
            content_type, body = self.auth.wrap(body)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _user(self) -> str | None:
        """The Basic-auth user when the directory accepts the password, the Kerberos principal's user
        once this connection's context is complete, else None."""
        header = self.headers.get("Authorization", "")
        if self.kerberos and self.auth.step(header):
            return self.auth.user
        basic = auth.basic_credentials(header)
        if basic is not None:
            return basic[0] if self.lab.directory.authenticate(*basic) else None
        return None if header else self.auth.user

    def _unauthorized(self) -> None:
        self.sealed = False
        self.send_response(401)
        # A context that needs another leg answers with its token; otherwise the offers.
        reply = self.auth.reply.pop("WWW-Authenticate", None)
        for offer in [reply] if reply else auth.challenges(self.kerberos):
            self.send_header("WWW-Authenticate", offer)
        self.send_header("Content-Length", "0")
        self.end_headers()

    # -- routing ---------------------------------------------------------------------------------
    def do_GET(self) -> None:
        if self.path.startswith("/lab/"):
            status, body = control.handle(self.lab, "GET", self.path, b"")
            self._send(status, "application/json", body)
        else:
            self._send(405, "text/plain", b"")

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/").lower()
        body = self._body()
        if path.startswith("/lab/"):
            status, answer = control.handle(self.lab, "POST", self.path, body)
            self._send(status, "application/json", answer)
            return
        if path not in ("/powershell", "/wsman", "/ews/exchange.asmx"):
            self._send(404, "text/plain", b"")
            return
        self.sealed = False
        try:
            user = self._user()
            if user is not None and self.headers.get("Content-Type", "").startswith("multipart/encrypted"):
                body = self.auth.unwrap(self.headers["Content-Type"], body)
                self.sealed = True
        except auth.AuthRefused as refused:
            log.info("authentication refused: %s", refused)
            user = None
        if user is None:
            self._unauthorized()
            return
        if not body:  # pypsrp's empty request that sets up the context for message encryption
            self._send(200, "text/plain", b"")
            return
        self.lab.faults.delay()
        if path == "/ews/exchange.asmx":
            ews = importlib.import_module("exchange_lab.ews")
            status, content_type, answer = ews.handle(body, user, self.lab)
            self._send(status, content_type, answer)
            return
        request = None
        try:
            request = wsman.parse_request(body)
            answer = self._wsman(request, user)
        except WSManFault as error:
            self._send(500, "application/soap+xml;charset=UTF-8", wsman.fault(request, error, MACHINE))
            return
        except control.DropConnection:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self._send(200, "application/soap+xml;charset=UTF-8", answer)

    # -- WS-Management actions -----------------------------------------------------------------
    def _wsman(self, request: wsman.WSManRequest, user: str) -> bytes:
        action = request.action
        if action == wsman.GET and request.resource_uri.endswith("/config"):
            config = ET.Element(f"{{{NS['cfg']}}}Config")
            sub(config, "cfg", "MaxEnvelopeSizekb", "512")
            return wsman.response(request, config)
        if action == wsman.CREATE:
            return self._create(request, user)
        shell = self.lab.shell(request, user)
        if action == wsman.GET:
            info = rsp("Shell")
            info.append(rsp("ShellId", shell.shell_id))
            info.append(rsp("ResourceUri", shell.resource_uri))
            info.append(rsp("Owner", shell.user))
            info.append(rsp("State", "Connected"))
            return wsman.response(request, info)
        if action == wsman.DELETE:
            shell.close()
            with self.lab.shells_lock:
                self.lab.shells.pop(shell.shell_id, None)
            return wsman.response(request)
        if action == wsman.COMMAND:
            line = request.body.find("rsp:CommandLine", NS)
            if line is None:
                raise WSManFault(2150858817, "The Command message has no CommandLine.")
            command_id = line.get("CommandId") or str(uuid.uuid4()).upper()
            pipeline_id = shell.new_pipeline(command_id)
            arguments = line.find("rsp:Arguments", NS)
            if arguments is not None and arguments.text:
                shell.feed(base64.b64decode(arguments.text), pipeline_id)
            answer = rsp("CommandResponse")
            answer.append(rsp("CommandId", command_id.upper()))
            return wsman.response(request, answer)
        if action == wsman.SEND:
            for stream in request.body.findall("rsp:Send/rsp:Stream", NS):
                command_id = stream.get("CommandId")
                shell.feed(base64.b64decode(stream.text or ""), uuid.UUID(command_id) if command_id else None)
            return wsman.response(request, rsp("SendResponse"))
        if action == wsman.RECEIVE:
            return self._receive(request, shell)
        if action == wsman.SIGNAL:
            signal = request.body.find("rsp:Signal", NS)
            code = signal.findtext("rsp:Code", "", NS) if signal is not None else ""
            command_id = signal.get("CommandId", "") if signal is not None else ""
            if command_id:
                shell.signal(uuid.UUID(command_id), code)
            return wsman.response(request, rsp("SignalResponse"))
        raise WSManFault(
            wsman.ERROR_UNSUPPORTED, f"The WS-Management service does not support the action {action}."
        )

    def _create(self, request: wsman.WSManRequest, user: str) -> bytes:
        if request.resource_uri.lower() != EXCHANGE_RESOURCE_URI.lower():
            name = request.resource_uri.rsplit("/", 1)[-1]
            raise WSManFault(
                wsman.ERROR_INVALID_RESOURCE_URI,
                f"The WS-Management service cannot process the request. Cannot find the {name} session "
                "configuration in the WSMan: drive on the EXLAB01 computer.",
                "w:InvalidResourceURI",
            )
        with self.lab.shells_lock:
            held = sum(1 for s in self.lab.shells.values() if s.user.lower() == user.lower())
        self.lab.throttling.admit_shell(held)
        shell_element = request.body.find("rsp:Shell", NS)
        creation = shell_element.find("pwsh:creationXml", NS) if shell_element is not None else None
        if creation is None or not creation.text:
            raise WSManFault(2150858817, "The shell creation request carries no creationXml.")
        shell_id = (shell_element.get("ShellId") or str(uuid.uuid4())).upper()
        shell = Shell(shell_id, user, EXCHANGE_RESOURCE_URI, self.lab.runner)
        shell.feed(base64.b64decode(creation.text))
        with self.lab.shells_lock:
            self.lab.shells[shell_id] = shell
            self.lab.shells_opened += 1

        created = ET.Element(f"{{{NS['wst']}}}ResourceCreated")
        sub(created, "wsa", "Address", f"http://{self.headers.get('Host', MACHINE)}/PowerShell")
        params = sub(created, "wsa", "ReferenceParameters")
        sub(params, "wsman", "ResourceURI", EXCHANGE_RESOURCE_URI)
        selectors = sub(params, "wsman", "SelectorSet")
        sub(selectors, "wsman", "Selector", shell_id, Name="ShellId")
        info = rsp("Shell")
        for tag, text in (
            ("ShellId", shell_id),
            ("Name", "Runspace1"),
            ("ResourceUri", EXCHANGE_RESOURCE_URI),
            ("Owner", user),
            ("ClientIP", self.client_address[0]),
            ("IdleTimeOut", "PT900.000S"),
            ("InputStreams", "stdin pr"),
            ("OutputStreams", "stdout"),
            ("ShellRunTime", "P0DT0H0M0S"),
            ("ShellInactivity", "P0DT0H0M0S"),
        ):
            info.append(rsp(tag, text))
        return wsman.response(request, created, info)

    def _receive(self, request: wsman.WSManRequest, shell: Shell) -> bytes:
        desired = request.body.find("rsp:Receive/rsp:DesiredStream", NS)
        command_id = desired.get("CommandId") if desired is not None else None
        pipeline_id = uuid.UUID(command_id) if command_id else None
        if pipeline_id is not None:
            self.lab.faults.maybe_drop(self.lab, shell, pipeline_id)
        # Base64 inflates by 4/3; keep well inside the client's MaxEnvelopeSize.
        max_bytes = max(request.max_envelope_size * 3 // 4 - 4096, 8192)
        blobs, done = shell.receive(pipeline_id, request.operation_timeout, max_bytes)
        answer = rsp("ReceiveResponse")
        for blob in blobs:
            stream = rsp("Stream", base64.b64encode(blob).decode("ascii"), Name="stdout")
            if command_id:
                stream.set("CommandId", command_id.upper())
            answer.append(stream)
        if command_id:
            state = "Done" if done else "Running"
            answer.append(
                rsp(
                    "CommandState",
                    None,
                    CommandId=command_id.upper(),
                    State=f"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/{state}",
                )
            )
        return wsman.response(request, answer)


def make_server(
    address: tuple[str, int], lab: Lab, kerberos: bool = False, tls: ssl.SSLContext | None = None
) -> ThreadingHTTPServer:
    """The lab's HTTP server (HTTPS with ``tls``); ``kerberos`` when KRB5_KTNAME names the lab's keytab."""
    handler = type("LabHandler", (Handler,), {"lab": lab, "kerberos": kerberos})
    server = ThreadingHTTPServer(address, handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    return server
