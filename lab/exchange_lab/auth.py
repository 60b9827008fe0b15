# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP authentication as WinRM/IIS does it in front of Exchange: Basic, and Negotiate/Kerberos
accepted with the lab's keytab (pyspnego over MIT Kerberos, the lab KDC of role exchange_lab), with
WinRM message encryption over plain HTTP.

- The security context belongs to the TCP connection (HTTP.sys keeps it per connection): the client
  authenticates once, then sends its requests on that connection without an Authorization header.
- Message encryption ([MS-WSMV] 2.2.9.1): a ``multipart/encrypted`` body whose first part names the
  protocol (``application/HTTP-SPNEGO-session-encrypted`` after Negotiate,
  ``application/HTTP-Kerberos-session-encrypted`` after Kerberos) and the clear length, the second
  holds ``<header length, 4 bytes LE><header><sealed data>``. The answer comes back in the same form.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import dataclass, field
from typing import Any

import spnego
import spnego.exceptions

BOUNDARY = "Encrypted Boundary"
PROTOCOLS = {
    "negotiate": "application/HTTP-SPNEGO-session-encrypted",
    "kerberos": "application/HTTP-Kerberos-session-encrypted",
}
_PART = re.compile(rb"--\s*" + re.escape(BOUNDARY.encode()) + rb"(?:--)?\r\n")


class AuthRefused(Exception):
    """The token or the sealed message was not accepted: answer 401."""


def challenges(kerberos: bool) -> list[str]:
    """The WWW-Authenticate offers of a 401: Exchange's /PowerShell offers Negotiate and Kerberos."""
    return (["Negotiate", "Kerberos"] if kerberos else []) + ['Basic realm="EXLAB01"']


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(user, password) of a Basic Authorization header, or None."""
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if user else None


def upn(principal: str) -> str:
    """The AD user of a Kerberos principal: administrator@DANANG.GOV.VN -> administrator@danang.gov.vn."""
    name, _, realm = principal.rpartition("@")
    return f"{name}@{realm.lower()}"


@dataclass
class Connection:
    """One TCP connection's Negotiate/Kerberos state."""

    context: Any = None
    scheme: str = ""  # "negotiate" or "kerberos": the header the client used
    principal: str | None = None
    reply: dict[str, str] = field(default_factory=dict)  # headers of the next answer

    def step(self, header: str) -> bool:
        """Take a ``Negotiate``/``Kerberos`` Authorization header; True when it is one. Raises
        AuthRefused for a token the keytab cannot accept."""
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in PROTOCOLS:
            return False
        try:
            data = base64.b64decode(token.strip(), validate=True)
            if not data:
                raise AuthRefused("empty token")
            if self.context is None or self.context.complete:
                self.context = spnego.server(protocol=scheme.lower())
                self.principal = None
            answer = self.context.step(data)
        except Exception as exc:
            # Any token the acceptor fails on is a 401, as IIS answers (pyspnego/gssapi raise
            # AttributeError, not SpnegoError, for a ticket whose key is not in the keytab).
            self.context = None
            raise AuthRefused(f"{type(exc).__name__}: {exc}") from None
        self.scheme = scheme.lower()
        if answer:
            self.reply["WWW-Authenticate"] = f"{scheme} {base64.b64encode(answer).decode('ascii')}"
        if self.context.complete:
            self.principal = self.context.client_principal
        return True

    @property
    def user(self) -> str | None:
        return upn(self.principal) if self.principal else None

    def unwrap(self, content_type: str, body: bytes) -> bytes:
        """The clear message of a ``multipart/encrypted`` body sealed with this connection's context."""
        if self.context is None or not self.context.complete:
            raise AuthRefused("an encrypted message on a connection that has not authenticated")
        if PROTOCOLS[self.scheme].lower() not in content_type.lower():
            raise AuthRefused(f"unexpected encryption protocol in {content_type!r}")
        parts = [p for p in _PART.split(body) if p]
        if len(parts) != 2 or b"Length=" not in parts[0]:
            raise AuthRefused("malformed multipart/encrypted body")
        length = int(parts[0].rsplit(b"Length=", 1)[1].split(b"\r\n", 1)[0])
        sealed = parts[1].split(b"application/octet-stream\r\n", 1)[-1]
        (header_length,) = struct.unpack("<i", sealed[:4])
        try:
            clear = self.context.unwrap_winrm(sealed[4 : 4 + header_length], sealed[4 + header_length :])
        except spnego.exceptions.SpnegoError as exc:
            raise AuthRefused(str(exc)) from None
        if len(clear) != length:
            raise AuthRefused(f"decrypted length {len(clear)} is not the announced {length}")
        return clear

    def wrap(self, message: bytes) -> tuple[str, bytes]:
        """(Content-Type, body) of ``message`` sealed for the client."""
        protocol = PROTOCOLS[self.scheme]
        sealed = self.context.wrap_winrm(message)
        head = (
            f"--{BOUNDARY}\r\n\tContent-Type: {protocol}\r\n"
            f"\tOriginalContent: type=application/soap+xml;charset=UTF-8;"
            f"Length={len(message) + sealed.padding_length}\r\n"
            f"--{BOUNDARY}\r\n\tContent-Type: application/octet-stream\r\n"
        ).encode("ascii")
        body = head + struct.pack("<i", len(sealed.header)) + sealed.header + sealed.data
        body += f"--{BOUNDARY}--\r\n".encode("ascii")
        return f'multipart/encrypted;protocol="{protocol}";boundary="{BOUNDARY}"', body
