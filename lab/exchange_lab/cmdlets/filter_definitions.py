# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The anti-malware and anti-spam agent cmdlets' sets (written for the lab; cross-checked by
test_cmdlet_definitions.py).

Only the on-premises parameters the city's settings use (issue 14, R-52): the Default malware
filter policy and the malware agent of the server, the Content Filter agent and the Sender Filter
agent. Each cmdlet has one parameter set (``__AllParameterSets``) in Microsoft's reference.
"""

from __future__ import annotations

from exchange_lab.cmdlets.binder import CmdletDef, define

SYSTEM_CONFIGURATION = "Microsoft.Exchange.Management.SystemConfigurationTasks"
ALL = "__AllParameterSets"
ID = {"Identity": 1}
_COMMON = {
    "DomainController": "Fqdn",
    "Confirm": "SwitchParameter",
    "WhatIf": "SwitchParameter",
}
_POLICY_SETTINGS = {
    "Action": "MalwareFilteringAction",
    "BypassInboundMessages": "Boolean",
    "BypassOutboundMessages": "Boolean",
    "EnableInternalSenderAdminNotifications": "Boolean",
    "InternalSenderAdminAddress": "SmtpAddress",
    "EnableExternalSenderAdminNotifications": "Boolean",
    "ExternalSenderAdminAddress": "SmtpAddress",
    "EnableInternalSenderNotifications": "Boolean",
    "EnableExternalSenderNotifications": "Boolean",
}
_SERVER_SETTINGS = {
    "BypassFiltering": "Boolean",
    "UpdateFrequency": "Int32",
    "ScanTimeout": "Int32",
    "DeferAttempts": "Int32",
    "DeferWaitTime": "Int32",
    "UpdateTimeout": "Int32",
    "ScanErrorAction": "MalwareScanErrorAction",
    "PrimaryUpdatePath": "String",
    "SecondaryUpdatePath": "String",
}
_CONTENT_SETTINGS = {
    "Enabled": "Boolean",
    "ExternalMailEnabled": "Boolean",
    "InternalMailEnabled": "Boolean",
    "OutlookEmailPostmarkValidationEnabled": "Boolean",
    "QuarantineMailbox": "SmtpAddress",
    "RejectionResponse": "AsciiString",
    "SCLDeleteEnabled": "Boolean",
    "SCLDeleteThreshold": "Int32",
    "SCLQuarantineEnabled": "Boolean",
    "SCLQuarantineThreshold": "Int32",
    "SCLRejectEnabled": "Boolean",
    "SCLRejectThreshold": "Int32",
    "BypassedRecipients": "MultiValuedProperty",
    "BypassedSenders": "MultiValuedProperty",
    "BypassedSenderDomains": "MultiValuedProperty",
}
_SENDER_SETTINGS = {
    "Enabled": "Boolean",
    "Action": "BlockedSenderAction",
    "BlankSenderBlockingEnabled": "Boolean",
    "BlockedSenders": "MultiValuedProperty",
    "BlockedDomains": "MultiValuedProperty",
    "BlockedDomainsAndSubdomains": "MultiValuedProperty",
    "ExternalMailEnabled": "Boolean",
    "InternalMailEnabled": "Boolean",
    "RecipientBlockedSenderAction": "RecipientBlockedSenderAction",
}


def _set(settings: dict[str, str], head: str = "") -> str:
    return f"{head} {' '.join(settings)} DomainController Confirm WhatIf".strip()


FILTER_DEFINITIONS: tuple[CmdletDef, ...] = (
    define(
        "Get-MalwareFilterPolicy",
        f"{SYSTEM_CONFIGURATION}.GetMalwareFilterPolicy",
        {**_COMMON, "Identity": "MalwareFilterPolicyIdParameter"},
        {ALL: "Identity DomainController"},
        positions=ID,
    ),
    define(
        "Set-MalwareFilterPolicy",
        f"{SYSTEM_CONFIGURATION}.SetMalwareFilterPolicy",
        {**_COMMON, **_POLICY_SETTINGS, "Identity": "MalwareFilterPolicyIdParameter"},
        {ALL: _set(_POLICY_SETTINGS, "Identity!")},
        positions=ID,
    ),
    define(
        "Get-MalwareFilteringServer",
        f"{SYSTEM_CONFIGURATION}.GetMalwareFilteringServer",
        {**_COMMON, "Identity": "MalwareFilteringServerIdParameter"},
        {ALL: "Identity DomainController"},
        positions=ID,
    ),
    define(
        "Set-MalwareFilteringServer",
        f"{SYSTEM_CONFIGURATION}.SetMalwareFilteringServer",
        {**_COMMON, **_SERVER_SETTINGS, "Identity": "MalwareFilteringServerIdParameter"},
        {ALL: _set(_SERVER_SETTINGS, "Identity!")},
        positions=ID,
    ),
    define(
        "Get-ContentFilterConfig",
        f"{SYSTEM_CONFIGURATION}.GetContentFilterConfig",
        _COMMON,
        {ALL: "DomainController"},
        pipeline=(),
    ),
    define(
        "Set-ContentFilterConfig",
        f"{SYSTEM_CONFIGURATION}.SetContentFilterConfig",
        {**_COMMON, **_CONTENT_SETTINGS},
        {ALL: _set(_CONTENT_SETTINGS)},
        pipeline=(),
    ),
    define(
        "Get-SenderFilterConfig",
        f"{SYSTEM_CONFIGURATION}.GetSenderFilterConfig",
        {**_COMMON, "Identity": "OrganizationIdParameter"},
        {ALL: "Identity DomainController"},
        positions=ID,
    ),
    define(
        "Set-SenderFilterConfig",
        f"{SYSTEM_CONFIGURATION}.SetSenderFilterConfig",
        {**_COMMON, **_SENDER_SETTINGS},
        {ALL: _set(_SENDER_SETTINGS)},
        pipeline=(),
    ),
)
