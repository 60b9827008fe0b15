# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sets of the cmdlets that forwarding (R-50) needs beyond the mailbox ones: mail contacts,
recipients, and changing an inbox rule (written for the lab; cross-checked by
test_cmdlet_definitions.py). Only the parameters the lab implements; Get-Recipient and
Get-MailContact by identity or OU only (README.md lists the sets left out and why).
"""

from __future__ import annotations

from exchange_lab.cmdlets.binder import CmdletDef, define

RECIPIENT_TASKS = "Microsoft.Exchange.Management.RecipientTasks"
_TYPES = {
    "Identity": "RecipientIdParameter",
    "OrganizationalUnit": "OrganizationalUnitIdParameter",
    "ResultSize": "Unlimited",
    "DomainController": "Fqdn",
    "Confirm": "SwitchParameter",
    "WhatIf": "SwitchParameter",
    "Force": "SwitchParameter",
}
_RECIPIENTS = "RecipientIdParameter[]"
_INBOX_RULE = {
    **_TYPES,
    "Identity": "InboxRuleIdParameter",
    "Mailbox": "MailboxIdParameter",
    "Name": "String",
    "Priority": "Int32",
    "ForwardTo": _RECIPIENTS,
    "RedirectTo": _RECIPIENTS,
    "ForwardAsAttachmentTo": _RECIPIENTS,
    "DeleteMessage": "Boolean",
    "MarkAsRead": "Boolean",
    "StopProcessingRules": "Boolean",
}
_CONTACT = {
    **_TYPES,
    "Name": "String",
    "ExternalEmailAddress": "ProxyAddress",
    "Alias": "String",
    "DisplayName": "String",
    "FirstName": "String",
    "LastName": "String",
    "PrimarySmtpAddress": "SmtpAddress",
}

FORWARDING_DEFINITIONS: tuple[CmdletDef, ...] = (
    define(
        "Get-Recipient",
        f"{RECIPIENT_TASKS}.GetRecipient",
        _TYPES,
        {"Identity": "Identity OrganizationalUnit ResultSize DomainController"},
        positions={"Identity": 1},
    ),
    define(
        "Get-MailContact",
        f"{RECIPIENT_TASKS}.GetMailContact",
        {**_TYPES, "Identity": "MailContactIdParameter"},
        {"Identity": "Identity OrganizationalUnit ResultSize DomainController"},
        positions={"Identity": 1},
    ),
    define(
        "New-MailContact",
        f"{RECIPIENT_TASKS}.NewMailContact",
        _CONTACT,
        {
            "__AllParameterSets": "Name! ExternalEmailAddress! Alias DisplayName FirstName LastName "
            "OrganizationalUnit PrimarySmtpAddress DomainController Confirm WhatIf"
        },
        positions={"Name": 1},
        pipeline=(),
    ),
    define(
        "Set-InboxRule",
        f"{RECIPIENT_TASKS}.SetInboxRule",
        _INBOX_RULE,
        {
            "__AllParameterSets": "Identity! Mailbox Name Priority ForwardTo RedirectTo "
            "ForwardAsAttachmentTo DeleteMessage MarkAsRead StopProcessingRules Force DomainController "
            "Confirm WhatIf"
        },
        positions={"Identity": 1},
    ),
)
