# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange's parameter types: converting what PSRP delivered, formatting what cmdlets return.

A converter takes the deserialized value (psrpcore types: str, int, bool, None, lists, dicts,
PSSecureString, PSObject) and returns the Python value or raises ``ConversionFailed`` with the
text PowerShell/Exchange put after "Cannot process argument transformation on parameter 'X'.".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from psrpcore.types import PSObject, PSSecureString

UNLIMITED = "Unlimited"
_UNITS = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}
_SIZE = re.compile(
    r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|TB)?\s*(?:\(([0-9,]+) bytes\))?\s*$", re.IGNORECASE
)
_SMTP = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$"
)
_DOMAIN = re.compile(r"^(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_NET_TYPE = {
    "String": "System.String",
    "Boolean": "System.Boolean",
    "Int32": "System.Int32",
    "SecureString": "System.Security.SecureString",
    "Unlimited": "Microsoft.Exchange.Data.Unlimited`1[Microsoft.Exchange.Data.ByteQuantifiedSize]",
    "ByteQuantifiedSize": "Microsoft.Exchange.Data.ByteQuantifiedSize",
    "SmtpAddress": "Microsoft.Exchange.Data.SmtpAddress",
    "Guid": "System.Guid",
}


class ConversionFailed(Exception):
    pass


@dataclass(frozen=True)
class MultiValuedChange:
    """@{Add=...; Remove=...} for a multi-valued parameter."""

    add: tuple[Any, ...]
    remove: tuple[Any, ...]


def net_type(type_name: str) -> str:
    return _NET_TYPE.get(type_name, f"Microsoft.Exchange.Configuration.Tasks.{type_name}")


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "System.Boolean"
    if isinstance(value, int):
        return "System.Int32"
    if isinstance(value, str):
        return "System.String"
    if isinstance(value, list):
        return "System.Object[]"
    if isinstance(value, dict):
        return "System.Collections.Hashtable"
    if isinstance(value, PSSecureString):
        return "System.Security.SecureString"
    return "System.Management.Automation.PSObject"


def _cannot_convert(value: Any, type_name: str, why: str = "") -> ConversionFailed:
    shown = value if isinstance(value, (str, int)) and not isinstance(value, bool) else _type_of(value)
    text = f'Cannot convert the "{shown}" value of type "{_type_of(value)}" to type "{net_type(type_name)}".'
    return ConversionFailed(text + (f" {why}" if why else ""))


def identity_text(value: Any) -> str:
    """The identity a parameter object names: a string, or a piped object's Identity."""
    if isinstance(value, PSObject) and not isinstance(value, (str, int)):
        for name in ("Identity", "DistinguishedName", "Guid", "Name"):
            found = _property(value, name)
            if found is not None:
                return str(found)
        return str(value.PSObject.to_string or value)
    return str(value)


def _property(obj: PSObject, name: str) -> Any:
    for prop in obj.PSObject.adapted_properties + obj.PSObject.extended_properties:
        if prop.name.lower() == name.lower():
            return prop.get_value(obj)
    return None


def to_string(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return None if value is None else str(value)
    if isinstance(value, (list, dict, PSSecureString)):
        raise _cannot_convert(value, "String")
    return identity_text(value)


def to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    raise ConversionFailed(
        f'Cannot convert value "{_type_of(value)}" to type "System.Boolean". '
        "Boolean parameters accept only Boolean "
        "values and numbers, such as $True, $False, 1 or 0."
    )


def to_switch(value: Any) -> bool:
    return True if value is None else to_boolean(value)


def to_secure_string(value: Any) -> str:
    if isinstance(value, PSSecureString):
        return str(value.decrypt())
    raise _cannot_convert(value, "SecureString")


def to_int32(value: Any) -> int:
    try:
        number = int(value) if not isinstance(value, (bool, list, dict)) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not -(2**31) <= number < 2**31:
        raise _cannot_convert(value, "Int32")
    return number


def parse_size(text: str) -> int:
    match = _SIZE.match(text)
    if not match:
        raise ValueError(text)
    if match.group(3):
        return int(match.group(3).replace(",", ""))
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "B").upper()])


