# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Spam and virus filtering of an on-premises Exchange 2016/2019 Mailbox server (R-52, R-51): a pure
plan, called by ``organisation.plan_org``. Each item is one cmdlet on what the server holds:

- ``malware_policy`` — ``Set-MalwareFilterPolicy -Identity Default``: the action on a message with
  malware, filtering of inbound and outbound mail never bypassed, and (when ``malware_admin_address``
  is given) the administrator notified of detections from internal and external senders.
- ``malware_server:<server>`` — ``Set-MalwareFilteringServer -BypassFiltering $false`` on every
  server ``Get-MalwareFilteringServer`` lists: the malware agent scans.
- ``content_filter`` — ``Set-ContentFilterConfig``: the Content Filter agent on, the SCL reject,
  quarantine and delete actions with their thresholds; quarantined mail goes to the spam-report
  mailbox ``chanthurac@`` (R-51) unless another quarantine mailbox is named.
- ``sender_filter`` — ``Set-SenderFilterConfig``: the Sender Filter agent on, blank senders
  blocked, the blocked senders and domains exactly as listed.

The parameters and their documented ranges are those of the cmdlet pages
(MicrosoftDocs/office-docs-powershell, exchange/exchange-ps/ExchangePowerShell/<Cmdlet>.md);
:func:`problems` refuses what Exchange would refuse before anything is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Invocation
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.render import as_bool

MALWARE_ACTIONS = ("DeleteMessage", "DeleteAttachmentAndUseDefaultAlert", "DeleteAttachmentAndUseCustomAlert")
REJECTION_RESPONSE = (
    "Message rejected as spam by the Da Nang city mail system (R-52). "
    "Thu bi tu choi vi bi xac dinh la thu rac."
)
SCL_RANGE = (1, 9)  # Set-ContentFilterConfig: "an integer value from 1 through 9"
REJECTION_RESPONSE_MAX = 240  # Set-ContentFilterConfig -RejectionResponse: "Don't exceed 240 characters"
BLOCKED_MAX = 800  # Set-SenderFilterConfig: "The maximum number of entries for this parameter is 800"
_ADDRESS = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")  # no wildcard: BlockedDomains takes none


@dataclass(frozen=True)
class FilterSettings:
    """What the city wants; the defaults are the project's choices (the role's README says why)."""

    malware_action: str = "DeleteMessage"
    malware_admin_address: Optional[str] = None
    content_filter: bool = True
    internal_mail: bool = False  # filter mail of the organisation's own authenticated senders
    external_mail: bool = True
    reject: bool = True
    reject_threshold: int = 7
    quarantine: bool = True
    quarantine_threshold: int = 5
    quarantine_mailbox: Optional[str] = None  # None: the spam-report mailbox chanthurac@
    delete: bool = False  # a silent delete loses official mail without a trace: off
    delete_threshold: int = 9
    rejection_response: str = REJECTION_RESPONSE
    sender_filter: bool = True
    blank_sender_blocking: bool = True
    blocked_senders: tuple[str, ...] = ()
    blocked_domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class FilterState:
    """What the reads found: one record each; ``malware_servers`` lists every server."""

    malware_policy: Optional[Mapping[str, Any]]
    malware_servers: Sequence[Mapping[str, Any]]
    content_filter: Mapping[str, Any]
    sender_filter: Mapping[str, Any]


# (item, before, after, invocations): organisation.plan_org makes each an OrgChange.
FilterChange = tuple[str, dict[str, Any], dict[str, Any], list[Invocation]]


def read_invocations() -> dict[str, Invocation]:
    return {
        "malware_policy": Invocation.of("Get-MalwareFilterPolicy", {"Identity": "Default"}),
        "malware_servers": Invocation.of("Get-MalwareFilteringServer", {}),
        "content_filter": Invocation.of("Get-ContentFilterConfig", {}),
        "sender_filter": Invocation.of("Get-SenderFilterConfig", {}),
    }


def state_from(read: Mapping[str, list[dict[str, Any]]]) -> FilterState:
    return FilterState(
        malware_policy=next(iter(read["malware_policy"]), None),
        malware_servers=read["malware_servers"],
        content_filter=next(iter(read["content_filter"]), {}),
        sender_filter=next(iter(read["sender_filter"]), {}),
    )


def problems(settings: FilterSettings, spam_address: str) -> list[str]:
    """What Exchange would refuse or what contradicts itself, one message per option; [] when fine."""
    found = []
    low, high = SCL_RANGE
    thresholds = {
        "quarantine_threshold": (settings.quarantine, settings.quarantine_threshold),
        "reject_threshold": (settings.reject, settings.reject_threshold),
        "delete_threshold": (settings.delete, settings.delete_threshold),
    }
    for name, (_on, value) in thresholds.items():
        if not low <= value <= high:
            found.append(f"{name}: {value}, Exchange takes an SCL from {low} through {high}")
    # Delete before reject before quarantine: a lower action's threshold under a higher one's never acts.
    on = [(name, value) for name, (enabled, value) in thresholds.items() if enabled]
    for index in range(1, len(on)):
        (lower, a), (higher, b) = on[index - 1], on[index]
        if a >= b:
            found.append(f"{lower}: {a} must be below {higher} ({b}), or it never acts")
    text = settings.rejection_response
    if not text.isascii() or len(text) > REJECTION_RESPONSE_MAX or (settings.reject and not text.strip()):
        found.append(
            f"rejection_response: {len(text)} characters, Exchange takes 1 to {REJECTION_RESPONSE_MAX} "
            "ASCII characters (AsciiString)"
        )
    addresses = {"quarantine_mailbox": settings.quarantine_mailbox or spam_address}
    if settings.malware_admin_address is not None:
        addresses["malware_admin_address"] = settings.malware_admin_address
    for name, address in addresses.items():
        if not _ADDRESS.match(address):
            found.append(f"{name}: {address!r} is not an e-mail address")
    if settings.malware_action not in MALWARE_ACTIONS:
        found.append(f"malware_action: {settings.malware_action!r}, one of {', '.join(MALWARE_ACTIONS)}")
    for name, values, pattern in (
        ("blocked_senders", settings.blocked_senders, _ADDRESS),
        ("blocked_domains", settings.blocked_domains, _DOMAIN),
    ):
        if len(values) > BLOCKED_MAX:
            found.append(f"{name}: {len(values)} entries, Exchange allows at most {BLOCKED_MAX}")
        found.extend(f"{name}: {v!r} is not valid" for v in values if not pattern.match(v))
    return found


