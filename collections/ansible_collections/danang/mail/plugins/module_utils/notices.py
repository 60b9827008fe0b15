# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Notifications the collection mails itself (R-22, R-23, R-44, R-47, R-50): the model, the
Message-ID and the composed message.

A ``Notification`` is one thing one address must be told, named by a stable ``key``
(``request-result:<record id>``, ``password-warn:<address>:<due>``, ``reclaim:<address>:<kind>:<due>``,
``forward-removed:<address>:<target>:<removed_on>``, ``r47:<recorded_on>:<sha256>``). Its Message-ID
is derived from the key alone, so a message sent before a crash is found again by its id and never sent twice.

An initial password never travels by mail: a context value that looks like one of the credentials
the collection hands over (a key naming a password) is refused before anything is composed.
"""

from __future__ import annotations

import datetime
import email.policy
import hashlib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE

# The kinds, each with its template (``<template>.subject.j2``, ``.txt.j2``, ``.html.j2``).
REQUEST_RESULT = "request_result"  # to the requesting agency
PASSWORD_WARN = "password_warn"  # to the holder
RECLAIM_WARN = "reclaim_warn"  # to the holder, before the reclaim
RECLAIMED = "reclaimed"  # to the holder, once reclaimed
FORWARD_REMOVED = "forward_removed"  # to the holder
R47_LIST = "r47_list"  # to the Department
KINDS = (REQUEST_RESULT, PASSWORD_WARN, RECLAIM_WARN, RECLAIMED, FORWARD_REMOVED, R47_LIST)

# Words that name a secret: a context holding one under such a key is refused (initial passwords
# stay in the encrypted credentials hand-over, never in a mail).
_SECRET_WORDS = ("password", "mat_khau", "matkhau", "secret", "credential")
# The composed message's policy: lines of at most 78 characters, headers RFC 2047-encoded (no
# SMTPUTF8: every hop of both systems accepts it).
POLICY = email.policy.default.clone(max_line_length=78, utf8=False)


class SecretInNotice(ValueError):
    """A notification's context carries something named like a password."""


@dataclass(frozen=True)
class Notification:
    key: str
    kind: str
    recipient: str  # one address, lower case
    on: datetime.date  # the day it became news (max_age_days counts from it)
    context: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def template(self) -> str:
        return self.kind

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "recipient": self.recipient, "on": self.on.isoformat()}


def message_id(key: str, domain: str) -> str:
    """``<`` + the first 32 hex digits of sha256(key) + ``.danang-mail@<domain>>``: one key, one id."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}.danang-mail@{domain}>"


def nfc(value: Any) -> Any:
    """Every text in ``value`` (nested lists and mappings too) in Unicode NFC (Vietnamese accents
    composed, as the templates are written)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Mapping):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [nfc(v) for v in value]
    return value


def check_no_secret(value: Any, where: str = "context") -> None:
    """Raise ``SecretInNotice`` when any key of ``value`` (nested) names a password or secret."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            lowered = str(key).lower().replace("-", "_")
            if any(word in lowered for word in _SECRET_WORDS):
                raise SecretInNotice(f"{where}.{key}: a notification never carries a password")
            check_no_secret(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_no_secret(item, f"{where}[{index}]")


def _one_line(text: str) -> str:
    """A header value on one line: line breaks (header injection) become spaces."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _address(address: str, name: str = "") -> Address:
    # ASCII only: the message goes without SMTPUTF8, where Python would write a non-ASCII local
    # part as an encoded word (an address no server delivers) and smtplib refuses it mid-batch.
    text = address.strip()
    local, _at, domain = text.rpartition("@")
    if (
        not local
        or not domain
        or not text.isascii()
        or not text.isprintable()
        or any(c.isspace() or c in '<>,;"()[]\\' for c in text)
    ):
        raise ValueError(f"not one mail address: {address!r}")
    return Address(display_name=_one_line(name), username=local, domain=domain)


def compose(
    notification: Notification,
    *,
    sender: Mapping[str, str],
    domain: str,
    now: datetime.datetime,
    subject: str,
    text: str,
    html: str,
) -> EmailMessage:
    """The message for ``notification``: From ``sender`` (``address``, ``name``), To its one
    recipient, the Subject, Date (``now`` on the city's clock), the key's Message-ID,
    ``Auto-Submitted: auto-generated`` (RFC 3834: no vacation replies), text and HTML alternatives."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    message = EmailMessage(policy=POLICY)
    message["From"] = _address(sender["address"], sender.get("name", ""))
    message["To"] = _address(notification.recipient)
    message["Subject"] = _one_line(subject)
    message["Date"] = format_datetime(now.astimezone(CITY_TIMEZONE))
    message["Message-ID"] = message_id(notification.key, domain)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"  # Exchange's own switch for the same
    message.set_content(
        unicodedata.normalize("NFC", text), subtype="plain", charset="utf-8", cte="quoted-printable"
    )
    message.add_alternative(
        unicodedata.normalize("NFC", html), subtype="html", charset="utf-8", cte="quoted-printable"
    )
    return message