def to_byte_quantified_size(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        try:
            return parse_size(value)
        except ValueError:
            pass
    raise _cannot_convert(
        value, "ByteQuantifiedSize", f"Error: \"The value '{value}' isn't a valid byte quantified size.\""
    )


def to_unlimited_size(value: Any) -> int | str:
    if isinstance(value, str) and value.strip().lower() == "unlimited":
        return UNLIMITED
    try:
        return to_byte_quantified_size(value)
    except ConversionFailed:
        raise _cannot_convert(value, "Unlimited") from None


def to_smtp_address(value: Any) -> str | None:
    if value is None:
        return None
    text = to_string(value).strip()
    # An SmtpAddress is a bare address: a proxy prefix ("SMTP:") makes it invalid.
    if not _SMTP.match(text):
        raise _cannot_convert(
            value,
            "SmtpAddress",
            f'Error: "The email address "{text}" isn\'t correct. Please use this format: user name, the '
            "@ sign, followed by the domain name. For example, tonysmith@contoso.com or "
            'tony.smith@contoso.com."',
        )
    return text


def to_domain(value: Any) -> str:
    text = to_string(value)
    if not text or not _DOMAIN.match(text):
        raise ConversionFailed(
            f'Cannot convert value "{value}" to type "Microsoft.Exchange.Data.SmtpDomain".'
        )
    return text.lower()


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def multi_valued(convert_one: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A multi-valued type: one value, a list, or @{Add=...; Remove=...}."""

    def convert(value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, dict):
            keys = {str(k).lower(): v for k, v in value.items()}
            if not keys or set(keys) - {"add", "remove"}:
                raise ConversionFailed(
                    f'Cannot convert the "{value}" value of type "System.Collections.Hashtable" '
                    "to a multi-valued "
                    "property: only the keys Add and Remove are allowed."
                )
            add = tuple(convert_one(v) for v in _values(keys.get("add", [])))
            remove = tuple(convert_one(v) for v in _values(keys.get("remove", [])))
            return MultiValuedChange(add, remove)
        return [convert_one(v) for v in _values(value)]

    return convert


def to_proxy_address(value: Any) -> str:
    text = to_string(value).strip()
    prefix, sep, address = text.partition(":")
    if not sep:
        prefix, address = "smtp", text
    if prefix.lower() == "smtp" and not _SMTP.match(address):
        raise ConversionFailed(f'The proxy address "{text}" is invalid: the SMTP address isn\'t correct.')
    if prefix.lower() == "smtp" and prefix != "SMTP":
        prefix = "smtp"  # a capital SMTP: marks the primary address, any other spelling a secondary one
    return f"{prefix}:{address}"


def enum(*names: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        text = to_string(value)
        for name in names:
            if text and text.lower() == name.lower():
                return name
        raise ConversionFailed(
            f'Cannot convert value "{value}" to type the enumeration. '
            "Specify one of the following enumerator names "
            f"and try again: {', '.join(names)}"
        )

    return convert


def format_size(size: int | str | None) -> str:
    """ByteQuantifiedSize as remote PowerShell shows it: '2 GB (2,147,483,648 bytes)'."""
    if size is None or size == UNLIMITED:
        return UNLIMITED
    unit = "B"
    for name, factor in _UNITS.items():
        if size >= factor:
            unit = name
    return f"{size / _UNITS[unit]:.4g} {unit} ({size:,} bytes)"


# Get-User's documented values (Exchange 2016/2019), a superset of Get-Mailbox's (values.py).
RECIPIENT_TYPE_DETAILS = [
    "DisabledUser",
    "DiscoveryMailbox",
    "EquipmentMailbox",
    "GuestMailUser",
    "GroupMailbox",
    "LegacyMailbox",
    "LinkedMailbox",
    "LinkedRoomMailbox",
    "LinkedUser",
    "MailUser",
    "PublicFolderMailbox",
    "RemoteEquipmentMailbox",
    "RemoteRoomMailbox",
    "RemoteSharedMailbox",
    "RemoteTeamMailbox",
    "RemoteUserMailbox",
    "RoomMailbox",
    "SchedulingMailbox",
    "SharedMailbox",
    "TeamMailbox",
    "User",
    "UserMailbox",
]

MAILBOX_RIGHTS = (
    "ChangeOwner",
    "ChangePermission",
    "DeleteItem",
    "ExternalAccount",
    "FullAccess",
    "ReadPermission",
    "SendAs",
)
AD_RIGHTS = (
    "CreateChild",
    "DeleteChild",
    "ListChildren",
    "Self",
    "ReadProperty",
    "WriteProperty",
    "DeleteTree",
    "ListObject",
    "ExtendedRight",
    "Delete",
    "ReadControl",
    "GenericExecute",
    "GenericWrite",
    "GenericRead",
    "WriteDacl",
    "WriteOwner",
    "GenericAll",
    "Synchronize",
    "AccessSystemSecurity",
)

CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "String": to_string,
    "Boolean": to_boolean,
    "SwitchParameter": to_switch,
    "SecureString": to_secure_string,
    "Int32": to_int32,
    "Unlimited": to_unlimited_size,
    "ByteQuantifiedSize": to_byte_quantified_size,
    "SmtpAddress": to_smtp_address,
    "SmtpDomain": to_domain,
    "SmtpDomainWithSubdomains": to_domain,
    "ProxyAddressCollection": multi_valued(to_proxy_address),
    "MultiValuedProperty": multi_valued(to_string),
    "RecipientTypeDetails[]": multi_valued(enum(*RECIPIENT_TYPE_DETAILS)),
    "AcceptedDomainType": enum("Authoritative", "InternalRelay", "ExternalRelay"),
    "RuleState": enum("Enabled", "Disabled"),
    "ActionPreference": enum("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend", "Break"),
    "Guid": to_string,
    "Fqdn": to_string,
    "ProxyAddress": lambda v: None if v is None else to_proxy_address(v),
    "FromUserScope": enum("InOrganization", "NotInOrganization"),
    "ToUserScope": enum("InOrganization", "NotInOrganization", "ExternalPartner", "ExternalNonPartner"),
    "MessageType": enum(
        "OOF",
        "AutoForward",
        "Encrypted",
        "Calendaring",
        "PermissionControlled",
        "Voicemail",
        "Signed",
        "ApprovalRequest",
        "ReadReceipt",
    ),
    "RuleMode": enum("Audit", "AuditAndNotify", "Enforce"),
    "RejectEnhancedStatus": lambda v: _enhanced_status(v),
    "RejectText": to_string,
    "Word[]": multi_valued(to_string),
    "RecipientIdParameter[]": multi_valued(identity_text),
    "ConvertibleMailboxSubType": enum("Regular", "Room", "Equipment", "Shared"),
    # The permission cmdlets' enumerations (System.DirectoryServices, Microsoft.Exchange.Data.Directory).
    "MailboxRights[]": multi_valued(enum(*MAILBOX_RIGHTS)),
    "ActiveDirectoryRights[]": multi_valued(enum(*AD_RIGHTS)),
    "ActiveDirectorySecurityInheritance": enum("None", "All", "Descendents", "SelfAndChildren", "Children"),
    "ExtendedRightIdParameter[]": multi_valued(lambda v: _extended_right(v)),
    # The anti-malware and anti-spam agents' (Set-MalwareFilterPolicy, Set-MalwareFilteringServer,
    # Set-SenderFilterConfig, Set-ContentFilterConfig pages).
    "AsciiString": lambda v: _ascii(v),
    "MalwareFilteringAction": enum(
        "DeleteMessage", "DeleteAttachmentAndUseDefaultAlert", "DeleteAttachmentAndUseCustomAlert"
    ),
    "MalwareScanErrorAction": enum("Block", "Allow"),
    "BlockedSenderAction": enum("StampStatus", "Reject"),
    "RecipientBlockedSenderAction": enum("Delete", "Reject"),
}

# An extended right by its display name ("Send As", the docs' form) or its cn ("Send-As", shown).
_EXTENDED_RIGHTS = {
    "send as": "Send-As",
    "receive as": "Receive-As",
    "change password": "User-Change-Password",
}


def _extended_right(value: Any) -> str:
    text = (to_string(value) or "").strip().lower()
    for display, name in _EXTENDED_RIGHTS.items():
        if text in (display, name.lower()):
            return name
    raise ConversionFailed(f'Cannot convert value "{value}" to type "ExtendedRightIdParameter".')


def _ascii(value: Any) -> str | None:
    text = to_string(value)
    if text is not None and not text.isascii():
        raise _cannot_convert(value, "AsciiString", 'Error: "The string contains non-ASCII characters."')
    return text


def _enhanced_status(value: Any) -> str:
    text = to_string(value) or ""
    if not re.fullmatch(r"5\.7\.(?:[1-9]|[1-9][0-9]{1,2})", text):
        raise ConversionFailed(
            f'Cannot convert value "{value}" to type "Microsoft.Exchange.Data.RejectEnhancedStatus". '
            "The enhanced status code must be of the form 5.7.x (x from 1 to 999)."
        )
    return text


def converter(type_name: str) -> Callable[[Any], Any]:
    """Identity parameters (…IdParameter) and unlisted types take the value's identity text."""
    return CONVERTERS.get(type_name, lambda v: None if v is None else identity_text(v))
