# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mail contacts and recipients: New-/Get-MailContact, Get-Recipient, and what a recipient value
resolves to (the forwarding targets of R-50).

A mail contact is an AD ``contact`` with the Exchange attributes: ``targetAddress`` holds its
ExternalEmailAddress (``SMTP:addr``), its primary SMTP address is that external address unless
``-PrimarySmtpAddress`` says otherwise, and it has a LegacyExchangeDN, so an inbox rule or a
``-ForwardingAddress`` can name it as an ``EX:`` recipient
(learn.microsoft.com/powershell/module/exchange/new-mailcontact). Get-Recipient returns the
mailboxes and the mail contacts as ``ReducedRecipient`` objects
(learn.microsoft.com/powershell/module/exchange/get-recipient).
"""

from __future__ import annotations

import uuid
from typing import Any

from ldap3.utils.dn import escape_rdn
from psrpcore.types import ErrorCategory

from exchange_lab.clock import to_generalized_time
from exchange_lab.cmdlets import common
from exchange_lab.cmdlets.binder import Bound
from exchange_lab.cmdlets.errors import CmdletError, task_error
from exchange_lab.cmdlets.mailbox import legacy_dn, organizational_unit
from exchange_lab.cmdlets.objects import TYPE_DETAILS, canonical_name, first, multi_valued, ps_object
from exchange_lab.identity import RECIPIENTS
from exchange_lab.inbox_rules import is_smtp_address

CONTACT_TYPE_DETAILS = 64  # msExchRecipientTypeDetails of a MailContact
CONTACT_DISPLAY_TYPE = 6  # msExchRecipientDisplayType: a remote mail user
_ATTRIBUTES = [
    "objectClass",
    "cn",
    "displayName",
    "mailNickname",
    "proxyAddresses",
    "targetAddress",
    "legacyExchangeDN",
    "msExchRecipientTypeDetails",
    "msExchMailboxGuid",
]
_PROXY_TYPES = ["Microsoft.Exchange.Data.ProxyAddressCollection", "System.Object"]


def is_contact(entry: dict[str, Any]) -> bool:
    return "contact" in [c.lower() for c in entry.get("objectclass", [])]


def primary_address(entry: dict[str, Any]) -> str:
    return next((p[5:] for p in entry.get("proxyaddresses", []) if p.startswith("SMTP:")), "")


def resolve_recipient(ctx: Any, identity: str) -> dict[str, Any]:
    """The one mailbox user or mail contact an identity names (not found / ambiguous refused)."""
    directory = ctx.lab.directory
    with directory.lock:
        dns = directory.resolve(identity, RECIPIENTS)
    entries = [e for e in (directory.read(dn, _ATTRIBUTES) for dn in dns) if e is not None]
    entries = [e for e in entries if is_contact(e) or e.get("msexchmailboxguid")]
    if not entries:
        raise common.not_found(identity, ctx.task_class)
    if len(entries) > 1:
        raise task_error(
            f"The operation couldn't be performed because '{identity}' matches multiple entries.",
            common.AMBIGUOUS,
            ctx.task_class,
            target=identity,
        )
    return entries[0]


def recipient_address(ctx: Any, value: str) -> str:
    """The SMTP address a RecipientIdParameter value names: a recipient of the organisation (its
    primary address), else a plain SMTP address as given (mail to anyone, as rules allow)."""
    try:
        return primary_address(resolve_recipient(ctx, value))
    except CmdletError:
        if is_smtp_address(value):
            return value
        raise


def _recipient_object(entry: dict[str, Any], kind: str) -> Any:
    contact = is_contact(entry)
    details = (
        "MailContact" if contact else TYPE_DETAILS.get(int(first(entry, "msExchRecipientTypeDetails", 1)))
    )
    external = first(entry, "targetAddress")
    props = {
        "Name": first(entry, "cn"),
        "Alias": first(entry, "mailNickname"),
        "DisplayName": first(entry, "displayName"),
        "PrimarySmtpAddress": primary_address(entry),
        "EmailAddresses": multi_valued(_PROXY_TYPES, list(entry.get("proxyaddresses", []))),
        "ExternalEmailAddress": external,
        "LegacyExchangeDN": first(entry, "legacyExchangeDN"),
        "RecipientType": "MailContact" if contact else "UserMailbox",
        "RecipientTypeDetails": details,
        "DistinguishedName": entry["dn"],
        "Identity": canonical_name(entry["dn"]),
    }
    return ps_object([f"Microsoft.Exchange.Data.Directory.Management.{kind}"], props, props["Identity"])


def _search(ctx: Any, b: Bound, classes: str) -> list[dict[str, Any]]:
    directory = ctx.lab.directory
    if b.get("Identity"):
        return [resolve_recipient(ctx, b.get("Identity"))]
    base = organizational_unit(ctx, b.get("OrganizationalUnit")) if b.get("OrganizationalUnit") else None
    found = directory.search(base or directory.base_dn, f"(&{classes}(mailNickname=*))", _ATTRIBUTES)
    return [e for e in found if is_contact(e) or e.get("msexchmailboxguid")]


def get_recipient(ctx: Any, b: Bound) -> list[Any]:
    return [_recipient_object(e, "ReducedRecipient") for e in _search(ctx, b, RECIPIENTS)]


def get_mail_contact(ctx: Any, b: Bound) -> list[Any]:
    entries = [e for e in _search(ctx, b, "(objectClass=contact)") if is_contact(e)]
    if b.get("Identity") and not entries:
        raise common.not_found(b.get("Identity"), ctx.task_class)
    return [_recipient_object(e, "MailContact") for e in entries]


def new_mail_contact(ctx: Any, b: Bound) -> list[Any]:
    directory = ctx.lab.directory
    name = common.check_name(ctx, b.get("Name"))
    address = b.get("ExternalEmailAddress").partition(":")[2]
    alias = b.get("Alias") or common.derive_alias(common.fold_ascii(name.replace(" ", "")))
    common.check_alias(ctx, alias)
    primary = b.get("PrimarySmtpAddress") or address
    parent = organizational_unit(ctx, b.get("OrganizationalUnit"))
    dn = f"CN={escape_rdn(name)},{parent}"
    if directory.read(dn, ["cn"]) is not None:
        raise task_error(
            f"The name '{name}' is already being used. Please try another name.",
            common.EXISTS,
            ctx.task_class,
            ErrorCategory.InvalidArgument,
            name,
        )
    common.check_unique(ctx, "alias", alias)
    common.check_unique(ctx, "addr", primary)
    guid = str(uuid.uuid4())
    directory.add(
        dn,
        {
            "objectClass": ["top", "person", "organizationalPerson", "contact", "msExchMailRecipient"],
            "cn": name,
            "sn": b.get("LastName") or name,  # slapd's person needs one, as for New-Mailbox
            "givenName": b.get("FirstName") or None,
            "displayName": b.get("DisplayName") or name,
            "instanceType": 4,
            "nTSecurityDescriptor": b"\x01\x00\x04\x80",
            "objectCategory": f"CN=Person,CN=Schema,CN=Configuration,{directory.base_dn}",
            "objectGUID": uuid.UUID(guid),
            "whenCreated": to_generalized_time(ctx.lab.clock.now()),
            "mailNickname": alias,
            # The external address is the primary one unless -PrimarySmtpAddress names another.
            "proxyAddresses": [f"SMTP:{primary}", *([f"smtp:{address}"] if primary != address else [])],
            "targetAddress": f"SMTP:{address}",
            "msExchRecipientTypeDetails": CONTACT_TYPE_DETAILS,
            "msExchRecipientDisplayType": CONTACT_DISPLAY_TYPE,
            "legacyExchangeDN": legacy_dn(alias, guid),
        },
    )
    return [_recipient_object(directory.read(dn, _ATTRIBUTES), "MailContact")]


CMDLETS = {
    "New-MailContact": new_mail_contact,
    "Get-MailContact": get_mail_contact,
    "Get-Recipient": get_recipient,
}
