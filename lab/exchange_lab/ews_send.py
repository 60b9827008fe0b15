# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CreateItem of a message that is sent (MessageDisposition SendOnly or SendAndSaveCopy).

The message comes either as fields (Subject, Body, From, To/Cc/BccRecipients) or as MimeContent
(Base64 of the whole RFC 5322 message, which Exchange converts: its headers give the subject, the
sender, the recipients and the Message-ID; fields given beside it are added, as Exchange does).
Sending:

- records the message as one JSON file under ``<state_dir>/sent/`` (what earlier tests read), with
  the NDR entries of the recipients a transport rule rejects (``mail_flow``);
- delivers a copy into the Inbox of every recipient that is a mailbox of the lab and that no rule
  rejected (``mail_items``); outside recipients are only recorded;
- on SendAndSaveCopy, keeps a copy in the sending mailbox's Sent Items (or the SavedItemFolderId).

Refused as Exchange refuses them: no MessageDisposition (ErrorMessageDispositionRequired), SaveOnly
(the lab keeps no drafts), no recipient or one that is not an SMTP address (ErrorInvalidRecipients),
MimeContent that is not Base64 or holds no message (ErrorMimeContentConversionFailed), a From of
another mailbox without Send As on it (ErrorSendAsDenied, ``access.send_as``). Each item of a request
gets its own response message, so one refused message does not stop the next.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from lxml import etree

from . import access
from .ews_items import resolve_folder
from .ews_soap import (
    MNS,
    TNS,
    ResponseError,
    SchemaError,
    children,
    m,
    require,
    response_message,
    sub,
    t,
    text,
)
from .inbox_rules import is_smtp_address
from .mail_flow import rejections
from .mail_items import Content, MimeError, from_mime, to_mime

DISPOSITIONS = ("SaveOnly", "SendOnly", "SendAndSaveCopy")
LAB_HOST = "EXLAB01.danang.gov.vn"


def create_item(session: Any, request: etree._Element) -> etree._Element:
    found = children(request, ("SavedItemFolderId", "Items"), ns=MNS)
    require(found, "CreateItem", "Items")
    disposition = request.get("MessageDisposition")
    if disposition is not None and disposition not in DISPOSITIONS:
        raise SchemaError(f"The 'MessageDisposition' attribute value '{disposition}' is invalid.")
    response = etree.Element(m("CreateItemResponse"), nsmap={"m": MNS, "t": TNS})
    messages = sub(response, m("ResponseMessages"))
    for item in found["Items"]:
        if not isinstance(item.tag, str):
            continue
        try:
            _send(session, item, disposition, found.get("SavedItemFolderId"))
        except ResponseError as e:
            messages.append(response_message("CreateItemResponseMessage", e))
            continue
        message = response_message("CreateItemResponseMessage")
        sub(message, m("Items"))
        messages.append(message)
    return response


