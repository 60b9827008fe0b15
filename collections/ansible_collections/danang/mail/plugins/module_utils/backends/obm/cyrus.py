# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cyrus IMAP administration in bulk: one connection, commands pipelined (RFC 3501 section 5.5).

What Cyrus 3.6 offers for a bulk read (measured against the lab): ``LIST "" "user/*@<domain>"``
lists every user's mailbox and folders in one command (12,000 names in about 0.3 s), and
``LIST "" "%@<domain>"`` the shared mailboxes (``*@<domain>`` would add every deleted mailbox).
There is no command that returns every quota root or every ACL at once, so ``GETQUOTA`` and
``GETACL`` are pipelined: many tagged commands are written before their answers are read, so
20,000 mailboxes cost a few hundred round trips instead of 40,000. Cyrus still spends about 0.5 ms
of its own on every command (it rewrites its ``proc/`` file twice for each one; 0.15 ms with
``proc_path`` on a tmpfs), which is what a read of a large city costs on the IMAP side. Commands
are sent in chunks so that neither side's socket buffer fills while the other is writing.

Only ``imaplib`` (standard library) is used: it opens the connection (STARTTLS by default, or
IMAPS) and logs in; the pipelined commands then go through its ``send``/``readline``, inside TLS.
The administrator's password is never sent in clear: ``LOGIN`` without TLS is refused unless the
server is this machine (``transport_security``), and a server that announces ``LOGINDISABLED`` is
refused before the password is sent. Mailbox names here are ASCII (local parts are
``[a-z0-9._-]``); anything else is refused rather than mis-quoted.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Optional, Union

from ansible_collections.danang.mail.plugins.module_utils.backends.transport_security import (
    clear_text_allowed,
    tls_context,
)

_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
_SAFE = re.compile(r"^[\x20-\x7e]*$")
Token = Union[bytes, list]
_CLEANUP_ERRORS = (OSError, EOFError, imaplib.IMAP4.error)
# imap_tls: STARTTLS on the IMAP port (143), implicit TLS (IMAPS, 993), or none (loopback only).
TLS_MODES = ("starttls", "imaps", "none")


class CyrusError(Exception):
    """The IMAP server cannot be reached or refused the administrator: nothing was changed."""


class CyrusConnectionLost(CyrusError):
    """The connection broke while commands were in flight."""


class Command(NamedTuple):
    """One IMAP command and the texts of a NO answer that count as done."""

    text: str
    tolerated: tuple[str, ...] = ()


@dataclass
class Reply:
    """The answer to one command: ``status`` OK/NO/BAD, its text, and its untagged lines."""

    status: str
    text: str
    untagged: list[bytes] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "OK"

    def says(self, *words: str) -> bool:
        text = self.text.lower()
        return any(word.lower() in text for word in words)


