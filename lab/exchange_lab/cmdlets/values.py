# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documented limits of parameter values: one table, read by the binder after conversion.

Microsoft's reference (exchange-cmdlets.json) has types only; the ranges, lengths and enumerations
below are the ones the cmdlet pages state (MicrosoftDocs/office-docs-powershell,
exchange/exchange-ps/ExchangePowerShell/<Cmdlet>.md). Exchange checks them when the parameter's
value is set on the task, so a breach fails the binding of that parameter:
"Cannot bind parameter 'X' to the target. Exception setting "X": "<why>"" (ParameterBindingException).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exchange_lab.cmdlets.types import UNLIMITED, ConversionFailed, enum, format_size, multi_valued

TB2 = 2199023254528  # "up to 1.999999999 terabytes (2199023254528 bytes)": mailbox quotas
GB2_MAILBOX = 2147483647  # "up to 1.999999 gigabytes (2147483647 bytes)": Set-Mailbox message sizes
GB2_ORGANISATION = 2147482624  # "up to 1.999999 gigabytes (2147482624 bytes)": Set-TransportConfig
INT32_MAX = 2147483647
UINT32_MAX = 4294967295


@dataclass(frozen=True)
class Limit:
    """What a documented value may be, beyond its type.

    ``count``: the parameter is Unlimited<Int32/UInt32> (a number of things), not a size, so a
    size such as "10MB" does not convert. ``convert`` replaces the type's converter (an
    enumeration narrower than the type). The rest are checked on the converted value.
    """

    max_length: int | None = None
    max_size: int | None = None
    count: int | None = None  # the largest count
    pattern: str | None = None
    pattern_text: str = ""
    convert: Callable[[Any], Any] | None = None
    least: int | None = None  # an Int32's documented range
    most: int | None = None
    entries: int | None = None  # the most values of a multi-valued parameter


_QUOTA = Limit(max_size=TB2)
_MESSAGE = Limit(max_size=GB2_MAILBOX)
_ORG_MESSAGE = Limit(max_size=GB2_ORGANISATION)
_RESULT_SIZE = Limit(count=UINT32_MAX)
_MAILBOX_TYPES = [
    "DiscoveryMailbox",
    "EquipmentMailbox",
    "GroupMailbox",
    "LegacyMailbox",
    "LinkedMailbox",
    "LinkedRoomMailbox",
    "RoomMailbox",
    "SchedulingMailbox",
    "SharedMailbox",
    "TeamMailbox",
    "UserMailbox",
]
_RULE = {
    "Name": Limit(max_length=64),
    "RejectMessageReasonText": Limit(max_length=256),  # "In Exchange 2013 or later ... 256"
    "Comments": Limit(max_length=1024),
    "RejectMessageEnhancedStatusCode": Limit(
        pattern=r"5\.7\.(?:1|9[0-9][0-9])",
        pattern_text="Valid values are 5.7.1 or between 5.7.900 and 5.7.999.",
    ),
}

_SCL = Limit(least=1, most=9)  # "an integer value from 1 through 9" (Set-ContentFilterConfig)
_FILTERS = {
    **{("Set-ContentFilterConfig", f"SCL{a}Threshold"): _SCL for a in ("Delete", "Reject", "Quarantine")},
    ("Set-ContentFilterConfig", "RejectionResponse"): Limit(max_length=240),  # "Don't exceed 240"
    **{
        ("Set-ContentFilterConfig", f"Bypassed{p}"): Limit(entries=100)
        for p in ("Recipients", "Senders", "SenderDomains")
    },
    **{
        ("Set-SenderFilterConfig", p): Limit(entries=800)
        for p in ("BlockedSenders", "BlockedDomains", "BlockedDomainsAndSubdomains")
    },
    # Set-MalwareFilteringServer: "Valid input for this parameter is an integer between x and y".
    ("Set-MalwareFilteringServer", "UpdateFrequency"): Limit(least=1, most=38880),
    ("Set-MalwareFilteringServer", "ScanTimeout"): Limit(least=10, most=900),
    ("Set-MalwareFilteringServer", "DeferAttempts"): Limit(least=1, most=5),
    ("Set-MalwareFilteringServer", "DeferWaitTime"): Limit(least=0, most=15),
    ("Set-MalwareFilteringServer", "UpdateTimeout"): Limit(least=60, most=300),
}

