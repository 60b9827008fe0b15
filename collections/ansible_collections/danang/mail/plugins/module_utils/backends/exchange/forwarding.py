# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Forwards on Exchange (R-50): ``read_forwards`` and ``remove_forwards`` of ``contract.Forwarding``.

Read, in one bulk pass: ONE ``Get-Mailbox`` of the managed OU (``ForwardingSmtpAddress``,
``ForwardingAddress``), ONE ``Get-Recipient -ResultSize Unlimited`` (every recipient's addresses, to
resolve what a forward names), ``Get-InboxRule -Mailbox <each>`` as the statements of pipelines of
``batch_size`` over the transport's sessions, ONE ``Get-TransportRule``. Targets are resolved to
the SMTP address mail really goes to: a mail contact or mail user to its ExternalEmailAddress (so
a contact outside the city is outside), a mailbox to its primary address. Inbox rules show a
recipient of the organisation as ``"Name" [EX:<LegacyExchangeDN>]``, others as ``[SMTP:addr]``.

Remove: a fresh read of exactly what is named, then only the named targets go:
``Set-Mailbox -ForwardingSmtpAddress $null`` / ``-ForwardingAddress $null``; ``Set-InboxRule`` with
the action's other targets kept, or ``Disable-InboxRule`` when the rule would be left with no action
at all; the same for transport rules (``Set-TransportRule`` / ``Disable-TransportRule``). Typed
parameters only. A forward already gone is ok.

Microsoft documents that changing an inbox rule with the *-InboxRule cmdlets removes the rules
Outlook keeps client-side only (learn.microsoft.com/powershell/module/exchange/set-inboxrule);
server-side rules and the rule changed stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError, Result
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (
    OK,
    SWITCH,
    Invocation,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.parallel import query_groups
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import (
    ExchangeError,
    ExchangeTransport,
)
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

REMOVE_FORWARD = "remove_forward"
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


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value if v is not None] if isinstance(value, (list, tuple)) else [str(value)]


def _address_of(record: Mapping[str, Any]) -> str:
    """Where mail to a recipient goes: a contact's or mail user's external address, else its own."""
    external = str(record.get("ExternalEmailAddress") or "")
    kind, _, address = external.partition(":")
    if kind.lower() == "smtp" and address:
        return address.lower()
    return str(record.get("PrimarySmtpAddress") or "").lower()


class Recipients:
    """Every recipient of the organisation by each name a forward may use for it."""

    def __init__(self, records: Iterable[Mapping[str, Any]]) -> None:
        self.by_key: dict[str, str] = {}
        for record in records:
            target = _address_of(record)
            keys = [
                record.get(k)
                for k in ("Identity", "DistinguishedName", "LegacyExchangeDN", "PrimarySmtpAddress")
            ]
            keys += [p.partition(":")[2] for p in _values(record.get("EmailAddresses"))]
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


def _rule_where(record: Mapping[str, Any]) -> str:
    return f"{record.get('Name') or ''} [{record.get('RuleIdentity')}]"


def _rule_id(where: str) -> str:
    found = _RULE_ID.search(where)
    return found.group(1) if found else where


def _transport_where(name: str, action: str) -> str:
    return f"{name}: {action}"


