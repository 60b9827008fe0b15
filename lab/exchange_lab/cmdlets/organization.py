# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Organisation-level cmdlets: mailbox databases, transport config, remote and accepted domains,
transport rules. Their objects live in the store's ``config`` table."""

from __future__ import annotations

import uuid
from typing import Any

from psrpcore.types import ErrorCategory

from exchange_lab.cmdlets.binder import Bound
from exchange_lab.cmdlets.errors import CmdletError, task_error
from exchange_lab.cmdlets.objects import multi_valued, ps_object
from exchange_lab.cmdlets.types import UNLIMITED, MultiValuedChange, format_size

SYSTEM = "Microsoft.Exchange.Data.Directory.SystemConfiguration"
NOT_FOUND = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
EXISTS = "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException"
WORDS = "Microsoft.Exchange.MessagingPolicies.Rules.Tasks.Word[]"
ORG = "CN=DaNang,CN=Microsoft Exchange,CN=Services,CN=Configuration"

# Exchange 2016's database defaults: warning 1.899 GB, prohibit send 2 GB, send/receive 2.3 GB.
DATABASES = {
    name: {
        "Name": name,
        "Guid": uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.exlab.danang.gov.vn"),
        "IssueWarningQuota": 2_039_480_320,
        "ProhibitSendQuota": 2_147_483_648,
        "ProhibitSendReceiveQuota": 2_469_396_480,
    }
    for name in ("DB01", "DB02")
}


def database_dn(name: str, base_dn: str) -> str:
    return (
        f"CN={name},CN=Databases,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),"
        f"CN=Administrative Groups,{ORG},{base_dn}"
    )


def find_database(identity: str, task_class: str) -> dict[str, Any]:
    for name, db in DATABASES.items():
        if identity.lower() in (name.lower(), str(db["Guid"])) or identity.upper().startswith(f"CN={name},"):
            return db
    raise task_error(
        f'Couldn\'t find database "{identity}". Make sure you have typed it correctly.', NOT_FOUND, task_class
    )


def get_mailbox_database(ctx: Any, b: Bound) -> list[Any]:
    if b.set_name == "Server" and b.get("Server").split(".")[0].upper() != "EXLAB01":
        raise task_error(
            f"The operation couldn't be performed because object '{b.get('Server')}' couldn't be found.",
            NOT_FOUND,
            ctx.task_class,
        )
    dbs = (
        [find_database(b.get("Identity"), ctx.task_class)] if b.get("Identity") else list(DATABASES.values())
    )
    base = ctx.lab.directory.base_dn
    return [
        ps_object(
            [f"{SYSTEM}.MailboxDatabase", f"{SYSTEM}.Database", "Microsoft.Exchange.Data.Directory.ADObject"],
            {
                "Name": db["Name"],
                "Identity": db["Name"],
                "Guid": db["Guid"],
                "DistinguishedName": database_dn(db["Name"], base),
                "Server": "EXLAB01",
                "IssueWarningQuota": format_size(db["IssueWarningQuota"]),
                "ProhibitSendQuota": format_size(db["ProhibitSendQuota"]),
                "ProhibitSendReceiveQuota": format_size(db["ProhibitSendReceiveQuota"]),
                "MailboxRetention": "30.00:00:00",
                "IsExcludedFromProvisioning": False,
                "Mounted": True if b.get("Status") else None,
            },
            db["Name"],
        )
        for db in dbs
    ]


# -- transport config --------------------------------------------------------------------------------
_TRANSPORT_DEFAULTS = {
    "MaxSendSize": 10_485_760,
    "MaxReceiveSize": 10_485_760,
    "MaxRecipientEnvelopeLimit": 500,
}


def get_transport_config(ctx: Any, b: Bound) -> list[Any]:
    config = ctx.lab.store.config("transport_config", _TRANSPORT_DEFAULTS)
    props = {
        "Identity": "Transport Settings",
        "MaxSendSize": format_size(config["MaxSendSize"]),
        "MaxReceiveSize": format_size(config["MaxReceiveSize"]),
        "MaxRecipientEnvelopeLimit": str(config["MaxRecipientEnvelopeLimit"]),
    }
    return [ps_object([f"{SYSTEM}.TransportConfigContainer"], props, "Transport Settings")]