def _send(
    session: Any, item: etree._Element, disposition: str | None, saved_folder: etree._Element | None
) -> None:
    if item.tag != t("Message"):
        raise ResponseError("ErrorInvalidOperation", "The lab's EWS endpoint creates messages only.")
    if disposition is None:
        raise ResponseError("ErrorMessageDispositionRequired", "MessageDisposition attribute is required.")
    if disposition == "SaveOnly":
        raise ResponseError("ErrorInvalidOperation", "The lab keeps no drafts: send, do not save.")
    folder_ids = [] if saved_folder is None else [e for e in saved_folder if isinstance(e.tag, str)]
    if disposition == "SendAndSaveCopy" and folder_ids:
        ref, saved_to = resolve_folder(session, folder_ids[0])
    else:
        ref, saved_to = session.open_mailbox(None), "sentitems" if disposition == "SendAndSaveCopy" else None
    content = _content(item)
    given_from = _addresses(item.find(t("From"))) or ([content.sender] if content.sender else [])
    content.sender = _sender(session, ref, given_from)
    recipients = [a for kind in ("to", "cc", "bcc") for a in getattr(content, kind)]
    if not recipients:
        raise ResponseError(
            "ErrorInvalidRecipients",
            "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
        )
    for address in recipients:
        if not is_smtp_address(address):
            raise ResponseError(
                "ErrorInvalidRecipients",
                f"At least one recipient isn't valid., Recipient \"{address}\" isn't resolved. "
                "All recipients must be resolved before a message can be submitted.",
            )
    if not content.mime:
        to_mime(content, LAB_HOST)
    now = session.lab.clock.now()
    rejected = rejections(session.lab, recipients)
    _record(
        session.lab.state_dir / "sent",
        now.strftime("%Y%m%dT%H%M%S.%f"),
        {
            "time": now.isoformat(),
            "authenticated_user": session.user,
            "mailbox": ref.primary_smtp_address,
            "sender": content.sender,
            "to": content.to,
            "cc": content.cc,
            "bcc": content.bcc,
            "subject": content.subject,
            "body": content.html or content.text,
            "body_type": "HTML" if content.html else "Text",
            "internet_message_id": content.internet_message_id,
            "disposition": disposition,
            "saved_to": saved_to,
            "rejected": rejected,
        },
    )
    _deliver(session.lab, ref, content, saved_to, {r["recipient"].lower() for r in rejected}, now.isoformat())


def _content(item: etree._Element) -> Content:
    """The message of a Message element: its MimeContent converted, the fields given beside it added."""
    mime = item.find(t("MimeContent"))
    try:
        content = from_mime(text(mime)) if mime is not None else Content()
    except MimeError as e:
        raise ResponseError("ErrorMimeContentConversionFailed", str(e)) from None
    subject = item.find(t("Subject"))
    if subject is not None:
        content.subject = text(subject)
    body = item.find(t("Body"))
    if body is not None:
        body_type = body.get("BodyType", "Text")
        if body_type not in ("Text", "HTML"):
            raise SchemaError(f"The 'BodyType' attribute value '{body_type}' is invalid.")
        content.text, content.html = (text(body), "") if body_type == "Text" else ("", text(body))
    for kind in ("to", "cc", "bcc"):
        getattr(content, kind).extend(_addresses(item.find(t(f"{kind.capitalize()}Recipients"))))
    return content


def _deliver(
    lab: Any, ref: Any, content: Content, saved_to: str | None, rejected: set[str], now: str
) -> None:
    """A copy in each lab mailbox among the recipients (once each), and the sender's saved copy."""
    delivered: set[str] = set()
    for address in (a for kind in ("to", "cc", "bcc") for a in getattr(content, kind)):
        target = lab.directory.resolve_mailbox(address)
        if target is None or address.lower() in rejected or target.dn in delivered:
            continue
        delivered.add(target.dn)
        lab.items.add(target.primary_smtp_address, "inbox", now, content)
    if saved_to is not None:
        lab.items.add(ref.primary_smtp_address, saved_to, now, content)


def _sender(session: Any, ref: Any, given: list[str]) -> str:
    """The From address: the sending mailbox's own, or one the user holds Send As on."""
    if not given or given[0].lower() == ref.primary_smtp_address.lower():
        return ref.primary_smtp_address
    other = session.lab.directory.resolve_mailbox(given[0])
    if (
        other is None
        or session.principal is None
        or not access.send_as(session.lab, session.principal, other)
    ):
        raise ResponseError(
            "ErrorSendAsDenied",
            "The user account which was used to submit this request does not have the right to send mail on "
            "behalf of the specified sending account.",
        )
    return other.primary_smtp_address


def _addresses(elem: etree._Element | None) -> list[str]:
    if elem is None:
        return []
    return [text(mailbox.find(t("EmailAddress"))).strip() for mailbox in elem.iter(t("Mailbox"))]


def _record(sent: Path, stamp: str, message: dict[str, Any]) -> None:
    sent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=sent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(message, f, ensure_ascii=False, indent=1)
    # Renamed only when complete, so a test reading sent/*.json never sees half a message.
    os.replace(tmp, sent / f"{stamp}-{uuid.uuid4().hex}.json")
