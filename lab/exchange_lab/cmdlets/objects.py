# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Output objects shaped like remote PowerShell's Exchange objects.

Over PSRP Exchange objects arrive as property bags whose type names are the .NET types (a
PowerShell client then shows them as ``Deserialized.<type>``); complex values are flattened to
strings (sizes as '2 GB (2,147,483,648 bytes)', identities as canonical names), GUIDs, dates and
booleans keep their CLIXML types. Multi-valued properties are objects with their collection's type
names wrapping ``<LST>`` and no ToString, as in the Get-Mailbox capture from an Exchange 2016 server
in 3gstudent/3gstudent.github.io, ``_posts/---2022-10-1-pypsrp在Exchange Powershell下的优化.md``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from psrpcore.types import PSList, PSNoteProperty, PSObject

from exchange_lab.cmdlets.types import UNLIMITED, format_size
from exchange_lab.directory import UF_ACCOUNTDISABLE, guid_from_bytes

MANAGEMENT = "Microsoft.Exchange.Data.Directory.Management"
TYPE_DETAILS = {1: "UserMailbox", 4: "SharedMailbox", 16: "RoomMailbox", 32: "EquipmentMailbox"}
TYPE_DETAILS_VALUE = {name: value for value, name in TYPE_DETAILS.items()}
_PROXY = (
    "Microsoft.Exchange.Data.ProxyAddress, Microsoft.Exchange.Data, Version=15.0.0.0, Culture=neutral, "
    "PublicKeyToken=31bf3856ad364e35"
)
PROXY_ADDRESS_COLLECTION = [
    "Microsoft.Exchange.Data.ProxyAddressCollection",
    f"Microsoft.Exchange.Data.ProxyAddressBaseCollection`1[[{_PROXY}]]",
    f"Microsoft.Exchange.Data.MultiValuedProperty`1[[{_PROXY}]]",
    "Microsoft.Exchange.Data.MultiValuedPropertyBase",
]


def ps_object(type_names: list[str], props: dict[str, Any], to_string: str) -> PSObject:
    obj = PSObject()
    obj.PSObject.type_names = [*type_names, "System.Object"]
    for name, value in props.items():
        obj.PSObject.adapted_properties.append(PSNoteProperty(name, value))
    obj.PSObject.to_string = to_string
    return obj


def multi_valued(type_names: list[str], values: list[Any]) -> PSList:
    """A multi-valued property as Exchange serialises it: <Obj><TN>…</TN><LST>…</LST></Obj>."""
    collection = PSList(values)
    collection.PSObject.type_names = [*type_names, "System.Object"]
    return collection


def first(entry: dict[str, Any], name: str, default: Any = None) -> Any:
    values = entry.get(name.lower())
    return values[0] if values else default


def flag(entry: dict[str, Any], name: str, default: bool = False) -> bool:
    value = first(entry, name)
    return default if value is None else value.upper() == "TRUE"


