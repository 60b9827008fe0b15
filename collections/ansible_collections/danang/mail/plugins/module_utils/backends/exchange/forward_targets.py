# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Exchange's reads say about forwards (R-50), pure: the read invocations, the recipients by
every name a forward may give them (:class:`Recipients`), and the :class:`Forward` of each
mailbox forwarding property, inbox rule action and transport rule action. ``forwarding`` runs it.

``where`` names the forward on Exchange so that a removal finds it again: the mailbox property
(``ForwardingSmtpAddress``), ``<rule name> [<RuleIdentity>]`` of an inbox rule, ``<transport rule
name>: <action>`` of a transport rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Invocation
from ansible_collections.danang.mail.plugins.module_utils.forwarding import (
    INBOX_RULE_FORWARD,
    INBOX_RULE_FORWARD_AS_ATTACHMENT,
    INBOX_RULE_REDIRECT,
    MAILBOX_FORWARDING_ADDRESS,
    MAILBOX_FORWARDING_SMTP,
    TRANSPORT_RULE,
    Forward,
)
from ansible_collections.danang.mail.plugins.module_utils.model import SYSTEM_EXCHANGE

MAILBOX_PROPERTIES = {
    "ForwardingSmtpAddress": MAILBOX_FORWARDING_SMTP,
    "ForwardingAddress": MAILBOX_FORWARDING_ADDRESS,
}
INBOX_ACTIONS = {
    "ForwardTo": INBOX_RULE_FORWARD,
    "RedirectTo": INBOX_RULE_REDIRECT,
    "ForwardAsAttachmentTo": INBOX_RULE_FORWARD_AS_ATTACHMENT,
}
# The inbox rule's other actions (Set-InboxRule's page): kept, and they keep a rule worth keeping.
INBOX_OTHER_ACTIONS = (
    "ApplyCategory",
    "ApplySystemCategory",
    "CopyToFolder",
    "DeleteMessage",
    "MarkAsRead",
    "MarkImportance",
    "MoveToFolder",
    "PinMessage",
    "SendTextMessageNotificationTo",
)  # not StopProcessingRules: a rule that only stops the others is disabled instead
# Transport rule actions that send the message to more or other recipients (New-TransportRule's
# page, on-premises): each target is a forward of the organisation (holder "").
TRANSPORT_ACTIONS = ("RedirectMessageTo", "BlindCopyTo", "CopyTo", "AddToRecipients")
TRANSPORT_OTHER_ACTIONS = (
    "AddManagerAsRecipientType",
    "ApplyClassification",
    "ApplyHtmlDisclaimerText",
    "ApplyRightsProtectionTemplate",
    "DeleteMessage",
    "GenerateIncidentReport",
    "GenerateNotification",
    "LogEventText",
    "ModerateMessageByManager",
    "ModerateMessageByUser",
    "NotifySender",
    "PrependSubject",
    "Quarantine",
    "RejectMessageReasonText",
    "RejectMessageEnhancedStatusCode",
    "RemoveHeader",
    "RouteMessageOutboundRequireTls",
    "SetAuditSeverity",
    "SetHeaderName",
    "SetSCL",
    "SmtpRejectMessageRejectText",
    "StopRuleProcessing",
)
RECIPIENT_PROPERTIES = (
    "Identity",
    "DistinguishedName",
    "LegacyExchangeDN",
    "PrimarySmtpAddress",
    "EmailAddresses",
    "ExternalEmailAddress",
)
RULE_PROPERTIES = (
    "Identity",
    "RuleIdentity",
    "Name",
    "MailboxOwnerId",
    "Enabled",
    *INBOX_ACTIONS,
    *INBOX_OTHER_ACTIONS,
)
TRANSPORT_PROPERTIES = ("Name", "State", "Mode", *TRANSPORT_ACTIONS, *TRANSPORT_OTHER_ACTIONS)
_TAGGED = re.compile(r"\[(EX|SMTP|X500):([^\]]+)\]\s*$", re.IGNORECASE)
_RULE_ID = re.compile(r"\[([^\[\]]+)\]$")


def mailbox_read(managed_ou: str) -> Invocation:
    return Invocation.of(
        "Get-Mailbox",
        {"ResultSize": "Unlimited", "OrganizationalUnit": managed_ou},
        select=("Identity", "PrimarySmtpAddress", *MAILBOX_PROPERTIES),
    )


def recipients_read() -> Invocation:
    return Invocation.of("Get-Recipient", {"ResultSize": "Unlimited"}, select=RECIPIENT_PROPERTIES)


def rules_read(address: str) -> Invocation:
    return Invocation.of("Get-InboxRule", {"Mailbox": address}, address, select=RULE_PROPERTIES)


def transport_rules_read() -> Invocation:
    return Invocation.of("Get-TransportRule", {"ResultSize": "Unlimited"}, select=TRANSPORT_PROPERTIES)


def listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value if v is not None] if isinstance(value, (list, tuple)) else [str(value)]


def address_of(record: Mapping[str, Any]) -> str:
    """Where mail to a recipient goes: a contact's or mail user's external address, else its own."""
    external = str(record.get("ExternalEmailAddress") or "")
    kind, _colon, address = external.partition(":")
    if kind.lower() == "smtp" and address:
        return address.lower()
    return str(record.get("PrimarySmtpAddress") or "").lower()


