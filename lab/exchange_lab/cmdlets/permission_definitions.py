# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The permission cmdlets' sets (written for the lab; cross-checked by test_cmdlet_definitions.py).

Only the AccessRights sets: the city grants and reads FullAccess and Send As per user; the Instance,
Owner, ClearAutoMapping and ResetDefault sets are left out (README.md says why).
"""

from __future__ import annotations

from exchange_lab.cmdlets.binder import CmdletDef, define

RECIPIENT_TASKS = "Microsoft.Exchange.Management.RecipientTasks"
_TYPES = {
    "Identity": "MailboxIdParameter",
    "User": "SecurityPrincipalIdParameter",
    "AccessRights": "MailboxRights[]",
    "AutoMapping": "Boolean",
    "Deny": "SwitchParameter",
    "InheritanceType": "ActiveDirectorySecurityInheritance",
    "ResultSize": "Unlimited",
    "ReadFromDomainController": "SwitchParameter",
    "DomainController": "Fqdn",
    "Confirm": "SwitchParameter",
    "WhatIf": "SwitchParameter",
}
_AD_TYPES = {
    **_TYPES,
    "Identity": "ADRawEntryIdParameter",
    "AccessRights": "ActiveDirectoryRights[]",
    "ExtendedRights": "ExtendedRightIdParameter[]",
}
_AD_CHANGE = (
    "Identity! User! AccessRights ExtendedRights Deny InheritanceType DomainController Confirm WhatIf"
)
ID = {"Identity": 1}
_MAILBOX_REMOVE = "Identity! AccessRights! User! Deny InheritanceType DomainController Confirm WhatIf"

PERMISSION_DEFINITIONS: tuple[CmdletDef, ...] = (
    define(
        "Get-MailboxPermission",
        f"{RECIPIENT_TASKS}.GetMailboxPermission",
        _TYPES,
        {"AccessRights": "Identity! User ResultSize DomainController ReadFromDomainController"},
        positions=ID,
    ),
    define(
        "Add-MailboxPermission",
        f"{RECIPIENT_TASKS}.AddMailboxPermission",
        _TYPES,
        {
            "AccessRights": "Identity! AccessRights! User! AutoMapping Deny InheritanceType "
            "DomainController Confirm WhatIf"
        },
        positions=ID,
    ),
    define(
        "Remove-MailboxPermission",
        f"{RECIPIENT_TASKS}.RemoveMailboxPermission",
        _TYPES,
        {"AccessRights": _MAILBOX_REMOVE},
        positions=ID,
        confirm_impact_high=True,
    ),
    define(
        "Get-ADPermission",
        f"{RECIPIENT_TASKS}.GetADPermission",
        _AD_TYPES,
        {"AccessRights": "Identity! User DomainController"},
        positions=ID,
    ),
    define(
        "Add-ADPermission",
        f"{RECIPIENT_TASKS}.AddADPermission",
        _AD_TYPES,
        {"AccessRights": _AD_CHANGE},
        positions=ID,
    ),
    define(
        "Remove-ADPermission",
        f"{RECIPIENT_TASKS}.RemoveADPermission",
        _AD_TYPES,
        {"AccessRights": _AD_CHANGE},
        positions=ID,
        confirm_impact_high=True,
    ),
)