def quote(value: str) -> str:
    """An IMAP quoted string. Refuses control and non-ASCII characters (never reached with our names)."""
    if not _SAFE.match(value):
        raise ValueError(f"not a printable ASCII IMAP string: {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def tokenize(line: bytes) -> list[Token]:
    """Split an untagged response line into atoms, quoted strings and parenthesised lists."""
    stack: list[list[Token]] = [[]]
    i, n = 0, len(line)
    while i < n:
        char = line[i : i + 1]
        if char in (b" ", b"\r", b"\n"):
            i += 1
        elif char == b"(":
            stack.append([])
            i += 1
        elif char == b")":
            done = stack.pop()
            stack[-1].append(done)
            i += 1
        elif char == b'"':
            i += 1
            out = bytearray()
            while i < n and line[i : i + 1] != b'"':
                if line[i : i + 1] == b"\\":
                    i += 1
                out += line[i : i + 1]
                i += 1
            stack[-1].append(bytes(out))
            i += 1
        else:
            j = i
            while j < n and line[j : j + 1] not in (b" ", b"(", b")", b"\r", b"\n"):
                j += 1
            stack[-1].append(line[i:j])
            i = j
    while len(stack) > 1:  # unbalanced: keep what was read
        done = stack.pop()
        stack[-1].append(done)
    return stack[0]


class CyrusAdmin:
    """One administrator connection to Cyrus IMAP."""

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str,
        *,
        tls: str = "starttls",
        validate_certs: bool = True,
        ca_file: Optional[str] = None,
        timeout: float = 30,
        chunk: int = 250,
        authorize: Optional[str] = None,
    ) -> None:
        self.host, self.port, self.user = host, port, user
        # SASL PLAIN with this authorization identity: the administrator authenticates and the
        # session acts as that user (Cyrus lets its admins proxy), with the user's own rights.
        self.authorize = authorize
        self._password = password
        if tls not in TLS_MODES:
            raise ValueError(f"imap_tls must be one of {', '.join(TLS_MODES)}, not {tls!r}")
        self.tls = tls
        self.validate_certs, self.ca_file = validate_certs, ca_file
        self.timeout = timeout
        self.chunk = max(1, chunk)
        self._imap: Optional[imaplib.IMAP4] = None
        self._tag = 0

    @property
    def where(self) -> str:
        return f"IMAP {self.host}:{self.port}"

    def _context(self) -> ssl.SSLContext:
        return tls_context(self.ca_file, self.validate_certs)

    def connect(self) -> None:
        """Open, secure and log in; ``CyrusError`` says host, port and what failed."""
        self.close()
        if self.tls == "none" and not clear_text_allowed(self.host):
            raise CyrusError(
                f"{self.where}: refusing to send the administrator's password without TLS to a host "
                "that is not a loopback address; set imap_tls to starttls or imaps"
            )
        imap: Optional[imaplib.IMAP4] = None
        try:
            if self.tls == "imaps":
                imap = imaplib.IMAP4_SSL(
                    self.host, self.port, ssl_context=self._context(), timeout=self.timeout
                )
            else:
                imap = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
                if self.tls == "starttls":
                    imap.starttls(ssl_context=self._context())
        except (OSError, imaplib.IMAP4.error) as exc:
            self._drop(imap)
            raise CyrusError(f"{self.where}: cannot connect with imap_tls={self.tls}: {exc}") from None
        if "LOGINDISABLED" in imap.capabilities:  # RFC 3501 6.2.3: the client must not try LOGIN
            self._drop(imap)
            raise CyrusError(
                f"{self.where}: the server announces LOGINDISABLED (no password login on this "
                f"connection, imap_tls={self.tls}); the password was not sent"
            )
        try:
            if self.authorize is None:
                imap.login(self.user, self._password)
            else:
                credentials = f"{self.authorize}\0{self.user}\0{self._password}".encode()
                imap.authenticate("PLAIN", lambda _challenge: credentials)
        except (OSError, imaplib.IMAP4.error) as exc:
            reason = exc.args[0] if exc.args else exc
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            self._drop(imap)
            acting = "" if self.authorize is None else f" as {self.authorize!r}"
            raise CyrusError(
                f"{self.where}: the administrator {self.user!r} cannot log in{acting}: {reason}"
            ) from None
        self._imap = imap

    @staticmethod
    def _drop(imap: Optional[imaplib.IMAP4]) -> None:
        if imap is not None:
            with contextlib.suppress(*_CLEANUP_ERRORS):
                imap.shutdown()

    @property
    def imap(self) -> imaplib.IMAP4:
        """The logged-in connection (opened on first use), for commands whose answers are whole
        messages (raw literals) or that change the selected mailbox."""
        if self._imap is None:
            self.connect()
        return self._imap

    @property
    def connected(self) -> bool:
        return self._imap is not None

    def close(self) -> None:
        if self._imap is not None:
            with contextlib.suppress(*_CLEANUP_ERRORS):
                self._imap.logout()
            self._imap = None

    # --- pipelining -----------------------------------------------------------------------------
    def _next_tag(self) -> str:
        self._tag += 1
        return f"D{self._tag:07d}"

    def pipeline(self, commands: Sequence[str]) -> list[Reply]:
        """Run ``commands`` (``NAME args``, already quoted) in order; one ``Reply`` each.

        Raises ``CyrusConnectionLost`` when the connection breaks: the caller knows which commands
        got an answer from the length of ``partial`` on the exception.
        """
        if self._imap is None:
            self.connect()
        replies: list[Reply] = []
        for start in range(0, len(commands), self.chunk):
            batch = commands[start : start + self.chunk]
            tags = [self._next_tag() for _command in batch]
            try:
                self._imap.send(
                    b"".join(f"{tag} {cmd}\r\n".encode("ascii") for tag, cmd in zip(tags, batch, strict=True))
                )
                for tag in tags:
                    replies.append(self._read_reply(tag))
            except (OSError, imaplib.IMAP4.abort, EOFError) as exc:
                with contextlib.suppress(*_CLEANUP_ERRORS):
                    self._imap.shutdown()
                self._imap = None
                lost = CyrusConnectionLost(f"{self.where}: connection lost: {exc or type(exc).__name__}")
                lost.partial = replies  # type: ignore[attr-defined]
                raise lost from None
        return replies

    def _line(self) -> bytes:
        line = self._imap.readline()
        if not line:
            raise EOFError("the server closed the connection")
        while True:  # a literal continues the line: {n}CRLF <n bytes> rest-of-line
            match = _LITERAL.search(line)
            if not match:
                return line
            size = int(match.group(1))
            data = self._imap.read(size)
            quoted = b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
            line = line[: match.start()] + quoted + self._imap.readline()

    def _read_reply(self, tag: str) -> Reply:
        untagged: list[bytes] = []
        prefix = tag.encode("ascii") + b" "
        while True:
            line = self._line()
            if line.startswith(prefix):
                status, _space, text = line[len(prefix) :].decode("utf-8", "replace").strip().partition(" ")
                return Reply(status.upper(), text, untagged)
            if line.startswith(b"* BYE"):
                raise imaplib.IMAP4.abort(line.decode("utf-8", "replace").strip())
            if line.startswith(b"* "):
                untagged.append(line[2:].rstrip(b"\r\n"))

    # --- the commands the backend uses -----------------------------------------------------------
    def list_mailboxes(self, *patterns: str) -> set[str]:
        """Names matching the LIST patterns (``*`` crosses the hierarchy separator ``/``, ``%`` stops)."""
        names: set[str] = set()
        for reply in self.pipeline([f'LIST "" {quote(p)}' for p in patterns]):
            if not reply.ok:
                raise CyrusError(f"{self.where}: LIST refused: {reply.status} {reply.text}")
            for line in reply.untagged:
                name = list_name(line)
                if name is not None:
                    names.add(name)
        return names

    def messages(self, mailbox: str, chunk: int = 100) -> Iterator[bytes]:
        """Every message of ``mailbox`` as raw bytes, read-only (EXAMINE, ``BODY.PEEK[]``: no flag
        changes), ``chunk`` at a time. The administrator needs the ``r`` right on it. Not pipelined:
        literals stay bytes here, where ``pipeline`` turns them into text."""
        if self._imap is None:
            self.connect()
        try:
            status, data = self._imap.select(quote(mailbox), readonly=True)
            if status != "OK":
                raise CyrusError(f"{self.where}: EXAMINE {mailbox} refused: {data}")
            count = int(data[0] or 0)
            for start in range(1, count + 1, chunk):
                last = min(count, start + chunk - 1)
                status, data = self._imap.fetch(f"{start}:{last}", "(BODY.PEEK[])")
                if status != "OK":
                    raise CyrusError(f"{self.where}: FETCH in {mailbox} refused: {data}")
                yield from (part[1] for part in data if isinstance(part, tuple))
            self._imap.close()
        except (OSError, imaplib.IMAP4.error, EOFError) as exc:
            self._drop(self._imap)
            self._imap = None
            raise CyrusError(f"{self.where}: reading {mailbox} failed: {exc}") from None


