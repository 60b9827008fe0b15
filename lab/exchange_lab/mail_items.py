# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The messages the lab's mailboxes hold: what EWS delivers on a send (each recipient's Inbox, the
sender's Sent Items on SendAndSaveCopy) and what FindItem and GetItem read back.

One row per copy in SQLite (``state/items.sqlite3``): the mailbox, its distinguished folder, the
message's header fields, its text and HTML bodies, and its MIME content exactly as the client sent it
(or, for a message built from XML fields, as the lab writes it). A message sent with MimeContent keeps
the Message-ID of its MIME as its InternetMessageId, as Exchange does; one built from fields gets one
the lab makes up.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    mailbox TEXT NOT NULL,
    folder TEXT NOT NULL,
    received TEXT NOT NULL,
    internet_message_id TEXT NOT NULL,
    content TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_folder ON items(mailbox, folder, received);
"""
_ID_PREFIX = b"danang-lab-item\x00"


class MimeError(ValueError):
    """MimeContent that is not Base64 or not a message (Exchange: ErrorMimeContentConversionFailed)."""


@dataclass
class Content:
    """One message as EWS reports it."""

    subject: str = ""
    sender: str = ""
    sender_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    text: str = ""
    html: str = ""
    internet_message_id: str = ""
    mime: str = ""  # Base64 of the MIME content

    def as_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)


def from_mime(encoded: str) -> Content:
    """The message of a MimeContent element's text (Base64), parsed as Exchange converts it."""
    try:
        raw = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise MimeError("The MIME content is not valid Base64.") from None
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not raw.strip() or not message.keys():
        raise MimeError("The MIME content holds no message headers.")
    senders = getaddresses([str(message.get("From", ""))])
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return Content(
        subject=str(message.get("Subject", "")),
        sender=senders[0][1] if senders else "",
        sender_name=senders[0][0] if senders else "",
        **{
            kind: [a for _n, a in getaddresses([str(v) for v in message.get_all(kind, [])]) if a]
            for kind in ("to", "cc", "bcc")
        },
        text=text.get_content() if text is not None else "",
        html=html.get_content() if html is not None else "",
        internet_message_id=str(message.get("Message-ID", "")).strip(),
        mime=base64.b64encode(raw).decode("ascii"),
    )


def to_mime(content: Content, host: str) -> Content:
    """``content`` (built from XML fields) with the MIME and Message-ID the lab gives it."""
    message = EmailMessage()
    if content.sender:
        message["From"] = Address(content.sender_name, addr_spec=content.sender)
    for kind in ("to", "cc"):
        if getattr(content, kind):
            message[kind.capitalize()] = ", ".join(getattr(content, kind))
    message["Subject"] = content.subject
    content.internet_message_id = content.internet_message_id or f"<{uuid.uuid4().hex}@{host}>"
    message["Message-ID"] = content.internet_message_id
    message.set_content(content.text or "")
    if content.html:
        message.add_alternative(content.html, subtype="html")
    content.mime = base64.b64encode(message.as_bytes()).decode("ascii")
    return content


def item_id(mailbox: str, folder: str) -> str:
    return base64.b64encode(_ID_PREFIX + f"{mailbox.lower()}\x00{folder}\x00{uuid.uuid4()}".encode()).decode()


def decode_item_id(value: str) -> tuple[str, str] | None:
    """(mailbox, folder) an item id names, or None when it is not one of the lab's."""
    try:
        raw = base64.b64decode(value, validate=True)
        mailbox, folder, _unique = raw.removeprefix(_ID_PREFIX).decode().split("\x00")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (mailbox, folder) if raw.startswith(_ID_PREFIX) else None


@dataclass(frozen=True)
class Item:
    id: str
    mailbox: str
    folder: str
    received: str
    content: Content


class ItemStore:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def add(self, mailbox: str, folder: str, received: str, content: Content) -> str:
        new_id = item_id(mailbox, folder)
        with self._lock:
            self._db.execute(
                "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)",
                (new_id, mailbox.lower(), folder, received, content.internet_message_id, content.as_json()),
            )
        return new_id

    def find(self, mailbox: str, folder: str, message_id: str | None = None) -> list[Item]:
        """The folder's items, newest first (Exchange's default order), those with this
        InternetMessageId only when ``message_id`` is given (compared exactly, as EWS does)."""
        query = "SELECT * FROM items WHERE mailbox = ? AND folder = ?"
        args: list[Any] = [mailbox.lower(), folder]
        if message_id is not None:
            query += " AND internet_message_id = ?"
            args.append(message_id)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY received DESC, rowid DESC", args).fetchall()
        return [_item(row) for row in rows]

    def get(self, identifier: str) -> Item | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM items WHERE id = ?", (identifier,)).fetchone()
        return None if row is None else _item(row)

    def count(self, mailbox: str, folder: str) -> int:
        with self._lock:
            (n,) = self._db.execute(
                "SELECT COUNT(*) FROM items WHERE mailbox = ? AND folder = ?", (mailbox.lower(), folder)
            ).fetchone()
        return n


def _item(row: tuple[Any, ...]) -> Item:
    identifier, mailbox, folder, received, _mid, content = row
    return Item(identifier, mailbox, folder, received, Content(**json.loads(content)))
