# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GetFolder and CreateItem: just enough mailbox for exchangelib to send a message.

Every mailbox has the standard distinguished folders (empty: the lab stores no items). Sending
(MessageDisposition SendOnly or SendAndSaveCopy) records the message as one JSON file under
``<state_dir>/sent/`` for tests to read; nothing is delivered. The recipients a transport rule
rejects are recorded in it as the NDR Exchange returns to the sender (``mail_flow``). The lab keeps
no drafts, so SaveOnly is refused with a message saying so. A message From another mailbox needs
Send As on it (``access.send_as``), else ErrorSendAsDenied.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from lxml import etree

from . import access
from .ews_soap import (
    MNS,
    TNS,
    ResponseError,
    SchemaError,
    children,
    invalid_child,
    m,
    require,
    response_message,
    sub,
    t,
    text,
)
from .inbox_rules import is_smtp_address
from .mail_flow import rejections

# distinguished id -> (display name, folder class, parent, element name)
FOLDERS: dict[str, tuple[str, str | None, str | None, str]] = {
    "root": ("", None, None, "Folder"),
    "msgfolderroot": ("Top of Information Store", None, "root", "Folder"),
    "inbox": ("Inbox", "IPF.Note", "msgfolderroot", "Folder"),
    "sentitems": ("Sent Items", "IPF.Note", "msgfolderroot", "Folder"),
    "drafts": ("Drafts", "IPF.Note", "msgfolderroot", "Folder"),
    "deleteditems": ("Deleted Items", "IPF.Note", "msgfolderroot", "Folder"),
    "outbox": ("Outbox", "IPF.Note", "msgfolderroot", "Folder"),
    "junkemail": ("Junk Email", "IPF.Note", "msgfolderroot", "Folder"),
    "calendar": ("Calendar", "IPF.Appointment", "msgfolderroot", "CalendarFolder"),
    "contacts": ("Contacts", "IPF.Contact", "msgfolderroot", "ContactsFolder"),
    "tasks": ("Tasks", "IPF.Task", "msgfolderroot", "TasksFolder"),
    "notes": ("Notes", "IPF.StickyNote", "msgfolderroot", "Folder"),
    "journal": ("Journal", "IPF.Journal", "msgfolderroot", "Folder"),
}
DEFAULT_PROPERTIES = ("DisplayName", "TotalCount", "ChildFolderCount", "UnreadCount")
ALL_PROPERTIES = (
    "ParentFolderId",
    "FolderClass",
    *DEFAULT_PROPERTIES,
    "EffectiveRights",
    "DistinguishedFolderId",
)
RIGHTS = (
    "CreateAssociated",
    "CreateContents",
    "CreateHierarchy",
    "Delete",
    "Modify",
    "Read",
    "ViewPrivateItems",
)
CHANGE_KEY = "AQAAABYAAAA="
_ID_PREFIX = b"danang-lab-folder\x00"
DISPOSITIONS = ("SaveOnly", "SendOnly", "SendAndSaveCopy")


def folder_id(address: str, name: str) -> str:
    return base64.b64encode(_ID_PREFIX + f"{address.lower()}\x00{name}".encode()).decode()


def _decode_folder_id(value: str) -> tuple[str, str]:
    try:
        raw = base64.b64decode(value, validate=True)
        address, name = raw.removeprefix(_ID_PREFIX).decode().split("\x00")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ResponseError("ErrorInvalidIdMalformed", "Id is malformed.") from None
    if not raw.startswith(_ID_PREFIX) or name not in FOLDERS:
        raise ResponseError("ErrorInvalidIdMalformed", "Id is malformed.")
    return address, name


def _resolve_folder(session: Any, elem: etree._Element) -> tuple[Any, str]:
    """The mailbox (opened, so checked and stamped) and distinguished name a folder id names."""
    if elem.tag == t("FolderId"):
        address, name = _decode_folder_id(elem.get("Id") or "")
        return session.open_mailbox(address), name
    if elem.tag != t("DistinguishedFolderId"):
        raise invalid_child("FolderIds", elem)
    found = children(elem, ("ChangeKey", "Mailbox"))
    address = None
    if "Mailbox" in found:
        mailbox = children(found["Mailbox"], ("Name", "EmailAddress", "RoutingType", "MailboxType", "ItemId"))
        address = text(mailbox.get("EmailAddress")).strip() or None
    ref = session.open_mailbox(address)
    name = elem.get("Id") or ""
    if name not in FOLDERS:
        raise ResponseError("ErrorFolderNotFound", "The specified folder could not be found in the store.")
    return ref, name


