# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mailbox export request cmdlets' sets (written for the lab; cross-checked by
test_cmdlet_definitions.py).

Only the sets the backend uses: a request per mailbox to a PST path, read back by name or identity,
removed by identity; the compliance, mailbox-location and request-queue sets are left out
(README.md says why).
"""

from __future__ import annotations

from exchange_lab.cmdlets.binder import CmdletDef, define

MRS_TASKS = "Microsoft.Exchange.Management.RecipientTasks"
_TYPES = {
    "Identity": "MailboxExportRequestIdParameter",
    "Mailbox": "MailboxOrMailUserIdParameter",
    "FilePath": "LongPath",
    "Name": "String",
    "Status": "RequestStatus",
    "ResultSize": "Unlimited",
    "DomainController": "Fqdn",
    "Confirm": "SwitchParameter",
    "WhatIf": "SwitchParameter",
    "Force": "SwitchParameter",
}
ID = {"Identity": 1}

EXPORT_DEFINITIONS: tuple[CmdletDef, ...] = (
    define(
        "New-MailboxExportRequest",
        f"{MRS_TASKS}.NewMailboxExportRequest",
        _TYPES,
        {"Mailbox": "Mailbox! FilePath! Name DomainController Confirm WhatIf"},
        default="Mailbox",
        positions={"Mailbox": 1},
        pipeline=("Mailbox",),
    ),
    define(
        "Get-MailboxExportRequest",
        f"{MRS_TASKS}.GetMailboxExportRequest",
        _TYPES,
        {
            "Identity": "Identity ResultSize DomainController",
            "MailboxFiltering": "Mailbox Name Status ResultSize DomainController",
        },
        default="Identity",  # without parameters it lists every request
        positions=ID,
    ),
    define(
        "Get-MailboxExportRequestStatistics",
        f"{MRS_TASKS}.GetMailboxExportRequestStatistics",
        _TYPES,
        {"Identity": "Identity! DomainController"},
        positions=ID,
    ),
    define(
        "Remove-MailboxExportRequest",
        f"{MRS_TASKS}.RemoveMailboxExportRequest",
        _TYPES,
        {"Identity": "Identity! Force DomainController Confirm WhatIf"},
        positions=ID,
        confirm_impact_high=True,
    ),
)