# (cmdlet, parameter) -> limit; "*" for every cmdlet that has the parameter.
LIMITS: dict[tuple[str, str], Limit] = {
    **{("*", f"CustomAttribute{n}"): Limit(max_length=1024) for n in range(1, 16)},
    **{
        ("Set-Mailbox", p): _QUOTA
        for p in ("IssueWarningQuota", "ProhibitSendQuota", "ProhibitSendReceiveQuota")
    },
    ("Set-Mailbox", "MaxSendSize"): _MESSAGE,
    ("Set-Mailbox", "MaxReceiveSize"): _MESSAGE,
    ("Set-TransportConfig", "MaxSendSize"): _ORG_MESSAGE,
    ("Set-TransportConfig", "MaxReceiveSize"): _ORG_MESSAGE,
    ("Set-TransportConfig", "MaxRecipientEnvelopeLimit"): Limit(count=INT32_MAX),
    **{
        (c, "ResultSize"): _RESULT_SIZE
        for c in ("Get-Mailbox", "Get-User", "Get-CASMailbox", "Get-TransportRule")
    },
    ("Get-Mailbox", "RecipientTypeDetails"): Limit(convert=multi_valued(enum(*_MAILBOX_TYPES))),
    **{(c, p): limit for c in ("New-TransportRule", "Set-TransportRule") for p, limit in _RULE.items()},
    **_FILTERS,
}


def limit_of(cmdlet: str, parameter: str) -> Limit | None:
    return LIMITS.get((cmdlet, parameter)) or LIMITS.get(("*", parameter))


def to_count(value: Any, largest: int) -> int | str:
    """Unlimited<Int32/UInt32>: a whole number or Unlimited; a size ("2GB") is not a count."""
    if isinstance(value, str) and value.strip().lower() == "unlimited":
        return UNLIMITED
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*[0-9]+\s*", value):
        number = int(value)
    if number is None or not 0 <= number <= largest:
        kind = "UInt32" if largest == UINT32_MAX else "Int32"
        raise ConversionFailed(
            f'Cannot convert value "{value}" to type "Microsoft.Exchange.Data.Unlimited`1[System.{kind}]". '
            'Error: "Input string was not in a correct format."'
        )
    return number


def check(limit: Limit, value: Any) -> str | None:
    """Why a converted value breaks its documented limit, or None."""
    values = value if isinstance(value, list) else [value]
    if limit.entries is not None and len(values) > limit.entries:
        return f"The maximum number of entries is {limit.entries}; {len(values)} were given."
    for one in values:
        number = isinstance(one, int) and not isinstance(one, bool)
        if (
            number
            and limit.least is not None
            and limit.most is not None
            and not limit.least <= one <= limit.most
        ):
            return f"The value must be between {limit.least} and {limit.most}. The value given is {one}."
        if limit.max_length is not None and isinstance(one, str) and len(one) > limit.max_length:
            return (
                f"The length of the property is too long. The maximum length is {limit.max_length} and "
                f"the length of the value provided is {len(one)}."
            )
        if limit.max_size is not None and isinstance(one, int) and one > limit.max_size:
            return (
                f"The value must be between '{format_size(0)}' and '{format_size(limit.max_size)}'. "
                f"The value given is '{format_size(one)}'."
            )
        if limit.pattern is not None and isinstance(one, str) and not re.fullmatch(limit.pattern, one):
            return f"'{one}' isn't a valid value. {limit.pattern_text}"
    return None