def plan_filters(settings: FilterSettings, state: FilterState, spam_address: str) -> list[FilterChange]:
    """Every filter item of ``settings`` that ``state`` does not hold yet, in a fixed order."""
    changes: list[FilterChange] = []
    policy = _policy_change(settings, state.malware_policy)
    if policy:
        changes.append(policy)
    for server in sorted(state.malware_servers, key=lambda s: str(s.get("Name"))):
        if as_bool(server.get("BypassFiltering")) is not False:
            name = str(server.get("Name"))
            invocation = Invocation.of(
                "Set-MalwareFilteringServer", {"Identity": name, "BypassFiltering": False}
            )
            changes.append(
                (
                    f"malware_server:{name}",
                    {"BypassFiltering": as_bool(server.get("BypassFiltering"))},
                    {"BypassFiltering": False},
                    [invocation],
                )
            )
    content = _content_change(settings, state.content_filter, settings.quarantine_mailbox or spam_address)
    if content:
        changes.append(content)
    sender = _sender_change(settings, state.sender_filter)
    if sender:
        changes.append(sender)
    return changes


def _differ(want: Mapping[str, Any], have: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in want if _comparable(want[k]) != _comparable(have.get(k))]
    return {k: have.get(k) for k in keys}, {k: want[k] for k in keys}


def _comparable(value: Any) -> Any:
    """Exchange returns what it stores; addresses and domains compare without letter case, lists as sets."""
    if isinstance(value, (list, tuple)):
        return frozenset(str(v).lower() for v in value)
    if isinstance(value, str):
        return value.lower()
    return value


def _policy_change(settings: FilterSettings, record: Optional[Mapping[str, Any]]) -> Optional[FilterChange]:
    admin = settings.malware_admin_address
    want: dict[str, Any] = {
        "Action": settings.malware_action,
        "BypassInboundMessages": False,
        "BypassOutboundMessages": False,
        "EnableInternalSenderAdminNotifications": admin is not None,
        "EnableExternalSenderAdminNotifications": admin is not None,
    }
    if admin is not None:
        want.update(InternalSenderAdminAddress=admin, ExternalSenderAdminAddress=admin)
    have = _typed(record or {}, want)
    before, after = _differ(want, have)
    if not after:
        return None
    invocation = Invocation.of("Set-MalwareFilterPolicy", {"Identity": "Default", **after})
    return ("malware_policy", before, after, [invocation])


def _content_change(
    settings: FilterSettings, record: Mapping[str, Any], quarantine_to: str
) -> Optional[FilterChange]:
    want: dict[str, Any] = {
        "Enabled": settings.content_filter,
        "InternalMailEnabled": settings.internal_mail,
        "ExternalMailEnabled": settings.external_mail,
        "SCLRejectEnabled": settings.reject,
        "SCLRejectThreshold": settings.reject_threshold,
        "SCLQuarantineEnabled": settings.quarantine,
        "SCLQuarantineThreshold": settings.quarantine_threshold,
        "SCLDeleteEnabled": settings.delete,
        "SCLDeleteThreshold": settings.delete_threshold,
        "RejectionResponse": settings.rejection_response,
    }
    if settings.quarantine:
        want["QuarantineMailbox"] = quarantine_to
    before, after = _differ(want, _typed(record, want))
    if not after:
        return None
    return ("content_filter", before, after, [Invocation.of("Set-ContentFilterConfig", after)])


def _sender_change(settings: FilterSettings, record: Mapping[str, Any]) -> Optional[FilterChange]:
    want: dict[str, Any] = {
        "Enabled": settings.sender_filter,
        "BlankSenderBlockingEnabled": settings.blank_sender_blocking,
        "BlockedSenders": sorted(settings.blocked_senders, key=str.lower),
        "BlockedDomains": sorted(settings.blocked_domains, key=str.lower),
    }
    before, after = _differ(want, _typed(record, want))
    if not after:
        return None
    # An empty list is sent as $null, which clears a multi-valued property.
    params = {k: (v if v != [] else None) for k, v in after.items()}
    return ("sender_filter", before, after, [Invocation.of("Set-SenderFilterConfig", params)])


def _typed(record: Mapping[str, Any], want: Mapping[str, Any]) -> dict[str, Any]:
    """The record's values of the wanted keys, as the wanted types (remote PowerShell may send text)."""
    have: dict[str, Any] = {}
    for key, wanted in want.items():
        value = record.get(key)
        if isinstance(wanted, bool):
            value = as_bool(value)
        elif isinstance(wanted, int) and value is not None:
            value = int(value)
        elif isinstance(wanted, list):
            value = sorted((str(v) for v in value or []), key=str.lower)
        elif value is not None:
            value = str(value)
        have[key] = value
    return have
