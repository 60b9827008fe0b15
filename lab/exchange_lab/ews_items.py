# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GetFolder: the folders of a mailbox, as exchangelib opens them before it sends or searches.

Every mailbox has the standard distinguished folders; the messages in them are ``mail_items``'
(CreateItem in ``ews_send``, FindItem and GetItem in ``ews_find``). ``resolve_folder`` turns a
folder id of a request into the opened mailbox and the folder's distinguished name.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from lxml import etree

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


def resolve_folder(session: Any, elem: etree._Element) -> tuple[Any, str]:
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
            ref, name = resolve_folder(session, elem)
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
