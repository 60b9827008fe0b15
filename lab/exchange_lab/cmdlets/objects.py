# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Output objects shaped like remote PowerShell's Exchange objects.

Over PSRP Exchange objects arrive as property bags whose type names are the .NET types (a
PowerShell client then shows them as ``Deserialized.<type>``); complex values are flattened to
strings (sizes as '2 GB (2,147,483,648 bytes)', identities as canonical names), GUIDs, dates and
booleans keep their CLIXML types. Multi-valued properties are objects with their collection's type
names wrapping ``<LST>`` and no ToString, as in the Get-Mailbox capture from an Exchange 2016 server
in 3gstudent/3gstudent.github.io, ``_posts/---2022-10-1-pypsrp在Exchange Powershell下的优化.md``.
A mailbox carries all 228 properties of that capture (``mailbox_template``). DateTime properties
are the server's local time with its offset (``WhenCreated 2022-10-19T18:10:53-07:00``), the
``…UTC`` ones UTC (``WhenCreatedUTC 2022-10-20T01:10:53Z``): ``zone`` is the lab server's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from psrpcore.types import PSList, PSNoteProperty, PSObject

from exchange_lab.cmdlets.mailbox_template import COLLECTION_TYPES, MAILBOX_PROPERTIES, Many
from exchange_lab.cmdlets.types import UNLIMITED, format_size
from exchange_lab.directory import UF_ACCOUNTDISABLE, guid_from_bytes

MANAGEMENT = "Microsoft.Exchange.Data.Directory.Management"
# The default e-mail address policy's id and the mark of a recipient the policies do not manage.
DEFAULT_POLICY = "e1a339c9-ac14-4226-9cf8-6de2e2b48d6d"
POLICY_EXCLUDED = "{26491cfc-9e50-4857-861b-0cb8df22b5d7}"
TYPE_DETAILS = {1: "UserMailbox", 4: "SharedMailbox", 16: "RoomMailbox", 32: "EquipmentMailbox"}
TYPE_DETAILS_VALUE = {name: value for value, name in TYPE_DETAILS.items()}


def ps_object(type_names: list[str], props: Mapping[str, Any], to_string: str) -> PSObject:
    properties = [PSNoteProperty(name, value) for name, value in props.items()]
    return with_properties(type_names, properties, to_string)


def with_properties(type_names: list[str], properties: list[PSNoteProperty], to_string: str) -> PSObject:
    obj = PSObject()
    obj.PSObject.type_names = [*type_names, "System.Object"]
    obj.PSObject.adapted_properties.extend(properties)
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


def generalized(value: str | None, zone: tzinfo = UTC) -> datetime | None:
    """An AD GeneralizedTime as Exchange sends it: in ``zone`` (the server's for Kind Local)."""
    if not value:
        return None
    return datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC).astimezone(zone)


def local(value: str | None, zone: tzinfo) -> datetime | None:
    """A store time (ISO text, microseconds kept) on the server's clock: CLIXML then carries the
    offset and the fractions, as Exchange's Get-MailboxStatistics does."""
    return datetime.fromisoformat(value).astimezone(zone) if value else None


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


MAILBOX_TYPES = [
    f"{MANAGEMENT}.Mailbox",
    f"{MANAGEMENT}.MailEnabledOrgPerson",
    f"{MANAGEMENT}.MailEnabledRecipient",
    f"{MANAGEMENT}.ADPresentationObject",
    "Microsoft.Exchange.Data.Directory.ADObject",
    "Microsoft.Exchange.Data.Directory.ADRawEntry",
    "Microsoft.Exchange.Data.ConfigurableObject",
]
SERVER = "EXLAB01"
ADMIN_GROUP = "/o=DaNang/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)"


def _value(value: Any) -> Any:
    return multi_valued(COLLECTION_TYPES[value.kind], list(value.items)) if isinstance(value, Many) else value


# A new mailbox's values, built once and shared by every object (they are serialised, never changed):
# building 228 properties per mailbox would cost the lab milliseconds an object.
_DEFAULTS = {name: PSNoteProperty(name, _value(default)) for name, default in MAILBOX_PROPERTIES}


