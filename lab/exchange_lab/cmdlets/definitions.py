# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cmdlets the lab knows: parameter sets, types, mandatory flags (written for the lab).

Only the parameters the lab implements are defined; a parameter Exchange has but the lab lacks is
refused as unknown, so the backend cannot rely on it by accident. Every set, name, type and
mandatory flag here must match Microsoft's reference (test_cmdlet_definitions.py checks it).
'!' marks a mandatory parameter, '*' the switch that selects its set.
"""

from __future__ import annotations

from exchange_lab.cmdlets.binder import CmdletDef, define
from exchange_lab.cmdlets.export_definitions import EXPORT_DEFINITIONS
from exchange_lab.cmdlets.filter_definitions import FILTER_DEFINITIONS
from exchange_lab.cmdlets.forwarding_definitions import FORWARDING_DEFINITIONS
from exchange_lab.cmdlets.permission_definitions import PERMISSION_DEFINITIONS

RECIPIENT_TASKS = "Microsoft.Exchange.Management.RecipientTasks"
SYSTEM_CONFIGURATION = "Microsoft.Exchange.Management.SystemConfigurationTasks"
ID = {"Identity": 1}  # positions are 1-based, as in the reference

_ID_TYPES = {
    "Identity": "MailboxIdParameter",
    "DomainController": "Fqdn",
    "Confirm": "SwitchParameter",
    "WhatIf": "SwitchParameter",
    "Force": "SwitchParameter",
}
_NEW_MAILBOX_COMMON = (
    "Alias DisplayName FirstName LastName Initials OrganizationalUnit Database PrimarySmtpAddress "
    "DomainController Force Confirm WhatIf"
)
_GET_MAILBOX_COMMON = (
    "OrganizationalUnit RecipientTypeDetails ResultSize Filter DomainController ReadFromDomainController"
)
_SET_MAILBOX = (
    "Identity! Alias DisplayName Name PrimarySmtpAddress EmailAddresses EmailAddressPolicyEnabled "
    "UseDatabaseQuotaDefaults IssueWarningQuota ProhibitSendQuota ProhibitSendReceiveQuota "
    "MaxSendSize MaxReceiveSize ForwardingSmtpAddress ForwardingAddress DeliverToMailboxAndForward "
    "HiddenFromAddressListsEnabled Type Database UserPrincipalName SamAccountName AccountDisabled "
    "CustomAttribute1 CustomAttribute3 Password ResetPasswordOnNextLogon DomainController Force Confirm "
    "WhatIf"
)

_RULE_TYPES = {
    "Name": "String",
    "FromScope": "FromUserScope",
    "SentToScope": "ToUserScope",
    "MessageTypeMatches": "MessageType",
    "AttachmentSizeOver": "ByteQuantifiedSize",
    "RejectMessageEnhancedStatusCode": "RejectEnhancedStatus",
    "RejectMessageReasonText": "RejectText",
    "RecipientADAttributeContainsWords": "Word[]",
    "Enabled": "Boolean",
    "Priority": "Int32",
    "Comments": "String",
    "Mode": "RuleMode",
    # Actions that send the message to other recipients (audited for R-50).
    "RedirectMessageTo": "RecipientIdParameter[]",
    "BlindCopyTo": "RecipientIdParameter[]",
    "CopyTo": "RecipientIdParameter[]",
    "AddToRecipients": "RecipientIdParameter[]",
}
_RULE_ACTIONS = "RedirectMessageTo BlindCopyTo CopyTo AddToRecipients"

DEFINITIONS: dict[str, CmdletDef] = {
    d.name: d
    for d in (
        define(
            "New-Mailbox",
            f"{RECIPIENT_TASKS}.NewMailbox",
            {
                **_ID_TYPES,
                "Name": "String",
                "Password": "SecureString",
                "UserPrincipalName": "String",
                "Alias": "String",
                "DisplayName": "String",
                "FirstName": "String",
                "LastName": "String",
                "Initials": "String",
                "OrganizationalUnit": "OrganizationalUnitIdParameter",
                "Database": "DatabaseIdParameter",
                "PrimarySmtpAddress": "SmtpAddress",
                "SamAccountName": "String",
                "ResetPasswordOnNextLogon": "Boolean",
                "Shared": "SwitchParameter",
            },
            {
                "User": f"Name! Password! UserPrincipalName! SamAccountName "
                f"ResetPasswordOnNextLogon {_NEW_MAILBOX_COMMON}",
                "Shared": f"Shared* Name! SamAccountName UserPrincipalName ResetPasswordOnNextLogon "
                f"Password {_NEW_MAILBOX_COMMON}",
            },
            default="User",
            positions={"Name": 1},
        ),
        define(
            "Enable-Mailbox",
            f"{RECIPIENT_TASKS}.EnableMailbox",
            {
                **_ID_TYPES,
                "Identity": "UserIdParameter",
                "Alias": "String",
                "DisplayName": "String",
                "Database": "DatabaseIdParameter",
                "PrimarySmtpAddress": "SmtpAddress",
                "Shared": "SwitchParameter",
            },
            {
                "User": "Identity! Alias DisplayName Database PrimarySmtpAddress DomainController "
                "Force Confirm WhatIf",
                "Shared": "Identity! Shared* Alias DisplayName Database PrimarySmtpAddress "
                "DomainController Force Confirm WhatIf",
            },
            default="User",
            positions=ID,
        ),
        define(
            "Get-Mailbox",
            f"{RECIPIENT_TASKS}.GetMailbox",
            {
                **_ID_TYPES,
                "OrganizationalUnit": "OrganizationalUnitIdParameter",
                "RecipientTypeDetails": "RecipientTypeDetails[]",
                "ResultSize": "Unlimited",
                "Filter": "String",
                "ReadFromDomainController": "SwitchParameter",
                "Database": "DatabaseIdParameter",
                "Anr": "String",
            },
            {
                "Identity": f"Identity {_GET_MAILBOX_COMMON}",
                "DatabaseSet": f"Database {_GET_MAILBOX_COMMON}",
                "AnrSet": f"Anr {_GET_MAILBOX_COMMON}",
            },
            default="Identity",
            positions=ID,
        ),
        define(
            "Set-Mailbox",
            f"{RECIPIENT_TASKS}.SetMailbox",
            {
                **_ID_TYPES,
                "Alias": "String",
                "DisplayName": "String",
                "Name": "String",
                "PrimarySmtpAddress": "SmtpAddress",
                "EmailAddresses": "ProxyAddressCollection",
                "EmailAddressPolicyEnabled": "Boolean",
                "UseDatabaseQuotaDefaults": "Boolean",
                "IssueWarningQuota": "Unlimited",
                "ProhibitSendQuota": "Unlimited",
                "ProhibitSendReceiveQuota": "Unlimited",
                "MaxSendSize": "Unlimited",
                "MaxReceiveSize": "Unlimited",
                "ForwardingSmtpAddress": "ProxyAddress",
                "ForwardingAddress": "RecipientIdParameter",
                "DeliverToMailboxAndForward": "Boolean",
                "HiddenFromAddressListsEnabled": "Boolean",
                "Type": "ConvertibleMailboxSubType",
                "Database": "DatabaseIdParameter",
                "UserPrincipalName": "String",
                "SamAccountName": "String",
                "AccountDisabled": "Boolean",
                "CustomAttribute1": "String",
                "CustomAttribute3": "String",
                "Password": "SecureString",
                "ResetPasswordOnNextLogon": "Boolean",
            },
            {"Identity": _SET_MAILBOX},
            positions=ID,
        ),
        define(
            "Disable-Mailbox",
            f"{RECIPIENT_TASKS}.DisableMailbox",
            {**_ID_TYPES, "IgnoreLegalHold": "SwitchParameter"},
            {"Identity": "Identity! IgnoreLegalHold DomainController Confirm WhatIf"},
            positions=ID,
            confirm_impact_high=True,
        ),
        define(
            "Remove-Mailbox",
            f"{RECIPIENT_TASKS}.RemoveMailbox",
            {**_ID_TYPES, "Permanent": "Boolean", "IgnoreLegalHold": "SwitchParameter"},
            {"Identity": "Identity! Permanent IgnoreLegalHold DomainController Force Confirm WhatIf"},
            positions=ID,
            confirm_impact_high=True,
        ),
        define(
            "Connect-Mailbox",
            f"{RECIPIENT_TASKS}.ConnectMailbox",
            {
                **_ID_TYPES,
                "Identity": "StoreMailboxIdParameter",
                "Database": "DatabaseIdParameter",
                "User": "UserIdParameter",
                "Alias": "String",
                "Shared": "SwitchParameter",
            },
            {
                "User": "Identity! Database! User Alias DomainController Force Confirm WhatIf",
                "Shared": "Identity! Database! Shared* User Alias DomainController Force Confirm WhatIf",
            },
            default="User",
            positions={"Identity": 1, "Database": 2},
        ),
        define(
            "Get-MailboxStatistics",
            f"{SYSTEM_CONFIGURATION}.GetMailboxStatistics",
            {
                **_ID_TYPES,
                "Identity": "GeneralMailboxOrMailUserIdParameter",
                "Database": "DatabaseIdParameter",
                "StoreMailboxIdentity": "StoreMailboxIdParameter",
                "Server": "ServerIdParameter",
            },
            {
                "Identity": "Identity! DomainController",
                "Database": "Database! StoreMailboxIdentity DomainController",
                "Server": "Server! DomainController",
            },
            default="Identity",
            positions={"Identity": 1, "StoreMailboxIdentity": 1},
        ),
        define(
            "Get-User",
            f"{RECIPIENT_TASKS}.GetUser",
            {
                **_ID_TYPES,
                "Identity": "UserIdParameter",
                "OrganizationalUnit": "OrganizationalUnitIdParameter",
                "RecipientTypeDetails": "RecipientTypeDetails[]",
                "ResultSize": "Unlimited",
                "Filter": "String",
                "Anr": "String",
            },
            {
                "Identity": "Identity OrganizationalUnit RecipientTypeDetails ResultSize Filter "
                "DomainController",
                "AnrSet": "Anr OrganizationalUnit RecipientTypeDetails ResultSize Filter DomainController",
            },
            default="Identity",
            positions=ID,
        ),
        define(
            "Set-User",
            f"{RECIPIENT_TASKS}.SetUser",
            {
                **_ID_TYPES,
                "Identity": "UserIdParameter",
                "FirstName": "String",
                "LastName": "String",
                "Initials": "String",
                "DisplayName": "String",
                "Name": "String",
                "ResetPasswordOnNextLogon": "Boolean",
                "SamAccountName": "String",
                "UserPrincipalName": "String",
                "WindowsEmailAddress": "SmtpAddress",
                "Department": "String",
                "Title": "String",
                "Office": "String",
                "Phone": "String",
                "MobilePhone": "String",
                "Company": "String",
            },
            {
                "__AllParameterSets": (
                    "Identity! FirstName LastName Initials DisplayName Name "
                    "ResetPasswordOnNextLogon SamAccountName "
                    "UserPrincipalName WindowsEmailAddress Department Title Office Phone MobilePhone Company "
                    "DomainController Confirm WhatIf"
                )
            },
            positions=ID,
        ),
        define(
            "Get-MailboxDatabase",
            f"{SYSTEM_CONFIGURATION}.GetMailboxDatabase",
            {
                **_ID_TYPES,
                "Identity": "DatabaseIdParameter",
                "Server": "ServerIdParameter",
                "Status": "SwitchParameter",
            },
            {"Identity": "Identity Status DomainController", "Server": "Server! Status DomainController"},
            default="Identity",
            positions=ID,
        ),
        define(
            "Set-CASMailbox",
            f"{RECIPIENT_TASKS}.SetCASMailbox",
            {
                **_ID_TYPES,
                "OWAEnabled": "Boolean",
                "ImapEnabled": "Boolean",
                "PopEnabled": "Boolean",
                "ActiveSyncEnabled": "Boolean",
                "MAPIEnabled": "Boolean",
                "EwsEnabled": "Boolean",
            },
            {
                "__AllParameterSets": (
                    "Identity! OWAEnabled ImapEnabled PopEnabled ActiveSyncEnabled MAPIEnabled EwsEnabled "
                    "DomainController Confirm WhatIf"
                )
            },
            positions=ID,
        ),
        define(
            "Get-CASMailbox",
            f"{RECIPIENT_TASKS}.GetCASMailbox",
            {**_ID_TYPES, "ResultSize": "Unlimited"},
            {"Identity": "Identity ResultSize DomainController"},
            positions=ID,
        ),
        define(
            "Get-TransportConfig",
            f"{SYSTEM_CONFIGURATION}.GetTransportConfig",
            {**_ID_TYPES, "Identity": "OrganizationIdParameter"},
            {"__AllParameterSets": "Identity DomainController"},
            positions=ID,
        ),
        define(
            "Set-TransportConfig",
            f"{SYSTEM_CONFIGURATION}.SetTransportConfig",
            {
                **_ID_TYPES,
                "Identity": "OrganizationIdParameter",
                "MaxSendSize": "Unlimited",
                "MaxReceiveSize": "Unlimited",
                "MaxRecipientEnvelopeLimit": "Unlimited",
            },
            {
                "__AllParameterSets": "Identity MaxSendSize MaxReceiveSize "
                "MaxRecipientEnvelopeLimit DomainController Force Confirm WhatIf"
            },
            positions=ID,
        ),
        define(
            "Get-RemoteDomain",
            f"{SYSTEM_CONFIGURATION}.GetRemoteDomain",
            {**_ID_TYPES, "Identity": "RemoteDomainIdParameter"},
            {"__AllParameterSets": "Identity DomainController"},
            positions=ID,
        ),
        define(
            "New-RemoteDomain",
            f"{SYSTEM_CONFIGURATION}.NewRemoteDomain",
            {**_ID_TYPES, "Name": "String", "DomainName": "SmtpDomainWithSubdomains"},
            {"__AllParameterSets": "Name! DomainName! DomainController Confirm WhatIf"},
            positions={"Name": 1},
        ),
        define(
            "Set-RemoteDomain",
            f"{SYSTEM_CONFIGURATION}.SetRemoteDomain",
            {
                **_ID_TYPES,
                "Identity": "RemoteDomainIdParameter",
                "AutoForwardEnabled": "Boolean",
                "AutoReplyEnabled": "Boolean",
                "DeliveryReportEnabled": "Boolean",
                "NDREnabled": "Boolean",
                "IsInternal": "Boolean",
            },
            {
                "__AllParameterSets": (
                    "Identity! AutoForwardEnabled AutoReplyEnabled DeliveryReportEnabled NDREnabled "
                    "IsInternal "
                    "DomainController Confirm WhatIf"
                )
            },
            positions=ID,
        ),
        define(
            "Get-AcceptedDomain",
            f"{SYSTEM_CONFIGURATION}.GetAcceptedDomain",
            {**_ID_TYPES, "Identity": "AcceptedDomainIdParameter"},
            {"__AllParameterSets": "Identity DomainController"},
            positions=ID,
        ),
        define(
            "New-AcceptedDomain",
            f"{SYSTEM_CONFIGURATION}.NewAcceptedDomain",
            {
                **_ID_TYPES,
                "Name": "String",
                "DomainName": "SmtpDomainWithSubdomains",
                "DomainType": "AcceptedDomainType",
            },
            {"__AllParameterSets": "Name! DomainName! DomainType DomainController Confirm WhatIf"},
            positions={"Name": 1},
        ),
        define(
            "Get-TransportRule",
            f"{SYSTEM_CONFIGURATION}.GetTransportRule",
            {**_ID_TYPES, "Identity": "RuleIdParameter", "State": "RuleState", "ResultSize": "Unlimited"},
            {"__AllParameterSets": "Identity State ResultSize DomainController"},
            positions=ID,
        ),
        define(
            "New-TransportRule",
            f"{SYSTEM_CONFIGURATION}.NewTransportRule",
            {**_ID_TYPES, **_RULE_TYPES},
            {
                "__AllParameterSets": (
                    "Name! FromScope SentToScope MessageTypeMatches AttachmentSizeOver "
                    "RecipientADAttributeContainsWords RejectMessageEnhancedStatusCode "
                    f"RejectMessageReasonText {_RULE_ACTIONS} Enabled Priority Comments Mode "
                    "DomainController Confirm WhatIf"
                )
            },
            positions={"Name": 1},
        ),
        define(
            "Set-TransportRule",
            f"{SYSTEM_CONFIGURATION}.SetTransportRule",
            {**_ID_TYPES, **_RULE_TYPES, "Identity": "RuleIdParameter"},
            {
                "__AllParameterSets": (
                    "Identity! Name FromScope SentToScope MessageTypeMatches AttachmentSizeOver "
                    "RecipientADAttributeContainsWords "
                    "RejectMessageEnhancedStatusCode RejectMessageReasonText Priority Comments Mode "
                    f"{_RULE_ACTIONS} DomainController Confirm WhatIf"
                )
            },
            positions=ID,
        ),
        define(
            "Enable-TransportRule",
            f"{SYSTEM_CONFIGURATION}.EnableTransportRule",
            {**_ID_TYPES, "Identity": "RuleIdParameter", "Mode": "RuleMode"},
            {"__AllParameterSets": "Identity! Mode DomainController Confirm WhatIf"},
            positions=ID,
        ),
        define(
            "Disable-TransportRule",
            f"{SYSTEM_CONFIGURATION}.DisableTransportRule",
            {**_ID_TYPES, "Identity": "RuleIdParameter"},
            {"__AllParameterSets": "Identity! DomainController Confirm WhatIf"},
            positions=ID,
        ),
        define(
            "Remove-TransportRule",
            f"{SYSTEM_CONFIGURATION}.RemoveTransportRule",
            {**_ID_TYPES, "Identity": "RuleIdParameter"},
            {"__AllParameterSets": "Identity! DomainController Confirm WhatIf"},
            positions=ID,
            confirm_impact_high=True,
        ),
        define(
            "Get-InboxRule",
            f"{RECIPIENT_TASKS}.GetInboxRule",
            {**_ID_TYPES, "Identity": "InboxRuleIdParameter", "Mailbox": "MailboxIdParameter"},
            {"__AllParameterSets": "Identity Mailbox DomainController"},
            positions=ID,
        ),
        define(
            "Remove-InboxRule",
            f"{RECIPIENT_TASKS}.RemoveInboxRule",
            {**_ID_TYPES, "Identity": "InboxRuleIdParameter", "Mailbox": "MailboxIdParameter"},
            {"__AllParameterSets": "Identity! Mailbox DomainController Force Confirm WhatIf"},
            positions=ID,
            confirm_impact_high=True,
        ),
        define(
            "Disable-InboxRule",
            f"{RECIPIENT_TASKS}.DisableInboxRule",
            {**_ID_TYPES, "Identity": "InboxRuleIdParameter", "Mailbox": "MailboxIdParameter"},
            {"__AllParameterSets": "Identity! Mailbox DomainController Force Confirm WhatIf"},
            positions=ID,
        ),
        *PERMISSION_DEFINITIONS,
        *EXPORT_DEFINITIONS,
        *FILTER_DEFINITIONS,
        *FORWARDING_DEFINITIONS,
    )
}
