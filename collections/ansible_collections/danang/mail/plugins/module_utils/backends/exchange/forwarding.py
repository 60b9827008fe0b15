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

from collections.abc import Sequence
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError, Result
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.forward_targets import (
    INBOX_ACTIONS,
    MAILBOX_PROPERTIES,
    Recipients,
    holder_of,
    listed,
    mailbox_forwards,
    mailbox_read,
    owner_addresses,
    recipients_read,
    rule_forwards,
    rule_id_of,
    rules_read,
    transport_forwards,
    transport_rules_read,
    without,
)
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
from ansible_collections.danang.mail.plugins.module_utils.forwarding import Forward

REMOVE_FORWARD = "remove_forward"


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
            *rule_forwards(rules, owner_addresses(mailboxes), recipients),
            *transport_forwards(transport_rules, recipients),
        ]

    def remove_forwards(self, forwards: Sequence[Forward]) -> list[Result]:
        if not forwards:
            return []
        errors: dict[int, Optional[str]] = {}
        try:
            plan = _Removal(self, forwards)
        except ExchangeError as exc:
            return [Result(f.holder, REMOVE_FORWARD, False, f"cannot read it again: {exc}") for f in forwards]
        invocations = plan.invocations()
        outcomes = self.transport.run([inv for inv, _indexes in invocations], batch_size=self.batch_size)
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
        owners = owner_addresses(mailboxes)
        self.rules = {(holder_of(r, owners), str(r.get("RuleIdentity"))): r for r in rules}
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
            if MAILBOX_PROPERTIES.get(forward.where) != forward.mechanism:  # never another parameter
                self.errors[i] = f"not a mailbox forwarding property: {forward.where!r}"
            if mailbox is None or i in self.errors:
                continue
            if forward.target in {self.recipients.address(v) for v in listed(mailbox.get(forward.where))}:
                params = {"Identity": forward.holder, forward.where: None}
                writes.append((Invocation.of("Set-Mailbox", params, forward.holder), [i]))
        return writes

    def _rule_writes(self) -> list[tuple[Invocation, list[int]]]:
        inbox: dict[tuple[str, str], list[int]] = {}
        for i in self.by_kind.get("inbox", []):
            if i not in self.errors:
                inbox.setdefault((self.forwards[i].holder, rule_id_of(self.forwards[i].where)), []).append(i)
        transport: dict[str, list[int]] = {}
        for i in self.by_kind.get("transport", []):
            transport.setdefault(self.forwards[i].where.rpartition(": ")[0].lower(), []).append(i)
        writes = []
        for (holder, rule_id), indexes in inbox.items():
            rule = self.rules.get((holder, rule_id))
            if rule is None or rule.get("Enabled") is not True:
                continue  # gone, or no longer forwarding
            changes = without(rule, [self.forwards[i] for i in indexes], self.recipients)
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
            changes = without(rule, [self.forwards[i] for i in indexes], self.recipients)
            identity = str(rule.get("Name"))
            if changes is None:
                writes.append((Invocation.of("Disable-TransportRule", {"Identity": identity}), indexes))
            elif changes:
                writes.append(
                    (Invocation.of("Set-TransportRule", {"Identity": identity, **changes}), indexes)
                )
        return writes


def _kind(mechanism: str) -> str:
    if mechanism in MAILBOX_PROPERTIES.values():
        return "mailbox"
    if mechanism in INBOX_ACTIONS.values():
        return "inbox"
    return "transport"