def full_mailbox(props: Mapping[str, Any]) -> list[PSNoteProperty]:
    """The 228 properties in Exchange's order: ``props`` where given, a new mailbox's value elsewhere."""
    return [
        PSNoteProperty(name, _value(props[name])) if name in props else _DEFAULTS[name]
        for name, _default in MAILBOX_PROPERTIES
    ]


def mailbox_object(entry: dict[str, Any], database: Mapping[str, Any], zone: tzinfo) -> PSObject:
    dn = entry["dn"]
    identity = canonical_name(dn)
    domain = identity.split("/", 1)[0]
    addresses = entry.get("proxyaddresses", [])
    primary = next((a[5:] for a in addresses if a.startswith("SMTP:")), "")
    uac = int(first(entry, "userAccountControl", 0))
    forwarding = first(entry, "altRecipient")
    exchange_guid = uuid.UUID(guid_from_bytes(first(entry, "msExchMailboxGuid")))
    type_details = TYPE_DETAILS.get(int(first(entry, "msExchRecipientTypeDetails", 1)), "UserMailbox")
    excluded = entry.get("msexchpoliciesexcluded") or []
    props = {
        "Database": database.get("Name", ""),
        "ExchangeGuid": exchange_guid,
        "MailboxLocations": Many(
            "ListIMailboxLocationInfo", (f"1;{exchange_guid};Primary;{domain};{database.get('Guid')}",)
        ),
        "ExchangeUserAccountControl": "None",
        "AdminDisplayVersion": "Version 15.1 (Build 2507.6)",
        "ForwardingAddress": canonical_name(forwarding) if forwarding else None,
        "ForwardingSmtpAddress": first(entry, "msExchGenericForwardingAddress"),
        "DeliverToMailboxAndForward": flag(entry, "deliverAndRedirect"),
        "IsMailboxEnabled": True,
        "ProhibitSendQuota": size_from_kb(entry, "mDBOverQuotaLimit"),
        "ProhibitSendReceiveQuota": size_from_kb(entry, "mDBOverHardQuotaLimit"),
        "IsShared": type_details == "SharedMailbox",
        "ResetPasswordOnNextLogon": first(entry, "pwdLastSet") == "0",
        "SamAccountName": first(entry, "sAMAccountName"),
        "ServerLegacyDN": f"{ADMIN_GROUP}/cn=Configuration/cn=Servers/cn={SERVER}",
        "ServerName": SERVER.lower(),
        "UseDatabaseQuotaDefaults": flag(entry, "mDBUseDefaults", True),
        "IssueWarningQuota": size_from_kb(entry, "mDBStorageQuota"),
        "UserPrincipalName": first(entry, "userPrincipalName"),
        "WhenMailboxCreated": generalized(first(entry, "msExchWhenMailboxCreated"), zone),
        "AccountDisabled": bool(uac & UF_ACCOUNTDISABLE),
        "Alias": first(entry, "mailNickname"),
        "OrganizationalUnit": canonical_name(parent_dn(dn)),
        "CustomAttribute1": first(entry, "extensionAttribute1", ""),
        "CustomAttribute3": first(entry, "extensionAttribute3", ""),
        "DisplayName": first(entry, "displayName"),
        "EmailAddresses": Many("ProxyAddress", tuple(addresses)),
        "HiddenFromAddressListsEnabled": flag(entry, "msExchHideFromAddressLists"),
        "LegacyExchangeDN": first(entry, "legacyExchangeDN"),
        "MaxSendSize": size_from_kb(entry, "submissionContLength"),
        "MaxReceiveSize": size_from_kb(entry, "delivContLength"),
        "PoliciesIncluded": Many("String", () if excluded else (DEFAULT_POLICY, POLICY_EXCLUDED)),
        "PoliciesExcluded": Many("String", tuple(excluded)),
        "EmailAddressPolicyEnabled": not excluded,
        "PrimarySmtpAddress": primary,
        "RecipientType": "UserMailbox",
        "RecipientTypeDetails": type_details,
        "WindowsEmailAddress": first(entry, "mail", primary),
        "Identity": identity,
        "Name": first(entry, "cn"),
        "DistinguishedName": dn,
        "Guid": uuid.UUID(guid_from_bytes(first(entry, "objectGUID"))),
        "ObjectCategory": f"{domain}/Configuration/Schema/Person",
        "WhenChanged": generalized(first(entry, "whenChanged"), zone),
        "WhenCreated": generalized(first(entry, "whenCreated"), zone),
        "WhenChangedUTC": generalized(first(entry, "whenChanged")),
        "WhenCreatedUTC": generalized(first(entry, "whenCreated")),
        "Id": identity,
        "OriginatingServer": f"EXLAB-DC01.{domain}",
    }
    return with_properties(MAILBOX_TYPES, full_mailbox(props), identity)


