# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The anti-malware and anti-spam agents' settings of an Exchange 2016/2019 Mailbox server (R-52):
the Default malware filter policy, the server's malware agent, the Content Filter agent and the
Sender Filter agent, kept in the store's ``config`` table like the transport config.

A fresh server holds Microsoft's documented defaults (MicrosoftDocs/office-docs-powershell,
exchange/exchange-ps/ExchangePowerShell/Set-MalwareFilterPolicy.md, Set-MalwareFilteringServer.md,
Set-ContentFilterConfig.md, Set-SenderFilterConfig.md: "This value is the default" / "The default
value is ..."). Where Microsoft's pages disagree the lab follows the ones that describe the running
agent (see ``CONTENT_FILTER_DEFAULTS``). Ranges and lengths are refused when the binder binds the
value (values.py); what needs several parameters at once is checked here.
"""

from __future__ import annotations

import copy
from typing import Any

from psrpcore.types import ErrorCategory

from exchange_lab.cmdlets.binder import Bound
from exchange_lab.cmdlets.errors import task_error
from exchange_lab.cmdlets.objects import multi_valued, ps_object
from exchange_lab.cmdlets.organization import NOT_FOUND, SYSTEM
from exchange_lab.cmdlets.types import MultiValuedChange

SERVER = "EXLAB01"
MULTI_VALUED = [
    "Microsoft.Exchange.Data.MultiValuedProperty`1[[System.String]]",
    "System.Collections.ArrayList",
]
VALIDATION = "Microsoft.Exchange.Data.DataValidationException"

MALWARE_POLICY_DEFAULTS = {
    "Default": {
        "Action": "DeleteMessage",
        "BypassInboundMessages": False,
        "BypassOutboundMessages": False,
        "EnableInternalSenderAdminNotifications": False,
        "InternalSenderAdminAddress": None,
        "EnableExternalSenderAdminNotifications": False,
        "ExternalSenderAdminAddress": None,
        "EnableInternalSenderNotifications": False,
        "EnableExternalSenderNotifications": False,
        "IsDefault": True,
    }
}
MALWARE_SERVER_DEFAULTS = {
    "BypassFiltering": False,
    "UpdateFrequency": 60,
    "ScanTimeout": 300,
    "DeferAttempts": 3,
    "DeferWaitTime": 5,
    "UpdateTimeout": 150,
    "ScanErrorAction": "Block",
    "PrimaryUpdatePath": "http://forefrontdl.microsoft.com/server/scanengineupdate",
    "SecondaryUpdatePath": None,
}
# Set-ContentFilterConfig.md says SCLRejectEnabled is $false by default; the SCL thresholds page
# (OfficeDocs-Exchange, ExchangeServer/antispam-and-antimalware/antispam-protection/scl.md: "The
# default value is $true ... the default value is 7") and the content filtering procedures ("Only
# the Reject action is enabled by default, and it has the SCL threshold value 7") say it is on; a
# server left as installed rejects with "550 5.7.1 Message rejected as spam by Content Filtering."
# (the reply Exchange gives, as logged by the servers sending to it), so the lab has it on.
CONTENT_FILTER_DEFAULTS = {
    "Enabled": True,
    "ExternalMailEnabled": True,
    "InternalMailEnabled": False,
    "OutlookEmailPostmarkValidationEnabled": False,
    "QuarantineMailbox": None,
    "RejectionResponse": "Message rejected as spam by Content Filtering.",
    "SCLDeleteEnabled": False,
    "SCLDeleteThreshold": 9,
    "SCLRejectEnabled": True,
    "SCLRejectThreshold": 7,
    "SCLQuarantineEnabled": False,
    "SCLQuarantineThreshold": 9,
    "BypassedRecipients": [],
    "BypassedSenders": [],
    "BypassedSenderDomains": [],
}
SENDER_FILTER_DEFAULTS = {
    "Enabled": True,
    "Action": "Reject",
    "BlankSenderBlockingEnabled": False,
    "BlockedSenders": [],
    "BlockedDomains": [],
    "BlockedDomainsAndSubdomains": [],
    "ExternalMailEnabled": True,
    "InternalMailEnabled": False,
    "RecipientBlockedSenderAction": "Reject",
}


def _object(type_name: str, identity: str, values: dict[str, Any]) -> Any:
    props = {
        "Name": identity,
        "Identity": identity,
        **{k: multi_valued(MULTI_VALUED, list(v)) if isinstance(v, list) else v for k, v in values.items()},
    }
    return ps_object([f"{SYSTEM}.{type_name}", "Microsoft.Exchange.Data.Directory.ADObject"], props, identity)


def _not_found(identity: str, task_class: str) -> Exception:
    return task_error(
        f"The operation couldn't be performed because object '{identity}' couldn't be found on "
        "'EXLAB-DC01.danang.gov.vn'.",
        NOT_FOUND,
        task_class,
    )


def _update(values: dict[str, Any], b: Bound, names: Any) -> None:
    for name in names:
        if name not in b:
            continue
        value = b.get(name)
        if isinstance(value, MultiValuedChange):  # @{Add=...; Remove=...}
            value = [v for v in values.get(name) or [] if v not in value.remove] + list(value.add)
        values[name] = value


# -- malware filter policy and server ----------------------------------------------------------------
def _policies(ctx: Any) -> dict[str, dict[str, Any]]:
    # a copy: the store hands back the default itself while nothing is stored
    return copy.deepcopy(ctx.lab.store.config("malware_filter_policies", MALWARE_POLICY_DEFAULTS))


def _policy_name(policies: dict[str, Any], identity: str, task_class: str) -> str:
    for name in policies:
        if name.lower() == identity.lower():
            return name
    raise _not_found(identity, task_class)


def get_malware_filter_policy(ctx: Any, b: Bound) -> list[Any]:
    policies = _policies(ctx)
    names = (
        [_policy_name(policies, b.get("Identity"), ctx.task_class)] if b.get("Identity") else list(policies)
    )
    return [_object("MalwareFilterPolicy", n, policies[n]) for n in names]


def set_malware_filter_policy(ctx: Any, b: Bound) -> None:
    policies = _policies(ctx)
    name = _policy_name(policies, b.get("Identity"), ctx.task_class)
    _update(policies[name], b, MALWARE_POLICY_DEFAULTS["Default"])
    ctx.lab.store.set_config("malware_filter_policies", policies)


def _server(ctx: Any, b: Bound) -> dict[str, Any]:
    identity = b.get("Identity")
    if identity and identity.split(".")[0].upper() != SERVER:
        raise _not_found(identity, ctx.task_class)
    return dict(ctx.lab.store.config("malware_filtering_server", MALWARE_SERVER_DEFAULTS))


def get_malware_filtering_server(ctx: Any, b: Bound) -> list[Any]:
    return [_object("MalwareFilteringServer", SERVER, _server(ctx, b))]


def set_malware_filtering_server(ctx: Any, b: Bound) -> None:
    values = _server(ctx, b)
    _update(values, b, MALWARE_SERVER_DEFAULTS)
    ctx.lab.store.set_config("malware_filtering_server", values)


# -- the Content Filter and Sender Filter agents ------------------------------------------------------
def get_content_filter_config(ctx: Any, b: Bound) -> list[Any]:
    values = ctx.lab.store.config("content_filter_config", CONTENT_FILTER_DEFAULTS)
    return [_object("ContentFilterConfig", "ContentFilterConfig", values)]


def set_content_filter_config(ctx: Any, b: Bound) -> None:
    values = dict(ctx.lab.store.config("content_filter_config", CONTENT_FILTER_DEFAULTS))
    _update(values, b, CONTENT_FILTER_DEFAULTS)
    # "A spam quarantine mailbox is required when you set the SCLQuarantineEnabled parameter to $true"
    if values["SCLQuarantineEnabled"] and not values["QuarantineMailbox"]:
        raise task_error(
            "A spam quarantine mailbox is required when SCLQuarantineEnabled is $true: "
            "set QuarantineMailbox.",
            VALIDATION,
            ctx.task_class,
            ErrorCategory.InvalidData,
        )
    ctx.lab.store.set_config("content_filter_config", values)


def get_sender_filter_config(ctx: Any, b: Bound) -> list[Any]:
    values = ctx.lab.store.config("sender_filter_config", SENDER_FILTER_DEFAULTS)
    return [_object("SenderFilterConfig", "SenderFilterConfig", values)]


def set_sender_filter_config(ctx: Any, b: Bound) -> None:
    values = dict(ctx.lab.store.config("sender_filter_config", SENDER_FILTER_DEFAULTS))
    _update(values, b, SENDER_FILTER_DEFAULTS)
    ctx.lab.store.set_config("sender_filter_config", values)


CMDLETS = {
    "Get-MalwareFilterPolicy": get_malware_filter_policy,
    "Set-MalwareFilterPolicy": set_malware_filter_policy,
    "Get-MalwareFilteringServer": get_malware_filtering_server,
    "Set-MalwareFilteringServer": set_malware_filtering_server,
    "Get-ContentFilterConfig": get_content_filter_config,
    "Set-ContentFilterConfig": set_content_filter_config,
    "Get-SenderFilterConfig": get_sender_filter_config,
    "Set-SenderFilterConfig": set_sender_filter_config,
}