def get_folder(session: Any, request: etree._Element) -> etree._Element:
    found = children(request, ("FolderShape", "FolderIds"), ns=MNS)
    require(found, "GetFolder", "FolderShape", "FolderIds")
    properties = _requested_properties(found["FolderShape"])
    response = etree.Element(m("GetFolderResponse"), nsmap={"m": MNS, "t": TNS})
    messages = sub(response, m("ResponseMessages"))
    for elem in found["FolderIds"]:
        if not isinstance(elem.tag, str):
            continue
        try:
            ref, name = _resolve_folder(session, elem)
        except ResponseError as e:
            messages.append(response_message("GetFolderResponseMessage", e))
            continue
        message = response_message("GetFolderResponseMessage")
        _folder_xml(sub(message, m("Folders")), ref.primary_smtp_address, name, properties)
        messages.append(message)
    return response


def _requested_properties(shape: etree._Element) -> set[str]:
    found = children(shape, ("BaseShape", "AdditionalProperties"))
    require(found, "FolderShape", "BaseShape")
    base = text(found["BaseShape"]).strip()
    if base not in ("IdOnly", "Default", "AllProperties"):
        raise SchemaError(f"The value '{base}' is invalid according to its datatype 'DefaultShapeNamesType'.")
    wanted = {"IdOnly": set(), "Default": set(DEFAULT_PROPERTIES), "AllProperties": set(ALL_PROPERTIES)}[base]
    for uri in found.get("AdditionalProperties", ()):
        if uri.tag == t("FieldURI") and (uri.get("FieldURI") or "").startswith("folder:"):
            wanted.add(uri.get("FieldURI").removeprefix("folder:"))
    return wanted


def _folder_xml(parent: etree._Element, address: str, name: str, wanted: set[str]) -> None:
    display, folder_class, parent_name, element = FOLDERS[name]
    folder = sub(parent, t(element))
    sub(folder, t("FolderId"), Id=folder_id(address, name), ChangeKey=CHANGE_KEY)
    if "ParentFolderId" in wanted and parent_name:
        sub(folder, t("ParentFolderId"), Id=folder_id(address, parent_name), ChangeKey=CHANGE_KEY)
    if "FolderClass" in wanted and folder_class:
        sub(folder, t("FolderClass"), folder_class)
    if "DisplayName" in wanted:
        sub(folder, t("DisplayName"), display)
    if "TotalCount" in wanted:
        sub(folder, t("TotalCount"), "0")
    if "ChildFolderCount" in wanted:
        sub(folder, t("ChildFolderCount"), str(sum(1 for f in FOLDERS.values() if f[2] == name)))
    if "EffectiveRights" in wanted:
        rights = sub(folder, t("EffectiveRights"))
        for right in RIGHTS:
            sub(rights, t(right), "true")
    if "DistinguishedFolderId" in wanted:
        sub(folder, t("DistinguishedFolderId"), name)
    if "UnreadCount" in wanted and element in ("Folder", "TasksFolder"):
        sub(folder, t("UnreadCount"), "0")


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
        ref, saved_to = _resolve_folder(session, folder_ids[0])
    else:
        ref, saved_to = session.open_mailbox(None), "sentitems" if disposition == "SendAndSaveCopy" else None
    sender = _sender(session, ref, _addresses(item.find(t("From"))))
    recipients = {
        kind: _addresses(item.find(t(f"{kind.capitalize()}Recipients"))) for kind in ("to", "cc", "bcc")
    }
    if not any(recipients.values()):
        raise ResponseError(
            "ErrorInvalidRecipients",
            "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
        )
    for address in (a for addresses in recipients.values() for a in addresses):
        if not is_smtp_address(address):
            raise ResponseError(
                "ErrorInvalidRecipients",
                f"At least one recipient isn't valid., Recipient \"{address}\" isn't resolved. "
                "All recipients must be resolved before a message can be submitted.",
            )
    body = item.find(t("Body"))
    now = session.lab.clock.now()
    _record(
        session.lab.state_dir / "sent",
        now.strftime("%Y%m%dT%H%M%S.%f"),
        {
            "time": now.isoformat(),
            "authenticated_user": session.user,
            "mailbox": ref.primary_smtp_address,
            "sender": sender,
            **recipients,
            "subject": text(item.find(t("Subject"))),
            "body": text(body),
            "body_type": "Text" if body is None else body.get("BodyType", "Text"),
            "disposition": disposition,
            "saved_to": saved_to,
            "rejected": rejections(session.lab, [a for addresses in recipients.values() for a in addresses]),
        },
    )


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
