# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small ManageSieve client (RFC 5804) on the standard library, for Cyrus ``timsieved``.

The Cyrus administrator reads and edits every user's scripts: SASL PLAIN with the administrator
as authentication identity and the user (``login@domain``) as authorisation identity. Cyrus lets
an identity named in ``admins`` act for any user (measured against the lab,
``tests/integration/test_forwarding_obm.py``). The password only travels inside TLS (STARTTLS,
RFC 5804 section 2.2), or in clear to this machine when ``tls`` is ``none``
(``transport_security``); a server that does not offer STARTTLS is an error, never a fallback.
"""

from __future__ import annotations

import base64
import contextlib
import re
import socket
import ssl
from dataclasses import dataclass, field
from typing import Optional, Union

from ansible_collections.danang.mail.plugins.module_utils.backends.transport_security import (
    clear_text_allowed,
    tls_context,
)

_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
_MAX_LINE = 65536
_MAX_LITERAL = 1 << 20  # a script larger than Cyrus's sieve_maxscriptsize never comes back this big


class SieveProtocolError(Exception):
    """The ManageSieve server cannot be reached or answered what RFC 5804 does not allow."""


class SieveRefused(SieveProtocolError):
    """The server answered NO: to acting for this user, or to a command on the user's scripts."""


@dataclass
class Response:
    """A tagless ManageSieve answer: ``status`` OK/NO/BYE, its response code and text, and the data
    lines before it (each a list of strings and atoms)."""

    status: str
    code: str = ""
    text: str = ""
    lines: list[list[Union[str, bytes]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "OK"


def sieve_string(value: str) -> bytes:
    """A ManageSieve string: quoted when short and plain, else a non-synchronising literal."""
    data = value.encode("utf-8")
    if len(data) < 1024 and not re.search(rb'[\r\n"\\\x00]', data):
        return b'"' + data + b'"'
    return b"{%d+}\r\n" % len(data) + data


class ManageSieve:
    """One ManageSieve session, authenticated as the Cyrus administrator acting for ``user``."""

    def __init__(
        self,
        host: str,
        port: int,
        admin: str,
        password: str,
        *,
        tls: bool = True,
        validate_certs: bool = True,
        ca_file: Optional[str] = None,
        timeout: float = 30,
    ) -> None:
        self.host, self.port, self.admin = host, port, admin
        self._password = password
        self.tls, self.validate_certs, self.ca_file, self.timeout = tls, validate_certs, ca_file, timeout
        self._sock: Optional[Union[socket.socket, ssl.SSLSocket]] = None
        self._buffer = b""
        self._authenticated = False
        self.capabilities: dict[str, str] = {}

    @property
    def where(self) -> str:
        return f"ManageSieve {self.host}:{self.port}"

    # --- the connection ---------------------------------------------------------------------------
    def login(self, user: str) -> None:
        """Authenticate as the administrator acting for ``user``. One connection
        serves many users: UNAUTHENTICATE (RFC 5804 section 2.14.1) brings it back, inside TLS."""
        if self._sock is not None and self._authenticated:
            if "UNAUTHENTICATE" in self.capabilities:
                self._check(self._command(b"UNAUTHENTICATE"), "UNAUTHENTICATE")
                self._authenticated = False
            else:
                self.close()
        if self._sock is None:
            self._connect()
        token = base64.b64encode(f"{user}\0{self.admin}\0{self._password}".encode()).decode("ascii")
        reply = self._command(b'AUTHENTICATE "PLAIN" ' + sieve_string(token))
        if not reply.ok:
            reason = reply.text or reply.status
            raise SieveRefused(
                f"{self.where}: the administrator {self.admin!r} cannot act for {user!r}: {reason}"
            )
        self._authenticated = True

    def _connect(self) -> None:
        """Open the connection, STARTTLS (RFC 5804 section 2.2: the capabilities come again inside)."""
        if not self.tls and not clear_text_allowed(self.host):
            raise SieveProtocolError(
                f"{self.where}: refusing to send the administrator's password without TLS to a host "
                "that is not a loopback address; set imap_tls to starttls"
            )
        try:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            self._capabilities(self._response())
            if self.tls:
                if "STARTTLS" not in self.capabilities:
                    raise SieveProtocolError(f"{self.where}: the server does not offer STARTTLS")
                self._check(self._command(b"STARTTLS"), "STARTTLS")
                context = tls_context(self.ca_file, self.validate_certs)
                self._sock = context.wrap_socket(self._sock, server_hostname=self.host)
                self._capabilities(self._response())
        except (OSError, ssl.SSLError, SieveProtocolError) as exc:
            self.close()
            raise SieveProtocolError(f"{self.where}: cannot connect: {exc}") from None
        if "PLAIN" not in self.capabilities.get("SASL", "").upper().split():
            self.close()
            raise SieveProtocolError(f"{self.where}: the server offers no SASL PLAIN here")

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError, SieveProtocolError):
                self._sock.sendall(b"LOGOUT\r\n")
            with contextlib.suppress(OSError):
                self._sock.close()
        self._sock, self._buffer, self._authenticated = None, b"", False

    def _capabilities(self, reply: Response) -> None:
        self._check(reply, "the greeting")
        self.capabilities = {
            str(line[0]).upper(): str(line[1]) if len(line) > 1 else "" for line in reply.lines if line
        }

    # --- the commands -------------------------------------------------------------------------------
    def list_scripts(self) -> dict[str, bool]:
        """``{name: active}`` of the user's scripts."""
        reply = self._check(self._command(b"LISTSCRIPTS"), "LISTSCRIPTS")
        return {
            str(line[0]): len(line) > 1 and str(line[1]).upper() == "ACTIVE" for line in reply.lines if line
        }

    def get_script(self, name: str) -> str:
        reply = self._check(self._command(b"GETSCRIPT " + sieve_string(name)), f"GETSCRIPT {name}")
        if not reply.lines or not reply.lines[0]:
            raise SieveProtocolError(f"{self.where}: GETSCRIPT {name} returned no script")
        value = reply.lines[0][0]
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value

    def check_script(self, script: str) -> Response:
        return self._command(b"CHECKSCRIPT " + sieve_string(script))

    def put_script(self, name: str, script: str) -> Response:
        return self._command(b"PUTSCRIPT " + sieve_string(name) + b" " + sieve_string(script))

    def set_active(self, name: str) -> Response:
        return self._command(b"SETACTIVE " + sieve_string(name))

    def delete_script(self, name: str) -> Response:
        return self._command(b"DELETESCRIPT " + sieve_string(name))

    def _check(self, reply: Response, what: str) -> Response:
        if not reply.ok:
            raise SieveRefused(f"{self.where}: {what} refused: {reply.status} {reply.text}".rstrip())
        return reply

    # --- the wire -------------------------------------------------------------------------------
    def _command(self, line: bytes) -> Response:
        if self._sock is None:
            raise SieveProtocolError(f"{self.where}: not connected")
        try:
            self._sock.sendall(line + b"\r\n")
            return self._response()
        except OSError as exc:
            self.close()
            raise SieveProtocolError(f"{self.where}: connection lost: {exc}") from None

    def _readline(self) -> bytes:
        while b"\r\n" not in self._buffer:
            if len(self._buffer) > _MAX_LINE:
                raise SieveProtocolError(f"{self.where}: answer line too long")
            chunk = self._sock.recv(65536)  # type: ignore[union-attr]
            if not chunk:
                raise SieveProtocolError(f"{self.where}: the server closed the connection")
            self._buffer += chunk
        line, _sep, self._buffer = self._buffer.partition(b"\r\n")
        return line + b"\r\n"

    def _read(self, size: int) -> bytes:
        while len(self._buffer) < size:
            chunk = self._sock.recv(65536)  # type: ignore[union-attr]
            if not chunk:
                raise SieveProtocolError(f"{self.where}: the server closed the connection")
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _tokens(self) -> list[Union[str, bytes]]:
        """One answer line as tokens: quoted strings (str), literals (bytes), atoms and ``(codes)`` (str)."""
        line = self._readline()
        tokens: list[Union[str, bytes]] = []
        while True:
            literal = _LITERAL.search(line)
            head = line[: literal.start()] if literal else line
            tokens.extend(_split(head.rstrip(b"\r\n")))
            if not literal:
                return tokens
            size = int(literal.group(1))
            if size > _MAX_LITERAL:
                raise SieveProtocolError(f"{self.where}: a literal of {size} bytes is refused")
            tokens.append(self._read(size))
            line = self._readline()

    def _response(self) -> Response:
        lines: list[list[Union[str, bytes]]] = []
        while True:
            tokens = self._tokens()
            first = str(tokens[0]).upper() if tokens and isinstance(tokens[0], str) else ""
            if first in ("OK", "NO", "BYE") and not _quoted_first(tokens):
                rest = tokens[1:]
                code = (
                    str(rest.pop(0)) if rest and isinstance(rest[0], str) and rest[0].startswith("(") else ""
                )
                text = " ".join(t.decode("utf-8", "replace") if isinstance(t, bytes) else t for t in rest)
                return Response(first, code, text, lines)
            lines.append(tokens)


class _Quoted(str):
    """A token that was a quoted string (an answer's status is an atom, never quoted)."""


def _quoted_first(tokens: list[Union[str, bytes]]) -> bool:
    return isinstance(tokens[0], _Quoted)


def _split(line: bytes) -> list[Union[str, bytes]]:
    out: list[Union[str, bytes]] = []
    i, n = 0, len(line)
    while i < n:
        char = line[i : i + 1]
        if char == b" ":
            i += 1
        elif char == b'"':
            i += 1
            value = bytearray()
            while i < n and line[i : i + 1] != b'"':
                if line[i : i + 1] == b"\\" and i + 1 < n:
                    i += 1
                value += line[i : i + 1]
                i += 1
            out.append(_Quoted(value.decode("utf-8", "replace")))
            i += 1
        elif char == b"(":
            j = line.find(b")", i)
            j = n - 1 if j < 0 else j
            out.append(line[i : j + 1].decode("utf-8", "replace"))
            i = j + 1
        else:
            j = i
            while j < n and line[j : j + 1] != b" ":
                j += 1
            out.append(line[i:j].decode("utf-8", "replace"))
            i = j
    return out
