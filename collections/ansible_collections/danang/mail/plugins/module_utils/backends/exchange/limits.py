# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange's documented limits on the option values this client sends, checked before anything is
sent: a value Exchange would refuse fails the module at once, naming the option, instead of half a
run. The Exchange lab refuses the same values when it binds them (lab/exchange_lab/cmdlets/values.py).

Each bound is what the cmdlet's page (MicrosoftDocs/office-docs-powershell) states.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MIB = 1024 * 1024

# option -> (what it is, the largest value, where Exchange states it)
LIMITS: dict[str, tuple[str, int, str]] = {
    "forward_rule_name": ("characters", 64, "New-TransportRule -Name: 'The maximum length is 64 characters'"),
    "forward_rule_text": (
        "characters",
        256,
        "New-TransportRule -RejectMessageReasonText: 'In Exchange 2013 or later, the maximum number of "
        "characters is 256'",
    ),
    "message_size_mb": (
        "MB",
        2147482624 // MIB,
        "Set-TransportConfig -MaxSendSize/-MaxReceiveSize: 'up to 1.999999 gigabytes (2147482624 bytes)'",
    ),
    "quota_mb": (
        "MB",
        2199023254528 // MIB,
        "Set-Mailbox -ProhibitSendReceiveQuota: 'up to 1.999999999 terabytes (2199023254528 bytes)'",
    ),
}


def problems(options: Mapping[str, Any]) -> list[str]:
    """One message per given option outside Exchange's limit, naming the option; [] when all fit."""
    found = []
    for name, value in options.items():
        if name not in LIMITS or value is None:
            continue
        unit, largest, source = LIMITS[name]
        size = len(value) if unit == "characters" else value
        if unit == "MB" and size <= 0:
            found.append(f"{name}: {value} MB, must be a positive number of MB")
        elif size > largest:
            found.append(f"{name}: {size} {unit}, Exchange allows at most {largest} ({source})")
    return found