def set_transport_config(ctx: Any, b: Bound) -> None:
    config = dict(ctx.lab.store.config("transport_config", _TRANSPORT_DEFAULTS))
    for name in ("MaxSendSize", "MaxReceiveSize", "MaxRecipientEnvelopeLimit"):
        if name in b:
            value = b.get(name)
            if name == "MaxRecipientEnvelopeLimit" and value != UNLIMITED:
                value = int(value)
            config[name] = value
    ctx.lab.store.set_config("transport_config", config)


# -- remote and accepted domains ---------------------------------------------------------------------
_REMOTE_DEFAULT = {
    "Default": {
        "DomainName": "*",
        "AutoForwardEnabled": False,
        "AutoReplyEnabled": False,
        "DeliveryReportEnabled": True,
        "NDREnabled": True,
        "IsInternal": False,
    },
}


def _remote_domains(ctx: Any) -> dict[str, dict[str, Any]]:
    return ctx.lab.store.config("remote_domains", _REMOTE_DEFAULT)


def _remote_object(name: str, values: dict[str, Any]) -> Any:
    return ps_object([f"{SYSTEM}.DomainContentConfig"], {"Name": name, "Identity": name, **values}, name)


def _find_named(items: dict[str, Any], identity: str, kind: str, task_class: str) -> str:
    for name, values in items.items():
        if identity.lower() in (name.lower(), str(values.get("DomainName", "")).lower()):
            return name
    raise task_error(
        f"The operation couldn't be performed because object '{identity}' couldn't be found on "
        f"'EXLAB-DC01.danang.gov.vn'.",
        NOT_FOUND,
        task_class,
    )


def get_remote_domain(ctx: Any, b: Bound) -> list[Any]:
    domains = _remote_domains(ctx)
    names = (
        [_find_named(domains, b.get("Identity"), "remote domain", ctx.task_class)]
        if b.get("Identity")
        else list(domains)
    )
    return [_remote_object(n, domains[n]) for n in names]


def new_remote_domain(ctx: Any, b: Bound) -> list[Any]:
    domains = dict(_remote_domains(ctx))
    for name, values in domains.items():
        if name.lower() == b.get("Name").lower() or values["DomainName"] == b.get("DomainName"):
            raise task_error(f"The remote domain '{b.get('Name')}' already exists.", EXISTS, ctx.task_class)
    # New remote domains allow automatic forwarding, unlike the built-in Default.
    domains[b.get("Name")] = {
        "DomainName": b.get("DomainName"),
        "AutoForwardEnabled": True,
        "AutoReplyEnabled": True,
        "DeliveryReportEnabled": True,
        "NDREnabled": True,
        "IsInternal": False,
    }
    ctx.lab.store.set_config("remote_domains", domains)
    return [_remote_object(b.get("Name"), domains[b.get("Name")])]


def set_remote_domain(ctx: Any, b: Bound) -> None:
    domains = dict(_remote_domains(ctx))
    name = _find_named(domains, b.get("Identity"), "remote domain", ctx.task_class)
    for key in (
        "AutoForwardEnabled",
        "AutoReplyEnabled",
        "DeliveryReportEnabled",
        "NDREnabled",
        "IsInternal",
    ):
        if key in b:
            domains[name][key] = b.get(key)
    ctx.lab.store.set_config("remote_domains", domains)


def accepted_domains(ctx: Any) -> dict[str, dict[str, Any]]:
    domain = ctx.lab.directory.domain
    return ctx.lab.store.config(
        "accepted_domains", {domain: {"DomainName": domain, "DomainType": "Authoritative", "Default": True}}
    )


def check_accepted_domain(ctx: Any, address: str) -> None:
    """A primary SMTP address must be in an accepted domain ("*.x" accepts x's subdomains)."""
    domain = address.rpartition("@")[2].lower()
    for accepted in (str(d["DomainName"]).lower() for d in accepted_domains(ctx).values()):
        if domain == accepted or (accepted.startswith("*.") and domain.endswith(accepted[1:])):
            return
    raise task_error(
        f'The email address "{address}" isn\'t correct. The domain "{domain}" isn\'t an accepted '
        "domain for your organization.",
        "Microsoft.Exchange.Data.DataValidationException",
        ctx.task_class,
        ErrorCategory.InvalidArgument,
        address,
    )


