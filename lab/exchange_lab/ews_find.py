# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""FindItem and GetItem over the messages the lab delivered (``mail_items``), as exchangelib 5 asks.

FindItem: ``Traversal="Shallow"`` (SoftDeleted and Associated items the lab has none of; any other
value fails schema validation), one response message per parent folder, paged by
``IndexedPageItemView`` (MaxEntriesReturned, Offset, BasePoint Beginning or End; RootFolder tells
IndexedPagingOffset, TotalItemsInView and IncludesLastItemInRange), newest first. The one
restriction the lab evaluates is ``IsEqualTo`` of ``message:InternetMessageId`` with a constant
(what finding a message by its Message-ID needs); any other restriction, a sort order or a grouping
is refused with a fault naming it, so a client path the lab does not cover fails loudly.

GetItem: the items by id, each checked against the caller's right to open its mailbox.

Both answer the properties the item shape asks for (BaseShape IdOnly, Default or AllProperties,
plus AdditionalProperties) among those the lab keeps: ItemId, ParentFolderId, ItemClass, Subject,
Body (BodyType Best, HTML or Text), TextBody, MimeContent, DateTimeReceived, DateTimeSent, Sender,
From, ToRecipients, CcRecipients, InternetMessageId, IsRead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lxml import etree

from .ews_items import CHANGE_KEY, folder_id, resolve_folder
from .ews_soap import (
    MNS,
    TNS,
    Fault,
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
from .mail_items import Item, decode_item_id

TRAVERSALS = ("Shallow", "SoftDeleted", "Associated")
_FIELD = re.compile(r"^(item|message):[A-Za-z]+$")
DEFAULT = {"ItemId", "ParentFolderId", "ItemClass", "Subject", "DateTimeReceived", "DateTimeSent",
           "Sender", "From", "ToRecipients", "CcRecipients", "IsRead"}  # fmt: skip
ALL = DEFAULT | {"Body", "InternetMessageId", "TextBody"}
OTHER_CLASSES = ("folder", "calendar", "contacts", "task", "conversation", "persona", "meeting",
                 "meetingRequest", "postitem", "distributionlist")  # fmt: skip
# Properties FindItem does not return (Exchange: "ErrorInvalidPropertyRequest"); GetItem does.
COMPLEX = frozenset({"Body", "MimeContent", "TextBody", "Attachments", "ToRecipients", "CcRecipients",
                     "BccRecipients", "UniqueBody"})  # fmt: skip
INVALID_PROPERTY = ResponseError("ErrorInvalidPropertyRequest", "Property is not valid for this object type.")
NOT_FOUND = ResponseError("ErrorItemNotFound", "The specified object was not found in the store.")


def find_item(session: Any, request: etree._Element) -> etree._Element:
    traversal = request.get("Traversal")
    if traversal not in TRAVERSALS:
        raise SchemaError(f"The 'Traversal' attribute value '{traversal}' is invalid.")
    found = children(
        request,
        ("ItemShape", "IndexedPageItemView", "FractionalPageItemView", "CalendarView", "ContactsView",
         "GroupBy", "DistinguishedGroupBy", "Restriction", "SortOrder", "ParentFolderIds", "QueryString"),
        ns=MNS,
    )  # fmt: skip
    require(found, "FindItem", "ItemShape", "ParentFolderIds")
    for unsupported in ("FractionalPageItemView", "CalendarView", "ContactsView", "GroupBy",
                        "DistinguishedGroupBy", "SortOrder", "QueryString"):  # fmt: skip
        if unsupported in found:
            raise Fault("ErrorInvalidOperation", f"The lab's FindItem does not implement {unsupported}.")
    wanted, body_type = _shape(found["ItemShape"])
    message_id = _restriction(found.get("Restriction"))
    limit, offset, from_end = _page(found.get("IndexedPageItemView"))
    response = etree.Element(m("FindItemResponse"), nsmap={"m": MNS, "t": TNS})
    messages = sub(response, m("ResponseMessages"))
    for elem in found["ParentFolderIds"]:
        if not isinstance(elem.tag, str):
            continue
        try:
            ref, name = resolve_folder(session, elem)
            if wanted & COMPLEX:
                raise INVALID_PROPERTY
        except ResponseError as e:
            messages.append(response_message("FindItemResponseMessage", e))
            continue
        # Only Shallow traversal reaches the items the lab keeps (none are soft-deleted or associated).
        shallow = traversal == "Shallow"
        items = session.lab.items.find(ref.primary_smtp_address, name, message_id) if shallow else []
        count = len(items) if limit is None else limit
        start = max(0, len(items) - offset - count) if from_end else offset
        page = items[start : start + count]
        message = response_message("FindItemResponseMessage")
        root = sub(
            message,
            m("RootFolder"),
            IndexedPagingOffset=str(start + len(page)),
            TotalItemsInView=str(len(items)),
            IncludesLastItemInRange="true" if start + len(page) >= len(items) else "false",
        )
        container = sub(root, t("Items"))
        for item in page:
            _item_xml(container, item, wanted, body_type)
        messages.append(message)
    return response


def get_item(session: Any, request: etree._Element) -> etree._Element:
    found = children(request, ("ItemShape", "ItemIds"), ns=MNS)
    require(found, "GetItem", "ItemShape", "ItemIds")
    wanted, body_type = _shape(found["ItemShape"])
    response = etree.Element(m("GetItemResponse"), nsmap={"m": MNS, "t": TNS})
    messages = sub(response, m("ResponseMessages"))
    for elem in found["ItemIds"]:
        if not isinstance(elem.tag, str):
            continue
        try:
            item = _get(session, elem)
        except ResponseError as e:
            messages.append(response_message("GetItemResponseMessage", e))
            continue
        message = response_message("GetItemResponseMessage")
        _item_xml(sub(message, m("Items")), item, wanted, body_type)
        messages.append(message)
    return response


def _get(session: Any, elem: etree._Element) -> Item:
    if elem.tag != t("ItemId"):
        raise ResponseError("ErrorInvalidIdMalformed", "Id is malformed.")
    named = decode_item_id(elem.get("Id") or "")
    if named is None:
        raise ResponseError("ErrorInvalidIdMalformed", "Id is malformed.")
    session.open_mailbox(named[0])  # the caller's right to the mailbox, before the item exists or not
    item = session.lab.items.get(elem.get("Id"))
    if item is None:
        raise NOT_FOUND
    return item


def _shape(shape: etree._Element) -> tuple[set[str], str]:
    found = children(shape, ("BaseShape", "IncludeMimeContent", "BodyType", "FilterHtmlContent",
                             "ConvertHtmlCodePageToUTF8", "AdditionalProperties"))  # fmt: skip
    require(found, "ItemShape", "BaseShape")
    base = text(found["BaseShape"]).strip()
    if base not in ("IdOnly", "Default", "AllProperties"):
        raise SchemaError(f"The value '{base}' is invalid according to its datatype 'DefaultShapeNamesType'.")
    wanted = {"IdOnly": {"ItemId"}, "Default": set(DEFAULT), "AllProperties": set(ALL)}[base]
    if text(found.get("IncludeMimeContent")).strip() == "true":
        wanted.add("MimeContent")
    body_type = text(found.get("BodyType")).strip() or "Best"
    if body_type not in ("Best", "HTML", "Text"):
        raise SchemaError(f"The value '{body_type}' is invalid for its datatype 'BodyTypeResponseType'.")
    for uri in found.get("AdditionalProperties", ()):
        if not isinstance(uri.tag, str) or uri.tag != t("FieldURI"):
            continue  # extended and indexed properties: the lab keeps none, Exchange omits unset ones
        value = uri.get("FieldURI") or ""
        if not _FIELD.match(value):
            if value.partition(":")[0] in OTHER_CLASSES:
                continue  # another item class's property: not set on a message, so omitted
            raise SchemaError(f"The 'FieldURI' attribute is invalid - The value '{value}' is invalid.")
        wanted.add(value.partition(":")[2])
    return wanted, body_type


def _restriction(elem: etree._Element | None) -> str | None:
    """The Message-ID an ``IsEqualTo message:InternetMessageId`` restriction asks for (None: none)."""
    if elem is None:
        return None
    tests = [child for child in elem if isinstance(child.tag, str)]
    if len(tests) != 1:
        raise SchemaError("The element 'Restriction' must hold exactly one search expression.")
    test = tests[0]
    uri = test.find(t("FieldURI"))
    constant = test.find(f"{{{TNS}}}FieldURIOrConstant/{{{TNS}}}Constant")
    if test.tag != t("IsEqualTo") or uri is None or uri.get("FieldURI") != "message:InternetMessageId":
        what = etree.QName(test).localname + ("" if uri is None else f" on {uri.get('FieldURI')}")
        raise Fault("ErrorInvalidOperation", f"The lab's FindItem does not implement the restriction {what}.")
    if constant is None or constant.get("Value") is None:
        raise Fault("ErrorInvalidOperation", "The lab compares InternetMessageId with a constant only.")
    return constant.get("Value")


def _page(view: etree._Element | None) -> tuple[int | None, int, bool]:
    """(MaxEntriesReturned or None, Offset, counted from the end) of an IndexedPageItemView
    (IndexedPageViewType: Offset and BasePoint required, MaxEntriesReturned optional)."""
    if view is None:
        return None, 0, False
    base = view.get("BasePoint")
    if base not in ("Beginning", "End"):
        raise SchemaError(f"The 'BasePoint' attribute value '{base}' is invalid.")
    limit = _whole(view, "MaxEntriesReturned", 1) if view.get("MaxEntriesReturned") is not None else None
    return limit, _whole(view, "Offset", 0), base == "End"


def _whole(view: etree._Element, name: str, minimum: int) -> int:
    raw = view.get(name) or ""
    if not raw.strip().isdigit() or int(raw) < minimum:
        raise SchemaError(f"The '{name}' attribute value '{raw}' is invalid.")
    return int(raw)


def _mailbox(parent: etree._Element, tag: str, addresses: Iterable[tuple[str, str]]) -> None:
    """``<tag>`` holding one Mailbox per (name, address): recipients, or a Sender or From."""
    container = sub(parent, t(tag))
    for name, address in addresses:
        box = sub(container, t("Mailbox"))
        if name:
            sub(box, t("Name"), name)
        sub(box, t("EmailAddress"), address)
        sub(box, t("RoutingType"), "SMTP")
        sub(box, t("MailboxType"), "Mailbox")


def _item_xml(parent: etree._Element, item: Item, wanted: set[str], body_type: str) -> None:
    c = item.content
    message = sub(parent, t("Message"))
    if "MimeContent" in wanted:
        sub(message, t("MimeContent"), c.mime, CharacterSet="UTF-8")
    sub(message, t("ItemId"), Id=item.id, ChangeKey=CHANGE_KEY)
    if "ParentFolderId" in wanted:
        sub(message, t("ParentFolderId"), Id=folder_id(item.mailbox, item.folder), ChangeKey=CHANGE_KEY)
    if "ItemClass" in wanted:
        sub(message, t("ItemClass"), "IPM.Note")
    if "Subject" in wanted:
        sub(message, t("Subject"), c.subject)
    if "Body" in wanted:
        html = body_type in ("Best", "HTML") and bool(c.html)
        sub(message, t("Body"), c.html if html else c.text, BodyType="HTML" if html else "Text")
    for name in ("DateTimeReceived", "DateTimeSent"):
        if name in wanted:
            sub(message, t(name), item.received.replace("+00:00", "Z"))
    if "TextBody" in wanted:
        sub(message, t("TextBody"), c.text, BodyType="Text")
    sender = [(c.sender_name, c.sender)] if c.sender else []
    if "Sender" in wanted and sender:
        _mailbox(message, "Sender", sender)
    for kind, tag in (("to", "ToRecipients"), ("cc", "CcRecipients")):
        if tag in wanted and getattr(c, kind):
            _mailbox(message, tag, (("", a) for a in getattr(c, kind)))
    if "From" in wanted and sender:
        _mailbox(message, "From", sender)
    if "InternetMessageId" in wanted and c.internet_message_id:
        sub(message, t("InternetMessageId"), c.internet_message_id)
    if "IsRead" in wanted:
        sub(message, t("IsRead"), "false")