def _owners(mailboxes: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Mailbox Identity (canonical name, as MailboxOwnerId shows it) -> primary address."""
    return {
        str(m.get("Identity") or "").lower(): str(m.get("PrimarySmtpAddress") or "").lower()
        for m in mailboxes
        if m.get("PrimarySmtpAddress")
    }


def _holder(rule: Mapping[str, Any], owners: Mapping[str, str]) -> str:
    owner = str(rule.get("MailboxOwnerId") or str(rule.get("Identity") or "").rpartition("\\")[0])
    return owners.get(owner.lower(), owner.lower())


def mailbox_forwards(mailboxes: Iterable[Mapping[str, Any]], recipients: Recipients) -> list[Forward]:
    found = []
    for mailbox in mailboxes:
        holder = str(mailbox.get("PrimarySmtpAddress") or "").lower()
        for prop, mechanism in MAILBOX_PROPERTIES.items():
            for value in _values(mailbox.get(prop)):
                found.append(Forward(SYSTEM_EXCHANGE, holder, recipients.address(value), mechanism, prop))
    return found


def rule_forwards(
    rules: Iterable[Mapping[str, Any]], owners: Mapping[str, str], recipients: Recipients
) -> list[Forward]:
    found = []
    for rule in rules:
        holder, where, enabled = _holder(rule, owners), _rule_where(rule), rule.get("Enabled") is True
        for prop, mechanism in INBOX_ACTIONS.items():
            for value in _values(rule.get(prop)):
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
            for value in _values(rule.get(action)):
                where = _transport_where(str(rule.get("Name")), action)
                found.append(
                    Forward(SYSTEM_EXCHANGE, "", recipients.address(value), TRANSPORT_RULE, where, enabled)
                )
    return found


class ExchangeForwarding:
    """``read_forwards`` and ``remove_forwards`` on the system's PowerShell session."""

    def __init__(self, transport: ExchangeTransport, managed_ou: str, batch_size: int) -> None:
        self.transport = transport
        self.managed_ou = managed_ou
        self.batch_size = max(1, batch_size)

    def _groups(self, invocations: Sequence[Invocation]) -> list[Sequence[Invocation]]:
        return [invocations[i : i + self.batch_size] for i in range(0, len(invocations), self.batch_size)]

    def _inbox_rules(self, addresses: Sequence[str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """The inbox rules of these mailboxes, and why a mailbox's could not be read."""
        records, outcomes = query_groups(self.transport, self._groups([rules_read(a) for a in addresses]))
        failed = {str(o.invocation.key): f"Get-InboxRule: {o.error}" for o in outcomes if o.status != OK}
        return records, failed

    def read_forwards(self) -> list[Forward]:
        try:
            mailboxes = self.transport.query(mailbox_read(self.managed_ou))
            recipients = Recipients(self.transport.query(recipients_read()))
            addresses = [
                str(m["PrimarySmtpAddress"]).lower() for m in mailboxes if m.get("PrimarySmtpAddress")
            ]
            rules, failed = self._inbox_rules(addresses)
            transport_rules = self.transport.query(transport_rules_read())
        except ExchangeError as exc:
            raise BackendError(str(exc)) from None
        if failed:
            raise BackendError("; ".join(f"{a}: {why}" for a, why in sorted(failed.items())))
        return [
            *mailbox_forwards(mailboxes, recipients),
            *rule_forwards(rules, _owners(mailboxes), recipients),
            *transport_forwards(transport_rules, recipients),
        ]

    def remove_forwards(self, forwards: Sequence[Forward]) -> list[Result]:
        errors: dict[int, Optional[str]] = {}
        try:
            plan = _Removal(self, forwards)
        except ExchangeError as exc:
            return [Result(f.holder, REMOVE_FORWARD, False, f"cannot read it again: {exc}") for f in forwards]
        invocations = plan.invocations()
        outcomes = self.transport.run([inv for inv, _ in invocations], batch_size=self.batch_size)
        for (invocation, indexes), outcome in zip(invocations, outcomes, strict=True):
            if outcome.status != OK:
                errors.update({i: f"{invocation.cmdlet}: {outcome.error}" for i in indexes})
        errors.update(plan.errors)
        return [
            Result(f.holder, REMOVE_FORWARD, errors.get(i) is None, errors.get(i))
            for i, f in enumerate(forwards)
        ]


class _Removal:
    """What stopping ``forwards`` takes, from a fresh read of what they name."""

    def __init__(self, owner: ExchangeForwarding, forwards: Sequence[Forward]) -> None:
        self.forwards = forwards
        self.errors: dict[int, Optional[str]] = {}
        transport = owner.transport
        by_kind: dict[str, list[int]] = {}
        for index, forward in enumerate(forwards):
            by_kind.setdefault(_kind(forward.mechanism), []).append(index)
        holders = sorted({forwards[i].holder for k in ("mailbox", "inbox") for i in by_kind.get(k, [])})
        reads = [
            Invocation.of(
                "Get-Mailbox",
                {"Identity": h},
                h,
                select=("Identity", "PrimarySmtpAddress", *MAILBOX_PROPERTIES),
            )
            for h in holders
        ]
        mailboxes, outcomes = query_groups(transport, owner._groups(reads))
        # A mailbox gone took its forwards with it; any other failure is reported.
        unread = {
            str(o.invocation.key): f"Get-Mailbox: {o.error}"
            for o in outcomes
            if o.status != OK and "couldn't be found" not in str(o.error)
        }
        self.errors.update({i: unread[f.holder] for i, f in enumerate(forwards) if f.holder in unread})
        self.recipients = Recipients(transport.query(recipients_read()))
        self.mailboxes = {str(m.get("PrimarySmtpAddress") or "").lower(): m for m in mailboxes}
        inbox_holders = sorted(
            {forwards[i].holder for i in by_kind.get("inbox", []) if forwards[i].holder in self.mailboxes}
        )
        rules, failed = owner._inbox_rules(inbox_holders)
        for i in by_kind.get("inbox", []):
            if forwards[i].holder in failed:
                self.errors[i] = failed[forwards[i].holder]
        owners = _owners(mailboxes)
        self.rules = {(_holder(r, owners), str(r.get("RuleIdentity"))): r for r in rules}
        self.transport_rules = (
            {str(r.get("Name")).lower(): r for r in transport.query(transport_rules_read())}
            if by_kind.get("transport")
            else {}
        )
        self.by_kind = by_kind

    def invocations(self) -> list[tuple[Invocation, list[int]]]:
        """Each write and the forwards it stops (those already gone need none)."""
        return [*self._mailbox_writes(), *self._rule_writes()]

    def _mailbox_writes(self) -> list[tuple[Invocation, list[int]]]:
        writes = []
        for i in self.by_kind.get("mailbox", []):
            forward = self.forwards[i]
            mailbox = self.mailboxes.get(forward.holder)
            if mailbox is None or i in self.errors:
                continue
            if forward.target in {self.recipients.address(v) for v in _values(mailbox.get(forward.where))}:
                params = {"Identity": forward.holder, forward.where: None}
                writes.append((Invocation.of("Set-Mailbox", params, forward.holder), [i]))
        return writes

    def _rule_writes(self) -> list[tuple[Invocation, list[int]]]:
        inbox: dict[tuple[str, str], list[int]] = {}
        for i in self.by_kind.get("inbox", []):
            if i not in self.errors:
                inbox.setdefault((self.forwards[i].holder, _rule_id(self.forwards[i].where)), []).append(i)
        transport: dict[str, list[int]] = {}
        for i in self.by_kind.get("transport", []):
            transport.setdefault(self.forwards[i].where.rpartition(": ")[0].lower(), []).append(i)
        writes = []
        for (holder, rule_id), indexes in inbox.items():
            rule = self.rules.get((holder, rule_id))
            if rule is None or rule.get("Enabled") is not True:
                continue  # gone, or no longer forwarding
            changes = self._without(rule, indexes, {m: p for p, m in INBOX_ACTIONS.items()})
            target = {"Mailbox": holder, "Identity": rule_id}
            if changes is None:
                writes.append(
                    (Invocation.of("Disable-InboxRule", {**target, "Force": SWITCH}, holder), indexes)
                )
            elif changes:
                writes.append(
                    (Invocation.of("Set-InboxRule", {**target, **changes, "Force": SWITCH}, holder), indexes)
                )
        for name, indexes in transport.items():
            rule = self.transport_rules.get(name)
            if rule is None or rule.get("State") != "Enabled":
                continue
            actions = {a: a for a in TRANSPORT_ACTIONS}
            changes = self._without(rule, indexes, actions, by_where=True)
            identity = str(rule.get("Name"))
            if changes is None:
                writes.append((Invocation.of("Disable-TransportRule", {"Identity": identity}), indexes))
            elif changes:
                writes.append(
                    (Invocation.of("Set-TransportRule", {"Identity": identity, **changes}), indexes)
                )
        return writes

    def _without(
        self, rule: Mapping[str, Any], indexes: list[int], actions: Mapping[str, str], by_where: bool = False
    ) -> Optional[dict[str, Any]]:
        """The rule's action lists without the forwards' targets (only the lists that change);
        None when no action at all would be left (the rule is then disabled instead)."""
        drop: dict[str, set[str]] = {}
        for i in indexes:
            forward = self.forwards[i]
            prop = forward.where.rpartition(": ")[2] if by_where else actions[forward.mechanism]
            drop.setdefault(prop, set()).add(forward.target)
        changes: dict[str, Any] = {}
        left = False
        for prop in set(actions.values()):
            values = _values(rule.get(prop))
            kept = [
                self.recipients.address(v)
                for v in values
                if self.recipients.address(v) not in drop.get(prop, set())
            ]
            if len(kept) != len(values):
                changes[prop] = kept or None
            left = left or bool(kept)
        others = INBOX_OTHER_ACTIONS if not by_where else TRANSPORT_OTHER_ACTIONS
        left = left or any(rule.get(prop) not in (None, False, "", []) for prop in others)
        return changes if left else None


def _kind(mechanism: str) -> str:
    if mechanism in MAILBOX_PROPERTIES.values():
        return "mailbox"
    if mechanism in INBOX_ACTIONS.values():
        return "inbox"
    return "transport"