# Fast paths for the three answers a bulk read parses by the ten thousand (tokenize() is the fallback
# for anything quoted or unusual): "LIST (flags) "/" name", "QUOTA root (STORAGE used limit ...)",
# "ACL mailbox id rights id rights ...".
_LIST_LINE = re.compile(rb"^LIST \([^)]*\) (?:\"[^\"]*\"|NIL) ([^\"\s]+)$", re.IGNORECASE)
_QUOTA_LINE = re.compile(rb"^QUOTA [^\"\s]+ \(.*?\bSTORAGE (\d+) (\d+)", re.IGNORECASE)


def list_name(line: bytes) -> Optional[str]:
    """The mailbox name of an untagged LIST line, None for any other line."""
    match = _LIST_LINE.match(line)
    if match:
        return match.group(1).decode("utf-8", "replace")
    tokens = tokenize(line)
    if len(tokens) >= 4 and isinstance(tokens[0], bytes) and tokens[0].upper() == b"LIST":
        return tokens[3].decode("utf-8", "replace") if isinstance(tokens[3], bytes) else None
    return None


def parse_quota(reply: Reply) -> Optional[tuple[int, int]]:
    """``(used KB, limit KB)`` of the STORAGE resource, or None (no quota root / no limit)."""
    if not reply.ok:
        return None
    for line in reply.untagged:
        match = _QUOTA_LINE.match(line)
        if match:
            return int(match.group(1)), int(match.group(2))
        tokens = tokenize(line)
        if len(tokens) >= 3 and tokens[0].upper() == b"QUOTA" and isinstance(tokens[2], list):
            resources = tokens[2]
            for i in range(0, len(resources) - 2, 3):
                if resources[i].upper() == b"STORAGE":
                    return int(resources[i + 1]), int(resources[i + 2])
    return None


def parse_acl(reply: Reply) -> dict[str, str]:
    """``{identifier: rights}`` from a GETACL answer (empty when refused)."""
    acl: dict[str, str] = {}
    if not reply.ok:
        return acl
    for line in reply.untagged:
        tokens: list[Token] = line.split(b" ") if b'"' not in line and b"{" not in line else tokenize(line)
        if len(tokens) >= 2 and tokens[0].upper() == b"ACL":
            pairs = tokens[2:]
            for i in range(0, len(pairs) - 1, 2):
                acl[pairs[i].decode("utf-8", "replace")] = pairs[i + 1].decode("utf-8", "replace")
    return acl