class Recipients:
    """Every recipient of the organisation by each name a forward may use for it."""

    def __init__(self, records: Iterable[Mapping[str, Any]]) -> None:
        self.by_key: dict[str, str] = {}
        for record in records:
            target = address_of(record)
            keys = [
                record.get(k)
                for k in ("Identity", "DistinguishedName", "LegacyExchangeDN", "PrimarySmtpAddress")
            ]
            keys += [p.partition(":")[2] for p in listed(record.get("EmailAddresses"))]
            for key in keys:
                if key and target:
                    self.by_key.setdefault(str(key).lower(), target)

    def address(self, value: str) -> str:
        """The lower-case SMTP address ``value`` (a rule's entry, a property, a name) sends to; an
        unknown recipient's own text, lower-cased."""
        tagged = _TAGGED.search(value)
        text = (tagged.group(2) if tagged else value).strip()
        if not tagged and text[:5].lower() == "smtp:":
            text = text[5:]
        return self.by_key.get(text.lower(), text.lower())


def rule_where(record: Mapping[str, Any]) -> str:
    return f"{record.get('Name') or ''} [{record.get('RuleIdentity')}]"


def rule_id_of(where: str) -> str:
    found = _RULE_ID.search(where)
    return found.group(1) if found else where


def transport_where(name: str, action: str) -> str:
    return f"{name}: {action}"


def owner_addresses(mailboxes: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Mailbox Identity (canonical name, as MailboxOwnerId shows it) -> primary address."""
    return {
        str(m.get("Identity") or "").lower(): str(m.get("PrimarySmtpAddress") or "").lower()
        for m in mailboxes
        if m.get("PrimarySmtpAddress")
    }


def holder_of(rule: Mapping[str, Any], owners: Mapping[str, str]) -> str:
    owner = str(rule.get("MailboxOwnerId") or str(rule.get("Identity") or "").rpartition("\\")[0])
    return owners.get(owner.lower(), owner.lower())


def mailbox_forwards(mailboxes: Iterable[Mapping[str, Any]], recipients: Recipients) -> list[Forward]:
    found = []
    for mailbox in mailboxes:
        holder = str(mailbox.get("PrimarySmtpAddress") or "").lower()
        for prop, mechanism in MAILBOX_PROPERTIES.items():
            for value in listed(mailbox.get(prop)):
                found.append(Forward(SYSTEM_EXCHANGE, holder, recipients.address(value), mechanism, prop))
    return found


def rule_forwards(
    rules: Iterable[Mapping[str, Any]], owners: Mapping[str, str], recipients: Recipients
) -> list[Forward]:
    found = []
    for rule in rules:
        holder, where, enabled = holder_of(rule, owners), rule_where(rule), rule.get("Enabled") is True
        for prop, mechanism in INBOX_ACTIONS.items():
            for value in listed(rule.get(prop)):
                found.append(
                    Forward(SYSTEM_EXCHANGE, holder, recipients.address(value), mechanism, where, enabled)
                )
    return found


def transport_forwards(rules: Iterable[Mapping[str, Any]], recipients: Recipients) -> list[Forward]:
    found = []
    for rule in rules:
        # A rule in a test mode (Audit, AuditAndNotify) takes no action.
        enabled = rule.get("State") == "Enabled" and (rule.get("Mode") or "Enforce") == "Enforce"
        for action in TRANSPORT_ACTIONS:
            for value in listed(rule.get(action)):
                where = transport_where(str(rule.get("Name")), action)
                found.append(
                    Forward(SYSTEM_EXCHANGE, "", recipients.address(value), TRANSPORT_RULE, where, enabled)
                )
    return found


def action_of(forward: Forward) -> str:
    """The rule property (ForwardTo, BlindCopyTo…) that holds a rule's forward."""
    if forward.mechanism == TRANSPORT_RULE:
        return forward.where.rpartition(": ")[2]
    return next(prop for prop, mechanism in INBOX_ACTIONS.items() if mechanism == forward.mechanism)


def without(
    rule: Mapping[str, Any], forwards: Iterable[Forward], recipients: Recipients
) -> Optional[dict[str, Any]]:
    """The action lists of ``rule`` (an inbox or transport rule as read) that change when the
    forwards' targets go, each as the SMTP addresses kept (``None``: empty); ``None`` when the rule
    would be left with no action at all (it is then disabled instead)."""
    actions, others = (TRANSPORT_ACTIONS, TRANSPORT_OTHER_ACTIONS)  # a transport rule has a State
    if "State" not in rule:
        actions, others = tuple(INBOX_ACTIONS), INBOX_OTHER_ACTIONS
    drop: dict[str, set[str]] = {}
    for forward in forwards:
        drop.setdefault(action_of(forward), set()).add(forward.target)
    changes: dict[str, Any] = {}
    left = any(rule.get(prop) not in (None, False, "", []) for prop in others)
    for prop in actions:
        targets = [recipients.address(v) for v in listed(rule.get(prop))]
        kept = [t for t in targets if t not in drop.get(prop, set())]
        if len(kept) != len(targets):
            changes[prop] = kept or None
        left = left or bool(kept)
    return changes if left else None