def last_name(entry: dict[str, Any]) -> str:
    """AD's person class needs sn: a user created without LastName carries sn = cn, shown as empty."""
    sn = first(entry, "sn", "")
    return "" if sn == first(entry, "cn") and not first(entry, "givenName") else sn


def user_object(entry: dict[str, Any], zone: tzinfo) -> PSObject:
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
        "WhenCreated": generalized(first(entry, "whenCreated"), zone),
        "WhenCreatedUTC": generalized(first(entry, "whenCreated")),
        "WhenChanged": generalized(first(entry, "whenChanged"), zone),
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


def statistics_object(
    row: dict[str, Any], entry: dict[str, Any] | None, database: Mapping[str, Any], zone: tzinfo
) -> PSObject:
    """Get-MailboxStatistics of a store row (and its AD user while connected)."""
    use_defaults = entry is None or flag(entry, "mDBUseDefaults", True)

    def effective(param: str, attribute: str) -> float:
        if use_defaults:
            return database.get(param, float("inf"))
        value = first(entry, attribute) if entry else None
        return float("inf") if value is None else int(value) * 1024

    size = row["total_item_size"]
    status = "BelowLimit"
    if size >= effective("ProhibitSendReceiveQuota", "mDBOverHardQuotaLimit"):
        status = "MailboxDisabled"
    elif size >= effective("ProhibitSendQuota", "mDBOverQuotaLimit"):
        status = "ProhibitSend"
    elif size >= effective("IssueWarningQuota", "mDBStorageQuota"):
        status = "IssueWarning"
    props = {
        "DisplayName": row["display_name"],
        "MailboxGuid": uuid.UUID(row["exchange_guid"]),
        "Database": row["database"],
        "DatabaseName": row["database"],
        "ServerName": SERVER,
        "ItemCount": row["item_count"],
        "TotalItemSize": format_size(row["total_item_size"]),
        "TotalDeletedItemSize": format_size(0),
        "DeletedItemCount": 0,
        "LastLogonTime": local(row["last_logon_time"], zone),
        "LastLogoffTime": local(row["last_logon_time"], zone),
        "DisconnectDate": local(row["disconnect_date"], zone),
        "DisconnectReason": row["disconnect_reason"],
        "StorageLimitStatus": status,
        "DatabaseIssueWarningQuota": format_size(database.get("IssueWarningQuota")),
        "DatabaseProhibitSendQuota": format_size(database.get("ProhibitSendQuota")),
        "DatabaseProhibitSendReceiveQuota": format_size(database.get("ProhibitSendReceiveQuota")),
        "MailboxTypeDetail": "SharedMailbox" if row["type_details"] == 4 else "UserMailbox",
        "IsArchiveMailbox": False,
        "LegacyDN": row["legacy_dn"],
        "Identity": row["exchange_guid"],
    }
    return ps_object(
        [
            "Microsoft.Exchange.Management.MapiTasks.Presentation.MailboxStatistics",
            "Microsoft.Exchange.Data.Mapi.MailboxStatistics",
        ],
        props,
        row["display_name"],
    )
