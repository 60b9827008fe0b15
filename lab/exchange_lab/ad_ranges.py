# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AD's ranged retrieval of attribute values in front of the lab's slapd.

A domain controller sends at most MaxValRange (1,500) values of one attribute in a search entry:
a larger ``member`` comes back as ``member;range=0-1499`` and the client asks for
``member;range=1500-*`` and so on; the last part is named ``<low>-*``. slapd has no such limit, so
the lab listens on AD's TCP port itself and passes every LDAP message to slapd's ldapi socket,
rewriting only
- search requests naming ``<attribute>;range=<low>-<high|*>``: slapd is asked for the attribute,
  and the entry's values are cut to the range (never more than MaxValRange);
- search entries holding an attribute with more than MaxValRange values (cut to ``0-1499``).
Everything else passes byte for byte (binds, paged controls, writes).
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import socketserver
import threading
from typing import BinaryIO, Optional
from urllib.parse import unquote

from ldap3.protocol.rfc4511 import LDAPMessage, PartialAttribute, Vals
from pyasn1.codec.ber import decoder, encoder

MAX_VAL_RANGE = 1500  # Default Query Policy, Windows Server 2003 and later
SEARCH_REQUEST = 0x63
SEARCH_ENTRY = 0x64
SEARCH_DONE = 0x65
_RANGE = re.compile(r"^([^;]+);range=(\d+)-(\d+|\*)$", re.IGNORECASE)
_log = logging.getLogger("exchange_lab.ad_ranges")

Ranges = dict[str, tuple[int, Optional[int]]]  # attribute (lower case) -> (low, high or None for *)


def read_message(stream: BinaryIO) -> Optional[bytes]:
    """One BER-framed LDAPMessage, or None at the end of the stream."""
    head = stream.read(2)
    if len(head) < 2:
        return None
    extra = b""
    length = head[1]
    if length & 0x80:
        extra = stream.read(length & 0x7F)
        length = int.from_bytes(extra, "big")
    body = stream.read(length)
    if len(body) < length:
        return None
    return head + extra + body


def message_id_and_op(message: bytes) -> tuple[int, int]:
    """The messageID and the protocolOp tag, read without decoding the message."""
    start = 2 + (message[1] & 0x7F if message[1] & 0x80 else 0)
    id_length = message[start + 1]
    message_id = int.from_bytes(message[start + 2 : start + 2 + id_length], "big", signed=True)
    return message_id, message[start + 2 + id_length]


def rewrite_request(message: bytes) -> tuple[bytes, Ranges]:
    """A search request with its ``;range=`` attributes asked whole, and the ranges asked."""
    decoded, _ = decoder.decode(message, asn1Spec=LDAPMessage())
    attributes = decoded["protocolOp"].getComponent()["attributes"]
    ranges: Ranges = {}
    for position, value in enumerate(list(attributes)):
        match = _RANGE.match(str(value))
        if match:
            name, low, high = match.groups()
            ranges[name.lower()] = (int(low), None if high == "*" else int(high))
            attributes.setComponentByPosition(position, name)
    return (encoder.encode(decoded), ranges) if ranges else (message, ranges)


def cut(values: list[bytes], low: int, high: Optional[int]) -> tuple[str, list[bytes]]:
    """The range suffix and the values AD returns for ``low-high`` (None: ``*``)."""
    last = len(values) - 1 if high is None else min(high, len(values) - 1)
    last = min(last, low + MAX_VAL_RANGE - 1)
    suffix = f"{low}-*" if last >= len(values) - 1 else f"{low}-{last}"
    return suffix, values[low : last + 1]


def rewrite_entry(message: bytes, ranges: Ranges) -> bytes:
    """A search entry whose asked ranges, and attributes over MaxValRange values, are cut."""
    decoded, _ = decoder.decode(message, asn1Spec=LDAPMessage())
    attributes = decoded["protocolOp"].getComponent()["attributes"]
    changed = False
    for position, attribute in enumerate(list(attributes)):
        name = str(attribute["type"])
        values = [bytes(v) for v in attribute["vals"]]
        asked = ranges.get(name.lower())
        if asked is None and len(values) <= MAX_VAL_RANGE:
            continue
        suffix, kept = cut(values, *(asked or (0, None)))
        replacement = PartialAttribute()
        replacement["type"] = f"{name};range={suffix}"
        replacement["vals"] = Vals().setComponents(*kept)
        attributes.setComponentByPosition(position, replacement)
        changed = True
    return encoder.encode(decoded) if changed else message


class _Connection(socketserver.StreamRequestHandler):
    server: RangeProxy

    def handle(self) -> None:
        # An answer is several small writes (entry, then done): Nagle's delay would hold the last one
        # for the client's delayed ACK (40 ms a search).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(self.server.socket_path)
        except OSError as exc:
            _log.warning("slapd unreachable at %s: %s", self.server.socket_path, exc)
            upstream.close()
            return
        asked: dict[int, Ranges] = {}
        back = threading.Thread(target=self._answers, args=(upstream, asked), daemon=True)
        back.start()
        try:
            while (message := read_message(self.rfile)) is not None:
                message_id, op = message_id_and_op(message)
                if op == SEARCH_REQUEST and b";range=" in message.lower():
                    message, ranges = rewrite_request(message)
                    if ranges:
                        asked[message_id] = ranges
                upstream.sendall(message)
        except OSError:
            pass
        finally:
            _close(upstream)
            back.join()

    def _answers(self, upstream: socket.socket, asked: dict[int, Ranges]) -> None:
        stream = upstream.makefile("rb")
        try:
            while (message := read_message(stream)) is not None:
                message_id, op = message_id_and_op(message)
                if op == SEARCH_ENTRY and (message_id in asked or len(message) > 2 * MAX_VAL_RANGE):
                    message = rewrite_entry(message, asked.get(message_id, {}))
                elif op == SEARCH_DONE:
                    asked.pop(message_id, None)
                self.wfile.write(message)
        except OSError:
            pass
        finally:
            stream.close()
            _close(self.connection)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class RangeProxy(socketserver.ThreadingTCPServer):
    """AD's LDAP port: slapd (``ldapi_uri``) behind AD's ranged retrieval."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], ldapi_uri: str) -> None:
        self.socket_path = unquote(ldapi_uri.removeprefix("ldapi://").rstrip("/"))
        super().__init__(address, _Connection)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="ad-ranges", daemon=True)
        thread.start()
        return thread