def get_accepted_domain(ctx: Any, b: Bound) -> list[Any]:
    domains = accepted_domains(ctx)
    names = (
        [_find_named(domains, b.get("Identity"), "accepted domain", ctx.task_class)]
        if b.get("Identity")
        else list(domains)
    )
    return [
        ps_object([f"{SYSTEM}.AcceptedDomain"], {"Name": n, "Identity": n, **domains[n]}, n) for n in names
    ]


def new_accepted_domain(ctx: Any, b: Bound) -> list[Any]:
    domains = dict(accepted_domains(ctx))
    for name, values in domains.items():
        if name.lower() == b.get("Name").lower() or values["DomainName"] == b.get("DomainName"):
            raise task_error(f"The accepted domain '{b.get('Name')}' already exists.", EXISTS, ctx.task_class)
    domains[b.get("Name")] = {
        "DomainName": b.get("DomainName"),
        "DomainType": b.get("DomainType", "Authoritative"),
        "Default": False,
    }
    ctx.lab.store.set_config("accepted_domains", domains)
    return [
        ps_object(
            [f"{SYSTEM}.AcceptedDomain"],
            {"Name": b.get("Name"), "Identity": b.get("Name"), **domains[b.get("Name")]},
            b.get("Name"),
        )
    ]


def is_internal(ctx: Any, address: str) -> bool:
    """Whether mail to this address stays in the organisation (an accepted domain)."""
    domain = address.rsplit("@", 1)[-1].lower()
    return any(domain == v["DomainName"].lower() for v in accepted_domains(ctx).values())


# -- transport rules ---------------------------------------------------------------------------------
# The actions that send the message to other recipients (New-TransportRule's page).
REDIRECTING = ("RedirectMessageTo", "BlindCopyTo", "CopyTo", "AddToRecipients")
_RULE_FIELDS = (
    "FromScope",
    "SentToScope",
    "MessageTypeMatches",
    "AttachmentSizeOver",
    "RecipientADAttributeContainsWords",
    "RejectMessageEnhancedStatusCode",
    "RejectMessageReasonText",
    "Comments",
    "Mode",
    *REDIRECTING,
)


def _recipients(ctx: Any, rule: dict[str, Any]) -> None:
    """The rule keeps the SMTP address of each recipient its actions name (a mailbox's or mail
    contact's primary address, or the address given)."""
    from exchange_lab.cmdlets.recipients import (
        recipient_address,
    )  # not at the top: recipients imports mailbox, which imports this module

    for field in REDIRECTING:
        if isinstance(rule.get(field), list):
            rule[field] = [recipient_address(ctx, v) for v in rule[field]] or None


def _rules(ctx: Any) -> list[dict[str, Any]]:
    return ctx.lab.store.config("transport_rules", [])


def _rule_object(rule: dict[str, Any]) -> Any:
    props = {**rule, "Identity": rule["Name"]}
    if props.get("RecipientADAttributeContainsWords"):  # Rule's Word[] property: an array
        props["RecipientADAttributeContainsWords"] = multi_valued(
            [WORDS, "System.Array"], list(props["RecipientADAttributeContainsWords"])
        )
    if props.get("AttachmentSizeOver") is not None:
        props["AttachmentSizeOver"] = format_size(props["AttachmentSizeOver"])
    return ps_object(["Microsoft.Exchange.MessagingPolicies.Rules.Tasks.Rule"], props, rule["Name"])


def _rule_index(rules: list[dict[str, Any]], identity: str, task_class: str) -> int:
    for index, rule in enumerate(rules):
        if rule["Name"].lower() == identity.lower() or rule["Guid"] == identity.lower():
            return index
    raise task_error(
        f"The operation couldn't be performed because object '{identity}' couldn't be found on "
        f"'EXLAB-DC01.danang.gov.vn'.",
        NOT_FOUND,
        task_class,
    )