def generalized(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def canonical_name(dn: str) -> str:
    """AD canonicalName: 'danang.gov.vn/DanangMail/Nguyen Van A' (CN=Users shows as Users)."""
    parts = [p.split("=", 1) for p in _split_dn(dn)]
    domain = ".".join(v for k, v in parts if k.upper() == "DC")
    path = [v for k, v in parts if k.upper() != "DC"]
    return "/".join([domain, *reversed(path)])


def _split_dn(dn: str) -> list[str]:
    parts, current, escaped = [], "", False
    for char in dn:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts


def parent_dn(dn: str) -> str:
    return ",".join(_split_dn(dn)[1:])


def size_from_kb(entry: dict[str, Any], name: str) -> str:
    value = first(entry, name)
    return UNLIMITED if value is None else format_size(int(value) * 1024)


def mailbox_object(entry: dict[str, Any], database: str) -> PSObject:
    dn = entry["dn"]
    identity = canonical_name(dn)
    addresses = entry.get("proxyaddresses", [])
    primary = next((a[5:] for a in addresses if a.startswith("SMTP:")), "")
    uac = int(first(entry, "userAccountControl", 0))
    forwarding = first(entry, "altRecipient")
    props = {
        "Name": first(entry, "cn"),
        "Alias": first(entry, "mailNickname"),
        "DisplayName": first(entry, "displayName"),
        "PrimarySmtpAddress": primary,
        "WindowsEmailAddress": first(entry, "mail", primary),
        "EmailAddresses": multi_valued(PROXY_ADDRESS_COLLECTION, list(addresses)),
        "EmailAddressPolicyEnabled": not entry.get("msexchpoliciesexcluded"),
        "UserPrincipalName": first(entry, "userPrincipalName"),
        "SamAccountName": first(entry, "sAMAccountName"),
        "Database": database,
        "RecipientType": "UserMailbox",
        "RecipientTypeDetails": TYPE_DETAILS.get(
            int(first(entry, "msExchRecipientTypeDetails", 1)), "UserMailbox"
        ),
        "UseDatabaseQuotaDefaults": flag(entry, "mDBUseDefaults", True),
        "IssueWarningQuota": size_from_kb(entry, "mDBStorageQuota"),
        "ProhibitSendQuota": size_from_kb(entry, "mDBOverQuotaLimit"),
        "ProhibitSendReceiveQuota": size_from_kb(entry, "mDBOverHardQuotaLimit"),
        "MaxSendSize": size_from_kb(entry, "submissionContLength"),
        "MaxReceiveSize": size_from_kb(entry, "delivContLength"),
        "ForwardingSmtpAddress": first(entry, "msExchGenericForwardingAddress"),
        "ForwardingAddress": canonical_name(forwarding) if forwarding else None,
        "DeliverToMailboxAndForward": flag(entry, "deliverAndRedirect"),
        "HiddenFromAddressListsEnabled": flag(entry, "msExchHideFromAddressLists"),
        "AccountDisabled": bool(uac & UF_ACCOUNTDISABLE),
        "CustomAttribute1": first(entry, "extensionAttribute1", ""),
        "CustomAttribute3": first(entry, "extensionAttribute3", ""),
        "IsMailboxEnabled": True,
        "LegacyExchangeDN": first(entry, "legacyExchangeDN"),
        "ExchangeGuid": uuid.UUID(guid_from_bytes(first(entry, "msExchMailboxGuid"))),
        "Guid": uuid.UUID(guid_from_bytes(first(entry, "objectGUID"))),
        "DistinguishedName": dn,
        "Identity": identity,
        "Id": identity,
        "OrganizationalUnit": canonical_name(parent_dn(dn)),
        "WhenCreated": generalized(first(entry, "whenCreated")),
        "WhenCreatedUTC": generalized(first(entry, "whenCreated")),
        "WhenChanged": generalized(first(entry, "whenChanged")),
        "WhenMailboxCreated": generalized(first(entry, "msExchWhenMailboxCreated")),
        "ExchangeVersion": "0.20 (15.0.0.0)",
    }
    return ps_object(
        [
            f"{MANAGEMENT}.Mailbox",
            f"{MANAGEMENT}.MailEnabledOrgPerson",
            f"{MANAGEMENT}.MailEnabledRecipient",
            f"{MANAGEMENT}.ADPresentationObject",
            "Microsoft.Exchange.Data.Directory.ADObject",
            "Microsoft.Exchange.Data.ConfigurableObject",
        ],
        props,
        identity,
    )


def last_name(entry: dict[str, Any]) -> str:
    """AD's person class needs sn: a user created without LastName carries sn = cn, shown as empty."""
    sn = first(entry, "sn", "")
    return "" if sn == first(entry, "cn") and not first(entry, "givenName") else sn


def user_object(entry: dict[str, Any]) -> PSObject:
    dn = entry["dn"]
    identity = canonical_name(dn)
    uac = int(first(entry, "userAccountControl", 0))
    details = first(entry, "msExchRecipientTypeDetails")
    if details is not None:
        type_details = TYPE_DETAILS.get(int(details), "UserMailbox")
    else:
        type_details = "DisabledUser" if uac & UF_ACCOUNTDISABLE else "User"
    props = {
        "Name": first(entry, "cn"),
        "FirstName": first(entry, "givenName", ""),
        "LastName": last_name(entry),
        "Initials": first(entry, "initials", ""),
        "DisplayName": first(entry, "displayName", ""),
        "SamAccountName": first(entry, "sAMAccountName"),
        "UserPrincipalName": first(entry, "userPrincipalName"),
        "WindowsEmailAddress": first(entry, "mail", ""),
        "RecipientType": "UserMailbox" if details is not None else "User",
        "RecipientTypeDetails": type_details,
        "Department": first(entry, "department", ""),
        "Title": first(entry, "title", ""),
        "Office": first(entry, "physicalDeliveryOfficeName", ""),
        "Phone": first(entry, "telephoneNumber", ""),
        "MobilePhone": first(entry, "mobile", ""),
        "Company": first(entry, "company", ""),
        "UserAccountControl": "AccountDisabled, NormalAccount"
        if uac & UF_ACCOUNTDISABLE
        else "NormalAccount",
        "ResetPasswordOnNextLogon": first(entry, "pwdLastSet") == "0",
        "Guid": uuid.UUID(guid_from_bytes(first(entry, "objectGUID"))),
        "DistinguishedName": dn,
        "Identity": identity,
        "Id": identity,
        "OrganizationalUnit": canonical_name(parent_dn(dn)),
        "WhenCreated": generalized(first(entry, "whenCreated")),
        "WhenCreatedUTC": generalized(first(entry, "whenCreated")),
        "WhenChanged": generalized(first(entry, "whenChanged")),
    }
    return ps_object(
        [
            f"{MANAGEMENT}.User",
            f"{MANAGEMENT}.ADPresentationObject",
            "Microsoft.Exchange.Data.Directory.ADObject",
            "Microsoft.Exchange.Data.ConfigurableObject",
        ],
        props,
        identity,
    )