def get_transport_rule(ctx: Any, b: Bound) -> list[Any]:
    rules = _rules(ctx)
    if b.get("Identity"):
        rules = [rules[_rule_index(rules, b.get("Identity"), ctx.task_class)]]
    if b.get("State"):
        rules = [r for r in rules if r["State"] == b.get("State")]
    return [_rule_object(r) for r in rules]


def new_transport_rule(ctx: Any, b: Bound) -> list[Any]:
    rules = list(_rules(ctx))
    if any(r["Name"].lower() == b.get("Name").lower() for r in rules):
        raise task_error(
            f"A transport rule with the name '{b.get('Name')}' already exists.", EXISTS, ctx.task_class
        )
    rule = {
        "Name": b.get("Name"),
        "Guid": str(uuid.uuid4()),
        "State": "Enabled" if b.get("Enabled", True) else "Disabled",
        "Priority": len(rules),
        **{f: b.get(f) for f in _RULE_FIELDS},
    }
    if rule["Mode"] is None:
        rule["Mode"] = "Enforce"
    _recipients(ctx, rule)
    priority = b.get("Priority", len(rules))
    if not 0 <= priority <= len(rules):
        raise CmdletError(
            f"The priority must be between 0 and {len(rules)}.",
            exception_type="System.ArgumentOutOfRangeException",
            error_id=f"ArgumentOutOfRange,{ctx.task_class}",
        )
    rules.insert(priority, rule)
    for index, r in enumerate(rules):
        r["Priority"] = index
    ctx.lab.store.set_config("transport_rules", rules)
    return [_rule_object(rule)]


def set_transport_rule(ctx: Any, b: Bound) -> None:
    rules = list(_rules(ctx))
    index = _rule_index(rules, b.get("Identity"), ctx.task_class)
    rule = rules.pop(index)
    for field in ("Name", *_RULE_FIELDS):
        if field in b:
            value = b.get(field)
            if isinstance(value, MultiValuedChange):  # @{Add=...; Remove=...}
                value = [v for v in rule.get(field) or [] if v not in value.remove] + list(value.add)
            rule[field] = value
    _recipients(ctx, rule)
    rules.insert(b.get("Priority", index), rule)
    for position, r in enumerate(rules):
        r["Priority"] = position
    ctx.lab.store.set_config("transport_rules", rules)


def _switch_transport_rule(ctx: Any, b: Bound, state: str) -> None:
    """State is not a Set-TransportRule parameter: Enable-/Disable-TransportRule change it
    (learn.microsoft.com/powershell/module/exchange/enable-transportrule, …/disable-transportrule);
    Enable's -Mode sets the mode at the same time."""
    rules = list(_rules(ctx))
    rule = rules[_rule_index(rules, b.get("Identity"), ctx.task_class)]
    rule["State"] = state
    if "Mode" in b:
        rule["Mode"] = b.get("Mode")
    ctx.lab.store.set_config("transport_rules", rules)


def enable_transport_rule(ctx: Any, b: Bound) -> None:
    _switch_transport_rule(ctx, b, "Enabled")


def disable_transport_rule(ctx: Any, b: Bound) -> None:
    _switch_transport_rule(ctx, b, "Disabled")


def remove_transport_rule(ctx: Any, b: Bound) -> None:
    rules = list(_rules(ctx))
    del rules[_rule_index(rules, b.get("Identity"), ctx.task_class)]
    for position, rule in enumerate(rules):
        rule["Priority"] = position
    ctx.lab.store.set_config("transport_rules", rules)


CMDLETS = {
    "Get-MailboxDatabase": get_mailbox_database,
    "Get-TransportConfig": get_transport_config,
    "Set-TransportConfig": set_transport_config,
    "Get-RemoteDomain": get_remote_domain,
    "New-RemoteDomain": new_remote_domain,
    "Set-RemoteDomain": set_remote_domain,
    "Get-AcceptedDomain": get_accepted_domain,
    "New-AcceptedDomain": new_accepted_domain,
    "Get-TransportRule": get_transport_rule,
    "New-TransportRule": new_transport_rule,
    "Set-TransportRule": set_transport_rule,
    "Enable-TransportRule": enable_transport_rule,
    "Disable-TransportRule": disable_transport_rule,
    "Remove-TransportRule": remove_transport_rule,
}
